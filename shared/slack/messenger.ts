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

/** State of a message reference claimed for its first post, before the post is known to have happened. */
export const POSTING = '~posting:';
/** State of a message reference whose first post failed: the next sync posts it. */
export const UNPOSTED = '~unposted';

/** Whether a stored state is a claim whose post has not been recorded. */
export function isPostingClaim(state: string): boolean {
  return state.startsWith(POSTING);
}

/** Whether a stored reference names a message that exists in Slack (not a claim, not a failed first post). */
export function isPosted(m: StoredSlackMessage): boolean {
  return m.ts !== '' && !isPostingClaim(m.state) && m.state !== UNPOSTED;
}

/**
 * Keeps one Slack message per finding in line with its state: posts it the first time, then edits
 * it in place (`chat.update`) and adds a thread reply for each change, and does nothing while the
 * state is the same. The stored reference is written with a conditional write before anything is
 * posted (claim, then post, then record), so two writers (a scan and the executor) never both
 * post, and no failure after a post (a store write, a crash, a retried delivery) posts it again.
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
      if (rec && isPostingClaim(rec.state)) {
        // A post was started and its outcome never recorded (the post, or the write after it,
        // failed without a trace): it may be in Slack. Posting again could show it twice; never do.
        return 'unchanged';
      }
      if (!rec || rec.state === UNPOSTED) {
        // Claim the message before posting: once the claim is written, no failure after the post
        // can lead to a second post. A post that fails marks the claim unposted, for a retry.
        const claimState = `${POSTING}${state}`;
        const claim: StoredSlackMessage = {
          key,
          channel: '',
          ts: '',
          state: claimState,
          finding: view.finding,
          ...(view.proposal ? { proposalId: view.proposal.id } : {}),
          postedAt: now,
          updatedAt: now,
        };
        if (!(await store.putSlackMessage(claim, rec?.state))) continue;
        let posted: { channel: string; ts: string };
        try {
          const channel = await opts.channel();
          posted = await api.postMessage({ channel, text: msg.text, blocks: msg.blocks });
        } catch (err) {
          await store.putSlackMessage({ ...claim, state: UNPOSTED }, claimState).catch(() => undefined);
          throw err;
        }
        await store.putSlackMessage({ ...claim, channel: posted.channel, ts: posted.ts, state }, claimState);
        return 'posted';
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
