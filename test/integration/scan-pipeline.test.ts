import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { defaultPolicyFor, parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { executeProposal, undoProposal } from '../../shared/pipeline/execute.js';
import { runScan, STALE_APPROVAL_MINUTES } from '../../shared/pipeline/scan.js';
import { ADVICE_RULE_IDS } from '../../shared/rules/index.js';
import { InProcessExecutionQueue } from '../../shared/queue/in-process-queue.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, worldScopes, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const NOW = '2026-11-28T12:00:00Z';
const variant = (metrics: Record<string, unknown>, instanceType = 'ml.m5.xlarge', instanceCount = 1) => ({ instanceType, instanceCount, metrics });

function world(extra: Partial<WorldInput> = {}): WorldInput {
  return {
    version: 1,
    now: NOW,
    aws: {
      accounts: [
        {
          id: '111111111111',
          name: 'prod',
          regions: {
            'us-east-1': {
              sagemaker: {
                endpoints: [
                  { name: 'idle-a', createdAt: '-30d', tags: { team: 'fraud' }, variants: [variant({ invocations: { constant: 0 }, cpu: { constant: 3 } }, 'ml.g5.xlarge', 2)] },
                  { name: 'busy', createdAt: '-30d', variants: [variant({ invocations: { constant: 40 }, cpu: { constant: 60 } })] },
                  { name: 'new', createdAt: '-2h', variants: [variant({ invocations: { constant: 0 }, cpu: { constant: 3 } })] },
                  { name: 'no-data', createdAt: '-30d', variants: [variant({})] },
                  { name: 'nightly', createdAt: '-30d', variants: [variant({ invocations: { daily: { hours: [2], value: 30, otherwise: 0 } }, cpu: { constant: 5 } })] },
                  { name: 'exempt', createdAt: '-30d', tags: { 'costwatch:exempt': 'true' }, variants: [variant({ invocations: { constant: 0 }, cpu: { constant: 3 } })] },
                  { name: 'wakes-up', createdAt: '-30d', variants: [variant({ invocations: { constant: 5, from: '+1h' }, cpu: { constant: 3 } })] },
                ],
              },
            },
          },
        },
        {
          id: '222222222222',
          name: 'dev',
          regions: { 'us-east-1': { sagemaker: { endpoints: [{ name: 'idle-b', createdAt: '-10d', variants: [variant({ invocations: { constant: 0 }, cpu: { constant: 1 } })] }] } } },
        },
      ],
    },
    ...extra,
  };
}

function policyWith(yaml: string): Policy {
  return parsePolicy(
    `version: 1
clouds:
  aws:
    accounts:
      - { id: "111111111111", name: prod, regions: [us-east-1] }
      - { id: "222222222222", name: dev, regions: [us-east-1] }
${yaml}`,
    'test.yml',
  ).policy;
}

describe('scan pipeline on the sandbox cloud', () => {
  let sandbox: Sandbox;
  let store: StateStore;

  async function start(w: WorldInput = world()) {
    sandbox = await startSandbox({ world: defineWorld(w) });
    store = await openMemoryStore();
  }

  async function scan(policy: Policy, dryRun = false) {
    const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    const opts = scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun });
    const deps = { providers, store, clock: sandbox.clock, prices: priceBook(policy) };
    return { report: await runScan(opts, deps), opts, deps };
  }

  beforeEach(async () => start());
  afterEach(async () => {
    await store?.close();
    await sandbox?.close();
  });

  it('reports exactly the idle endpoints, with unknown kept apart and never proposed', async () => {
    const { report } = await scan(defaultPolicyFor(worldScopes(defineWorld(world()))));
    const idle = report.findings.filter((f) => f.ruleId === 'idle-endpoint');
    const byName = Object.fromEntries(idle.map((f) => [f.resource?.name, f]));
    expect(Object.keys(byName).sort()).toEqual(['exempt', 'idle-a', 'idle-b', 'no-data', 'wakes-up']);
    expect(byName['idle-a']?.state).toBe('violation');
    expect(byName['idle-a']?.confidence).toBe('high');
    expect(byName['idle-a']?.waste?.monthly).toEqual({ amount: 2055.68, currency: 'USD' });
    expect(byName['wakes-up']?.confidence).toBe('medium');
    expect(byName['no-data']?.state).toBe('unknown');
    expect(report.proposals.map((p) => p.resource.name).sort()).toEqual(['idle-a', 'idle-b', 'wakes-up']);
    expect(report.skipped.find((s) => s.findingId === byName['exempt']?.id)?.reason).toContain('exempt');
    const idleWaste = idle.reduce((sum, f) => sum + (f.waste?.monthly.amount ?? 0), 0);
    expect(idleWaste).toBeCloseTo(2055.68 + 167.9 * 3, 2);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  });

  it('changes nothing in dry-run, even in auto mode', async () => {
    const { report } = await scan(policyWith('rules:\n  idle-endpoint: { mode: auto }'), true);
    expect(report.executions.map((e) => e.outcome)).toContain('would-execute');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
    expect(sandbox.calls()['sagemaker.CreateEndpoint']).toBe(0);
    expect(await store.listProposals()).toEqual([]);
    expect(await store.listAudit()).toEqual([]);
  });

  it('writes nothing to the state in dry-run, not even a cache item, and still reads the cache', async () => {
    const calls: string[] = [];
    const real = store;
    const spy = new Proxy(real, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (...args: unknown[]) => (calls.push(String(prop)), (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
      },
    });
    const policy = policyWith('rules:\n  idle-endpoint: { mode: auto }');
    const reads = ['getProposal', 'listProposals', 'getDecision', 'listAudit', 'activeSnoozes', 'activeExemptions', 'getSlackMessage', 'listSlackMessages', 'getCached', 'close'];
    const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    const deps = { providers, store: spy, clock: sandbox.clock, prices: priceBook(policy) };

    await runScan(scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: true }), deps);
    const dryCalls = [...calls];
    calls.length = 0;
    await runScan(scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: false }), deps);

    expect(dryCalls.filter((c) => !reads.includes(c))).toEqual([]);
    expect(dryCalls).toContain('getCached');
    // The same scan for real does write, cache items included: the dry run's silence is not for want of anything to write.
    expect(calls).toContain('putCached');
    expect(calls).toContain('upsertProposal');
  });

  it('acts on high-confidence findings in auto mode, saves undo data first, and Undo restores the endpoint', async () => {
    const { report, opts, deps } = await scan(policyWith('rules:\n  idle-endpoint: { mode: auto }'));
    const executed = report.executions.filter((e) => e.outcome === 'executed').map((e) => e.proposalId);
    expect(executed).toHaveLength(2);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(2);
    const idleA = report.proposals.find((p) => p.resource.name === 'idle-a')!;
    const stored = await store.getProposal(idleA.id);
    expect(stored?.status).toBe('executed');
    expect(stored?.undoData).toMatchObject({ endpointName: 'idle-a', endpointConfigName: 'idle-a-config', tags: { team: 'fraud' } });
    expect(await deps.providers.get('aws')!.describe(idleA.resource)).toBeUndefined();
    // medium confidence stays with a person
    expect(report.proposals.find((p) => p.resource.name === 'wakes-up')?.mode).toBe('approve');

    const undone = await undoProposal(idleA.id, 'U123', deps);
    expect(undone.outcome).toBe('undone');
    const back = await deps.providers.get('aws')!.describe(idleA.resource);
    expect(back?.state).toBe('InService');
    expect(back?.tags).toEqual({ team: 'fraud' });
    expect((await store.getProposal(idleA.id))?.status).toBe('undone');

    // Undo snoozes the resource: once the re-created endpoint is old enough to judge, it is still not proposed.
    sandbox.clock.advance(48 * 3600_000);
    const again = await runScan(opts, deps);
    expect(again.proposals.find((p) => p.resource.name === 'idle-a')).toBeUndefined();
    expect(again.skipped.some((s) => s.reason.startsWith('snoozed until'))).toBe(true);
  });

  it('cancels an approved action when the re-check finds the endpoint in use again', async () => {
    const { report, opts, deps } = await scan(policyWith('rules:\n  idle-endpoint: { mode: approve }'));
    const p = report.proposals.find((x) => x.resource.name === 'wakes-up')!;
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U1', at: sandbox.clock.now(), via: 'cli' });
    await store.transitionProposal(p.id, ['proposed'], 'approved');
    sandbox.clock.advance(2 * 3600_000);
    const out = await executeProposal(p.id, 'U1', { ...deps, rules: new Map(opts.rules.map((r) => [r.rule.id, r])), policy: opts.policy, lookbackHours: opts.lookbackHours });
    expect(out.outcome).toBe('cancelled');
    expect(out.detail).toMatch(/no longer matches: \d+ invocations/);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
    expect((await store.getProposal(p.id))?.status).toBe('cancelled');
  });

  it('queues again an approval whose execution job was lost, once it is older than the grace period', async () => {
    const policy = policyWith('rules:\n  idle-endpoint: { mode: approve }');
    const { report, opts, deps } = await scan(policy);
    const p = report.proposals.find((x) => x.resource.name === 'idle-a')!;
    // The approval is recorded but its job never reached the queue (a crash in between).
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U1', at: sandbox.clock.now(), via: 'slack' });
    await store.transitionProposal(p.id, ['proposed'], 'approved');
    const queue = new InProcessExecutionQueue();
    await runScan(opts, { ...deps, executionQueue: queue });
    expect(queue.pending()).toHaveLength(0); // still within the grace period: the job may just be slow

    sandbox.clock.advance((STALE_APPROVAL_MINUTES + 1) * 60_000);
    await runScan(opts, { ...deps, executionQueue: queue });
    const jobs = queue.pending();
    expect(jobs).toEqual([expect.objectContaining({ type: 'execute', proposalId: p.id, actor: 'U1' })]);
    expect((await store.listAudit()).some((e) => e.event === 'requeued' && e.proposalId === p.id)).toBe(true);
  });

  it('executes an approved proposal exactly once under concurrent executors', async () => {
    const { report, opts, deps } = await scan(policyWith('rules:\n  idle-endpoint: { mode: approve }'));
    const p = report.proposals.find((x) => x.resource.name === 'idle-a')!;
    await store.transitionProposal(p.id, ['proposed'], 'approved');
    const exec = { ...deps, rules: new Map(opts.rules.map((r) => [r.rule.id, r])), policy: opts.policy, lookbackHours: opts.lookbackHours };
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => executeProposal(p.id, 'U1', exec)));
    expect(outcomes.filter((o) => o.outcome === 'executed')).toHaveLength(1);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
  });

  it('never acts on an exempt resource, and honours the per-run limit', async () => {
    const { report } = await scan(policyWith('rules:\n  idle-endpoint: { mode: auto }\nlimits: { maxActionsPerRun: 1 }'));
    expect(report.executions.filter((e) => e.outcome === 'executed')).toHaveLength(1);
    expect(report.proposals.filter((p) => p.modeReason?.includes('maxActionsPerRun'))).toHaveLength(1);
    expect(report.proposals.find((p) => p.resource.name === 'exempt')).toBeUndefined();
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
  });

  it('reports an unreadable account as a failure without hiding the other account', async () => {
    sandbox.faults.add({ kind: 'access-denied', account: '222222222222' });
    const { report } = await scan(policyWith(''));
    const failures = report.findings.filter((f) => f.state === 'failure');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.scopeId === '222222222222')).toBe(true);
    expect(report.findings.some((f) => f.resource?.name === 'idle-a' && f.state === 'violation')).toBe(true);
  });

  it('turns unreadable metrics into unknown findings, never into idle', async () => {
    sandbox.faults.add({ service: 'cloudwatch', operation: 'GetMetricData', kind: 'access-denied' });
    const { report } = await scan(policyWith('rules:\n  idle-endpoint: { mode: auto }'));
    // Advice (missing tags, spot) reads no metric; every rule that reads usage finds nothing.
    expect(report.findings.filter((f) => f.state === 'violation' && !ADVICE_RULE_IDS.includes(f.ruleId))).toEqual([]);
    expect(report.findings.some((f) => f.state === 'failure' && f.title.includes('GetMetricData'))).toBe(true);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  });

  it('finds the same things when a third of the calls are throttled', async () => {
    const policy = policyWith('');
    const clean = (await scan(policy, true)).report.findings.map((f) => `${f.id}:${f.state}:${f.confidence ?? ''}`).sort();
    await sandbox.close();
    await start(world({ seed: 7, faults: [{ kind: 'throttle', rate: 0.3 }] }));
    // The SDK's own retry strategy (exponential backoff) absorbs the throttling; this takes seconds.
    const throttled = await scan(policy, true);
    expect(throttled.report.findings.map((f) => `${f.id}:${f.state}:${f.confidence ?? ''}`).sort()).toEqual(clean);
    expect(Object.values(sandbox.faults.injected()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
