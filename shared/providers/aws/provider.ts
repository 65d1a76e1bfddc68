import { ListMetricsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  DeleteAppCommand,
  DeleteEndpointCommand,
  DescribeEndpointConfigCommand,
  StartNotebookInstanceCommand,
  StopNotebookInstanceCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  type AppType,
} from '@aws-sdk/client-sagemaker';
import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { UsageSeries } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import { instanceSpec } from '../../pricing/instance-types.js';
import type { ActOutcome, CloudProvider, Collection, CollectionFailure, CollectOptions, ScopeTarget } from '../port.js';
import type { AwsClientFactory } from './clients.js';
import { PUT_LIFECYCLE_RULE, S3_PREFIX_KIND } from '../../rules/cold-artifacts.js';
import { AwsBilling, type AwsBillingOptions } from './billing.js';
import type { ColdArtifacts } from './s3-artifacts.js';
import { MAX_QUERIES_PER_CALL, readMetrics, type MetricMeter, type MetricRequest } from './metrics.js';
import { describeEndpoint, isNotFound, listEndpoints, SAGEMAKER_ENDPOINT } from './sagemaker-endpoints.js';
import {
  describeProcessingJob,
  describeTrainingJob,
  listProcessingJobs,
  listTrainingJobs,
  SAGEMAKER_PROCESSING_JOB,
  SAGEMAKER_TRAINING_JOB,
} from './sagemaker-jobs.js';
import { describeNotebook, listNotebooks, SAGEMAKER_NOTEBOOK } from './sagemaker-notebooks.js';
import { describeStudioAppByRef, listStudioApps, SAGEMAKER_STUDIO_APP } from './sagemaker-studio.js';

/** Action kinds the AWS provider performs. */
export const AWS_DELETE_ENDPOINT = 'aws.sagemaker.delete-endpoint';
export const AWS_STOP_NOTEBOOK = 'aws.sagemaker.stop-notebook-instance';
export const AWS_DELETE_STUDIO_APP = 'aws.sagemaker.delete-studio-app';
export const AWS_STOP_TRAINING_JOB = 'aws.sagemaker.stop-training-job';
export const AWS_STOP_PROCESSING_JOB = 'aws.sagemaker.stop-processing-job';

/** The resource kind each action applies to. */
const ACTION_KINDS: Readonly<Record<string, string>> = {
  [AWS_DELETE_ENDPOINT]: SAGEMAKER_ENDPOINT,
  [AWS_STOP_NOTEBOOK]: SAGEMAKER_NOTEBOOK,
  [AWS_DELETE_STUDIO_APP]: SAGEMAKER_STUDIO_APP,
  [AWS_STOP_TRAINING_JOB]: SAGEMAKER_TRAINING_JOB,
  [AWS_STOP_PROCESSING_JOB]: SAGEMAKER_PROCESSING_JOB,
};

/** GetMetricData returns at most this many datapoints per call before paginating. */
const MAX_DATAPOINTS_PER_CALL = 100_800;

/**
 * Metric period for a look-back: the smallest whole number of hours that keeps a full batch of
 * 500 series within one GetMetricData page (100,800 datapoints), so reading n series costs
 * ⌈n/500⌉ calls — 2 h for the default 14-day look-back.
 */
export function metricPeriodSeconds(lookbackHours: number): number {
  const pointsPerSeries = Math.floor(MAX_DATAPOINTS_PER_CALL / MAX_QUERIES_PER_CALL);
  return 3600 * Math.max(1, Math.ceil(lookbackHours / pointsPerSeries));
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

/**
 * AWS publishes no CloudWatch metric for notebook instances. The aws-samples lifecycle
 * configuration `publish-instance-metrics` runs the CloudWatch agent, which publishes
 * `cpu_usage_idle` with the notebook's name; when it is there, it is read as CPU in use.
 */
export const NOTEBOOK_CPU = { namespace: 'SageMakerNotebookInstances', metricName: 'cpu_usage_idle', nameDimension: 'notebook_instance_name' } as const;

/** Undo data saved before an endpoint is deleted. */
interface EndpointUndo {
  endpointName: string;
  endpointConfigName: string;
  tags: Record<string, string>;
  variants: { name: string; instanceType?: string; instanceCount: number; capacity: string }[];
}

/** Tuning of the AWS provider. */
export interface AwsProviderOptions {
  /** Describe calls in flight per inventory, per account and region (default 8). */
  readonly describeConcurrency?: number;
  /** Costs, forecasts, anomalies, AWS budgets, Price List prices and watched S3 buckets; absent = none are read. */
  readonly billing?: AwsBillingOptions;
}

/** AWS behind the CloudProvider port; SDK clients come from the injected factory. */
export class AwsProvider implements CloudProvider {
  readonly cloud = 'aws' as const;
  /** GetMetricData calls, queries and billed metrics since this provider was made. */
  readonly meter: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };
  /** The same, per `<account>/<region>` collected. */
  readonly regionMeters = new Map<string, MetricMeter>();
  private readonly concurrency: number;

  constructor(
    private readonly clients: AwsClientFactory,
    options: AwsProviderOptions = {},
  ) {
    this.concurrency = Math.max(1, options.describeConcurrency ?? 8);
    this.billing = options.billing ? new AwsBilling(clients, options.billing) : undefined;
    this.now = options.billing?.now ?? (() => new Date());
  }

  private readonly billing: AwsBilling | undefined;
  private readonly now: () => Date;

  /** The S3 lifecycle side; only there when buckets are watched. */
  private artifacts(): ColdArtifacts {
    const a = this.billing?.coldArtifacts;
    if (!a) throw new ProviderError('no S3 buckets are watched (rules.cold-artifacts.buckets is empty)', { cloud: 'aws', operation: PUT_LIFECYCLE_RULE });
    return a;
  }

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    const regions = Promise.all(target.regions.map((region) => this.collectRegion(target.scope, region, opts)));
    // Cost Explorer, Budgets and S3 are read once per account, not per region, alongside the regions.
    const billing = this.billing?.collect(
      target.scope,
      regions.then((rs) => rs.flatMap((r) => r.resources)),
      opts,
    );
    const [perRegion, money] = await Promise.all([regions, billing]);
    return {
      scope: target.scope,
      resources: [...perRegion.flatMap((r) => r.resources), ...(money?.resources ?? [])],
      usage: perRegion.flatMap((r) => r.usage),
      costs: money?.costs ?? [],
      budgets: money?.budgets ?? [],
      ...(money ? { forecasts: money.forecasts, anomalies: money.anomalies, prices: money.prices } : {}),
      failures: [...perRegion.flatMap((r) => r.failures), ...(money?.failures ?? [])],
    };
  }

  private async collectRegion(scope: Scope, region: string, opts: CollectOptions) {
    const failures: CollectionFailure[] = [];
    const { sagemaker: sm, cloudwatch } = this.clients({ accountId: scope.id, region });
    const c = this.concurrency;
    // One inventory failing (say, no permission for Studio) leaves the others standing.
    const inventories: [string, () => Promise<Resource[]>][] = [
      ['sagemaker:ListEndpoints/DescribeEndpoint', () => listEndpoints(sm, scope, region, c)],
      ['sagemaker:ListNotebookInstances/DescribeNotebookInstance', () => listNotebooks(sm, scope, region, c)],
      ['sagemaker:ListDomains/ListApps/DescribeApp', () => listStudioApps(sm, scope, region, c)],
      ['sagemaker:ListTrainingJobs/DescribeTrainingJob', () => listTrainingJobs(sm, scope, region, c)],
      ['sagemaker:ListProcessingJobs/DescribeProcessingJob', () => listProcessingJobs(sm, scope, region, c)],
    ];
    const lists = await Promise.all(
      inventories.map(async ([operation, read]) => {
        try {
          return await read();
        } catch (err) {
          failures.push({ scope, region, operation, message: describeError(err) });
          return [];
        }
      }),
    );
    const resources = lists.flat();
    const running = resources.filter((r) => r.lifecycle === 'running');
    const requests = running.filter((r) => r.kind === SAGEMAKER_ENDPOINT).flatMap(endpointMetricRequests);
    const notebooks = running.filter((r) => r.kind === SAGEMAKER_NOTEBOOK);
    if (notebooks.length > 0) {
      try {
        requests.push(...(await notebookCpuRequests(cloudwatch, notebooks)));
      } catch (err) {
        failures.push({ scope, region, operation: 'cloudwatch:ListMetrics', message: describeError(err) });
      }
    }
    const regional: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };
    const usage = await readMetrics(cloudwatch, requests, windowOf(opts), metricPeriodSeconds(opts.lookbackHours), regional);
    this.meter.calls += regional.calls;
    this.meter.queries += regional.queries;
    this.meter.metricsRequested += regional.metricsRequested;
    this.regionMeters.set(`${scope.id}/${region}`, regional);
    const failed = usage.find((u) => u.status === 'error');
    if (failed) failures.push({ scope, region, operation: 'cloudwatch:GetMetricData', message: failed.error ?? 'failed' });
    return { resources, usage, failures };
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    if (ref.kind === S3_PREFIX_KIND) return this.artifacts().describe(ref, this.now());
    const { sagemaker: sm } = this.clients({ accountId: ref.scopeId, region: ref.region });
    const scope: Scope = { cloud: 'aws', id: ref.scopeId };
    switch (ref.kind) {
      case SAGEMAKER_ENDPOINT:
        return describeEndpoint(sm, scope, ref.region, ref.name);
      case SAGEMAKER_NOTEBOOK:
        return describeNotebook(sm, scope, ref.region, ref.name);
      case SAGEMAKER_STUDIO_APP:
        return describeStudioAppByRef(sm, scope, ref.region, ref.id, ref.name);
      case SAGEMAKER_TRAINING_JOB:
        return describeTrainingJob(sm, scope, ref.region, ref.name);
      case SAGEMAKER_PROCESSING_JOB:
        return describeProcessingJob(sm, scope, ref.region, ref.name);
      default:
        throw new ProviderError(`unsupported resource kind ${ref.kind}`, { cloud: 'aws', resourceId: ref.id });
    }
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    if (resource.kind === S3_PREFIX_KIND) return [];
    const { cloudwatch } = this.clients({ accountId: resource.scope.id, region: resource.region });
    const requests =
      resource.kind === SAGEMAKER_ENDPOINT
        ? endpointMetricRequests(resource)
        : resource.kind === SAGEMAKER_NOTEBOOK && resource.lifecycle === 'running'
          ? await notebookCpuRequests(cloudwatch, [resource])
          : [];
    return readMetrics(cloudwatch, requests, windowOf(opts), metricPeriodSeconds(opts.lookbackHours), this.meter);
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    if (actionKind === PUT_LIFECYCLE_RULE && resource.kind === S3_PREFIX_KIND) return this.artifacts().captureUndo(resource);
    this.assertAction(actionKind, resource.kind);
    switch (actionKind) {
      case AWS_DELETE_ENDPOINT:
        return { ...endpointUndo(resource) };
      case AWS_STOP_NOTEBOOK:
        return { notebookInstanceName: resource.name, instanceType: resource.components[0]?.instanceType ?? null, status: resource.state, tags: { ...resource.tags } };
      case AWS_DELETE_STUDIO_APP:
        // Nothing can bring the app back; this records what was deleted, for the audit log.
        return { ...studioAppKeyOf(resource), instanceType: resource.components[0]?.instanceType ?? null };
      default:
        // Stopping a job cannot be undone; record what was stopped and how far it got.
        return {
          jobName: resource.name,
          status: resource.state,
          startedAt: resource.attributes['startedAt'] ?? null,
          instances: resource.components.map((c) => ({ instanceType: c.instanceType ?? null, instanceCount: c.instanceCount })),
        };
    }
  }

  async perform(actionKind: string, resource: Resource): Promise<ActOutcome> {
    if (actionKind === PUT_LIFECYCLE_RULE && resource.kind === S3_PREFIX_KIND) return this.artifacts().perform(resource);
    this.assertAction(actionKind, resource.kind);
    const { sagemaker: sm } = this.clients({ accountId: resource.scope.id, region: resource.region });
    switch (actionKind) {
      case AWS_DELETE_ENDPOINT:
        await sm.send(new DeleteEndpointCommand({ EndpointName: resource.name }));
        return { summary: `deleted endpoint ${resource.name}; its endpoint config ${String(resource.attributes['endpointConfigName'])} is kept for undo` };
      case AWS_STOP_NOTEBOOK:
        await sm.send(new StopNotebookInstanceCommand({ NotebookInstanceName: resource.name }));
        return { summary: `stopped notebook instance ${resource.name}; its ML storage volume and files are kept, Undo starts it again` };
      case AWS_DELETE_STUDIO_APP: {
        const k = studioAppKeyOf(resource);
        await sm.send(
          new DeleteAppCommand({ DomainId: k.domainId, AppType: k.appType as AppType, AppName: k.appName, ...(k.spaceName ? { SpaceName: k.spaceName } : { UserProfileName: k.userProfileName ?? undefined }) }),
        );
        return { summary: `deleted Studio app ${resource.name}; the user's files stay in ${k.spaceName ? `space ${k.spaceName}'s storage` : 'their home directory'}, the app is not restored by Undo` };
      }
      case AWS_STOP_TRAINING_JOB:
        await sm.send(new StopTrainingJobCommand({ TrainingJobName: resource.name }));
        return { summary: `stopped training job ${resource.name} (it cannot be resumed; a new job must be started)` };
      default:
        await sm.send(new StopProcessingJobCommand({ ProcessingJobName: resource.name }));
        return { summary: `stopped processing job ${resource.name} (it cannot be resumed; a new job must be started)` };
    }
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    if (actionKind === PUT_LIFECYCLE_RULE && ref.kind === S3_PREFIX_KIND) return this.artifacts().undo(ref, undoData);
    this.assertAction(actionKind, ref.kind);
    const { sagemaker: sm } = this.clients({ accountId: ref.scopeId, region: ref.region });
    const ctx = { cloud: 'aws' as const, scopeId: ref.scopeId, region: ref.region, resourceId: ref.id };
    if (actionKind === AWS_STOP_NOTEBOOK) {
      const name = typeof undoData['notebookInstanceName'] === 'string' ? undoData['notebookInstanceName'] : ref.name;
      const now = await describeNotebook(sm, { cloud: 'aws', id: ref.scopeId }, ref.region, name);
      if (!now) throw new ProviderError(`cannot start ${name}: the notebook instance was deleted`, { ...ctx, operation: 'DescribeNotebookInstance' });
      if (now.state === 'InService' || now.state === 'Pending') return { summary: `notebook instance ${name} is already ${now.state}; nothing to undo` };
      if (now.state !== 'Stopped' && now.state !== 'Failed') {
        throw new ProviderError(`cannot start ${name} while it is ${now.state}; try Undo again once it has stopped`, { ...ctx, operation: 'StartNotebookInstance' });
      }
      await sm.send(new StartNotebookInstanceCommand({ NotebookInstanceName: name }));
      return { summary: `started notebook instance ${name} again` };
    }
    if (actionKind !== AWS_DELETE_ENDPOINT) {
      throw new ProviderError(`${actionKind} cannot be undone`, { ...ctx, operation: actionKind });
    }
    const data = undoData as unknown as EndpointUndo;
    try {
      await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: data.endpointConfigName }));
    } catch (err) {
      if (isNotFound(err)) {
        throw new ProviderError(`cannot re-create ${data.endpointName}: its endpoint config ${data.endpointConfigName} was deleted`, { ...ctx, operation: 'DescribeEndpointConfig' }, { cause: err });
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
  }

  private assertAction(kind: string, resourceKind: string): void {
    const expected = ACTION_KINDS[kind];
    if (!expected) throw new ProviderError(`unsupported action ${kind}`, { cloud: 'aws', operation: kind });
    if (expected !== resourceKind) throw new ProviderError(`${kind} applies to ${expected}, not ${resourceKind}`, { cloud: 'aws', operation: kind });
  }
}

function endpointUndo(resource: Resource): EndpointUndo {
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
  return {
    endpointName: resource.name,
    endpointConfigName: configName,
    tags: { ...resource.tags },
    variants: resource.components.map((c) => ({ name: c.name, instanceCount: c.instanceCount, capacity: c.capacity, ...(c.instanceType ? { instanceType: c.instanceType } : {}) })),
  };
}

function studioAppKeyOf(r: Resource): { domainId: string; appType: string; appName: string; spaceName: string | null; userProfileName: string | null } {
  const a = r.attributes;
  const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : null);
  const domainId = str('domainId');
  const appType = str('appType');
  const appName = str('appName');
  if (!domainId || !appType || !appName) {
    throw new ProviderError(`Studio app ${r.name} lacks its domain, type or name`, { cloud: 'aws', scopeId: r.scope.id, region: r.region, resourceId: r.id });
  }
  return { domainId, appType, appName, spaceName: str('spaceName'), userProfileName: str('userProfileName') };
}

/** Finds the published CPU metrics of running notebooks (one ListMetrics listing per region) and asks for them. */
async function notebookCpuRequests(cw: CloudWatchClient, notebooks: readonly Resource[]): Promise<MetricRequest[]> {
  const byName = new Map(notebooks.map((n) => [n.name, n]));
  const only = notebooks.length === 1 ? notebooks[0] : undefined;
  const out: MetricRequest[] = [];
  let token: string | undefined;
  do {
    const page = await cw.send(
      new ListMetricsCommand({
        Namespace: NOTEBOOK_CPU.namespace,
        MetricName: NOTEBOOK_CPU.metricName,
        Dimensions: [{ Name: 'cpu', Value: 'cpu-total' }, ...(only ? [{ Name: NOTEBOOK_CPU.nameDimension, Value: only.name }] : [])],
        NextToken: token,
      }),
    );
    for (const m of page.Metrics ?? []) {
      const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
      const nb = byName.get(dims[NOTEBOOK_CPU.nameDimension] ?? '');
      if (!nb) continue;
      out.push({
        resourceId: nb.id,
        signal: 'cpu',
        namespace: NOTEBOOK_CPU.namespace,
        metricName: NOTEBOOK_CPU.metricName,
        dimensions: dims,
        stat: 'Average',
        unit: 'Percent',
        invert: true,
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

function windowOf(opts: CollectOptions): { start: Date; end: Date } {
  const end = opts.now;
  return { start: new Date(end.getTime() - opts.lookbackHours * 3600_000), end };
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
