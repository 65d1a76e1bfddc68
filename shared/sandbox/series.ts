import { floorMinute, MINUTE_MS, resolveTime } from './time.js';
import { WEEK_DAYS, type SeriesSpec } from './world.js';

/*
 * Series are never materialised: a benchmark world holds tens of thousands of metrics over
 * weeks. A generator answers "which minutes in [from, to) carry which value" as a few runs of
 * equal values, and aggregation walks runs × periods, not minutes.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Consecutive minutes [start, end) that each carry one datapoint of `value`. Both ends minute-aligned. */
export interface Run {
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

/** A half-open time interval in epoch ms; `end` may be Infinity. */
export interface Interval {
  start: number;
  end: number;
}

/** A compiled series: the runs of datapoints inside [from, to), both minute-aligned. */
export type SeriesFn = (from: number, to: number) => Run[];

/** The statistics GetMetricData can compute over sandbox datapoints. */
export type Statistic = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount';

/** Compiles a series spec; relative times are resolved against `worldNowMs`. */
export function compileSeries(spec: SeriesSpec, worldNowMs: number): SeriesFn {
  const generate = generator(spec, worldNowMs);
  const lo = spec.from === undefined ? -Infinity : ceilMinute(resolveTime(spec.from, worldNowMs));
  const hi = spec.until === undefined ? Infinity : ceilMinute(resolveTime(spec.until, worldNowMs));
  const gaps = (spec.gaps ?? [])
    .map((g) => ({ start: ceilMinute(resolveTime(g.from, worldNowMs)), end: ceilMinute(resolveTime(g.to, worldNowMs)) }))
    .filter((g) => g.end > g.start);
  return (from, to) => {
    const a = Math.max(from, lo);
    const b = Math.min(to, hi);
    if (b <= a) return [];
    const runs = generate(a, b);
    return gaps.length === 0 ? runs : subtract(runs, gaps);
  };
}

function generator(spec: SeriesSpec, nowMs: number): SeriesFn {
  if (spec.constant !== undefined) {
    const v = spec.constant;
    return (from, to) => [{ start: from, end: to, value: v }];
  }
  if (spec.daily) {
    const { value, otherwise } = spec.daily;
    const hours = new Set(spec.daily.hours);
    return hourly((h) => (hours.has(utcHour(h)) ? value : otherwise));
  }
  if (spec.weekly) {
    const { value, otherwise } = spec.weekly;
    const days = new Set(spec.weekly.days.map((d) => WEEK_DAYS.indexOf(d)));
    const hours = spec.weekly.hours ? new Set(spec.weekly.hours) : undefined;
    return hourly((h) => (days.has(utcDay(h)) && (!hours || hours.has(utcHour(h))) ? value : otherwise));
  }
  if (spec.bursts) {
    const { value, otherwise } = spec.bursts;
    const every = Math.max(MINUTE_MS, floorMinute(spec.bursts.everyHours * HOUR_MS));
    const duration = spec.bursts.durationMinutes * MINUTE_MS;
    const offset = spec.bursts.offsetMinutes * MINUTE_MS;
    return (from, to) => {
      const out: Run[] = [];
      for (let c = Math.floor((from - offset) / every); c * every + offset < to; c++) {
        const start = c * every + offset;
        push(out, Math.max(start, from), Math.min(start + duration, to), value);
        if (otherwise !== undefined) push(out, Math.max(start + duration, from), Math.min(start + every, to), otherwise);
      }
      return out;
    };
  }
  if (spec.random) {
    const { share, value, otherwise, seed } = spec.random;
    return (from, to) => {
      const out: Run[] = [];
      for (let m = from; m < to; m += MINUTE_MS) {
        if (minuteDraw(m, seed) < share) push(out, m, m + MINUTE_MS, value);
        else if (otherwise !== undefined) push(out, m, m + MINUTE_MS, otherwise);
      }
      return out;
    };
  }
  if (spec.points) {
    const points = spec.points
      .map(([t, v]) => ({ at: floorMinute(resolveTime(t, nowMs)), value: v }))
      .sort((x, y) => x.at - y.at);
    return (from, to) => points.filter((p) => p.at >= from && p.at < to).map((p) => ({ start: p.at, end: p.at + MINUTE_MS, value: p.value }));
  }
  return () => [];
}

/** A uniform draw in [0, 1) fixed by the minute and the seed, so a `random` series answers the same whatever the query. */
function minuteDraw(ms: number, seed: number): number {
  let t = (Math.floor(ms / MINUTE_MS) ^ Math.imul(seed + 1, 0x9e3779b9)) >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return ((t ^ (t >>> 15)) >>> 0) / 4_294_967_296;
}

/** A generator whose value is decided hour by hour (undefined = no datapoints that hour). */
function hourly(valueAt: (hourStart: number) => number | undefined): SeriesFn {
  return (from, to) => {
    const out: Run[] = [];
    for (let h = Math.floor(from / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS) {
      const v = valueAt(h);
      if (v !== undefined) push(out, Math.max(h, from), Math.min(h + HOUR_MS, to), v);
    }
    return out;
  };
}

/** Appends a run, merging it with the previous one when they touch and carry the same value. */
function push(out: Run[], start: number, end: number, value: number): void {
  if (end <= start) return;
  const last = out[out.length - 1];
  if (last && last.end === start && last.value === value) out[out.length - 1] = { start: last.start, end, value };
  else out.push({ start, end, value });
}

function utcHour(ms: number): number {
  return ((Math.floor(ms / HOUR_MS) % 24) + 24) % 24;
}

/** 0 = Sunday, as `Date#getUTCDay`; 1970-01-01 was a Thursday. */
function utcDay(ms: number): number {
  return (((Math.floor(ms / DAY_MS) + 4) % 7) + 7) % 7;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

/** Removes the minutes inside any of `holes` from the runs. */
export function subtract(runs: readonly Run[], holes: readonly Interval[]): Run[] {
  const out: Run[] = [];
  for (const run of runs) {
    let pieces: Run[] = [run];
    for (const hole of holes) {
      const next: Run[] = [];
      for (const p of pieces) {
        if (hole.end <= p.start || hole.start >= p.end) next.push(p);
        else {
          if (hole.start > p.start) next.push({ start: p.start, end: hole.start, value: p.value });
          if (hole.end < p.end) next.push({ start: hole.end, end: p.end, value: p.value });
        }
      }
      pieces = next;
    }
    out.push(...pieces);
  }
  return out;
}

/** Keeps only the minutes inside one of `allowed` (sorted, non-overlapping). */
export function intersect(runs: readonly Run[], allowed: readonly Interval[]): Run[] {
  const out: Run[] = [];
  for (const run of runs) {
    for (const a of allowed) {
      const start = Math.max(run.start, ceilMinute(a.start));
      const end = Math.min(run.end, a.end === Infinity ? Infinity : ceilMinute(a.end));
      if (end > start) out.push({ start, end, value: run.value });
    }
  }
  return out;
}

/** Whether any run carries at least one datapoint. */
export function hasData(runs: readonly Run[]): boolean {
  return runs.some((r) => r.end > r.start);
}

/**
 * Aggregates runs into periods starting at `base` (minute-aligned); one datapoint per period
 * that holds at least one minute of data, in ascending time. Empty periods yield nothing.
 */
export function aggregate(
  runs: readonly Run[],
  base: number,
  periodMs: number,
  stat: Statistic,
): { timestamps: number[]; values: number[] } {
  let end = base;
  for (const run of runs) if (run.end > end) end = run.end;
  const n = Math.ceil((end - base) / periodMs);
  // Dense per-period accumulators: runs are few, periods bounded by the queried window.
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  const min = new Float64Array(n).fill(Infinity);
  const max = new Float64Array(n).fill(-Infinity);
  for (const run of runs) {
    const lastMinute = run.end - MINUTE_MS;
    if (lastMinute < run.start || run.start < base) continue;
    const k0 = Math.floor((run.start - base) / periodMs);
    const k1 = Math.floor((lastMinute - base) / periodMs);
    for (let k = k0; k <= k1; k++) {
      const lo = Math.max(run.start, base + k * periodMs);
      const hi = Math.min(run.end, base + (k + 1) * periodMs);
      const first = ceilMinute(lo);
      if (first >= hi) continue;
      const c = Math.floor((hi - 1 - first) / MINUTE_MS) + 1;
      sum[k] = (sum[k] ?? 0) + c * run.value;
      count[k] = (count[k] ?? 0) + c;
      if (run.value < (min[k] ?? Infinity)) min[k] = run.value;
      if (run.value > (max[k] ?? -Infinity)) max[k] = run.value;
    }
  }
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = count[k] ?? 0;
    if (c === 0) continue;
    const s = sum[k] ?? 0;
    timestamps.push(base + k * periodMs);
    values.push(stat === 'Sum' ? s : stat === 'Average' ? s / c : stat === 'Maximum' ? (max[k] ?? 0) : stat === 'Minimum' ? (min[k] ?? 0) : c);
  }
  return { timestamps, values };
}
