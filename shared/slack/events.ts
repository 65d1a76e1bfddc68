import type { ProposedAction } from '../domain/action.js';
import type { AuditEntry } from '../domain/decision.js';
import type { StateStore } from '../store/port.js';
import type { AlertEvent } from './view.js';

const EVENTS: readonly AuditEntry['event'][] = ['executed', 'cancelled', 'failed', 'undone', 'expired'];

/** The last execution, cancellation, failure, undo or expiry of a proposal, from the audit log. */
export async function latestEvent(store: StateStore, p: ProposedAction): Promise<AlertEvent | undefined> {
  if (p.status === 'proposed' || p.status === 'approved') return undefined;
  const entries = await store.listAudit({ since: p.createdAt });
  const last = entries.filter((e) => e.proposalId === p.id && EVENTS.includes(e.event)).pop();
  return last && { kind: last.event as AlertEvent['kind'], detail: last.detail, by: last.actor, at: last.at };
}
