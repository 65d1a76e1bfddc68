import { createHash } from 'node:crypto';
import * as z from '../util/check.js';
import { systemClock, type Clock } from '../clock.js';
import type { ActionStatus, ProposedAction } from '../domain/action.js';
import type { Decision, Verdict } from '../domain/decision.js';
import { actionDefinition } from '../actions/index.js';
import { AlreadyDecidedError, ConditionFailedError } from '../errors.js';
import type { ExecutionJob, ExecutionQueue } from '../queue/port.js';
import type { StateStore } from '../store/port.js';
import { ACTION_IDS, isActionId, SNOOZE_HOURS, type ActionId } from './action-ids.js';
import { ApproverLookupError, type ApproverCheck } from './approvers.js';
import { REPLIES } from './blocks.js';
import { headerOf, MAX_REQUEST_AGE_SECONDS, SlackRequestError, verifySlackRequest } from './verify.js';

/** A `block_actions` interaction payload (a button click), the fields costwatch reads; others are kept but ignored. */
export const BlockActionsPayloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: z.string().min(1).max(255), username: z.string().optional(), name: z.string().optional(), team_id: z.string().optional() }),
  container: z.looseObject({ type: z.string(), message_ts: z.string().optional(), channel_id: z.string().optional(), is_ephemeral: z.boolean().optional() }).optional(),
  channel: z.looseObject({ id: z.string().min(1), name: z.string().optional() }).nullish(),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string().min(1).max(255),
        block_id: z.string().max(255).optional(),
        value: z.string().max(2000).optional(),
        type: z.string(),
        action_ts: z.string().optional(),
      }),
    )
    .min(1)
    .max(25),
});

/** A parsed button click. */
export type BlockActionsPayload = z.infer<typeof BlockActionsPayloadSchema>;

/** What the interaction endpoint answered, and why (for logs and tests). */
export interface InteractionOutcome {
  /** HTTP status: 200 for anything Slack sent (even a refusal, which the clicker is told about), 4xx for requests that are not. */
  readonly status: 200 | 400 | 401 | 409;
  /**
   * - `accepted`: a decision was recorded (or an undo requested) and work enqueued;
   * - `refused`: a genuine click that changes nothing (not an approver, already decided, expired), answered ephemerally;
   * - `ignored`: nothing to do (the console link button);
   * - `rejected`: not a valid request from Slack.
   */
  readonly result: 'accepted' | 'refused' | 'ignored' | 'rejected';
  readonly message: string;
}

/** What the interaction use-case needs; all injected. */
export interface InteractionDeps {
  readonly store: StateStore;
  readonly queue: ExecutionQueue;
  readonly approvers: ApproverCheck;
  /** Domain time: proposal expiry, decision and snooze times (the world's clock in the sandbox). */
  readonly clock: Clock;
}

/** The HTTP layer's extra needs: the signing secret and the wall clock Slack's timestamps are compared with. */
export interface InteractionRequestDeps extends InteractionDeps {
  readonly signingSecret: string;
  /** Defaults to the machine's clock. */
  readonly requestClock?: Clock;
}

const VERDICTS: Readonly<Partial<Record<ActionId, Verdict>>> = {
  [ACTION_IDS.approve]: 'approve',
  [ACTION_IDS.snooze]: 'snooze',
  [ACTION_IDS.exempt]: 'exempt',
  // A guard's Approve keeps the resource: the stop it proposed is declined.
  [ACTION_IDS.keep]: 'reject',
};

/** Largest body accepted; Slack's interaction payloads are a few kilobytes, its own limit is far below this. */
export const MAX_INTERACTION_BODY_BYTES = 256 * 1024;

const rejected = (status: 400 | 401 | 409, message: string): InteractionOutcome => ({ status, result: 'rejected', message });

/**
 * The interactivity endpoint: verifies Slack's signature and timestamp, refuses a replay of a
 * request already received, parses the form body, then handles the click. Never throws for bad
 * input: every refusal is an outcome with a status and a reason.
 */
export async function handleInteractionRequest(req: { readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly rawBody: string }, deps: InteractionRequestDeps): Promise<InteractionOutcome> {
  if (Buffer.byteLength(req.rawBody, 'utf8') > MAX_INTERACTION_BODY_BYTES) return rejected(400, `body larger than ${MAX_INTERACTION_BODY_BYTES} bytes`);
  const wallNow = (deps.requestClock ?? systemClock).now();
  try {
    verifySlackRequest({ signingSecret: deps.signingSecret, headers: req.headers, rawBody: req.rawBody, now: wallNow });
  } catch (err) {
    if (err instanceof SlackRequestError) return rejected(401, err.message);
    throw err;
  }
  const payload = parseInteractionBody(req.rawBody);
  if (typeof payload === 'string') return rejected(400, payload);
  // A valid signature proves the request came from Slack, not that it came once: within the
  // five-minute window a captured request could be sent again. Each signature is accepted once.
  const signature = headerOf(req.headers, 'x-slack-signature') ?? '';
  const replayKey = `slack-request:${createHash('sha256').update(signature).digest('hex')}`;
  const first = await deps.store.markAlerted(replayKey, wallNow, new Date(wallNow.getTime() + (MAX_REQUEST_AGE_SECONDS + 60) * 1000));
  if (!first) return rejected(409, 'replayed request: this signed request was already received; nothing was changed');
  return handleBlockActions(payload, deps);
}

/** Parses `payload=<json>` from a form-encoded body; returns the problem as a string when it is not a block_actions payload. */
export function parseInteractionBody(rawBody: string): BlockActionsPayload | string {
  const form = new URLSearchParams(rawBody);
  const json = form.get('payload');
  if (json === null) return 'the body has no payload field: not a Slack interaction';
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return 'the payload field is not JSON';
  }
  const type = (raw as { type?: unknown } | null)?.type;
  if (type !== 'block_actions') return `unsupported interaction type ${JSON.stringify(type)}; costwatch only handles button clicks (block_actions)`;
  const parsed = BlockActionsPayloadSchema.safeParse(raw);
  if (!parsed.success) return `malformed block_actions payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  return parsed.data;
}

/**
 * Handles a button click (from the HTTP endpoint or Socket Mode): authorizes, records the
 * decision exactly once, enqueues the work and returns at once. Everything that talks to Slack or
 * the cloud happens in the executor, so the acknowledgement never waits on them.
 */
export async function handleBlockActions(payload: BlockActionsPayload, deps: InteractionDeps): Promise<InteractionOutcome> {
  const unknown = payload.actions.find((a) => !isActionId(a.action_id));
  if (unknown) return rejected(400, `unknown action_id ${JSON.stringify(unknown.action_id.slice(0, 80))}; nothing was changed`);
  const outcomes: InteractionOutcome[] = [];
  for (const action of payload.actions) outcomes.push(await handleAction(action.action_id as ActionId, action.value, payload, deps));
  const outcome = outcomes.find((o) => o.result === 'accepted') ?? outcomes.find((o) => o.result === 'refused') ?? outcomes[0]!;
  // A click in the App Home: publish it again, so the person sees their click's effect there.
  if (isHomeClick(payload) && outcome.result === 'accepted') {
    await deps.queue.enqueue({ type: 'home', user: payload.user.id, notice: HOME_NOTICE, requestedAt: deps.clock.now().toISOString() });
  }
  return outcome;
}

/** What the App Home says after an accepted click. */
export const HOME_NOTICE = 'Done. The alert in the channel shows what happens next.';

/** Whether a click came from a view (the App Home) rather than a message. */
function isHomeClick(payload: BlockActionsPayload): boolean {
  return payload.container?.type === 'view';
}

interface Clicker {
  readonly user: string;
  readonly channel?: string;
  readonly ts?: string;
}

async function handleAction(actionId: ActionId, value: string | undefined, payload: BlockActionsPayload, deps: InteractionDeps): Promise<InteractionOutcome> {
  if (actionId === ACTION_IDS.openConsole) return { status: 200, result: 'ignored', message: 'console link opened; nothing to do' };
  if (!value) return rejected(400, `${actionId} without a ${actionId === ACTION_IDS.liftSnooze || actionId === ACTION_IDS.liftExemption ? 'resource' : 'proposal'} id in its value; nothing was changed`);
  const channel = payload.container?.channel_id ?? payload.channel?.id;
  const clicker: Clicker = { user: payload.user.id, ...(channel ? { channel } : {}), ...(payload.container?.message_ts ? { ts: payload.container.message_ts } : {}) };
  const refuse = async (text: string, reason: string, also: ExecutionJob[] = []): Promise<InteractionOutcome> => {
    for (const job of also) await deps.queue.enqueue(job);
    const requestedAt = deps.clock.now().toISOString();
    // In a channel the refusal is an ephemeral reply; in the App Home it is a notice at its top.
    if (isHomeClick(payload)) await deps.queue.enqueue({ type: 'home', user: clicker.user, notice: text, requestedAt });
    else if (clicker.channel) await deps.queue.enqueue({ type: 'reply', channel: clicker.channel, user: clicker.user, text, requestedAt });
    return { status: 200, result: 'refused', message: reason };
  };
  if (actionId === ACTION_IDS.liftSnooze || actionId === ACTION_IDS.liftExemption) return lift(actionId, value, clicker, deps, refuse);
  const p = await deps.store.getProposal(value);
  if (!p) return refuse(REPLIES.unknownProposal(), `no proposal ${value}`);
  if (actionId === ACTION_IDS.undo) return requestUndo(p, clicker, deps, refuse);

  const verdict = VERDICTS[actionId]!;
  if (p.status !== 'proposed') {
    const d = await deps.store.getDecision(p.id);
    return refuse(d ? REPLIES.alreadyDecided(d) : REPLIES.notOpen(p.status), `proposal is ${p.status}${d ? ` (${d.verdict} by ${d.by})` : ''}`);
  }
  const now = deps.clock.now();
  if (p.expiresAt <= now) {
    return refuse(REPLIES.expired(p.expiresAt), `proposal expired at ${p.expiresAt.toISOString()}`, [{ type: 'refresh', proposalId: p.id, requestedAt: now.toISOString() }]);
  }
  if (verdict !== 'snooze') {
    const denied = await authorize(clicker.user, deps);
    if (denied) return refuse(denied.text, denied.reason);
  }
  const decision: Decision = { proposalId: p.id, verdict, by: clicker.user, at: now, via: 'slack' };
  try {
    await deps.store.decide(decision);
  } catch (err) {
    if (!(err instanceof AlreadyDecidedError)) throw err;
    // The first decision may belong to a click whose handler stopped half-way: finish it (idempotent).
    const first = await deps.store.getDecision(p.id);
    if (first) await finishDecision(p, first, deps, clicker);
    return refuse(REPLIES.alreadyDecided(err.existing), `already ${err.existing.verdict} by ${err.existing.by}`);
  }
  await finishDecision(p, decision, deps, clicker);
  return { status: 200, result: 'accepted', message: `${verdict} by ${clicker.user} recorded for ${p.id}` };
}

async function authorize(user: string, deps: InteractionDeps): Promise<{ text: string; reason: string } | undefined> {
  try {
    if (await deps.approvers.isApprover(user)) return undefined;
    return { text: REPLIES.notApprover(deps.approvers.list), reason: `${user} is not an approver` };
  } catch (err) {
    if (err instanceof ApproverLookupError) return { text: REPLIES.membershipUnknown(), reason: err.message };
    throw err;
  }
}

/**
 * Applies a recorded decision: the snooze or exemption first (so the planner honours it even if
 * what follows fails), then the proposal's conditional move out of `proposed`. Only the caller whose
 * move succeeds audits and enqueues, so a decision yields its work exactly once however many
 * handlers finish it.
 */
async function finishDecision(p: ProposedAction, d: Decision, deps: InteractionDeps, clicker: Clicker): Promise<void> {
  const { store, queue } = deps;
  if (d.verdict === 'snooze') await store.putSnooze({ resourceId: p.resource.id, by: d.by, until: new Date(d.at.getTime() + SNOOZE_HOURS * 3600_000) });
  if (d.verdict === 'exempt') await store.putExemption({ resourceId: p.resource.id, by: d.by, reason: `exempted in Slack by ${d.by}`, createdAt: d.at });
  const to: ActionStatus = d.verdict === 'approve' ? 'approved' : 'rejected';
  try {
    await store.transitionProposal(p.id, ['proposed'], to, { at: deps.clock.now() });
  } catch (err) {
    if (err instanceof ConditionFailedError) return;
    throw err;
  }
  const event = d.verdict === 'approve' ? 'decided' : d.verdict === 'snooze' ? 'snoozed' : d.verdict === 'exempt' ? 'exempted' : 'decided';
  await store.appendAudit({ at: d.at, actor: d.by, event, proposalId: p.id, resourceId: p.resource.id, detail: d.verdict === 'reject' && isGuard(p.kind) ? `kept (guard approved) via ${d.via}` : `${d.verdict} via ${d.via}` });
  const requestedAt = deps.clock.now().toISOString();
  const replyTo = clicker.channel ? { replyTo: { channel: clicker.channel, user: clicker.user, ...(clicker.ts ? { ts: clicker.ts } : {}) } } : {};
  await queue.enqueue(d.verdict === 'approve' ? { type: 'execute', proposalId: p.id, actor: d.by, requestedAt, ...replyTo } : { type: 'refresh', proposalId: p.id, requestedAt });
}

function isGuard(kind: string): boolean {
  try {
    return actionDefinition(kind).guard === true;
  } catch {
    return false;
  }
}

/**
 * Lifts a snooze (its owner or an approver) or an exemption added from chat (an approver). The
 * delete is conditional on the item being there, so of two clicks one lifts and the other is told
 * it was already lifted.
 */
async function lift(
  actionId: ActionId,
  resourceId: string,
  clicker: Clicker,
  deps: InteractionDeps,
  refuse: (text: string, reason: string) => Promise<InteractionOutcome>,
): Promise<InteractionOutcome> {
  const now = deps.clock.now();
  const snooze = actionId === ACTION_IDS.liftSnooze;
  const what = snooze ? 'snooze' : 'exemption';
  const current = snooze ? (await deps.store.activeSnoozes(now)).find((x) => x.resourceId === resourceId) : (await deps.store.activeExemptions(now)).find((x) => x.resourceId === resourceId);
  if (!current) return refuse(`That ${what} was already lifted (or has run out). Nothing was changed.`, `no active ${what} on ${resourceId}`);
  if (!snooze || current.by !== clicker.user) {
    const denied = await authorize(clicker.user, deps);
    if (denied) return refuse(denied.text, denied.reason);
  }
  const removed = snooze ? await deps.store.deleteSnooze(resourceId) : await deps.store.deleteExemption(resourceId);
  if (!removed) return refuse(`That ${what} was already lifted. Nothing was changed.`, `${what} on ${resourceId} lifted by someone else first`);
  await deps.store.appendAudit({ at: now, actor: clicker.user, event: 'lifted', resourceId, detail: `${what} lifted via slack (was set by ${current.by})` });
  return { status: 200, result: 'accepted', message: `${what} on ${resourceId} lifted by ${clicker.user}` };
}

/**
 * Undo is not a decision: the proposal was decided when it was approved. The executor's
 * conditional move `executed → undoing` makes it happen once however many times it is requested.
 */
async function requestUndo(
  p: ProposedAction,
  clicker: Clicker,
  deps: InteractionDeps,
  refuse: (text: string, reason: string) => Promise<InteractionOutcome>,
): Promise<InteractionOutcome> {
  const denied = await authorize(clicker.user, deps);
  if (denied) return refuse(denied.text, denied.reason);
  if (p.status !== 'executed') return refuse(REPLIES.cannotUndo(`it is ${p.status}`), `proposal is ${p.status}, not executed`);
  const def = actionDefinition(p.kind);
  if (!p.reversible || !p.undoData) return refuse(REPLIES.cannotUndo(def.undo), 'not reversible or no undo data');
  await deps.queue.enqueue({
    type: 'undo',
    proposalId: p.id,
    actor: clicker.user,
    requestedAt: deps.clock.now().toISOString(),
    ...(clicker.channel ? { replyTo: { channel: clicker.channel, user: clicker.user, ...(clicker.ts ? { ts: clicker.ts } : {}) } } : {}),
  });
  return { status: 200, result: 'accepted', message: `undo of ${p.id} requested by ${clicker.user}` };
}
