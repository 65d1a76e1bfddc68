import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionStatus, ProposedAction } from '../../shared/domain/action.js';
import type { AuditEntry, Decision } from '../../shared/domain/decision.js';
import type { Finding } from '../../shared/domain/finding.js';
import type { SavingsEntry } from '../../shared/domain/savings.js';
import { AlreadyDecidedError, ConditionFailedError, CostwatchError } from '../../shared/errors.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';
import { openEmbeddedStore, openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore, StoredSlackMessage, UsageWatermark } from '../../shared/store/port.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

const T0 = new Date('2025-03-10T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

function proposal(id: string, over: Partial<ProposedAction> = {}): ProposedAction {
  return {
    id,
    key: `stop-endpoint:${id}`,
    kind: 'stop-endpoint',
    findingId: `idle-endpoint:${id}`,
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111122223333', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id, name: id },
    mode: 'approve',
    parameters: { since: '2025-03-07T12:00:00.000Z', instances: 2 },
    reversible: true,
    monthlySaving: { amount: 2050.4, currency: 'USD' },
    status: 'proposed',
    createdAt: T0,
    expiresAt: at(72 * HOUR),
    ...over,
  };
}

function decision(proposalId: string, by: string, over: Partial<Decision> = {}): Decision {
  return { proposalId, verdict: 'approve', by, at: at(HOUR), via: 'slack', ...over };
}

function audit(ms: number, detail: string): AuditEntry {
  return { at: at(ms), actor: 'U123', event: 'decided', proposalId: 'p', detail };
}

/** Runs `work` over `items`, `width` at a time, so a thousand writes do not open a thousand sockets. */
async function inBatches<T>(items: readonly T[], width: number, work: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'costwatch-state-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A separately started dynalite server, one fresh table per store, as a deployed Lambda would see DynamoDB. */
const server = {
  dynalite: undefined as Server | undefined,
  raw: undefined as DynamoDBClient | undefined,
  queries: 0,
  tables: 0,
  async start() {
    this.dynalite = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const endpoint = await listen(this.dynalite);
    this.raw = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    this.raw.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') this.queries++;
        return next(args);
      },
      { step: 'initialize', name: 'countQueries' },
    );
  },
  async stop() {
    this.raw?.destroy();
    await new Promise<void>((ok) => (this.dynalite ? this.dynalite.close(() => ok()) : ok()));
  },
  async newTable(): Promise<string> {
    const name = `state-${++this.tables}`;
    await this.raw!.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [...STATE_TABLE_SCHEMA.keySchema],
        AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions],
        BillingMode: STATE_TABLE_SCHEMA.billingMode,
      }),
    );
    await new Promise((r) => setTimeout(r, 5)); // createTableMs 0 still activates on a later tick
    return name;
  },
};

const adapters: { name: string; open: () => Promise<StateStore> }[] = [
  { name: 'embedded store on a folder', open: async () => openEmbeddedStore({ dir: await tempDir() }) },
  { name: 'memory store', open: () => openMemoryStore() },
  { name: 'DynamoStateStore on a dynalite server', open: async () => new DynamoStateStore({ client: server.raw!, tableName: await server.newTable() }) },
];

beforeAll(() => server.start());
afterAll(() => server.stop());

describe.each(adapters)('StateStore contract: $name', ({ open }) => {
  let store: StateStore;
  const opened: StateStore[] = [];
  const fresh = async () => {
    store = await open();
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('returns what was upserted, dates as Date instances, when read back', async () => {
    await fresh();
    const p = proposal('ep-1', { modeReason: 'medium confidence' });

    const stored = await store.upsertProposal(p);
    const read = await store.getProposal('ep-1');

    expect(stored).toEqual(p);
    expect(read).toEqual(p);
    expect(read?.createdAt).toBeInstanceOf(Date);
    expect(read?.expiresAt).toBeInstanceOf(Date);
    expect(read?.parameters['since']).toBe('2025-03-07T12:00:00.000Z'); // a date-like string stays a string
    expect(await store.getProposal('missing')).toBeUndefined();
  });

  it('refreshes an open proposal but keeps its first createdAt and status when upserted again', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1', { modeReason: 'medium confidence' }));

    const again = proposal('ep-1', { createdAt: at(HOUR), expiresAt: at(96 * HOUR), parameters: { instances: 3 }, status: 'approved' });
    const stored = await store.upsertProposal(again);

    expect(stored).toEqual({ ...again, createdAt: T0, status: 'proposed' });
    expect(stored.modeReason).toBeUndefined();
    expect(await store.getProposal('ep-1')).toEqual(stored);
  });

  it('returns the stored proposal and changes nothing when upserting over a decided one', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    const approved = await store.transitionProposal('ep-1', ['proposed'], 'approved');

    const stored = await store.upsertProposal(proposal('ep-1', { expiresAt: at(200 * HOUR), parameters: { instances: 9 } }));

    expect(stored).toEqual(approved);
    expect(stored.status).toBe('approved');
    expect(await store.getProposal('ep-1')).toEqual(approved);
  });

  it('moves a proposal and merges undo data when its status is one of from', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    await store.transitionProposal('ep-1', ['proposed'], 'approved');

    const executed = await store.transitionProposal('ep-1', ['approved', 'proposed'], 'executed', {
      undoData: { endpointConfigName: 'cfg-1', tags: { team: 'ml' }, savedAt: T0 },
    });

    expect(executed.status).toBe('executed');
    expect(executed.undoData).toEqual({ endpointConfigName: 'cfg-1', tags: { team: 'ml' }, savedAt: T0.toISOString() });
    expect(executed.createdAt).toBeInstanceOf(Date);
    expect(await store.getProposal('ep-1')).toEqual(executed);
  });

  it('throws ConditionFailedError with the current status when the status is not one of from', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    await store.transitionProposal('ep-1', ['proposed'], 'cancelled');

    const error = await store.transitionProposal('ep-1', ['proposed', 'approved'], 'executed').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConditionFailedError);
    expect((error as ConditionFailedError).currentStatus).toBe('cancelled');
    expect((await store.getProposal('ep-1'))?.status).toBe('cancelled');
  });

  it('records when the status changed with every transition, and keeps it when the proposal is upserted again', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    const approved = await store.transitionProposal('ep-1', ['proposed'], 'approved', { at: at(HOUR) });
    const executing = await store.transitionProposal('ep-1', ['approved'], 'executing', { at: at(2 * HOUR), undoData: { a: 1 } });
    const upserted = await store.upsertProposal(proposal('ep-1', { statusChangedAt: at(9 * HOUR) }));

    expect(approved.statusChangedAt).toEqual(at(HOUR));
    expect(executing.statusChangedAt).toEqual(at(2 * HOUR));
    expect(upserted.statusChangedAt).toEqual(at(2 * HOUR));
    expect((await store.getProposal('ep-1'))?.statusChangedAt).toBeInstanceOf(Date);
  });

  it('lets one process only take over a proposal left in a status, and only while it is as it was seen', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    await store.transitionProposal('ep-1', ['proposed'], 'approved', { at: at(HOUR) });
    await store.transitionProposal('ep-1', ['approved'], 'executing', { at: at(2 * HOUR) });

    const takers = await Promise.all(Array.from({ length: 20 }, () => store.takeOverProposal('ep-1', 'executing', at(2 * HOUR), at(3 * HOUR))));
    const stale = await store.takeOverProposal('ep-1', 'executing', at(2 * HOUR), at(4 * HOUR));
    const wrongStatus = await store.takeOverProposal('ep-1', 'approved', at(3 * HOUR), at(4 * HOUR));
    const missing = await store.takeOverProposal('nope', 'executing', undefined, at(4 * HOUR));

    expect(takers.filter(Boolean)).toHaveLength(1);
    expect([stale, wrongStatus, missing]).toEqual([false, false, false]);
    expect(await store.getProposal('ep-1')).toMatchObject({ status: 'executing', statusChangedAt: at(3 * HOUR) });
  });

  it('throws ConditionFailedError without a status when the proposal does not exist', async () => {
    await fresh();

    const error = await store.transitionProposal('nope', ['proposed'], 'approved').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConditionFailedError);
    expect((error as ConditionFailedError).currentStatus).toBeUndefined();
    expect(await store.getProposal('nope')).toBeUndefined();
  });

  it('lists only the proposals in the given statuses when filtered', async () => {
    await fresh();
    const statuses: ActionStatus[] = ['proposed', 'approved', 'executed', 'cancelled'];
    for (const [i, s] of statuses.entries()) {
      await store.upsertProposal(proposal(`ep-${i}`));
      if (s !== 'proposed') await store.transitionProposal(`ep-${i}`, ['proposed'], s);
    }

    const open = await store.listProposals({ status: ['proposed', 'approved'] });
    const all = await store.listProposals();

    expect(open.map((p) => [p.id, p.status])).toEqual([['ep-0', 'proposed'], ['ep-1', 'approved']]);
    expect(all).toHaveLength(4);
    expect(await store.listProposals({ status: [] })).toEqual([]);
  });

  it('records exactly one decision when 50 approvers decide the same proposal at once', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));

    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.decide(decision('ep-1', `U${i}`))));

    const won = results.filter((r): r is PromiseFulfilledResult<Decision> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    const winner = won[0]!.value.by;
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(AlreadyDecidedError);
      expect((r.reason as AlreadyDecidedError).existing).toEqual({ verdict: 'approve', by: winner, at: at(HOUR) });
    }
    const stored = await store.getDecision('ep-1');
    expect(stored).toEqual(decision('ep-1', winner));
    expect(stored?.at).toBeInstanceOf(Date);
    expect(await store.getDecision('other')).toBeUndefined();
  });

  it('keeps the decision when the proposal is upserted again before its status moves', async () => {
    await fresh();
    await store.upsertProposal(proposal('ep-1'));
    await store.decide(decision('ep-1', 'U1'));

    await store.upsertProposal(proposal('ep-1', { expiresAt: at(96 * HOUR) }));

    await expect(store.decide(decision('ep-1', 'U2'))).rejects.toBeInstanceOf(AlreadyDecidedError);
    expect((await store.getDecision('ep-1'))?.by).toBe('U1');
  });

  it('lists audit entries oldest first, keeping entries that share a timestamp', async () => {
    await fresh();
    await store.appendAudit(audit(2 * HOUR, 'c'));
    await store.appendAudit(audit(0, 'a'));
    for (const d of ['b1', 'b2', 'b3']) await store.appendAudit(audit(HOUR, d));

    const all = await store.listAudit();
    const since = await store.listAudit({ since: at(HOUR) });
    const firstTwo = await store.listAudit({ limit: 2 });

    expect(all.map((e) => e.detail)).toEqual(['a', 'b1', 'b2', 'b3', 'c']);
    expect(all[0]).toEqual(audit(0, 'a'));
    expect(all[0]?.at).toBeInstanceOf(Date);
    expect(since.map((e) => e.detail)).toEqual(['b1', 'b2', 'b3', 'c']);
    expect(firstTwo.map((e) => e.detail)).toEqual(['a', 'b1']);
  });

  it('returns only the snoozes still in force at now', async () => {
    await fresh();
    await store.putSnooze({ resourceId: 'ended', by: 'U1', until: at(HOUR) });
    await store.putSnooze({ resourceId: 'running', by: 'U2', until: at(24 * HOUR) });

    const active = await store.activeSnoozes(at(HOUR));

    expect(active).toEqual([{ resourceId: 'running', by: 'U2', until: at(24 * HOUR) }]);
    expect(active[0]?.until).toBeInstanceOf(Date);
    expect(await store.activeSnoozes(at(25 * HOUR))).toEqual([]);
  });

  it('returns exemptions without expiry or expiring after now', async () => {
    await fresh();
    const forever = { resourceId: 'forever', by: 'U1', reason: 'prod', createdAt: T0 };
    const later = { resourceId: 'later', by: 'U1', reason: 'demo', createdAt: T0, expiresAt: at(48 * HOUR) };
    await store.putExemption(forever);
    await store.putExemption(later);
    await store.putExemption({ resourceId: 'over', by: 'U1', reason: 'old', createdAt: T0, expiresAt: at(HOUR) });

    const active = await store.activeExemptions(at(HOUR));

    expect(active).toEqual([forever, later]);
    expect(active[1]?.expiresAt).toBeInstanceOf(Date);
    expect(await store.activeExemptions(at(49 * HOUR))).toEqual([forever]);
  });

  it('marks an alert once until its mark expires, then again', async () => {
    await fresh();

    const first = await store.markAlerted('budget:ml', T0, at(HOUR));
    const during = await store.markAlerted('budget:ml', at(HOUR - 1), at(2 * HOUR));
    const other = await store.markAlerted('budget:data', at(HOUR - 1), at(2 * HOUR));
    const after = await store.markAlerted('budget:ml', at(HOUR), at(2 * HOUR));
    const renewed = await store.markAlerted('budget:ml', at(HOUR + 1), at(3 * HOUR));

    expect([first, during, other, after, renewed]).toEqual([true, false, true, true, false]);
  });

  it('returns a cached value until it expires, then nothing; a later put replaces it', async () => {
    await fresh();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ ServiceName: `svc-${i % 40}`, BilledCost: i / 7, ChargePeriodStart: at(i * HOUR) }));

    await store.putCached('ce:k', { rows }, at(HOUR));
    const hit = await store.getCached('ce:k', at(HOUR - 1));
    const expired = await store.getCached('ce:k', at(HOUR));
    const missing = await store.getCached('ce:other', T0);
    await store.putCached('ce:k', 'fresh', at(3 * HOUR));

    expect(hit).toEqual(JSON.parse(JSON.stringify({ rows })));
    expect(expired).toBeUndefined();
    expect(missing).toBeUndefined();
    expect(await store.getCached('ce:k', at(2 * HOUR))).toBe('fresh');
  });

  it('refuses a cached value too large for one item, keeping the previous one', async () => {
    await fresh();
    await store.putCached('big', 'small', at(HOUR));
    // Random text does not compress: well over the 350 kB an item may hold gzipped.
    const noise = Array.from({ length: 60_000 }, () => Math.random().toString(36).slice(2)).join('');

    await expect(store.putCached('big', noise, at(HOUR))).rejects.toThrow(/over the 350000 bytes/);
    expect(await store.getCached('big', T0)).toBe('small');
  });

  it('writes a Slack message reference only over the expected state, and reads it back with its dates', async () => {
    await fresh();
    const finding: Finding = {
      id: 'budget-breach:aws:ml',
      ruleId: 'budget-breach',
      state: 'violation',
      cloud: 'aws',
      scopeId: '111122223333',
      title: 'budget ml at 112%',
      evidence: ['spent $11,200 of $10,000'],
      lastActivity: at(-HOUR),
      budget: { budgetName: 'ml', source: 'config', kind: 'actual', period: { start: T0, end: at(30 * 24 * HOUR) }, drivers: [] },
      detectedAt: T0,
    };
    const m: StoredSlackMessage = { key: 'k1', channel: 'C1', ts: '1.000100', state: 'proposed', finding, proposalId: 'p1', postedAt: T0, updatedAt: T0 };

    const created = await store.putSlackMessage(m, undefined);
    const createdAgain = await store.putSlackMessage({ ...m, ts: '2.000100' }, undefined);
    const wrongState = await store.putSlackMessage({ ...m, state: 'executed' }, 'approved');
    const moved = await store.putSlackMessage({ ...m, state: 'executed', updatedAt: at(HOUR) }, 'proposed');
    const read = await store.getSlackMessage('k1');

    expect([created, createdAgain, wrongState, moved]).toEqual([true, false, false, true]);
    expect(read).toEqual({ ...m, state: 'executed', updatedAt: at(HOUR) });
    expect(read?.finding?.detectedAt).toBeInstanceOf(Date);
    expect(read?.finding?.budget?.period?.start).toBeInstanceOf(Date);
    expect(await store.getSlackMessage('other')).toBeUndefined();
  });

  it('lists Slack message references updated since a time', async () => {
    await fresh();
    const finding: Finding = { id: 'f', ruleId: 'idle-endpoint', state: 'unknown', cloud: 'aws', scopeId: '1', title: 't', evidence: [], detectedAt: T0 };
    for (const [key, h] of [['a', 0], ['b', 2], ['c', 5]] as const) {
      await store.putSlackMessage({ key, channel: 'C1', ts: `${h}.1`, state: 's', finding, postedAt: T0, updatedAt: at(h * HOUR) }, undefined);
    }

    const recent = await store.listSlackMessages({ since: at(2 * HOUR) });
    const all = await store.listSlackMessages();

    expect(recent.map((m) => m.key)).toEqual(['b', 'c']);
    expect(all.map((m) => m.key)).toEqual(['a', 'b', 'c']);
  });

  it('grants what is left of the day when more is asked, and nothing once the limit is reached', async () => {
    await fresh();

    const grants = [];
    for (const count of [2, 2, 3, 1]) grants.push(await store.reserveDailyActions('2025-03-10', count, 5));

    expect(grants).toEqual([2, 2, 1, 0]);
    expect(await store.reserveDailyActions('2025-03-10', 1, 6)).toBe(1); // a raised limit frees only the difference
    expect(await store.reserveDailyActions('2025-03-10', 0, 50)).toBe(0);
    expect(await store.reserveDailyActions('2025-03-11', 4, 0)).toBe(0);
    expect(await store.reserveDailyActions('2025-03-11', 4, 3)).toBe(3);
  });

  it('never lets the day pass the limit when 30 callers reserve at once', async () => {
    await fresh();
    const counts = Array.from({ length: 30 }, (_, i) => 1 + (i % 3)); // 60 slots asked for

    const grants = await Promise.all(counts.map((n) => store.reserveDailyActions('2025-03-10', n, 20)));

    expect(grants.reduce((a, b) => a + b, 0)).toBe(20);
    grants.forEach((g, i) => expect(g).toBeLessThanOrEqual(counts[i]!));
    expect(await store.reserveDailyActions('2025-03-10', 1, 20)).toBe(0);
  });

  it('counts each UTC day on its own', async () => {
    await fresh();

    const day1 = await Promise.all(Array.from({ length: 30 }, () => store.reserveDailyActions('2025-03-10', 1, 4)));
    const day2 = await Promise.all(Array.from({ length: 30 }, () => store.reserveDailyActions('2025-03-11', 1, 40)));

    expect(day1.filter((g) => g === 1)).toHaveLength(4);
    expect(day2.filter((g) => g === 1)).toHaveLength(30);
    expect(await store.reserveDailyActions('2025-03-10', 1, 4)).toBe(0);
    expect(await store.reserveDailyActions('2025-03-11', 20, 40)).toBe(10);
  });

  it('refuses a malformed day or slot count with a clear error and reserves nothing', async () => {
    await fresh();

    for (const day of ['2025-3-10', '2025-02-30', '2025-03-10T00:00:00Z', '']) {
      await expect(store.reserveDailyActions(day, 1, 5)).rejects.toThrow(`day must be a UTC date as YYYY-MM-DD, got ${JSON.stringify(day)}`);
    }
    await expect(store.reserveDailyActions('2025-03-10', -1, 5)).rejects.toThrow('count must be a whole number ≥ 0, got -1');
    await expect(store.reserveDailyActions('2025-03-10', 1.5, 5)).rejects.toBeInstanceOf(CostwatchError);
    await expect(store.reserveDailyActions('2025-03-10', 1, Number.NaN)).rejects.toThrow('limit must be a whole number ≥ 0, got NaN');
    expect(await store.reserveDailyActions('2025-03-10', 5, 5)).toBe(5);
  });

  it('lists every proposal when they span several Query pages', async () => {
    await fresh();
    // DynamoDB and dynalite return at most 1 MB per Query page: 250 proposals of ~9 KB make three.
    const padding = 'x'.repeat(9_000);
    const ids = Array.from({ length: 250 }, (_, i) => `ep-${String(i).padStart(4, '0')}`);
    await inBatches(ids, 50, (id) => store.upsertProposal(proposal(id, { parameters: { padding } })));

    const all = await store.listProposals();
    const open = await store.listProposals({ status: ['proposed'] });

    expect(all.map((p) => p.id)).toEqual(ids);
    expect(open).toHaveLength(250);
  });

  it('keeps activity watermarks per scope, replaces a resource\'s on write, and forgets a cleared one', async () => {
    await fresh();
    const mark = (scope: string, resourceId: string, due: Record<string, number>): UsageWatermark => ({
      scope,
      resourceId,
      createdAt: at(-30 * 24 * HOUR),
      due: Object.fromEntries(Object.entries(due).map(([rule, ms]) => [rule, { at: at(ms), why: `${rule} not before +${ms / HOUR} h` }])),
      updatedAt: T0,
    });
    expect(await store.usageWatermarks('aws:111122223333')).toEqual([]);
    const many = Array.from({ length: 60 }, (_, i) => mark('aws:111122223333', `arn:ep-${String(i).padStart(3, '0')}`, { 'idle-endpoint': (i + 1) * HOUR }));
    await store.putUsageWatermarks([...many, mark('aws:999999999999', 'arn:other', { 'idle-endpoint': HOUR })]);

    const read = await store.usageWatermarks('aws:111122223333');
    expect(read).toHaveLength(60);
    expect(read[0]).toEqual(many[0]);
    expect(read[0]?.due['idle-endpoint']?.at).toBeInstanceOf(Date);

    await store.putUsageWatermarks([mark('aws:111122223333', 'arn:ep-000', { 'idle-endpoint': 5 * HOUR, 'idle-notebook': 2 * HOUR }), mark('aws:111122223333', 'arn:ep-001', {})]);
    const after = await store.usageWatermarks('aws:111122223333');
    expect(after).toHaveLength(59);
    expect(after.find((m) => m.resourceId === 'arn:ep-000')?.due).toEqual({
      'idle-endpoint': { at: at(5 * HOUR), why: 'idle-endpoint not before +5 h' },
      'idle-notebook': { at: at(2 * HOUR), why: 'idle-notebook not before +2 h' },
    });
    expect(after.some((m) => m.resourceId === 'arn:ep-001')).toBe(false);
    expect((await store.usageWatermarks('aws:999999999999')).map((m) => m.resourceId)).toEqual(['arn:other']);

    // A rule's basis (what its verdict rests on) is kept with its due time.
    const withBasis: UsageWatermark = { ...mark('aws:111122223333', 'arn:ep-002', {}), due: { 'autoscaling-floor': { at: at(HOUR), why: 'fits', basis: 'AllTraffic:ml.m5.xlarge:3' } } };
    await store.putUsageWatermarks([withBasis]);
    expect((await store.usageWatermarks('aws:111122223333')).find((m) => m.resourceId === 'arn:ep-002')).toEqual(withBasis);
  });
});

// --- Savings ledger, and lifting snoozes and exemptions ------------------------------------------

function savingsEntry(id: string, over: Partial<SavingsEntry> = {}): SavingsEntry {
  return {
    id,
    actionKind: 'aws.sagemaker.delete-endpoint',
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111122223333', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: `arn:${id}`, name: id },
    team: 'fraud',
    hourly: { amount: 2.816, currency: 'USD' },
    arithmetic: 'ml.g5.xlarge $1.408/h × 2 = $2.816/h',
    priceSource: 'bundled price table 2025-10 (us-east-1)',
    openedAt: T0,
    ...over,
  };
}

describe.each(adapters)('StateStore contract, savings ledger: $name', ({ open }) => {
  let store: StateStore;
  const opened: StateStore[] = [];
  const fresh = async () => {
    store = await open();
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('reads an opened entry back with its dates, and keeps the first when the same id is opened again', async () => {
    await fresh();
    const first = savingsEntry('p1', { endsBy: at(5 * HOUR) });

    const stored = await store.openSavings(first);
    const again = await store.openSavings(savingsEntry('p1', { hourly: { amount: 99, currency: 'USD' }, openedAt: at(HOUR) }));

    expect(stored).toEqual(first);
    expect(again).toEqual(first);
    expect((await store.listSavings())[0]!.openedAt).toBeInstanceOf(Date);
  });

  it('closes an entry once: the first close counts, later ones and unknown ids return undefined', async () => {
    await fresh();
    await store.openSavings(savingsEntry('p1'));

    const closed = await store.closeSavings('p1', at(3 * HOUR), 'undone', 'undone by U1');
    const second = await store.closeSavings('p1', at(9 * HOUR), 'running-again', 'seen running');
    const missing = await store.closeSavings('nope', at(HOUR), 'undone', 'x');

    expect(closed).toEqual({ ...savingsEntry('p1'), closedAt: at(3 * HOUR), closeReason: 'undone', closeDetail: 'undone by U1' });
    expect(second).toBeUndefined();
    expect(missing).toBeUndefined();
    expect((await store.listSavings())[0]!.closedAt).toEqual(at(3 * HOUR));
  });

  it('never closes an entry before it opened', async () => {
    await fresh();
    await store.openSavings(savingsEntry('p1'));

    const closed = await store.closeSavings('p1', at(-HOUR), 'recreated', 're-created before the action was recorded');

    expect(closed?.closedAt).toEqual(T0);
  });

  it('lists open entries, and entries closed since a time, oldest first', async () => {
    await fresh();
    await store.openSavings(savingsEntry('late', { openedAt: at(2 * HOUR) }));
    await store.openSavings(savingsEntry('early', { openedAt: at(0) }));
    await store.openSavings(savingsEntry('closed-long-ago', { openedAt: at(HOUR) }));
    await store.closeSavings('closed-long-ago', at(2 * HOUR), 'undone', 'x');

    expect((await store.listSavings()).map((e) => e.id)).toEqual(['early', 'closed-long-ago', 'late']);
    expect((await store.listSavings({ open: true })).map((e) => e.id)).toEqual(['early', 'late']);
    expect((await store.listSavings({ since: at(3 * HOUR) })).map((e) => e.id)).toEqual(['early', 'late']);
    expect((await store.listSavings({ since: at(2 * HOUR) })).map((e) => e.id)).toEqual(['early', 'closed-long-ago', 'late']);
  });

  it('lifts a snooze and an exemption, saying whether there was one', async () => {
    await fresh();
    await store.putSnooze({ resourceId: 'r1', by: 'U1', until: at(24 * HOUR) });
    await store.putExemption({ resourceId: 'r1', by: 'U1', reason: 'demo', createdAt: T0 });

    expect(await store.deleteSnooze('r1')).toBe(true);
    expect(await store.deleteSnooze('r1')).toBe(false);
    expect(await store.deleteExemption('r1')).toBe(true);
    expect(await store.deleteExemption('r2')).toBe(false);
    expect(await store.activeSnoozes(T0)).toEqual([]);
    expect(await store.activeExemptions(T0)).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------------

describe('openEmbeddedStore', () => {
  it('keeps the data when the store is closed and opened again on the same folder', async () => {
    const dir = await tempDir();
    const first = await openEmbeddedStore({ dir });
    await first.upsertProposal(proposal('ep-1'));
    await first.decide(decision('ep-1', 'U1'));
    await first.appendAudit(audit(0, 'kept'));
    await first.close();

    const second = await openEmbeddedStore({ dir });
    try {
      expect(await second.getProposal('ep-1')).toEqual(proposal('ep-1'));
      expect(await second.getDecision('ep-1')).toEqual(decision('ep-1', 'U1'));
      expect((await second.listAudit()).map((e) => e.detail)).toEqual(['kept']);
      await expect(second.decide(decision('ep-1', 'U2'))).rejects.toBeInstanceOf(AlreadyDecidedError);
    } finally {
      await second.close();
    }
  });

  it('creates the folder and its parents when they do not exist', async () => {
    const dir = join(await tempDir(), 'a', 'b', 'state');

    const store = await openEmbeddedStore({ dir });
    await store.markAlerted('k', T0, at(HOUR));
    await store.close();

    const again = await openEmbeddedStore({ dir });
    expect(await again.markAlerted('k', T0, at(HOUR))).toBe(false);
    await again.close();
  });

  it('refuses with a clear message when the folder is already open in this process', async () => {
    const dir = await tempDir();
    const first = await openEmbeddedStore({ dir });
    try {
      const error = await openEmbeddedStore({ dir }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CostwatchError);
      expect((error as Error).message).toMatch(new RegExp(`^the state folder ${dir} is in use by another costwatch process: wait for it to finish`));
      expect((error as Error).cause).toMatchObject({ cause: { code: 'LEVEL_LOCKED' } });
      expect(await first.upsertProposal(proposal('ep-1'))).toEqual(proposal('ep-1'));
    } finally {
      await first.close();
    }
    const reopened = await openEmbeddedStore({ dir });
    expect(await reopened.getProposal('ep-1')).toEqual(proposal('ep-1'));
    await reopened.close();
  });

  it('refuses with a clear message when another process holds the folder', async () => {
    const dir = await tempDir();
    const holder = holdFolder(dir);
    try {
      await holder.ready;

      const error = await openEmbeddedStore({ dir }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CostwatchError);
      expect((error as Error).message).toMatch(new RegExp(`^the state folder ${dir} is in use by another costwatch process: wait for it to finish`));
    } finally {
      holder.child.kill();
    }
  });
});

/** A child process opening the folder with LevelDB, as a second `costwatch` run would. */
function holdFolder(dir: string): { child: ChildProcess; ready: Promise<void> } {
  const level = createRequire(require.resolve('dynalite')).resolve('level');
  const script = `const { Level } = require(${JSON.stringify(level)});
    new Level(${JSON.stringify(dir)}).open().then(() => console.log('held'), (e) => { console.error(e); process.exit(1); });
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((ok, fail) => {
    child.stdout!.once('data', () => ok());
    child.once('exit', (code) => fail(new Error(`the holder exited with ${code}`)));
  });
  return { child, ready };
}

describe('openMemoryStore', () => {
  it('starts empty every time it is opened', async () => {
    const first = await openMemoryStore();
    await first.upsertProposal(proposal('ep-1'));
    await first.close();

    const second = await openMemoryStore();

    expect(await second.listProposals()).toEqual([]);
    await second.close();
  });
});

describe('DynamoStateStore', () => {
  it('uses the item DynamoDB returns with a failed condition instead of reading it again', async () => {
    // dynalite ignores ReturnValuesOnConditionCheckFailure; this client adds the item the way DynamoDB does.
    const endpoint = (await server.raw!.config.endpoint!()) as { hostname: string; port?: number; protocol: string };
    const raw = new DynamoDBClient({
      endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
      region: 'local',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const tableName = await server.newTable();
    let gets = 0;
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetItemCommand') gets++;
        try {
          return await next(args);
        } catch (err) {
          const input = args.input as { ReturnValuesOnConditionCheckFailure?: string; Key?: never; Item?: { pk: never; sk: never } };
          if ((err as Error).name !== 'ConditionalCheckFailedException' || input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD') throw err;
          const key = input.Key ?? { pk: input.Item!.pk, sk: input.Item!.sk };
          const old = await server.raw!.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
          throw Object.assign(err as Error, { Item: old.Item });
        }
      },
      { step: 'build', name: 'returnOldItem' },
    );
    const store = new DynamoStateStore({ client: raw, tableName });
    try {
      await store.upsertProposal(proposal('ep-1'));
      await store.transitionProposal('ep-1', ['proposed'], 'rejected');
      await store.decide(decision('ep-1', 'U1'));
      gets = 0;

      const transition = await store.transitionProposal('ep-1', ['approved'], 'executed').catch((e: unknown) => e);
      const decide = await store.decide(decision('ep-1', 'U2')).catch((e: unknown) => e);
      const upsert = await store.upsertProposal(proposal('ep-1'));
      const first = await store.reserveDailyActions('2025-03-10', 3, 4);
      const partial = await store.reserveDailyActions('2025-03-10', 3, 4);

      expect((transition as ConditionFailedError).currentStatus).toBe('rejected');
      expect((decide as AlreadyDecidedError).existing).toEqual({ verdict: 'approve', by: 'U1', at: at(HOUR) });
      expect(upsert.status).toBe('rejected');
      expect(upsert.createdAt).toBeInstanceOf(Date);
      expect([first, partial]).toEqual([3, 1]);
      expect(gets).toBe(0);
    } finally {
      raw.destroy();
    }
  });

  it('sets the TTL of open and cancelled proposals, snoozes and alert marks but not of approved proposals', async () => {
    const tableName = await server.newTable();
    const store = new DynamoStateStore({ client: server.raw!, tableName });
    const ttlOf = async (pk: string, sk: string) => {
      const { Item } = await server.raw!.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } } }));
      return Item?.[STATE_TABLE_SCHEMA.timeToLiveAttribute]?.N;
    };
    const purge = String(at(72 * HOUR).getTime() / 1000 + 14 * 86_400);

    await store.upsertProposal(proposal('ep-1'));
    const whileOpen = await ttlOf('PROPOSAL', 'ep-1');
    await store.transitionProposal('ep-1', ['proposed'], 'approved');
    const whileApproved = await ttlOf('PROPOSAL', 'ep-1');
    await store.transitionProposal('ep-1', ['approved'], 'cancelled');
    const whenCancelled = await ttlOf('PROPOSAL', 'ep-1');
    await store.putSnooze({ resourceId: 'r', by: 'U1', until: at(HOUR) });
    await store.markAlerted('k', T0, at(2 * HOUR));

    expect([whileOpen, whileApproved, whenCancelled]).toEqual([purge, undefined, purge]);
    expect(await ttlOf('SNOOZE', 'r')).toBe(String(at(HOUR).getTime() / 1000));
    expect(await ttlOf('ALERT', 'k')).toBe(String(at(2 * HOUR).getTime() / 1000));
  });

  it('reads a proposal stored before statusChangedAt existed without one, and takes it over only while it has none', async () => {
    const tableName = await server.newTable();
    const store = new DynamoStateStore({ client: server.raw!, tableName });
    // As an earlier version wrote it: no statusChangedAt in the document.
    await store.upsertProposal(proposal('ep-1', { status: 'executing', undoData: { endpointConfigName: 'cfg-1' } }));

    const read = await store.getProposal('ep-1');
    const first = await store.takeOverProposal('ep-1', 'executing', undefined, at(HOUR));
    const second = await store.takeOverProposal('ep-1', 'executing', undefined, at(2 * HOUR));

    expect(read?.statusChangedAt).toBeUndefined();
    expect(read?.status).toBe('executing');
    expect([first, second]).toEqual([true, false]);
    expect((await store.getProposal('ep-1'))?.statusChangedAt).toEqual(at(HOUR));
    expect((await store.listProposals({ status: ['executing'] })).map((p) => p.id)).toEqual(['ep-1']);
  });

  it('keeps a day count until three days after the day ends', async () => {
    const tableName = await server.newTable();
    const store = new DynamoStateStore({ client: server.raw!, tableName });

    await store.reserveDailyActions('2025-03-10', 2, 5);
    await store.reserveDailyActions('2025-03-10', 1, 5);

    const { Item } = await server.raw!.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'DAILY' }, sk: { S: '2025-03-10' } } }));
    expect(Item?.['reserved']?.N).toBe('3');
    expect(Item?.[STATE_TABLE_SCHEMA.timeToLiveAttribute]?.N).toBe(String(Date.parse('2025-03-14T00:00:00Z') / 1000));
  });
});
