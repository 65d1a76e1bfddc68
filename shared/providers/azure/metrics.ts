import type { UsageSeries, UsageSignal } from '../../domain/usage.js';
import { chunk } from '../../util/concurrency.js';
import type { AzureClients } from './clients.js';

/*
 * Azure Monitor usage through the metrics batch API (`@azure/monitor-query-metrics`,
 * `POST /subscriptions/{s}/metrics:getBatch`): one call reads several metrics of up to 50
 * resources of one type in one region. Queries are grouped by region, namespace, aggregation and
 * split dimension, so a scan of n deployments costs ⌈n/50⌉ calls per group, never one per resource.
 * An interval with no aggregate value is "no data", never zero (docs/azure.md "Reading usage").
 */

/** Resource ids per batch call (the batch API's documented limit). */
export const MAX_RESOURCES_PER_BATCH = 50;

/** One metric of one resource to read, and what it means to costwatch. */
export interface AzureMetricQuery {
  /** The costwatch resource the series belongs to (an endpoint, a compute). */
  readonly resourceId: string;
  /** Component (deployment) the series belongs to. */
  readonly component?: string;
  readonly signal: UsageSignal;
  /** The same datapoints also answer for this signal (e.g. CPU is also the heartbeat). */
  readonly alsoAs?: UsageSignal;
  /** The Azure resource whose metric is read (endpoint, deployment, workspace). */
  readonly target: string;
  /** Region of the target: the batch endpoint is regional. */
  readonly location: string;
  readonly namespace: string;
  readonly metric: string;
  readonly aggregation: 'total' | 'average' | 'maximum';
  /** Split by one dimension and keep this value (e.g. deployment = blue). */
  readonly split?: { readonly dimension: string; readonly value: string };
  readonly unit: string;
}

/** Calls made, for benches and the watchdog's own bill. */
export interface AzureMetricMeter {
  calls: number;
  /** Resource·metric pairs asked. */
  series: number;
}

/** Reads the queries with as few batch calls as the API allows; a failed call marks its series `error`. */
export async function readAzureMetrics(
  clients: AzureClients,
  queries: readonly AzureMetricQuery[],
  window: { start: Date; end: Date },
  interval: { readonly iso: string; readonly seconds: number },
  meter?: AzureMetricMeter,
): Promise<UsageSeries[]> {
  const groups = new Map<string, AzureMetricQuery[]>();
  for (const q of queries) {
    const key = [q.location, q.namespace.toLowerCase(), q.aggregation, q.split?.dimension ?? ''].join('|');
    const list = groups.get(key) ?? [];
    list.push(q);
    groups.set(key, list);
  }
  const out: UsageSeries[] = [];
  for (const group of groups.values()) {
    const first = group[0] as AzureMetricQuery;
    const targets = [...new Map(group.map((q) => [q.target.toLowerCase(), q.target])).values()];
    const metricNames = [...new Set(group.map((q) => q.metric))];
    for (const ids of chunk(targets, MAX_RESOURCES_PER_BATCH)) {
      const inBatch = new Set(ids.map((i) => i.toLowerCase()));
      const batch = group.filter((q) => inBatch.has(q.target.toLowerCase()));
      let failure: string | undefined;
      // target → metric → split value ('' unsplit) → points
      const found = new Map<string, { at: Date; value: number }[]>();
      try {
        if (meter) {
          meter.calls += 1;
          meter.series += ids.length * metricNames.length;
        }
        const results = await clients.metrics(first.location).queryResources(ids, metricNames, first.namespace, {
          startTime: window.start,
          endTime: window.end,
          interval: interval.iso,
          aggregation: first.aggregation,
          ...(first.split ? { filter: `${first.split.dimension} eq '*'` } : {}),
        });
        for (const r of results) {
          for (const m of r.metrics ?? []) {
            for (const ts of m.timeseries ?? []) {
              const splitValue = first.split ? (ts.metadatavalues?.find((v) => v.name?.toLowerCase() === first.split?.dimension.toLowerCase())?.value ?? '') : '';
              const points: { at: Date; value: number }[] = [];
              for (const d of ts.data ?? []) {
                const v = d[first.aggregation];
                if (typeof v === 'number' && Number.isFinite(v)) points.push({ at: d.timeStamp, value: v });
              }
              const key = `${(r.resourceId ?? '').toLowerCase()}\u0000${m.name ?? ''}\u0000${splitValue.toLowerCase()}`;
              found.set(key, [...(found.get(key) ?? []), ...points]);
            }
          }
        }
      } catch (err) {
        const e = err as { statusCode?: number; code?: string; message?: string };
        failure = `metrics:getBatch failed: ${e.statusCode ?? ''} ${e.code ?? ''} ${e.message ?? String(err)}`.replace(/\s+/g, ' ').trim();
      }
      for (const q of batch) {
        const key = `${q.target.toLowerCase()}\u0000${q.metric}\u0000${(q.split?.value ?? '').toLowerCase()}`;
        const pts = failure ? [] : (found.get(key) ?? []).sort((a, b) => a.at.getTime() - b.at.getTime());
        for (const signal of q.alsoAs ? [q.signal, q.alsoAs] : [q.signal]) {
          out.push({
            resourceId: q.resourceId,
            ...(q.component !== undefined ? { component: q.component } : {}),
            signal,
            metric: `${q.namespace}:${q.metric}${q.split ? `[${q.split.dimension}=${q.split.value}]` : ''}`,
            unit: q.unit,
            window,
            periodSeconds: interval.seconds,
            status: failure ? 'error' : pts.length > 0 ? 'present' : 'absent',
            points: pts,
            ...(failure ? { error: failure } : {}),
          });
        }
      }
    }
  }
  return out;
}
