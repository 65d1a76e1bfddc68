import type { protos } from '@google-cloud/aiplatform';
import type { Resource, ResourceComponent, ResourceRef, Scope } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import type { KindAction } from '../../kind.js';
import type { ActOutcome } from '../../port.js';
import { dateOf, enumName, labelsOf, parseName, type GcpCtx, type GcpKind, type GcpMetricQuery } from '../context.js';
import { VERTEX_ACCELERATOR } from '../enums.js';
import { isNotFound } from '../errors.js';

type Endpoint = protos.google.cloud.aiplatform.v1.IEndpoint;
type DeployedModel = protos.google.cloud.aiplatform.v1.IDeployedModel;

/** The kind id. */
export const VERTEX_ENDPOINT = 'gcp.vertex.endpoint';
/** Undeploys every dedicated deployed model of an idle endpoint; Undo deploys them again. */
export const UNDEPLOY_MODELS = 'gcp.vertex.undeploy-models';
/** Lowers the minReplicaCount of dedicated deployed models to what their peak needed; Undo restores their dedicatedResources. */
export const LOWER_REPLICA_FLOOR = 'gcp.vertex.lower-replica-floor';
/** How the evidence names where a deployed model's bounds come from. */
export const REPLICA_BOUNDS_SOURCE = 'Vertex AI dedicatedResources (minReplicaCount, maxReplicaCount)';

/** The Cloud Monitoring metrics of online prediction (resource type `aiplatform.googleapis.com/Endpoint`). */
export const PREDICTION_METRICS = {
  requests: 'aiplatform.googleapis.com/prediction/online/prediction_count',
  replicas: 'aiplatform.googleapis.com/prediction/online/replicas',
  cpu: 'aiplatform.googleapis.com/prediction/online/cpu/utilization',
  accelerator: 'aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle',
} as const;
const ENDPOINT_RESOURCE = 'aiplatform.googleapis.com/Endpoint';

/** A deployed model as a billable component. */
function componentOf(m: DeployedModel): ResourceComponent {
  const name = m.id ?? '?';
  const d = m.dedicatedResources;
  if (d?.machineSpec?.machineType) {
    const spec = d.machineSpec;
    const type = spec.acceleratorType ? enumName(spec.acceleratorType, VERTEX_ACCELERATOR) : undefined;
    const accel = type && type !== 'ACCELERATOR_TYPE_UNSPECIFIED' && (spec.acceleratorCount ?? 1) > 0 ? type : undefined;
    // Idle replicas scale down to minReplicaCount, never below: that is what idling costs.
    const replicas = d.minReplicaCount ?? 1;
    const max = d.maxReplicaCount && d.maxReplicaCount > 0 ? d.maxReplicaCount : replicas;
    return {
      name,
      instanceType: spec.machineType ?? '',
      instanceCount: replicas,
      capacity: 'provisioned',
      ...(accel ? { accelerator: { type: accel, count: spec.acceleratorCount ?? 1 } } : {}),
      // Vertex AI keeps a dedicated model between minReplicaCount and maxReplicaCount: the minimum is its floor.
      scaling: { min: replicas, max, source: REPLICA_BOUNDS_SOURCE },
    };
  }
  // Shared resources bill on their deployment resource pool; automatic resources are sized by Vertex AI.
  return { name, instanceCount: m.automaticResources?.minReplicaCount ?? 0, capacity: 'shared' };
}

/** An endpoint as a costwatch resource. */
export function endpointResource(e: Endpoint, scope: Scope, region: string): Resource {
  const models = e.deployedModels ?? [];
  const shared = models.filter((m) => !m.dedicatedResources?.machineSpec?.machineType);
  return {
    cloud: 'gcp',
    scope,
    region,
    kind: VERTEX_ENDPOINT,
    id: e.name ?? '',
    name: e.displayName || parseName(e.name ?? '')?.id || (e.name ?? ''),
    tags: labelsOf(e.labels as Record<string, string> | null | undefined),
    state: models.length > 0 ? 'DEPLOYED' : 'NO_DEPLOYED_MODELS',
    lifecycle: models.length > 0 ? 'running' : 'stopped',
    ...(dateOf(e.createTime) ? { createdAt: dateOf(e.createTime) } : {}),
    ...(dateOf(e.updateTime) ? { lastModifiedAt: dateOf(e.updateTime) } : {}),
    components: models.map(componentOf),
    attributes: {
      endpointId: parseName(e.name ?? '')?.id ?? null,
      trafficSplit: JSON.stringify(e.trafficSplit ?? {}),
      deployedModels: models.length,
      sharedModels: shared.map((m) => `${m.id ?? '?'} (${m.sharedResources ? `pool ${m.sharedResources.split('/').pop() ?? ''}` : 'automatic resources'})`).join(', ') || null,
    },
  };
}

async function list(ctx: GcpCtx, scope: Scope, region: string): Promise<Resource[]> {
  const [endpoints] = await ctx.call(() => ctx.clients.endpoints.listEndpoints({ parent: `projects/${ctx.projectId}/locations/${region}` }));
  return endpoints.map((e) => endpointResource(e, scope, region));
}

async function get(ctx: GcpCtx, name: string): Promise<Endpoint | undefined> {
  try {
    const [e] = await ctx.call(() => ctx.clients.endpoints.getEndpoint({ name }));
    return e;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function describe(ctx: GcpCtx, ref: ResourceRef): Promise<Resource | undefined> {
  const e = await get(ctx, ref.id);
  return e ? endpointResource(e, { cloud: 'gcp', id: ref.scopeId }, ref.region) : undefined;
}

/**
 * Per dedicated deployed model: prediction_count (the request signal), replicas (the heartbeat:
 * written for as long as replicas run), CPU utilization, and accelerator duty cycle when it has
 * accelerators. Shared and automatic models are not judged, so not read.
 */
function usageQueries(_ctx: GcpCtx, resources: readonly Resource[]): GcpMetricQuery[] {
  const out: GcpMetricQuery[] = [];
  for (const r of resources) {
    const endpointId = typeof r.attributes['endpointId'] === 'string' ? r.attributes['endpointId'] : undefined;
    if (!endpointId) continue;
    for (const c of r.components) {
      if (c.capacity !== 'provisioned') continue;
      const base = { resourceType: ENDPOINT_RESOURCE, labels: { 'resource.endpoint_id': endpointId, 'resource.location': r.region, 'metric.deployed_model_id': c.name }, resourceId: r.id, component: c.name };
      out.push(
        { ...base, metricType: PREDICTION_METRICS.requests, aligner: 'ALIGN_SUM', signal: 'requests', unit: 'Count', scale: 1 },
        // The replicas running: the heartbeat, and the instance count autoscaling-floor divides the work over.
        { ...base, metricType: PREDICTION_METRICS.replicas, aligner: 'ALIGN_MEAN', signal: 'heartbeat', alsoAs: 'instances', unit: 'Count', scale: 1 },
        { ...base, metricType: PREDICTION_METRICS.cpu, aligner: 'ALIGN_MEAN', signal: 'cpu', unit: 'Percent', scale: 100 },
      );
      if (c.accelerator) out.push({ ...base, metricType: PREDICTION_METRICS.accelerator, aligner: 'ALIGN_MEAN', signal: 'gpu', unit: 'Percent', scale: 100 });
    }
  }
  return out;
}

/** What Undo needs: the endpoint, its traffic split and the full spec of every model undeployed. */
interface UndeployUndo {
  endpoint: string;
  trafficSplit: Record<string, number>;
  deployedModels: Record<string, unknown>[];
}

/** Output-only fields of a DeployedModel, dropped from the spec sent back on deployModel. */
const OUTPUT_ONLY = new Set(['createTime', 'status', 'privateEndpoints', 'systemLabels', 'predictionResources']);

/** A DeployedModel as plain JSON for the state store and deployModel: no output-only fields, no empty values. */
export function deployedModelSpec(m: DeployedModel): Record<string, unknown> {
  const clean = (v: unknown): unknown => {
    if (v === null || v === undefined || v === '') return undefined;
    if (Array.isArray(v)) {
      const a = v.map(clean).filter((x) => x !== undefined);
      return a.length > 0 ? a : undefined;
    }
    if (typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const c = clean(x);
        if (c !== undefined) o[k] = c;
      }
      return Object.keys(o).length > 0 ? o : undefined;
    }
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(JSON.parse(JSON.stringify(m)) as Record<string, unknown>)) {
    if (OUTPUT_ONLY.has(k)) continue;
    const c = clean(v);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** The split after removing `gone`: the others keep their shares, scaled to 100; all-zero shares are split evenly. */
export function splitWithout(split: Readonly<Record<string, number>>, gone: ReadonlySet<string>, remaining: readonly string[]): Record<string, number> {
  if (remaining.length === 0) return {};
  const kept = remaining.map((id) => [id, split[id] ?? 0] as const);
  const total = kept.reduce((s, [, v]) => s + v, 0);
  const weights = total > 0 ? kept : kept.map(([id]) => [id, 1] as const);
  const sum = weights.reduce((s, [, v]) => s + v, 0);
  const out: Record<string, number> = {};
  let given = 0;
  weights.forEach(([id, w], i) => {
    const share = i === weights.length - 1 ? 100 - given : Math.floor((w * 100) / sum);
    given += share;
    out[id] = share;
  });
  void gone;
  return out;
}

const undeployModels: KindAction<GcpCtx> = {
  id: UNDEPLOY_MODELS,
  precondition: (r) => (r.components.some((c) => c.capacity === 'provisioned') ? undefined : 'no dedicated deployed model: nothing costs idle here'),
  async capture(ctx, r) {
    const e = await get(ctx, r.id);
    if (!e) throw new ProviderError(`endpoint ${r.name} no longer exists`, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, resourceId: r.id, operation: 'GetEndpoint' });
    const dedicated = (e.deployedModels ?? []).filter((m) => m.dedicatedResources?.machineSpec?.machineType);
    const undo: UndeployUndo = {
      endpoint: e.name ?? r.id,
      trafficSplit: Object.fromEntries(Object.entries(e.trafficSplit ?? {}).map(([k, v]) => [k, Number(v)])),
      deployedModels: dedicated.map(deployedModelSpec),
    };
    return { ...undo };
  },
  async perform(ctx, r): Promise<ActOutcome> {
    const e = await get(ctx, r.id);
    if (!e) throw new ProviderError(`endpoint ${r.name} no longer exists`, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, resourceId: r.id, operation: 'GetEndpoint' });
    const models = e.deployedModels ?? [];
    const dedicated = models.filter((m) => m.dedicatedResources?.machineSpec?.machineType).map((m) => m.id ?? '');
    let split: Record<string, number> = Object.fromEntries(Object.entries(e.trafficSplit ?? {}).map(([k, v]) => [k, Number(v)]));
    const left = new Set(models.map((m) => m.id ?? ''));
    for (const id of dedicated) {
      left.delete(id);
      split = splitWithout(split, new Set([id]), [...left]);
      const [op] = await ctx.call(() => ctx.clients.endpoints.undeployModel({ endpoint: e.name ?? r.id, deployedModelId: id, trafficSplit: split }), false);
      await op.promise();
    }
    const rest = left.size > 0 ? `; ${left.size} shared or automatic model${left.size > 1 ? 's' : ''} stay${left.size > 1 ? '' : 's'} deployed with traffic ${JSON.stringify(split)}` : '';
    return { summary: `undeployed ${dedicated.length} deployed model${dedicated.length > 1 ? 's' : ''} (${dedicated.join(', ')}) from endpoint ${r.name}; the endpoint is kept, Undo deploys them again with the same resources and traffic split${rest}` };
  },
  async undo(ctx, ref, saved): Promise<ActOutcome> {
    const data = saved as unknown as UndeployUndo;
    const where = { cloud: 'gcp' as const, scopeId: ref.scopeId, region: ref.region, resourceId: ref.id };
    const e = await get(ctx, data.endpoint);
    if (!e) throw new ProviderError(`cannot deploy the models again: endpoint ${ref.name} was deleted`, { ...where, operation: 'GetEndpoint' });
    const present = new Set((e.deployedModels ?? []).map((m) => m.id ?? ''));
    const todo = data.deployedModels.filter((m) => !present.has(String(m['id'])));
    if (todo.length === 0) return { summary: `the models of endpoint ${ref.name} are deployed already; nothing to undo` };
    const allBack = new Set([...present, ...todo.map((m) => String(m['id']))]);
    const savedIds = Object.keys(data.trafficSplit);
    // The saved split applies only when every model it names is back; else the current split stays.
    const restoreSplit = savedIds.every((id) => allBack.has(id));
    for (const [i, m] of todo.entries()) {
      const last = i === todo.length - 1;
      const id = String(m['id']);
      const trafficSplit = last && restoreSplit ? Object.fromEntries(Object.entries(data.trafficSplit).map(([k, v]) => [k === id ? '0' : k, v])) : {};
      const [op] = await ctx.call(() => ctx.clients.endpoints.deployModel({ endpoint: data.endpoint, deployedModel: m as DeployedModel, trafficSplit }), false);
      await op.promise();
    }
    return {
      summary: `deployed ${todo.length} model${todo.length > 1 ? 's' : ''} (${todo.map((m) => String(m['id'])).join(', ')}) on endpoint ${ref.name} again with their saved resources${restoreSplit ? ` and traffic split ${JSON.stringify(data.trafficSplit)}` : '; the saved traffic split names models no longer there, so the current split was kept'}`,
    };
  },
};

/** The bounds of one dedicated deployed model as they were before its floor was lowered. */
interface SavedBounds {
  readonly id: string;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  /** Its autoscaling metric specs exactly as read (empty when it had none: Vertex AI's default CPU target applies). */
  readonly autoscalingMetricSpecs: Record<string, unknown>[];
}

/** What Undo of a lowered floor needs: the endpoint and each changed model's saved bounds. */
interface FloorUndo {
  readonly endpoint: string;
  readonly models: SavedBounds[];
}

/** The floors a proposal sets, by deployed model id (`min:<id>` parameters). */
function floorsOf(parameters: Readonly<Record<string, unknown>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(parameters)) {
    if (k.startsWith('min:') && typeof v === 'number' && Number.isInteger(v) && v >= 1) out.set(k.slice(4), v);
  }
  return out;
}

/** The fields mutateDeployedModel changes, as its update mask names them. */
const MIN_MASK = 'dedicated_resources.min_replica_count';
const BOUNDS_MASK = [MIN_MASK, 'dedicated_resources.max_replica_count', 'dedicated_resources.autoscaling_metric_specs'];

async function mutate(ctx: GcpCtx, endpoint: string, deployedModel: DeployedModel, paths: string[]): Promise<void> {
  const [op] = await ctx.call(() => ctx.clients.endpoints.mutateDeployedModel({ endpoint, deployedModel, updateMask: { paths } }), false);
  await op.promise();
}

const lowerReplicaFloor: KindAction<GcpCtx> = {
  id: LOWER_REPLICA_FLOOR,
  precondition: (r) => (r.components.some((c) => c.scaling !== undefined && c.scaling.min > 1) ? undefined : `endpoint ${r.name} has no dedicated deployed model with a floor above one replica`),
  async capture(ctx, r) {
    // Read now, not taken from the scan: Undo restores the bounds exactly as they are just before the change.
    const e = await get(ctx, r.id);
    if (!e) throw new ProviderError(`endpoint ${r.name} no longer exists`, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, resourceId: r.id, operation: 'GetEndpoint' });
    const models: SavedBounds[] = [];
    for (const m of e.deployedModels ?? []) {
      const d = m.dedicatedResources;
      if (!d?.machineSpec?.machineType || !m.id) continue;
      const min = d.minReplicaCount ?? 1;
      models.push({
        id: m.id,
        minReplicaCount: min,
        maxReplicaCount: d.maxReplicaCount && d.maxReplicaCount > 0 ? d.maxReplicaCount : min,
        autoscalingMetricSpecs: (d.autoscalingMetricSpecs ?? []).map((x) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>),
      });
    }
    if (models.length === 0) throw new ProviderError(`endpoint ${r.name} has no dedicated deployed model any more`, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, resourceId: r.id, operation: 'GetEndpoint' });
    const undo: FloorUndo = { endpoint: e.name ?? r.id, models };
    return { ...undo };
  },
  async perform(ctx, r, parameters) {
    const floors = floorsOf(parameters);
    const changed: string[] = [];
    for (const c of r.components) {
      const to = floors.get(c.name);
      // Never raises a floor, never below one replica: only what the re-check still supports.
      if (to === undefined || !c.scaling || to >= c.scaling.min) continue;
      await mutate(ctx, r.id, { id: c.name, dedicatedResources: { minReplicaCount: to, maxReplicaCount: c.scaling.max } }, [MIN_MASK]);
      changed.push(`${c.name} ${c.scaling.min} → ${to}`);
    }
    if (changed.length === 0) throw new ProviderError(`no deployed model of ${r.name} has a floor above the one to set`, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, resourceId: r.id, operation: 'MutateDeployedModel' });
    return { summary: `lowered the minReplicaCount of endpoint ${r.name} (${changed.join(', ')}); maxReplicaCount and autoscaling targets are unchanged, Undo restores the old bounds` };
  },
  async undo(ctx, ref, saved) {
    const data = saved as unknown as FloorUndo;
    const e = await get(ctx, data.endpoint);
    if (!e) throw new ProviderError(`cannot restore the replica bounds: endpoint ${ref.name} was deleted`, { cloud: 'gcp', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: 'GetEndpoint' });
    const present = new Set((e.deployedModels ?? []).map((m) => m.id ?? ''));
    const restored: string[] = [];
    const gone: string[] = [];
    for (const m of data.models) {
      if (!present.has(m.id)) {
        gone.push(m.id);
        continue;
      }
      await mutate(
        ctx,
        data.endpoint,
        { id: m.id, dedicatedResources: { minReplicaCount: m.minReplicaCount, maxReplicaCount: m.maxReplicaCount, autoscalingMetricSpecs: m.autoscalingMetricSpecs as protos.google.cloud.aiplatform.v1.IAutoscalingMetricSpec[] } },
        BOUNDS_MASK,
      );
      restored.push(`${m.id}: minimum ${m.minReplicaCount}, maximum ${m.maxReplicaCount}`);
    }
    if (restored.length === 0) throw new ProviderError(`cannot restore the replica bounds of ${ref.name}: its deployed models ${gone.join(', ')} were undeployed`, { cloud: 'gcp', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: 'MutateDeployedModel' });
    return { summary: `restored the replica bounds of endpoint ${ref.name} (${restored.join('; ')})${gone.length > 0 ? `; ${gone.join(', ')} no longer deployed` : ''}` };
  },
};

/** Vertex AI endpoints and their deployed models. */
export const vertexEndpointKind: GcpKind = {
  kind: VERTEX_ENDPOINT,
  inventoryOperation: 'aiplatform:ListEndpoints',
  list,
  describe,
  usageQueries,
  actions: [undeployModels, lowerReplicaFloor],
};
