import type { OnlineDeployment, OnlineEndpoint } from '@azure/arm-machinelearning';
import type { Resource, ResourceComponent, ResourceRef, Scope } from '../../../domain/resource.js';
import type { AzureMetricQuery } from '../metrics.js';
import { isNotFound, lroOptions, parseMlId, provisioningLifecycle, resourceError, tagsOf, type AzureKindContext, type AzureKindModule, type WorkspaceRef } from './context.js';
import type { AzureClients } from '../clients.js';
import { mapLimit } from '../../../util/concurrency.js';

/** Deployment lists in flight per workspace. */
const DEPLOYMENT_LISTS_IN_FLIGHT = 8;

/** Resource kind of Azure ML managed online endpoints; components are its deployments. */
export const AZURE_ONLINE_ENDPOINT = 'azure.ml.online-endpoint' as const;
/** Deletes every deployment of an idle endpoint after saving their full specs and the traffic split. */
export const AZURE_DELETE_DEPLOYMENTS = 'azure.ml.delete-online-deployments';

/** Lowers the minInstances of TargetUtilization deployments to what their peak needed; Undo restores their scale settings. */
export const AZURE_LOWER_FLOOR = 'azure.ml.lower-instance-floor';
/** How the evidence names where a deployment's bounds come from. */
export const TARGET_UTILIZATION_SOURCE = 'Azure ML scaleSettings (TargetUtilization: minInstances, maxInstances)';
/** The Azure Monitor metric of a deployment's instance count. */
export const DEPLOYMENT_CAPACITY = 'DeploymentCapacity';

export const ENDPOINT_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';
export const DEPLOYMENT_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments';

/** A deployment as `deployments` attribute JSON holds it. */
export interface DeploymentSummary {
  readonly name: string;
  readonly instanceType: string | null;
  readonly instanceCount: number;
  readonly traffic: number;
  readonly scaleType: string | null;
  readonly minInstances: number | null;
  readonly maxInstances: number | null;
  readonly provisioningState: string | null;
}

/** What is saved before the deployments are deleted: each one's full spec and the endpoint's traffic. */
export interface DeploymentsUndo {
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint: string;
  readonly traffic: Record<string, number>;
  readonly deployments: { name: string; spec: Record<string, unknown> }[];
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function toResource(scope: Scope, ws: WorkspaceRef, e: OnlineEndpoint, deployments: readonly OnlineDeployment[]): Resource {
  const traffic = e.properties.traffic ?? {};
  const summaries: DeploymentSummary[] = deployments.map((d) => {
    const scale = d.properties.scaleSettings as { scaleType?: string; minInstances?: number; maxInstances?: number } | undefined;
    return {
      name: d.name ?? '',
      instanceType: d.properties.instanceType ?? null,
      instanceCount: d.sku?.capacity ?? 1,
      traffic: traffic[d.name ?? ''] ?? 0,
      scaleType: scale?.scaleType ?? null,
      minInstances: scale?.minInstances ?? null,
      maxInstances: scale?.maxInstances ?? null,
      provisioningState: d.properties.provisioningState ?? null,
    };
  });
  const components: ResourceComponent[] = summaries.map((d) => ({
    name: d.name,
    ...(d.instanceType ? { instanceType: d.instanceType } : {}),
    instanceCount: d.instanceCount,
    capacity: 'provisioned',
    // TargetUtilization keeps the deployment between minInstances and maxInstances: minInstances is its floor.
    // Default is a fixed sku.capacity, not a floor (Azure Monitor autoscale, when set, is not read: docs/azure.md).
    ...(d.scaleType === 'TargetUtilization' && d.minInstances !== null ? { scaling: { min: d.minInstances, max: d.maxInstances ?? d.minInstances, source: TARGET_UTILIZATION_SOURCE } } : {}),
  }));
  const state = e.properties.provisioningState ?? 'Unknown';
  return {
    cloud: 'azure',
    scope,
    region: ws.location,
    kind: AZURE_ONLINE_ENDPOINT,
    id: e.id ?? `${ws.id}/onlineEndpoints/${e.name ?? ''}`,
    name: e.name ?? '',
    tags: tagsOf(e.tags),
    state,
    lifecycle: provisioningLifecycle(state),
    ...(e.systemData?.createdAt ? { createdAt: new Date(e.systemData.createdAt) } : {}),
    ...(e.systemData?.lastModifiedAt ? { lastModifiedAt: new Date(e.systemData.lastModifiedAt) } : {}),
    components,
    attributes: {
      resourceGroup: ws.resourceGroup,
      workspace: ws.name,
      authMode: e.properties.authMode ?? null,
      traffic: JSON.stringify(traffic),
      deployments: JSON.stringify(summaries),
    },
  };
}

async function readEndpoint(clients: AzureClients, scope: Scope, ws: WorkspaceRef, e: OnlineEndpoint): Promise<Resource> {
  const deployments = await collect(clients.ml.onlineDeployments.list(ws.resourceGroup, ws.name, e.name ?? ''));
  return toResource(scope, ws, e, deployments);
}

/** The ARM body to re-create a deployment: what a PUT takes, without read-only fields. */
function specOf(d: OnlineDeployment): Record<string, unknown> {
  const { provisioningState: _p, ...properties } = d.properties as unknown as Record<string, unknown>;
  return {
    location: d.location,
    ...(d.tags ? { tags: { ...d.tags } } : {}),
    ...(d.kind ? { kind: d.kind } : {}),
    ...(d.sku ? { sku: { ...d.sku } } : {}),
    ...(d.identity ? { identity: { type: d.identity.type, ...(d.identity.userAssignedIdentities ? { userAssignedIdentities: d.identity.userAssignedIdentities } : {}) } } : {}),
    properties: JSON.parse(JSON.stringify(properties)) as Record<string, unknown>,
  };
}

/** Puts the endpoint back with another traffic split (ARM takes the whole endpoint). */
async function setTraffic(clients: AzureClients, rg: string, ws: string, name: string, traffic: Record<string, number>): Promise<void> {
  const e = await clients.ml.onlineEndpoints.get(rg, ws, name);
  await clients.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
    rg,
    ws,
    name,
    { location: e.location, ...(e.tags ? { tags: e.tags } : {}), ...(e.kind ? { kind: e.kind } : {}), ...(e.identity ? { identity: { type: e.identity.type } } : {}), properties: { authMode: e.properties.authMode, traffic } },
    lroOptions(clients),
  );
}

/** What is saved before floors are lowered: each changed deployment's scale settings and SKU as they were. */
interface FloorUndo {
  readonly resourceGroup: string;
  readonly workspace: string;
  readonly endpoint: string;
  readonly deployments: { name: string; scaleSettings: Record<string, unknown>; sku: Record<string, unknown> | null }[];
}

/** The floors a proposal sets, by deployment (`min:<deployment>` parameters). */
function floorsOf(parameters: Readonly<Record<string, unknown>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(parameters)) {
    if (k.startsWith('min:') && typeof v === 'number' && Number.isInteger(v) && v >= 1) out.set(k.slice(4), v);
  }
  return out;
}

/** Puts a deployment back as read, with other scale settings (and SKU): ARM's PUT takes the whole deployment. */
async function putScale(clients: AzureClients, rg: string, ws: string, endpoint: string, d: OnlineDeployment, scaleSettings: Record<string, unknown>, sku: Record<string, unknown> | null): Promise<void> {
  const spec = specOf(d);
  const { sku: _sku, ...rest } = spec;
  void _sku;
  const body = { ...rest, ...(sku ? { sku } : {}), properties: { ...(spec['properties'] as Record<string, unknown>), scaleSettings } };
  await clients.ml.onlineDeployments.beginCreateOrUpdateAndWait(rg, ws, endpoint, d.name ?? '', body as unknown as OnlineDeployment, lroOptions(clients));
}

const lowerInstanceFloor: AzureKindModule['actions'][number] = {
  id: AZURE_LOWER_FLOOR,
  precondition: (r) => (r.components.some((c) => c.scaling !== undefined && c.scaling.min > 1) ? undefined : `endpoint ${r.name} has no TargetUtilization deployment with a floor above one instance`),
  async capture(ctx, r) {
    // Read now: Undo restores the scale settings exactly as they are just before the change.
    const id = parseMlId(r.id);
    const deployments = await collect(ctx.clients.ml.onlineDeployments.list(id.resourceGroup, id.workspace, r.name));
    const scaled = deployments.filter((d) => (d.properties.scaleSettings as { scaleType?: string } | undefined)?.scaleType === 'TargetUtilization');
    if (scaled.length === 0) throw resourceError(r, `endpoint ${r.name} has no TargetUtilization deployment any more`, 'OnlineDeployments_List');
    const undo: FloorUndo = {
      resourceGroup: id.resourceGroup,
      workspace: id.workspace,
      endpoint: r.name,
      deployments: scaled.map((d) => ({ name: d.name ?? '', scaleSettings: JSON.parse(JSON.stringify(d.properties.scaleSettings)) as Record<string, unknown>, sku: d.sku ? { ...d.sku } : null })),
    };
    return { ...undo };
  },
  async perform(ctx, r, parameters) {
    const id = parseMlId(r.id);
    const floors = floorsOf(parameters);
    const changed: string[] = [];
    for (const c of r.components) {
      const to = floors.get(c.name);
      // Never raises a floor, never below one instance: only what the re-check still supports.
      if (to === undefined || !c.scaling || to >= c.scaling.min) continue;
      const d = await ctx.clients.ml.onlineDeployments.get(id.resourceGroup, id.workspace, r.name, c.name);
      const scale = d.properties.scaleSettings as unknown as Record<string, unknown> | undefined;
      if (scale?.['scaleType'] !== 'TargetUtilization') continue;
      await putScale(ctx.clients, id.resourceGroup, id.workspace, r.name, d, { ...scale, minInstances: to }, d.sku ? { ...d.sku } : null);
      changed.push(`${c.name} ${c.scaling.min} → ${to}`);
    }
    if (changed.length === 0) throw resourceError(r, `no deployment of ${r.name} has a floor above the one to set`, 'OnlineDeployments_CreateOrUpdate');
    return { summary: `lowered the minInstances of endpoint ${r.name} (${changed.join(', ')}); maxInstances and the target utilization are unchanged, Undo restores the old scale settings` };
  },
  async undo(ctx, ref: ResourceRef, saved) {
    const data = saved as unknown as FloorUndo;
    const restored: string[] = [];
    const gone: string[] = [];
    for (const s of data.deployments) {
      let d: OnlineDeployment;
      try {
        d = await ctx.clients.ml.onlineDeployments.get(data.resourceGroup, data.workspace, data.endpoint, s.name);
      } catch (err) {
        if (isNotFound(err)) {
          gone.push(s.name);
          continue;
        }
        throw err;
      }
      await putScale(ctx.clients, data.resourceGroup, data.workspace, data.endpoint, d, s.scaleSettings, s.sku);
      restored.push(`${s.name}: minInstances ${String(s.scaleSettings['minInstances'])}, maxInstances ${String(s.scaleSettings['maxInstances'])}`);
    }
    if (restored.length === 0) throw resourceError({ scope: { cloud: 'azure', id: ref.scopeId }, region: ref.region, id: ref.id }, `cannot restore the scale settings of ${data.endpoint}: its deployments ${gone.join(', ')} were deleted`, 'OnlineDeployments_Get');
    return { summary: `restored the scale settings of endpoint ${data.endpoint} (${restored.join('; ')})${gone.length > 0 ? `; ${gone.join(', ')} no longer exist` : ''}` };
  },
};

/** Azure ML managed online endpoints with their deployments (SKU, instance count, scale settings). */
export const onlineEndpoint: AzureKindModule = {
  kind: AZURE_ONLINE_ENDPOINT,
  inventoryOperation: 'machinelearning:OnlineEndpoints_List/OnlineDeployments_List',
  usageOperation: 'monitor:Metrics_Batch',
  async list(ctx, scope, region) {
    const out: Resource[] = [];
    for (const ws of (await ctx.workspaces()).filter((w) => w.location === region)) {
      const endpoints = await collect(ctx.clients.ml.onlineEndpoints.list(ws.resourceGroup, ws.name));
      // One deployments list per endpoint: several in flight, as the AWS describes are.
      out.push(...(await mapLimit(endpoints, DEPLOYMENT_LISTS_IN_FLIGHT, (e) => readEndpoint(ctx.clients, scope, ws, e))));
    }
    return out;
  },
  async describe(ctx, ref) {
    const id = parseMlId(ref.id);
    try {
      const e = await ctx.clients.ml.onlineEndpoints.get(id.resourceGroup, id.workspace, ref.name);
      const wsId = ref.id.slice(0, ref.id.toLowerCase().indexOf('/onlineendpoints/'));
      return await readEndpoint(ctx.clients, { cloud: 'azure', id: ref.scopeId }, { id: wsId, name: id.workspace, resourceGroup: id.resourceGroup, location: ref.region }, e);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  usageQueries(_ctx, resources) {
    const out: AzureMetricQuery[] = [];
    for (const r of resources) {
      for (const c of r.components) {
        if (c.capacity !== 'provisioned' || c.instanceCount === 0) continue;
        const base = { resourceId: r.id, component: c.name, location: r.region };
        const deploymentId = `${r.id}/deployments/${c.name}`;
        out.push(
          { ...base, signal: 'requests', target: r.id, namespace: ENDPOINT_NAMESPACE, metric: 'RequestsPerMinute', aggregation: 'total', split: { dimension: 'deployment', value: c.name }, unit: 'Count' },
          { ...base, signal: 'cpu', alsoAs: 'heartbeat', target: deploymentId, namespace: DEPLOYMENT_NAMESPACE, metric: 'CpuUtilizationPercentage', aggregation: 'average', unit: 'Percent' },
          { ...base, signal: 'gpu', target: deploymentId, namespace: DEPLOYMENT_NAMESPACE, metric: 'GpuUtilizationPercentage', aggregation: 'average', unit: 'Percent' },
        );
        // The instances serving each period (autoscaling-floor), read only where there is a floor above one to judge.
        if (c.scaling && c.scaling.min > 1) out.push({ ...base, signal: 'instances', target: deploymentId, namespace: DEPLOYMENT_NAMESPACE, metric: DEPLOYMENT_CAPACITY, aggregation: 'average', unit: 'Count' });
      }
    }
    return out;
  },
  actions: [
    {
      id: AZURE_DELETE_DEPLOYMENTS,
      precondition: (r) => (r.components.length === 0 ? 'the endpoint has no deployment left to delete' : undefined),
      async capture(ctx: AzureKindContext, r: Resource) {
        const id = parseMlId(r.id);
        const e = await ctx.clients.ml.onlineEndpoints.get(id.resourceGroup, id.workspace, r.name);
        const deployments = await collect(ctx.clients.ml.onlineDeployments.list(id.resourceGroup, id.workspace, r.name));
        if (deployments.length === 0) throw resourceError(r, `endpoint ${r.name} has no deployment left`, 'OnlineDeployments_List');
        const undo: DeploymentsUndo = {
          resourceGroup: id.resourceGroup,
          workspace: id.workspace,
          endpoint: r.name,
          traffic: { ...(e.properties.traffic ?? {}) },
          deployments: deployments.map((d) => ({ name: d.name ?? '', spec: specOf(d) })),
        };
        return { ...undo };
      },
      async perform(ctx, r) {
        const id = parseMlId(r.id);
        const deployments = await collect(ctx.clients.ml.onlineDeployments.list(id.resourceGroup, id.workspace, r.name));
        const zero = Object.fromEntries(deployments.map((d) => [d.name ?? '', 0]));
        // Azure refuses to delete a deployment that still takes traffic.
        await setTraffic(ctx.clients, id.resourceGroup, id.workspace, r.name, zero);
        for (const d of deployments) await ctx.clients.ml.onlineDeployments.beginDeleteAndWait(id.resourceGroup, id.workspace, r.name, d.name ?? '', lroOptions(ctx.clients));
        const names = deployments.map((d) => d.name).join(', ');
        return { summary: `deleted deployment${deployments.length > 1 ? 's' : ''} ${names} of endpoint ${r.name} (the endpoint, its scoring URI and keys are kept); Undo re-creates them from their saved specs and restores the traffic split` };
      },
      async undo(ctx, ref: ResourceRef, saved) {
        const data = saved as unknown as DeploymentsUndo;
        try {
          await ctx.clients.ml.onlineEndpoints.get(data.resourceGroup, data.workspace, data.endpoint);
        } catch (err) {
          if (isNotFound(err)) throw resourceError({ scope: { cloud: 'azure', id: ref.scopeId }, region: ref.region, id: ref.id }, `cannot re-create the deployments of ${data.endpoint}: the endpoint itself was deleted`, 'OnlineEndpoints_Get');
          throw err;
        }
        for (const d of data.deployments) {
          await ctx.clients.ml.onlineDeployments.beginCreateOrUpdateAndWait(data.resourceGroup, data.workspace, data.endpoint, d.name, d.spec as unknown as OnlineDeployment, lroOptions(ctx.clients));
        }
        await setTraffic(ctx.clients, data.resourceGroup, data.workspace, data.endpoint, data.traffic);
        const split = Object.entries(data.traffic).map(([k, v]) => `${k} ${v}%`).join(', ');
        return { summary: `re-created deployment${data.deployments.length > 1 ? 's' : ''} ${data.deployments.map((d) => d.name).join(', ')} of endpoint ${data.endpoint} and restored its traffic (${split || 'none'})` };
      },
    },
    lowerInstanceFloor,
  ],
};
