import { CreateEndpointCommand, DeleteEndpointCommand, DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import type { Resource } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import { instanceSpec } from '../../../pricing/instance-types.js';
import type { MetricRequest } from '../metrics.js';
import { loadEndpointConfigs, saveEndpointConfigs } from '../endpoint-configs.js';
import { describeEndpoint, isNotFound, listEndpoints, SAGEMAKER_ENDPOINT } from '../sagemaker-endpoints.js';
import type { AwsKindModule } from './context.js';
import { asked, resourceError } from './context.js';

/** Deletes an idle endpoint; its endpoint config is kept so Undo can re-create it. */
export const AWS_DELETE_ENDPOINT = 'aws.sagemaker.delete-endpoint';

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
    return found;
  },
  describe: (ctx, ref) => describeEndpoint(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name),
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
        await ctx.clients.sagemaker.send(new DeleteEndpointCommand({ EndpointName: r.name }));
        return { summary: `deleted endpoint ${r.name}; its endpoint config ${String(r.attributes['endpointConfigName'])} is kept for undo` };
      },
      async undo(ctx, ref, saved) {
        const sm = ctx.clients.sagemaker;
        const data = saved as unknown as EndpointUndo;
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
  ],
};
