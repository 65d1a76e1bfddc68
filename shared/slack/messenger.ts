import type { Clock } from '../clock.js';
import { CostwatchError } from '../errors.js';
import type { StateStore, StoredSlackMessage } from '../store/port.js';
import { SlackApiError, type SlackApi } from './api.js';
import { alertMessage, historyLine } from './blocks.js';
import { alertStateKey, messageKey, statusOfKey, type AlertView } from './view.js';

/** What a sync did to a finding's message. */
export type SyncResult = 'posted' | 'updated' | 'unchanged';

// A message about one proposal only moves forward: a view read before a click was executed must
// not put the buttons back on a message that already says "done".
const PROGRESS: Readonly<Record<string, number>> = {
  proposed: 0,
  expired: 1,
  approved: 2,
  executing: 3,
  executed: 4,
  cancelled: 4,
  failed: 4,
  rejected: 4,
  snoozed: 4,
  exempt: 4,
  undoing: 5,
  undone: 6,
};

function isBackwards(rec: StoredSlackMessage, state: string, proposalId: string | undefined): boolean {
  if (!proposalId || rec.proposalId !== proposalId) return false;
  const from = PROGRESS[statusOfKey(rec.state)];
  const to = PROGRESS[statusOfKey(state)];
  if (from === undefined || to === undefined) return false;
  return to < from;
}

const ATTEMPTS = 4;

/**
 * Keeps one Slack message per finding in line with its state: posts it the first time, then edits
 * it in place (`chat.update`) and adds a thread reply for each change, and does nothing while the
 * state is the same. The stored reference is written with a conditional write, so two writers
 * (a scan and the executor) never both post, and the loser of a race retries on fresh state.
 */
export class SlackMessenger {
  constructor(private readonly deps: { readonly api: SlackApi; readonly store: StateStore; readonly clock: Clock }) {}

  /** Brings the finding's message in line with `view`; `channel` is asked only when the message is first posted. */
  async sync(view: AlertView, opts: { readonly channel: () => string | Promise<string>; readonly known?: StoredSlackMessage | null }): Promise<SyncResult> {
    const { api, store, clock } = this.deps;
    const key = messageKey(view.finding);
    const state = alertStateKey(view);
    let known = opts.known;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const rec = known === undefined ? await store.getSlackMessage(key) : (known ?? undefined);
      known = undefined;
      if (rec && (rec.state === state || isBackwards(rec, state, view.proposal?.id))) return 'unchanged';
      const msg = alertMessage(view);
      const now = clock.now();
      if (!rec) {
        const channel = await opts.channel();
        const posted = await api.postMessage({ channel, text: msg.text, blocks: msg.blocks });
        const stored: StoredSlackMessage = {
          key,
          channel: posted.channel,
          ts: posted.ts,
          state,
          finding: view.finding,
          ...(view.proposal ? { proposalId: view.proposal.id } : {}),
          postedAt: now,
          updatedAt: now,
        };
        if (await store.putSlackMessage(stored, undefined)) return 'posted';
        // Another writer posted this finding's message first: ours is a duplicate.
        await api.deleteMessage(posted).catch(() => undefined);
        continue;
      }
      const proposalId = view.proposal?.id ?? rec.proposalId;
      const next: StoredSlackMessage = { ...rec, state, finding: view.finding, ...(proposalId ? { proposalId } : {}), updatedAt: now };
      if (!(await store.putSlackMessage(next, rec.state))) continue;
      try {
        await api.updateMessage({ channel: rec.channel, ts: rec.ts, text: msg.text, blocks: msg.blocks });
      } catch (err) {
        if (err instanceof SlackApiError && err.code === 'message_not_found') {
          // Someone deleted the message in Slack: post it afresh rather than lose the alert.
          const posted = await api.postMessage({ channel: rec.channel, text: msg.text, blocks: msg.blocks });
          await store.putSlackMessage({ ...next, channel: posted.channel, ts: posted.ts, postedAt: now }, state);
          return 'posted';
        }
        // Put the old state back so the next sync tries again.
        await store.putSlackMessage(rec, state).catch(() => undefined);
        throw err;
      }
      await api.postMessage({ channel: rec.channel, threadTs: rec.ts, text: historyLine(view) });
      return 'updated';
    }
    throw new CostwatchError(`the Slack message of ${key} kept changing under concurrent updates; it will be brought up to date by the next change`);
  }
}
