import type { Mode, ProposedAction } from '../domain/action.js';
import type { Decision } from '../domain/decision.js';
import type { Finding } from '../domain/finding.js';

/** The latest thing that happened to a proposal, with the words the executor or the audit log gave it. */
export interface AlertEvent {
  readonly kind: 'executed' | 'cancelled' | 'failed' | 'undone' | 'expired' | 'skipped';
  readonly detail: string;
  readonly by?: string;
  readonly at?: Date;
}

/** Everything a finding's Slack message shows. Built by the notifier (after a scan) and by the executor (after a click). */
export interface AlertView {
  readonly finding: Finding;
  /** The proposal the message is about: this run's, else the one the message last showed. */
  readonly proposal?: ProposedAction;
  readonly decision?: Decision;
  readonly event?: AlertEvent;
  /** A snooze in force on the resource without a proposal of its own. */
  readonly snooze?: { readonly until: Date; readonly by: string };
  /** A chat exemption of the resource without a proposal of its own. */
  readonly exemption?: { readonly reason: string; readonly by: string };
  /** The rule's mode in the policy, shown when there is no proposal. */
  readonly ruleMode?: Mode;
  /** Display name of the account, project or subscription. */
  readonly scopeName?: string;
  /** For budget findings: open proposals in the same cloud and scope. */
  readonly related?: readonly ProposedAction[];
  readonly now: Date;
}

/** What a finding's message shows, as one word; the message is updated only when this (or the proposal) changes. */
export type AlertStatus =
  | 'failure'
  | 'unknown'
  | 'budget'
  | 'notify'
  | 'snoozed'
  | 'exempt'
  | 'proposed'
  | 'expired'
  | 'approved'
  | 'executing'
  | 'executed'
  | 'undoing'
  | 'undone'
  | 'cancelled'
  | 'rejected'
  | 'failed';

/** The status a message shows for a view. */
export function alertStatus(v: AlertView): AlertStatus {
  const f = v.finding;
  if (f.state === 'failure') return 'failure';
  if (f.budget) return 'budget';
  const p = v.proposal;
  if (!p) {
    if (f.state === 'unknown') return 'unknown';
    return v.exemption ? 'exempt' : v.snooze ? 'snoozed' : 'notify';
  }
  switch (p.status) {
    case 'proposed':
      return p.expiresAt <= v.now ? 'expired' : 'proposed';
    case 'rejected':
      return v.decision?.verdict === 'exempt' ? 'exempt' : v.decision?.verdict === 'snooze' ? 'snoozed' : 'rejected';
    case 'cancelled':
      return v.event?.kind === 'expired' ? 'expired' : 'cancelled';
    default:
      return p.status;
  }
}

/**
 * The dedup state of a message: its status plus the proposal it is about (a new proposal is a
 * change) or, for budget findings, the kind and threshold crossed (crossing a higher one is a change).
 */
export function alertStateKey(v: AlertView): string {
  const status = alertStatus(v);
  if (status === 'budget') {
    const b = v.finding.budget!;
    return `budget:${b.kind}:${b.thresholdPercent ?? '-'}`;
  }
  return v.proposal ? `${status}:${v.proposal.id}` : status;
}

/** The status part of a stored state key. */
export function statusOfKey(key: string): string {
  return key.split(':')[0] ?? key;
}

/**
 * Key of a finding's message: the finding id, plus the period start for budget findings so each
 * period gets its own message.
 */
export function messageKey(f: Finding): string {
  const start = f.budget?.period?.start;
  return start ? `${f.id}@${start.toISOString().slice(0, 10)}` : f.id;
}
