import type { ProposedAction } from '../domain/action.js';
import type { Finding } from '../domain/finding.js';

/** One thing to tell people about: a finding, with its proposal and what happened to it. */
export interface Notification {
  readonly finding: Finding;
  readonly proposal?: ProposedAction;
  /** Set when the proposal was executed, cancelled or failed in this run. */
  readonly outcome?: { readonly outcome: string; readonly detail: string };
}

/**
 * Where findings go after a scan or a cloud event (Slack when configured). Implementations
 * dedupe: publishing the same finding in the same state twice posts once.
 */
export interface Notifier {
  publish(batch: readonly Notification[], context: { readonly dryRun: boolean; readonly now: Date }): Promise<void>;
}
