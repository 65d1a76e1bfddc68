import { describe, expect, it } from 'vitest';
import { aggregate, compileSeries, intersect, type Statistic } from '../../shared/sandbox/series.js';
import type { SeriesSpec } from '../../shared/sandbox/world.js';

const NOW = Date.parse('2025-06-18T12:00:00Z'); // a Wednesday
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Hourly values over [from, to) as `HH:MM value` strings, for readable expectations. */
function hourly(spec: SeriesSpec, from: number, to: number, stat: Statistic = 'Sum', period = HOUR): string[] {
  const { timestamps, values } = aggregate(compileSeries(spec, NOW)(from, to), from, period, stat);
  return timestamps.map((t, i) => `${new Date(t).toISOString().slice(5, 16)} ${values[i]}`);
}

describe('series generators', () => {
  it('constant: one datapoint a minute, so an hourly Sum is 60 × value and Average is value', () => {
    expect(hourly({ constant: 3 }, NOW - 2 * HOUR, NOW)).toEqual(['06-18T10:00 180', '06-18T11:00 180']);
    expect(hourly({ constant: 3 }, NOW - 2 * HOUR, NOW, 'Average')).toEqual(['06-18T10:00 3', '06-18T11:00 3']);
    expect(hourly({ constant: 3 }, NOW - 2 * HOUR, NOW, 'SampleCount')).toEqual(['06-18T10:00 60', '06-18T11:00 60']);
  });

  it('constant 0 publishes zeros; absent publishes nothing', () => {
    expect(hourly({ constant: 0 }, NOW - HOUR, NOW)).toEqual(['06-18T11:00 0']);
    expect(hourly({ absent: true }, NOW - DAY, NOW)).toEqual([]);
  });

  it('daily: the value during the listed UTC hours, otherwise elsewhere (nothing when otherwise is omitted)', () => {
    const window = [Date.parse('2025-06-18T00:00:00Z'), Date.parse('2025-06-18T04:00:00Z')] as const;
    expect(hourly({ daily: { hours: [2], value: 10, otherwise: 0 } }, ...window)).toEqual([
      '06-18T00:00 0',
      '06-18T01:00 0',
      '06-18T02:00 600',
      '06-18T03:00 0',
    ]);
    expect(hourly({ daily: { hours: [2], value: 10 } }, ...window)).toEqual(['06-18T02:00 600']);
  });

  it('weekly: only on the listed days and hours', () => {
    const week = hourly({ weekly: { days: ['sun'], hours: [3], value: 1, otherwise: 0 } }, NOW - 7 * DAY, NOW, 'Sum', DAY);
    expect(week.filter((p) => !p.endsWith(' 0'))).toEqual(['06-14T12:00 60']);
    // Daily periods start at 12:00, so each whole Monday or Wednesday is split over two periods.
    expect(hourly({ weekly: { days: ['mon', 'wed'], value: 1 } }, NOW - 7 * DAY, NOW, 'Sum', DAY)).toEqual([
      '06-11T12:00 720',
      '06-15T12:00 720',
      '06-16T12:00 720',
      '06-17T12:00 720',
    ]);
  });

  it('bursts: value for durationMinutes every everyHours from midnight UTC', () => {
    const spec: SeriesSpec = { bursts: { everyHours: 6, durationMinutes: 10, offsetMinutes: 30, value: 5, otherwise: 0 } };
    const out = hourly(spec, Date.parse('2025-06-18T00:00:00Z'), Date.parse('2025-06-18T12:00:00Z'));
    expect(out.filter((p) => !p.endsWith(' 0'))).toEqual(['06-18T00:00 50', '06-18T06:00 50']);
    expect(out).toHaveLength(12);
  });

  it('points: one datapoint at each listed minute, times relative to the world now', () => {
    const spec: SeriesSpec = { points: [['-90m', 4], ['2025-06-18T11:59:30Z', 6], ['-1m', 1]] };
    expect(hourly(spec, NOW - 2 * HOUR, NOW)).toEqual(['06-18T10:00 4', '06-18T11:00 7']);
    expect(hourly(spec, NOW - 2 * HOUR, NOW, 'SampleCount')).toEqual(['06-18T10:00 1', '06-18T11:00 2']);
    expect(hourly(spec, NOW - 2 * HOUR, NOW, 'Maximum')).toEqual(['06-18T10:00 4', '06-18T11:00 6']);
  });

  it('gaps, from and until remove datapoints', () => {
    expect(hourly({ constant: 1, gaps: [{ from: '-90m', to: '-60m' }] }, NOW - 2 * HOUR, NOW)).toEqual(['06-18T10:00 30', '06-18T11:00 60']);
    expect(hourly({ constant: 1, from: '-3h', until: '-1h' }, NOW - 5 * HOUR, NOW)).toEqual(['06-18T09:00 60', '06-18T10:00 60']);
    expect(hourly({ constant: 1, gaps: [{ from: '-2h', to: 'now' }] }, NOW - 2 * HOUR, NOW)).toEqual([]);
  });

  it('evaluates lazily: a year at 1-minute resolution in runs, not minutes', () => {
    const runs = compileSeries({ daily: { hours: [2], value: 5, otherwise: 0 } }, NOW)(NOW - 365 * DAY, NOW);
    expect(runs.length).toBeLessThanOrEqual(2 * 366 + 1);
    const { values } = aggregate(runs, NOW - 365 * DAY, DAY, 'Sum');
    expect(values).toHaveLength(365);
    expect(values.every((v) => v === 300)).toBe(true);
  });

  it('intersect keeps only the minutes inside the allowed intervals', () => {
    const runs = compileSeries({ constant: 1 }, NOW)(NOW - 4 * HOUR, NOW);
    const alive = intersect(runs, [
      { start: NOW - 4 * HOUR, end: NOW - 3 * HOUR },
      { start: NOW - HOUR + 30_000, end: Infinity },
    ]);
    const { timestamps, values } = aggregate(alive, NOW - 4 * HOUR, HOUR, 'SampleCount');
    expect(timestamps.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['08:00', '11:00']);
    expect(values).toEqual([60, 59]);
  });
});

describe('random series generator', () => {
  const spec = (share: number, otherwise?: number, seed = 3): SeriesSpec => ({ random: { share, value: 0, seed, ...(otherwise !== undefined ? { otherwise } : {}) } });

  it('publishes the value on about `share` of the minutes and nothing elsewhere: sparse zeros', () => {
    const runs = compileSeries(spec(0.05), NOW)(NOW - DAY, NOW);
    const minutes = runs.reduce((n, r) => n + (r.end - r.start) / 60_000, 0);
    expect(minutes).toBeGreaterThan(1440 * 0.03);
    expect(minutes).toBeLessThan(1440 * 0.07);
    expect(runs.every((r) => r.value === 0)).toBe(true);
  });

  it('answers the same minutes whatever the query range, and differently for another seed', () => {
    const f = compileSeries(spec(0.1), NOW);
    const whole = f(NOW - DAY, NOW).filter((r) => r.start >= NOW - 6 * HOUR);
    expect(f(NOW - 6 * HOUR, NOW)).toEqual(whole);
    expect(compileSeries(spec(0.1, undefined, 4), NOW)(NOW - 6 * HOUR, NOW)).not.toEqual(whole);
  });

  it('fills the other minutes with `otherwise`: random traffic over zeros', () => {
    const runs = compileSeries({ random: { share: 0.01, value: 5, otherwise: 0, seed: 1 } }, NOW)(NOW - DAY, NOW);
    expect(runs.reduce((n, r) => n + (r.end - r.start) / 60_000, 0)).toBe(1440);
    expect(runs.some((r) => r.value === 5)).toBe(true);
  });
});
