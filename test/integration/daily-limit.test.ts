import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { receiveEventBridge } from '../../shared/events/index.js';
import type { Notification } from '../../shared/notify/port.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const NOW = '2026-11-28T12:00:00Z';
const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444'];

/** Four accounts, each with two endpoints idle for a month (high confidence) and one in use. */
function world(): WorldInput {
  const idle = (name: string) => ({
    name,
    createdAt: '-30d',
    variants: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 3 } } }],
  });
  return {
    version: 1,
    now: NOW,
    aws: {
      accounts: ACCOUNTS.map((id, n) => ({
        id,
        name: `team-${n}`,
        regions: {
          'us-east-1': {
            sagemaker: {
              endpoints: [
                idle(`idle-${n}-a`),
                idle(`idle-${n}-b`),
                { name: `busy-${n}`, createdAt: '-30d', variants: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 40 }, cpu: { constant: 60 } } }] },
              ],
            },
          },
        },
      })),
    },
  };
}

// maxActionsPerRun (3) never binds a worker, which has two idle endpoints: only the day's limit can hold the total.
const POLICY = `version: 1
clouds:
  aws:
    accounts:
${ACCOUNTS.map((id) => `      - { id: "${id}", regions: [us-east-1] }`).join('\n')}
rules:
  idle-endpoint: { mode: auto }
limits: { maxActionsPerRun: 3, maxActionsPerDay: 3 }
`;

describe('maxActionsPerDay across parallel scan workers', () => {
  let sandbox: Sandbox;
  let store: StateStore;
  let policy: Policy;

  beforeEach(async () => {
    sandbox = await startSandbox({ world: defineWorld(world()) });
    store = await openMemoryStore();
    const parsed = parsePolicy(POLICY, 'costwatch.yml');
    expect(parsed.warnings).toEqual([]);
    policy = parsed.policy;
  });
  afterEach(async () => {
    await store?.close();
    await sandbox?.close();
  });

  /** One runScan per account, all at once, sharing the store: what the deployed scan-worker fan-out does. */
  async function scanInParallel(dryRun = false): Promise<ScanReport[]> {
    const now = () => sandbox.clock.now();
    return Promise.all(
      ACCOUNTS.map((account) => {
        // Each worker builds its own clients, as each Lambda execution environment does.
        const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials, now } });
        const opts = scanOptionsFor(policy, { now, dryRun });
        return runScan(
          { ...opts, targets: opts.targets.filter((t) => t.scope.id === account), concurrency: 1 },
          { providers, store, clock: sandbox.clock, prices: priceBook(policy) },
        );
      }),
    );
  }

  it('acts on exactly maxActionsPerDay endpoints and proposes the rest for approval, saying why', async () => {
    const reports = await scanInParallel();

    const proposals = reports.flatMap((r) => r.proposals);
    const executed = reports.flatMap((r) => r.executions).filter((e) => e.outcome === 'executed');
    expect(proposals).toHaveLength(8);
    expect(executed).toHaveLength(3);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(3);
    const held = proposals.filter((p) => p.mode === 'approve');
    expect(held).toHaveLength(5);
    for (const p of held) expect(p.modeReason).toBe('over maxActionsPerDay (3)');
    const stored = await store.listProposals();
    expect(stored.filter((p) => p.status === 'executed')).toHaveLength(3);
    expect(stored.filter((p) => p.status === 'proposed').map((p) => [p.mode, p.modeReason])).toEqual(Array(5).fill(['approve', 'over maxActionsPerDay (3)']));
    const audit = await store.listAudit();
    expect(audit.filter((e) => e.event === 'executed')).toHaveLength(3);
    expect(audit.filter((e) => e.event === 'proposed' && e.detail.endsWith('(approve: over maxActionsPerDay (3))'))).toHaveLength(5);
  });

  it('takes no slot in dry-run, so a real run after it still gets the whole day', async () => {
    const dry = await scanInParallel(true);

    expect(dry.flatMap((r) => r.executions).filter((e) => e.outcome === 'would-execute')).toHaveLength(8);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);

    const real = await scanInParallel();

    expect(real.flatMap((r) => r.executions).filter((e) => e.outcome === 'executed')).toHaveLength(3);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(3);
  });

  it('holds an auto action raised by a cloud event to the slots parallel scans left', async () => {
    // Two of the day's three slots are held by scans still running: none has executed anything yet.
    expect(await store.reserveDailyActions(NOW.slice(0, 10), 2, 3)).toBe(2);
    const now = () => sandbox.clock.now();
    const published: Notification[] = [];
    const events = {
      policy,
      store,
      clock: sandbox.clock,
      providers: buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials, now } }),
      prices: priceBook(policy),
      notifier: { publish: async (batch: readonly Notification[]) => void published.push(...batch) },
    };
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const inService = (account: string, name: string) => endpointEvent(account, name, sandbox.clock.now().toISOString());

    const first = await receiveEventBridge(inService(ACCOUNTS[0]!, 'idle-0-a'), { events, log: silent });
    const second = await receiveEventBridge(inService(ACCOUNTS[1]!, 'idle-1-a'), { events, log: silent });

    expect(first.proposals.map((p) => p.mode)).toEqual(['auto']);
    expect((await store.getProposal(first.proposals[0]!.id))?.status).toBe('executed');
    expect(second.proposals.map((p) => [p.mode, p.modeReason])).toEqual([['approve', 'over maxActionsPerDay (3)']]);
    expect((await store.getProposal(second.proposals[0]!.id))?.status).toBe('proposed');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
  });

  it('gives the next UTC day its own slots', async () => {
    await scanInParallel();
    sandbox.clock.advance(24 * 3600_000);

    const nextDay = await scanInParallel();

    expect(nextDay.flatMap((r) => r.executions).filter((e) => e.outcome === 'executed')).toHaveLength(3);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(6);
    expect((await store.listProposals({ status: ['proposed'] })).map((p) => p.modeReason)).toEqual(['over maxActionsPerDay (3)', 'over maxActionsPerDay (3)']);
  });
});

/** The documented "SageMaker Endpoint State Change" event (test/fixtures/events), for an endpoint of the sandbox world. */
function endpointEvent(account: string, name: string, time: string): unknown {
  const doc = JSON.parse(readFileSync(new URL('../fixtures/events/sagemaker_endpoint_state_change__aws-doc.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  return { ...doc, id: `eb-${name}`, account, region: 'us-east-1', time, resources: [], detail: { ...(doc['detail'] as object), EndpointName: name, EndpointArn: undefined, EndpointStatus: 'InService' } };
}
