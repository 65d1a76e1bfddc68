import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { UsageSeries } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import { plannedSignals, type ActOutcome, type CloudProvider, type Collection, type CollectionFailure, type CollectOptions, type ScopeTarget } from '../port.js';
import { GcpBilling, type GcpBillingOptions } from './billing.js';
import type { GcpClientFactory } from './clients.js';
import type { GcpCtx, GcpMetricQuery } from './context.js';
import { describeGoogleError } from './errors.js';
import { gcpKindRegistry } from './kinds/index.js';
import { alignmentSeconds, readTimeSeries, type MonitoringMeter } from './monitoring.js';
import { withRetry, type GcpRetryOptions } from './retry.js';

/** Tuning of the gcp provider. */
export interface GcpProviderOptions {
  readonly retry?: GcpRetryOptions;
  /** Costs (billing export), Google budgets, Catalog prices and project billing; absent = none are read. */
  readonly billing?: Omit<GcpBillingOptions, 'call'>;
  /** The clock re-reads before acting use (the sandbox world's in local runs); default: the machine's. */
  readonly now?: () => Date;
}

/**
 * Google Cloud behind the CloudProvider port: Vertex AI endpoints, Workbench instances and
 * custom jobs, dispatched over the explicit kind list (shared/providers/gcp/kinds). Clients come
 * from the injected factory. A project is read region by region for inventory, then once per
 * metric for usage (Cloud Monitoring is per project).
 */
export class GcpProvider implements CloudProvider {
  readonly cloud = 'gcp' as const;
  readonly registry = gcpKindRegistry();
  /** listTimeSeries calls and series read since this provider was made. */
  readonly meter: MonitoringMeter = { calls: 0, series: 0 };
  private readonly retry: GcpRetryOptions;
  /** The money side: billing export, budgets, Catalog prices, project billing. */
  readonly billing: GcpBilling | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly clients: GcpClientFactory,
    options: GcpProviderOptions = {},
  ) {
    this.retry = options.retry ?? {};
    this.now = options.now ?? (() => new Date());
    const billingClients = clients.billing;
    this.billing =
      options.billing && billingClients ? new GcpBilling(billingClients, { ...options.billing, call: (fn) => withRetry(fn, true, this.retry) }) : undefined;
  }

  private ctx(projectId: string, region: string, now: Date = this.now(), cache?: CollectOptions['cache']): GcpCtx {
    const retry = this.retry;
    return {
      clients: this.clients({ projectId, region }),
      projectId,
      region,
      retry,
      call: (fn, idempotent = true) => withRetry(fn, idempotent, retry),
      ...(this.billing ? { billing: this.billing } : {}),
      now,
      ...(cache ? { cache } : {}),
    };
  }

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    let found!: (r: readonly Resource[]) => void;
    const inventory = new Promise<readonly Resource[]>((resolve) => (found = resolve));
    // Costs, budgets and prices are read alongside the regions; one failing leaves the other standing.
    const money = this.billing?.collect(target.scope, inventory, opts);
    let compute: Collection;
    try {
      compute = await this.collectCompute(target, opts, found);
    } finally {
      found([]);
    }
    const billing = await money;
    if (!billing) return compute;
    return {
      ...compute,
      costs: billing.costs,
      budgets: billing.budgets,
      forecasts: billing.forecasts,
      prices: billing.prices,
      failures: [...compute.failures, ...billing.failures],
    };
  }

  private async collectCompute(target: ScopeTarget, opts: CollectOptions, found: (r: readonly Resource[]) => void): Promise<Collection> {
    const scope = target.scope;
    const failures: CollectionFailure[] = [];
    if (target.regions.length === 0) {
      // Never an empty scan that looks clean: say what is missing.
      failures.push({ scope, operation: 'regions', message: 'no regions to read: list them in clouds.gcp.projects[].regions (e.g. [us-central1])' });
    }
    // Kinds listed once per project (its billing link), beside the regions.
    const perScope = Promise.all(
      this.registry.modules
        .filter((m) => m.listedPer === 'scope' && plannedSignals(opts, m.kind) !== undefined)
        .map(async (m) => {
          try {
            return await m.list(this.ctx(scope.id, 'global', opts.now, opts.cache), scope, 'global');
          } catch (err) {
            failures.push({ scope, operation: m.inventoryOperation, message: describeGoogleError(err) });
            return [];
          }
        }),
    );
    const perRegion = await Promise.all(
      target.regions.map(async (region) => {
        const ctx = this.ctx(scope.id, region, opts.now, opts.cache);
        // The plan of the scan (its rules) says which kinds to list and which signals to read.
        const planned = this.registry.modules.filter((m) => (m.listedPer ?? 'region') === 'region' && plannedSignals(opts, m.kind) !== undefined);
        const lists = await Promise.all(
          planned.map(async (m) => {
            try {
              return await m.list(ctx, scope, region);
            } catch (err) {
              failures.push({ scope, region, operation: m.inventoryOperation, message: describeGoogleError(err) });
              return [];
            }
          }),
        );
        const resources = lists.flat();
        const queries: GcpMetricQuery[] = [];
        for (const m of planned) {
          const signals = plannedSignals(opts, m.kind) ?? [];
          const running = resources.filter((r) => r.kind === m.kind && r.lifecycle === 'running' && (opts.usageDue?.(r) ?? true));
          if (!m.usageQueries || running.length === 0 || signals.length === 0) continue;
          const wanted = (await m.usageQueries(ctx, running)).filter((q) => signals.includes(q.signal) || (q.alsoAs !== undefined && signals.includes(q.alsoAs)));
          queries.push(...wanted);
        }
        return { resources, queries };
      }),
    );
    found(perRegion.flatMap((r) => r.resources));
    const resources = [...perRegion.flatMap((r) => r.resources), ...(await perScope).flat()];
    const queries = perRegion.flatMap((r) => r.queries);
    const usage = await this.read(scope, target.regions[0] ?? 'global', queries, opts);
    const failed = [...new Set(usage.filter((u) => u.status === 'error').map((u) => u.error ?? 'failed'))];
    for (const message of failed) failures.push({ scope, operation: 'monitoring:ListTimeSeries', message });
    return { scope, resources, usage, costs: [], budgets: [], failures };
  }

  private read(scope: Scope, region: string, queries: readonly GcpMetricQuery[], opts: CollectOptions): Promise<UsageSeries[]> {
    if (queries.length === 0) return Promise.resolve([]);
    const ctx = this.ctx(scope.id, region, opts.now);
    const end = opts.now;
    const period = alignmentSeconds(opts.lookbackHours);
    // A whole number of periods, so the periods Cloud Monitoring ends at `end` also start at `start`.
    const periods = Math.ceil((opts.lookbackHours * 3600) / period);
    const window = { start: new Date(end.getTime() - periods * period * 1000), end };
    return readTimeSeries(ctx.clients.monitoring, scope.id, queries, window, period, (fn) => ctx.call(fn), this.meter);
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    return this.registry.module(ref.kind).describe(this.ctx(ref.scopeId, ref.region), ref);
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    const m = this.registry.module(resource.kind);
    if (!m.usageQueries || resource.lifecycle !== 'running') return [];
    const queries = await m.usageQueries(this.ctx(resource.scope.id, resource.region), [resource]);
    return this.read(resource.scope, resource.region, queries, opts);
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    return this.registry.action(actionKind, resource.kind).capture(this.ctx(resource.scope.id, resource.region), resource);
  }

  async perform(actionKind: string, resource: Resource, parameters: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const action = this.registry.action(actionKind, resource.kind);
    const why = action.precondition?.(resource);
    if (why) throw new ProviderError(`${actionKind} does not apply to ${resource.name}: ${why}`, { cloud: 'gcp', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation: actionKind });
    return action.perform(this.ctx(resource.scope.id, resource.region), resource, parameters);
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const action = this.registry.action(actionKind, ref.kind);
    if (!action.undo) throw new ProviderError(`${actionKind} cannot be undone`, { cloud: 'gcp', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: actionKind });
    return action.undo(this.ctx(ref.scopeId, ref.region), ref, undoData);
  }
}
