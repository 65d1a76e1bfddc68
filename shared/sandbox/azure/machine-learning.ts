import { randomUUID } from 'node:crypto';
import { ArmError, type ArmResponse } from './arm.js';
import {
  COMPUTE_TYPE,
  DEPLOYMENT_TYPE,
  ENDPOINT_TYPE,
  ML,
  WORKSPACE_TYPE,
  workspaceId,
  type AzureState,
  type ComputeState,
  type DeploymentState,
  type EndpointState,
  type WorkspaceState,
} from './state.js';

/*
 * Microsoft.MachineLearningServices over ARM REST: workspaces, managed online endpoints and their
 * deployments, computes (instances and AmlCompute clusters). Lists page with `nextLink`; writes are
 * long-running operations answered the ARM way (201/202 with `Azure-AsyncOperation`, and
 * `Location` for POST and DELETE), whose status resource the SDK pollers then read.
 */

/** What a handler sees of one request. */
export interface ArmContext {
  readonly state: AzureState;
  readonly subscription: string;
  /** `https://host:port` of the listener, for `nextLink` and operation URLs. */
  readonly base: string;
  readonly now: number;
  readonly pageSize: number;
  readonly url: URL;
  readonly method: string;
  readonly body: unknown;
}

/** A matched route: the operation id (counted, faulted) and how to answer. */
export interface ArmRoute {
  readonly operation: string;
  readonly location?: string;
  run(): ArmResponse;
}

/** Operation ids served, as in Microsoft's swagger for the service. */
export const AZURE_ML_OPERATIONS = [
  'Workspaces_ListBySubscription',
  'Workspaces_ListByResourceGroup',
  'Workspaces_Get',
  'OnlineEndpoints_List',
  'OnlineEndpoints_Get',
  'OnlineEndpoints_CreateOrUpdate',
  'OnlineDeployments_List',
  'OnlineDeployments_Get',
  'OnlineDeployments_CreateOrUpdate',
  'OnlineDeployments_Update',
  'OnlineDeployments_Delete',
  'Compute_List',
  'Compute_Get',
  'Compute_Start',
  'Compute_Stop',
  'Compute_Update',
  'Compute_UpdateIdleShutdownSetting',
  'OperationStatus_Get',
  'OperationResults_Get',
] as const;

type Json = Record<string, unknown>;
const P = `/providers/${ML.toLowerCase()}`;
const NAME = '([^/]+)';
const WS = `^/subscriptions/${NAME}/resourcegroups/${NAME}${P}/workspaces/${NAME}`;

const ROUTES: [RegExp, string, string][] = [
  [new RegExp(`^/subscriptions/${NAME}${P}/workspaces$`), 'GET', 'Workspaces_ListBySubscription'],
  [new RegExp(`^/subscriptions/${NAME}/resourcegroups/${NAME}${P}/workspaces$`), 'GET', 'Workspaces_ListByResourceGroup'],
  [new RegExp(`${WS}$`), 'GET', 'Workspaces_Get'],
  [new RegExp(`${WS}/onlineendpoints$`), 'GET', 'OnlineEndpoints_List'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}$`), 'GET', 'OnlineEndpoints_Get'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}$`), 'PUT', 'OnlineEndpoints_CreateOrUpdate'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}/deployments$`), 'GET', 'OnlineDeployments_List'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}/deployments/${NAME}$`), 'GET', 'OnlineDeployments_Get'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}/deployments/${NAME}$`), 'PUT', 'OnlineDeployments_CreateOrUpdate'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}/deployments/${NAME}$`), 'PATCH', 'OnlineDeployments_Update'],
  [new RegExp(`${WS}/onlineendpoints/${NAME}/deployments/${NAME}$`), 'DELETE', 'OnlineDeployments_Delete'],
  [new RegExp(`${WS}/computes$`), 'GET', 'Compute_List'],
  [new RegExp(`${WS}/computes/${NAME}$`), 'GET', 'Compute_Get'],
  [new RegExp(`${WS}/computes/${NAME}$`), 'PATCH', 'Compute_Update'],
  [new RegExp(`${WS}/computes/${NAME}/start$`), 'POST', 'Compute_Start'],
  [new RegExp(`${WS}/computes/${NAME}/stop$`), 'POST', 'Compute_Stop'],
  [new RegExp(`${WS}/computes/${NAME}/updateidleshutdownsetting$`), 'POST', 'Compute_UpdateIdleShutdownSetting'],
  [new RegExp(`^/subscriptions/${NAME}${P}/locations/${NAME}/mlservicesoperations/${NAME}$`), 'GET', 'OperationStatus_Get'],
  [new RegExp(`^/subscriptions/${NAME}${P}/locations/${NAME}/mlservicesoperationresults/${NAME}$`), 'GET', 'OperationResults_Get'],
];

/** Routes one Machine Learning request; throws an ArmError for an unknown path. */
export function handleMachineLearning(ctx: ArmContext): ArmRoute {
  const path = decodeURIComponent(ctx.url.pathname).toLowerCase();
  for (const [re, method, operation] of ROUTES) {
    const m = re.exec(path);
    if (!m || method !== ctx.method) continue;
    // Keep the caller's spelling of names (ARM is case-insensitive but echoes the stored name).
    const raw = decodeURIComponent(ctx.url.pathname).split('/');
    const args = m.slice(1).map((lower) => raw.find((seg) => seg.toLowerCase() === lower) ?? lower);
    const ws = operation.startsWith('Workspaces_List') || operation.startsWith('Operation') ? undefined : ctx.state.workspace(ctx.subscription, args[1] ?? '', args[2] ?? '');
    return { operation, ...(ws ? { location: ws.location } : {}), run: () => (RUN[operation] as Handler)(ctx, args, ws) };
  }
  const known = ROUTES.some(([re]) => re.test(path));
  throw new ArmError(known ? 405 : 404, known ? 'MethodNotAllowed' : 'InvalidResourceType', `The sandbox cloud does not serve ${ctx.method} ${ctx.url.pathname}`);
}

type Handler = (ctx: ArmContext, args: string[], ws: WorkspaceState | undefined) => ArmResponse;

const RUN: Record<string, Handler> = {
  Workspaces_ListBySubscription: (ctx) => page(ctx, [...sub(ctx).workspaces.values()].map((w) => workspaceBody(ctx, w))),
  Workspaces_ListByResourceGroup: (ctx, [, rg]) =>
    page(ctx, [...sub(ctx).workspaces.values()].filter((w) => w.resourceGroup.toLowerCase() === (rg ?? '').toLowerCase()).map((w) => workspaceBody(ctx, w))),
  Workspaces_Get: (ctx, args, ws) => ok(workspaceBody(ctx, need(ws, 'Workspace', args[2]))),
  OnlineEndpoints_List: (ctx, args, ws) => page(ctx, [...need(ws, 'Workspace', args[2]).endpoints.values()].map((e) => endpointBody(ctx, ws!, e))),
  OnlineEndpoints_Get: (ctx, args, ws) => ok(endpointBody(ctx, ws!, endpoint(ws, args))),
  OnlineEndpoints_CreateOrUpdate: (ctx, args, ws) => {
    const w = need(ws, 'Workspace', args[2]);
    const b = object(ctx.body);
    const props = object(b['properties'] ?? {});
    const existing = w.endpoints.get((args[3] ?? '').toLowerCase());
    const ep: EndpointState = existing ?? { name: args[3] ?? '', createdAt: ctx.now, lastModifiedAt: ctx.now, tags: {}, authMode: 'Key', traffic: {}, deployments: new Map() };
    const traffic = props['traffic'] === undefined ? ep.traffic : trafficOf(props['traffic'], ep);
    ep.traffic = traffic;
    ep.authMode = typeof props['authMode'] === 'string' ? props['authMode'] : ep.authMode;
    if (b['tags'] !== undefined) ep.tags = stringMap(b['tags']);
    ep.lastModifiedAt = ctx.now;
    w.endpoints.set(ep.name.toLowerCase(), ep);
    ctx.state.locations.set(`${workspaceId(ctx.subscription, w)}/onlineEndpoints/${ep.name}`.toLowerCase(), w.location);
    return lro(ctx, w, existing ? 200 : 201, endpointBody(ctx, w, ep), false);
  },
  OnlineDeployments_List: (ctx, args, ws) => page(ctx, [...endpoint(ws, args).deployments.values()].map((d) => deploymentBody(ctx, ws!, endpoint(ws, args), d))),
  OnlineDeployments_Get: (ctx, args, ws) => ok(deploymentBody(ctx, ws!, endpoint(ws, args), deployment(ws, args))),
  OnlineDeployments_CreateOrUpdate: (ctx, args, ws) => {
    const ep = endpoint(ws, args);
    const b = object(ctx.body);
    const props = object(b['properties'], 'properties');
    if (props['endpointComputeType'] !== 'Managed') throw new ArmError(400, 'BadRequest', 'The sandbox serves managed online deployments only (properties.endpointComputeType: Managed).');
    if (typeof props['instanceType'] !== 'string' || props['instanceType'] === '') throw new ArmError(400, 'BadRequest', 'properties.instanceType is required for a managed online deployment.');
    const sku = object(b['sku'] ?? { name: 'Default', capacity: 1 });
    const capacity = sku['capacity'];
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) throw new ArmError(400, 'BadRequest', 'sku.capacity must be a whole number of instances, at least 1.');
    const scale = props['scaleSettings'];
    if (scale !== undefined && scale !== null) {
      const sc = object(scale, 'properties.scaleSettings');
      if (sc['scaleType'] === 'TargetUtilization') {
        const min = sc['minInstances'] ?? 1;
        const max = sc['maxInstances'] ?? 1;
        if (typeof min !== 'number' || typeof max !== 'number' || !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || min > max) {
          throw new ArmError(400, 'BadRequest', `Invalid scale settings: minInstances ${String(min)} and maxInstances ${String(max)} must be whole numbers with 0 ≤ min ≤ max and max ≥ 1.`);
        }
      } else if (sc['scaleType'] !== 'Default') throw new ArmError(400, 'BadRequest', `properties.scaleSettings.scaleType must be Default or TargetUtilization, not ${String(sc['scaleType'])}.`);
    }
    const name = args[4] ?? '';
    const existing = ep.deployments.get(name.toLowerCase());
    const { provisioningState: _, ...rest } = props;
    const d: DeploymentState = {
      name: existing?.name ?? name,
      createdAt: existing?.createdAt ?? ctx.now,
      body: { location: ws!.location, tags: stringMap(b['tags'] ?? {}), kind: typeof b['kind'] === 'string' ? b['kind'] : 'Managed', sku: { ...sku }, properties: { ...rest, provisioningState: 'Succeeded' } },
    };
    ep.deployments.set(d.name.toLowerCase(), d);
    ep.traffic[d.name] ??= 0;
    ctx.state.locations.set(`${workspaceId(ctx.subscription, ws!)}/onlineEndpoints/${ep.name}/deployments/${d.name}`.toLowerCase(), ws!.location);
    return lro(ctx, ws!, existing ? 200 : 201, deploymentBody(ctx, ws!, ep, d), false);
  },
  OnlineDeployments_Update: (ctx, args, ws) => {
    const ep = endpoint(ws, args);
    const d = deployment(ws, args);
    const b = object(ctx.body);
    if (b['sku'] !== undefined) {
      const capacity = object(b['sku'])['capacity'];
      if (capacity !== undefined && (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1)) throw new ArmError(400, 'BadRequest', 'sku.capacity must be a whole number of instances, at least 1.');
      d.body['sku'] = { ...object(d.body['sku'] ?? {}), ...object(b['sku']) };
    }
    if (b['tags'] !== undefined) d.body['tags'] = stringMap(b['tags']);
    return lro(ctx, ws!, 202, deploymentBody(ctx, ws!, ep, d), true);
  },
  OnlineDeployments_Delete: (ctx, args, ws) => {
    const ep = endpoint(ws, args);
    const d = deployment(ws, args);
    const weight = ep.traffic[d.name] ?? 0;
    if (weight > 0) {
      throw new ArmError(400, 'BadRequest', `Deployment ${d.name} has ${weight}% of the traffic of endpoint ${ep.name}. Set its traffic to 0 before deleting it.`);
    }
    ep.deployments.delete(d.name.toLowerCase());
    delete ep.traffic[d.name];
    return lro(ctx, ws!, 202, undefined, true);
  },
  Compute_List: (ctx, args, ws) => page(ctx, [...need(ws, 'Workspace', args[2]).computes.values()].map((c) => computeBody(ctx, ws!, c))),
  Compute_Get: (ctx, args, ws) => ok(computeBody(ctx, ws!, compute(ws, args))),
  Compute_Start: (ctx, args, ws) => {
    const c = instance(compute(ws, args));
    if (c.state !== 'Stopped') throw new ArmError(409, 'Conflict', `Compute instance ${c.name} is ${c.state ?? 'unknown'}; only a stopped compute instance can be started.`);
    c.state = 'Running';
    c.runningSince = ctx.now;
    c.modifiedAt = ctx.now;
    return lro(ctx, ws!, 202, undefined, true);
  },
  Compute_Stop: (ctx, args, ws) => {
    const c = instance(compute(ws, args));
    if (c.state !== 'Running' && c.state !== 'JobRunning') throw new ArmError(409, 'Conflict', `Compute instance ${c.name} is ${c.state ?? 'unknown'}; only a running compute instance can be stopped.`);
    c.state = 'Stopped';
    c.modifiedAt = ctx.now;
    return lro(ctx, ws!, 202, undefined, true);
  },
  Compute_UpdateIdleShutdownSetting: (ctx, args, ws) => {
    const c = instance(compute(ws, args));
    const v = object(ctx.body)['idleTimeBeforeShutdown'];
    if (v !== null && (typeof v !== 'string' || !/^PT(\d+H)?(\d+M)?$/.test(v) || v === 'PT')) {
      throw new ArmError(400, 'BadRequest', 'idleTimeBeforeShutdown must be an ISO 8601 duration of hours and minutes, such as PT30M or PT1H, or null to disable it.');
    }
    c.idleTimeBeforeShutdown = v ?? undefined;
    c.modifiedAt = ctx.now;
    return { status: 200 };
  },
  Compute_Update: (ctx, args, ws) => {
    const c = compute(ws, args);
    if (c.computeType !== 'AmlCompute') throw new ArmError(400, 'BadRequest', `Only an AmlCompute cluster's scale settings can be updated; ${c.name} is a ${c.computeType}.`);
    // ClusterUpdateParameters on the wire: { properties: { properties: { scaleSettings } } }.
    const scale = object(object(object(object(ctx.body)['properties'] ?? {})['properties'] ?? {})['scaleSettings'], 'properties.properties.scaleSettings');
    const min = scale['minNodeCount'] ?? c.minNodes ?? 0;
    const max = scale['maxNodeCount'] ?? c.maxNodes ?? 1;
    if (typeof min !== 'number' || typeof max !== 'number' || !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || min > max) {
      throw new ArmError(400, 'BadRequest', `Invalid scale settings: minNodeCount ${String(min)} and maxNodeCount ${String(max)} must be whole numbers with 0 ≤ min ≤ max and max ≥ 1.`);
    }
    c.minNodes = min;
    c.maxNodes = max;
    if (typeof scale['nodeIdleTimeBeforeScaleDown'] === 'string') c.nodeIdleTimeBeforeScaleDown = scale['nodeIdleTimeBeforeScaleDown'];
    // Idle nodes above the new minimum are released; nodes running jobs stay.
    c.currentNodes = Math.min(max, Math.max(min, runningNodes(ctx, ws!, c)));
    c.modifiedAt = ctx.now;
    return lro(ctx, ws!, 202, computeBody(ctx, ws!, c), false);
  },
  OperationStatus_Get: (_ctx, args) => {
    const op = _ctx.state.operations.get(args[2] ?? '');
    if (!op) throw new ArmError(404, 'NotFound', `Operation ${args[2] ?? ''} was not found.`);
    return ok({ id: args[2], name: args[2], ...op });
  },
  OperationResults_Get: (_ctx, args) => {
    if (!_ctx.state.operations.has(args[2] ?? '')) throw new ArmError(404, 'NotFound', `Operation ${args[2] ?? ''} was not found.`);
    return { status: 200 };
  },
};

function sub(ctx: ArmContext) {
  const s = ctx.state.subscriptions.get(ctx.subscription);
  if (!s) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${ctx.subscription}' could not be found.`);
  return s;
}

function need<T>(v: T | undefined, what: string, name: string | undefined): T {
  if (v === undefined) throw new ArmError(404, 'ResourceNotFound', `${what} ${name ?? ''} was not found.`);
  return v;
}

function endpoint(ws: WorkspaceState | undefined, args: string[]): EndpointState {
  return need(need(ws, 'Workspace', args[2]).endpoints.get((args[3] ?? '').toLowerCase()), 'Online endpoint', args[3]);
}

function deployment(ws: WorkspaceState | undefined, args: string[]): DeploymentState {
  return need(endpoint(ws, args).deployments.get((args[4] ?? '').toLowerCase()), 'Online deployment', args[4]);
}

function compute(ws: WorkspaceState | undefined, args: string[]): ComputeState {
  return need(need(ws, 'Workspace', args[2]).computes.get((args[3] ?? '').toLowerCase()), 'Compute', args[3]);
}

function instance(c: ComputeState): ComputeState {
  if (c.computeType !== 'ComputeInstance') throw new ArmError(400, 'BadRequest', `${c.name} is a ${c.computeType}, not a compute instance.`);
  return c;
}

function object(v: unknown, what = 'the request body'): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ArmError(400, 'InvalidRequestContent', `${what} must be a JSON object.`);
  return v as Json;
}

function stringMap(v: unknown): Record<string, string> {
  const o = object(v, 'tags');
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, String(x)]));
}

function trafficOf(v: unknown, ep: EndpointState): Record<string, number> {
  const o = object(v, 'properties.traffic');
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, w] of Object.entries(o)) {
    const d = ep.deployments.get(name.toLowerCase());
    if (!d) throw new ArmError(400, 'BadRequest', `Traffic names deployment ${name}, which does not exist in endpoint ${ep.name}.`);
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100) throw new ArmError(400, 'BadRequest', `Traffic of ${name} must be a whole percent from 0 to 100.`);
    out[d.name] = w;
    total += w;
  }
  if (total !== 0 && total !== 100) throw new ArmError(400, 'BadRequest', `Traffic adds up to ${total}; it must add up to 0 or 100.`);
  for (const d of ep.deployments.values()) out[d.name] ??= 0;
  return out;
}

function ok(body: unknown): ArmResponse {
  return { status: 200, body };
}

/** A list page and its `nextLink` (`$skipToken` is the offset). */
function page(ctx: ArmContext, items: unknown[]): ArmResponse {
  const skip = Number(ctx.url.searchParams.get('$skipToken') ?? '0');
  const from = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(from, from + ctx.pageSize);
  let nextLink: string | undefined;
  if (from + ctx.pageSize < items.length) {
    const next = new URL(ctx.url.href);
    next.protocol = 'https:';
    next.host = new URL(ctx.base).host;
    next.searchParams.set('$skipToken', String(from + ctx.pageSize));
    nextLink = next.href;
  }
  return ok({ value, ...(nextLink ? { nextLink } : {}) });
}

/**
 * A long-running operation, finished at once: the answer carries `Azure-AsyncOperation` (and
 * `Location` for POST, PATCH and DELETE), the way Azure ML answers, so the SDK pollers poll.
 */
function lro(ctx: ArmContext, ws: WorkspaceState, status: number, body: unknown, withLocation: boolean): ArmResponse {
  const id = randomUUID();
  const at = new Date(ctx.now).toISOString();
  const ops = ctx.state.operations;
  ops.set(id, { status: 'Succeeded', startTime: at, endTime: at });
  if (ops.size > 10_000) ops.delete(ops.keys().next().value as string);
  const apiVersion = ctx.url.searchParams.get('api-version') ?? '2022-10-01';
  const root = `${ctx.base}/subscriptions/${ctx.subscription}/providers/${ML}/locations/${ws.location}`;
  return {
    status,
    ...(body !== undefined ? { body } : {}),
    headers: {
      'azure-asyncoperation': `${root}/mlServicesOperations/${id}?api-version=${apiVersion}`,
      ...(withLocation ? { location: `${root}/mlServicesOperationResults/${id}?api-version=${apiVersion}` } : {}),
      'retry-after': '0',
    },
  };
}

function systemData(createdAt: number, modifiedAt = createdAt): Json {
  return { createdAt: new Date(createdAt).toISOString(), createdBy: 'sandbox@example.com', createdByType: 'User', lastModifiedAt: new Date(modifiedAt).toISOString() };
}

function workspaceBody(ctx: ArmContext, w: WorkspaceState): Json {
  return {
    id: workspaceId(ctx.subscription, w),
    name: w.name,
    type: WORKSPACE_TYPE,
    location: w.location,
    tags: { ...w.tags },
    identity: { type: 'SystemAssigned', principalId: '00000000-0000-0000-0000-000000000001', tenantId: '00000000-0000-0000-0000-000000000002' },
    sku: { name: 'Basic', tier: 'Basic' },
    properties: { friendlyName: w.name, provisioningState: 'Succeeded', workspaceId: `ws-${w.name}`, discoveryUrl: `https://${w.location}.api.azureml.ms/discovery` },
    systemData: systemData(w.createdAt),
  };
}

function endpointBody(ctx: ArmContext, w: WorkspaceState, e: EndpointState): Json {
  return {
    id: `${workspaceId(ctx.subscription, w)}/onlineEndpoints/${e.name}`,
    name: e.name,
    type: ENDPOINT_TYPE,
    location: w.location,
    tags: { ...e.tags },
    kind: 'Managed',
    identity: { type: 'SystemAssigned' },
    properties: {
      authMode: e.authMode,
      provisioningState: 'Succeeded',
      traffic: { ...e.traffic },
      scoringUri: `https://${e.name}.${w.location}.inference.ml.azure.com/score`,
    },
    systemData: systemData(e.createdAt, e.lastModifiedAt),
  };
}

function deploymentBody(ctx: ArmContext, w: WorkspaceState, e: EndpointState, d: DeploymentState): Json {
  return {
    id: `${workspaceId(ctx.subscription, w)}/onlineEndpoints/${e.name}/deployments/${d.name}`,
    name: d.name,
    type: DEPLOYMENT_TYPE,
    ...structuredClone(d.body),
    systemData: systemData(d.createdAt),
  };
}

/** Nodes of a cluster running jobs now: the `Active Nodes` series at this minute, else 0. */
function runningNodes(ctx: ArmContext, w: WorkspaceState, c: ComputeState): number {
  const series = ctx.state.metricSeries(workspaceId(ctx.subscription, w), 'Active Nodes').find((s) => s.dimensions['ClusterName'] === c.name);
  const minute = Math.floor(ctx.now / 60_000) * 60_000;
  return series?.series(minute, minute + 60_000)[0]?.value ?? 0;
}

function computeBody(ctx: ArmContext, w: WorkspaceState, c: ComputeState): Json {
  const iso = (t: number) => new Date(t).toISOString();
  let inner: Json;
  if (c.computeType === 'ComputeInstance') {
    inner = {
      vmSize: c.vmSize,
      state: c.state,
      ...(c.idleTimeBeforeShutdown ? { idleTimeBeforeShutdown: c.idleTimeBeforeShutdown } : {}),
      applicationSharingPolicy: 'Personal',
      computeInstanceAuthorizationType: 'personal',
      schedules: {
        computeStartStop: (c.schedules ?? []).map((s, i) => ({
          id: `schedule-${i + 1}`,
          provisioningStatus: 'Completed',
          status: s.status,
          action: s.action,
          triggerType: 'Cron',
          cron: { expression: s.cron, timeZone: s.timeZone, startTime: iso(c.createdAt) },
        })),
      },
      lastOperation: { operationName: c.state === 'Stopped' ? 'Stop' : 'Start', operationTime: iso(c.state === 'Stopped' ? c.modifiedAt : (c.runningSince ?? c.createdAt)), operationStatus: 'Succeeded' },
    };
  } else {
    const running = runningNodes(ctx, w, c);
    const current = Math.max(c.currentNodes ?? 0, running);
    inner = {
      osType: 'Linux',
      vmSize: c.vmSize,
      vmPriority: c.vmPriority,
      scaleSettings: { minNodeCount: c.minNodes, maxNodeCount: c.maxNodes, nodeIdleTimeBeforeScaleDown: c.nodeIdleTimeBeforeScaleDown },
      allocationState: 'Steady',
      allocationStateTransitionTime: iso(c.modifiedAt),
      currentNodeCount: current,
      targetNodeCount: current,
      nodeStateCounts: { idleNodeCount: current - running, runningNodeCount: running, preparingNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
    };
  }
  return {
    id: `${workspaceId(ctx.subscription, w)}/computes/${c.name}`,
    name: c.name,
    type: COMPUTE_TYPE,
    location: w.location,
    tags: { ...c.tags },
    properties: {
      computeType: c.computeType,
      computeLocation: w.location,
      provisioningState: 'Succeeded',
      createdOn: iso(c.createdAt),
      modifiedOn: iso(c.modifiedAt),
      isAttachedCompute: false,
      disableLocalAuth: true,
      properties: inner,
    },
    systemData: systemData(c.createdAt, c.modifiedAt),
  };
}
