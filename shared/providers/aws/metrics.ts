import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { UsageSeries, UsageSignal } from '../../domain/usage.js';
import { chunk } from '../../util/concurrency.js';

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/** One metric to read, and what it means to costwatch. */
export interface MetricRequest {
  readonly resourceId: string;
  readonly component?: string;
  readonly signal: UsageSignal;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: 'Sum' | 'Average' | 'Maximum' | 'SampleCount';
  readonly unit: string;
  /** The datapoints are an idle share: the series carries 100 − value (e.g. the CloudWatch agent's cpu_usage_idle). */
  readonly invert?: boolean;
  /** The same datapoints also answer for this signal (one query, one billed metric, shared points). */
  readonly alsoAs?: UsageSignal;
}

/** What GetMetricData was asked, for the watchdog's own bill: CloudWatch bills per metric requested. */
export interface MetricMeter {
  calls: number;
  queries: number;
  /** Distinct metrics per call; up to five statistics of one metric in one call bill as one metric. */
  metricsRequested: number;
}

/**
 * Reads many metrics with as few GetMetricData calls as possible: ⌈n/500⌉ batches, each
 * paginated. A metric with no datapoints is `absent`, never zeros; a failed batch is `error`.
 */
export async function readMetrics(
  cw: CloudWatchClient,
  requests: readonly MetricRequest[],
  window: { start: Date; end: Date },
  periodSeconds: number,
  meter?: MetricMeter,
): Promise<UsageSeries[]> {
  const out: UsageSeries[] = [];
  for (const batch of chunk(requests, MAX_QUERIES_PER_CALL)) {
    const queries: MetricDataQuery[] = batch.map((r, i) => ({
      Id: `m${i}`,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: r.namespace,
          MetricName: r.metricName,
          Dimensions: Object.entries(r.dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: periodSeconds,
        Stat: r.stat,
      },
    }));
    const points = new Map<string, { at: Date; value: number }[]>();
    // The series of a batch share one period grid: one Date per timestamp instead of one per point.
    const instants = new Map<number, Date>();
    const billed = billedMetrics(batch);
    let failure: string | undefined;
    try {
      let token: string | undefined;
      do {
        if (meter) {
          meter.calls += 1;
          meter.queries += queries.length;
          meter.metricsRequested += billed;
        }
        const res = await cw.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: window.start,
            EndTime: window.end,
            ScanBy: 'TimestampAscending',
            NextToken: token,
          }),
        );
        for (const r of res.MetricDataResults ?? []) {
          if (!r.Id) continue;
          const list = points.get(r.Id) ?? [];
          const ts = r.Timestamps ?? [];
          const vs = r.Values ?? [];
          for (let k = 0; k < ts.length && k < vs.length; k++) {
            const t = (ts[k] as Date).getTime();
            let at = instants.get(t);
            if (!at) {
              at = ts[k] as Date;
              instants.set(t, at);
            }
            list.push({ at, value: vs[k] as number });
          }
          points.set(r.Id, list);
        }
        token = res.NextToken;
      } while (token);
    } catch (err) {
      failure = `GetMetricData failed: ${(err as Error).name}: ${(err as Error).message}`;
    }
    batch.forEach((r, i) => {
      const raw = (points.get(`m${i}`) ?? []).sort((a, b) => a.at.getTime() - b.at.getTime());
      const pts = r.invert ? raw.map((p) => ({ at: p.at, value: 100 - p.value })) : raw;
      for (const signal of r.alsoAs ? [r.signal, r.alsoAs] : [r.signal]) out.push({
        resourceId: r.resourceId,
        ...(r.component !== undefined ? { component: r.component } : {}),
        signal,
        metric: `${r.namespace}:${r.invert ? '100-' : ''}${r.metricName}`,
        unit: r.unit,
        window,
        status: failure ? 'error' : pts.length > 0 ? 'present' : 'absent',
        points: failure ? [] : pts,
        ...(failure ? { error: failure } : {}),
      });
    });
  }
  return out;
}

function billedMetrics(batch: readonly MetricRequest[]): number {
  const stats = new Map<string, number>();
  for (const r of batch) {
    const key = `${r.namespace}\u0000${r.metricName}\u0000${Object.entries(r.dimensions).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',')}`;
    stats.set(key, (stats.get(key) ?? 0) + 1);
  }
  let n = 0;
  for (const count of stats.values()) n += Math.ceil(count / 5);
  return n;
}
