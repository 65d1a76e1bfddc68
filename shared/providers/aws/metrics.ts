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
    let failure: string | undefined;
    try {
      let token: string | undefined;
      do {
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
          for (let k = 0; k < ts.length && k < vs.length; k++) list.push({ at: ts[k] as Date, value: vs[k] as number });
          points.set(r.Id, list);
        }
        token = res.NextToken;
      } while (token);
    } catch (err) {
      failure = `GetMetricData failed: ${(err as Error).name}: ${(err as Error).message}`;
    }
    batch.forEach((r, i) => {
      const pts = (points.get(`m${i}`) ?? []).sort((a, b) => a.at.getTime() - b.at.getTime());
      out.push({
        resourceId: r.resourceId,
        ...(r.component !== undefined ? { component: r.component } : {}),
        signal: r.signal,
        metric: `${r.namespace}:${r.metricName}`,
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
