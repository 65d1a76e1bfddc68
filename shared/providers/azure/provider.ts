import type { ComputeResource, Workspace } from '@azure/arm-machinelearning';
import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import type { UsageSeries, UsageSignal } from '../../domain/usage.js';
import { ProviderError } from '../../errors.js';
import type { KindRegistry } from '../kind.js';
import { plannedSignals, type ActOutcome, type CloudProvider, type Collection, type CollectionFailure, type CollectOptions, type ScopeTarget } from '../port.js';
import { AzureBilling, type AzureBillingOptions } from './billing.js';
import type { AzureClientFactory } from './clients.js';
import { azureKindRegistry, type AzureKindContext } from './kinds/index.js';
import { DEFAULT_BLOB_SETTINGS, type BlobArtifactsSettings } from './blob-artifacts.js';
import { workspaceRefs, type WorkspaceRef } from './kinds/context.js';
import { readAzureMetrics, type AzureMetricMeter, type AzureMetricQuery } from './metrics.js';

/** Interval of the usage series read from Azure Monitor: hourly, 336 points over the default 14 days. */
export const AZURE_METRIC_INTERVAL = { iso: 'PT1H', seconds: 3600 } as const;

/** Intervals Azure Monitor accepts below a day, coarsest first. */
const DECISION_INTERVALS = [
  { iso: 'PT1H', seconds: 3600 },
  { iso: 'PT30M', seconds: 1800 },
  { iso: 'PT15M', seconds: 900 },
  { iso: 'PT5M', seconds: 300 },
  { iso: 'PT1M', seconds: 60 },
] as const;

/** Periods a rule window has at least of, so one missing datapoint moves coverage by at most 4% (as on AWS). */
const MIN_PERIODS_PER_WINDOW = 24;

/** How one kind's usage is read: the interval and the window. */
export interface AzureUsageRead {
  readonly interval: { readonly iso: string; readonly seconds: number };
  readonly window: { readonly start: Date; readonly end: Date };
}

/**
 * How a kind's usage is read given the windows (hours) of the rules judging it: hourly over the
 * whole look-back when the shortest window holds at least 24 hours; otherwise at the coarsest
 * interval Azure Monitor accepts (30, 15, 5 or 1 min) that gives the shortest window 24 periods,
 * over the longest window only (finer points over 14 days would be thousands per series).
 */
export function azureUsageRead(now: Date, lookbackHours: number, windowHours: readonly number[] = []): AzureUsageRead {
  const hours = windowHours.filter((h) => Number.isFinite(h) && h > 0);
  const shortest = hours.length > 0 ? Math.min(...hours) : lookbackHours;
  const interval = DECISION_INTERVALS.find((i) => (shortest * 3600) / i.seconds >= MIN_PERIODS_PER_WINDOW) ?? DECISION_INTERVALS[DECISION_INTERVALS.length - 1]!;
  const hoursRead = interval.seconds === AZURE_METRIC_INTERVAL.seconds ? lookbackHours : Math.max(...hours);
  // The window starts on the interval grid: Azure Monitor aligns intervals to it, and a series' periods are counted from its window's start.
  const step = interval.seconds * 1000;
  return { interval, window: { start: new Date(Math.floor((now.getTime() - hoursRead * 3600_000) / step) * step), end: now } };
}

/** Whether a query answers one of the signals asked. */
function asked(q: AzureMetricQuery, signals: readonly UsageSignal[]): boolean {
  return signals.includes(q.signal) || (q.alsoAs !== undefined && signals.includes(q.alsoAs));
}

/** Tuning of the Azure provider. */
export interface AzureProviderOptions {
  /** Resource groups to read per subscription (lower-case subscription id → names); absent = every group. */
  readonly resourceGroups?: ReadonlyMap<string, readonly string[]>;
  /** The clock for re-reads before acting (default: the machine's). */
  readonly now?: () => Date;
  /** The cold-artifacts settings blob containers are read and tiered with (default: the rule's defaults). */
  readonly blobSettings?: BlobArtifactsSettings;
  /** The kinds to dispatch over (default: every Azure kind). */
  readonly registry?: KindRegistry<AzureKindContext, AzureMetricQuery>;
  /** Costs, forecasts, Azure budgets and Retail Prices; absent = none are read. */
  readonly billing?: AzureBillingOptions;
}

/**
 * Azure behind the CloudProvider port: Azure Machine Learning inventory per subscription and
 * location, usage from the Azure Monitor metrics batch API, and actions, all dispatched over the
 * Azure kind modules. SDK clients come from the injected factory.
 */
export class AzureProvider implements CloudProvider {
  readonly cloud = 'azure' as const;
  /** Metrics batch calls and series asked since this provider was made. */
  readonly meter: AzureMetricMeter = { calls: 0, series: 0 };
  private readonly registry: KindRegistry<AzureKindContext, AzureMetricQuery>;
  private readonly now: () => Date;
  /** The money side (Cost Management, Consumption budgets, Retail Prices), when the policy reads it. */
  readonly billing: AzureBilling | undefined;

  constructor(
    private readonly clients: AzureClientFactory,
    private readonly options: AzureProviderOptions = {},
  ) {
    this.registry = options.registry ?? azureKindRegistry();
    this.now = options.now ?? (() => new Date());
    this.billing = options.billing ? new AzureBilling(clients, options.billing) : undefined;
  }

  /** A context for one subscription and location; workspaces and computes are listed once per context. */
  private context(scope: Scope, region: string, now: Date, failures: CollectionFailure[], shared?: Pick<AzureKindContext, 'workspaces' | 'computes'>): AzureKindContext {
    const clients = this.clients(scope.id);
    let workspaces: Promise<WorkspaceRef[]> | undefined;
    const computes = new Map<string, Promise<ComputeResource[]>>();
    const groups = this.options.resourceGroups?.get(scope.id.toLowerCase());
    return {
      scope,
      region,
      clients,
      now,
      ...(groups && groups.length > 0 ? { resourceGroups: groups } : {}),
      blobSettings: this.options.blobSettings ?? DEFAULT_BLOB_SETTINGS,
      reportFailure: (f) => failures.push(f),
      workspaces:
        shared?.workspaces ??
        (() => {
          workspaces ??= (async () => {
            const list: Workspace[] = [];
            if (groups && groups.length > 0) {
              for (const g of groups) for await (const w of clients.ml.workspaces.listByResourceGroup(g)) list.push(w);
            } else {
              for await (const w of clients.ml.workspaces.listBySubscription()) list.push(w);
            }
            return workspaceRefs(list);
          })();
          return workspaces;
        }),
      computes:
        shared?.computes ??
        ((ws) => {
          let p = computes.get(ws.id.toLowerCase());
          if (!p) {
            p = (async () => {
              const out: ComputeResource[] = [];
              for await (const c of clients.ml.computeOperations.list(ws.resourceGroup, ws.name)) out.push(c);
              return out;
            })();
            computes.set(ws.id.toLowerCase(), p);
          }
          return p;
        }),
    };
  }

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    const compute = this.collectCompute(target, opts);
    // Costs, budgets and prices are read once per subscription, alongside the inventory.
    const money = this.billing?.plans(opts) ? this.billing.collect(target.scope, compute.then((c) => c.resources), opts) : undefined;
    const [c, m] = await Promise.all([compute, money]);
    return {
      ...c,
      costs: m?.costs ?? [],
      budgets: m?.budgets ?? [],
      ...(m ? { forecasts: m.forecasts, commitments: m.commitments, prices: m.prices } : {}),
      failures: [...c.failures, ...(m?.failures ?? [])],
    };
  }

  /** Inventory and usage of the Azure ML kinds the plan judges. */
  private async collectCompute(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    const failures: CollectionFailure[] = [];
    const { scope } = target;
    // A plan that judges no Azure kind reads no Azure ML or Monitor data.
    if (!this.registry.modules.some((m) => plannedSignals(opts, m.kind) !== undefined)) return { scope, resources: [], usage: [], costs: [], budgets: [], failures };
    const root = this.context(scope, '', opts.now, failures);
    const resources: Resource[] = [];
    const usage: UsageSeries[] = [];
    // Kinds listed per subscription (storage accounts) are read once, whatever the workspaces do.
    for (const m of this.registry.modules.filter((k) => k.listedPer === 'scope' && plannedSignals(opts, k.kind) !== undefined)) {
      try {
        resources.push(...(await m.list(root, scope, '')));
      } catch (err) {
        failures.push({ scope, operation: m.inventoryOperation, message: describeError(err) });
      }
    }
    if (!this.registry.modules.some((m) => (m.listedPer ?? 'region') === 'region' && plannedSignals(opts, m.kind) !== undefined)) return { scope, resources, usage, costs: [], budgets: [], failures };
    let workspaces: readonly WorkspaceRef[];
    try {
      workspaces = await root.workspaces();
    } catch (err) {
      const groups = this.options.resourceGroups?.get(scope.id.toLowerCase());
      failures.push({ scope, operation: groups?.length ? 'machinelearning:Workspaces_ListByResourceGroup' : 'machinelearning:Workspaces_ListBySubscription', message: describeError(err) });
      return { scope, resources, usage, costs: [], budgets: [], failures };
    }
    const regions = target.regions.length > 0 ? target.regions : [...new Set(workspaces.map((w) => w.location))].sort();
    const perRegion = await Promise.all(regions.map((region) => this.collectRegion(scope, region, opts, failures, root)));
    return {
      scope,
      resources: [...resources, ...perRegion.flatMap((r) => r.resources)],
      usage: [...usage, ...perRegion.flatMap((r) => r.usage)],
      costs: [],
      budgets: [],
      failures,
    };
  }

  private async collectRegion(scope: Scope, region: string, opts: CollectOptions, failures: CollectionFailure[], root: AzureKindContext) {
    const ctx = this.context(scope, region, opts.now, failures, root);
    // Only the kinds the scan's rules judge are listed.
    const modules = this.registry.modules.filter((m) => (m.listedPer ?? 'region') === 'region' && plannedSignals(opts, m.kind) !== undefined);
    const lists = await Promise.all(
      modules.map(async (m) => {
        try {
          return { module: m, resources: await m.list(ctx, scope, region) };
        } catch (err) {
          failures.push({ scope, region, operation: m.inventoryOperation, message: describeError(err) });
          return { module: m, resources: [] as Resource[] };
        }
      }),
    );
    const reads = new Map<string, { read: AzureUsageRead; queries: AzureMetricQuery[] }>();
    for (const { module: m, resources } of lists) {
      // Only the signals the rules read, of running resources whose usage is due (activity watermarks).
      const signals = plannedSignals(opts, m.kind) ?? [];
      const running = resources.filter((r) => r.lifecycle === 'running' && (opts.usageDue?.(r) ?? true));
      if (!m.usageQueries || running.length === 0 || signals.length === 0) continue;
      try {
        const queries = (await m.usageQueries(ctx, running, signals)).filter((q) => asked(q, signals));
        if (queries.length === 0) continue;
        // Kinds read alike share batch calls.
        const read = azureUsageRead(opts.now, opts.lookbackHours, opts.usageWindowHours?.[m.kind]);
        const key = `${read.interval.iso}/${read.window.start.getTime()}`;
        const group = reads.get(key);
        if (group) group.queries.push(...queries);
        else reads.set(key, { read, queries });
      } catch (err) {
        failures.push({ scope, region, operation: m.usageOperation ?? m.inventoryOperation, message: describeError(err) });
      }
    }
    const usage = (await Promise.all([...reads.values()].map(({ read, queries }) => readAzureMetrics(ctx.clients, queries, read.window, read.interval, this.meter)))).flat();
    const failed = usage.find((u) => u.status === 'error');
    if (failed) failures.push({ scope, region, operation: 'monitor:Metrics_Batch', message: failed.error ?? 'failed' });
    return { resources: lists.flatMap((l) => l.resources), usage };
  }

  private refContext(ref: Pick<ResourceRef, 'scopeId' | 'region'>): AzureKindContext {
    return this.context({ cloud: 'azure', id: ref.scopeId }, ref.region, this.now(), []);
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    return this.registry.module(ref.kind).describe(this.refContext(ref), ref);
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    const m = this.registry.module(resource.kind);
    if (!m.usageQueries || resource.lifecycle !== 'running') return [];
    const ctx = this.refContext({ scopeId: resource.scope.id, region: resource.region });
    const queries = await m.usageQueries(ctx, [resource]);
    const read = azureUsageRead(opts.now, opts.lookbackHours, opts.usageWindowHours?.[resource.kind]);
    return queries.length > 0 ? readAzureMetrics(ctx.clients, queries, read.window, read.interval, this.meter) : [];
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    const action = this.registry.action(actionKind, resource.kind);
    const refusal = action.precondition?.(resource);
    if (refusal) throw new ProviderError(`${actionKind} does not apply to ${resource.name}: ${refusal}`, { cloud: 'azure', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation: actionKind });
    return action.capture(this.refContext({ scopeId: resource.scope.id, region: resource.region }), resource);
  }

  async perform(actionKind: string, resource: Resource, parameters: Readonly<Record<string, unknown>> = {}): Promise<ActOutcome> {
    const action = this.registry.action(actionKind, resource.kind);
    return action.perform(this.refContext({ scopeId: resource.scope.id, region: resource.region }), resource, parameters);
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const action = this.registry.action(actionKind, ref.kind);
    if (!action.undo) throw new ProviderError(`${actionKind} cannot be undone`, { cloud: 'azure', scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation: actionKind });
    return action.undo(this.refContext(ref), ref, undoData);
  }
}

/** An SDK error in one line: status, ARM error code and message. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  const head = [e?.statusCode, e?.code ?? e?.name].filter((x) => x !== undefined && x !== '').join(' ');
  return `${head || 'Error'}: ${e?.message ?? String(err)}`;
}
