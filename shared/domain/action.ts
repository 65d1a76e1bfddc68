import type { Money } from './money.js';
import type { ResourceRef } from './resource.js';

/** How a rule's findings are handled. */
export type Mode = 'notify' | 'approve' | 'auto';

/** Lifecycle of a proposed action. */
export type ActionStatus =
  | 'proposed' // waiting for a person
  | 'approved' // decided, queued for execution
  | 'executing' // claimed by one executor; undo data saved
  | 'executed'
  | 'undoing'
  | 'cancelled' // re-check showed it no longer applies, or expired
  | 'rejected' // a person declined / snoozed / exempted
  | 'failed'
  | 'undone';

/** A remediation costwatch proposes (or performs, in `auto` mode) for one finding. */
export interface ProposedAction {
  /** Unique per proposal: `<key>@<created ISO time>`; a resource idle again later gets a new proposal. */
  readonly id: string;
  /** Same for every proposal of this action on this resource: `<actionKind>:<resource id>`. */
  readonly key: string;
  readonly kind: string;
  readonly findingId: string;
  readonly ruleId: string;
  readonly resource: ResourceRef;
  readonly mode: Mode;
  /** Why the mode is what it is, when it differs from the rule's (e.g. "medium confidence"). */
  readonly modeReason?: string;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly reversible: boolean;
  readonly monthlySaving?: Money;
  readonly status: ActionStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /**
   * When an `auto` proposal that asks first (a launch guard's "keep it?") acts if nobody has
   * answered: until then it waits for a click like an `approve` one. Absent: `auto` acts at once.
   */
  readonly dueAt?: Date;
  /** Saved before the mutation, so Undo can restore. */
  readonly undoData?: Readonly<Record<string, unknown>>;
  /**
   * When `status` last changed (written by every transition). Absent on proposals stored by
   * versions before it existed: the recovery of interrupted actions then starts counting when it
   * first sees the proposal, so it never takes over an action early.
   */
  readonly statusChangedAt?: Date;
}

/** Key of the action of a kind on a resource (shared by all its proposals over time). */
export function actionKey(kind: string, resourceId: string): string {
  return `${kind}:${resourceId}`;
}

/** Id of one proposal. */
export function proposalId(key: string, createdAt: Date): string {
  return `${key}@${createdAt.toISOString()}`;
}
