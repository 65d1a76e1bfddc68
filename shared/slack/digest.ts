import type { Clock } from '../clock.js';
import type { Scope } from '../domain/resource.js';
import type { Chart } from '../report/charts.js';
import { digestCharts, type ForecastNote } from '../report/digest-charts.js';
import { buildDigestModel, weekStart, type DigestModel } from '../report/digest.js';
import type { StateStore } from '../store/port.js';
import { SLACK_ERROR_CODE, SlackApiError, type SlackApi } from './api.js';
import type { SlackMessage } from './block-kit.js';
import { digestMessage, type UploadedChart } from './digest-blocks.js';
import { POSTING, UNPOSTED } from './messenger.js';

export { weekStart } from '../report/digest.js';

/** Dedup key of a week's digest: one per ISO week (Monday, UTC). */
export function digestKey(now: Date): string {
  return `digest:${weekStart(now).toISOString().slice(0, 10)}`;
}

/** The digest of the week ending at `now`, rendered: its figures, charts and message (with no uploaded images). */
export async function renderDigest(
  store: StateStore,
  scopes: readonly Scope[],
  now: Date,
  fontFile?: string,
  opts: { aiServices?: readonly string[] } = {},
): Promise<{ model: DigestModel; charts: Chart[]; notes: ForecastNote[]; message: SlackMessage }> {
  const model = await buildDigestModel(store, scopes, now, opts);
  const { charts, notes } = await digestCharts(model, fontFile);
  return { model, charts, notes, message: digestMessage(model) };
}

/** What one attempt to post the week's digest did. */
export interface PostDigestResult {
  readonly posted: boolean;
  readonly key: string;
  /** Why nothing was posted. */
  readonly reason?: string;
  readonly model?: DigestModel;
  readonly charts?: readonly Chart[];
}

/**
 * Posts the week's digest to `channel`, once per ISO week however often it runs. The week's key
 * is claimed (conditional write, the same claim states as the alerts' messages) before anything is
 * rendered or sent, so two runs never both upload and post. A run that fails before the post (a
 * chart, an upload) or whose post Slack refused marks the claim unposted, and the next run posts
 * the week. A run that fails in a way that leaves the post unknown (the connection lost after
 * sending, the write after the post) keeps the claim: the week is never posted twice.
 */
export async function postDigest(deps: { store: StateStore; api: SlackApi; clock: Clock; channel: string; scopes: readonly Scope[]; fontFile?: string; aiServices?: readonly string[] }): Promise<PostDigestResult> {
  const { store, api } = deps;
  const now = deps.clock.now();
  const key = digestKey(now);
  const known = await store.getSlackMessage(key);
  if (known && known.state !== UNPOSTED) return { posted: false, key, reason: `already posted or being posted (${key})` };
  const claim = { key, channel: '', ts: '', state: `${POSTING}posted`, postedAt: now, updatedAt: now };
  if (!(await store.putSlackMessage(claim, known?.state))) return { posted: false, key, reason: `already posted or being posted (${key})` };
  const release = () => store.putSlackMessage({ ...claim, state: UNPOSTED, updatedAt: deps.clock.now() }, claim.state).catch(() => undefined);
  let model: DigestModel;
  let charts: Chart[];
  let msg: SlackMessage;
  try {
    const rendered = await renderDigest(store, deps.scopes, now, deps.fontFile, deps.aiServices ? { aiServices: deps.aiServices } : {});
    model = rendered.model;
    charts = rendered.charts;
    const uploaded: UploadedChart[] = [];
    for (const c of charts) uploaded.push({ fileId: (await api.uploadFile({ filename: c.name, bytes: c.png, title: c.title, altText: c.altText })).id, title: c.title, altText: c.altText });
    msg = digestMessage(model, uploaded);
  } catch (err) {
    // Nothing was posted: let the next run try the week again.
    await release();
    throw err;
  }
  let posted: { channel: string; ts: string };
  try {
    posted = await api.postMessage({ channel: deps.channel, text: msg.text, blocks: msg.blocks });
  } catch (err) {
    // Slack answered with an error: nothing was posted. Anything else may have landed; keep the claim.
    if (refusedBySlack(err)) await release();
    throw err;
  }
  await store.putSlackMessage({ ...claim, channel: posted.channel, ts: posted.ts, state: 'posted', updatedAt: deps.clock.now() }, claim.state);
  return { posted: true, key, model, charts };
}

/**
 * Whether a failed call was answered by Slack without doing anything: an API error, a rate limit
 * (refused at once, or still limited when the client's retries ran out) or an HTTP error status.
 * A transport failure (connection reset, timeout) may come after Slack acted, so it is not.
 */
function refusedBySlack(err: unknown): boolean {
  const cause = err instanceof SlackApiError ? (err.cause as { code?: string; original?: { message?: string } } | undefined) : undefined;
  const ErrorCode = SLACK_ERROR_CODE;
  switch (cause?.code) {
    case ErrorCode.PlatformError:
    case ErrorCode.RateLimitedError:
    case ErrorCode.HTTPError:
      return true;
    case ErrorCode.RequestError:
      return /^A rate limit was exceeded/.test(cause.original?.message ?? '');
    default:
      return false;
  }
}
