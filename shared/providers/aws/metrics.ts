import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { clientOf, cloudwatchSdk, type ClientRef } from './sdk.js';
import type { UsagePoint, UsageSeries, UsageSignal } from '../../domain/usage.js';
import { chunk } from '../../util/concurrency.js';

/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;
/** GetMetricData returns at most this many datapoints per call before paginating (`NextToken`). */
export const MAX_DATAPOINTS_PER_CALL = 100_800;
/** Datapoints a series may have for a full call of 500 to fit in one page: 201. */
export const POINTS_PER_SERIES_IN_ONE_PAGE = Math.floor(MAX_DATAPOINTS_PER_CALL / MAX_QUERIES_PER_CALL);

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

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
  /** Σ ⌈series/500⌉ over the windows read: the fewest calls those reads could take (the aim `calls` is held to). */
  windowAim?: number;
}

/**
 * Series per GetMetricData call for a window read at a period: 500 while a full call fits in
 * one page of 100,800 datapoints, fewer when each series has more than 201 periods (so a call
 * never needs a second page; CloudWatch bills per metric requested, not per call).
 */
export function seriesPerCall(window: { start: Date; end: Date }, periodSeconds: number): number {
  const periods = Math.max(1, Math.ceil((window.end.getTime() - floorMinute(window.start.getTime())) / (periodSeconds * 1000)));
  return Math.max(1, Math.min(MAX_QUERIES_PER_CALL, Math.floor(MAX_DATAPOINTS_PER_CALL / periods)));
}

/**
 * Reads many metrics over one window at one period with as few GetMetricData calls as the
 * datapoint limit allows: ⌈n/500⌉ batches while a batch fits in one page (see `seriesPerCall`),
 * every `NextToken` followed. Each series carries the window CloudWatch used (its start rounded
 * down to the minute, as CloudWatch does) and the period asked. A metric with no datapoints is
 * `absent`, never zeros; a failed batch is `error`.
 */
export async function readMetrics(
  cw: ClientRef<CloudWatchClient>,
  requests: readonly MetricRequest[],
  asked: { start: Date; end: Date },
  periodSeconds: number,
  meter?: MetricMeter,
): Promise<UsageSeries[]> {
  const out: UsageSeries[] = [];
  const window = { start: new Date(floorMinute(asked.start.getTime())), end: asked.end };
  if (meter && requests.length > 0) meter.windowAim = (meter.windowAim ?? 0) + Math.ceil(requests.length / MAX_QUERIES_PER_CALL);
  for (const batch of chunk(requests, seriesPerCall(window, periodSeconds))) {
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
    // Per query, its datapoints as numbers (epoch ms, value): two numbers a point while the
    // region is read, instead of an object each (see `compactSeries`).
    const points = new Map<string, { times: number[]; values: number[] }>();
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
        const { GetMetricDataCommand } = await cloudwatchSdk();
        const res = await (await clientOf(cw)).send(
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
          let list = points.get(r.Id);
          if (!list) points.set(r.Id, (list = { times: [], values: [] }));
          const ts = r.Timestamps ?? [];
          const vs = r.Values ?? [];
          for (let k = 0; k < ts.length && k < vs.length; k++) {
            const t = (ts[k] as Date).getTime();
            if (!instants.has(t)) instants.set(t, ts[k] as Date);
            list.times.push(t);
            list.values.push(vs[k] as number);
          }
        }
        token = res.NextToken;
      } while (token);
    } catch (err) {
      failure = `GetMetricData failed: ${(err as Error).name}: ${(err as Error).message}`;
    }
    batch.forEach((r, i) => {
      const raw = failure ? undefined : points.get(`m${i}`);
      const n = raw?.times.length ?? 0;
      for (const signal of r.alsoAs ? [r.signal, r.alsoAs] : [r.signal]) {
        const base = {
          resourceId: r.resourceId,
          ...(r.component !== undefined ? { component: r.component } : {}),
          signal,
          metric: `${r.namespace}:${r.invert ? '100-' : ''}${r.metricName}`,
          unit: r.unit,
          window,
          periodSeconds,
          status: failure ? ('error' as const) : n > 0 ? ('present' as const) : ('absent' as const),
          ...(failure ? { error: failure } : {}),
        };
        out.push(n > 0 ? compactSeries(base, raw!, instants, r.invert === true) : { ...base, points: [] });
      }
    });
  }
  return out;
}

/**
 * A series whose datapoints are kept as two Float64Arrays (epoch ms and value, oldest first)
 * rather than an object per point: a region's usage is tens of thousands of series of up to 201
 * points, held until its scope is judged. `points` is an ordinary enumerable property to every
 * reader (spread, JSON, the rules); its objects are made when it is read, each `at` being the
 * batch's one Date for that instant, and are not kept.
 */
function compactSeries(base: Omit<UsageSeries, 'points'>, raw: { times: number[]; values: number[] }, instants: ReadonlyMap<number, Date>, invert: boolean): UsageSeries {
  const n = raw.times.length;
  // Oldest first; points of one instant keep the order CloudWatch returned them in (a stable sort).
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => raw.times[a]! - raw.times[b]!);
  const times = new Float64Array(n);
  const values = new Float64Array(n);
  order.forEach((k, j) => {
    times[j] = raw.times[k]!;
    values[j] = invert ? 100 - raw.values[k]! : raw.values[k]!;
  });
  return Object.defineProperty({ ...base } as UsageSeries, 'points', {
    enumerable: true,
    get(): UsagePoint[] {
      const pts: UsagePoint[] = new Array(n);
      for (let k = 0; k < n; k++) pts[k] = { at: instants.get(times[k]!)!, value: values[k]! };
      return pts;
    },
  });
}

/** One read of a set of metrics: a window and the period it is read at. */
export interface MetricRead {
  readonly start: Date;
  readonly end: Date;
  readonly periodSeconds: number;
}

/** Periods the decision window may be read at, coarsest first; each divides an hour. */
const DECISION_PERIODS = [3600, 1800, 900, 600, 300, 120, 60] as const;

/** Periods a decision window has at least of, so one missing datapoint moves coverage by ≤ 4%. */
export const MIN_PERIODS_PER_WINDOW = 24;

/**
 * The period a rule window is read at: the coarsest of 1 h, 30, 15, 10, 5, 2 and 1 min that
 * still gives the window at least 24 periods — 1 h for a 24-hour window or longer, 5 min for
 * 2 h, 1 min below 24 min. Never coarser than an hour.
 */
export function decisionPeriodSeconds(windowHours: number): number {
  for (const p of DECISION_PERIODS) if ((windowHours * 3600) / p >= MIN_PERIODS_PER_WINDOW) return p;
  return 60;
}

/**
 * How the rules' windows over one resource kind are read: back over the longest window, at the
 * period of the shortest (`decisionPeriodSeconds`), ending at the last whole minute. Integer-hour
 * windows then start on a period boundary of the read.
 */
export function decisionRead(now: Date, windowHours: readonly number[]): MetricRead {
  const hours = windowHours.filter((h) => Number.isFinite(h) && h > 0);
  const longest = hours.length > 0 ? Math.max(...hours) : 24;
  const shortest = hours.length > 0 ? Math.min(...hours) : 24;
  const end = floorMinute(now.getTime());
  return { start: new Date(end - longest * HOUR_MS), end: new Date(end), periodSeconds: decisionPeriodSeconds(shortest) };
}

/**
 * The history read before a decision window, for evidence only ("last request seen …"): from
 * `lookbackHours` before `now` up to the decision window's start, in whole hours per period, the
 * fewest that keep a full call of 500 series in one page (2 h for the default 14 days).
 * Undefined when the look-back is no longer than the decision window.
 */
export function historyRead(now: Date, decision: MetricRead, lookbackHours: number): MetricRead | undefined {
  const ms = lookbackHours * HOUR_MS - (now.getTime() - decision.start.getTime());
  if (ms < HOUR_MS) return undefined;
  const periodSeconds = 3600 * Math.max(1, Math.ceil(ms / HOUR_MS / POINTS_PER_SERIES_IN_ONE_PAGE));
  const periods = Math.ceil(ms / (periodSeconds * 1000));
  return { start: new Date(decision.start.getTime() - periods * periodSeconds * 1000), end: decision.start, periodSeconds };
}

/** The metrics of one resource kind and the windows (hours) of the rules judging it. */
export interface KindMetrics {
  readonly requests: readonly MetricRequest[];
  /** Windows of the rules that judge the kind; empty or absent: the whole look-back is the window. */
  readonly windowHours?: readonly number[];
}

/**
 * Reads the usage of a region: each kind's decision window at its period (kinds whose reads are
 * alike share calls), then, for the request series that show no request in it, the history
 * before it, so the evidence can name the last request. Busy series need no history: billed
 * metrics grow only by the idle candidates.
 */
export async function readUsage(
  cw: ClientRef<CloudWatchClient>,
  kinds: readonly KindMetrics[],
  opts: { now: Date; lookbackHours: number },
  meter?: MetricMeter,
): Promise<UsageSeries[]> {
  const groups = new Map<string, { read: MetricRead; requests: MetricRequest[] }>();
  for (const k of kinds) {
    if (k.requests.length === 0) continue;
    const read = decisionRead(opts.now, k.windowHours && k.windowHours.length > 0 ? k.windowHours : [opts.lookbackHours]);
    const key = `${read.start.getTime()}/${read.periodSeconds}`;
    const g = groups.get(key);
    if (g) g.requests.push(...k.requests);
    else groups.set(key, { read, requests: [...k.requests] });
  }
  // Reads of different windows are independent: they run side by side.
  const perGroup = await Promise.all(
    [...groups.values()].map(async ({ read, requests }) => {
      const decided = await readMetrics(cw, requests, read, read.periodSeconds, meter);
      const history = historyRead(opts.now, read, opts.lookbackHours);
      if (!history) return decided;
      const quiet = new Set(decided.filter((s) => s.signal === 'requests' && s.status !== 'error' && !s.points.some((p) => p.value > 0)).map(seriesKey));
      const older = requests.filter((r) => r.signal === 'requests' && quiet.has(seriesKey(r)));
      return older.length > 0 ? [...decided, ...(await readMetrics(cw, older, history, history.periodSeconds, meter))] : decided;
    }),
  );
  return perGroup.flat();
}

function seriesKey(s: { resourceId: string; component?: string | undefined; signal: string }): string {
  return `${s.resourceId}\u0000${s.component ?? ''}\u0000${s.signal}`;
}

function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
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
