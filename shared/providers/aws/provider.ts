import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { ResourceFact, UsageSeries } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import type { KindAction, KindRegistry } from '../kind.js';
import { plannedFacts, plannedSignals, type ActOutcome, type CloudProvider, type Collection, type CollectionFailure, type CollectOptions, type ScopeTarget } from '../port.js';
import type { AwsClientFactory } from './clients.js';
import { AwsBilling, type AwsBillingOptions } from './billing.js';
import { readUsage, type KindMetrics, type MetricMeter, type MetricRequest } from './metrics.js';
import { AWS_KINDS, awsKindRegistry, type AwsKindContext, type AwsKindModule } from './kinds/index.js';

export { AWS_DELETE_ENDPOINT, AWS_LOWER_FLOOR, endpointMetricRequests } from './kinds/sagemaker-endpoint.js';
export { AWS_STOP_NOTEBOOK, NOTEBOOK_CPU } from './kinds/sagemaker-notebook-instance.js';
export { AWS_DELETE_STUDIO_APP } from './kinds/sagemaker-studio-app.js';
export { AWS_STOP_TRAINING_JOB } from './kinds/sagemaker-training-job.js';
export { AWS_STOP_PROCESSING_JOB } from './kinds/sagemaker-processing-job.js';

/** Where kinds listed once per account (S3 buckets) are read from: ListBuckets is global. */
const HOME_REGION = 'us-east-1';

/** Tuning of the AWS provider. */
export interface AwsProviderOptions {
  /** Describe calls in flight per inventory, per account and region (default 8). */
  readonly describeConcurrency?: number;
  /** Costs, forecasts, anomalies, AWS budgets, Price List prices and watched S3 buckets; absent = none are read. */
  readonly billing?: AwsBillingOptions;
  /** The resource kinds watched (default: every AWS kind, `AWS_KINDS`). */
  readonly kinds?: readonly AwsKindModule[];
  /**
   * Facts besides usage read when one resource is re-read (before acting, on a cloud event):
   * those the enabled rules need (default none). A scan reads what its collection plan names.
   */
  readonly facts?: readonly ResourceFact[];
}

/** AWS behind the CloudProvider port; SDK clients come from the injected factory. */
export class AwsProvider implements CloudProvider {
  readonly cloud = 'aws' as const;
  /** GetMetricData calls, queries and billed metrics since this provider was made. */
  readonly meter: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };
  /** The same, per `<account>/<region>` collected. */
  readonly regionMeters = new Map<string, MetricMeter>();
  private readonly concurrency: number;
  /** The kinds this provider lists, reads and acts on; every dispatch goes through it. */
  readonly kinds: KindRegistry<AwsKindContext, MetricRequest>;

  constructor(
    private readonly clients: AwsClientFactory,
    options: AwsProviderOptions = {},
  ) {
    this.concurrency = Math.max(1, options.describeConcurrency ?? 8);
    this.billing = options.billing ? new AwsBilling(clients, options.billing) : undefined;
    this.now = options.billing?.now ?? (() => new Date());
    this.kinds = awsKindRegistry(options.kinds ?? AWS_KINDS);
    this.facts = options.facts ?? [];
  }

  private readonly facts: readonly ResourceFact[];

  private readonly billing: AwsBilling | undefined;
  private readonly now: () => Date;

  /** What a kind module is handed for one account and region. */
  private context(
    scope: Scope,
    region: string,
    now: Date,
    reportFailure: (f: CollectionFailure) => void = () => {},
    cache?: CollectOptions['cache'],
    wants: (kind: string, fact: ResourceFact) => boolean = (_kind, fact) => this.facts.includes(fact),
  ): AwsKindContext {
    const coldArtifacts = this.billing?.coldArtifacts;
    return {
      scope,
      region,
      clients: this.clients({ accountId: scope.id, region }),
      clientsFor: this.clients,
      concurrency: this.concurrency,
      now,
      ...(coldArtifacts ? { coldArtifacts } : {}),
      ...(cache ? { cache } : {}),
      wants,
      reportFailure,
    };
  }

  private refContext(ref: ResourceRef): AwsKindContext {
    return this.context({ cloud: 'aws', id: ref.scopeId }, ref.region, this.now());
  }

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    const regions = Promise.all(target.regions.map((region) => this.collectRegion(target.scope, region, opts)));
    // Kinds listed per account (S3 buckets), Cost Explorer, Budgets and prices are read once per account, alongside the regions.
    const scoped = this.collectScoped(target.scope, opts);
    const billing = this.billing?.collect(
      target.scope,
      regions.then((rs) => rs.flatMap((r) => r.resources)),
      opts,
    );
    const [perRegion, money, perScope] = await Promise.all([regions, billing, scoped]);
    return {
      scope: target.scope,
      resources: [...perRegion.flatMap((r) => r.resources), ...perScope.resources],
      usage: perRegion.flatMap((r) => r.usage),
      costs: money?.costs ?? [],
      budgets: money?.budgets ?? [],
      ...(money ? { forecasts: money.forecasts, anomalies: money.anomalies, commitments: money.commitments, prices: money.prices } : {}),
      failures: [...perRegion.flatMap((r) => r.failures), ...(money?.failures ?? []), ...perScope.failures],
    };
  }

  /** Lists the kinds read once per account. Their usage, if any, is not read (none has usage queries today). */
  private async collectScoped(scope: Scope, opts: CollectOptions): Promise<{ resources: Resource[]; failures: CollectionFailure[] }> {
    const failures: CollectionFailure[] = [];
    const ctx = this.context(scope, HOME_REGION, opts.now, (f) => failures.push(f));
    const modules = this.kinds.modules.filter((m) => m.listedPer === 'scope' && plannedSignals(opts, m.kind) !== undefined);
    const lists = await Promise.all(
      modules.map(async (m) => {
        try {
          return await m.list(ctx, scope, HOME_REGION);
        } catch (err) {
          failures.push({ scope, operation: m.inventoryOperation, message: describeError(err) });
          return [];
        }
      }),
    );
    return { resources: lists.flat(), failures };
  }

  private async collectRegion(scope: Scope, region: string, opts: CollectOptions) {
    const failures: CollectionFailure[] = [];
    const ctx = this.context(scope, region, opts.now, (f) => failures.push(f), opts.cache, (kind, fact) => plannedFacts(opts, kind).includes(fact));
    const { cloudwatch } = ctx.clients;
    // Only the kinds the scan's rules judge are listed.
    const modules = this.kinds.modules.filter((m) => (m.listedPer ?? 'region') === 'region' && plannedSignals(opts, m.kind) !== undefined);
    // One inventory failing (say, no permission for Studio) leaves the others standing.
    const lists = await Promise.all(
      modules.map(async (m) => {
        try {
          return await m.list(ctx, scope, region);
        } catch (err) {
          failures.push({ scope, region, operation: m.inventoryOperation, message: describeError(err) });
          return [] as Resource[];
        }
      }),
    );
    const resources = lists.flat();
    const kinds: KindMetrics[] = [];
    for (const [i, m] of modules.entries()) {
      // Only the signals the rules read, of running resources whose usage is due (activity watermarks).
      const signals = plannedSignals(opts, m.kind) ?? [];
      const running = (lists[i] ?? []).filter((r) => r.lifecycle === 'running' && (opts.usageDue?.(r) ?? true));
      if (!m.usageQueries || running.length === 0 || signals.length === 0) continue;
      try {
        kinds.push({ requests: await m.usageQueries(ctx, running, signals), windowHours: opts.usageWindowHours?.[m.kind] ?? [] });
      } catch (err) {
        failures.push({ scope, region, operation: m.usageOperation ?? `${m.kind} usage queries`, message: describeError(err) });
      }
    }
    const regional: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };
    const usage = await readUsage(cloudwatch, kinds, opts, regional);
    this.meter.calls += regional.calls;
    this.meter.queries += regional.queries;
    this.meter.metricsRequested += regional.metricsRequested;
    this.regionMeters.set(`${scope.id}/${region}`, regional);
    const failed = usage.find((u) => u.status === 'error');
    if (failed) failures.push({ scope, region, operation: 'cloudwatch:GetMetricData', message: failed.error ?? 'failed' });
    return { resources, usage, failures };
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    if (!this.kinds.has(ref.kind)) throw new ProviderError(`unsupported resource kind ${ref.kind}`, { cloud: 'aws', resourceId: ref.id });
    return this.kinds.module(ref.kind).describe(this.refContext(ref), ref);
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    const m = this.kinds.has(resource.kind) ? this.kinds.module(resource.kind) : undefined;
    if (!m?.usageQueries) return [];
    const ctx = this.context(resource.scope, resource.region, opts.now);
    const { cloudwatch } = ctx.clients;
    const requests = await m.usageQueries(ctx, [resource]);
    return readUsage(cloudwatch, [{ requests, windowHours: opts.usageWindowHours?.[resource.kind] ?? [] }], opts, this.meter);
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    const action = this.actionFor(actionKind, resource);
    return action.capture(this.context(resource.scope, resource.region, this.now()), resource);
  }

  async perform(actionKind: string, resource: Resource, parameters: Readonly<Record<string, unknown>> = {}): Promise<ActOutcome> {
    const action = this.actionFor(actionKind, resource);
    return action.perform(this.context(resource.scope, resource.region, this.now()), resource, parameters);
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const action = this.kinds.action(actionKind, ref.kind);
    if (!action.undo) {
      throw new ProviderError(`${actionKind} cannot be undone`, { cloud: 'aws', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: actionKind });
    }
    return action.undo(this.refContext(ref), ref, undoData);
  }

  /** The action declared for the resource's kind, once its precondition holds on the resource as it is now. */
  private actionFor(actionKind: string, resource: Resource): KindAction<AwsKindContext> {
    const action = this.kinds.action(actionKind, resource.kind);
    const refused = action.precondition?.(resource);
    if (refused) {
      throw new ProviderError(refused, { cloud: 'aws', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation: actionKind });
    }
    return action;
  }
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
