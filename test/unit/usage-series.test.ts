import { describe, expect, it } from 'vitest';
import type { UsageSeries } from '../../shared/domain/usage.js';
import { decisionPeriodSeconds, decisionRead, historyRead, MAX_DATAPOINTS_PER_CALL, seriesPerCall } from '../../shared/providers/aws/metrics.js';
import { agoText, lastAboveZero, periodText, pointsIn, readWindow, seriesFor } from '../../shared/rules/series.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

function s(periodSeconds: number, hours: number, points: [hoursAgo: number, value: number][], over: Partial<UsageSeries> = {}): UsageSeries {
  return {
    resourceId: 'r',
    signal: 'requests',
    metric: 'm',
    unit: 'Count',
    window: { start: new Date(NOW.getTime() - hours * HOUR), end: NOW },
    periodSeconds,
    status: points.length > 0 ? 'present' : 'absent',
    points: points.map(([h, value]) => ({ at: new Date(NOW.getTime() - h * HOUR), value })),
    ...over,
  };
}

const last24h = { start: new Date(NOW.getTime() - 24 * HOUR), end: NOW };

describe('readWindow', () => {
  it('counts the periods of the window at the asked period, not at the spacing of the datapoints', () => {
    const r = readWindow(s(3600, 24, [[20, 0], [2, 0]]), last24h);
    expect([r.periods, r.points.length, r.coverage]).toEqual([24, 2, 2 / 24]);
    expect([r.sum, r.max]).toEqual([0, 0]);
  });

  it('includes a datapoint whose period overlaps the window start and excludes one that ends there', () => {
    const grid = s(3600, 48, [[25, 5], [24.5, 0], [24, 7]]);
    // Stamped 25 h ago, an hourly datapoint covers [25 h, 24 h) ago: it ends where the window starts.
    expect(readWindow(grid, last24h).points.map((p) => p.value)).toEqual([0, 7]);
  });

  it('counts a part of the window the series was never asked about as periods without datapoints', () => {
    expect(readWindow(s(3600, 6, [[6, 0], [5, 0], [4, 0], [3, 0], [2, 0], [1, 0]]), last24h).coverage).toBe(0.25);
  });

  it('ends the window where the series does when only the minute in progress is missing', () => {
    const series = s(300, 2, Array.from({ length: 24 }, (_, i) => [2 - i / 12, 0] as [number, number]));
    const r = readWindow(series, { start: new Date(NOW.getTime() - 2 * HOUR + 20_000), end: new Date(NOW.getTime() + 20_000) });
    expect([r.periods, r.coverage]).toEqual([24, 1]);
  });

  it('keeps no data as no data: absent, error and missing series have no sum', () => {
    const absent = readWindow(s(3600, 24, []), last24h);
    expect([absent.status, absent.coverage, absent.sum]).toEqual(['absent', 0, undefined]);
    expect(readWindow(s(3600, 24, [], { status: 'error', error: 'Throttling' }), last24h)).toMatchObject({ status: 'error', error: 'Throttling' });
    expect(readWindow(undefined, last24h)).toMatchObject({ status: 'missing', periods: 0 });
  });

  it('names the period of the last datapoint above zero', () => {
    const r = readWindow(s(3600, 24, [[10, 3], [9, 0]]), last24h);
    expect(r.lastAboveZero).toEqual({ start: new Date('2026-12-07T02:00:00Z'), end: new Date('2026-12-07T03:00:00Z'), periodSeconds: 3600 });
  });
});

describe('seriesFor and pointsIn', () => {
  it('picks the series that covers the window, the finer period first, and merges points of several', () => {
    const history = s(7200, 336, [[100, 4]], { window: { start: new Date(NOW.getTime() - 336 * HOUR), end: new Date(NOW.getTime() - 24 * HOUR) } });
    const hourly = s(3600, 24, [[3, 0]]);
    const perMinute = s(60, 24, [[3, 0]]);
    expect(seriesFor([history, hourly], { signal: 'requests' }, last24h)).toBe(hourly);
    expect(seriesFor([hourly, perMinute], { signal: 'requests' }, last24h)).toBe(perMinute);
    expect(seriesFor([hourly], { signal: 'heartbeat' }, last24h)).toBeUndefined();
    expect(pointsIn([history, hourly], { start: new Date(0), end: NOW }).map((p) => p.value)).toEqual([4, 0]);
  });

  it('finds the last request across series, each at its own period', () => {
    const history = s(7200, 336, [[50, 4]]);
    const hourly = s(3600, 24, [[49, 1]]);
    expect(lastAboveZero([history, hourly])?.end).toEqual(new Date(NOW.getTime() - 48 * HOUR));
  });
});

describe('evidence text', () => {
  it('states the period, exact to the minute only for one-minute periods', () => {
    const at = new Date('2026-12-06T09:00:00Z');
    expect(periodText({ start: at, end: new Date(at.getTime() + HOUR), periodSeconds: 3600 })).toBe('between 2026-12-06 09:00 and 10:00 UTC');
    expect(periodText({ start: new Date('2026-12-06T23:00:00Z'), end: new Date('2026-12-07T01:00:00Z'), periodSeconds: 7200 })).toBe('between 2026-12-06 23:00 and 2026-12-07 01:00 UTC');
    expect(periodText({ start: new Date('2026-12-06T09:32:00Z'), end: new Date('2026-12-06T09:33:00Z'), periodSeconds: 60 })).toBe('at 2026-12-06 09:32 UTC');
  });

  it('says how long ago as the range the period spans: hours below 36, days beyond, one figure when both ends agree', () => {
    const span = (hoursAgo: number, hours: number) => ({ start: new Date(NOW.getTime() - hoursAgo * HOUR), end: new Date(NOW.getTime() - (hoursAgo - hours) * HOUR), periodSeconds: hours * 3600 });
    expect(agoText(span(26, 1), NOW)).toBe('25–26 h');
    expect(agoText(span(26, 1 / 12), NOW)).toBe('26 h');
    expect(agoText(span(48, 2), NOW)).toBe('2 d');
    expect(agoText(span(0.2, 1 / 60), NOW)).toBe('12 min');
  });
});

describe('CloudWatch read plan', () => {
  it('reads a rule window in at least 24 periods, never coarser than an hour', () => {
    expect([168, 24, 12, 6, 2, 1, 0.25].map(decisionPeriodSeconds)).toEqual([3600, 3600, 1800, 900, 300, 120, 60]);
  });

  it('reads each kind back over its longest window at the period of its shortest, ending at the last whole minute', () => {
    const now = new Date('2026-12-07T12:00:40Z');
    expect(decisionRead(now, [24, 168])).toEqual({ start: new Date('2026-11-30T12:00:00Z'), end: new Date('2026-12-07T12:00:00Z'), periodSeconds: 3600 });
    expect(decisionRead(now, [2]).periodSeconds).toBe(300);
  });

  it('reads the history before the window in whole-hour periods that keep 500 series in one page', () => {
    const d = decisionRead(NOW, [24]);
    const h = historyRead(NOW, d, 336);
    expect(h).toEqual({ start: new Date(NOW.getTime() - 336 * HOUR), end: d.start, periodSeconds: 7200 });
    expect(500 * Math.ceil((h!.end.getTime() - h!.start.getTime()) / 7_200_000)).toBeLessThanOrEqual(MAX_DATAPOINTS_PER_CALL);
    expect(historyRead(NOW, decisionRead(NOW, [336]), 336)).toBeUndefined();
  });

  it('puts 500 series in a call while they fit in one page of 100,800 datapoints, fewer beyond', () => {
    const w = (hours: number) => ({ start: new Date(NOW.getTime() - hours * HOUR), end: NOW });
    expect(seriesPerCall(w(168), 3600)).toBe(500);
    expect(seriesPerCall(w(336), 3600)).toBe(300);
    expect(seriesPerCall(w(24), 60)).toBe(70);
  });
});
