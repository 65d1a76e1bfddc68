import type { Lifecycle, ResourceKind } from '../domain/resource.js';
import { AWS_ACTIONS } from './aws.js';
import { GCP_ACTIONS } from './gcp.js';
import { AZURE_ACTIONS } from './azure.js';

/**
 * A remediation kind, declared in data (Cloud Custodian style): where it applies, what it saves
 * for undo, how it undoes. Providers perform it; the executor enforces the declaration.
 */
export interface ActionDefinition {
  readonly kind: string;
  readonly resourceKind: ResourceKind;
  /** Button label, e.g. "Delete endpoint". */
  readonly label: string;
  /** Lifecycle states in which the action may run; anything else cancels it. */
  readonly appliesTo: readonly Lifecycle[];
  readonly reversible: boolean;
  /** What is saved before the mutation. */
  readonly saves: string;
  /** What Undo does, or why there is none. */
  readonly undo: string;
  /** Whether `auto` mode may run it; irreversible actions default to approval only. */
  readonly autoAllowed: boolean;
  /**
   * A guard's action: the proposal asks "keep it?" (**Approve** keeps the resource, **Stop** runs
   * the action), is asked once per resource (a proposal kept, executed or undone is never made
   * again), and in `auto` mode runs only when unanswered by its due time.
   */
  readonly guard?: boolean;
  /** What the action stops, said plainly in the approval dialog, when it is more than the resource itself. */
  readonly warning?: string;
}

/**
 * Every action kind, explicitly listed, one list per cloud. Each cloud's kind modules perform
 * exactly the actions its list declares (a test holds them to it).
 */
export const ACTIONS: readonly ActionDefinition[] = [...AWS_ACTIONS, ...GCP_ACTIONS, ...AZURE_ACTIONS];

/** The definition of an action kind; throws for an unknown kind, a programming error. */
export function actionDefinition(kind: string): ActionDefinition {
  const d = ACTIONS.find((a) => a.kind === kind);
  if (!d) throw new Error(`unknown action kind ${kind}`);
  return d;
}
