/**
 * Stable `action_id`s of costwatch's buttons. They are part of the contract with messages already
 * posted in Slack: renaming one breaks the buttons of every message sent before the rename.
 */
export const ACTION_IDS = {
  approve: 'costwatch.approve',
  snooze: 'costwatch.snooze',
  exempt: 'costwatch.exempt',
  undo: 'costwatch.undo',
  /** App Home: lift one of your snoozes (value: resource id). */
  liftSnooze: 'costwatch.lift-snooze',
  /** App Home: lift an exemption added from chat (value: resource id). */
  liftExemption: 'costwatch.lift-exemption',
  /** A URL button: Slack still sends an interaction, which is acknowledged and ignored. */
  openConsole: 'costwatch.open-console',
  /** A guard's **Approve**: keep the new resource (the proposed stop is declined, and not asked again). */
  keep: 'costwatch.keep',
} as const;

/** One of costwatch's action ids. */
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/** Buttons that change something, and so need a proposal id in their value. */
export const DECISION_ACTIONS: readonly ActionId[] = [ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt, ACTION_IDS.undo, ACTION_IDS.keep];

/** Whether a string is one of costwatch's action ids. */
export function isActionId(s: string): s is ActionId {
  return (Object.values(ACTION_IDS) as string[]).includes(s);
}

/** How long **Snooze** holds back new proposals for a resource. */
export const SNOOZE_HOURS = 24;
