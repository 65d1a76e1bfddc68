import * as z from '../util/check.js';
import { systemClock } from '../clock.js';
import type { ExecutionQueue } from '../queue/port.js';
import type { StateStore } from '../store/port.js';
import { MAX_INTERACTION_BODY_BYTES, type InteractionOutcome } from './interactions.js';
import { MAX_REQUEST_AGE_SECONDS, SlackRequestError, verifySlackRequest } from './verify.js';
import type { Clock } from '../clock.js';

/*
 * Slack's Events API, on the same Request URL as interactivity: the URL check when the app is
 * configured (`url_verification`), and `app_home_opened`, which queues a `home` job so the App Home
 * is published by the executor, not while Slack waits for the acknowledgement.
 */

/** The Events API envelopes costwatch reads; other fields are kept but ignored. */
const EnvelopeSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().min(1).max(500) }),
  z.looseObject({
    type: z.literal('event_callback'),
    event_id: z.string().min(1).max(255),
    event: z.looseObject({ type: z.string().min(1).max(255), user: z.string().max(255).optional(), tab: z.string().max(64).optional() }),
  }),
]);

/** An Events API answer: the outcome, and the body to send back (the challenge). */
export interface EventOutcome extends InteractionOutcome {
  readonly body?: string;
  readonly contentType?: string;
}

/** What the Events API endpoint needs. */
export interface EventRequestDeps {
  readonly store: StateStore;
  readonly queue: ExecutionQueue;
  readonly signingSecret: string;
  readonly clock: Clock;
  readonly requestClock?: Clock;
}

/** Whether a request to the Slack URL is an Events API call (JSON) rather than an interaction (form). */
export function isEventsApiRequest(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const ct = headers['content-type'] ?? headers['Content-Type'];
  return (Array.isArray(ct) ? ct[0] : ct)?.toLowerCase().startsWith('application/json') ?? false;
}

/**
 * Handles one Events API request: verifies the signature (the URL check is signed too), answers
 * the URL check with its challenge, queues the App Home of whoever opened it (each event once: Slack
 * retries events it thinks were not received), and acknowledges everything else unchanged.
 */
export async function handleEventRequest(req: { readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly rawBody: string }, deps: EventRequestDeps): Promise<EventOutcome> {
  if (Buffer.byteLength(req.rawBody, 'utf8') > MAX_INTERACTION_BODY_BYTES) return { status: 400, result: 'rejected', message: `body larger than ${MAX_INTERACTION_BODY_BYTES} bytes` };
  const wallNow = (deps.requestClock ?? systemClock).now();
  try {
    verifySlackRequest({ signingSecret: deps.signingSecret, headers: req.headers, rawBody: req.rawBody, now: wallNow });
  } catch (err) {
    if (err instanceof SlackRequestError) return { status: 401, result: 'rejected', message: err.message };
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(req.rawBody);
  } catch {
    return { status: 400, result: 'rejected', message: 'the body is not JSON' };
  }
  const parsed = EnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && type !== 'url_verification' && type !== 'event_callback') return { status: 200, result: 'ignored', message: `Events API ${type}: nothing to do` };
    return { status: 400, result: 'rejected', message: `malformed Events API request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const env = parsed.data;
  if (env.type === 'url_verification') return { status: 200, result: 'accepted', message: 'url_verification answered', body: JSON.stringify({ challenge: env.challenge }), contentType: 'application/json' };
  const e = env.event;
  if (e.type !== 'app_home_opened' || (e.tab ?? 'home') !== 'home' || !e.user) return { status: 200, result: 'ignored', message: `event ${e.type}${e.tab ? ` (${e.tab} tab)` : ''}: nothing to do` };
  const first = await deps.store.markAlerted(`slack-event:${env.event_id}`, wallNow, new Date(wallNow.getTime() + (MAX_REQUEST_AGE_SECONDS + 3600) * 1000));
  if (!first) return { status: 200, result: 'ignored', message: `event ${env.event_id} already received` };
  await deps.queue.enqueue({ type: 'home', user: e.user, requestedAt: deps.clock.now().toISOString() });
  return { status: 200, result: 'accepted', message: `App Home of ${e.user} queued` };
}
