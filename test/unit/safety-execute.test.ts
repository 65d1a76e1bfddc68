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
import { executeProposal, INTERRUPTED_AFTER_MINUTES, recoverInterrupted, undoProposal, UnrecordedExecutionError, UNDO_SNOOZE_HOURS, type ExecutorDeps } from '../../shared/pipeline/execute.js';
import { ConditionFailedError } from '../../shared/errors.js';
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
  /** What the store held, in `undoing` state, when `undo` ran. */
  undoingAtUndo: ProposedAction[] = [];
  readonly usageReads: { now: Date; lookbackHours: number; usageWindowHours?: CollectOptions['usageWindowHours'] }[] = [];

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
    this.usageReads.push({ now: opts.now, lookbackHours: opts.lookbackHours, usageWindowHours: opts.usageWindowHours });
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
    this.undoingAtUndo = await this.store().listProposals({ status: ['undoing'] });
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
        return async (id: string, from: readonly ActionStatus[], next: ActionStatus, patch?: { undoData?: Readonly<Record<string, unknown>>; at?: Date }) => {
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
/** The usage windows a scan with that rule reads, per kind it judges. */
const WINDOWS = { 'aws.sagemaker.endpoint': [24], 'gcp.vertex.endpoint': [24], 'azure.ml.online-endpoint': [24] };

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

    // Over the windows of the configured rules, as a scan reads it: the verdict is the one a scan would reach.
    expect(cloud.usageReads).toEqual([{ now: NOW, lookbackHours: 72, usageWindowHours: WINDOWS }]);
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

/** What a crash leaves: the proposal claimed (`executing`, undo data saved) at `claimedAt`, the action cut off before or after the cloud call. */
async function leftExecuting(claimedAt: Date = NOW, over: Partial<ProposedAction> = {}): Promise<ProposedAction> {
  const p = await proposal(over);
  await store.transitionProposal(p.id, ['approved'], 'executing', { undoData: { endpointConfigName: 'fraud-v3-config', savedBy: 'the first run' }, at: claimedAt });
  return p;
}

const recovered = (p: ProposedAction, from: ActionStatus, outcome: string) => ({
  event: 'recovered',
  actor: 'costwatch',
  proposalId: p.id,
  resourceId: endpoint().id,
  detail: `left ${from} by an interrupted run; recovered: ${outcome}`,
});

describe('safety: what an interrupted run left behind is finished with the invariants of a first run', () => {
  it('executes a proposal left approved as a first run would, on behalf of who approved it, and notes the recovery', async () => {
    const p = await proposal();
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U0APPROVER', at: NOW, via: 'slack' });

    const out = await recoverInterrupted(deps());

    expect(out).toEqual([{ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' }]);
    expect(cloud.calls).toEqual(['describe', 'usageOf', 'captureUndo', 'perform']);
    expect(await auditOf()).toEqual([
      { event: 'executed', actor: 'U0APPROVER', proposalId: p.id, resourceId: endpoint().id, detail: 'deleted endpoint fraud-v3' },
      recovered(p, 'approved', 'executed'),
    ]);
  });

  it('acts in the policy’s name when no decision was recorded, and re-checks: a resource busy again is cancelled, not acted on', async () => {
    const p = await proposal();
    cloud.usage = [series('requests', [...Array(47).fill(0), 3]), series('heartbeat', Array(48).fill(20))];

    const out = await recoverInterrupted(deps());

    expect(out).toEqual([{ proposalId: p.id, outcome: 'cancelled', detail: 'no longer matches: 3 invocations in 24 h' }]);
    expect(cloud.calls).not.toContain('perform');
    expect(await auditOf()).toEqual([
      { event: 'cancelled', actor: 'policy', proposalId: p.id, resourceId: endpoint().id, detail: 'no longer matches: 3 invocations in 24 h' },
      recovered(p, 'approved', 'cancelled'),
    ]);
  });

  it('notes no recovery for a proposal another executor finished meanwhile, and does not act on it', async () => {
    const p = await proposal();
    const racing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'getDecision') {
          return async (id: string) => {
            await target.transitionProposal(id, ['approved'], 'executing');
            return target.getDecision(id);
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });

    const out = await recoverInterrupted(deps({ store: racing }));

    expect(out).toEqual([{ proposalId: p.id, outcome: 'skipped', detail: 'proposal is executing, not approved' }]);
    expect(cloud.calls).toEqual([]);
    expect(await auditOf()).toEqual([]);
  });

  it('leaves every other status alone', async () => {
    for (const status of ['proposed', 'executed', 'cancelled', 'failed', 'rejected'] as const) {
      await store.close();
      store = await openMemoryStore();
      await proposal({}, status);
      expect(await recoverInterrupted(deps())).toEqual([]);
    }
    expect(cloud.calls).toEqual([]);
  });

  it('resumes a proposal left executing: re-reads, re-checks and acts, keeping the undo data the first run saved', async () => {
    const p = await leftExecuting();
    await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U0APPROVER', at: NOW, via: 'slack' });

    const out = await recoverInterrupted(deps());

    expect(out).toEqual([{ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' }]);
    // No second capture: the undo data describes the resource as it was before anything was changed.
    expect(cloud.calls).toEqual(['describe', 'usageOf', 'perform']);
    expect(cloud.usageReads).toEqual([{ now: NOW, lookbackHours: 48, usageWindowHours: WINDOWS }]);
    const stored = await store.getProposal(p.id);
    expect(stored?.status).toBe('executed');
    expect(stored?.undoData).toEqual({ endpointConfigName: 'fraud-v3-config', savedBy: 'the first run' });
    expect(await auditOf()).toEqual([
      { event: 'executed', actor: 'U0APPROVER', proposalId: p.id, resourceId: endpoint().id, detail: 'deleted endpoint fraud-v3' },
      recovered(p, 'executing', 'executed'),
    ]);
    // Undo is offered, from the first run's data.
    expect((await undoProposal(p.id, 'U0OWNER', deps())).outcome).toBe('undone');
  });

  it('records as executed, without acting again, an action that had taken effect before the crash', async () => {
    const gone = await leftExecuting();
    cloud.resource = undefined;
    const [first] = await recoverInterrupted(deps());
    expect(first).toEqual({ proposalId: gone.id, outcome: 'executed', detail: 'Delete endpoint had taken effect before the run was interrupted: fraud-v3 is gone' });

    await store.close();
    store = await openMemoryStore();
    const deleting = await leftExecuting();
    cloud.resource = endpoint({ state: 'Deleting', lifecycle: 'stopping' });
    const [second] = await recoverInterrupted(deps());
    expect(second).toEqual({ proposalId: deleting.id, outcome: 'executed', detail: 'Delete endpoint had taken effect before the run was interrupted: fraud-v3 is now Deleting' });

    expect(cloud.calls).toEqual(['describe', 'describe']);
    expect(await auditOf()).toEqual([
      { event: 'executed', actor: 'policy', proposalId: deleting.id, resourceId: endpoint().id, detail: second!.detail },
      recovered(deleting, 'executing', 'executed'),
    ]);
  });

  it('leaves it executing when the resource cannot be re-read, so the next run tries again', async () => {
    const p = await leftExecuting();
    cloud.faults.describe = new Error('Rate exceeded');

    expect(await recoverInterrupted(deps())).toEqual([{ proposalId: p.id, outcome: 'skipped', detail: 'interrupted; could not re-read the resource: Rate exceeded' }]);
    expect(await statusOf(p.id)).toBe('executing');
    expect(await auditOf()).toEqual([]);
  });

  it('cancels, without acting, when nothing configured can re-check it', async () => {
    const p = await leftExecuting();
    expect(await recoverInterrupted(deps({ providers: new Map() }))).toEqual([{ proposalId: p.id, outcome: 'cancelled', detail: 'interrupted, and no aws provider configured to re-check it' }]);

    await store.close();
    store = await openMemoryStore();
    const q = await leftExecuting();
    expect(await recoverInterrupted(deps({ rules: new Map() }))).toEqual([{ proposalId: q.id, outcome: 'cancelled', detail: 'interrupted, and no rule idle-endpoint configured to re-check it' }]);
    expect(cloud.calls).toEqual([]);
    expect(await auditOf()).toEqual([
      { event: 'cancelled', actor: 'policy', proposalId: q.id, resourceId: endpoint().id, detail: 'interrupted, and no rule idle-endpoint configured to re-check it' },
      recovered(q, 'executing', 'cancelled'),
    ]);
  });

  it('cancels an expired one, at and after the instant of expiry, without acting', async () => {
    const p = await leftExecuting(NOW, { expiresAt: NOW });

    expect(await recoverInterrupted(deps())).toEqual([{ proposalId: p.id, outcome: 'cancelled', detail: 'interrupted, and expired at 2026-11-28T12:00:00.000Z' }]);
    expect(cloud.calls).toEqual(['describe']);
    expect(await statusOf(p.id)).toBe('cancelled');
  });

  it('cancels one whose resource became exempt, by tag, by costwatch.yml or in Slack, without acting', async () => {
    const tagged = await leftExecuting();
    cloud.resource = endpoint({ tags: { 'costwatch:exempt': 'true' } });
    expect((await recoverInterrupted(deps()))[0]?.detail).toBe('interrupted; exempt: tag costwatch:exempt=true');

    await store.close();
    store = await openMemoryStore();
    cloud.resource = endpoint();
    await leftExecuting();
    expect((await recoverInterrupted(deps({ policy: policy([{ resourceIds: [endpoint().id], reason: 'kept for the fraud demo' }]) })))[0]?.detail).toBe('interrupted; exempt: kept for the fraud demo');

    await store.close();
    store = await openMemoryStore();
    await leftExecuting();
    await store.putExemption({ resourceId: endpoint().id, by: 'U0OWNER', reason: 'exempted in Slack by U0OWNER', createdAt: NOW });
    expect((await recoverInterrupted(deps()))[0]?.detail).toBe('interrupted; exempt: exempted in Slack by U0OWNER');

    expect(cloud.calls).not.toContain('usageOf');
    expect(cloud.calls).not.toContain('perform');
    expect(await statusOf(tagged.id)).toBe('cancelled');
  });

  it('cancels one whose rule no longer finds a violation: used again, usage unknown, or no longer applicable', async () => {
    const cases: [UsageSeries[], Partial<Resource>, string][] = [
      [[series('requests', [...Array(47).fill(0), 5]), series('heartbeat', Array(48).fill(20))], {}, 'interrupted; no longer matches: 5 invocations in 24 h'],
      [[series('requests', 'absent'), series('heartbeat', 'absent')], {}, 'interrupted; usage now unknown: variant AllTraffic: no Invocations and no CPUUtilization datapoints in the window'],
      [idleUsage(), { components: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 0, capacity: 'provisioned' }] }, 'interrupted; serverless or scaled to zero: costs nothing idle'],
    ];
    for (const [usage, over, detail] of cases) {
      await store.close();
      store = await openMemoryStore();
      const p = await leftExecuting();
      cloud.usage = usage;
      cloud.resource = endpoint(over);
      expect(await recoverInterrupted(deps())).toEqual([{ proposalId: p.id, outcome: 'cancelled', detail }]);
      expect(await statusOf(p.id)).toBe('cancelled');
    }
    expect(cloud.calls).not.toContain('perform');
  });

  it('records a resumed action that fails as failed, with the reason', async () => {
    const p = await leftExecuting();
    cloud.faults.perform = new Error('ResourceInUse: endpoint is being updated');

    expect(await recoverInterrupted(deps())).toEqual([{ proposalId: p.id, outcome: 'failed', detail: 'Delete endpoint failed: ResourceInUse: endpoint is being updated' }]);
    expect(await statusOf(p.id)).toBe('failed');
    expect((await auditOf()).map((e) => e.event)).toEqual(['failed', 'recovered']);
  });

  it('reports a resumed proposal someone else finished first as skipped, with no audit entry', async () => {
    const p = await leftExecuting();
    const racing = withHook(store, 'executed', async () => {
      await store.transitionProposal(p.id, ['executing'], 'failed');
    });

    expect(await recoverInterrupted(deps({ store: racing }))).toEqual([{ proposalId: p.id, outcome: 'skipped', detail: 'already failed' }]);
    expect(await auditOf()).toEqual([]);
    expect(await store.listSavings()).toEqual([]);
  });

  it('lets a store failure while finishing a resumed proposal reach the caller, leaving it executing for the next run', async () => {
    const p = await leftExecuting();
    cloud.resource = undefined;
    const failing = withHook(store, 'executed', () => Promise.reject(new Error('InternalServerError')));

    await expect(recoverInterrupted(deps({ store: failing }))).rejects.toThrow('InternalServerError');
    expect(await statusOf(p.id)).toBe('executing');
  });
});

describe('safety: deployed executors take over an action only once no executor can still be running it', () => {
  const MINUTE = 60_000;
  const resume = () => deps({ resumeInterrupted: true });

  it('leaves a proposal executing for less than the timeout alone, and resumes it from the instant the timeout has passed', async () => {
    const p = await leftExecuting(new Date(NOW.getTime() - INTERRUPTED_AFTER_MINUTES * MINUTE + 1));

    const early = await executeProposal(p.id, ACTOR, resume());
    expect(early).toEqual({ proposalId: p.id, outcome: 'skipped', detail: `executing since 2026-11-28T11:45:00.001Z; taken as interrupted only after ${INTERRUPTED_AFTER_MINUTES} minutes` });
    expect(cloud.calls).toEqual([]);
    expect((await store.getProposal(p.id))?.statusChangedAt).toEqual(new Date('2026-11-28T11:45:00.001Z'));

    clock.advance(1);
    const resumed = await executeProposal(p.id, ACTOR, resume());
    expect(resumed).toEqual({ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' });
    expect(cloud.calls).toEqual(['describe', 'usageOf', 'perform']);
    expect((await auditOf()).map((e) => e.event)).toEqual(['executed', 'recovered']);
    expect(INTERRUPTED_AFTER_MINUTES).toBe(15);
  });

  it('executes an approved proposal as a first run does: taking over applies only to proposals left executing', async () => {
    const p = await proposal();

    expect(await executeProposal(p.id, ACTOR, resume())).toEqual({ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' });
    expect(cloud.calls).toEqual(['describe', 'usageOf', 'captureUndo', 'perform']);
    expect((await auditOf()).map((e) => e.event)).toEqual(['executed']);
  });

  it('never resumes a proposal executing without resumeInterrupted (local executors recover under the state folder’s lock)', async () => {
    const p = await leftExecuting(new Date(NOW.getTime() - 24 * 60 * MINUTE));

    expect(await executeProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'proposal is executing, not approved' });
    expect(cloud.calls).toEqual([]);
  });

  it('lets one executor only take it over when several jobs find it at once', async () => {
    const p = await leftExecuting(new Date(NOW.getTime() - 60 * MINUTE));

    const outs = await Promise.all(Array.from({ length: 5 }, () => executeProposal(p.id, ACTOR, resume())));

    expect(outs.filter((o) => o.outcome === 'executed')).toHaveLength(1);
    expect(outs.filter((o) => o.outcome === 'skipped')).toHaveLength(4);
    expect(cloud.calls.filter((c) => c === 'perform')).toHaveLength(1);
  });

  it('does nothing when its take-over is refused (another executor took it over first)', async () => {
    const p = await leftExecuting(new Date(NOW.getTime() - 60 * MINUTE));
    const taken = new Proxy(store, {
      get(target, prop) {
        if (prop === 'takeOverProposal') return async () => false;
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });

    expect(await executeProposal(p.id, ACTOR, deps({ store: taken, resumeInterrupted: true }))).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'another executor took it over' });
    expect(cloud.calls).toEqual([]);
    expect(await auditOf()).toEqual([]);
  });

  it('starts counting when it first sees a proposal stored without a status time, and resumes it a full timeout later', async () => {
    const p = await proposal();
    // As a version before statusChangedAt stored it.
    await store.close();
    store = await openMemoryStore();
    await store.upsertProposal({ ...p, status: 'executing', undoData: { endpointConfigName: 'fraud-v3-config' } });

    const stamped = await executeProposal(p.id, ACTOR, resume());
    expect(stamped).toEqual({ proposalId: p.id, outcome: 'skipped', detail: `executing since an unrecorded time; taken as interrupted ${INTERRUPTED_AFTER_MINUTES} minutes from now` });
    expect((await store.getProposal(p.id))?.statusChangedAt).toEqual(NOW);
    expect(cloud.calls).toEqual([]);

    clock.advance(INTERRUPTED_AFTER_MINUTES * MINUTE);
    expect((await executeProposal(p.id, ACTOR, resume())).outcome).toBe('executed');
  });
});

/** What a crash during Undo leaves: executed, then claimed `undoing` at `claimedAt`, the undo cut off before or after the cloud call. */
async function leftUndoing(claimedAt: Date): Promise<ProposedAction> {
  const p = await leftExecuting(claimedAt);
  await store.transitionProposal(p.id, ['executing'], 'executed', { at: claimedAt });
  await store.transitionProposal(p.id, ['executed'], 'undoing', { at: claimedAt });
  return p;
}

describe('safety: an Undo cut off by a crash is finished, never left without a button', () => {
  const MINUTE = 60_000;

  it('locally, runs the undo again from the saved data, records it undone, snoozes the resource and notes the recovery', async () => {
    const p = await leftUndoing(NOW);

    const out = await recoverInterrupted(deps());

    expect(out).toEqual([{ proposalId: p.id, outcome: 'undone', detail: 're-created fraud-v3 from fraud-v3-config' }]);
    expect(cloud.calls).toEqual(['undo']);
    expect(cloud.undoneWith).toEqual([{ endpointConfigName: 'fraud-v3-config', savedBy: 'the first run' }]);
    expect(await statusOf(p.id)).toBe('undone');
    expect(await store.activeSnoozes(NOW)).toHaveLength(1);
    expect(await auditOf()).toEqual([
      { event: 'undone', actor: 'costwatch', proposalId: p.id, resourceId: endpoint().id, detail: 're-created fraud-v3 from fraud-v3-config' },
      recovered(p, 'undoing', 'undone'),
    ]);
  });

  it('locally, puts it back to executed (Undo offered again) when the undo fails again, saying why', async () => {
    const p = await leftUndoing(NOW);
    cloud.faults.undo = new Error('ResourceLimitExceeded');

    expect(await recoverInterrupted(deps())).toEqual([{ proposalId: p.id, outcome: 'failed', detail: 'undo failed: ResourceLimitExceeded' }]);
    expect(await statusOf(p.id)).toBe('executed');
    expect((await auditOf()).map((e) => e.event)).toEqual(['failed', 'recovered']);
    expect(await store.activeSnoozes(NOW)).toEqual([]);
  });

  it('deployed, takes it over only once no executor can still be running it, and only one of several jobs', async () => {
    const p = await leftUndoing(new Date(NOW.getTime() - INTERRUPTED_AFTER_MINUTES * MINUTE + 1));
    const resume = () => deps({ resumeInterrupted: true });

    expect(await undoProposal(p.id, ACTOR, resume())).toEqual({ proposalId: p.id, outcome: 'skipped', detail: `undoing since 2026-11-28T11:45:00.001Z; taken as interrupted only after ${INTERRUPTED_AFTER_MINUTES} minutes` });
    expect(cloud.calls).toEqual([]);
    // Without resumeInterrupted (a plain click), a proposal undoing is never taken over.
    clock.advance(60 * MINUTE);
    expect(await undoProposal(p.id, ACTOR, deps())).toEqual({ proposalId: p.id, outcome: 'skipped', detail: 'proposal is undoing, not executed' });

    const outs = await Promise.all(Array.from({ length: 5 }, () => undoProposal(p.id, ACTOR, resume())));
    expect(outs.filter((o) => o.outcome === 'undone')).toHaveLength(1);
    expect(cloud.calls).toEqual(['undo']);
    expect(await statusOf(p.id)).toBe('undone');
    expect((await auditOf()).map((e) => e.event)).toEqual(['undone', 'recovered']);
  });

  it('deployed, stamps a proposal undoing since an unrecorded time and finishes it a full timeout later', async () => {
    const p = await proposal();
    await store.close();
    store = await openMemoryStore();
    await store.upsertProposal({ ...p, status: 'undoing', undoData: { endpointConfigName: 'fraud-v3-config' } });
    const resume = () => deps({ resumeInterrupted: true });

    expect((await undoProposal(p.id, ACTOR, resume())).detail).toMatch(/undoing since an unrecorded time/);
    clock.advance(INTERRUPTED_AFTER_MINUTES * MINUTE - 1);
    expect((await undoProposal(p.id, ACTOR, resume())).outcome).toBe('skipped');
    clock.advance(1);
    expect((await undoProposal(p.id, ACTOR, resume())).outcome).toBe('undone');
    expect(cloud.calls).toEqual(['undo']);
  });

  it('keeps it undoing when recording the result fails after the cloud was restored, so running it again records it', async () => {
    const p = await leftUndoing(NOW);
    const failing = withHook(store, 'undone', () => Promise.reject(new Error('InternalServerError')));

    await expect(recoverInterrupted(deps({ store: failing }))).rejects.toThrow('InternalServerError');
    expect(await statusOf(p.id)).toBe('undoing');
    expect((await auditOf()).filter((e) => e.event === 'failed')).toEqual([]);

    expect((await recoverInterrupted(deps()))[0]?.outcome).toBe('undone');
  });
});

describe('safety: an action that took effect always ends where Undo is offered', () => {
  /** The store, failing the first `times` writes of `executed` with a throttling error. */
  function failingExecuted(times: number): StateStore {
    let left = times;
    return withHook(store, 'executed', async () => {
      if (left-- > 0) throw new Error('ProvisionedThroughputExceededException');
    });
  }

  it('writes executed again when the first writes fail, and records the action once', async () => {
    const p = await proposal();

    const out = await executeProposal(p.id, ACTOR, deps({ store: failingExecuted(2) }));

    expect(out).toEqual({ proposalId: p.id, outcome: 'executed', detail: 'deleted endpoint fraud-v3' });
    expect(await statusOf(p.id)).toBe('executed');
    expect((await auditOf()).map((e) => e.event)).toEqual(['executed']);
  });

  it('never marks it failed when executed cannot be written: it stays executing with its undo data, the error reaches the caller, and the recovery records it executed', async () => {
    const p = await proposal();

    const error = await executeProposal(p.id, ACTOR, deps({ store: failingExecuted(3) })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnrecordedExecutionError);
    // The store's own error is kept as the cause, for --debug and the function's log.
    expect(((error as Error).cause as Error).message).toBe('ProvisionedThroughputExceededException');
    expect((error as Error).message).toBe(
      'fraud-v3: the action took effect but could not be recorded (ProvisionedThroughputExceededException); it stays executing, and the recovery of interrupted actions records it as executed',
    );
    const stored = await store.getProposal(p.id);
    expect(stored?.status).toBe('executing');
    expect(stored?.undoData).toEqual({ endpointConfigName: 'fraud-v3-config', tags: { team: 'fraud' } });
    expect(await auditOf()).toEqual([]);

    const [out] = await recoverInterrupted(deps());
    expect(out?.outcome).toBe('executed');
    expect(cloud.calls.filter((c) => c === 'perform')).toHaveLength(1);
    expect((await undoProposal(p.id, 'U0OWNER', deps())).outcome).toBe('undone');
  });

  it('takes a write refused because the status already moved on (an earlier write landed, its answer lost) as recorded', async () => {
    const p = await proposal();
    let first = true;
    const landedThenLost = withHook(store, 'executed', async () => {
      if (!first) return;
      first = false;
      await store.transitionProposal(p.id, ['executing'], 'executed');
      throw new ConditionFailedError(p.id, 'executed');
    });
    // The hook runs before the real write; make the real write see the status moved on.
    const out = await executeProposal(p.id, ACTOR, deps({ store: landedThenLost }));

    expect(out.outcome).toBe('executed');
    expect(await statusOf(p.id)).toBe('executed');
    expect((await auditOf()).map((e) => e.event)).toEqual(['executed']);
  });
});

describe('the savings ledger counts an action from the moment it took effect', () => {
  it('opens an entry for an executed action, at the rate the resource cost, and none for one cancelled or failed', async () => {
    const p = await proposal();
    clock.advance(1000);

    await executeProposal(p.id, ACTOR, deps());

    const [entry, ...more] = await store.listSavings();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ id: p.id, actionKind: DELETE, ruleId: 'idle-endpoint', openedAt: new Date(NOW.getTime() + 1000), team: 'fraud' });

    await store.close();
    store = await openMemoryStore();
    cloud.resource = endpoint();
    const cancelled = await proposal({ expiresAt: NOW });
    await executeProposal(cancelled.id, ACTOR, deps());
    cloud.faults.perform = new Error('ResourceInUse');
    await store.close();
    store = await openMemoryStore();
    const failed = await proposal();
    await executeProposal(failed.id, ACTOR, deps());
    expect(await store.listSavings()).toEqual([]);
  });

  it('opens an entry for an action a recovery ran, and none for one it only found done', async () => {
    const p = await leftExecuting();
    clock.advance(1000);
    await recoverInterrupted(deps());
    expect((await store.listSavings()).map((e) => ({ id: e.id, openedAt: e.openedAt }))).toEqual([{ id: p.id, openedAt: new Date(NOW.getTime() + 1000) }]);

    await store.close();
    store = await openMemoryStore();
    await leftExecuting();
    cloud.resource = undefined;
    await recoverInterrupted(deps());
    expect(await store.listSavings()).toEqual([]);
  });
});

describe('every status change is timed on the executor’s clock (the recovery of interrupted actions counts from it)', () => {
  it('records when a proposal was claimed, executed, undone, cancelled or failed, in domain time', async () => {
    const at = (ms: number) => new Date(NOW.getTime() + ms);
    const changedAt = async (id: string) => (await store.getProposal(id))?.statusChangedAt;
    // Claimed and executed: the claim's time is seen by perform, the final one after it.
    const p = await proposal();
    clock.advance(1000);
    await executeProposal(p.id, ACTOR, deps());
    expect(await changedAt(p.id)).toEqual(at(1000));
    const claimed = cloud.executingAtPerform[0]?.statusChangedAt;
    expect(claimed).toEqual(at(1000));

    clock.advance(1000);
    await undoProposal(p.id, 'U0OWNER', deps());
    expect(cloud.undoingAtUndo.map((x) => x.statusChangedAt)).toEqual([at(2000)]);
    expect(await changedAt(p.id)).toEqual(at(2000));

    // An Undo that fails goes back to executed, timed too.
    await store.close();
    store = await openMemoryStore();
    const q = await proposal();
    await executeProposal(q.id, ACTOR, deps());
    cloud.faults.undo = new Error('ResourceLimitExceeded');
    clock.advance(1000);
    await undoProposal(q.id, 'U0OWNER', deps());
    expect(await changedAt(q.id)).toEqual(at(3000));
    delete cloud.faults.undo;

    for (const [setup, status] of [
      [() => void (cloud.resource = undefined), 'cancelled'],
      [() => void (cloud.faults.describe = new Error('Rate exceeded')), 'failed'],
      [() => void (cloud.faults.perform = new Error('ResourceInUse')), 'failed'],
    ] as const) {
      await store.close();
      store = await openMemoryStore();
      cloud = new FakeCloud(() => store);
      const r = await proposal();
      setup();
      clock.advance(1000);
      await executeProposal(r.id, ACTOR, deps());
      expect(await statusOf(r.id)).toBe(status);
      expect(await changedAt(r.id)).toEqual(clock.now());
    }

    // A resumed action: finished at the recovery's time.
    await store.close();
    store = await openMemoryStore();
    cloud = new FakeCloud(() => store);
    const left = await leftExecuting(NOW);
    clock.advance(1000);
    await recoverInterrupted(deps());
    expect(await statusOf(left.id)).toBe('executed');
    expect(await changedAt(left.id)).toEqual(clock.now());
  });
});

describe('the savings ledger counts nothing it cannot price', () => {
  it('executes an action on a resource of unknown price without opening a ledger entry', async () => {
    cloud.resource = endpoint({ components: [{ name: 'AllTraffic', instanceType: 'ml.unpriced.xlarge', instanceCount: 2, capacity: 'provisioned' }] });
    const p = await proposal();

    expect((await executeProposal(p.id, ACTOR, deps())).outcome).toBe('executed');
    expect(await store.listSavings()).toEqual([]);
  });
});

describe('the savings ledger stops counting when an action is undone', () => {
  it('closes the entry at the moment of the Undo, saying who undid it', async () => {
    const p = await proposal();
    await executeProposal(p.id, ACTOR, deps());
    clock.advance(3 * HOUR);

    await undoProposal(p.id, 'U0OWNER', deps());

    const [entry] = await store.listSavings();
    expect(entry).toMatchObject({ id: p.id, openedAt: NOW, closedAt: new Date(NOW.getTime() + 3 * HOUR), closeReason: 'undone', closeDetail: 'undone by U0OWNER' });
  });
});

describe('the savings ledger never counts past the moment a resource would have stopped by itself', () => {
  it('ends the entry of an action on a resource that would have stopped on its own when it would have', async () => {
    // The same rule, judging the endpoint as costing $100 more before it stops by itself (as a training job does).
    const finite: ActiveRule = {
      settings: idleRule.settings,
      rule: {
        ...(idleRule.rule as ResourceRule<never>),
        evaluate: (input) => {
          const r = idleRule.rule.evaluate(input);
          return r.state === 'violation' ? { ...r, waste: { monthly: { amount: 100, currency: 'USD' }, arithmetic: '$100 left', priceSource: 'test', basis: 'until-stopped' } } : r;
        },
      },
    };
    const p = await proposal();

    await executeProposal(p.id, ACTOR, deps({ rules: new Map([['idle-endpoint', finite]]) }));

    const [entry] = await store.listSavings();
    expect(entry?.endsBy).toBeInstanceOf(Date);
    expect(entry!.endsBy!.getTime()).toBeGreaterThan(NOW.getTime());
    expect(entry!.endsBy!.getTime()).toBeLessThan(NOW.getTime() + 730 * HOUR);
  });
});
