import type { ComputeResource } from '@azure/arm-machinelearning';
import type { Resource, Scope } from '../../../domain/resource.js';
import type { AzureMetricQuery } from '../metrics.js';
import { computeBase, getCompute, workspaceOf, type ClusterProps } from './computes.js';
import { lroOptions, parseMlId, provisioningLifecycle, resourceError, type AzureKindModule, type WorkspaceRef } from './context.js';

/** Resource kind of Azure ML compute clusters (AmlCompute). */
export const AZURE_COMPUTE_CLUSTER = 'azure.ml.compute-cluster' as const;
/** Sets a cluster's minimum node count to 0; Undo restores the old scale settings. */
export const AZURE_CLUSTER_MIN_ZERO = 'azure.ml.set-cluster-min-nodes-zero';

export const WORKSPACE_NAMESPACE = 'Microsoft.MachineLearningServices/workspaces';

/** Saved before the minimum is lowered. */
export interface ClusterUndo {
  readonly computeName: string;
  readonly minNodeCount: number;
  readonly maxNodeCount: number;
  readonly nodeIdleTimeBeforeScaleDown: string | null;
}

function toResource(scope: Scope, ws: WorkspaceRef, c: ComputeResource): Resource {
  const p = ((c.properties as { properties?: ClusterProps } | undefined)?.properties ?? {}) as ClusterProps;
  const current = p.currentNodeCount ?? 0;
  const state = c.properties?.provisioningState ?? 'Unknown';
  return {
    ...computeBase(scope, ws, c),
    kind: AZURE_COMPUTE_CLUSTER,
    state: `${state}${p.allocationState ? `/${p.allocationState}` : ''}`,
    lifecycle: provisioningLifecycle(state),
    components: p.vmSize ? [{ name: 'nodes', instanceType: p.vmSize, instanceCount: current, capacity: 'provisioned' }] : [],
    attributes: {
      resourceGroup: ws.resourceGroup,
      workspace: ws.name,
      vmPriority: p.vmPriority ?? null,
      minNodes: p.scaleSettings?.minNodeCount ?? 0,
      maxNodes: p.scaleSettings?.maxNodeCount ?? null,
      currentNodes: current,
      runningNodes: p.nodeStateCounts?.runningNodeCount ?? null,
      idleNodes: p.nodeStateCounts?.idleNodeCount ?? null,
      nodeIdleTimeBeforeScaleDown: p.scaleSettings?.nodeIdleTimeBeforeScaleDown ?? null,
      allocationState: p.allocationState ?? null,
    },
  };
}

/**
 * Azure ML compute clusters: VM size, priority, min/max and current nodes. Node activity comes
 * from the workspace's `Active Nodes` (nodes running jobs) and `Idle Nodes` metrics split by
 * ClusterName, one batch per region for all clusters.
 */
export const computeCluster: AzureKindModule = {
  kind: AZURE_COMPUTE_CLUSTER,
  inventoryOperation: 'machinelearning:Compute_List',
  usageOperation: 'monitor:Metrics_Batch',
  async list(ctx, scope, region) {
    const out: Resource[] = [];
    for (const ws of (await ctx.workspaces()).filter((w) => w.location === region)) {
      for (const c of await ctx.computes(ws)) if (c.properties?.computeType === 'AmlCompute') out.push(toResource(scope, ws, c));
    }
    return out;
  },
  async describe(ctx, ref) {
    const c = await getCompute(ctx.clients, ref.id, ref.name);
    return c && c.properties?.computeType === 'AmlCompute' ? toResource({ cloud: 'azure', id: ref.scopeId }, workspaceOf(ref.id, ref.region), c) : undefined;
  },
  usageQueries(_ctx, resources) {
    const out: AzureMetricQuery[] = [];
    for (const r of resources) {
      const ws = workspaceOf(r.id, r.region);
      const base = { resourceId: r.id, target: ws.id, location: r.region, namespace: WORKSPACE_NAMESPACE, aggregation: 'maximum' as const, split: { dimension: 'ClusterName', value: r.name }, unit: 'Count' };
      out.push({ ...base, signal: 'requests', metric: 'Active Nodes' }, { ...base, signal: 'heartbeat', metric: 'Idle Nodes' });
    }
    return out;
  },
  actions: [
    {
      id: AZURE_CLUSTER_MIN_ZERO,
      precondition: (r) => (Number(r.attributes['minNodes'] ?? 0) > 0 ? undefined : 'its minimum node count is already 0'),
      async capture(_ctx, r) {
        const max = r.attributes['maxNodes'];
        if (typeof max !== 'number') throw resourceError(r, `cluster ${r.name} reports no maximum node count; its scale settings could not be restored, so they are not changed`, 'Compute_Get');
        const undo: ClusterUndo = {
          computeName: r.name,
          minNodeCount: Number(r.attributes['minNodes'] ?? 0),
          maxNodeCount: max,
          nodeIdleTimeBeforeScaleDown: typeof r.attributes['nodeIdleTimeBeforeScaleDown'] === 'string' ? r.attributes['nodeIdleTimeBeforeScaleDown'] : null,
        };
        return { ...undo };
      },
      async perform(ctx, r) {
        const p = parseMlId(r.id);
        const max = Number(r.attributes['maxNodes']);
        const idle = r.attributes['nodeIdleTimeBeforeScaleDown'];
        await ctx.clients.ml.computeOperations.beginUpdateAndWait(
          p.resourceGroup,
          p.workspace,
          r.name,
          { properties: { scaleSettings: { minNodeCount: 0, maxNodeCount: max, ...(typeof idle === 'string' ? { nodeIdleTimeBeforeScaleDown: idle } : {}) } } },
          lroOptions(ctx.clients),
        );
        return { summary: `set the minimum node count of cluster ${r.name} from ${String(r.attributes['minNodes'])} to 0 (max ${max}); idle nodes are released, jobs still scale it up; Undo restores the minimum` };
      },
      async undo(ctx, ref, saved) {
        const data = saved as unknown as ClusterUndo;
        const p = parseMlId(ref.id);
        await ctx.clients.ml.computeOperations.beginUpdateAndWait(
          p.resourceGroup,
          p.workspace,
          ref.name,
          { properties: { scaleSettings: { minNodeCount: data.minNodeCount, maxNodeCount: data.maxNodeCount, ...(data.nodeIdleTimeBeforeScaleDown ? { nodeIdleTimeBeforeScaleDown: data.nodeIdleTimeBeforeScaleDown } : {}) } } },
          lroOptions(ctx.clients),
        );
        return { summary: `restored cluster ${ref.name} to min ${data.minNodeCount}, max ${data.maxNodeCount} nodes` };
      },
    },
  ],
};
