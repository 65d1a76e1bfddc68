import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import type { ActiveRule } from '../../shared/pipeline/detect.js';
import { Watermarks } from '../../shared/pipeline/watermarks.js';
import { idleEndpoint, longTrainingJob, underusedEndpoint } from '../../shared/rules/index.js';
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
