import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { ProposedAction } from '../../shared/domain/action.js';
import { executeProposal, INTERRUPTED_AFTER_MINUTES, undoProposal, UnrecordedExecutionError } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { InProcessExecutionQueue } from '../../shared/queue/in-process-queue.js';
import type { ExecutionJob } from '../../shared/queue/port.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import type { SlackApi } from '../../shared/slack/api.js';
import { runJob, type JobDeps } from '../../shared/slack/jobs.js';
import { jobDepsFor } from '../../shared/slack/wiring.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';
import type { StateStore } from '../../shared/store/port.js';

/*
 * Deployed, an executor is a Lambda invocation: a crash or a timeout can leave a proposal
 * `executing` (claimed, undo data saved, the action cut off) with no process left to finish it.
 * The scheduled scan queues such proposals again once no executor can still be running them
 * (INTERRUPTED_AFTER_MINUTES), and the execute function takes each over with a conditional write
 * and resumes it under the invariants of a first run. Against DynamoDB's wire protocol (dynalite).
 */

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

const NOW = '2026-11-28T12:00:00Z';
const ACCOUNT = '111111111111';
const MINUTE = 60_000;
const POLICY = parsePolicy(
  `version: 1
clouds:
  aws:
    accounts:
      - { id: "${ACCOUNT}", name: prod, regions: [us-east-1] }
rules:
  idle-endpoint: { mode: approve }
limits: { maxActionsPerRun: 100, maxActionsPerDay: 100, maxAutoMonthlyImpact: { amount: 1000000 } }
`,
  'p.yml',
).policy;

const idle = (name: string) => ({
  name,
  createdAt: '-30d',
  variants: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 2 } } }],
});

/** Slack is not configured for these proposals (no message was posted): any call is a bug. */
const noSlack = new Proxy({} as SlackApi, {
  get: (_t, name) => () => Promise.reject(new Error(`unexpected Slack call ${String(name)}`)),
});

let db: Server;
let raw: DynamoDBClient;
let tables = 0;
beforeAll(async () => {
  db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((ok) => db.listen(0, '127.0.0.1', ok));
  raw = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(db.address() as AddressInfo).port}`, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});
afterAll(async () => {
  raw.destroy();
  await new Promise<void>((ok) => db.close(() => ok()));
});

async function newStore(): Promise<DynamoStateStore> {
  const tableName = `state-${++tables}`;
  await raw.send(
    new CreateTableCommand({ TableName: tableName, KeySchema: [...STATE_TABLE_SCHEMA.keySchema], AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions], BillingMode: STATE_TABLE_SCHEMA.billingMode }),
  );
  await new Promise((r) => setTimeout(r, 5));
  return new DynamoStateStore({ client: raw, tableName });
}

describe('recovery of actions cut off by a Lambda crash or timeout (deployed path, DynamoDB)', () => {
  let sandbox: Sandbox;
  let store: StateStore;
  let queue: InProcessExecutionQueue;
  afterEach(async () => {
    await sandbox?.close();
  });

  async function setup(names: readonly string[], wrap: (s: StateStore) => StateStore = (s) => s) {
    sandbox = await startSandbox({ world: defineWorld({ version: 1, now: NOW, aws: { accounts: [{ id: ACCOUNT, name: 'prod', regions: { 'us-east-1': { sagemaker: { endpoints: names.map(idle) } } } }] } }) });
    store = wrap(await newStore());
    queue = new InProcessExecutionQueue();
    const providers = buildProviders(POLICY, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    const deps: JobDeps = jobDepsFor(POLICY, { store, providers, clock: sandbox.clock, api: noSlack });
    const scan = () =>
      runScan(scanOptionsFor(POLICY, { now: () => sandbox.clock.now() }), { providers, store, clock: sandbox.clock, prices: priceBook(POLICY), executionQueue: queue });
    const { proposals } = await scan();
    const byName = Object.fromEntries(proposals.map((p) => [p.resource.name, p])) as Record<string, ProposedAction>;
    return { providers, deps, scan, byName };
  }

  /** What an executor leaves when it dies after claiming: approved by a person, then `executing` with undo data saved. */
  async function claimThenCrash(p: ProposedAction, providers: ReturnType<typeof buildProviders>) {
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U024BE7LH', at: sandbox.clock.now(), via: 'slack' });
    await store.transitionProposal(p.id, ['proposed'], 'approved', { at: sandbox.clock.now() });
    const provider = providers.get('aws')!;
    const undoData = await provider.captureUndo(p.kind, (await provider.describe(p.resource))!);
    await store.transitionProposal(p.id, ['approved'], 'executing', { undoData, at: sandbox.clock.now() });
  }

  const takeJobs = (): ExecutionJob[] => {
    const jobs = [...queue.pending()];
    void queue.drain(async () => undefined);
    return jobs;
  };

  it('queues an interrupted action again only once no executor can still be running it, and resumes it once under the re-check', { timeout: 60_000 }, async () => {
    const { providers, deps, scan, byName } = await setup(['cut-off', 'took-effect', 'exempt-now']);
    for (const name of ['cut-off', 'took-effect', 'exempt-now']) await claimThenCrash(byName[name]!, providers);
    // One delete had gone through before the crash; one endpoint was exempted in Slack since.
    sandbox.state.aws.region(ACCOUNT, 'us-east-1').deleteEndpoint('took-effect', sandbox.clock.now().getTime());
    await store.putExemption({ resourceId: byName['exempt-now']!.resource.id, by: 'U0OPS', reason: 'demo on Friday', createdAt: sandbox.clock.now() });

    // Within the timeout the executor that claimed them may still be running: nothing is taken over.
    sandbox.clock.advance(5 * MINUTE);
    await scan();
    expect(takeJobs()).toEqual([]);
    const early = await executeProposal(byName['cut-off']!.id, 'U024BE7LH', deps.executor);
    expect(early).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/taken as interrupted only after 15 minutes/) });

    // Past it, the scheduled scan queues each once; SQS delivers at least once, so run every job twice, at once.
    sandbox.clock.advance(INTERRUPTED_AFTER_MINUTES * MINUTE);
    await scan();
    const jobs = takeJobs();
    expect(jobs.map((j) => (j.type === 'execute' ? j.proposalId : '')).sort()).toEqual(['cut-off', 'took-effect', 'exempt-now'].map((n) => byName[n]!.id).sort());
    const results = await Promise.all(jobs.flatMap((j) => [runJob(j, deps), runJob(j, deps)]));

    const status = async (name: string) => (await store.getProposal(byName[name]!.id))?.status;
    expect(await status('cut-off')).toBe('executed');
    expect(await status('took-effect')).toBe('executed');
    expect(await status('exempt-now')).toBe('cancelled');
    // The cut-off delete is sent once, the one that went through is not sent again, the exempt endpoint is left alone.
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    expect(results.filter((r) => r.outcome?.outcome === 'skipped')).toHaveLength(3);
    const audit = await store.listAudit();
    expect(audit.filter((e) => e.event === 'executed').map((e) => e.proposalId).sort()).toEqual([byName['cut-off']!.id, byName['took-effect']!.id].sort());
    expect(audit.filter((e) => e.event === 'recovered')).toHaveLength(3);
    expect(audit.find((e) => e.event === 'cancelled')?.detail).toMatch(/interrupted; exempt: .*demo on Friday/);
    // Nothing is left in flight, so nothing blocks new proposals for these resources.
    expect(await store.listProposals({ status: ['approved', 'executing'] })).toEqual([]);
    // A recovered action is undoable like any other.
    expect((await undoProposal(byName['cut-off']!.id, 'U024BE7LH', deps.executor)).outcome).toBe('undone');
  });

  it('counts from when it first sees a proposal stored without statusChangedAt, so an older version\'s in-flight action is never taken over early', { timeout: 60_000 }, async () => {
    const { providers, deps, scan, byName } = await setup(['legacy']);
    const p = byName['legacy']!;
    await claimThenCrash(p, providers);
    // As a version before statusChangedAt stored it: the same proposal, without the field.
    const { statusChangedAt: _dropped, ...legacy } = (await store.getProposal(p.id))!;
    const fresh = await newStore();
    await fresh.upsertProposal(legacy);
    await fresh.decide((await store.getDecision(p.id))!);
    store = fresh;
    const legacyDeps = { ...deps.executor, store: fresh };

    // With no time recorded, the scan queues it at once; the executor only stamps it.
    await scan();
    expect(takeJobs().map((j) => (j.type === 'execute' ? j.proposalId : ''))).toEqual([p.id]);
    const stamped = await executeProposal(p.id, 'U024BE7LH', legacyDeps);
    sandbox.clock.advance((INTERRUPTED_AFTER_MINUTES - 1) * MINUTE);
    await scan();
    expect(takeJobs()).toEqual([]);
    const stillEarly = await executeProposal(p.id, 'U024BE7LH', legacyDeps);
    sandbox.clock.advance(2 * MINUTE);
    const resumed = await executeProposal(p.id, 'U024BE7LH', legacyDeps);

    expect(stamped).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/unrecorded time/) });
    expect(stillEarly.outcome).toBe('skipped');
    expect(resumed.outcome).toBe('executed');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
  });

  it('never marks an action failed when the cloud changed but recording it did not: it stays executing, is recorded executed by the recovery, and Undo is offered', { timeout: 60_000 }, async () => {
    let refuse = 0;
    const flaky = (s: StateStore): StateStore =>
      new Proxy(s, {
        get(target, name, receiver) {
          if (name === 'transitionProposal') {
            return (id: string, from: readonly string[], to: string, patch?: object) => {
              if (to === 'executed' && refuse > 0) {
                refuse--;
                return Promise.reject(Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ProvisionedThroughputExceededException' }));
              }
              return (target.transitionProposal as (...a: unknown[]) => unknown).call(target, id, from, to, patch);
            };
          }
          const v = Reflect.get(target, name, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    const { deps, scan, byName } = await setup(['flaky-store', 'one-hiccup'], flaky);
    for (const name of ['flaky-store', 'one-hiccup']) {
      await store.decide({ proposalId: byName[name]!.id, verdict: 'approve', by: 'U024BE7LH', at: sandbox.clock.now(), via: 'slack' });
      await store.transitionProposal(byName[name]!.id, ['proposed'], 'approved', { at: sandbox.clock.now() });
    }

    // One failed write is tried again: the action is recorded at once.
    refuse = 1;
    const once = await executeProposal(byName['one-hiccup']!.id, 'U024BE7LH', deps.executor);
    expect(once.outcome).toBe('executed');

    // A store that keeps failing: the error propagates (the queue retries the job), the proposal is not failed.
    refuse = 100;
    const error = await executeProposal(byName['flaky-store']!.id, 'U024BE7LH', deps.executor).catch((e: unknown) => e);
    refuse = 0;
    expect(error).toBeInstanceOf(UnrecordedExecutionError);
    expect((error as Error).message).toMatch(/took effect but could not be recorded/);
    expect((await store.getProposal(byName['flaky-store']!.id))?.status).toBe('executing');
    expect((await store.listAudit()).filter((e) => e.event === 'failed')).toEqual([]);

    sandbox.clock.advance((INTERRUPTED_AFTER_MINUTES + 1) * MINUTE);
    await scan();
    for (const job of takeJobs()) await runJob(job, deps);

    expect((await store.getProposal(byName['flaky-store']!.id))?.status).toBe('executed');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(2);
    const undo = await undoProposal(byName['flaky-store']!.id, 'U024BE7LH', deps.executor);
    expect(undo.outcome).toBe('undone');
  });

  it('finishes an undo cut off by a crash: queued again once no executor can still be running it, run again once, recorded undone', { timeout: 60_000 }, async () => {
    const { deps, scan, byName } = await setup(['undo-cut-off', 'undo-took-effect']);
    for (const name of ['undo-cut-off', 'undo-took-effect']) {
      const id = byName[name]!.id;
      await store.decide({ proposalId: id, verdict: 'approve', by: 'U024BE7LH', at: sandbox.clock.now(), via: 'slack' });
      await store.transitionProposal(id, ['proposed'], 'approved', { at: sandbox.clock.now() });
      expect((await executeProposal(id, 'U024BE7LH', deps.executor)).outcome).toBe('executed');
      // The undo claimed it, then the Lambda died: before re-creating the endpoint, or just after.
      await store.transitionProposal(id, ['executed'], 'undoing', { at: sandbox.clock.now() });
    }
    const undo = deps.executor.providers.get('aws')!;
    const took = (await store.getProposal(byName['undo-took-effect']!.id))!;
    await undo.undo(took.kind, took.resource, took.undoData!);
    expect(sandbox.calls()['sagemaker.CreateEndpoint']).toBe(1);

    // Within the timeout the undo may still be running: not queued, and a redelivered job is skipped.
    sandbox.clock.advance(5 * MINUTE);
    await scan();
    expect(takeJobs()).toEqual([]);
    const early = await undoProposal(byName['undo-cut-off']!.id, 'U024BE7LH', deps.executor);
    expect(early).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/taken as interrupted only after 15 minutes/) });

    // Past it, each is queued once; delivered twice at once, each undo runs once.
    sandbox.clock.advance(INTERRUPTED_AFTER_MINUTES * MINUTE);
    await scan();
    const jobs = takeJobs();
    expect(jobs.map((j) => (j.type === 'undo' ? j.proposalId : '')).sort()).toEqual([byName['undo-cut-off']!.id, byName['undo-took-effect']!.id].sort());
    const results = await Promise.all(jobs.flatMap((j) => [runJob(j, deps), runJob(j, deps)]));
    expect(results.filter((r) => r.outcome?.outcome === 'undone')).toHaveLength(2);

    for (const name of ['undo-cut-off', 'undo-took-effect']) expect((await store.getProposal(byName[name]!.id))?.status).toBe('undone');
    // The endpoint already back is not created a second time.
    expect(sandbox.calls()['sagemaker.CreateEndpoint']).toBe(2);
    const audit = await store.listAudit();
    expect(audit.filter((e) => e.event === 'requeued' && /undo was interrupted/.test(e.detail ?? ''))).toHaveLength(2);
    expect(audit.filter((e) => e.event === 'recovered')).toHaveLength(2);
    expect(audit.find((e) => e.event === 'undone' && e.proposalId === byName['undo-took-effect']!.id)?.detail).toMatch(/exists already .*nothing to undo/);
    // Nothing is left undoing, and a later scan queues nothing more.
    expect(await store.listProposals({ status: ['undoing'] })).toEqual([]);
    await scan();
    expect(takeJobs()).toEqual([]);
  });
});
