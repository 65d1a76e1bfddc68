import type { MetricServiceClient, protos } from '@google-cloud/monitoring';
import type { UsagePoint, UsageSeries } from '../../domain/usage.js';
import { describeGoogleError } from './errors.js';
import type { GcpMetricQuery } from './context.js';

type TimeSeries = protos.google.monitoring.v3.ITimeSeries;

/** Calls and series read, for benches and tests. */
export interface MonitoringMeter {
  calls: number;
  series: number;
}

/**
 * Alignment period for a look-back: one hour up to 14 days (336 points per series), longer
 * beyond so a series stays near that size.
 */
export function alignmentSeconds(lookbackHours: number): number {
  return 3600 * Math.max(1, Math.ceil(lookbackHours / 336));
}

/** Key of a series by the labels a query names. */
function keyOf(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\u0001');
}

function seriesLabels(ts: TimeSeries, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const [where, label = ''] = n.split('.', 2) as [string, string];
    const v = where === 'resource' ? ts.resource?.labels?.[label] : ts.metric?.labels?.[label];
    if (v !== undefined && v !== null) out[n] = v;
  }
  return out;
}

function valueOf(p: protos.google.monitoring.v3.IPoint): number | undefined {
  const v = p.value;
  if (!v) return undefined;
  if (v.doubleValue !== undefined && v.doubleValue !== null) return Number(v.doubleValue);
  if (v.int64Value !== undefined && v.int64Value !== null) return Number(String(v.int64Value));
  return undefined;
}

function seconds(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  const s = Number(String(t.seconds));
  return Number.isFinite(s) ? s * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;
}

/**
 * Reads the usage series the queries ask for: one paged listTimeSeries per metric (and aligner)
 * for the whole project — never one call per resource — then picks each resource's series out of
 * the answer by its labels. A query whose series did not come back is `absent` (no data, never
 * zero); a failed call makes its queries `error`. Points are returned oldest first, stamped with
 * the start of their alignment period. The window must be a whole number of periods long:
 * Cloud Monitoring aligns periods to end at the window's end, and series count them from its start.
 */
/** Points per Cloud Monitoring page costwatch asks for. */
export const MONITORING_PAGE_POINTS = 20_000;

export async function readTimeSeries(
  client: MetricServiceClient,
  projectId: string,
  queries: readonly GcpMetricQuery[],
  window: { start: Date; end: Date },
  periodSeconds: number,
  call: <T>(fn: () => Promise<T>) => Promise<T>,
  meter?: MonitoringMeter,
): Promise<UsageSeries[]> {
  const groups = new Map<string, GcpMetricQuery[]>();
  for (const q of queries) {
    const g = `${q.metricType}|${q.resourceType}|${q.aligner}`;
    const list = groups.get(g);
    if (list) list.push(q);
    else groups.set(g, [q]);
  }
  const out: UsageSeries[] = [];
  const periodMs = periodSeconds * 1000;
  const end = Math.floor(window.end.getTime() / 1000);
  const start = Math.floor(window.start.getTime() / 1000);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const first = group[0] as GcpMetricQuery;
      // A single resource (a re-check before acting) narrows the filter to its own labels.
      const extra = group.length === 1 ? Object.entries(first.labels).map(([k, v]) => ` AND ${k.replace(/^(resource|metric)\./, '$1.labels.')} = "${v.replace(/["\\]/g, '')}"`).join('') : '';
      const request = {
        name: `projects/${projectId}`,
        filter: `metric.type = "${first.metricType}" AND resource.type = "${first.resourceType}"${extra}`,
        interval: { startTime: { seconds: start }, endTime: { seconds: end } },
        aggregation: { alignmentPeriod: { seconds: periodSeconds }, perSeriesAligner: first.aligner },
        // Pages of whole series up to this many points: a page decoded by the client is bounded
        // (the API's default, 100,000 points, decodes to hundreds of MiB across a project's metrics).
        pageSize: MONITORING_PAGE_POINTS,
      };
      // Each page is turned into points as it arrives and dropped: the decoded TimeSeries messages
      // (a Timestamp object per point) are far larger than the points kept.
      const names = Object.keys(first.labels);
      const wanted = new Set(group.map((q) => keyOf(q.labels)));
      let byKey: Map<string, { at: number; value: number }[]>;
      let listed = 0;
      try {
        byKey = await call(async () => {
          const found = new Map<string, { at: number; value: number }[]>();
          listed = 0;
          let pageToken: string | undefined;
          do {
            if (meter) meter.calls++;
            const [page, next] = await client.listTimeSeries({ ...request, ...(pageToken ? { pageToken } : {}) }, { autoPaginate: false });
            listed += page.length;
            for (const ts of page) {
              const key = keyOf(seriesLabels(ts, names));
              if (!wanted.has(key)) continue;
              const pts: { at: number; value: number }[] = [];
              for (const p of ts.points ?? []) {
                const endMs = seconds(p.interval?.endTime);
                const v = valueOf(p);
                if (endMs !== undefined && v !== undefined) pts.push({ at: endMs - periodMs, value: v });
              }
              found.set(key, pts);
            }
            pageToken = next?.pageToken || undefined;
          } while (pageToken);
          return found;
        });
      } catch (err) {
        const error = `${first.metricType}: ${describeGoogleError(err)}`;
        for (const q of group) {
          out.push(seriesOf(q, window, periodSeconds, 'error', [], error));
          if (q.alsoAs) out.push({ ...seriesOf(q, window, periodSeconds, 'error', [], error), signal: q.alsoAs });
        }
        return;
      }
      if (meter) meter.series += listed;
      for (const q of group) {
        const points: UsagePoint[] = (byKey.get(keyOf(q.labels)) ?? []).map((p) => ({ at: new Date(p.at), value: p.value * q.scale }));
        points.sort((a, b) => a.at.getTime() - b.at.getTime());
        out.push(seriesOf(q, window, periodSeconds, points.length > 0 ? 'present' : 'absent', points));
        if (q.alsoAs) out.push({ ...seriesOf(q, window, periodSeconds, points.length > 0 ? 'present' : 'absent', points), signal: q.alsoAs });
      }
    }),
  );
  return out;
}

function seriesOf(q: GcpMetricQuery, window: { start: Date; end: Date }, periodSeconds: number, status: UsageSeries['status'], points: UsagePoint[], error?: string): UsageSeries {
  return {
    resourceId: q.resourceId,
    ...(q.component !== undefined ? { component: q.component } : {}),
    signal: q.signal,
    metric: q.metricType,
    unit: q.unit,
    window,
    periodSeconds,
    status,
    points,
    ...(error ? { error } : {}),
  };
}
