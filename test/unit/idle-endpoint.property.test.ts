import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import type { UsageSeries } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { decisionRead, historyRead } from '../../shared/providers/aws/metrics.js';
import { FULL_COVERAGE, idleEndpoint } from '../../shared/rules/idle-endpoint.js';
import { aggregate, type Run } from '../../shared/sandbox/series.js';

/*
 * Random minute-level truths (what an endpoint really served, and when the cloud published a
 * datapoint), read the way the AWS collector reads them — the decision window at the period it
 * asks for, the history before it only when no request shows in the window — aggregated as
 * CloudWatch aggregates. Whatever the shape (sparse zeros, outages, bursts, traffic only before
 * the window), the verdict must hold to the truth.
 */

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-28T12:00:00Z');
const prices = new PriceBook();
const LOOKBACK_HOURS = 336;

const resource: Resource = {
  cloud: 'aws',
  scope: { cloud: 'aws', id: '111111111111' },
  region: 'us-east-1',
  kind: 'aws.sagemaker.endpoint',
  id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/prop',
  name: 'prop',
  tags: {},
  state: 'InService',
  lifecycle: 'running',
  createdAt: new Date(NOW - 60 * 24 * HOUR),
  components: [{ name: 'AllTraffic', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' }],
  attributes: { endpointConfigName: 'prop-config', asynchronous: false },
};

/** A stretch of minutes (relative to the rule window's start) holding one kind of value. */
interface Stretch {
  from: number;
  minutes: number;
  value: 'none' | 'zero' | 'requests';
}

interface Truth {
  windowHours: number;
  extraHours: number;
  base: 'none' | 'zero';
  stretches: Stretch[];
  /** Minutes (relative to the read's start) that carry a zero in a base of 'none': sparse zeros. */
  sparseZeros: number[];
  heartbeat: 'present' | 'absent' | 'partial';
}

const truthArb: fc.Arbitrary<Truth> = fc
  .record({
    windowHours: fc.constantFrom(1, 2, 3, 6, 12, 24, 48, 72),
    extraHours: fc.constantFrom(0, 0, 24, 144),
    base: fc.constantFrom<'none' | 'zero'>('none', 'zero', 'zero'),
    heartbeat: fc.constantFrom<'present' | 'absent' | 'partial'>('present', 'absent', 'partial'),
    stretchSeeds: fc.array(fc.record({ at: fc.double({ min: -0.5, max: 1, noNaN: true }), len: fc.double({ min: 0, max: 0.4, noNaN: true }), value: fc.constantFrom<Stretch['value']>('none', 'zero', 'requests', 'requests') }), { maxLength: 5 }),
    sparseSeeds: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
  })
  .map(({ windowHours, extraHours, base, heartbeat, stretchSeeds, sparseSeeds }) => {
    // Stretches are placed relative to the rule window: `at` in [-0.5, 1) of its length, so about a third start before it.
    const span = windowHours * 60;
    return {
      windowHours,
      extraHours,
      base,
      heartbeat,
      stretches: stretchSeeds.map((s) => ({ from: Math.floor(s.at * span), minutes: Math.max(1, Math.floor(s.len * span)), value: s.value })),
      sparseZeros: sparseSeeds.map((x) => Math.floor(x * span)),
    };
  });

/** The minute-level truth from `readStart` to now: one value per minute, NaN where the cloud published nothing. */
interface Minutes {
  readonly start: number;
  readonly values: Float64Array;
}

function minutes(t: Truth, windowStart: number, readStart: number): Minutes {
  const values = new Float64Array((NOW - readStart) / MIN).fill(t.base === 'zero' ? 0 : NaN);
  const set = (m: number, v: number) => {
    const i = (m - readStart) / MIN;
    if (i >= 0 && i < values.length) values[i] = v;
  };
  for (const z of t.sparseZeros) set(windowStart + z * MIN, 0);
  for (const st of t.stretches) {
    for (let k = 0; k < st.minutes; k++) set(windowStart + (st.from + k) * MIN, st.value === 'none' ? NaN : st.value === 'zero' ? 0 : 1 + (k % 3));
  }
  return { start: readStart, values };
}

function runsOf(truth: Minutes, from: number, to: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < truth.values.length; i++) {
    const m = truth.start + i * MIN;
    const v = truth.values[i] ?? NaN;
    if (Number.isNaN(v) || m < from || m >= to) continue;
    const last = runs[runs.length - 1];
    if (last && last.end === m && last.value === v) runs[runs.length - 1] = { start: last.start, end: m + MIN, value: v };
    else runs.push({ start: m, end: m + MIN, value: v });
  }
  return runs;
}

function series(signal: 'requests' | 'heartbeat', runs: Run[], read: { start: Date; end: Date; periodSeconds: number }, stat: 'Sum' | 'Average'): UsageSeries {
  const agg = aggregate(runs, read.start.getTime(), read.periodSeconds * 1000, stat);
  return {
    resourceId: resource.id,
    component: 'AllTraffic',
    signal,
    metric: signal,
    unit: 'Count',
    window: { start: read.start, end: read.end },
    periodSeconds: read.periodSeconds,
    status: agg.timestamps.length > 0 ? 'present' : 'absent',
    points: agg.timestamps.map((at, i) => ({ at: new Date(at), value: agg.values[i] ?? 0 })),
  };
}

function evaluate(t: Truth) {
  const now = new Date(NOW);
  const windows = t.extraHours > 0 ? [t.windowHours, t.windowHours + t.extraHours] : [t.windowHours];
  const decision = decisionRead(now, windows);
  const history = historyRead(now, decision, LOOKBACK_HOURS);
  const readStart = (history ?? decision).start.getTime();
  const windowStart = NOW - t.windowHours * HOUR;
  const truth = minutes(t, windowStart, readStart);
  const decided = series('requests', runsOf(truth, decision.start.getTime(), NOW), decision, 'Sum');
  const usage: UsageSeries[] = [decided];
  // As the collector does: the history only for a request series without a request in its window.
  if (history && !decided.points.some((p) => p.value > 0)) usage.push(series('requests', runsOf(truth, history.start.getTime(), history.end.getTime()), history, 'Sum'));
  const beatRuns: Run[] =
    t.heartbeat === 'absent' ? [] : [{ start: t.heartbeat === 'partial' ? NOW - Math.ceil(t.windowHours / 3) * HOUR : decision.start.getTime(), end: NOW, value: 30 }];
  usage.push({ ...series('heartbeat', beatRuns, decision, 'Average'), signal: 'heartbeat' });
  const result = idleEndpoint.evaluate({ resource, usage, settings: { windowHours: t.windowHours, minAgeHours: 1 }, now, prices });
  return { result, truth, decision, windowStart };
}

/** Share of the rule window's periods (at the asked period) holding a zero and no request: computed from the truth alone. */
function zeroCoverage(truth: Minutes, windowStart: number, periodMs: number): number {
  let periods = 0;
  let zeros = 0;
  for (let p = windowStart; p < NOW; p += periodMs) {
    periods++;
    let zero = false;
    let request = false;
    for (let m = p; m < Math.min(p + periodMs, NOW); m += MIN) {
      const v = truth.values[(m - truth.start) / MIN] ?? NaN;
      if (v === 0) zero = true;
      if (v > 0) request = true;
    }
    if (zero && !request) zeros++;
  }
  return periods === 0 ? 0 : zeros / periods;
}

function requestMinutes(truth: Minutes, from: number, to: number): number[] {
  const out: number[] = [];
  truth.values.forEach((v, i) => {
    const m = truth.start + i * MIN;
    if (v > 0 && m >= from && m < to) out.push(m);
  });
  return out;
}

describe('idle-endpoint over random series (property)', () => {
  it('never says high unless zeros cover at least 90% of the window\'s periods', () => {
    fc.assert(
      fc.property(truthArb, (t) => {
        const { result, truth, decision, windowStart } = evaluate(t);
        if (result.state === 'violation' && result.confidence === 'high') {
          expect(zeroCoverage(truth, windowStart, decision.periodSeconds * 1000)).toBeGreaterThanOrEqual(FULL_COVERAGE);
        }
      }),
      { numRuns: 300, seed: 9 },
    );
  });

  it('never says idle when a request lies inside the window', () => {
    fc.assert(
      fc.property(truthArb, (t) => {
        const { result, truth, windowStart } = evaluate(t);
        if (requestMinutes(truth, windowStart, NOW).length > 0) expect(result.state).toBe('ok');
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it('never says busy because of a request outside the window, and names the last request within its period', () => {
    fc.assert(
      fc.property(truthArb, (t) => {
        const { result, truth, windowStart } = evaluate(t);
        if (requestMinutes(truth, windowStart, NOW).length > 0) return;
        expect(result.state).not.toBe('ok');
        if (result.state !== 'violation') return;
        const before = requestMinutes(truth, 0, windowStart);
        const last = before.length > 0 ? Math.max(...before) : undefined;
        if (last === undefined) {
          expect(result.lastActivity).toBeUndefined();
          expect(result.evidence.join('\n')).toContain('no request seen');
        } else {
          // The last request minute lies in the period the evidence names, which ends at lastActivity.
          expect(result.lastActivity?.getTime()).toBeGreaterThan(last);
          expect(result.evidence.join('\n')).toMatch(/last request seen (between|at) /);
        }
      }),
      { numRuns: 300, seed: 29 },
    );
  });

  it('finds the sparse, gappy and zeros-with-outage shapes it is meant to (the generator is not vacuous)', () => {
    const seen = { high: 0, medium: 0, ok: 0, unknown: 0 };
    fc.assert(
      fc.property(truthArb, (t) => {
        const { result } = evaluate(t);
        if (result.state === 'violation') seen[result.confidence === 'high' ? 'high' : 'medium']++;
        else if (result.state === 'ok' || result.state === 'unknown') seen[result.state]++;
      }),
      { numRuns: 300, seed: 39 },
    );
    expect(seen).toEqual({ high: expect.any(Number), medium: expect.any(Number), ok: expect.any(Number), unknown: expect.any(Number) });
    expect(Math.min(...Object.values(seen)), JSON.stringify(seen)).toBeGreaterThan(3);
  });
});
