import type { Money } from './money.js';
import type { ResourceRef } from './resource.js';

/** Why a savings entry stopped counting. */
export type SavingsCloseReason =
  /** Someone clicked Undo (or ran it from the CLI): the resource runs again. */
  | 'undone'
  /** A scan found the resource created again after the action (by someone else). */
  | 'recreated'
  /** A scan found the resource running again (started by someone else, or the change reverted). */
  | 'running-again';

/**
 * One line of the savings ledger: an executed action and the cost rate it stopped. It counts from
 * `openedAt` until it is closed (undo, re-creation, found running again) or until `endsBy` (a job
 * that would have stopped by itself then). Realized saving = hourly rate × hours it stayed off.
 */
export interface SavingsEntry {
  /** The executed proposal's id: one entry per execution. */
  readonly id: string;
  readonly actionKind: string;
  readonly ruleId: string;
  readonly resource: ResourceRef;
  /** Value of the resource's `team` tag, when it has one. */
  readonly team?: string;
  /** Cost per hour the action stopped (compute: price × count; storage: net $/GB-month difference ÷ 730 h). */
  readonly hourly: Money;
  /** How `hourly` was worked out, e.g. `ml.g5.xlarge $1.408/h × 2 = $2.816/h`. */
  readonly arithmetic: string;
  /** Where the price came from (price table and date, or config override). */
  readonly priceSource: string;
  readonly openedAt: Date;
  /** The stopped resource would have stopped by itself at this time; nothing is counted after it. */
  readonly endsBy?: Date;
  readonly closedAt?: Date;
  readonly closeReason?: SavingsCloseReason;
  /** What closed it, in words (who undid it, when the resource was seen again). */
  readonly closeDetail?: string;
}
