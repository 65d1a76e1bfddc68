import type { ComputeResource } from '@azure/arm-machinelearning';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { Lifecycle, Resource, Scope } from '../../../domain/resource.js';
import type { AzureClients } from '../clients.js';
import { isNotFound, isoMinutes, parseMlId, resourceError, tagsOf, type AzureKindContext, type WorkspaceRef } from './context.js';

/*
 * Computes of an Azure ML workspace, shared by the compute-instance and compute-cluster kinds: one
 * `Compute_List` per workspace, read once per collection and split by compute type.
 */

/** Inner properties of a compute instance as Azure returns them (idleTimeBeforeShutdown is newer than the SDK's API version). */
export interface InstanceProps {
  vmSize?: string;
  state?: string;
  idleTimeBeforeShutdown?: string;
  schedules?: { computeStartStop?: { action?: string; status?: string; triggerType?: string; cron?: { expression?: string; timeZone?: string }; recurrence?: unknown }[] };
  lastOperation?: { operationName?: string; operationTime?: string | Date; operationStatus?: string };
}

/** Inner properties of an AmlCompute cluster. */
export interface ClusterProps {
  vmSize?: string;
  vmPriority?: string;
  scaleSettings?: { minNodeCount?: number; maxNodeCount?: number; nodeIdleTimeBeforeScaleDown?: string };
  currentNodeCount?: number;
  targetNodeCount?: number;
  allocationState?: string;
  nodeStateCounts?: { idleNodeCount?: number; runningNodeCount?: number };
}

/** The computes of one workspace, with the workspace they sit in. */
export async function listComputes(clients: AzureClients, ws: WorkspaceRef): Promise<ComputeResource[]> {
  const out: ComputeResource[] = [];
  for await (const c of clients.ml.computeOperations.list(ws.resourceGroup, ws.name)) out.push(c);
  return out;
}

/** One compute re-read; undefined when it no longer exists. */
export async function getCompute(clients: AzureClients, id: string, name: string): Promise<ComputeResource | undefined> {
  const p = parseMlId(id);
  try {
    return await clients.ml.computeOperations.get(p.resourceGroup, p.workspace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Compute-instance states in cloud-neutral terms. */
export function instanceLifecycle(state: string | undefined): Lifecycle {
  switch (state) {
    case 'Running':
    case 'JobRunning':
      return 'running';
    case 'Stopped':
      return 'stopped';
    case 'Starting':
    case 'Creating':
    case 'Restarting':
    case 'SettingUp':
    case 'UserSettingUp':
      return 'starting';
    case 'Stopping':
      return 'stopping';
    case 'Deleting':
      return 'deleting';
    case 'CreateFailed':
    case 'SetupFailed':
    case 'UserSetupFailed':
    case 'Unusable':
      return 'failed';
    default:
      return 'other';
  }
}

/** The workspace a compute or endpoint id sits in, as a ref (location from the resource). */
export function workspaceOf(id: string, location: string): WorkspaceRef {
  const p = parseMlId(id);
  const wsId = `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${p.workspace}`;
  return { id: wsId, name: p.workspace, resourceGroup: p.resourceGroup, location };
}

/** Common fields of a compute as a Resource. */
export function computeBase(scope: Scope, ws: WorkspaceRef, c: ComputeResource): Pick<Resource, 'cloud' | 'scope' | 'region' | 'id' | 'name' | 'tags' | 'createdAt'> & { lastModifiedAt?: Date } {
  const props = c.properties;
  const created = props?.createdOn ?? c.systemData?.createdAt;
  const modified = props?.modifiedOn ?? c.systemData?.lastModifiedAt;
  return {
    cloud: 'azure',
    scope,
    region: ws.location,
    id: c.id ?? `${ws.id}/computes/${c.name ?? ''}`,
    name: c.name ?? '',
    tags: tagsOf(c.tags),
    ...(created ? { createdAt: new Date(created) } : {}),
    ...(modified ? { lastModifiedAt: new Date(modified) } : {}),
  };
}

/**
 * Sets a compute instance's idle shutdown (`POST …/computes/{name}/updateIdleShutdownSetting`,
 * api-version 2023-04-01). @azure/arm-machinelearning 2.x speaks api-version 2022-10-01, which
 * predates the operation, so it is sent through the client's own pipeline (same bearer token,
 * retries and throttling policies) rather than a typed method.
 */
export async function updateIdleShutdown(ctx: AzureKindContext, r: Pick<Resource, 'id' | 'name' | 'scope' | 'region'>, value: string | null): Promise<void> {
  const ml = ctx.clients.ml;
  const url = `${ml.$host.replace(/\/$/, '')}${r.id}/updateIdleShutdownSetting?api-version=2023-04-01`;
  const req = createPipelineRequest({ url, method: 'POST', headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }), body: JSON.stringify({ idleTimeBeforeShutdown: value }) });
  const res = await ml.sendRequest(req);
  if (res.status >= 400) {
    let message = res.bodyAsText ?? '';
    try {
      message = (JSON.parse(message) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    throw resourceError(r, `updateIdleShutdownSetting failed (${res.status}): ${message}`, 'Compute_UpdateIdleShutdownSetting');
  }
}

/** Minutes of `idleTimeBeforeShutdown`, when set. */
export function idleMinutesOf(p: InstanceProps): number | undefined {
  return isoMinutes(p.idleTimeBeforeShutdown);
}
