import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallSite, FaultDecision } from '../faults.js';
import { AZURE_BILLING_OPERATIONS, billingRoute, retailPrices } from './cost-management.js';
import { AZURE_ML_OPERATIONS, handleMachineLearning, type ArmContext } from './machine-learning.js';
import { handleMetricsBatch, MONITOR_OPERATIONS } from './monitor.js';
import type { AzureState } from './state.js';
import { handleStorage, isStoragePath } from './storage.js';
import { BLOB_OPERATIONS, STORAGE_OPERATIONS } from './storage-operations.js';

/*
 * The sandbox's Azure Resource Manager listener: routes ARM REST paths (case-insensitive, as ARM
 * is) to the Machine Learning and Monitor handlers, checks the bearer token and the subscription,
 * counts calls per `service.OperationId`, applies faults, and answers errors in ARM's shape
 * (`{ "error": { "code", "message" } }`, with `Retry-After` and `x-ms-ratelimit-*` on a 429).
 */

/** An ARM error answer. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** What the ARM listener needs from the server. */
export interface ArmEnv {
  readonly state: AzureState;
  count(key: string): void;
  decide(call: CallSite): FaultDecision;
  now(): number;
  /** Items per page of a list before a `nextLink` (ARM lists page; the sandbox pages small to exercise it). */
  readonly pageSize: number;
  /** The blob endpoint the storage accounts report (`primaryEndpoints.blob`). */
  blobEndpoint(account: string): string;
}

/** Operations per Azure service, for `calls()`. */
export const AZURE_OPERATIONS: Readonly<Record<'machinelearning' | 'monitor' | 'storage' | 'blob' | keyof typeof AZURE_BILLING_OPERATIONS, readonly string[]>> = {
  machinelearning: AZURE_ML_OPERATIONS,
  monitor: MONITOR_OPERATIONS,
  storage: STORAGE_OPERATIONS,
  blob: BLOB_OPERATIONS,
  ...AZURE_BILLING_OPERATIONS,
};

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Serves one request on the Azure listener. */
export async function handleArmRequest(req: IncomingMessage, res: ServerResponse, env: ArmEnv): Promise<void> {
  const url = new URL(req.url ?? '/', `https://${req.headers.host ?? 'localhost'}`);
  const base = `https://${req.headers.host ?? 'localhost'}`;
  try {
    // The Retail Prices API is public: no subscription, no credential.
    if (/^\/api\/retail\/prices\/?$/i.test(url.pathname)) {
      if (req.method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `The sandbox cloud does not serve ${req.method ?? ''} ${url.pathname}`);
      env.count('retailprices.Prices_Get');
      const decision = env.decide({ service: 'retailprices', operation: 'Prices_Get', accountId: '', region: '' });
      if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
      if (decision.error) throw faultError(decision.error, 'retailprices', 'Prices_Get', '');
      const out = retailPrices(url, base, env.state.costs.retailPrices, env.now());
      send(res, out.status, out.headers ?? {}, out.body);
      return;
    }
    const sub = /^\/subscriptions\/([^/]+)/i.exec(url.pathname)?.[1]?.toLowerCase();
    if (!sub) throw new ArmError(404, 'InvalidResourceType', `The sandbox cloud has nothing at ${req.method ?? ''} ${url.pathname}`);
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^Bearer \S+/.test(auth)) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    }
    const text = await readBody(req);
    let body: unknown = undefined;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.');
      }
    }
    const isMetrics = /\/metrics:getbatch$/i.test(url.pathname);
    const ctx: ArmContext = { state: env.state, subscription: sub, base, now: env.now(), pageSize: env.pageSize, url, method: req.method ?? 'GET', body };
    const isStorage = !isMetrics && isStoragePath(url.pathname);
    const billing = isMetrics || isStorage ? undefined : billingRoute(ctx, env.state.costs);
    const service = isMetrics ? 'monitor' : isStorage ? 'storage' : (billing?.service ?? 'machinelearning');
    const route: { operation: string; location?: string; run(): ArmResponse } = isMetrics
      ? { operation: 'Metrics_Batch', run: () => handleMetricsBatch(ctx) }
      : isStorage
        ? handleStorage(ctx, env.state.storage, (a) => env.blobEndpoint(a))
        : (billing ?? handleMachineLearning(ctx));
    env.count(`${service}.${route.operation}`);
    if (!env.state.hasSubscription(sub)) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    const decision = env.decide({ service, operation: route.operation, accountId: sub, region: route.location ?? '' });
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.error) throw faultError(decision.error, service, route.operation, sub);
    const out = route.run();
    send(res, out.status, out.headers ?? {}, out.body);
  } catch (err) {
    if (!(err instanceof ArmError)) throw err;
    send(res, err.status, err.headers, { error: { code: err.code, message: err.message } });
  }
}

/** What a handler answers. */
export interface ArmResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The permission an access-denied fault names, per service. */
const ACTION_OF: Readonly<Record<string, string>> = {
  monitor: 'Microsoft.Insights/metrics/read',
  costmanagement: 'Microsoft.CostManagement/query/action',
  consumption: 'Microsoft.Consumption/budgets/read',
};

function faultError(error: NonNullable<FaultDecision['error']>, service: string, operation: string, sub: string): ArmError {
  switch (error.kind) {
    case 'throttle': {
      const seconds = error.retryAfterSeconds ?? 1;
      const remaining: Record<string, string> = service === 'monitor' ? {} : { 'x-ms-ratelimit-remaining-subscription-reads': '0' };
      // Cost Management says how long to wait in its own headers only (per query-processing budget, scope and tenant); Consumption in one of its own.
      if (service === 'costmanagement') {
        return new ArmError(429, '429', 'Too many requests. Please retry.', {
          'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': String(seconds),
          'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after': String(Math.max(0, seconds - 1)),
          'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after': '0',
          'x-ms-ratelimit-microsoft.costmanagement-qpu-consumed': '12',
          'x-ms-ratelimit-microsoft.costmanagement-qpu-remaining': 'None',
        });
      }
      if (service === 'consumption') return new ArmError(429, 'TooManyRequests', 'Request is throttled.', { 'x-ms-ratelimit-microsoft.consumption-retry-after': String(seconds) });
      return new ArmError(429, 'TooManyRequests', `The request is being throttled as the limit has been reached for operation type - ${operation}. Please retry after ${seconds} seconds.`, {
        'retry-after': String(seconds),
        ...remaining,
      });
    }
    case 'access-denied':
      return new ArmError(
        403,
        'AuthorizationFailed',
        `The client 'costwatch-sandbox' with object id '00000000-0000-0000-0000-000000000000' does not have authorization to perform action '${ACTION_OF[service] ?? (service === 'storage' ? `Microsoft.Storage/${operation}` : `Microsoft.MachineLearningServices/${operation}`)}' over scope '/subscriptions/${sub}' or the scope is invalid.`,
      );
    case 'server-error':
      return error.status === 503 ? new ArmError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.') : new ArmError(500, 'InternalServerError', 'An internal server error occurred.');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ArmError(413, 'RequestEntityTooLarge', 'The request content is too large.');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    ...headers,
    'x-ms-request-id': randomUUID(),
    'x-ms-correlation-request-id': randomUUID(),
    date: new Date().toUTCString(),
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
