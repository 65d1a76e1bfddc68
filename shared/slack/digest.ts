import type { Clock } from '../clock.js';
import type { Scope } from '../domain/resource.js';
import type { Chart } from '../report/charts.js';
import { digestCharts, type ForecastNote } from '../report/digest-charts.js';
import { buildDigestModel, weekStart, type DigestModel } from '../report/digest.js';
import type { StateStore } from '../store/port.js';
import type { SlackApi } from './api.js';
import type { SlackMessage } from './block-kit.js';
import { digestMessage, type UploadedChart } from './digest-blocks.js';

export { weekStart } from '../report/digest.js';

/** Dedup key of a week's digest: one per ISO week (Monday, UTC). */
export function digestKey(now: Date): string {
  return `digest:${weekStart(now).toISOString().slice(0, 10)}`;
}

/** The digest of the week ending at `now`, rendered: its figures, charts and message (with no uploaded images). */
export async function renderDigest(store: StateStore, scopes: readonly Scope[], now: Date, fontFile?: string): Promise<{ model: DigestModel; charts: Chart[]; notes: ForecastNote[]; message: SlackMessage }> {
  const model = await buildDigestModel(store, scopes, now);
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
 * is claimed (conditional write) before anything is sent: a run that fails after posting leaves
 * the claim behind, so no later run posts the week again. A run that fails before posting (a chart
 * or an upload failing) releases it, so the next run tries again.
 */
export async function postDigest(deps: { store: StateStore; api: SlackApi; clock: Clock; channel: string; scopes: readonly Scope[]; fontFile?: string }): Promise<PostDigestResult> {
  const { store, api } = deps;
  const now = deps.clock.now();
  const key = digestKey(now);
  const claim = { key, channel: deps.channel, ts: '', state: 'claimed', postedAt: now, updatedAt: now };
  const won = (await store.putSlackMessage(claim, undefined)) || (await store.putSlackMessage(claim, 'failed'));
  if (!won) return { posted: false, key, reason: `already posted or being posted (${key})` };
  let model: DigestModel;
  let charts: Chart[];
  let msg: SlackMessage;
  try {
    const rendered = await renderDigest(store, deps.scopes, now, deps.fontFile);
    model = rendered.model;
    charts = rendered.charts;
    const uploaded: UploadedChart[] = [];
    for (const c of charts) uploaded.push({ fileId: (await api.uploadFile({ filename: c.name, bytes: c.png, title: c.title, altText: c.altText })).id, title: c.title, altText: c.altText });
    msg = digestMessage(model, uploaded);
  } catch (err) {
    // Nothing was posted: let the next run try the week again.
    await store.putSlackMessage({ ...claim, state: 'failed', updatedAt: deps.clock.now() }, 'claimed').catch(() => undefined);
    throw err;
  }
  // From here on the claim is never released: a post that failed on the way back may still have landed.
  const posted = await api.postMessage({ channel: deps.channel, text: msg.text, blocks: msg.blocks });
  await store.putSlackMessage({ ...claim, channel: posted.channel, ts: posted.ts, state: 'posted', updatedAt: deps.clock.now() }, 'claimed');
  return { posted: true, key, model, charts };
}
