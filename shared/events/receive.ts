import type { JWTVerifyGetKey } from 'jose';
import { CostwatchError } from '../errors.js';
import { verifyEntraToken, verifyGooglePushToken, verifyUrlToken, WebhookAuthError, type EntraWebhookIdentity, type GooglePushIdentity } from './auth.js';
import { EventInFlightError, EventRefusedError, MAX_EVENT_BYTES, type CloudEvent, type EventRefusal, type EventSource, type ParseResult } from './event.js';
import { handleCloudEvent, type EventDeps, type EventOutcome } from './handle.js';
import { isObject, MAX_BASE64_CHARS } from './input.js';
import { detectSource, PARSERS } from './parse.js';
import { isSnsEnvelope, snsRecords } from './sns.js';

/** The logging the receivers need (Powertools' Logger fits). */
export interface EventLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** An HTTP request as a Lambda Function URL delivers it, reduced to what the webhooks read. */
export interface HttpRequest {
  readonly method: string;
  /** Header names in lower case (Function URLs lower-case them). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** The parts of a Lambda Function URL event (payload format 2.0) the webhooks read. */
export interface FunctionUrlEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
}

/** A Function URL event as the receivers read it: header names in lower case. */
export function httpRequestOf(event: FunctionUrlEvent): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    headers,
    query: event.queryStringParameters ?? {},
    ...(event.body !== undefined ? { body: event.body } : {}),
    isBase64Encoded: event.isBase64Encoded === true,
  };
}

/** The answer to an HTTP source: JSON with the outcome, or with the reason of a refusal. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What an HTTP webhook needs besides the event use-case. */
export interface WebhookDeps {
  readonly events: EventDeps;
  readonly log: EventLog;
}

function json(statusCode: number, body: unknown, extra: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) };
}

function outcomeBody(o: EventOutcome): Record<string, unknown> {
  return { ok: true, summary: o.summary, published: o.published, duplicates: o.duplicates, ignored: o.ignored, proposals: o.proposals.map((p) => p.id), related: o.related };
}

/** Reads the body of a Function URL request, refusing before decoding anything oversized. */
function bodyOf(req: HttpRequest): { text: string } | { refused: HttpResponse } {
  const raw = req.body ?? '';
  if (raw.length > (req.isBase64Encoded ? MAX_BASE64_CHARS : MAX_EVENT_BYTES)) {
    return { refused: json(413, { ok: false, error: `body over the ${MAX_EVENT_BYTES}-byte limit` }) };
  }
  const text = req.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return { text };
}

/** Runs the event use-case for an HTTP source and maps its outcome to a status. */
async function processHttp(source: EventSource, parsed: ParseResult<CloudEvent>, deps: WebhookDeps): Promise<HttpResponse> {
  if (!parsed.ok) {
    deps.log.warn('event refused', { source, status: 400, reason: parsed.refusal.reason });
    return json(400, { ok: false, error: parsed.refusal.reason });
  }
  let outcome: EventOutcome;
  try {
    outcome = await handleCloudEvent(parsed.event, deps.events);
  } catch (err) {
    // The sender retries a 5xx: nothing is lost while the cause (store, Slack, cloud API) recovers.
    deps.log.error('event processing failed', { source, error: describe(err) });
    return json(500, { ok: false, error: `processing failed: ${describe(err)}` });
  }
  logOutcome(deps.log, source, outcome);
  if (outcome.inFlight.length > 0) {
    return json(503, { ok: false, error: new EventInFlightError(outcome.inFlight).message }, { 'retry-after': '60' });
  }
  return json(200, outcomeBody(outcome));
}

/**
 * Google Cloud budget notification pushed by Pub/Sub: POST only, the push OIDC token verified
 * (signature, issuer, audience, service account), then parsed and handled. 4xx with the reason
 * for anything refused; 5xx when processing failed, so Pub/Sub retries.
 */
export async function receiveGcpPush(req: HttpRequest, deps: WebhookDeps & { readonly identity: GooglePushIdentity; readonly jwks: JWTVerifyGetKey }): Promise<HttpResponse> {
  const source = 'gcp-budget';
  if (req.method.toUpperCase() !== 'POST') return refuseHttp(405, `method ${req.method} not allowed: Pub/Sub pushes with POST`, source, deps.log, { allow: 'POST' });
  const body = bodyOf(req);
  if ('refused' in body) return logged(body.refused, source, deps.log);
  try {
    await verifyGooglePushToken(req.headers['authorization'], deps.identity, deps.jwks);
  } catch (err) {
    if (err instanceof WebhookAuthError) return refuseHttp(401, err.reason, source, deps.log);
    deps.log.error('token verification failed', { source, error: describe(err) });
    // Our own misconfiguration is a 500; Google's keys being unreachable is worth a retry.
    if (err instanceof CostwatchError) return json(500, { ok: false, error: describe(err) });
    return json(503, { ok: false, error: `cannot verify the token now: ${describe(err)}` }, { 'retry-after': '60' });
  }
  return processHttp(source, PARSERS[source](body.text), deps);
}

/**
 * Azure budget alert from an action-group webhook: POST only, the `?token=` in the URL compared
 * in constant time with the configured one and, when Entra ID is configured (`entra`), the
 * secure webhook's bearer token verified (signature, issuer, audience, calling app), then parsed
 * and handled.
 */
export async function receiveAzureAlert(
  req: HttpRequest,
  deps: WebhookDeps & { readonly token: string; readonly entra?: { readonly identity: EntraWebhookIdentity; readonly jwks: JWTVerifyGetKey } },
): Promise<HttpResponse> {
  const source = 'azure-budget';
  if (req.method.toUpperCase() !== 'POST') return refuseHttp(405, `method ${req.method} not allowed: action groups call webhooks with POST`, source, deps.log, { allow: 'POST' });
  try {
    verifyUrlToken(req.query['token'], deps.token);
  } catch (err) {
    if (err instanceof WebhookAuthError) return refuseHttp(401, err.reason, source, deps.log);
    deps.log.error('token check failed', { source, error: describe(err) });
    return json(500, { ok: false, error: describe(err) });
  }
  if (deps.entra) {
    try {
      await verifyEntraToken(req.headers['authorization'], deps.entra.identity, deps.entra.jwks);
    } catch (err) {
      if (err instanceof WebhookAuthError) return refuseHttp(401, err.reason, source, deps.log);
      deps.log.error('Entra ID token verification failed', { source, error: describe(err) });
      if (err instanceof CostwatchError) return json(500, { ok: false, error: describe(err) });
      // The tenant's keys unreachable: the action group retries a 503.
      return json(503, { ok: false, error: `cannot verify the token now: ${describe(err)}` }, { 'retry-after': '60' });
    }
  }
  const body = bodyOf(req);
  if ('refused' in body) return logged(body.refused, source, deps.log);
  return processHttp(source, PARSERS[source](body.text), deps);
}

/**
 * AWS Budgets and Cost Anomaly Detection messages delivered by SNS to Lambda. Each record is
 * told apart by its message (budget text or anomaly JSON) and handled; refused records and
 * alerts in flight elsewhere make the invocation fail with the reason after the others are
 * handled, so Lambda retries it and then sends it to the dead-letter queue. Retried records
 * that were already alerted are recognised as duplicates.
 */
export async function receiveSns(event: unknown, deps: WebhookDeps): Promise<EventOutcome[]> {
  if (!isSnsEnvelope(event)) throw refusedError({ reason: 'not an SNS event: expected {"Records": [{"Sns": {...}}]}' }, deps.log);
  const records = snsRecords(event, 'aws-budgets');
  if (!records.ok) throw refusedError({ reason: records.refusal.reason }, deps.log);
  const outcomes: EventOutcome[] = [];
  const refusals: EventRefusal[] = [];
  for (const msg of records.event) {
    const single = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: msg.message, ...(msg.messageId ? { MessageId: msg.messageId } : {}), ...(msg.timestamp ? { Timestamp: msg.timestamp.toISOString() } : {}) } }] };
    const source = detectSource(single);
    if (source !== 'aws-budgets' && source !== 'aws-anomaly') {
      refusals.push({ reason: `SNS message${msg.messageId ? ` ${msg.messageId}` : ''} is neither an AWS Budgets notification nor a Cost Anomaly Detection alert` });
      continue;
    }
    const parsed = PARSERS[source](single);
    if (!parsed.ok) {
      refusals.push(parsed.refusal);
      continue;
    }
    const outcome = await handleCloudEvent(parsed.event, deps.events);
    logOutcome(deps.log, source, outcome);
    outcomes.push(outcome);
  }
  if (refusals.length > 0) {
    throw refusedError(refusals.length === 1 ? refusals[0]! : { reason: refusals.map((r) => `${r.source ?? 'sns'}: ${r.reason}`).join(' | ') }, deps.log);
  }
  const busy = outcomes.flatMap((o) => o.inFlight);
  if (busy.length > 0) throw new EventInFlightError(busy);
  return outcomes;
}

/**
 * An EventBridge event: SageMaker state changes (`aws.sagemaker`) and Cost Anomaly Detection
 * `Anomaly Detected` (`aws.ce`). A refused event fails the invocation with the reason (the
 * asynchronous invocation then lands in the dead-letter queue).
 */
export async function receiveEventBridge(event: unknown, deps: WebhookDeps): Promise<EventOutcome> {
  const src = isObject(event) ? event['source'] : undefined;
  const source: EventSource | undefined = src === 'aws.sagemaker' ? 'sagemaker' : src === 'aws.ce' ? 'aws-anomaly' : undefined;
  if (!source) {
    throw refusedError({ reason: `not a SageMaker or Cost Anomaly Detection event (source ${typeof src === 'string' ? JSON.stringify(src.slice(0, 60)) : 'missing'})` }, deps.log);
  }
  const parsed = PARSERS[source](event);
  if (!parsed.ok) throw refusedError(parsed.refusal, deps.log);
  const outcome = await handleCloudEvent(parsed.event, deps.events);
  logOutcome(deps.log, source, outcome);
  if (outcome.inFlight.length > 0) throw new EventInFlightError(outcome.inFlight);
  return outcome;
}

function refusedError(refusal: EventRefusal, log: EventLog): EventRefusedError {
  log.warn('event refused', { ...(refusal.source ? { source: refusal.source } : {}), reason: refusal.reason });
  return new EventRefusedError(refusal);
}

function refuseHttp(status: number, reason: string, source: EventSource, log: EventLog, headers: Record<string, string> = {}): HttpResponse {
  log.warn('event refused', { source, status, reason });
  return json(status, { ok: false, error: reason }, headers);
}

function logged(res: HttpResponse, source: EventSource, log: EventLog): HttpResponse {
  log.warn('event refused', { source, status: res.statusCode, reason: (JSON.parse(res.body) as { error?: string }).error });
  return res;
}

function logOutcome(log: EventLog, source: EventSource, o: EventOutcome): void {
  log.info('event handled', { source, summary: o.summary, published: o.published, duplicates: o.duplicates, inFlight: o.inFlight, ignored: o.ignored });
}

function describe(err: unknown): string {
  if (err instanceof CostwatchError) return err.message;
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
