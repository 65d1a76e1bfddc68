import type { ActionStatus, ProposedAction } from '../domain/action.js';
import type { AuditEntry, Decision } from '../domain/decision.js';
import type { Finding } from '../domain/finding.js';
import type { SavingsCloseReason, SavingsEntry } from '../domain/savings.js';

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
 * The Slack message of one finding: posted once, then updated in place (`chat.update`) as its
 * state changes, with the history in its thread.
 */
export interface StoredSlackMessage {
  /** Dedup key: the finding id (plus the period, for budget findings). */
  readonly key: string;
  /** Channel id, as Slack returned it (chat.update needs the id, not the name). */
  readonly channel: string;
  readonly ts: string;
  /** What the message shows now; a finding in the same state is not posted again. */
  readonly state: string;
  /** The finding as last rendered, so an update (e.g. by the executor) can render it again; absent for the weekly digest. */
  readonly finding?: Finding;
  readonly proposalId?: string;
  readonly postedAt: Date;
  readonly updatedAt: Date;
}

/**
 * An activity watermark: when a resource's usage is next due to be read, per rule that reads it.
 * A resource that served a request at t cannot be idle before t + window, so its usage is not read
 * for that rule before then; a flagged resource is re-read at a slower cadence.
 */
/** One rule's watermark on a resource. */
export interface WatermarkDue {
  readonly at: Date;
  readonly why: string;
  /** The violation this rule found when it last read the resource's usage (a flagged resource). */
  readonly finding?: Finding;
  /** The rule's `basis` of the resource when the watermark was set: a different one makes the resource due. */
  readonly basis?: string;
}

export interface UsageWatermark {
  /** `<cloud>:<scope id>`: a scan reads the watermarks of the scope it collects. */
  readonly scope: string;
  readonly resourceId: string;
  /** The resource's creation time when read: a resource re-created under the same id starts afresh. */
  readonly createdAt?: Date;
  /**
   * Rule id → when the rule needs the resource's usage again, and why not before; for a flagged
   * resource, the violation found (`finding`), reported again by the scans that do not re-read it.
   */
  readonly due: Readonly<Record<string, WatermarkDue>>;
  readonly updatedAt: Date;
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
   * Moves a proposal to `to` only if its status is one of `from` (conditional write); merges `patch`
   * and sets `statusChangedAt` to `patch.at` (default: the system clock's now).
   * Throws `ConditionFailedError` (with the current status) when the status has moved on.
   */
  transitionProposal(
    id: string,
    from: readonly ActionStatus[],
    to: ActionStatus,
    patch?: { undoData?: Readonly<Record<string, unknown>>; at?: Date },
  ): Promise<ProposedAction>;
  /**
   * Takes over a proposal an interrupted executor left in `status`: sets its `statusChangedAt` to
   * `at` only if its status is still `status` and its `statusChangedAt` is still `seenChangedAt`
   * (undefined: still absent, as on proposals stored before the field existed). Conditional
   * write, so of several processes taking over the same proposal one only gets true.
   */
  takeOverProposal(id: string, status: ActionStatus, seenChangedAt: Date | undefined, at: Date): Promise<boolean>;
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
  /**
   * Writes a Slack message reference only if the stored one is still in `expectedState`
   * (`undefined`: only if there is none yet). False when another writer got there first.
   */
  putSlackMessage(m: StoredSlackMessage, expectedState: string | undefined): Promise<boolean>;
  getSlackMessage(key: string): Promise<StoredSlackMessage | undefined>;
  /** Slack message references updated at or after `since` (all when omitted), oldest key first. */
  listSlackMessages(opts?: { since?: Date }): Promise<StoredSlackMessage[]>;
  /**
   * A value cached until `expiresAt` (e.g. Cost Explorer results, which cost $0.01 per page);
   * undefined when absent or expired at `now`. Values are JSON: dates come back as ISO strings.
   */
  getCached(key: string, now: Date): Promise<unknown>;
  /** Caches a JSON value (compressed; throws `CostwatchError` when it would not fit in one item). */
  putCached(key: string, value: unknown, expiresAt: Date): Promise<void>;
  /**
   * Reserves up to `count` of the automatic-action slots of a UTC `day` (`YYYY-MM-DD`), never
   * letting the day's reserved total exceed `limit`; returns how many it got (0 to `count`).
   * Atomic across processes (conditional write), so parallel scans share one per-day limit.
   */
  reserveDailyActions(day: string, count: number, limit: number): Promise<number>;
  /** The activity watermarks of one scope (`<cloud>:<scope id>`). */
  usageWatermarks(scope: string): Promise<UsageWatermark[]>;
  /**
   * Writes watermarks, replacing each resource's previous one; a watermark with no rule in `due`
   * deletes the resource's. Batched: one call writes many.
   */
  putUsageWatermarks(marks: readonly UsageWatermark[]): Promise<void>;

  // --- Savings ledger, and lifting snoozes and exemptions (App Home) ---------------------------
  /** Opens the ledger entry of an executed action; an entry with the same id is kept as it is (conditional write). Returns what is stored. */
  openSavings(e: SavingsEntry): Promise<SavingsEntry>;
  /**
   * Closes an open entry at `at` (never before it opened); only the first close counts (conditional
   * write). Returns the entry as closed, or undefined when there is no open entry with that id.
   */
  closeSavings(id: string, at: Date, reason: SavingsCloseReason, detail: string): Promise<SavingsEntry | undefined>;
  /** Ledger entries still open, or closed at or after `since` (all when omitted); oldest first. `open: true`: open ones only. */
  listSavings(opts?: { since?: Date; open?: boolean }): Promise<SavingsEntry[]>;
  /** Removes a snooze; false when there was none. */
  deleteSnooze(resourceId: string): Promise<boolean>;
  /** Removes an exemption added from chat or the CLI; false when there was none. */
  deleteExemption(resourceId: string): Promise<boolean>;
  // ----------------------------------------------------------------------------------------------

  close(): Promise<void>;
}
