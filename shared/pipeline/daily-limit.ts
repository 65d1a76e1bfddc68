import type { ProposedAction } from '../domain/action.js';
import { overDailyLimit } from '../planner/plan.js';
import type { StateStore } from '../store/port.js';

/**
 * Takes one of the UTC day's automatic-action slots from the store for each `auto` proposal about
 * to run; those left without one go to approval instead. The planner's per-day check reads the
 * audit log, which scans running in parallel all read before any of them acts: only this atomic
 * reservation keeps them, together, within `maxActionsPerDay`. Slots go in the planner's order
 * (largest saving first). A slot stays used even if the executor's re-check then cancels the
 * action: the count errs towards fewer automatic actions, never more.
 */
export async function holdToDailyLimit(
  proposals: readonly ProposedAction[],
  store: StateStore,
  now: Date,
  maxActionsPerDay: number,
): Promise<ProposedAction[]> {
  const wanting = proposals.filter((p) => p.mode === 'auto' && p.status === 'proposed');
  if (wanting.length === 0) return [...proposals];
  const granted = await store.reserveDailyActions(now.toISOString().slice(0, 10), wanting.length, maxActionsPerDay);
  const denied = new Set(wanting.slice(granted));
  return proposals.map((p) => (denied.has(p) ? { ...p, mode: 'approve', modeReason: overDailyLimit(maxActionsPerDay) } : p));
}
