import { createHmac, timingSafeEqual } from 'node:crypto';
import { CostwatchError } from '../errors.js';

/** Requests signed longer ago than this (or this far in the future) are refused, so a captured request cannot be replayed later. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

/** Why a request claiming to come from Slack was refused. */
export type SlackRequestProblem = 'missing-headers' | 'bad-timestamp' | 'stale' | 'bad-signature';

/** A request that cannot be shown to come from Slack. */
export class SlackRequestError extends CostwatchError {
  constructor(
    readonly problem: SlackRequestProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` keyed with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** Reads a header whatever its case; a repeated header counts as missing (Slack sends each once). */
export function headerOf(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/**
 * Verifies that a request comes from Slack: both headers present, the timestamp within five
 * minutes of `now`, and the signature equal (compared in constant time) to the one computed over
 * the exact raw body. Throws SlackRequestError naming the problem.
 */
export function verifySlackRequest(input: {
  readonly signingSecret: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly rawBody: string;
  readonly now: Date;
}): void {
  const timestamp = headerOf(input.headers, 'x-slack-request-timestamp');
  const signature = headerOf(input.headers, 'x-slack-signature');
  if (!timestamp || !signature) {
    throw new SlackRequestError('missing-headers', 'missing X-Slack-Request-Timestamp or X-Slack-Signature header: not a request from Slack');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new SlackRequestError('bad-timestamp', `X-Slack-Request-Timestamp is not epoch seconds: ${JSON.stringify(timestamp.slice(0, 40))}`);
  const age = Math.floor(input.now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > MAX_REQUEST_AGE_SECONDS) {
    throw new SlackRequestError('stale', `request timestamp is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'}; at most ${MAX_REQUEST_AGE_SECONDS} s is accepted`);
  }
  const expected = Buffer.from(slackSignature(input.signingSecret, timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SlackRequestError('bad-signature', 'X-Slack-Signature does not match the request: wrong signing secret or a modified body');
  }
}
