import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultDecision, CallSite } from '../faults.js';
import { AIPLATFORM_ROUTES } from './aiplatform.js';
import { BIGQUERY_ROUTES } from './bigquery.js';
import { BUDGETS_ROUTES } from './budgets.js';
import { CLOUDBILLING_ROUTES } from './cloudbilling.js';
import type { GcpRoute } from './context.js';
import { MONITORING_ROUTES } from './monitoring.js';
import { NOTEBOOKS_ROUTES } from './notebooks.js';
import { STORAGE_ROUTES } from './storage.js';
import { GoogleApiError } from './protocol.js';
import type { GcpState } from './state.js';

/*
 * The Google side of the sandbox server: routes Google REST calls (the paths the real clients
 * send in `fallback` mode) to one handler file per API. One listener serves every Google API, so
 * each client is pointed at the same host and port (`apiEndpoint`, `port`, `protocol: 'http'`).
 * Calls need an `Authorization: Bearer` header (any token: the sandbox checks that the client
 * authenticated, not who it is) and are counted per `service.Operation`, faulted ones included.
 */

/** Every Google route, one list per API. Adding an API is one handler file and one entry here. */
export const GCP_ROUTES: readonly GcpRoute[] = [...AIPLATFORM_ROUTES, ...NOTEBOOKS_ROUTES, ...MONITORING_ROUTES, ...STORAGE_ROUTES, ...BIGQUERY_ROUTES, ...CLOUDBILLING_ROUTES, ...BUDGETS_ROUTES];

/** Every `service.Operation` the Google side implements, for call counts. */
export const GCP_OPERATIONS: readonly string[] = [...new Set(GCP_ROUTES.map((r) => `${r.service}.${r.operation}`))];

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What the Google side needs from the sandbox server. */
export interface GcpEnv {
  readonly state: GcpState;
  count(key: string): void;
  decide(call: CallSite): FaultDecision;
  now(): number;
  readonly transitionMs: number;
}

/** Answers a Google REST call; false when the request is not one (so the AWS side can have it). */
export async function handleGcpRequest(req: IncomingMessage, res: ServerResponse, env: GcpEnv): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  if (!/^\/((v1|v2|v3|ui)\/projects\/|storage\/v1\/|bigquery\/v2\/projects\/|v1\/billingAccounts\/|v1\/services\/)/.test(url.pathname) || typeof req.headers['x-amz-target'] === 'string') return false;
  const path = decodeURIComponent(url.pathname);
  const matching = GCP_ROUTES.filter((r) => r.pattern.test(path));
  const route = matching.find((r) => r.method === req.method);
  try {
    if (!route) {
      if (matching.length > 0) throw new GoogleApiError('UNIMPLEMENTED', `Method ${req.method ?? ''} is not allowed on ${path}`);
      throw new GoogleApiError('NOT_FOUND', `The sandbox cloud has no Google API at ${req.method ?? ''} ${path}`);
    }
    env.count(`${route.service}.${route.operation}`);
    const auth = req.headers.authorization ?? '';
    if (!/^Bearer \S+$/.test(auth)) {
      throw new GoogleApiError('UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    const params = route.pattern.exec(path)?.groups ?? {};
    const projectId = params['project'] ?? route.projectOf?.(params, url.searchParams, env.state) ?? '';
    const project = env.state.project(projectId);
    const body = await readJson(req);
    const region = regionOf(params['location'] ?? '');
    const decision = env.decide({ service: route.service, operation: route.operation, accountId: project?.id ?? projectId, region });
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.error) throw faultError(decision.error, route, projectId);
    const query = url.searchParams;
    let out: unknown;
    if (route.global) {
      out = route.handler({ state: env.state, project, params, query, body, path, now: env.now(), transitionMs: env.transitionMs });
    } else {
      if (!project) throw new GoogleApiError('PERMISSION_DENIED', `Permission denied on resource project ${projectId} (or it may not exist).`);
      out = route.handler({ state: env.state, project, params, query, body, path, now: env.now(), transitionMs: env.transitionMs });
    }
    send(res, 200, JSON.stringify(out));
  } catch (err) {
    if (!(err instanceof GoogleApiError)) throw err;
    send(res, err.httpStatus, err.body());
  }
  return true;
}

function regionOf(location: string): string {
  return location.replace(/-[a-z]$/, '');
}

function faultError(error: NonNullable<FaultDecision['error']>, route: GcpRoute, project: string): GoogleApiError {
  switch (error.kind) {
    case 'throttle':
      return new GoogleApiError(
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric '${route.operation} requests' and limit '${route.operation} requests per minute' of service '${route.service}.googleapis.com' for consumer 'project_number:${project}'.`,
      );
    case 'access-denied':
      return new GoogleApiError('PERMISSION_DENIED', `Permission '${route.service}.${route.operation}' denied on resource project ${project}.`);
    case 'server-error':
      return error.status === 503 ? new GoogleApiError('UNAVAILABLE', 'The service is currently unavailable.') : new GoogleApiError('INTERNAL', 'Internal error encountered.');
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new GoogleApiError('INVALID_ARGUMENT', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GoogleApiError('INVALID_ARGUMENT', 'Invalid JSON payload received.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GoogleApiError('INVALID_ARGUMENT', 'Invalid JSON payload received: expected an object.');
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), date: new Date().toUTCString() });
  res.end(body);
}
