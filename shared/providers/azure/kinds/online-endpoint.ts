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
  ],
};
