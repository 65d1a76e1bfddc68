import type { ActionStatus, ProposedAction } from '../domain/action.js';
import type { AuditEntry, Decision } from '../domain/decision.js';

/** An exemption added from chat or the CLI (exemptions in costwatch.yml live in config). */
export interface StoredExemption {
  readonly resourceId: string;
  readonly by: string;
  readonly reason: string;
  readonly createdAt: Date;
  readonly expiresAt?: Date;
}

/** A snooze: the resource's findings are not proposed again until `until`. */
export interface StoredSnooze {
  readonly resourceId: string;
  readonly by: string;
  readonly until: Date;
}

/**
 * Where costwatch keeps what must outlive one run. One port, two adapters: DynamoDB when
 * deployed, and an embedded one (the same adapter over an in-process dynalite) for local runs.
 * Every method that decides something is a conditional write.
 */
export interface StateStore {
  /** Creates the proposal, or refreshes an open one; never touches a decided proposal. Returns what is stored. */
  upsertProposal(p: ProposedAction): Promise<ProposedAction>;
  getProposal(id: string): Promise<ProposedAction | undefined>;
  listProposals(filter?: { status?: readonly ActionStatus[] }): Promise<ProposedAction[]>;
  /**
   * Moves a proposal to `to` only if its status is one of `from` (conditional write); merges `patch`.
   * Throws `ConditionFailedError` (with the current status) when the status has moved on.
   */
  transitionProposal(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    patch?: { undoData?: Readonly<Record<string, unknown>> },
  ): Promise<ProposedAction>;
  /** Records the decision exactly once; throws `AlreadyDecidedError` carrying the first decision otherwise. */
  decide(d: Decision): Promise<Decision>;
  getDecision(proposalId: string): Promise<Decision | undefined>;
  appendAudit(e: AuditEntry): Promise<void>;
  /** Audit entries at or after `since`, oldest first. */
  listAudit(opts?: { since?: Date; limit?: number }): Promise<AuditEntry[]>;
  putSnooze(s: StoredSnooze): Promise<void>;
  /** Snoozes still in force at `now`. */
  activeSnoozes(now: Date): Promise<StoredSnooze[]>;
  putExemption(e: StoredExemption): Promise<void>;
  /** Exemptions with no expiry or expiring after `now`. */
  activeExemptions(now: Date): Promise<StoredExemption[]>;
  /** Dedup of alerts: true when `key` was not yet marked (or its mark expired), and marks it until `until`. */
  markAlerted(key: string, now: Date, until: Date): Promise<boolean>;
  close(): Promise<void>;
}
