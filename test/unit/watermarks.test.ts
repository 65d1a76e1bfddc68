import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import type { ActiveRule } from '../../shared/pipeline/detect.js';
import { Watermarks } from '../../shared/pipeline/watermarks.js';
import { idleEndpoint, idleNotebook, longTrainingJob, underusedEndpoint } from '../../shared/rules/index.js';
import { autoscalingFloor } from '../../shared/rules/autoscaling-floor.js';
import type { ResourceRule, RuleResult } from '../../shared/rules/types.js';
import type { UsageWatermark } from '../../shared/store/port.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const H = 3_600_000;
const at = (h: number) => new Date(NOW.getTime() + h * H);
const active = (rule: ResourceRule<unknown>): ActiveRule => ({ rule: rule as ResourceRule<never>, settings: {} });
const endpoint: Resource = {
  cloud: 'aws',
  scope: { cloud: 'aws', id: '1' },
  region: 'us-east-1',
  kind: 'aws.sagemaker.endpoint',
  id: 'arn:ep',
  name: 'ep',
  tags: {},
  state: 'InService',
  lifecycle: 'running',
  createdAt: at(-720),
  components: [],
  attributes: {},
};
const mark = (due: Record<string, number>, createdAt = endpoint.createdAt): UsageWatermark => ({
  scope: 'aws:1',
  resourceId: 'arn:ep',
  ...(createdAt ? { createdAt } : {}),
  due: Object.fromEntries(Object.entries(due).map(([k, h]) => [k, { at: at(h), why: k }])),
  updatedAt: at(-1),
});
const results = (m: Record<string, RuleResult>) => new Map([['arn:ep', new Map(Object.entries(m))]]);

describe('Watermarks', () => {
  it('skips a resource only while every usage-reading rule of its kind is before its watermark', () => {
    const idleOnly = new Watermarks([mark({ 'idle-endpoint': 5 })], [active(idleEndpoint)], NOW);
    expect(idleOnly.due(endpoint)).toBe(false);
    expect(idleOnly.notJudged(endpoint, 'idle-endpoint')).toMatch(/activity watermark/);
    // underused-endpoint has no watermark on it: the endpoint is read, and every rule judges it.
    const both = new Watermarks([mark({ 'idle-endpoint': 5 })], [active(idleEndpoint), active(underusedEndpoint)], NOW);
    expect(both.due(endpoint)).toBe(true);
    expect(both.notJudged(endpoint, 'idle-endpoint')).toBeUndefined();
    // Passed, re-created under the same id, or not running: read.
    expect(new Watermarks([mark({ 'idle-endpoint': 0 })], [active(idleEndpoint)], NOW).due(endpoint)).toBe(true);
    expect(new Watermarks([mark({ 'idle-endpoint': 5 }, at(-1))], [active(idleEndpoint)], NOW).due(endpoint)).toBe(true);
    expect(new Watermarks([mark({ 'idle-endpoint': 5 })], [active(idleEndpoint)], NOW).due({ ...endpoint, lifecycle: 'stopped' })).toBe(true);
    // A rule that reads no usage is never skipped.
    expect(new Watermarks([mark({ 'idle-endpoint': 5 })], [active(idleEndpoint), active(longTrainingJob)], NOW).notJudged(endpoint, 'long-training-job')).toBeUndefined();
  });

  it('sets a watermark from a busy verdict, none from unknown, and keeps the other schedules\' rules', () => {
    const w = new Watermarks([mark({ 'idle-endpoint': -1, 'other-rule': 30 })], [active(idleEndpoint)], NOW);
    const busy = w.next([endpoint], results({ 'idle-endpoint': { state: 'ok', evidence: [], activeUntil: at(20) } }), []);
    expect(busy.map((m) => Object.fromEntries(Object.entries(m.due).map(([k, d]) => [k, d.at])))).toEqual([{ 'idle-endpoint': at(20), 'other-rule': at(30) }]);
    const unknown = w.next([endpoint], results({ 'idle-endpoint': { state: 'unknown', title: '', evidence: [] } }), []);
    expect(unknown.map((m) => Object.keys(m.due))).toEqual([['other-rule']]);
    // Nothing to write for a resource that had none and gets none.
    expect(new Watermarks([], [active(idleEndpoint)], NOW).next([endpoint], results({ 'idle-endpoint': { state: 'ok', evidence: [] } }), [])).toEqual([]);
  });
});

describe('rules bound when they can next fire (activeUntil)', () => {
  const series = (signal: 'requests' | 'cpu', values: number[], lastAt: Date) => ({
    resourceId: 'arn:x',
    component: 'AllTraffic',
    signal,
    metric: signal,
    unit: 'Count',
    window: { start: new Date(lastAt.getTime() - values.length * H), end: NOW },
    status: 'present' as const,
    periodSeconds: 3600,
    points: values.map((value, i) => ({ at: new Date(lastAt.getTime() - (values.length - 1 - i) * H), value })),
  });
  const prices = { hourlyFor: () => undefined, hourly: () => undefined } as never;

  it('idle-endpoint: busy until the end of the last period with a request + its window', () => {
    const r = { ...endpoint, components: [{ name: 'AllTraffic', instanceType: 'ml.m5.large', instanceCount: 1, capacity: 'provisioned' as const }] };
    // Hourly points up to 11:00; the last request in the 06:00 period, which ends at 07:00.
    const usage = [series('requests', [0, 0, 3, 0, 0, 0, 0, 0], at(-1))];
    const result = idleEndpoint.evaluate({ resource: r, usage, settings: { windowHours: 24, minAgeHours: 24 }, now: NOW, prices });
    expect(result).toMatchObject({ state: 'ok', activeUntil: at(-5 + 24) });
  });

  it('idle-notebook: busy until the end of the last period at or above the CPU threshold + its window', () => {
    const nb: Resource = { ...endpoint, kind: 'aws.sagemaker.notebook-instance', id: 'arn:x', attributes: { runningSince: at(-100).toISOString() }, components: [{ name: 'notebook', instanceType: 'ml.t3.medium', instanceCount: 1, capacity: 'provisioned' }] };
    const usage = [series('cpu', [1, 30, 2, 1], at(-1))];
    const result = idleNotebook.evaluate({ resource: nb, usage, settings: { windowHours: 8, cpuBelowPercent: 5 }, now: NOW, prices });
    expect(result).toMatchObject({ state: 'ok', activeUntil: at(-2 + 8) });
  });
});

describe('Watermarks: rules that cannot judge a resource as configured, and reconfigured resources', () => {
  const scaled = (min: number): Resource => ({
    ...endpoint,
    components: [{ name: 'AllTraffic', instanceType: 'ml.m5.xlarge', instanceCount: min, capacity: 'provisioned', scaling: { min, max: 8, source: 'Application Auto Scaling scalable target' } }],
  });
  const floorMark = (h: number, basis: string) => ({ ...mark({ 'idle-endpoint': 5 }), due: { 'idle-endpoint': { at: at(5), why: 'busy' }, 'autoscaling-floor': { at: at(h), why: 'fits', basis } } });

  it('reads no usage for autoscaling-floor on an endpoint with no floor above one, and evaluates it there', () => {
    const rules = [active(idleEndpoint), active(autoscalingFloor)];
    const w = new Watermarks([mark({ 'idle-endpoint': 5 })], rules, NOW);
    expect(w.due(scaled(1))).toBe(false);
    expect(w.due(endpoint)).toBe(false);
    expect(w.notJudged(scaled(1), 'autoscaling-floor')).toBeUndefined();
    // A floor above one: the rule has no watermark of its own yet, so the endpoint is read.
    expect(w.due(scaled(3))).toBe(true);
  });

  it('keeps a floor watermark only while the floor and instance type it was set on are unchanged', () => {
    const rules = [active(idleEndpoint), active(autoscalingFloor)];
    const basis = autoscalingFloor.basis!(scaled(3));
    expect(basis).toBe('AllTraffic:ml.m5.xlarge:3');
    expect(new Watermarks([floorMark(20, basis)], rules, NOW).due(scaled(3))).toBe(false);
    // Raised to 5: judged again at once.
    expect(new Watermarks([floorMark(20, basis)], rules, NOW).due(scaled(5))).toBe(true);
    // Written with the basis, so the next scan can tell.
    const w = new Watermarks([], rules, NOW);
    const out = w.next([scaled(4)], results({ 'autoscaling-floor': { state: 'ok', evidence: [], activeUntil: at(30) } }), []);
    expect(out[0]?.due['autoscaling-floor']).toMatchObject({ at: at(30), basis: 'AllTraffic:ml.m5.xlarge:4' });
  });

  it('reads an endpoint moved to another instance type at once for underused-endpoint', () => {
    const on = (type: string): Resource => ({ ...endpoint, components: [{ name: 'AllTraffic', instanceType: type, instanceCount: 1, capacity: 'provisioned' }] });
    const rules = [active(underusedEndpoint)];
    const set = new Watermarks([], rules, NOW).next([on('ml.g5.xlarge')], results({ 'underused-endpoint': { state: 'ok', evidence: [], activeUntil: at(30) } }), []);
    expect(new Watermarks(set, rules, NOW).due(on('ml.g5.xlarge'))).toBe(false);
    expect(new Watermarks(set, rules, NOW).due(on('ml.g5.12xlarge'))).toBe(true);
  });
});
