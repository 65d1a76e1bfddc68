import type { UsagePoint, UsageSeries, UsageSignal } from '../domain/usage.js';

/*
 * Reading usage series, for every rule of every cloud. Pure: no I/O, no SDK.
 *
 * A series is what the cloud was asked for: a window and a period (`UsageSeries.periodSeconds`,
 * set by the collector from the query it made). Its periods are counted from `window.start`; a
 * datapoint stamped `at` summarises [at, at + period). Nothing here guesses a period from the
 * spacing of the datapoints: a series with two zeros 18 h apart, read hourly, has two hourly
 * datapoints out of 24 periods, not two 18-hour ones.
 *
 * - `readWindow(series, window)`: which periods of a window have datapoints, and what they say
 *   (coverage, sum, peak, the last period above zero).
 * - `seriesFor(usage, match, window)`: the one series of a signal that answers for a window.
 * - `pointsIn(series, window)`: the datapoints of several series whose period overlaps a window.
 * - `lastAboveZero(series)`, `periodText`, `agoText`: "last request seen between 2026-12-06
 *   09:00 and 10:00 UTC (25–26 h ago)", exact to the minute only where the period is a minute.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Share of a window's periods that zero datapoints must cover to prove "no use" (`high` confidence). */
export const PROVEN_COVERAGE = 0.9;

/** A time window [start, end). */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** One period of a series: the datapoint stamped `start` summarises [start, end). */
export interface PeriodSpan {
  readonly start: Date;
  readonly end: Date;
  readonly periodSeconds: number;
}

/** What one series says about one window. */
export interface WindowReading {
  /** `missing` when no series was given; otherwise the series' own status. */
  readonly status: UsageSeries['status'] | 'missing';
  /** Why the series is `error`, when it is. */
  readonly error?: string;
  /** The series' period; undefined when no series was given. */
  readonly periodSeconds?: number;
  /** Periods of the series' grid that overlap the window: the datapoints it could have. */
  readonly periods: number;
  /** Datapoints whose period overlaps the window, oldest first, one per period. */
  readonly points: readonly UsagePoint[];
  /** `points.length / periods`, 0–1 (0 without datapoints). */
  readonly coverage: number;
  /** Sum, peak and mean of `points`; undefined without datapoints (never 0 for no data). */
  readonly sum?: number;
  readonly max?: number;
  readonly mean?: number;
  /** The period of the latest datapoint above zero inside the window. */
  readonly lastAboveZero?: PeriodSpan;
}

export function periodMs(s: UsageSeries): number {
  // A series without a usable period is read as one-minute datapoints: the finest any cloud
  // reports, so it can never make a few datapoints cover more of a window than they do.
  return Number.isFinite(s.periodSeconds) && s.periodSeconds > 0 ? s.periodSeconds * 1000 : MINUTE_MS;
}

/**
 * The window as the series can answer for it. The minute still in progress has no data in any
 * cloud yet: when the series was read up to less than a minute before the window's end, the
 * window ends where the series does.
 */
function clip(s: UsageSeries, w: TimeWindow): { start: number; end: number } {
  const end = w.end.getTime();
  const asked = s.window.end.getTime();
  return { start: w.start.getTime(), end: asked < end && end - asked < MINUTE_MS ? asked : end };
}

/** Whether the datapoint's period [at, at + period) overlaps [start, end). */
function overlaps(at: number, period: number, start: number, end: number): boolean {
  return at + period > start && at < end;
}

/**
 * Which periods of `window` the series has datapoints for, and what they say. The periods are
 * the series' own (counted from `series.window.start` every `periodSeconds`); a period of the
 * window the series was not asked about counts as one without a datapoint.
 */
export function readWindow(series: UsageSeries | undefined, window: TimeWindow): WindowReading {
  if (!series) return { status: 'missing', periods: 0, points: [], coverage: 0 };
  const p = periodMs(series);
  const { start, end } = clip(series, window);
  const anchor = series.window.start.getTime();
  const periods = end > start ? Math.max(0, Math.ceil((end - anchor) / p) - Math.floor((start - anchor) / p)) : 0;
  const base = { status: series.status, periodSeconds: p / 1000, periods, ...(series.error !== undefined ? { error: series.error } : {}) };
  if (series.status !== 'present') return { ...base, points: [], coverage: 0 };
  const seen = new Set<number>();
  const points: UsagePoint[] = [];
  for (const pt of series.points) {
    const at = pt.at.getTime();
    if (!Number.isFinite(pt.value) || !overlaps(at, p, start, end) || seen.has(at)) continue;
    seen.add(at);
    points.push(pt);
  }
  points.sort((a, b) => a.at.getTime() - b.at.getTime());
  if (points.length === 0) return { ...base, points, coverage: 0 };
  let sum = 0;
  let max = -Infinity;
  let last: UsagePoint | undefined;
  for (const pt of points) {
    sum += pt.value;
    if (pt.value > max) max = pt.value;
    if (pt.value > 0) last = pt;
  }
  return {
    ...base,
    points,
    coverage: periods > 0 ? Math.min(1, points.length / periods) : 0,
    sum,
    max,
    mean: sum / points.length,
    ...(last ? { lastAboveZero: spanOf(last, p) } : {}),
  };
}

/** Which series to pick: its signal, and its component when the resource has several. */
export interface SeriesMatch {
  readonly signal: UsageSignal;
  /** Variant / deployed model / deployment; omit to match series of the whole resource too. */
  readonly component?: string;
}

/**
 * The series of a signal that answers for `window`: among the matching series, the one whose
 * asked window covers most of it, the finer period first. Undefined when none matches. A
 * collector may return several series of one signal (say, the decision window read hourly and
 * older history read in 2-hour periods); a rule judges a window by one of them.
 */
export function seriesFor(usage: readonly UsageSeries[], match: SeriesMatch, window: TimeWindow): UsageSeries | undefined {
  let best: UsageSeries | undefined;
  let bestOverlap = -1;
  const ws = window.start.getTime();
  const we = window.end.getTime();
  for (const s of usage) {
    if (s.signal !== match.signal) continue;
    if (match.component !== undefined && s.component !== match.component) continue;
    const overlap = Math.max(0, Math.min(we, s.window.end.getTime()) - Math.max(ws, s.window.start.getTime()));
    // Within a minute of each other, two windows cover the window alike: the finer period wins.
    const better = !best || overlap > bestOverlap + MINUTE_MS || (Math.abs(overlap - bestOverlap) <= MINUTE_MS && periodMs(s) < periodMs(best));
    if (better) {
      best = s;
      bestOverlap = overlap;
    }
  }
  return best;
}

/** Datapoints of the present series whose period overlaps `window`, oldest first; "no data" stays empty, never zeros. */
export function pointsIn(series: readonly UsageSeries[], window: TimeWindow): UsagePoint[] {
  const out: UsagePoint[] = [];
  for (const s of series) out.push(...readWindow(s, window).points);
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The period of the latest datapoint above zero across the series (each with its own period), before `before` when given. */
export function lastAboveZero(series: readonly UsageSeries[], before?: Date): PeriodSpan | undefined {
  let best: PeriodSpan | undefined;
  for (const s of series) {
    if (s.status !== 'present') continue;
    const p = periodMs(s);
    for (const pt of s.points) {
      if (!(pt.value > 0) || (before && pt.at.getTime() >= before.getTime())) continue;
      const span = spanOf(pt, p);
      // Of two periods, the one ending later holds the later possible request.
      if (!best || span.end.getTime() > best.end.getTime()) best = span;
    }
  }
  return best;
}

function spanOf(pt: UsagePoint, periodMsValue: number): PeriodSpan {
  return { start: pt.at, end: new Date(pt.at.getTime() + periodMsValue), periodSeconds: periodMsValue / 1000 };
}

/**
 * When something happened, as precisely as the period allows: `at 2026-12-05 09:32 UTC` for a
 * one-minute period, otherwise `between 2026-12-05 09:00 and 10:00 UTC` (both dates when the
 * period crosses midnight).
 */
export function periodText(span: PeriodSpan): string {
  const a = span.start.toISOString();
  if (span.end.getTime() - span.start.getTime() <= MINUTE_MS) return `at ${a.slice(0, 10)} ${a.slice(11, 16)} UTC`;
  const b = span.end.toISOString();
  const sameDay = a.slice(0, 10) === b.slice(0, 10);
  return `between ${a.slice(0, 10)} ${a.slice(11, 16)} and ${sameDay ? '' : `${b.slice(0, 10)} `}${b.slice(11, 16)} UTC`;
}

/**
 * How long ago a period was, as a range when its ends read differently: `24–25 h` for an hourly
 * period a day back, `2 d` when both ends round to the same day (days from 36 hours), `12 min`
 * for a one-minute period. Never a single instant the period cannot vouch for.
 */
export function agoText(span: PeriodSpan, now: Date): string {
  const recent = Math.max(0, now.getTime() - span.end.getTime());
  const oldest = Math.max(0, now.getTime() - span.start.getTime());
  const [unit, div] = oldest < HOUR_MS ? ['min', MINUTE_MS] : oldest < 36 * HOUR_MS ? ['h', HOUR_MS] : ['d', 24 * HOUR_MS];
  const lo = Math.round(recent / div);
  const hi = Math.max(1, Math.round(oldest / div));
  const minute = span.end.getTime() - span.start.getTime() <= MINUTE_MS;
  return lo === hi || minute ? `${hi} ${unit}` : `${lo}–${hi} ${unit}`;
}

/** Hours between the earliest asked start of the series and `now`: how far back they were read. */
export function hoursRead(series: readonly UsageSeries[], now: Date): number {
  let earliest = Infinity;
  for (const s of series) earliest = Math.min(earliest, s.window.start.getTime());
  return earliest === Infinity ? 0 : Math.round((now.getTime() - earliest) / HOUR_MS);
}
