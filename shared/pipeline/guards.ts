import { ACTIONS } from '../actions/index.js';
import type { ProposedAction } from '../domain/action.js';
import { AlreadyDecidedError, ConditionFailedError } from '../errors.js';
import type { StateStore } from '../store/port.js';
import { executeProposal, type ExecutionOutcome, type ExecutorDeps } from './execute.js';

/*
 * Guards (the launch guard's "keep it?"): asked once per resource, and in `auto` mode acted on
 * only when nobody has answered by the proposal's due time. The executor does the acting, with
 * its re-check, exemption check and undo data, as for any approved proposal.
 */

const GUARD_KINDS = new Set(ACTIONS.filter((a) => a.guard).map((a) => a.kind));

/** Whether an action kind is a guard's. */
export function isGuardKind(kind: string): boolean {
  return GUARD_KINDS.has(kind);
}

/** Guard proposals already answered (kept, stopped, stopped and undone), by key, with what happened: never asked again. */
export async function settledGuards(store: StateStore): Promise<Map<string, string>> {
  const done = (await store.listProposals({ status: ['rejected', 'executed', 'undone'] })).filter((p) => isGuardKind(p.kind));
  const out = new Map<string, string>();
  for (const p of done) {
    const what = p.status === 'rejected' ? 'kept' : p.status === 'executed' ? 'stopped' : 'stopped, then restored with Undo';
    out.set(p.key, `${what} after the guard of ${p.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (proposal ${p.id})`);
  }
  return out;
}

/** Whether an `auto` proposal still waits for an answer at `now` (its due time has not come). */
export function waitsForAnswer(p: ProposedAction, now: Date): boolean {
  return p.dueAt !== undefined && p.dueAt > now;
}

/**
 * Runs the `auto` guard proposals nobody answered by their due time: decided by the policy,
 * then executed (re-read, re-checked, undo data saved first). Only those `accept` admits (a
 * scan's own scopes; rules and clouds this caller can re-check). Each proposal is decided once,
 * so callers running side by side never act twice.
 */
export async function runDueGuards(deps: ExecutorDeps, now: Date, accept: (p: ProposedAction) => boolean): Promise<ExecutionOutcome[]> {
  const due = (await deps.store.listProposals({ status: ['proposed'] })).filter(
    (p) => p.mode === 'auto' && p.dueAt !== undefined && p.dueAt <= now && p.expiresAt > now && deps.rules.has(p.ruleId) && deps.providers.has(p.resource.cloud) && accept(p),
  );
  const outcomes: ExecutionOutcome[] = [];
  for (const p of due) {
    try {
      await deps.store.decide({ proposalId: p.id, verdict: 'approve', by: 'policy', at: now, via: 'policy', note: `auto mode: no answer by ${p.dueAt!.toISOString()}` });
      await deps.store.transitionProposal(p.id, ['proposed'], 'approved');
    } catch (err) {
      if (err instanceof AlreadyDecidedError || err instanceof ConditionFailedError) continue;
      throw err;
    }
    await deps.store.appendAudit({ at: now, actor: 'policy', event: 'decided', proposalId: p.id, resourceId: p.resource.id, detail: `nobody answered the guard by ${p.dueAt!.toISOString()}: acting (auto mode)` });
    outcomes.push(await executeProposal(p.id, 'policy', deps));
  }
  return outcomes;
}
