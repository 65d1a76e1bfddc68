import { describe, expect, it } from 'vitest';
import type { ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import type { Resource } from '../../shared/domain/resource.js';
import { plan, type PlannerPolicy } from '../../shared/planner/plan.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { launchGuard, type LaunchGuardSettings } from '../../shared/rules/launch-guard.js';

const now = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const prices = new PriceBook();
const guard: LaunchGuardSettings = {
  monthlyThreshold: 2000,
  currency: 'USD',
  allowedInstanceTypes: { experimental: ['ml.t3.*', 'ml.m5.large'], inference: ['ml.g5.*', 'ml.c5.*'] },
  workloadTagKey: 'workload',
  graceHours: 4,
  newWithinHours: 24,
};

function resource(over: Partial<Resource> & { type?: string; count?: number } = {}): Resource {
  const { type = 'ml.g5.12xlarge', count = 1, ...rest } = over;
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/big-llm',
    name: 'big-llm',
    tags: { team: 'nlp' },
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 2 * HOUR),
    components: [{ name: 'AllTraffic', instanceType: type, instanceCount: count, capacity: 'provisioned' }],
    attributes: { endpointConfigName: 'big-llm-config', asynchronous: false },
    ...rest,
  };
}

const evaluate = (r: Resource, g: LaunchGuardSettings = guard) => launchGuard.evaluate({ resource: r, usage: [], settings: { guard: g }, now, prices });

describe('launch-guard rule', () => {
  it('guards a new endpoint whose monthly cost is over the threshold, with the arithmetic', () => {
    const r = evaluate(resource({ count: 2 }));

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('new endpoint big-llm: ~$10,351.40/month, over $2,000.00 — keep it?');
    expect(r.waste).toMatchObject({ monthly: { amount: 10351.4, currency: 'USD' }, basis: 'if-kept', arithmetic: 'ml.g5.12xlarge $7.09/h × 2 × 730 h = $10,351.40/month' });
    expect(r.confidence).toBe('high');
  });

  it('guards an instance type its workload class does not allow, however cheap', () => {
    const r = evaluate(resource({ type: 'ml.c5.xlarge', tags: { workload: 'experimental' } }));

    expect(r.state).toBe('violation');
    if (r.state === 'violation') expect(r.title).toContain('ml.c5.xlarge not allowed for experimental');
  });

  it('does not flag a cheap resource within the allowed types of its class', () => {
    const r = evaluate(resource({ type: 'ml.t3.medium', tags: { workload: 'experimental' } }));

    expect(r.state).toBe('ok');
  });

  it('does not check the types of a resource without a workload tag, and says so', () => {
    const r = evaluate(resource({ type: 'ml.c5.xlarge', tags: {} }));

    expect(r.state).toBe('ok');
    if (r.state === 'ok') expect(r.evidence.join('\n')).toContain('no workload tag');
  });

  it('does not guard a resource older than newWithinHours, a stopped one, or one without a creation time', () => {
    expect(evaluate(resource({ createdAt: new Date(now.getTime() - 25 * HOUR) })).state).toBe('not-applicable');
    expect(evaluate(resource({ lifecycle: 'stopped', state: 'Stopped' })).state).toBe('not-applicable');
    const { createdAt: _, ...noTime } = resource();
    expect(evaluate(noTime as Resource).state).toBe('not-applicable');
  });

  it('prices notebooks and training jobs at their own rates', () => {
    // ml.p3.2xlarge: $3.825/h × 730 h = $2,792.25 a month as a notebook.
    const nb = evaluate(resource({ kind: 'aws.sagemaker.notebook-instance', name: 'nb', type: 'ml.p3.2xlarge' }));
    const job = evaluate(resource({ kind: 'aws.sagemaker.training-job', name: 'job', type: 'ml.g5.12xlarge', count: 4 }));

    expect(nb.state).toBe('violation');
    if (nb.state === 'violation') expect(nb.waste?.monthly.amount).toBe(2792.25);
    expect(job.state).toBe('violation');
    if (job.state === 'violation') expect(job.waste?.arithmetic).toContain('× 4 × 730 h');
  });
});

describe('planning a guard', () => {
  const finding = (r: Resource): Finding => ({
    id: `launch-guard:${r.id}`,
    ruleId: 'launch-guard',
    state: 'violation',
    cloud: 'aws',
    scopeId: r.scope.id,
    region: r.region,
    resource: { cloud: 'aws', scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name },
    title: 'new endpoint',
    evidence: [],
    confidence: 'high',
    waste: { monthly: { amount: 500, currency: 'USD' }, arithmetic: '', priceSource: '', basis: 'if-kept' },
    detectedAt: now,
  });
  const policy = (mode: 'approve' | 'auto'): PlannerPolicy => ({
    modeOf: () => mode,
    exemptTagKey: 'costwatch:exempt',
    exemptions: [],
    inQuietHours: () => false,
    limits: { maxActionsPerRun: 10, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } },
    proposalTtlHours: 72,
    graceHoursOf: (id) => (id === 'launch-guard' ? 4 : undefined),
  });
  const state = (over: Partial<Parameters<typeof plan>[0]['state']> = {}) => ({ openProposals: new Map<string, ProposedAction>(), snoozedUntil: new Map<string, Date>(), chatExemptions: new Map<string, string>(), executedToday: 0, ...over });
  const r = resource();
  const input = (mode: 'approve' | 'auto', st = state()) => ({
    findings: [finding(r)],
    resources: new Map([[r.id, r]]),
    actionKindFor: () => 'aws.sagemaker.guard-delete-endpoint',
    policy: policy(mode),
    state: st,
    now,
  });

  it('gives an auto guard a due time graceHours away, and an approve one none', () => {
    const [auto] = plan(input('auto')).proposals;
    const [approve] = plan(input('approve')).proposals;

    expect(auto).toMatchObject({ mode: 'auto', kind: 'aws.sagemaker.guard-delete-endpoint', dueAt: new Date(now.getTime() + 4 * HOUR) });
    expect(approve?.dueAt).toBeUndefined();
  });

  it('keeps the first due time when the guard is planned again', () => {
    const [first] = plan(input('auto')).proposals;
    const later = { ...input('auto', state({ openProposals: new Map([[first!.key, first!]]) })), now: new Date(now.getTime() + HOUR) };

    expect(plan(later).proposals[0]?.dueAt).toEqual(first!.dueAt);
  });

  it('never asks again about a resource whose guard was answered', () => {
    const key = 'aws.sagemaker.guard-delete-endpoint:' + r.id;
    const out = plan(input('auto', state({ settled: new Map([[key, 'kept after the guard of …']]) })));

    expect(out.proposals).toEqual([]);
    expect(out.skipped[0]?.reason).toMatch(/^already answered: kept/);
  });

  it('never guards an exempt resource', () => {
    const exempt = resource({ tags: { 'costwatch:exempt': 'true' } });
    const out = plan({ ...input('auto'), resources: new Map([[exempt.id, exempt]]) });

    expect(out.proposals).toEqual([]);
    expect(out.skipped[0]?.reason).toMatch(/^exempt/);
  });
});
