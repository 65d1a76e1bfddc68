import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import type { Resource } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import { instanceSpec } from '../../../pricing/instance-types.js';
import type { MetricRequest } from '../metrics.js';
import { sagemakerSdk } from '../sdk.js';
import { loadEndpointConfigs, saveEndpointConfigs } from '../endpoint-configs.js';
import { describeEndpoint, isNotFound, listEndpoints, SAGEMAKER_ENDPOINT } from '../sagemaker-endpoints.js';
import { describeVariantTargets, restoreTarget, savedTarget, setFloor, variantIdsOf, variantResourceId, withScaling, type SavedTarget } from '../autoscaling.js';
import type { AwsKindContext, AwsKindModule } from './context.js';
import { asked, resourceError } from './context.js';

/** Deletes an idle endpoint; its endpoint config is kept so Undo can re-create it. */
export const AWS_DELETE_ENDPOINT = 'aws.sagemaker.delete-endpoint';
/** Lowers the autoscaling minimum of an endpoint's variants to what their peak needed. */
export const AWS_LOWER_FLOOR = 'aws.sagemaker.lower-autoscaling-floor';

/** Undo data saved before a floor is lowered: each variant's scalable target as it was. */
interface FloorUndo {
  endpointName: string;
  targets: SavedTarget[];
}

/** The floors a proposal sets, by variant (`min:<variant>` parameters). */
function floorsOf(parameters: Readonly<Record<string, unknown>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(parameters)) {
    if (k.startsWith('min:') && typeof v === 'number' && Number.isInteger(v) && v >= 1) out.set(k.slice(4), v);
  }
  return out;
}

/** Endpoints with their variants' scalable targets, when the rules need them (one call per 50 variants). */
async function withTargets(ctx: AwsKindContext, endpoints: Resource[]): Promise<Resource[]> {
  if (!ctx.wants(SAGEMAKER_ENDPOINT, 'autoscaling') || endpoints.length === 0) return endpoints;
  const targets = await describeVariantTargets(ctx.clients.autoScaling, variantIdsOf(endpoints));
  return endpoints.map((r) => withScaling(r, targets));
}

/** Undo data saved before an endpoint is deleted. */
interface EndpointUndo {
  endpointName: string;
  endpointConfigName: string;
  tags: Record<string, string>;
  variants: { name: string; instanceType?: string; instanceCount: number; capacity: string }[];
}

/**
 * Metrics read per endpoint variant: the request signal, CPU utilization — which is also the
 * heartbeat (DESIGN.md "Reading usage": published for as long as the instances run) — and GPU
 * utilization on GPU instances.
 */
export function endpointMetricRequests(r: Resource): MetricRequest[] {
  const out: MetricRequest[] = [];
  for (const c of r.components) {
    if (c.capacity !== 'provisioned') continue;
    const dimensions = { EndpointName: r.name, VariantName: c.name };
    const base = { resourceId: r.id, component: c.name, dimensions };
    out.push(
      { ...base, signal: 'requests', namespace: 'AWS/SageMaker', metricName: 'Invocations', stat: 'Sum', unit: 'Count' },
      { ...base, signal: 'cpu', alsoAs: 'heartbeat', namespace: '/aws/sagemaker/Endpoints', metricName: 'CPUUtilization', stat: 'Average', unit: 'Percent' },
    );
    // Invocations ÷ InvocationsPerInstance: the instances that served each period (autoscaling-floor).
    // Read only where there is a floor above one instance to judge: every other variant would pay
    // for a metric no rule can use.
    if (c.scaling && c.scaling.min > 1) {
      out.push({ ...base, signal: 'requests-per-instance', namespace: 'AWS/SageMaker', metricName: 'InvocationsPerInstance', stat: 'Sum', unit: 'Count' });
    }
    // GPUUtilization exists only on GPU instances; an unknown type is asked, since a metric not published costs nothing to miss.
    const spec = c.instanceType ? instanceSpec(c.instanceType) : undefined;
    if (!spec || (spec.gpus ?? 0) > 0) {
      out.push({ ...base, signal: 'gpu', namespace: '/aws/sagemaker/Endpoints', metricName: 'GPUUtilization', stat: 'Average', unit: 'Percent' });
    }
  }
  return out;
}

function noConfig(r: Resource): string | undefined {
  return typeof r.attributes['endpointConfigName'] === 'string' ? undefined : `endpoint ${r.name} has no endpoint config; it could not be re-created, so it is not deleted`;
}

/** SageMaker real-time and asynchronous endpoints. */
export const sagemakerEndpoint: AwsKindModule = {
  kind: SAGEMAKER_ENDPOINT,
  inventoryOperation: 'sagemaker:ListEndpoints/DescribeEndpoint',
  async list(ctx, scope, region) {
    // Endpoint configs are immutable: those read by an earlier scan come from the cache.
    const { configs, known } = await loadEndpointConfigs(ctx.cache, scope.id, region, ctx.now);
    const found = await listEndpoints(ctx.clients.sagemaker, scope, region, ctx.concurrency, configs);
    const used = new Set(found.map((r) => r.attributes['endpointConfigName']).filter((n): n is string => typeof n === 'string'));
    await saveEndpointConfigs(ctx.cache, scope.id, region, ctx.now, configs, known, used);
    try {
      return await withTargets(ctx, found);
    } catch (err) {
      // The endpoints stand without their floors; the failure is reported, not the listing lost.
      const e = err as { name?: string; message?: string };
      ctx.reportFailure({ scope, region, operation: 'application-autoscaling:DescribeScalableTargets', message: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` });
      return found;
    }
  },
  async describe(ctx, ref) {
    const r = await describeEndpoint(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name);
    return r ? (await withTargets(ctx, [r]))[0] : undefined;
  },
  usageQueries: (_ctx, resources, signals) => resources.flatMap(endpointMetricRequests).filter((q) => asked(q, signals)),
  actions: [
    {
      id: AWS_DELETE_ENDPOINT,
      precondition: noConfig,
      capture(_ctx, r) {
        const missing = noConfig(r);
        if (missing) throw resourceError(r, missing, 'DescribeEndpoint');
        const undo: EndpointUndo = {
          endpointName: r.name,
          endpointConfigName: r.attributes['endpointConfigName'] as string,
          tags: { ...r.tags },
          variants: r.components.map((c) => ({ name: c.name, instanceCount: c.instanceCount, capacity: c.capacity, ...(c.instanceType ? { instanceType: c.instanceType } : {}) })),
        };
        return Promise.resolve({ ...undo });
      },
      async perform(ctx, r) {
        const [{ DeleteEndpointCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        await sm.send(new DeleteEndpointCommand({ EndpointName: r.name }));
        return { summary: `deleted endpoint ${r.name}; its endpoint config ${String(r.attributes['endpointConfigName'])} is kept for undo` };
      },
      async undo(ctx, ref, saved) {
        const [{ CreateEndpointCommand, DescribeEndpointCommand, DescribeEndpointConfigCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        const data = saved as unknown as EndpointUndo;
        // Undo may run twice (an undo cut off and resumed): an endpoint of that name already back is not created again.
        let existing: DescribeEndpointCommandOutput | undefined;
        try {
          existing = await sm.send(new DescribeEndpointCommand({ EndpointName: data.endpointName }));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        if (existing?.EndpointStatus === 'Deleting') {
          throw new ProviderError(`cannot re-create ${data.endpointName} while it is still being deleted; try Undo again in a few minutes`, {
            cloud: 'aws',
            scopeId: ref.scopeId,
            region: ref.region,
            resourceId: ref.id,
            operation: 'DescribeEndpoint',
          });
        }
        if (existing) return { summary: `endpoint ${data.endpointName} exists already (${existing.EndpointStatus ?? 'status unknown'}); nothing to undo` };
        try {
          await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: data.endpointConfigName }));
        } catch (err) {
          if (isNotFound(err)) {
            throw new ProviderError(
              `cannot re-create ${data.endpointName}: its endpoint config ${data.endpointConfigName} was deleted`,
              { cloud: 'aws', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: 'DescribeEndpointConfig' },
              { cause: err },
            );
          }
          throw err;
        }
        await sm.send(
          new CreateEndpointCommand({
            EndpointName: data.endpointName,
            EndpointConfigName: data.endpointConfigName,
            Tags: Object.entries(data.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return { summary: `re-created endpoint ${data.endpointName} from endpoint config ${data.endpointConfigName}` };
      },
    },
    {
      id: AWS_LOWER_FLOOR,
      precondition: (r) => (r.components.some((c) => c.scaling !== undefined) ? undefined : `endpoint ${r.name} has no scalable target (any more): no floor to lower`),
      async capture(ctx, r) {
        // Read now, not taken from the scan: undo restores the targets exactly as they are just before the change.
        const ids = r.components.filter((c) => c.scaling !== undefined).map((c) => variantResourceId(r.name, c.name));
        const targets = await describeVariantTargets(ctx.clients.autoScaling, ids);
        if (targets.size === 0) throw resourceError(r, `endpoint ${r.name} has no scalable target any more`, 'DescribeScalableTargets');
        const undo: FloorUndo = { endpointName: r.name, targets: [...targets.values()].map(savedTarget) };
        return { ...undo };
      },
      async perform(ctx, r, parameters) {
        const floors = floorsOf(parameters);
        const changed: string[] = [];
        for (const c of r.components) {
          const to = floors.get(c.name);
          if (to === undefined || !c.scaling) continue;
          // Never raises a floor and never goes below 1: only what the re-check still supports.
          if (to >= c.scaling.min) continue;
          await setFloor(ctx.clients.autoScaling, variantResourceId(r.name, c.name), to);
          changed.push(`${c.name} ${c.scaling.min} → ${to}`);
        }
        if (changed.length === 0) throw resourceError(r, `no variant of ${r.name} has a floor above the one to set`, 'RegisterScalableTarget');
        return { summary: `lowered the autoscaling minimum of endpoint ${r.name} (${changed.join(', ')}); the maximum and scaling policies are unchanged` };
      },
      async undo(ctx, _ref, saved) {
        const data = saved as unknown as FloorUndo;
        for (const t of data.targets) await restoreTarget(ctx.clients.autoScaling, t);
        return { summary: `restored the scalable targets of endpoint ${data.endpointName} (${data.targets.map((t) => `${t.resourceId.split('/').pop() ?? t.resourceId}: minimum ${t.minCapacity}, maximum ${t.maxCapacity}`).join('; ')})` };
      },
    },
  ],
};
