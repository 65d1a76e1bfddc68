/**
 * The planner's share of the safety invariants (DESIGN.md, "Safety invariants"):
 * 2. a resource matched by an exemption is never acted on;
 * 7. per-run and per-day limits on actions and on auto-approved monthly impact — over a limit,
 *    an action is proposed for approval instead of running.
 * Each test states the invariant from the user's side: what `costwatch.yml` says, and whether the
 * resulting proposal may run without a person.
 */
import { describe, expect, it } from 'vitest';
import type { Mode, ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import type { Money } from '../../shared/domain/money.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { exemptionOf, plan, type Exemption, type PlannerPolicy, type PlannerState } from '../../shared/planner/plan.js';

const now = new Date('2026-11-28T12:00:00Z');
const DELETE = 'aws.sagemaker.delete-endpoint';

function endpoint(name: string, tags: Record<string, string> = {}): Resource {
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
    components: [{ name: 'AllTraffic', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' }],
    attributes: {},
  };
}

/** A violation of idle-endpoint on `r`; `monthly: null` for a finding whose waste could not be priced. */
function idle(r: Resource, monthly: Money | null = { amount: 100, currency: 'USD' }, confidence: 'high' | 'medium' = 'high'): Finding {
  return {
    id: `idle-endpoint:${r.id}`,
    ruleId: 'idle-endpoint',
    state: 'violation',
    cloud: 'aws',
    scopeId: r.scope.id,
    region: r.region,
    resource: refOf(r),
    title: `endpoint ${r.name} is idle`,
    evidence: [],
    confidence,
    ...(monthly ? { waste: { monthly, arithmetic: '', priceSource: '' } } : {}),
    detectedAt: now,
  };
}

interface Limits {
  maxActionsPerRun?: number;
  maxActionsPerDay?: number;
  maxAutoMonthlyImpact?: Money;
}

function policy(mode: Mode, opts: { exemptions?: Exemption[]; limits?: Limits; quiet?: boolean } = {}): PlannerPolicy {
  return {
    modeOf: () => mode,
    exemptTagKey: 'costwatch:exempt',
    exemptions: opts.exemptions ?? [],
    inQuietHours: () => opts.quiet ?? false,
    limits: { maxActionsPerRun: 10, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' }, ...opts.limits },
    proposalTtlHours: 72,
  };
}

function state(over: Partial<PlannerState> = {}): PlannerState {
  return { openProposals: new Map(), snoozedUntil: new Map(), chatExemptions: new Map(), executedToday: 0, ...over };
}

function planFor(resources: Resource[], findings: Finding[], p: PlannerPolicy, s: PlannerState = state()) {
  return plan({ findings, resources: new Map(resources.map((r) => [r.id, r])), actionKindFor: () => DELETE, policy: p, state: s, now });
}

/** Proposal mode by resource name. */
function modes(out: { proposals: readonly ProposedAction[] }): Record<string, Mode> {
  return Object.fromEntries(out.proposals.map((p) => [p.resource.name, p.mode]));
}

describe('safety: exemptions in costwatch.yml (invariant 2)', () => {
  it('never proposes acting on a resource listed in an exemption by its id', () => {
    const r = endpoint('fraud-v3');
    const out = planFor([r], [idle(r)], policy('auto', { exemptions: [{ resourceIds: [r.id], reason: 'fraud team keeps it warm' }] }));
    expect(out.proposals).toEqual([]);
    expect(out.skipped).toEqual([{ findingId: idle(r).id, reason: 'exempt: fraud team keeps it warm' }]);
  });

  it('never proposes acting on a resource listed in an exemption by its name', () => {
    const r = endpoint('fraud-v3');
    const out = planFor([r], [idle(r)], policy('approve', { exemptions: [{ resourceIds: ['fraud-v3'], reason: 'by name' }] }));
    expect(out.proposals).toEqual([]);
    expect(out.skipped.map((s) => s.reason)).toEqual(['exempt: by name']);
  });

  it('exempts only the resources an exemption names, not their neighbours', () => {
    const kept = endpoint('fraud-v3');
    const other = endpoint('fraud-v4', { team: 'fraud' });
    const out = planFor(
      [kept, other],
      [idle(kept), idle(other)],
      policy('approve', {
        exemptions: [
          { resourceIds: [kept.id], reason: 'by id' },
          { names: ['fraud-v3*'], reason: 'by glob' },
          { tags: { team: 'fraud', env: 'prod' }, reason: 'needs both tags' },
          { tags: {}, reason: 'an empty tag set matches nothing' },
        ],
      }),
    );
    expect(out.proposals.map((p) => p.resource.name)).toEqual(['fraud-v4']);
  });

  it('applies an exemption when any one of its name globs matches', () => {
    const p = policy('auto', { exemptions: [{ names: ['research-*', 'demo-*'], reason: 'not production' }] });
    expect(exemptionOf(endpoint('demo-1'), p, state())).toBe('not production');
    expect(exemptionOf(endpoint('research-7'), p, state())).toBe('not production');
    expect(exemptionOf(endpoint('prod-1'), p, state())).toBeUndefined();
  });

  it('reads a name glob as a whole-name pattern, with regex characters taken literally', () => {
    const p = policy('approve', { exemptions: [{ names: ['llm.v?-*'], reason: 'glob' }] });
    const chat = state();
    expect(exemptionOf(endpoint('llm.v2-canary'), p, chat)).toBe('glob');
    expect(exemptionOf(endpoint('llmXv2-canary'), p, chat)).toBeUndefined();
    expect(exemptionOf(endpoint('prod-llm.v2-canary'), p, chat)).toBeUndefined();
    expect(exemptionOf(endpoint('llm.v22-canary'), p, chat)).toBeUndefined();
  });

  it('takes the exemption tag in any case, and only when it says true', () => {
    const p = policy('auto');
    expect(exemptionOf(endpoint('a', { 'costwatch:exempt': 'TRUE' }), p, state())).toBe('tag costwatch:exempt=true');
    expect(exemptionOf(endpoint('a', { 'costwatch:exempt': 'false' }), p, state())).toBeUndefined();
    expect(exemptionOf(endpoint('a', { 'other:exempt': 'true' }), p, state())).toBeUndefined();
  });
});

describe('safety: limits on automatic actions (invariant 7)', () => {
  it('sends an automatic action priced in another currency than the impact limit to approval', () => {
    const r = endpoint('eu-endpoint');
    const [p] = planFor([r], [idle(r, { amount: 10, currency: 'EUR' })], policy('auto')).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toBe('monthly impact unknown in the limit currency: approval required');
  });

  it('sends an automatic action whose saving is unknown to approval', () => {
    const r = endpoint('unpriced');
    const [p] = planFor([r], [idle(r, null)], policy('auto')).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toContain('monthly impact unknown');
  });

  it('sends a finding of unstated confidence to approval', () => {
    const r = endpoint('a');
    const { confidence: _dropped, ...unstated } = idle(r) as Finding & { confidence?: string };
    const [p] = planFor([r], [unstated as Finding], policy('auto')).proposals;
    expect(p?.mode).toBe('approve');
    expect(p?.modeReason).toBe('unknown confidence: approval required');
  });

  it('plans unpriced findings after priced ones, the unpriced never running automatically', () => {
    const rs = [endpoint('unpriced-1'), endpoint('priced'), endpoint('unpriced-2')];
    const out = planFor(rs, [idle(rs[0]!, null), idle(rs[1]!, { amount: 5, currency: 'USD' }), idle(rs[2]!, null)], policy('auto'));
    expect(out.proposals.map((p) => p.resource.name)).toEqual(['priced', 'unpriced-1', 'unpriced-2']);
    expect(modes(out)).toEqual({ priced: 'auto', 'unpriced-1': 'approve', 'unpriced-2': 'approve' });
  });

  it('counts the automatic actions granted earlier in the same run against the daily limit', () => {
    const rs = [endpoint('a'), endpoint('b'), endpoint('c')];
    const out = planFor(
      rs,
      [idle(rs[0]!, { amount: 300, currency: 'USD' }), idle(rs[1]!, { amount: 200, currency: 'USD' }), idle(rs[2]!, { amount: 100, currency: 'USD' })],
      policy('auto', { limits: { maxActionsPerDay: 3 } }),
      state({ executedToday: 1 }),
    );
    expect(modes(out)).toEqual({ a: 'auto', b: 'auto', c: 'approve' });
    expect(out.proposals.find((p) => p.resource.name === 'c')?.modeReason).toBe('over maxActionsPerDay (3)');
  });

  it('allows exactly maxActionsPerRun automatic actions in one run, largest saving first', () => {
    const rs = [endpoint('a'), endpoint('b'), endpoint('c')];
    const out = planFor(rs, [idle(rs[0]!, { amount: 1, currency: 'USD' }), idle(rs[1]!, { amount: 3, currency: 'USD' }), idle(rs[2]!, { amount: 2, currency: 'USD' })], policy('auto', { limits: { maxActionsPerRun: 2 } }));
    expect(modes(out)).toEqual({ b: 'auto', c: 'auto', a: 'approve' });
    expect(out.proposals.map((p) => p.resource.name)).toEqual(['b', 'c', 'a']);
    expect(out.proposals[2]?.modeReason).toBe('over maxActionsPerRun (2)');
  });

  it('orders equal savings by finding id, so the same findings always get the same slots', () => {
    const rs = [endpoint('b'), endpoint('a')];
    const out = planFor(rs, [idle(rs[0]!), idle(rs[1]!)], policy('auto', { limits: { maxActionsPerRun: 1 } }));
    expect(modes(out)).toEqual({ a: 'auto', b: 'approve' });
  });

  it('allows automatic actions up to exactly the monthly impact limit, and none beyond it', () => {
    const rs = [endpoint('a'), endpoint('b'), endpoint('c')];
    const out = planFor(
      rs,
      [idle(rs[0]!, { amount: 3000, currency: 'USD' }), idle(rs[1]!, { amount: 2000, currency: 'USD' }), idle(rs[2]!, { amount: 0.01, currency: 'USD' })],
      policy('auto', { limits: { maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } } }),
    );
    expect(modes(out)).toEqual({ a: 'auto', b: 'auto', c: 'approve' });
    expect(out.proposals[2]?.modeReason).toBe('over maxAutoMonthlyImpact (5000 USD)');
  });

  it('does not count actions sent to approval against the run, day or impact limits', () => {
    const medium = endpoint('medium');
    const eur = endpoint('eur');
    const high = endpoint('high');
    const out = planFor(
      [medium, eur, high],
      [idle(medium, { amount: 900, currency: 'USD' }, 'medium'), idle(eur, { amount: 800, currency: 'EUR' }), idle(high, { amount: 100, currency: 'USD' })],
      policy('auto', { limits: { maxActionsPerRun: 1, maxActionsPerDay: 1, maxAutoMonthlyImpact: { amount: 100, currency: 'USD' } } }),
    );
    expect(modes(out)).toEqual({ medium: 'approve', eur: 'approve', high: 'auto' });
  });

  it('lets an irreversible action run only after approval, whatever the mode', () => {
    const job = { ...endpoint('runaway'), kind: 'aws.sagemaker.training-job' as const };
    const out = plan({ findings: [idle(job)], resources: new Map([[job.id, job]]), actionKindFor: () => 'aws.sagemaker.stop-training-job', policy: policy('auto'), state: state(), now });
    expect(out.proposals[0]?.mode).toBe('approve');
    expect(out.proposals[0]?.modeReason).toBe('Stop training job is not reversible: approval required');
    expect(out.proposals[0]?.reversible).toBe(false);
  });

  it('keeps approve mode as configured, without a reason, when no limit is involved', () => {
    const r = endpoint('a');
    const [p] = planFor([r], [idle(r, { amount: 10, currency: 'EUR' }, 'medium')], policy('approve', { quiet: true })).proposals;
    expect(p?.mode).toBe('approve');
    expect(p).not.toHaveProperty('modeReason');
  });
});

describe('safety: what a proposal carries', () => {
  it('expires a new proposal after proposalTtlHours, and keeps it waiting for a person', () => {
    const r = endpoint('a');
    const [p] = planFor([r], [idle(r)], policy('approve')).proposals;
    expect(p).toMatchObject({ status: 'proposed', createdAt: now, expiresAt: new Date('2026-12-01T12:00:00Z'), key: `${DELETE}:${r.id}`, kind: DELETE, reversible: true });
    expect(p?.id).toBe(`${DELETE}:${r.id}@2026-11-28T12:00:00.000Z`);
    expect(p?.monthlySaving).toEqual({ amount: 100, currency: 'USD' });
  });

  it('proposes nothing for a resource the scan did not return, or a kind with no action', () => {
    const r = endpoint('a');
    expect(plan({ findings: [idle(r)], resources: new Map(), actionKindFor: () => DELETE, policy: policy('auto'), state: state(), now }).proposals).toEqual([]);
    const none = plan({ findings: [idle(r)], resources: new Map([[r.id, r]]), actionKindFor: () => undefined, policy: policy('auto'), state: state(), now });
    expect(none.proposals).toEqual([]);
    expect(none.skipped).toEqual([{ findingId: idle(r).id, reason: 'no action for aws.sagemaker.endpoint' }]);
  });

  it('never proposes an action for a violation that is only to be reported, even in auto mode, and says why', () => {
    const r = endpoint('a');
    const reported: Finding = { ...idle(r), notifyOnly: 'scaled by an autoscaling policy: reported, never acted on' };

    const out = planFor([r], [reported], policy('auto'));

    expect(out.proposals).toEqual([]);
    expect(out.skipped).toEqual([{ findingId: reported.id, reason: 'notify only: scaled by an autoscaling policy: reported, never acted on' }]);
  });

  it('says until when a snoozed resource is left alone', () => {
    const r = endpoint('a');
    const until = new Date('2026-11-29T00:00:00Z');
    const out = planFor([r], [idle(r)], policy('auto'), state({ snoozedUntil: new Map([[r.id, until]]) }));
    expect(out.skipped).toEqual([{ findingId: idle(r).id, reason: 'snoozed until 2026-11-29T00:00:00.000Z' }]);
    const ending = planFor([r], [idle(r)], policy('auto'), state({ snoozedUntil: new Map([[r.id, now]]) }));
    expect(ending.proposals).toHaveLength(1);
  });
});

describe('a proposal acts with what its finding worked out', () => {
  it('carries the finding parameters (a floor to set, the rule to add) unchanged, and none when the finding has none', () => {
    const r = endpoint('chat');
    const withFloor = { ...idle(r), parameters: { minCapacity: 2, variant: 'AllTraffic' } };
    expect(planFor([r], [withFloor], policy('approve')).proposals[0]?.parameters).toEqual({ minCapacity: 2, variant: 'AllTraffic' });
    expect(planFor([r], [idle(r)], policy('approve')).proposals[0]?.parameters).toEqual({});
  });
});
