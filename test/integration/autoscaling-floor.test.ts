import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import { executeProposal, undoProposal, type ExecutorDeps } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

const ACCOUNT = '333333333333';

type EndpointIn = NonNullable<NonNullable<WorldInput['aws']>['accounts']>[number]['regions'] extends infer R ? (R extends Record<string, infer S> ? S : never) : never;

/** An endpoint of `count` ml.c5.2xlarge behind a scalable target, busiest at 13:00–17:59 UTC with `peakCpu` per-vCPU CPU. */
function autoscaled(name: string, min: number, count: number, peakCpu: number, tags: Record<string, string> = {}) {
  return {
    name,
    createdAt: '-60d',
    tags,
    variants: [
      {
        instanceType: 'ml.c5.2xlarge',
        instanceCount: count,
        autoscaling: { min, max: 8 },
        metrics: {
          invocations: { daily: { hours: [13, 14, 15, 16, 17], value: 600, otherwise: 120 } },
          cpu: { daily: { hours: [13, 14, 15, 16, 17], value: peakCpu, otherwise: 60 } },
        },
      },
    ],
  };
}

function worldOf(endpoints: object[], faults: WorldInput['faults'] = []) {
  const region = { sagemaker: { endpoints } } as unknown as EndpointIn;
  return defineWorld({ version: 1, now: '2025-06-18T12:00:00Z', aws: { accounts: [{ id: ACCOUNT, name: 'ml-prod', regions: { 'us-east-1': region } }] }, faults });
}

const policyText = (mode: string) => `
version: 1
clouds:
  aws:
    accounts:
      - id: "${ACCOUNT}"
        regions: [us-east-1]
rules:
  autoscaling-floor: { mode: ${mode} }
slack:
  channel: "#ml-costs"
  approvers: { users: [U0APPROVER] }
`;

async function scanWith(sb: Sandbox, mode: string, only: string[] = ['autoscaling-floor']) {
  const store = await openMemoryStore();
  const { policy } = parsePolicy(policyText(mode), 'costwatch.yml');
  const providers = buildProviders(policy, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, now: () => sb.clock.now() } });
  const options = scanOptionsFor(policy, { now: () => sb.clock.now(), dryRun: false, rules: only });
  const report = await runScan(options, { providers, store, clock: sb.clock, prices: priceBook(policy) });
  const deps: ExecutorDeps = { store, providers, rules: new Map(options.rules.map((r) => [r.rule.id, r])), policy: options.policy, prices: priceBook(policy), clock: sb.clock, lookbackHours: options.lookbackHours };
  return { store, report, deps };
}

describe('autoscaling-floor against the sandbox cloud', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  const targetOf = async (s: Sandbox, name: string) => {
    const aas = new ApplicationAutoScalingClient({ endpoint: s.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
    const out = await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [`endpoint/${name}/variant/AllTraffic`] }));
    return out.ScalableTargets?.[0];
  };

  it('reads every scalable target of a region in one call per 50 variants, and none when no rule needs them', async () => {
    const endpoints = Array.from({ length: 60 }, (_, i) => autoscaled(`ep-${i}`, 2, 2, 80));
    sb = await startSandbox({ world: worldOf(endpoints) });
    const { report } = await scanWith(sb, 'notify');
    const withFloors = sb.calls()['application-autoscaling.DescribeScalableTargets'];
    await scanWith(sb, 'notify', ['idle-endpoint']);

    expect(withFloors).toBe(2);
    expect(sb.calls()['application-autoscaling.DescribeScalableTargets']).toBe(2);
    expect(report.findings.filter((f) => f.ruleId === 'autoscaling-floor')).toHaveLength(60);
  });

  it('lowers the floor on approval, re-checking first, and Undo restores the scalable target exactly', async () => {
    sb = await startSandbox({ world: worldOf([autoscaled('chat', 4, 4, 240)]) });
    const aas = new ApplicationAutoScalingClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
    // Scale-in suspended by its owners: undo must put that back too.
    await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/chat/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', SuspendedState: { ScheduledScalingSuspended: true } }));
    const before = await targetOf(sb, 'chat');
    const { report, store, deps } = await scanWith(sb, 'approve');
    const p = report.proposals.find((x) => x.kind === 'aws.sagemaker.lower-autoscaling-floor');
    expect(p).toMatchObject({ mode: 'approve', parameters: { 'min:AllTraffic': 2 }, monthlySaving: { amount: 595.68, currency: 'USD' } });
    await store.decide({ proposalId: p!.id, verdict: 'approve', by: 'U0APPROVER', at: sb.clock.now(), via: 'slack' });
    await store.transitionProposal(p!.id, ['proposed'], 'approved');

    const done = await executeProposal(p!.id, 'U0APPROVER', deps);
    const lowered = await targetOf(sb, 'chat');
    const saved = await store.getProposal(p!.id);
    const undone = await undoProposal(p!.id, 'U0APPROVER', deps);
    const restored = await targetOf(sb, 'chat');

    expect(done).toMatchObject({ outcome: 'executed', detail: expect.stringContaining('AllTraffic 4 → 2') });
    expect(lowered).toMatchObject({ MinCapacity: 2, MaxCapacity: 8, SuspendedState: { ScheduledScalingSuspended: true } });
    expect(saved?.undoData).toMatchObject({ endpointName: 'chat', targets: [{ resourceId: 'endpoint/chat/variant/AllTraffic', minCapacity: 4, maxCapacity: 8 }] });
    expect(undone).toMatchObject({ outcome: 'undone' });
    expect(restored).toEqual(before);
    expect(sb.calls()['application-autoscaling.RegisterScalableTarget']).toBe(3);
  });

  it('cancels the change when the floor was lowered by someone else before it ran', async () => {
    sb = await startSandbox({ world: worldOf([autoscaled('chat', 4, 4, 240)]) });
    const { report, store, deps } = await scanWith(sb, 'approve');
    const p = report.proposals.find((x) => x.kind === 'aws.sagemaker.lower-autoscaling-floor')!;
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U0APPROVER', at: sb.clock.now(), via: 'slack' });
    await store.transitionProposal(p.id, ['proposed'], 'approved');
    const aas = new ApplicationAutoScalingClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
    await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'sagemaker', ResourceId: 'endpoint/chat/variant/AllTraffic', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 2 }));
    const registered = sb.calls()['application-autoscaling.RegisterScalableTarget'];

    const done = await executeProposal(p.id, 'U0APPROVER', deps);

    expect(done.outcome).toBe('cancelled');
    expect(done.detail).toContain('no longer matches');
    expect(sb.calls()['application-autoscaling.RegisterScalableTarget']).toBe(registered);
  });

  it('never acts on an exempt endpoint, nor in notify mode', async () => {
    sb = await startSandbox({ world: worldOf([autoscaled('chat', 4, 4, 240, { 'costwatch:exempt': 'true' }), autoscaled('other', 4, 4, 240)]) });
    const auto = await scanWith(sb, 'auto');
    const notify = await scanWith(sb, 'notify');

    expect(auto.report.skipped.find((s) => s.findingId.endsWith('endpoint/chat'))?.reason).toMatch(/^exempt/);
    expect(auto.report.executions).toEqual([expect.objectContaining({ outcome: 'executed', detail: expect.stringContaining('endpoint other') })]);
    expect(notify.report.proposals).toEqual([]);
    expect((await targetOf(sb, 'chat'))?.MinCapacity).toBe(4);
  });

  it('reports a DescribeScalableTargets failure and keeps the endpoints listed', async () => {
    sb = await startSandbox({ world: worldOf([autoscaled('chat', 4, 4, 240)], [{ service: 'application-autoscaling', kind: 'access-denied' }]) });
    const { report } = await scanWith(sb, 'notify', ['autoscaling-floor', 'idle-endpoint']);

    expect(report.findings.find((f) => f.state === 'failure')?.title).toContain('application-autoscaling:DescribeScalableTargets');
    expect(report.findings.filter((f) => f.ruleId === 'autoscaling-floor')).toEqual([]);
    expect(report.scopes[0]?.resources).toBe(1);
  });
});
