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

describe('launch-guard rule on Google Cloud and Azure kinds', () => {
  const gcp = { cloud: 'gcp' as const, scope: { cloud: 'gcp' as const, id: 'p' }, region: 'us-central1' };
  const azure = { cloud: 'azure' as const, scope: { cloud: 'azure' as const, id: 's' }, region: 'eastus' };
  const accelerated = { name: '71', instanceType: 'a2-highgpu-1g', instanceCount: 1, capacity: 'provisioned' as const, accelerator: { type: 'NVIDIA_TESLA_A100', count: 1 } };

  it('prices a new Vertex AI endpoint with its accelerators and guards it over the threshold', () => {
    const r = evaluate(resource({ ...gcp, kind: 'gcp.vertex.endpoint', id: 'projects/1/locations/us-central1/endpoints/4001', name: 'llm-vertex', components: [accelerated], attributes: {} }));

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.waste?.arithmetic).toBe('(a2-highgpu-1g $0.8465/h + 1 × NVIDIA_TESLA_A100 $3.3741/h) × 1 × 730 h = $3,081.04/month');
    expect(r.waste?.basis).toBe('if-kept');
    expect(launchGuard.actions?.['gcp.vertex.endpoint']).toBe('gcp.vertex.guard-undeploy-models');
  });

  it('guards a Workbench instance off its workload class by its machine type, and not a cheap allowed one', () => {
    const wb = (type: string) => resource({ ...gcp, kind: 'gcp.workbench.instance', id: `projects/p/locations/us-central1-a/instances/${type}`, name: type, tags: { workload: 'experimental' }, components: [{ name: 'vm', instanceType: type, instanceCount: 1, capacity: 'provisioned' }], attributes: {} });
    const g = { ...guard, allowedInstanceTypes: { experimental: ['e2-*'] } };

    const off = evaluate(wb('n1-standard-16'), g);
    const allowed = evaluate(wb('e2-standard-4'), g);

    expect(off.state).toBe('violation');
    if (off.state === 'violation') expect(off.title).toContain('n1-standard-16 not allowed for experimental');
    expect(allowed.state).toBe('ok');
  });

  it('guards a new Azure ML compute cluster by the nodes it holds, and leaves one scaled to zero alone', () => {
    const cluster = (nodes: number) => resource({ ...azure, kind: 'azure.ml.compute-cluster', id: '/subscriptions/s/x/computes/gpu', name: 'gpu', components: [{ name: 'nodes', instanceType: 'Standard_NC6s_v3', instanceCount: nodes, capacity: 'provisioned' }], attributes: {} });

    const held = evaluate(cluster(2));
    const empty = evaluate(cluster(0));

    expect(held.state).toBe('violation');
    if (held.state === 'violation') expect(held.waste?.arithmetic).toBe('Standard_NC6s_v3 $3.06/h × 2 × 730 h = $4,467.60/month');
    expect(empty.state).toBe('not-applicable');
    expect(launchGuard.actions?.['azure.ml.compute-cluster']).toBe('azure.ml.guard-set-cluster-min-nodes-zero');
  });

  it('does not guard an Azure ML online endpoint created before newWithinHours', () => {
    const old = resource({ ...azure, kind: 'azure.ml.online-endpoint', id: '/subscriptions/s/x/onlineEndpoints/e', name: 'e', createdAt: new Date(now.getTime() - 48 * HOUR), components: [{ name: 'blue', instanceType: 'Standard_NC6s_v3', instanceCount: 2, capacity: 'provisioned' }], attributes: {} });
    expect(evaluate(old).state).toBe('not-applicable');
  });
});
