import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultDecision, CallSite } from '../faults.js';
import type { AwsBillingState } from './billing-state.js';
import { BUDGETS_OPERATIONS } from './budgets.js';
import { COST_EXPLORER_OPERATIONS, type BillingCallContext } from './cost-explorer.js';
import { PRICING_OPERATIONS } from './pricing.js';
import { accountOfAccessKey, AwsApiError, readAuthorization, toWireJson } from './protocol.js';
import { handleS3, s3ErrorBody, s3Operation, S3_OPERATIONS, type S3State } from './s3.js';
import { ServiceError } from './service-error.js';

/*
 * The sandbox's billing services — Cost Explorer, AWS Budgets, the Price List API (AWS JSON 1.1)
 * — and S3 (REST-XML, path-style), each answering errors in its own dialect. Calls are counted and
 * faults applied exactly as for the other services.
 */

/** What the billing services need from the server. */
export interface BillingEnv {
  readonly billing: AwsBillingState;
  readonly s3: S3State;
  hasAccount(accountId: string): boolean;
  count(key: string): void;
  decide(call: CallSite): FaultDecision;
  now(): number;
}

type JsonService = 'ce' | 'budgets' | 'pricing';

/** `X-Amz-Target` prefixes of the JSON billing services. */
const TARGETS: Readonly<Record<string, JsonService>> = {
  AWSInsightsIndexService: 'ce',
  AWSBudgetServiceGateway: 'budgets',
  AWSPriceListService: 'pricing',
};

/** Operations of each billing service, for `calls()`. */
export const BILLING_OPERATIONS: Readonly<Record<JsonService | 's3', readonly string[]>> = {
  ce: Object.keys(COST_EXPLORER_OPERATIONS),
  budgets: Object.keys(BUDGETS_OPERATIONS),
  pricing: Object.keys(PRICING_OPERATIONS),
  s3: S3_OPERATIONS,
};

/** Service-specific error codes for the generic sandbox error kinds. */
const CODES: Readonly<Record<JsonService, { validation: string; throttle: string; internal: string }>> = {
  ce: { validation: 'ValidationException', throttle: 'LimitExceededException', internal: 'InternalFailure' },
  budgets: { validation: 'InvalidParameterException', throttle: 'ThrottlingException', internal: 'InternalErrorException' },
  pricing: { validation: 'InvalidParameterException', throttle: 'ThrottlingException', internal: 'InternalErrorException' },
};

/**
 * Serves the request if it is for a billing service or S3 and returns true; returns false,
 * leaving the request unread, for everything else.
 */
export async function handleBillingRequest(req: IncomingMessage, res: ServerResponse, env: BillingEnv): Promise<boolean> {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const service = TARGETS[target.slice(0, dot)];
    if (!service) return false;
    await json(service, target.slice(dot + 1), req, res, env);
    return true;
  }
  if (!req.url?.startsWith('/aws') || !/\/s3\/aws4_request/.test(req.headers.authorization ?? '')) return false;
  await s3(req, res, env);
  return true;
}

async function json(service: JsonService, operation: string, req: IncomingMessage, res: ServerResponse, env: BillingEnv): Promise<void> {
  env.count(`${service}.${operation}`);
  const codes = CODES[service];
  const reply = (status: number, code: string, message: string) =>
    send(res, status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }, JSON.stringify({ __type: code, message, Message: message }));
  try {
    const text = await readBody(req);
    let auth;
    try {
      auth = readAuthorization(req.headers.authorization);
    } catch (err) {
      const e = err as AwsApiError;
      return reply(e.kind === 'missing-auth' ? 403 : 400, e.kind === 'missing-auth' ? 'MissingAuthenticationTokenException' : 'IncompleteSignatureException', e.message);
    }
    const accountId = accountOfAccessKey(auth.accessKeyId);
    if (!accountId || !env.hasAccount(accountId)) return reply(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const ops: Readonly<Record<string, unknown>> = service === 'ce' ? COST_EXPLORER_OPERATIONS : service === 'budgets' ? BUDGETS_OPERATIONS : PRICING_OPERATIONS;
    if (!Object.hasOwn(ops, operation)) return reply(400, 'UnknownOperationException', `The sandbox cloud does not implement ${service}.${operation}.`);
    const decision = env.decide({ service, operation, accountId, region: auth.region });
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.error) {
      const e = decision.error;
      if (e.kind === 'throttle') return reply(400, codes.throttle, 'Rate exceeded');
      if (e.kind === 'access-denied') return reply(400, 'AccessDeniedException', `User: arn:aws:sts::${accountId}:assumed-role/costwatch/sandbox is not authorized to perform: ${service}:${operation}`);
      return e.status === 503 ? reply(503, 'ServiceUnavailable', 'Service Unavailable') : reply(500, codes.internal, 'We encountered an internal error. Please try again.');
    }
    let body: unknown;
    try {
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return reply(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reply(400, 'SerializationException', 'The request body must be a JSON object.');
    let output: object;
    if (service === 'pricing') {
      output = PRICING_OPERATIONS[operation as keyof typeof PRICING_OPERATIONS]({ billing: env.billing }, body);
    } else {
      const ctx: BillingCallContext = { account: env.billing.account(accountId), now: env.now() };
      const handler = (service === 'ce' ? COST_EXPLORER_OPERATIONS : BUDGETS_OPERATIONS) as Record<string, (c: BillingCallContext, b: unknown) => object>;
      output = handler[operation]!(ctx, body);
    }
    send(res, 200, { 'content-type': 'application/x-amz-json-1.1' }, toWireJson(output));
  } catch (err) {
    if (err instanceof ServiceError) return reply(err.status, err.code, err.message);
    if (err instanceof AwsApiError) return reply(400, err.kind === 'invalid-next-token' ? (service === 'ce' ? 'InvalidNextTokenException' : 'InvalidNextTokenException') : codes.validation, err.message);
    throw err;
  }
}

async function s3(req: IncomingMessage, res: ServerResponse, env: BillingEnv): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const path = url.pathname.replace(/^\/aws/, '') || '/';
  const method = req.method ?? 'GET';
  const operation = s3Operation(method, path, url.searchParams);
  env.count(`s3.${operation}`);
  const resource = path;
  const reply = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { 'content-type': 'application/xml', ...headers }, method === 'HEAD' ? '' : s3ErrorBody(code, message, resource));
  const text = await readBody(req);
  let auth;
  try {
    auth = readAuthorization(req.headers.authorization);
  } catch (err) {
    return reply(400, 'AuthorizationHeaderMalformed', (err as Error).message);
  }
  const accountId = accountOfAccessKey(auth.accessKeyId);
  if (!accountId || !env.hasAccount(accountId)) return reply(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  const decision = env.decide({ service: 's3', operation, accountId, region: auth.region });
  if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
  if (decision.error) {
    const e = decision.error;
    if (e.kind === 'throttle') return reply(503, 'SlowDown', 'Please reduce your request rate.');
    if (e.kind === 'access-denied') return reply(403, 'AccessDenied', 'Access Denied');
    return e.status === 503 ? reply(503, 'ServiceUnavailable', 'Service is unable to handle request.') : reply(500, 'InternalError', 'We encountered an internal error. Please try again.');
  }
  try {
    const out = handleS3(env.s3, { method, path, query: url.searchParams, headers: req.headers, body: text, accountId, region: auth.region });
    send(res, out.status, out.headers, out.body);
  } catch (err) {
    if (err instanceof ServiceError) return reply(err.status, err.code, err.message, (err as ServiceError & { headers?: Record<string, string> }).headers ?? {});
    throw err;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024 * 1024) throw new ServiceError('EntityTooLarge', 400, 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, {
    ...headers,
    'x-amzn-requestid': randomUUID(),
    'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
    date: new Date().toUTCString(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
