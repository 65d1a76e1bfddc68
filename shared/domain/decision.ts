/** What a person (or the policy) decided about a proposal. */
export type Verdict = 'approve' | 'reject' | 'snooze' | 'exempt';

/** A decision is written once per proposal; later attempts see the first one. */
export interface Decision {
  readonly proposalId: string;
  readonly verdict: Verdict;
  /** Slack user id, `policy` for auto mode, or `cli:<user>`. */
  readonly by: string;
  readonly at: Date;
  readonly via: 'slack' | 'policy' | 'cli';
  readonly note?: string;
}

/** One line of the audit log: every state change costwatch causes or observes. */
export interface AuditEntry {
  readonly at: Date;
  readonly actor: string;
  readonly event:
    | 'proposed'
    | 'decided'
    | 'executed'
    | 'cancelled'
    | 'failed'
    | 'undone'
    | 'snoozed'
    | 'exempted'
    | 'expired'
    | 'requeued'
    | 'lifted'
    | 'recovered';
  readonly proposalId?: string;
  readonly resourceId?: string;
  readonly detail: string;
}
