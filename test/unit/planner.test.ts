import { describe, expect, it } from 'vitest';
import type { Mode, ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { plan, type PlannerPolicy, type PlannerState } from '../../shared/planner/plan.js';

const now = new Date('2026-11-28T12:00:00Z');

function resource(name: string, tags: Record<string, string> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: `arn:aws:sagemaker:us-east-1:111111111111:endpoint/${name}`,
    name,
    tags,
    state: 'InService',
    lifecycle: 'running',
    components: [],
    attributes: {},
  };
}

function finding(r: Resource, monthly = 100, confidence: 'high' | 'medium' = 'high'): Finding {
  return {
    id: `idle-endpoint:${r.id}`,
    ruleId: 'idle-endpoint',
    state: 'violation',
    cloud: 'aws',
    scopeId: r.scope.id,
    region: r.region,
    resource: refOf(r),
    title: 't',
    evidence: [],
    confidence,
    waste: { monthly: { amount: monthly, currency: 'USD' }, arithmetic: '', priceSource: '' },
    detectedAt: now,
  };
}

function policy(mode: Mode, over: Partial<PlannerPolicy> = {}): PlannerPolicy {
  return {
    modeOf: () => mode,
    exemptTagKey: 'costwatch:exempt',
    exemptions: [],
    inQuietHours: () => false,
    limits: { maxActionsPerRun: 10, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } },
    proposalTtlHours: 72,
    ...over,
  };
}

const empty: PlannerState = { openProposals: new Map(), snoozedUntil: new Map(), chatExemptions: new Map(), executedToday: 0 };

function run(rs: Resource[], fs: Finding[], p: PlannerPolicy, state: PlannerState = empty) {
  return plan({
    findings: fs,
    resources: new Map(rs.map((r) => [r.id, r])),
    actionKindFor: () => 'aws.sagemaker.delete-endpoint',
    policy: p,
    state,
    now,
  });
}

describe('planner', () => {
  it('proposes nothing for a rule in notify mode', () => {
    const r = resource('a');
    const out = run([r], [finding(r)], policy('notify'));
    expect(out.proposals).toHaveLength(0);
    expect(out.skipped[0]?.reason).toContain('notify mode');
  });

  it('never proposes acting on a resource carrying the exemption tag', () => {
    const r = resource('a', { 'costwatch:exempt': 'true' });
    const out = run([r], [finding(r)], policy('auto'));
    expect(out.proposals).toHaveLength(0);
    expect(out.skipped[0]?.reason).toContain('exempt');
  });

  it('honours exemptions by name glob, tags and chat', () => {
    const a = resource('research-1');
    const b = resource('b', { team: 'core' });
    const c = resource('c');
    const out = run(
      [a, b, c],
      [finding(a), finding(b), finding(c)],
      policy('approve', { exemptions: [{ names: ['research-*'], reason: 'research' }, { tags: { team: 'core' }, reason: 'core team' }] }),
      { ...empty, chatExemptions: new Map([[c.id, 'exempted by U1']]) },
    );
    expect(out.proposals).toHaveLength(0);
    expect(out.skipped.map((s) => s.reason)).toEqual(expect.arrayContaining(['exempt: research', 'exempt: core team', 'exempt: exempted by U1']));
  });

  it('skips a snoozed resource until the snooze ends', () => {
    const r = resource('a');
    const snoozed = { ...empty, snoozedUntil: new Map([[r.id, new Date(now.getTime() + 3600_000)]]) };
    expect(run([r], [finding(r)], policy('approve'), snoozed).proposals).toHaveLength(0);
    const over = { ...empty, snoozedUntil: new Map([[r.id, new Date(now.getTime() - 1)]]) };
    expect(run([r], [finding(r)], policy('approve'), over).proposals).toHaveLength(1);
  });

  it('sends medium-confidence findings to approval even in auto mode', () => {
    const r = resource('a');
    const [p] = run([r], [finding(r, 100, 'medium')], policy('auto')).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toContain('medium confidence');
  });

  it('turns auto into approve over the per-run limit, biggest waste first', () => {
    const rs = [resource('a'), resource('b'), resource('c')];
    const fs = [finding(rs[0]!, 10), finding(rs[1]!, 300), finding(rs[2]!, 20)];
    const out = run(rs, fs, policy('auto', { limits: { maxActionsPerRun: 2, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } } }));
    const modes = Object.fromEntries(out.proposals.map((p) => [p.resource.name, p.mode]));
    expect(modes).toEqual({ b: 'auto', c: 'auto', a: 'approve' });
  });

  it('counts actions already executed today against the daily limit', () => {
    const r = resource('a');
    const [p] = run([r], [finding(r)], policy('auto', { limits: { maxActionsPerRun: 10, maxActionsPerDay: 3, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } } }), { ...empty, executedToday: 3 }).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toContain('maxActionsPerDay');
  });

  it('caps the monthly impact that may be auto-approved', () => {
    const rs = [resource('a'), resource('b')];
    const out = run(rs, [finding(rs[0]!, 4000), finding(rs[1]!, 2000)], policy('auto'));
    expect(out.proposals.map((p) => p.mode)).toEqual(['auto', 'approve']);
  });

  it('does not act automatically during quiet hours', () => {
    const r = resource('a');
    const [p] = run([r], [finding(r)], policy('auto', { inQuietHours: () => true })).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toContain('quiet hours');
  });

  it('keeps the id and expiry of an open proposal for the same resource instead of making a new one', () => {
    const r = resource('a');
    const first = run([r], [finding(r)], policy('approve')).proposals[0]!;
    const later = plan({
      findings: [finding(r)],
      resources: new Map([[r.id, r]]),
      actionKindFor: () => 'aws.sagemaker.delete-endpoint',
      policy: policy('approve'),
      state: { ...empty, openProposals: new Map<string, ProposedAction>([[first.key, { ...first, status: 'approved' }]]) },
      now: new Date(now.getTime() + 6 * 3600_000),
    }).proposals[0]!;
    expect(later.id).toBe(first.id);
    expect(later.status).toBe('approved');
    expect(later.expiresAt).toEqual(first.expiresAt);
  });

  it('ignores unknown findings and failures', () => {
    const r = resource('a');
    const f = { ...finding(r), state: 'unknown' as const };
    expect(run([r], [f], policy('auto')).proposals).toHaveLength(0);
  });
});
