import { actionDefinition } from '../actions/index.js';
import type { Clock } from '../clock.js';
import { isMonthlyWaste } from '../domain/finding.js';
import { totalsByCurrency, type Money } from '../domain/money.js';
import type { StateStore } from '../store/port.js';
import type { SlackApi } from './api.js';
import { digestMessage, type Digest } from './blocks.js';
import { isPosted, POSTING, UNPOSTED } from './messenger.js';

/** Days a digest covers. */
export const DIGEST_DAYS = 7;

/**
 * The week's figures from the store: waste found (findings first posted in the window, with
 * their estimate), savings realized (actions executed in the window and not undone since), undos,
 * proposals still waiting, budget alerts and collection failures.
 */
export async function buildDigest(store: StateStore, now: Date, days = DIGEST_DAYS): Promise<Digest> {
  const from = new Date(now.getTime() - days * 86_400_000);
  const [messages, audit, open] = await Promise.all([store.listSlackMessages({ since: from }), store.listAudit({ since: from }), store.listProposals({ status: ['proposed'] })]);
  const alerted = messages.filter((m) => m.finding && isPosted(m) && m.postedAt >= from).map((m) => m.finding!);
  const withWaste = alerted.filter((f) => f.state === 'violation' && f.waste && isMonthlyWaste(f.waste));
  const undoneIds = new Set(audit.filter((e) => e.event === 'undone').map((e) => e.proposalId));
  const executedIds = [...new Set(audit.filter((e) => e.event === 'executed' && e.proposalId && !undoneIds.has(e.proposalId)).map((e) => e.proposalId!))];
  const executed = (await Promise.all(executedIds.map((id) => store.getProposal(id)))).filter((p) => p !== undefined);
  const pending = open.filter((p) => p.expiresAt > now);
  const savings = (xs: readonly { monthlySaving?: Money }[]) => totalsByCurrency(xs.flatMap((x) => (x.monthlySaving ? [x.monthlySaving] : [])));
  return {
    from,
    to: now,
    found: { count: withWaste.length, perMonth: totalsByCurrency(withWaste.map((f) => f.waste!.monthly)) },
    realized: { count: executed.length, perMonth: savings(executed) },
    undone: undoneIds.size,
    pending: { count: pending.length, perMonth: savings(pending) },
    budgets: alerted.filter((f) => f.budget).length,
    failures: alerted.filter((f) => f.state === 'failure').length,
    top: [...pending]
      .sort((a, b) => (b.monthlySaving?.amount ?? 0) - (a.monthlySaving?.amount ?? 0))
      .slice(0, 5)
      .map((p) => ({ title: `${actionDefinition(p.kind).label} ${p.resource.name} (${p.resource.region})`, ...(p.monthlySaving ? { perMonth: p.monthlySaving } : {}), status: 'waiting for approval' })),
  };
}

/** Start of the ISO week (Monday 00:00 UTC) containing `at`: one digest per week. */
export function weekStart(at: Date): Date {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

/**
 * Posts the weekly digest to `channel`, once per ISO week: the week is claimed in the store before
 * posting, so a retried or repeated invocation posts nothing, and a post that failed is posted by
 * the next invocation.
 */
export async function postDigest(deps: { store: StateStore; api: SlackApi; clock: Clock; channel: string }): Promise<{ posted: boolean; digest: Digest; key: string }> {
  const now = deps.clock.now();
  const key = `digest:${weekStart(now).toISOString().slice(0, 10)}`;
  const digest = await buildDigest(deps.store, now);
  const known = await deps.store.getSlackMessage(key);
  if (known && known.state !== UNPOSTED) return { posted: false, digest, key };
  // Claimed before posting: a run that fails after the post (or a retried invocation) never posts the week's digest again.
  const claim = { key, channel: '', ts: '', state: `${POSTING}posted`, postedAt: now, updatedAt: now };
  if (!(await deps.store.putSlackMessage(claim, known?.state))) return { posted: false, digest, key };
  const msg = digestMessage(digest);
  let posted: { channel: string; ts: string };
  try {
    posted = await deps.api.postMessage({ channel: deps.channel, text: msg.text, blocks: msg.blocks });
  } catch (err) {
    // Nothing was posted: let the next invocation post it.
    await deps.store.putSlackMessage({ ...claim, state: UNPOSTED }, claim.state).catch(() => undefined);
    throw err;
  }
  await deps.store.putSlackMessage({ ...claim, channel: posted.channel, ts: posted.ts, state: 'posted' }, claim.state);
  return { posted: true, digest, key };
}
