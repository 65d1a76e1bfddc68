import { CreateEndpointCommand, DeleteEndpointCommand, DescribeEndpointConfigCommand } from '@aws-sdk/client-sagemaker';
import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { UsageSeries } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import type { ActOutcome, CloudProvider, Collection, CollectionFailure, CollectOptions, ScopeTarget } from '../port.js';
import type { AwsClientFactory } from './clients.js';
import { readMetrics, type MetricRequest } from './metrics.js';
import { describeEndpoint, isNotFound, listEndpoints, SAGEMAKER_ENDPOINT } from './sagemaker-endpoints.js';

/** Action kinds the AWS provider performs. */
export const AWS_DELETE_ENDPOINT = 'aws.sagemaker.delete-endpoint';

/** Metric period: hourly sums keep 14 days of history at 336 datapoints per series. */
const PERIOD_SECONDS = 3600;

/** Metrics read per endpoint variant: the request signal and the heartbeat (DESIGN.md "Reading usage"). */
export function endpointMetricRequests(r: Resource): MetricRequest[] {
  const out: MetricRequest[] = [];
  for (const c of r.components) {
    if (c.capacity !== 'provisioned') continue;
    const dimensions = { EndpointName: r.name, VariantName: c.name };
    out.push(
      { resourceId: r.id, component: c.name, signal: 'requests', namespace: 'AWS/SageMaker', metricName: 'Invocations', dimensions, stat: 'Sum', unit: 'Count' },
      { resourceId: r.id, component: c.name, signal: 'heartbeat', namespace: '/aws/sagemaker/Endpoints', metricName: 'CPUUtilization', dimensions, stat: 'SampleCount', unit: 'Count' },
    );
  }
  return out;
}

/** Undo data saved before an endpoint is deleted. */
interface EndpointUndo {
  endpointName: string;
  endpointConfigName: string;
  tags: Record<string, string>;
  variants: { name: string; instanceType?: string; instanceCount: number; capacity: string }[];
}

/** AWS behind the CloudProvider port; SDK clients come from the injected factory. */
export class AwsProvider implements CloudProvider {
  readonly cloud = 'aws' as const;

  constructor(private readonly clients: AwsClientFactory) {}

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    const perRegion = await Promise.all(target.regions.map((region) => this.collectRegion(target.scope, region, opts)));
    return {
      scope: target.scope,
      resources: perRegion.flatMap((r) => r.resources),
      usage: perRegion.flatMap((r) => r.usage),
      costs: [],
      budgets: [],
      failures: perRegion.flatMap((r) => r.failures),
    };
  }

  private async collectRegion(scope: Scope, region: string, opts: CollectOptions) {
    const failures: CollectionFailure[] = [];
    const { sagemaker, cloudwatch } = this.clients({ accountId: scope.id, region });
    let resources: Resource[] = [];
    try {
      resources = await listEndpoints(sagemaker, scope, region);
    } catch (err) {
      failures.push({ scope, region, operation: 'sagemaker:ListEndpoints/DescribeEndpoint', message: describeError(err) });
      return { resources, usage: [] as UsageSeries[], failures };
    }
    const requests = resources.filter((r) => r.lifecycle === 'running').flatMap(endpointMetricRequests);
    const usage = await readMetrics(cloudwatch, requests, windowOf(opts), PERIOD_SECONDS);
    const failed = usage.find((u) => u.status === 'error');
    if (failed) failures.push({ scope, region, operation: 'cloudwatch:GetMetricData', message: failed.error ?? 'failed' });
    return { resources, usage, failures };
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    this.assertKind(ref);
    const { sagemaker } = this.clients({ accountId: ref.scopeId, region: ref.region });
    return describeEndpoint(sagemaker, { cloud: 'aws', id: ref.scopeId }, ref.region, ref.name);
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    const { cloudwatch } = this.clients({ accountId: resource.scope.id, region: resource.region });
    return readMetrics(cloudwatch, endpointMetricRequests(resource), windowOf(opts), PERIOD_SECONDS);
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    this.assertAction(actionKind);
    const configName = resource.attributes['endpointConfigName'];
    if (typeof configName !== 'string') {
      throw new ProviderError(`endpoint ${resource.name} has no endpoint config; it could not be re-created, so it is not deleted`, {
        cloud: 'aws',
        scopeId: resource.scope.id,
        region: resource.region,
        resourceId: resource.id,
        operation: 'DescribeEndpoint',
      });
    }
    const undo: EndpointUndo = {
      endpointName: resource.name,
      endpointConfigName: configName,
      tags: { ...resource.tags },
      variants: resource.components.map((c) => ({ name: c.name, instanceCount: c.instanceCount, capacity: c.capacity, ...(c.instanceType ? { instanceType: c.instanceType } : {}) })),
    };
    return { ...undo };
  }

  async perform(actionKind: string, resource: Resource): Promise<ActOutcome> {
    this.assertAction(actionKind);
    const { sagemaker } = this.clients({ accountId: resource.scope.id, region: resource.region });
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: resource.name }));
    return { summary: `deleted endpoint ${resource.name}; its endpoint config ${String(resource.attributes['endpointConfigName'])} is kept for undo` };
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    this.assertAction(actionKind);
    const data = undoData as unknown as EndpointUndo;
    const { sagemaker } = this.clients({ accountId: ref.scopeId, region: ref.region });
    const ctx = { cloud: 'aws' as const, scopeId: ref.scopeId, region: ref.region, resourceId: ref.id };
    try {
      await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: data.endpointConfigName }));
    } catch (err) {
      if (isNotFound(err)) {
        throw new ProviderError(`cannot re-create ${data.endpointName}: its endpoint config ${data.endpointConfigName} was deleted`, { ...ctx, operation: 'DescribeEndpointConfig' }, { cause: err });
      }
      throw err;
    }
    await sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: data.endpointName,
        EndpointConfigName: data.endpointConfigName,
        Tags: Object.entries(data.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { summary: `re-created endpoint ${data.endpointName} from endpoint config ${data.endpointConfigName}` };
  }

  private assertKind(ref: ResourceRef): void {
    if (ref.kind !== SAGEMAKER_ENDPOINT) throw new ProviderError(`unsupported resource kind ${ref.kind}`, { cloud: 'aws', resourceId: ref.id });
  }

  private assertAction(kind: string): void {
    if (kind !== AWS_DELETE_ENDPOINT) throw new ProviderError(`unsupported action ${kind}`, { cloud: 'aws', operation: kind });
  }
}

function windowOf(opts: CollectOptions): { start: Date; end: Date } {
  const end = opts.now;
  return { start: new Date(end.getTime() - opts.lookbackHours * 3600_000), end };
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
