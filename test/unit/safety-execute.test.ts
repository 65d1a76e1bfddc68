/**
 * The executor's share of the safety invariants (DESIGN.md, "Safety invariants"):
 * 2. an exempt resource is never acted on — including one exempted after the approval;
 * 3. before acting, the resource is re-read and the rule re-evaluated; if it no longer matches,
 *    the action is cancelled and says why;
 * 4. undo data is saved before the mutation, and an action never runs when it could not be saved;
 * 5. a proposal is executed (and undone) at most once, whatever the retries and races;
 * plus every failure path: a failure is recorded, never hidden, and a store error is thrown so the
 * job is retried rather than lost.
 *
 * The cloud is a small in-memory provider that records its calls; the store is the real adapter
 * over an in-memory dynalite (its conditional writes are what invariant 5 rests on), wrapped where a
 * test needs a store failure or a concurrent executor at a precise moment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../shared/clock.js';
import type { ActionStatus, ProposedAction } from '../../shared/domain/action.js';
import { refOf, type Resource, type ResourceRef } from '../../shared/domain/resource.js';
import type { UsageSeries } from '../../shared/domain/usage.js';
import type { ActiveRule } from '../../shared/pipeline/detect.js';
import { executeProposal, undoProposal, UNDO_SNOOZE_HOURS, type ExecutorDeps } from '../../shared/pipeline/execute.js';
import type { Exemption, PlannerPolicy } from '../../shared/planner/plan.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import type { ActOutcome, CloudProvider, CollectOptions, Collection } from '../../shared/providers/port.js';
import { idleEndpoint } from '../../shared/rules/idle-endpoint.js';
import type { ResourceRule } from '../../shared/rules/types.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const HOUR = 3600_000;
const DELETE = 'aws.sagemaker.delete-endpoint';
const ACTOR = 'U0APPROVER';

function endpoint(over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
    name: 'fraud-v3',
    tags: { team: 'fraud' },
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date('2026-10-01T00:00:00Z'),
    components: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 2, capacity: 'provisioned' }],
    attributes: { endpointConfigName: 'fraud-v3-config', asynchronous: false },
    ...over,
  };
}

/** The one place usage series are built: hourly `values` of the AllTraffic variant ending now; `'absent'` when the query returned nothing. */
function series(signal: 'requests' | 'heartbeat', values: readonly number[] | 'absent'): UsageSeries {
  const points = values === 'absent' ? [] : values.map((value, i) => ({ at: new Date(NOW.getTime() - (values.length - i) * HOUR), value }));
  return {
    resourceId: endpoint().id,
    component: 'AllTraffic',
    signal,
    metric: signal === 'requests' ? 'AWS/SageMaker:Invocations' : '/aws/sagemaker/Endpoints:CPUUtilization',
    unit: signal === 'requests' ? 'Count' : 'Percent',
    window: { start: new Date(NOW.getTime() - 48 * HOUR), end: NOW },
    periodSeconds: 3600,
    status: values === 'absent' ? 'absent' : 'present',
    points,
  };
}

const idleUsage = () => [series('requests', Array(48).fill(0)), series('heartbeat', Array(48).fill(20))];

type Op = 'describe' | 'usageOf' | 'captureUndo' | 'perform' | 'undo';

/** One AWS account in memory: an endpoint that exists until deleted, its usage, and every call made. */
class FakeCloud implements CloudProvider {
  readonly cloud = 'aws' as const;
  resource: Resource | undefined = endpoint();
  usage: UsageSeries[] = idleUsage();
  readonly calls: Op[] = [];
  readonly faults: Partial<Record<Op, Error>> = {};
  /** What the store held, in `executing` state, when `perform` ran. */
  executingAtPerform: ProposedAction[] = [];
  undoneWith: Readonly<Record<string, unknown>>[] = [];
  readonly usageReads: { now: Date; lookbackHours: number }[] = [];

  constructor(private readonly store: () => StateStore) {}

  private op(name: Op): void {
    this.calls.push(name);
    const fault = this.faults[name];
    if (fault) throw fault;
  }
  collect(): Promise<Collection> {
    throw new Error('the executor never collects');
  }
  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    this.op('describe');
    return this.resource?.id === ref.id ? this.resource : undefined;
  }
  async usageOf(_r: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    this.op('usageOf');
    this.usageReads.push({ now: opts.now, lookbackHours: opts.lookbackHours });
    return this.usage;
  }
  async captureUndo(_kind: string, r: Resource): Promise<Record<string, unknown>> {
    this.op('captureUndo');
    return { endpointConfigName: r.attributes['endpointConfigName'], tags: r.tags };
  }
  async perform(_kind: string, r: Resource): Promise<ActOutcome> {
    this.op('perform');
    this.executingAtPerform = await this.store().listProposals({ status: ['executing'] });
    this.resource = undefined;
    return { summary: `deleted endpoint ${r.name}` };
  }
  async undo(_kind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    this.op('undo');
    this.undoneWith.push(undoData);
    this.resource = endpoint();
    return { summary: `re-created ${ref.name} from ${String(undoData['endpointConfigName'])}` };
  }
}

/** Runs `hook` before the store's transition to `to`; the hook may throw (a store failure) or act as another executor. */
function withHook(real: StateStore, to: ActionStatus, hook: () => Promise<void>): StateStore {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'transitionProposal') {
        return async (id: string, from: readonly ActionStatus[], next: ActionStatus, patch?: { undoData?: Readonly<Record<string, unknown>> }) => {
          if (next === to) await hook();
          return target.transitionProposal(id, from, next, patch);
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function policy(exemptions: Exemption[] = []): PlannerPolicy {
  return {
    modeOf: () => 'approve',
    exemptTagKey: 'costwatch:exempt',
    exemptions,
    inQuietHours: () => false,
    limits: { maxActionsPerRun: 10, maxActionsPerDay: 50, maxAutoMonthlyImpact: { amount: 5000, currency: 'USD' } },
    proposalTtlHours: 72,
  };
}

const idleRule: ActiveRule = { rule: idleEndpoint as ResourceRule<never>, settings: { windowHours: 24, minAgeHours: 24 } };

let store: StateStore;
let cloud: FakeCloud;
let clock: ReturnType<typeof fixedClock>;

function deps(over: Partial<ExecutorDeps> = {}): ExecutorDeps {
  return { store, providers: new Map([['aws', cloud]]), rules: new Map([['idle-endpoint', idleRule]]), policy: policy(), prices: new PriceBook(), clock, lookbackHours: 48, ...over };
}

/** A proposal to delete the endpoint, moved to `status` the way the store allows (approved by default). */
async function proposal(over: Partial<ProposedAction> = {}, status: ActionStatus = 'approved'): Promise<ProposedAction> {
  const key = `${over.kind ?? DELETE}:${endpoint().id}`;
  const p: ProposedAction = {
    id: `${key}@2026-11-28T06:00:00.000Z`,
    key,
    kind: DELETE,
    findingId: `idle-endpoint:${endpoint().id}`,
    ruleId: 'idle-endpoint',
    resource: refOf(endpoint()),
    mode: 'approve',
    parameters: {},
    reversible: true,
    monthlySaving: { amount: 2055.68, currency: 'USD' },
    status: 'proposed',
    createdAt: new Date('2026-11-28T06:00:00Z'),
    expiresAt: new Date('2026-12-01T06:00:00Z'),
    ...over,
  };
  await store.upsertProposal({ ...p, status: 'proposed' });
  if (status !== 'proposed') await store.transitionProposal(p.id, ['proposed'], status);
  return p;
}

const statusOf = async (id: string) => (await store.getProposal(id))?.status;
const auditOf = async () => (await store.listAudit()).map((e) => ({ event: e.event, actor: e.actor, proposalId: e.proposalId, resourceId: e.resourceId, detail: e.detail }));

beforeEach(async () => {
  store = await openMemoryStore();
  cloud = new FakeCloud(() => store);
  clock = fixedClock(NOW);
});
afterEach(async () => {
  await store.close();
});

describe('safety: the executor acts once, on an approved proposal that still matches', () => {
  it('re-reads the resource, re-evaluates the rule and saves undo data before it deletes, then records what it did', async () => {
    const p = await proposal();

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' });
    expect(cloud.calls).toEqual(['describe', 'usageOf', 'captureUndo', 'perform']);
    expect(cloud.executingAtPerform.map((x) => ({ id: x.id, undoData: x.undoData }))).toEqual([{ id: p.id, undoData: { endpointConfigName: 'fraud-v3-config', tags: { team: 'fraud' } } }]);
    expect(await statusOf(p.id)).toBe('executed');
    expect(await auditOf()).toEqual([{ event: 'executed', actor: ACTOR, proposalId: p.id, resourceId: endpoint().id, detail: 'deleted endpoint fraud-v3' }]);
  });

  it('skips an id it does not know, touching nothing', async () => {
    expect(await executeProposal('nope', ACTOR, deps())).toEqual({ proposalId: 'nope', outcome: 'skipped', detail: 'no such proposal' });
    expect(cloud.calls).toEqual([]);
  });

  for (const status of ['proposed', 'rejected', 'cancelled', 'executing', 'executed', 'failed'] as const) {
    it(`never acts on a proposal that is ${status} rather than approved`, async () => {
      const p = await proposal({}, status);

      const out = await executeProposal(p.id, ACTOR, deps());

      expect(out).toEqual({ proposalId: p.id, outcome: 'skipped', detail: `proposal is ${status}, not approved` });
      expect(cloud.calls).toEqual([]);
      expect(await statusOf(p.id)).toBe(status);
      expect(await auditOf()).toEqual([]);
    });
  }

  it('runs a job delivered twice only once', async () => {
    const p = await proposal();

    await executeProposal(p.id, ACTOR, deps());
    const again = await executeProposal(p.id, ACTOR, deps());

    expect(again).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'proposal is executed, not approved' });
    expect(cloud.calls.filter((c) => c === 'perform')).toHaveLength(1);
  });
});

describe('safety: an approval that has expired is never executed', () => {
  it('cancels a proposal past its expiry without reading or touching the resource, and says since when', async () => {
    const p = await proposal({ expiresAt: new Date(NOW.getTime() - 1) });

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'expired at 2026-11-28T11:59:59.999Z' });
    expect(cloud.calls).toEqual([]);
    expect(await statusOf(p.id)).toBe('cancelled');
    expect(await auditOf()).toEqual([{ event: 'cancelled', actor: ACTOR, proposalId: p.id, resourceId: endpoint().id, detail: 'expired at 2026-11-28T11:59:59.999Z' }]);
  });

  it('treats the instant of expiry as expired, and the instant before as still valid', async () => {
    const atExpiry = await proposal({ expiresAt: NOW });
    expect((await executeProposal(atExpiry.id, ACTOR, deps())).outcome).toBe('cancelled');
    expect(cloud.calls).toEqual([]);

    await store.close();
    store = await openMemoryStore();
    const justBefore = await proposal({ expiresAt: new Date(NOW.getTime() + 1) });
    expect((await executeProposal(justBefore.id, ACTOR, deps())).outcome).toBe('executed');
  });
});

describe('safety: the re-check before acting (invariants 2 and 3)', () => {
  it('cancels when no provider for the resource’s cloud is configured to re-read it', async () => {
    const p = await proposal();

    const out = await executeProposal(p.id, ACTOR, deps({ providers: new Map() }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'no aws provider configured to re-check it' });
    expect(await statusOf(p.id)).toBe('cancelled');
  });

  it('cancels when the rule that proposed it is no longer configured', async () => {
    const p = await proposal();

    const out = await executeProposal(p.id, ACTOR, deps({ rules: new Map() }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'no rule idle-endpoint configured to re-check it' });
    expect(cloud.calls).toEqual([]);
  });

  it('fails without acting when the resource cannot be re-read, and records the failure', async () => {
    const p = await proposal();
    cloud.faults.describe = new Error('Rate exceeded');

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'failed', detail: 'could not re-read the resource: Rate exceeded' });
    expect(cloud.calls).toEqual(['describe']);
    expect(await statusOf(p.id)).toBe('failed');
    expect(await auditOf()).toEqual([{ event: 'failed', actor: ACTOR, proposalId: p.id, resourceId: endpoint().id, detail: 'could not re-read the resource: Rate exceeded' }]);
  });

  it('cancels when the resource no longer exists', async () => {
    const p = await proposal();
    cloud.resource = undefined;

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'fraud-v3 no longer exists' });
    expect(cloud.calls).toEqual(['describe']);
  });

  it('cancels when the resource is no longer in a state the action applies to', async () => {
    const p = await proposal();
    cloud.resource = endpoint({ state: 'Updating', lifecycle: 'starting' });

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'fraud-v3 is now Updating' });
    expect(cloud.calls).toEqual(['describe']);
  });

  it('cancels when the resource was given the exemption tag after the approval', async () => {
    const p = await proposal();
    cloud.resource = endpoint({ tags: { 'costwatch:exempt': 'true' } });

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'exempt: tag costwatch:exempt=true' });
    expect(cloud.calls).toEqual(['describe']);
  });

  it('cancels when costwatch.yml exempts the resource by id since the approval', async () => {
    const p = await proposal();

    const out = await executeProposal(p.id, ACTOR, deps({ policy: policy([{ resourceIds: [endpoint().id], reason: 'kept for the fraud demo' }]) }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'exempt: kept for the fraud demo' });
    expect(cloud.calls).toEqual(['describe']);
  });

  it('cancels when the resource was exempted in Slack after the approval', async () => {
    const p = await proposal();
    await store.putExemption({ resourceId: endpoint().id, by: 'U0OWNER', reason: 'exempted in Slack by U0OWNER', createdAt: new Date(NOW.getTime() - 60_000) });

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'exempt: exempted in Slack by U0OWNER' });
    expect(cloud.calls).toEqual(['describe']);
    expect(cloud.resource).toBeDefined();
    expect(await statusOf(p.id)).toBe('cancelled');
    expect(await auditOf()).toEqual([{ event: 'cancelled', actor: ACTOR, proposalId: p.id, resourceId: endpoint().id, detail: 'exempt: exempted in Slack by U0OWNER' }]);
  });

  it('acts when the only exemption from chat has ended, or is for another resource', async () => {
    const p = await proposal();
    await store.putExemption({ resourceId: endpoint().id, by: 'U0OWNER', reason: 'for the demo', createdAt: new Date('2026-11-01T00:00:00Z'), expiresAt: new Date(NOW.getTime() - 1) });
    await store.putExemption({ resourceId: endpoint({ id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/other' }).id, by: 'U0OWNER', reason: 'other', createdAt: NOW });

    expect((await executeProposal(p.id, ACTOR, deps())).outcome).toBe('executed');
  });

  it('cancels when the endpoint served requests again since the approval, saying how many', async () => {
    const p = await proposal();
    cloud.usage = [series('requests', [...Array(47).fill(0), 5]), series('heartbeat', Array(48).fill(20))];

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'no longer matches: 5 invocations in 24 h' });
    expect(cloud.calls).toEqual(['describe', 'usageOf']);
  });

  it('cancels when its usage can no longer be read: no data is never read as idle', async () => {
    const p = await proposal();
    cloud.usage = [series('requests', 'absent'), series('heartbeat', 'absent')];

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'usage now unknown: variant AllTraffic: no Invocations and no CPUUtilization datapoints in the window' });
    expect(cloud.calls).toEqual(['describe', 'usageOf']);
  });

  it('cancels when the rule no longer applies to the resource, giving the rule’s reason', async () => {
    const p = await proposal();
    cloud.resource = endpoint({ components: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 0, capacity: 'provisioned' }] });

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'serverless or scaled to zero: costs nothing idle' });
    expect(cloud.calls).toEqual(['describe', 'usageOf']);
  });

  it('re-reads usage over the configured look-back, ending now', async () => {
    const p = await proposal();

    await executeProposal(p.id, ACTOR, deps({ lookbackHours: 72 }));

    expect(cloud.usageReads).toEqual([{ now: NOW, lookbackHours: 72 }]);
  });
});

describe('safety: undo data before the mutation (invariant 4)', () => {
  it('never runs the action when its undo data could not be captured, and says nothing was changed', async () => {
    const p = await proposal();
    cloud.faults.captureUndo = new Error('AccessDenied: sagemaker:DescribeEndpointConfig');

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'cancelled', detail: 'undo data could not be saved, so nothing was changed: AccessDenied: sagemaker:DescribeEndpointConfig' });
    expect(cloud.calls).not.toContain('perform');
    expect(cloud.resource).toBeDefined();
    expect(await statusOf(p.id)).toBe('cancelled');
    expect((await auditOf()).map((e) => e.event)).toEqual(['cancelled']);
  });

  it('never runs the action when the undo data could not be stored, and lets the job be retried', async () => {
    const p = await proposal();
    const failing = withHook(store, 'executing', () => Promise.reject(new Error('ProvisionedThroughputExceededException')));

    await expect(executeProposal(p.id, ACTOR, deps({ store: failing }))).rejects.toThrow('ProvisionedThroughputExceededException');

    expect(cloud.calls).not.toContain('perform');
    expect(await statusOf(p.id)).toBe('approved');
    expect((await executeProposal(p.id, ACTOR, deps())).outcome).toBe('executed');
  });

  it('records a failed action as failed, keeping the undo data saved before it', async () => {
    const p = await proposal();
    cloud.faults.perform = new Error('ResourceInUse: endpoint is being updated');

    const out = await executeProposal(p.id, ACTOR, deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'failed', detail: 'Delete endpoint failed: ResourceInUse: endpoint is being updated' });
    const stored = await store.getProposal(p.id);
    expect(stored?.status).toBe('failed');
    expect(stored?.undoData).toEqual({ endpointConfigName: 'fraud-v3-config', tags: { team: 'fraud' } });
    expect(await auditOf()).toEqual([{ event: 'failed', actor: ACTOR, proposalId: p.id, resourceId: endpoint().id, detail: 'Delete endpoint failed: ResourceInUse: endpoint is being updated' }]);
  });
});

describe('safety: one executor per proposal (invariant 5)', () => {
  it('does not act when another executor claimed the proposal during the re-check', async () => {
    const p = await proposal();
    const racing = withHook(store, 'executing', async () => {
      await store.transitionProposal(p.id, ['approved'], 'executing', { undoData: { by: 'the other executor' } });
    });

    const out = await executeProposal(p.id, ACTOR, deps({ store: racing }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'already executing' });
    expect(cloud.calls).not.toContain('perform');
    expect((await store.getProposal(p.id))?.undoData).toEqual({ by: 'the other executor' });
    expect(await auditOf()).toEqual([]);
  });

  it('reports a lost cancellation race as skipped, without a second audit entry', async () => {
    const p = await proposal({ expiresAt: NOW });
    const racing = withHook(store, 'cancelled', async () => {
      await store.transitionProposal(p.id, ['approved'], 'cancelled');
    });

    const out = await executeProposal(p.id, ACTOR, deps({ store: racing }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'already cancelled' });
    expect(await auditOf()).toEqual([]);
  });

  it('lets a store failure while cancelling reach the caller, so the job is retried', async () => {
    const p = await proposal({ expiresAt: NOW });
    const failing = withHook(store, 'cancelled', () => Promise.reject(new Error('InternalServerError')));

    await expect(executeProposal(p.id, ACTOR, deps({ store: failing }))).rejects.toThrow('InternalServerError');
    expect(await statusOf(p.id)).toBe('approved');
  });

  it('records a failure without overwriting what another executor did meanwhile', async () => {
    const p = await proposal();
    cloud.faults.describe = new Error('Rate exceeded');
    const racing = withHook(store, 'failed', async () => {
      await store.transitionProposal(p.id, ['approved'], 'executing');
    });

    const out = await executeProposal(p.id, ACTOR, deps({ store: racing }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'failed', detail: 'could not re-read the resource: Rate exceeded' });
    expect(await statusOf(p.id)).toBe('executing');
    expect((await auditOf()).map((e) => e.event)).toEqual(['failed']);
  });

  it('lets a store failure while recording a failure reach the caller', async () => {
    const p = await proposal();
    cloud.faults.describe = new Error('Rate exceeded');
    const failing = withHook(store, 'failed', () => Promise.reject(new Error('InternalServerError')));

    await expect(executeProposal(p.id, ACTOR, deps({ store: failing }))).rejects.toThrow('InternalServerError');
  });
});

describe('safety: Undo guards', () => {
  async function executed(): Promise<ProposedAction> {
    const p = await proposal();
    expect((await executeProposal(p.id, ACTOR, deps())).outcome).toBe('executed');
    cloud.calls.length = 0;
    return p;
  }

  it('restores from the undo data saved before the action, and leaves the resource alone for a week', async () => {
    const p = await executed();

    const out = await undoProposal(p.id, 'U0OWNER', deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'undone', detail: 're-created fraud-v3 from fraud-v3-config' });
    expect(cloud.undoneWith).toEqual([{ endpointConfigName: 'fraud-v3-config', tags: { team: 'fraud' } }]);
    expect(await statusOf(p.id)).toBe('undone');
    expect((await auditOf()).at(-1)).toEqual({ event: 'undone', actor: 'U0OWNER', proposalId: p.id, resourceId: endpoint().id, detail: 're-created fraud-v3 from fraud-v3-config' });
    expect(UNDO_SNOOZE_HOURS).toBe(168);
    expect(await store.activeSnoozes(NOW)).toEqual([{ resourceId: endpoint().id, by: 'U0OWNER', until: new Date('2026-12-05T12:00:00Z') }]);
  });

  it('undoes once however many times Undo is requested', async () => {
    const p = await executed();

    await undoProposal(p.id, 'U0OWNER', deps());
    const again = await undoProposal(p.id, 'U0OWNER', deps());

    expect(again).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'proposal is undone, not executed' });
    expect(cloud.calls).toEqual(['undo']);
  });

  it('never undoes an action that did not happen, even with undo data saved', async () => {
    const p = await proposal();
    cloud.faults.perform = new Error('ResourceInUse');
    await executeProposal(p.id, ACTOR, deps());
    cloud.calls.length = 0;

    const out = await undoProposal(p.id, 'U0OWNER', deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'proposal is failed, not executed' });
    expect(cloud.calls).toEqual([]);
    expect(await statusOf(p.id)).toBe('failed');
  });

  it('refuses to undo what has no undo data, saying what Undo does for it', async () => {
    const p = await proposal({}, 'executed');

    const out = await undoProposal(p.id, 'U0OWNER', deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'cannot undo: re-create the endpoint from its kept endpoint config, with its tags (the config is never deleted)' });
    expect(cloud.calls).toEqual([]);
  });

  it('refuses to undo an irreversible action, even with data saved for the audit log', async () => {
    const p = await proposal({ kind: 'aws.sagemaker.stop-training-job', reversible: false }, 'approved');
    await store.transitionProposal(p.id, ['approved'], 'executing', { undoData: { jobName: 'runaway' } });
    await store.transitionProposal(p.id, ['executing'], 'executed');

    const out = await undoProposal(p.id, 'U0OWNER', deps());

    expect(out.outcome).toBe('skipped');
    expect(out.detail).toMatch(/^cannot undo: none: a stopped training job cannot be resumed/);
    expect(cloud.calls).toEqual([]);
    expect(await statusOf(p.id)).toBe('executed');
  });

  it('skips an unknown id, and a resource whose cloud has no provider configured', async () => {
    const p = await executed();

    expect(await undoProposal('nope', 'U0OWNER', deps())).toEqual({ proposalId: 'nope', outcome: 'skipped', detail: 'no such proposal' });
    expect(await undoProposal(p.id, 'U0OWNER', deps({ providers: new Map() }))).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'no aws provider configured' });
    expect(cloud.calls).toEqual([]);
    expect(await statusOf(p.id)).toBe('executed');
  });

  it('keeps a failed Undo available to try again, records the failure and snoozes nothing', async () => {
    const p = await executed();
    cloud.faults.undo = new Error('ResourceLimitExceeded');

    const out = await undoProposal(p.id, 'U0OWNER', deps());

    expect(out).toEqual({ proposalId: p.id, outcome: 'failed', detail: 'undo failed: ResourceLimitExceeded' });
    expect(await statusOf(p.id)).toBe('executed');
    expect((await auditOf()).at(-1)).toEqual({ event: 'failed', actor: 'U0OWNER', proposalId: p.id, resourceId: endpoint().id, detail: 'undo failed: ResourceLimitExceeded' });
    expect(await store.activeSnoozes(NOW)).toEqual([]);

    delete cloud.faults.undo;
    expect((await undoProposal(p.id, 'U0OWNER', deps())).outcome).toBe('undone');
  });

  it('lets a store failure while claiming the Undo reach the caller, undoing nothing', async () => {
    const p = await executed();
    const failing = withHook(store, 'undoing', () => Promise.reject(new Error('InternalServerError')));

    await expect(undoProposal(p.id, 'U0OWNER', deps({ store: failing }))).rejects.toThrow('InternalServerError');
    expect(cloud.calls).toEqual([]);
    expect(await statusOf(p.id)).toBe('executed');
  });
});
