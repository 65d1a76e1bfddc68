import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { readMetrics, type MetricRequest } from '../../shared/providers/aws/metrics.js';
import { readWindow } from '../../shared/rules/series.js';

/*
 * readMetrics keeps each series' datapoints as numbers until they are read (memory flat in the
 * number of points held by a region being read): to every reader the series must look exactly as
 * an array of { at, value } objects would, oldest first, inverted where asked.
 */

const T0 = Date.UTC(2025, 5, 16, 0, 0, 0);
const H = 3_600_000;
const at = (h: number) => new Date(T0 + h * H);

/** A CloudWatch client answering one page: per query id, timestamps (hours after T0) and values, in the order given. */
function fakeCloudWatch(pages: Record<string, { hours: number[]; values: number[] }>): CloudWatchClient {
  return {
    send: async () => ({
      MetricDataResults: Object.entries(pages).map(([Id, p]) => ({ Id, Timestamps: p.hours.map(at), Values: p.values })),
    }),
  } as unknown as CloudWatchClient;
}

const request = (resourceId: string, extra: Partial<MetricRequest> = {}): MetricRequest => ({
  resourceId,
  signal: 'requests',
  namespace: 'AWS/SageMaker',
  metricName: 'Invocations',
  dimensions: { EndpointName: resourceId, VariantName: 'AllTraffic' },
  stat: 'Sum',
  unit: 'Count',
  ...extra,
});

describe('readMetrics datapoints', () => {
  const window = { start: at(0), end: at(6) };

  it('gives the points oldest first whatever the order CloudWatch returned, sharing one Date per instant', async () => {
    const cw = fakeCloudWatch({ m0: { hours: [3, 1, 2], values: [30, 10, 20] }, m1: { hours: [1, 3], values: [0, 5] } });
    const [a, b] = await readMetrics(cw, [request('a'), request('b')], window, 3600);
    expect(a!.status).toBe('present');
    expect(a!.points).toEqual([
      { at: at(1), value: 10 },
      { at: at(2), value: 20 },
      { at: at(3), value: 30 },
    ]);
    expect(b!.points.map((p) => p.value)).toEqual([0, 5]);
    // One Date per instant across the batch's series.
    expect(a!.points[0]!.at).toBe(b!.points[0]!.at);
  });

  it('is an ordinary series to spread, JSON and the series readers; an inverted metric carries 100 − value', async () => {
    const cw = fakeCloudWatch({ m0: { hours: [0, 1], values: [99.5, 100] } });
    const [s] = await readMetrics(cw, [request('nb', { signal: 'cpu', metricName: 'cpu_usage_idle', namespace: 'CWAgent', invert: true, stat: 'Average', unit: 'Percent' })], window, 3600);
    expect(s!.metric).toBe('CWAgent:100-cpu_usage_idle');
    expect(s!.points).toEqual([
      { at: at(0), value: 0.5 },
      { at: at(1), value: 0 },
    ]);
    expect({ ...s! }.points).toEqual(s!.points);
    expect(Object.keys(s!)).toContain('points');
    expect(JSON.parse(JSON.stringify(s))).toMatchObject({ points: [{ at: at(0).toISOString(), value: 0.5 }, { at: at(1).toISOString(), value: 0 }] });
    const r = readWindow(s!, window);
    expect(r.sum).toBeCloseTo(0.5);
    expect(r.lastAboveZero?.start).toEqual(at(0));
  });

  it('a series without datapoints is absent with no points, and a failed call is an error with none', async () => {
    const [absent] = await readMetrics(fakeCloudWatch({}), [request('idle')], window, 3600);
    expect(absent).toMatchObject({ status: 'absent', points: [] });
    const failing = { send: async () => Promise.reject(Object.assign(new Error('slow down'), { name: 'Throttling' })) } as unknown as CloudWatchClient;
    const [err] = await readMetrics(failing, [request('x')], window, 3600);
    expect(err).toMatchObject({ status: 'error', points: [], error: 'GetMetricData failed: Throttling: slow down' });
  });
});
