import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { UsageSeries } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import { plannedSignals, type ActOutcome, type CloudProvider, type Collection, type CollectionFailure, type CollectOptions, type ScopeTarget } from '../port.js';
import { GcpBilling, type GcpBillingOptions } from './billing.js';
import type { GcpClientFactory } from './clients.js';
import type { GcpCtx, GcpMetricQuery, GcsColdArtifactsOptions } from './context.js';
import { describeGoogleError } from './errors.js';
import { gcpKindRegistry } from './kinds/index.js';
import { alignmentSeconds, readTimeSeries, type MonitoringMeter } from './monitoring.js';
import { withRetry, type GcpRetryOptions } from './retry.js';

/** Tuning of the gcp provider. */
export interface GcpProviderOptions {
  readonly retry?: GcpRetryOptions;
  /** The clock re-reads before acting count object ages to (the sandbox's world clock); default the machine's. */
  readonly now?: () => Date;
  /** Cloud Storage cold-artifacts settings; absent when the rule is off (buckets are then not listed). */
  readonly coldArtifacts?: GcsColdArtifactsOptions;
  /** Costs (billing export), Google budgets, Catalog prices and project billing; absent = none are read. */
  readonly billing?: Omit<GcpBillingOptions, 'call'>;
}

/** Regions listed at once when a project's regions were discovered rather than configured. */
const PARALLEL_REGIONS = 8;

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
  private readonly now: () => Date;
  private readonly coldArtifacts: GcsColdArtifactsOptions | undefined;
  /** Vertex AI locations of each project configured without regions, listed once per provider. */
  private readonly discovered = new Map<string, Promise<string[]>>();
  /** The money side: billing export, budgets, Catalog prices, project billing. */
  readonly billing: GcpBilling | undefined;

  constructor(
    private readonly clients: GcpClientFactory,
    options: GcpProviderOptions = {},
  ) {
    this.retry = options.retry ?? {};
    this.now = options.now ?? (() => new Date());
    this.coldArtifacts = options.coldArtifacts;
    const billingClients = clients.billing;
    this.billing =
      options.billing && billingClients ? new GcpBilling(billingClients, { ...options.billing, call: (fn) => withRetry(fn, true, this.retry) }) : undefined;
  }

  private ctx(projectId: string, region: string, now: Date = this.now(), failures?: CollectionFailure[], memo = new Map<string, Promise<unknown>>(), cache?: CollectOptions['cache']): GcpCtx {
    const retry = this.retry;
    return {
      clients: this.clients({ projectId, region }),
      projectId,
      region,
      retry,
      call: (fn, idempotent = true) => withRetry(fn, idempotent, retry),
      now,
      ...(this.coldArtifacts ? { coldArtifacts: this.coldArtifacts } : {}),
      ...(this.billing ? { billing: this.billing } : {}),
      ...(cache ? { cache } : {}),
      reportFailure: (f) => {
        if (!failures) throw new ProviderError(`${f.operation}: ${f.message}`, { cloud: 'gcp', scopeId: projectId, operation: f.operation });
        failures.push(f);
      },
      once: <T>(key: string, fn: () => Promise<T>) => {
        let hit = memo.get(key) as Promise<T> | undefined;
        if (!hit) {
          hit = fn();
          memo.set(key, hit);
        }
        return hit;
      },
    };
  }

  /**
   * The regions to read in a project: those configured, or, for a project configured without
   * regions, every location the Vertex AI Locations API lists for it (`projects.locations.list`),
   * once per provider.
   */
  private async regionsOf(target: ScopeTarget, failures: CollectionFailure[]): Promise<readonly string[]> {
    if (target.regions.length > 0) return target.regions;
    const id = target.scope.id;
    let pending = this.discovered.get(id);
    if (!pending) {
      const ctx = this.ctx(id, DISCOVERY_REGION);
      pending = (async () => {
        const out: string[] = [];
        for await (const l of ctx.clients.endpoints.listLocationsAsync({ name: `projects/${id}` })) {
          const loc = l.locationId ?? l.name?.split('/').pop() ?? '';
          if (/^[a-z]+-[a-z]+\d{1,2}$/.test(loc)) out.push(loc);
        }
        return [...new Set(out)].sort();
      })();
      this.discovered.set(id, pending);
      // A failed listing is tried again by the next scan.
      pending.catch(() => this.discovered.delete(id));
    }
    try {
      return await pending;
    } catch (err) {
      failures.push({ scope: target.scope, operation: 'aiplatform:ListLocations', message: `no regions configured for the project and its Vertex AI locations could not be listed: ${describeGoogleError(err)}; list them in clouds.gcp.projects[].regions` });
      return [];
    }
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
      storagePrices: billing.storagePrices,
      failures: [...compute.failures, ...billing.failures],
    };
  }

  private async collectCompute(target: ScopeTarget, opts: CollectOptions, found: (r: readonly Resource[]) => void): Promise<Collection> {
    const scope = target.scope;
    const failures: CollectionFailure[] = [];
    // The plan of the scan (its rules) says which kinds to list and which signals to read.
    const planned = this.registry.modules.filter((m) => plannedSignals(opts, m.kind) !== undefined);
    const perScope = planned.filter((m) => m.listedPer === 'scope');
    const regional = planned.filter((m) => m.listedPer !== 'scope');
    const regions = regional.length > 0 ? await this.regionsOf(target, failures) : target.regions;
    const home = regions[0] ?? DISCOVERY_REGION;
    // One memo per collect: a listing shared by the regions of a project (Workbench's `locations/-`) is made once.
    const memo = new Map<string, Promise<unknown>>();
    const listOf = async (m: (typeof planned)[number], ctx: GcpCtx, region: string, regionOfFailure?: string) => {
      try {
        return await m.list(ctx, scope, region);
      } catch (err) {
        failures.push({ scope, ...(regionOfFailure ? { region: regionOfFailure } : {}), operation: m.inventoryOperation, message: describeGoogleError(err) });
        return [];
      }
    };
    const scoped = perScope.length > 0 ? (await Promise.all(perScope.map((m) => listOf(m, this.ctx(scope.id, home, opts.now, failures, memo, opts.cache), home)))).flat() : [];
    const perRegion = await mapLimit(regional.length > 0 ? regions : [], PARALLEL_REGIONS, async (region) => {
      const ctx = this.ctx(scope.id, region, opts.now, failures, memo, opts.cache);
      const lists = await Promise.all(regional.map((m) => listOf(m, ctx, region, region)));
      const resources = lists.flat();
      const queries: GcpMetricQuery[] = [];
      for (const m of regional) {
        const signals = plannedSignals(opts, m.kind) ?? [];
        const running = resources.filter((r) => r.kind === m.kind && r.lifecycle === 'running' && (opts.usageDue?.(r) ?? true));
        if (!m.usageQueries || running.length === 0 || signals.length === 0) continue;
        const wanted = (await m.usageQueries(ctx, running)).filter((q) => signals.includes(q.signal) || (q.alsoAs !== undefined && signals.includes(q.alsoAs)));
        queries.push(...wanted);
      }
      return { resources, queries };
    });
    const resources = [...perRegion.flatMap((r) => r.resources), ...scoped];
    found(resources);
    const queries = perRegion.flatMap((r) => r.queries);
    const usage = await this.read(scope, home, queries, opts);
    const failed = [...new Set(usage.filter((u) => u.status === 'error').map((u) => u.error ?? 'failed'))];
    for (const message of failed) failures.push({ scope, operation: 'monitoring:ListTimeSeries', message });
    return { scope, resources, usage, costs: [], budgets: [], failures };
  }

  private read(scope: Scope, region: string, queries: readonly GcpMetricQuery[], opts: CollectOptions): Promise<UsageSeries[]> {
    if (queries.length === 0) return Promise.resolve([]);
    const ctx = this.ctx(scope.id, region);
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

/** A region to point regional clients at when a call is not regional (the Locations listing). */
const DISCOVERY_REGION = 'us-central1';

/** Maps over items at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
