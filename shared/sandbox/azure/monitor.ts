import { aggregate, type Run, type Statistic } from '../series.js';
import { ArmError, type ArmResponse } from './arm.js';
import type { ArmContext } from './machine-learning.js';
import { AZURE_METRICS, DEPLOYMENT_TYPE, ENDPOINT_TYPE, WORKSPACE_TYPE } from './state.js';

/*
 * Azure Monitor's metrics batch API (`POST /subscriptions/{s}/metrics:getBatch`, api-version
 * 2024-02-01), as `@azure/monitor-query-metrics` calls it: up to 50 resources of one type and one
 * region per call, several metrics, one interval, `filter` to split by a dimension. Every interval
 * of the timespan is returned; one without recorded data carries its timestamp and no aggregate,
 * which is how Azure answers "no data" (never a zero).
 */

export const MONITOR_OPERATIONS = ['Metrics_Batch'] as const;

/** Resource ids per batch call, as documented for the batch API. */
export const MAX_BATCH_RESOURCES = 50;
/** Metric names per call. */
export const MAX_BATCH_METRICS = 20;

/** Metrics (and their unit and dimensions) published per resource type. */
const PUBLISHED: Readonly<Record<string, Readonly<Record<string, { unit: string; dimensions: readonly string[] }>>>> = {
  [ENDPOINT_TYPE.toLowerCase()]: { [AZURE_METRICS.requests]: { unit: 'Count', dimensions: ['deployment', 'statusCode', 'statusCodeClass', 'modelStatusCode'] } },
  [DEPLOYMENT_TYPE.toLowerCase()]: {
    [AZURE_METRICS.cpu]: { unit: 'Percent', dimensions: ['instanceId'] },
    [AZURE_METRICS.gpu]: { unit: 'Percent', dimensions: ['instanceId'] },
    [AZURE_METRICS.capacity]: { unit: 'Count', dimensions: [] },
  },
  [WORKSPACE_TYPE.toLowerCase()]: {
    [AZURE_METRICS.activeNodes]: { unit: 'Count', dimensions: ['Scenario', 'ClusterName'] },
    [AZURE_METRICS.idleNodes]: { unit: 'Count', dimensions: ['Scenario', 'ClusterName'] },
  },
};

const AGGREGATIONS: Readonly<Record<string, Statistic>> = { total: 'Sum', average: 'Average', maximum: 'Maximum', minimum: 'Minimum', count: 'SampleCount' };

/** Answers one getBatch call. */
export function handleMetricsBatch(ctx: ArmContext): ArmResponse {
  if (ctx.method !== 'POST') throw new ArmError(405, 'MethodNotAllowed', 'metrics:getBatch is POST only.');
  const q = ctx.url.searchParams;
  const namespace = q.get('metricnamespace') ?? '';
  const published = PUBLISHED[namespace.toLowerCase()];
  if (!published) throw new ArmError(400, 'BadRequest', `Metric namespace '${namespace}' is not served by the sandbox (${Object.keys(PUBLISHED).join(', ')}).`);
  const names = (q.get('metricnames') ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0 || names.length > MAX_BATCH_METRICS) throw new ArmError(400, 'BadRequest', `Between 1 and ${MAX_BATCH_METRICS} metric names are required.`);
  for (const n of names) if (!published[n]) throw new ArmError(400, 'BadRequest', `Failed to find metric configuration for provider: ${namespace}, metric: ${n}. Valid metrics: ${Object.keys(published).join(', ')}`);
  const start = Date.parse(q.get('starttime') ?? '');
  const end = Date.parse(q.get('endtime') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) throw new ArmError(400, 'BadRequest', 'starttime and endtime are required ISO 8601 times, starttime before endtime.');
  const intervalText = q.get('interval') ?? 'PT1M';
  const interval = durationMs(intervalText);
  if (!interval) throw new ArmError(400, 'BadRequest', `Invalid interval '${intervalText}'.`);
  if ((end - start) / interval > 50_000) throw new ArmError(400, 'BadRequest', 'The requested timespan holds too many intervals; use a larger interval.');
  const aggregations = (q.get('aggregation') ?? 'average').split(',').map((a) => a.trim().toLowerCase()).filter(Boolean);
  for (const a of aggregations) if (!AGGREGATIONS[a]) throw new ArmError(400, 'BadRequest', `Invalid aggregation '${a}'.`);
  const filter = parseFilter(q.get('filter'));

  const body = ctx.body as { resourceids?: unknown } | undefined;
  const ids = body?.resourceids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.some((i) => typeof i !== 'string')) throw new ArmError(400, 'BadRequest', 'The body must be { "resourceids": [ ... ] } with at least one resource id.');
  if (ids.length > MAX_BATCH_RESOURCES) throw new ArmError(400, 'BadRequest', `At most ${MAX_BATCH_RESOURCES} resource ids per call; got ${ids.length}.`);
  const locations = new Set<string>();
  for (const id of ids as string[]) {
    if (!id.toLowerCase().startsWith(`/subscriptions/${ctx.subscription}/`)) throw new ArmError(400, 'BadRequest', `Resource ${id} is not in subscription ${ctx.subscription}.`);
    if (typeOf(id) !== namespace.toLowerCase()) throw new ArmError(400, 'BadRequest', `Resource ${id} is not of type ${namespace}; all resources of a batch have the namespace's type.`);
    const loc = ctx.state.locations.get(id.toLowerCase());
    if (loc) locations.add(loc);
  }
  if (locations.size > 1) throw new ArmError(400, 'BadRequest', `All resources of a batch must be in one region; these are in ${[...locations].join(', ')}.`);

  const base = Math.floor(start / interval) * interval;
  const grid: number[] = [];
  for (let t = base; t < end; t += interval) grid.push(t);
  const values = (ids as string[]).map((id) => {
    const region = ctx.state.locations.get(id.toLowerCase());
    return {
      starttime: new Date(start).toISOString(),
      endtime: new Date(end).toISOString(),
      interval: intervalText,
      namespace,
      resourceregion: region ?? '',
      resourceid: id,
      value: names.map((name) => {
        const all = ctx.state.metricSeries(id, name);
        const groups = groupSeries(all, filter, start, end);
        return {
          id: `${id}/providers/Microsoft.Insights/metrics/${name}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: name, localizedValue: name },
          displayDescription: '',
          unit: published[name]?.unit ?? 'Count',
          errorCode: 'Success',
          timeseries: groups.map((g) => ({
            metadatavalues: Object.entries(g.dimensions).map(([k, v]) => ({ name: { value: k, localizedValue: k }, value: v })),
            data: dataPoints(g.runs, grid, base, interval, aggregations),
          })),
        };
      }),
    };
  });
  return { status: 200, body: { values } };
}

/** `Dim eq 'v'` clauses joined by `and` / `or`; `'*'` splits by the dimension. */
function parseFilter(text: string | null): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!text) return out;
  const re = /([A-Za-z][\w ]*?)\s+eq\s+'([^']*)'/g;
  let m: RegExpExecArray | null;
  let any = false;
  while ((m = re.exec(text)) !== null) {
    any = true;
    const key = (m[1] ?? '').trim();
    const set = out.get(key) ?? new Set<string>();
    set.add(m[2] ?? '');
    out.set(key, set);
  }
  if (!any) throw new ArmError(400, 'BadRequest', `Invalid filter '${text}': use clauses like deployment eq '*'.`);
  return out;
}

/** Groups the series by the filter's dimensions (one time series per value combination with data). */
function groupSeries(all: readonly { dimensions: Readonly<Record<string, string>>; series: (a: number, b: number) => Run[] }[], filter: Map<string, Set<string>>, start: number, end: number) {
  const groups = new Map<string, { dimensions: Record<string, string>; runs: Run[] }>();
  const from = Math.floor(start / 60_000) * 60_000;
  for (const s of all) {
    let keep = true;
    const dims: Record<string, string> = {};
    for (const [k, values] of filter) {
      const v = s.dimensions[k];
      if (v === undefined || (!values.has('*') && ![...values].some((x) => x.toLowerCase() === v.toLowerCase()))) keep = false;
      else dims[k] = v;
    }
    if (!keep) continue;
    const runs = s.series(from, end);
    const key = JSON.stringify(dims);
    const g = groups.get(key) ?? { dimensions: dims, runs: [] };
    g.runs.push(...runs);
    groups.set(key, g);
  }
  // With a dimension split, values that recorded nothing in the timespan are not listed; unsplit, one series always is.
  const split = filter.size > 0;
  const out = [...groups.values()].filter((g) => !split || g.runs.length > 0);
  if (out.length === 0 && !split) out.push({ dimensions: {}, runs: [] });
  return out;
}

function dataPoints(runs: readonly Run[], grid: readonly number[], base: number, interval: number, aggregations: readonly string[]) {
  const byStat = new Map<string, Map<number, number>>();
  for (const a of aggregations) {
    const agg = aggregate(runs, base, interval, AGGREGATIONS[a] ?? 'Average');
    const m = new Map<number, number>();
    agg.timestamps.forEach((t, i) => m.set(t, agg.values[i] ?? 0));
    byStat.set(a, m);
  }
  return grid.map((t) => {
    const point: Record<string, unknown> = { timeStamp: new Date(t).toISOString() };
    for (const [a, m] of byStat) {
      const v = m.get(t);
      if (v !== undefined) point[a] = v;
    }
    return point;
  });
}

/** The ARM type of a resource id: provider namespace plus every type segment. */
export function typeOf(id: string): string {
  const parts = id.split('/').filter(Boolean);
  const p = parts.findIndex((x) => x.toLowerCase() === 'providers');
  if (p < 0) return '';
  const rest = parts.slice(p + 1);
  const types = [rest[0] ?? ''];
  for (let i = 1; i < rest.length; i += 2) types.push(rest[i] ?? '');
  return types.join('/').toLowerCase();
}

/** An ISO 8601 duration in ms (PT1M, PT1H, P1D); undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!m || text === 'P' || text === 'PT') return undefined;
  const ms = Number(m[1] ?? 0) * 86_400_000 + Number(m[2] ?? 0) * 3_600_000 + Number(m[3] ?? 0) * 60_000 + Number(m[4] ?? 0) * 1000;
  return ms >= 60_000 ? ms : undefined;
}
