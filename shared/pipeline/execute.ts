import { actionDefinition } from '../actions/index.js';
import type { ProposedAction } from '../domain/action.js';
import type { Cloud, Resource } from '../domain/resource.js';
import type { WasteEstimate } from '../domain/finding.js';
import type { Clock } from '../clock.js';
import { ConditionFailedError, CostwatchError } from '../errors.js';
import { exemptionOf, type PlannerPolicy } from '../planner/plan.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { CloudProvider } from '../providers/port.js';
import type { StateStore } from '../store/port.js';
import { savingsEntryFor } from '../savings/ledger.js';
import { evaluateRule, usageWindowHours, type ActiveRule } from './detect.js';

/**
 * How long a proposal may stay `executing` before it is taken as cut off by a crash or a timeout.
 * Lambda's maximum timeout is 15 minutes, so past it no executor that claimed the proposal can
 * still be running; every function that executes has a shorter timeout (infra/function-table.ts).
 */
export const INTERRUPTED_AFTER_MINUTES = 15;

/** Attempts at recording `executed` once the cloud has changed (the store client retries each too). */
const RECORD_ATTEMPTS = 3;

/** What the executor needs; all injected. */
export interface ExecutorDeps {
  readonly store: StateStore;
  readonly providers: ReadonlyMap<Cloud, CloudProvider>;
  readonly rules: ReadonlyMap<string, ActiveRule>;
  readonly policy: PlannerPolicy;
  readonly prices: PriceBook;
  readonly clock: Clock;
  readonly lookbackHours: number;
  /**
   * Executors that may run beside others (deployed): a proposal found `executing` for longer than
   * INTERRUPTED_AFTER_MINUTES is taken over (conditional write) and resumed as recoverInterrupted
   * does. Without it such a proposal is skipped.
   */
  readonly resumeInterrupted?: boolean;
}

/** The result of trying to execute (or undo) one proposal. */
export interface ExecutionOutcome {
  readonly proposalId: string;
  readonly outcome: 'executed' | 'cancelled' | 'failed' | 'skipped' | 'undone';
  readonly detail: string;
}

/** The action's effect could not be recorded although the cloud changed; the proposal stays `executing` for recovery. */
export class UnrecordedExecutionError extends CostwatchError {}

/**
 * Executes one approved proposal, enforcing the safety invariants: the resource is re-read and
 * the rule re-evaluated first (cancelled if it no longer matches), the claim and the undo data are
 * written before the mutation, and a proposal is executed by one executor only.
 */
export async function executeProposal(id: string, actor: string, deps: ExecutorDeps): Promise<ExecutionOutcome> {
  const { store, clock } = deps;
  const p = await store.getProposal(id);
  if (!p) return { proposalId: id, outcome: 'skipped', detail: 'no such proposal' };
  if (p.status === 'executing' && deps.resumeInterrupted) return resumeIfInterrupted(p, actor, deps);
  if (p.status !== 'approved') return { proposalId: id, outcome: 'skipped', detail: `proposal is ${p.status}, not approved` };
  const now = clock.now();
  const cancel = async (reason: string): Promise<ExecutionOutcome> => {
    try {
      await store.transitionProposal(id, ['approved'], 'cancelled', { at: clock.now() });
    } catch (err) {
      if (err instanceof ConditionFailedError) return { proposalId: id, outcome: 'skipped', detail: `already ${err.currentStatus}` };
      throw err;
    }
    await store.appendAudit({ at: now, actor, event: 'cancelled', proposalId: id, resourceId: p.resource.id, detail: reason });
    return { proposalId: id, outcome: 'cancelled', detail: reason };
  };
  if (p.expiresAt <= now) return cancel(`expired at ${p.expiresAt.toISOString()}`);

  const provider = deps.providers.get(p.resource.cloud);
  const active = deps.rules.get(p.ruleId);
  if (!provider || !active) return cancel(`no ${provider ? 'rule ' + p.ruleId : p.resource.cloud + ' provider'} configured to re-check it`);
  const def = actionDefinition(p.kind);

  let resource;
  try {
    resource = await provider.describe(p.resource);
  } catch (err) {
    return fail(p, 'approved', actor, deps, `could not re-read the resource: ${(err as Error).message}`);
  }
  if (!resource) return cancel(`${p.resource.name} no longer exists`);
  if (!def.appliesTo.includes(resource.lifecycle)) return cancel(`${p.resource.name} is now ${resource.state}`);
  const check = await recheck(resource, provider, active, deps, now);
  if ('cancel' in check) return cancel(check.cancel);

  let undoData: Record<string, unknown>;
  try {
    undoData = await provider.captureUndo(p.kind, resource);
  } catch (err) {
    return cancel(`undo data could not be saved, so nothing was changed: ${(err as Error).message}`);
  }
  try {
    await store.transitionProposal(id, ['approved'], 'executing', { undoData, at: clock.now() });
  } catch (err) {
    if (err instanceof ConditionFailedError) return { proposalId: id, outcome: 'skipped', detail: `already ${err.currentStatus}` };
    throw err;
  }
  let done;
  try {
    done = await provider.perform(p.kind, resource, rechecked(p.parameters, check.parameters));
  } catch (err) {
    return fail(p, 'executing', actor, deps, `${def.label} failed: ${(err as Error).message}`);
  }
  // The cloud has changed: from here on the proposal must end `executed`, where Undo is offered.
  await recordExecuted(p, deps);
  const at = clock.now();
  // The ledger counts from the moment the resource stopped costing, at the rate it cost.
  const entry = savingsEntryFor(p, resource, check.waste, deps.prices, at);
  if (entry) await store.openSavings(entry);
  await store.appendAudit({ at, actor, event: 'executed', proposalId: id, resourceId: resource.id, detail: done.summary });
  return { proposalId: id, outcome: 'executed', detail: done.summary };
}

/**
 * The parameters to act with: those approved, except that a number the re-check worked out
 * higher wins (a floor is never set below what the traffic needs now), and one the re-check no
 * longer gives is dropped (that part no longer applies). A lower re-checked number does not
 * lower what was approved further than the approver saw.
 */
export function rechecked(
  approved: Readonly<Record<string, string | number | boolean>>,
  fresh: Readonly<Record<string, string | number | boolean>> | undefined,
): Readonly<Record<string, string | number | boolean>> {
  if (!fresh) return approved;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(approved)) {
    if (!Object.hasOwn(fresh, k)) continue;
    const now = fresh[k]!;
    out[k] = typeof v === 'number' && typeof now === 'number' ? Math.max(v, now) : v;
  }
  return out;
}

/**
 * The re-check of a first run, shared by every path that acts: the resource (already re-read and
 * still in a state the action applies to) must not be exempt, and the rule must still find a
 * violation in its usage read now.
 */
async function recheck(
  resource: Resource,
  provider: CloudProvider,
  active: ActiveRule,
  deps: ExecutorDeps,
  now: Date,
): Promise<{ cancel: string } | { waste: WasteEstimate | undefined; parameters: Readonly<Record<string, string | number | boolean>> | undefined }> {
  const exempt = exemptionOf(resource, deps.policy, { chatExemptions: new Map((await deps.store.activeExemptions(now)).map((e) => [e.resourceId, e.reason])) });
  if (exempt) return { cancel: `exempt: ${exempt}` };
  const usage = await provider.usageOf(resource, { now, lookbackHours: deps.lookbackHours, usageWindowHours: usageWindowHours([...deps.rules.values()]) });
  const { result } = evaluateRule(active, resource, usage, now, deps.prices);
  if (result.state === 'violation') return { waste: result.waste, parameters: result.parameters };
  if (result.state === 'ok') return { cancel: `no longer matches: ${result.evidence.join('; ')}` };
  return { cancel: result.state === 'unknown' ? `usage now unknown: ${result.evidence[0] ?? ''}` : result.reason };
}

/**
 * Records `executed` after the cloud call succeeded. A write that fails is tried again; one that
 * finds the status already moved on (an earlier attempt was written though its answer was lost)
 * is done. If it cannot be written, the proposal stays `executing` and the error propagates: the
 * recovery of interrupted actions then finds the action taken effect and records it as executed,
 * so Undo is offered; it is never marked failed, which would refuse Undo of a change made.
 */
async function recordExecuted(p: ProposedAction, deps: ExecutorDeps): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.store.transitionProposal(p.id, ['executing'], 'executed', { at: deps.clock.now() });
      return;
    } catch (err) {
      if (err instanceof ConditionFailedError) return;
      if (attempt >= RECORD_ATTEMPTS) {
        throw new UnrecordedExecutionError(
          `${p.resource.name}: the action took effect but could not be recorded (${(err as Error).message}); it stays executing, and the recovery of interrupted actions records it as executed`,
          { cause: err },
        );
      }
    }
  }
}

/** Records a failure: the proposal moves from `from` to `failed` unless another executor moved it meanwhile (never overwritten); audited either way. */
async function fail(p: ProposedAction, from: 'approved' | 'executing', actor: string, deps: ExecutorDeps, detail: string): Promise<ExecutionOutcome> {
  try {
    await deps.store.transitionProposal(p.id, [from], 'failed', { at: deps.clock.now() });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
  await deps.store.appendAudit({ at: deps.clock.now(), actor, event: 'failed', proposalId: p.id, resourceId: p.resource.id, detail });
  return { proposalId: p.id, outcome: 'failed', detail };
}

/** After an Undo, the resource is not proposed again for this long. */
export const UNDO_SNOOZE_HOURS = 7 * 24;

type UndoDeps = Pick<ExecutorDeps, 'store' | 'providers' | 'clock' | 'resumeInterrupted'>;

/**
 * Reverses an executed proposal from its saved undo data. With `resumeInterrupted`, a proposal
 * left `undoing` for longer than INTERRUPTED_AFTER_MINUTES (the undo cut off by a crash or a
 * timeout) is taken over and its undo run again: every undo restores a saved state and first
 * reads where the resource is, so running it after it took effect changes nothing.
 */
export async function undoProposal(id: string, actor: string, deps: UndoDeps): Promise<ExecutionOutcome> {
  const { store, clock } = deps;
  const p = await store.getProposal(id);
  if (!p) return { proposalId: id, outcome: 'skipped', detail: 'no such proposal' };
  const def = actionDefinition(p.kind);
  if (!def.reversible || !p.undoData) return { proposalId: id, outcome: 'skipped', detail: `cannot undo: ${def.undo}` };
  const provider = deps.providers.get(p.resource.cloud);
  if (!provider) return { proposalId: id, outcome: 'skipped', detail: `no ${p.resource.cloud} provider configured` };
  if (p.status === 'undoing' && deps.resumeInterrupted) {
    const since = p.statusChangedAt;
    const now = clock.now();
    if (since && now.getTime() - since.getTime() < INTERRUPTED_AFTER_MINUTES * 60_000) {
      return { proposalId: id, outcome: 'skipped', detail: `undoing since ${since.toISOString()}; taken as interrupted only after ${INTERRUPTED_AFTER_MINUTES} minutes` };
    }
    if (!(await store.takeOverProposal(id, 'undoing', since, now))) return { proposalId: id, outcome: 'skipped', detail: 'another executor took it over' };
    if (!since) return { proposalId: id, outcome: 'skipped', detail: `undoing since an unrecorded time; taken as interrupted ${INTERRUPTED_AFTER_MINUTES} minutes from now` };
    const o = await runUndo(p, actor, provider, deps);
    await noteRecovery(deps, p, o);
    return o;
  }
  try {
    await store.transitionProposal(id, ['executed'], 'undoing', { at: clock.now() });
  } catch (err) {
    if (err instanceof ConditionFailedError) return { proposalId: id, outcome: 'skipped', detail: `proposal is ${err.currentStatus}, not executed` };
    throw err;
  }
  return runUndo(p, actor, provider, deps);
}

/** Runs the undo of a proposal this executor holds `undoing`: `undone` if it succeeds, back to `executed` (Undo offered again) if not. */
async function runUndo(p: ProposedAction, actor: string, provider: CloudProvider, deps: UndoDeps): Promise<ExecutionOutcome> {
  const { store, clock } = deps;
  const id = p.id;
  if (!p.undoData) return { proposalId: id, outcome: 'skipped', detail: 'no undo data was saved' };
  let done;
  try {
    done = await provider.undo(p.kind, p.resource, p.undoData);
  } catch (err) {
    const detail = `undo failed: ${(err as Error).message}`;
    try {
      await store.transitionProposal(id, ['undoing'], 'executed', { at: clock.now() });
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
    }
    await store.appendAudit({ at: clock.now(), actor, event: 'failed', proposalId: id, resourceId: p.resource.id, detail });
    return { proposalId: id, outcome: 'failed', detail };
  }
  // The cloud is restored. A write failing from here on propagates: the proposal stays `undoing`,
  // and running the undo again later changes nothing and records it.
  try {
    await store.transitionProposal(id, ['undoing'], 'undone', { at: clock.now() });
  } catch (err) {
    if (err instanceof ConditionFailedError) return { proposalId: id, outcome: 'skipped', detail: `already ${err.currentStatus}` };
    throw err;
  }
  await store.closeSavings(id, clock.now(), 'undone', `undone by ${actor}`);
  await store.appendAudit({ at: clock.now(), actor, event: 'undone', proposalId: id, resourceId: p.resource.id, detail: done.summary });
  // Whoever undid it wants it running: do not propose it again for a while.
  const until = new Date(clock.now().getTime() + UNDO_SNOOZE_HOURS * 3600_000);
  await store.putSnooze({ resourceId: p.resource.id, by: actor, until });
  return { proposalId: id, outcome: 'undone', detail: done.summary };
}

/**
 * Finishes what an interrupted run left behind (a crash, kill -9, a timeout between the decision
 * and the end of the action), with the invariants of a first run: proposals left `approved` are
 * executed (re-read, re-checked, undo data saved, then acted on, or cancelled with the reason);
 * proposals left `executing` (undo data saved, the action cut off) are resumed: the resource is
 * re-read; if the action already took effect it is recorded as executed, otherwise the rule is
 * re-evaluated and the action run again, or cancelled if it no longer applies. Proposals left
 * `undoing` have their undo run again (it changes nothing where it had taken effect): `undone`,
 * or back to `executed` with Undo offered if it fails.
 *
 * Call it only where nothing else can be executing the same proposals at that moment: locally,
 * under the state folder's lock before the run executes anything; it never runs in parallel with
 * an executor.
 */
export async function recoverInterrupted(deps: ExecutorDeps): Promise<ExecutionOutcome[]> {
  const { store } = deps;
  const outcomes: ExecutionOutcome[] = [];
  for (const p of await store.listProposals({ status: ['approved', 'executing', 'undoing'] })) {
    if (p.status === 'undoing') {
      const provider = deps.providers.get(p.resource.cloud);
      const o = provider
        ? await runUndo(p, 'costwatch', provider, deps)
        : { proposalId: p.id, outcome: 'skipped' as const, detail: `interrupted while undoing; no ${p.resource.cloud} provider configured to finish it` };
      if (o.outcome !== 'skipped') await noteRecovery(deps, p, o);
      outcomes.push(o);
      continue;
    }
    const decision = await store.getDecision(p.id);
    const actor = decision?.by ?? 'policy';
    if (p.status === 'approved') {
      const o = await executeProposal(p.id, actor, deps);
      if (o.outcome !== 'skipped') await noteRecovery(deps, p, o);
      outcomes.push(o);
    } else {
      const o = await resumeExecution(p, actor, deps);
      outcomes.push(o);
    }
  }
  return outcomes;
}

async function noteRecovery(deps: Pick<ExecutorDeps, 'store' | 'clock'>, p: ProposedAction, o: ExecutionOutcome): Promise<void> {
  await deps.store.appendAudit({
    at: deps.clock.now(),
    actor: 'costwatch',
    event: 'recovered',
    proposalId: p.id,
    resourceId: p.resource.id,
    detail: `left ${p.status} by an interrupted run; recovered: ${o.outcome}`,
  });
}

/**
 * A proposal found `executing` by an executor that may run beside others: resumed only once it has
 * been executing for longer than any executor may run, and only by the one executor whose
 * conditional take-over succeeds. A proposal stored before `statusChangedAt` existed is stamped
 * now and resumed INTERRUPTED_AFTER_MINUTES later, never early.
 */
async function resumeIfInterrupted(p: ProposedAction, actor: string, deps: ExecutorDeps): Promise<ExecutionOutcome> {
  const now = deps.clock.now();
  const since = p.statusChangedAt;
  const after = INTERRUPTED_AFTER_MINUTES * 60_000;
  if (since && now.getTime() - since.getTime() < after) {
    return { proposalId: p.id, outcome: 'skipped', detail: `executing since ${since.toISOString()}; taken as interrupted only after ${INTERRUPTED_AFTER_MINUTES} minutes` };
  }
  if (!(await deps.store.takeOverProposal(p.id, 'executing', since, now))) {
    return { proposalId: p.id, outcome: 'skipped', detail: 'another executor took it over' };
  }
  if (!since) {
    return { proposalId: p.id, outcome: 'skipped', detail: `executing since an unrecorded time; taken as interrupted ${INTERRUPTED_AFTER_MINUTES} minutes from now` };
  }
  return resumeExecution(p, actor, deps);
}

/** Resumes a proposal an interrupted run left `executing` (its undo data is saved; the action may or may not have happened). */
async function resumeExecution(p: ProposedAction, actor: string, deps: ExecutorDeps): Promise<ExecutionOutcome> {
  const { store, clock } = deps;
  const now = clock.now();
  const def = actionDefinition(p.kind);
  const finish = async (to: 'executed' | 'cancelled' | 'failed', detail: string): Promise<ExecutionOutcome> => {
    try {
      await store.transitionProposal(p.id, ['executing'], to, { at: clock.now() });
    } catch (err) {
      if (err instanceof ConditionFailedError) return { proposalId: p.id, outcome: 'skipped', detail: `already ${err.currentStatus}` };
      throw err;
    }
    const o: ExecutionOutcome = { proposalId: p.id, outcome: to, detail };
    await store.appendAudit({ at: clock.now(), actor, event: to, proposalId: p.id, resourceId: p.resource.id, detail });
    await noteRecovery(deps, p, o);
    return o;
  };
  const provider = deps.providers.get(p.resource.cloud);
  const active = deps.rules.get(p.ruleId);
  if (!provider || !active) return finish('cancelled', `interrupted, and no ${provider ? 'rule ' + p.ruleId : p.resource.cloud + ' provider'} configured to re-check it`);
  let resource;
  try {
    resource = await provider.describe(p.resource);
  } catch (err) {
    // Still unknown: leave it executing, so the next run tries again.
    return { proposalId: p.id, outcome: 'skipped', detail: `interrupted; could not re-read the resource: ${(err as Error).message}` };
  }
  if (!resource || !def.appliesTo.includes(resource.lifecycle)) {
    return finish('executed', `${def.label} had taken effect before the run was interrupted: ${p.resource.name} is ${resource ? `now ${resource.state}` : 'gone'}`);
  }
  if (p.expiresAt <= now) return finish('cancelled', `interrupted, and expired at ${p.expiresAt.toISOString()}`);
  const check = await recheck(resource, provider, active, deps, now);
  if ('cancel' in check) return finish('cancelled', `interrupted; ${check.cancel}`);
  let done;
  try {
    done = await provider.perform(p.kind, resource, rechecked(p.parameters, check.parameters));
  } catch (err) {
    return finish('failed', `${def.label} failed: ${(err as Error).message}`);
  }
  const o = await finish('executed', done.summary);
  const entry = o.outcome === 'executed' ? savingsEntryFor(p, resource, check.waste, deps.prices, clock.now()) : undefined;
  if (entry) await store.openSavings(entry);
  return o;
}
