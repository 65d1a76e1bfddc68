import type { Budget } from '../domain/budget.js';
import type { CostRecord } from '../domain/cost.js';
import type { BillingSignal, CommitmentCoverage, CostAnomaly, CostForecast } from '../domain/cost-signals.js';
export { BILLING_SIGNALS, type BillingSignal } from '../domain/cost-signals.js';
import type { FetchedPrice } from '../pricing/price-book.js';
import type { FetchedGcsPrice } from '../pricing/gcs-prices.js';
import type { StateStore } from '../store/port.js';
import type { Cloud, Resource, ResourceRef, Scope } from '../domain/resource.js';
import { RESOURCE_FACTS, USAGE_SIGNALS, type ResourceFact, type UsageSeries, type UsageSignal } from '../domain/usage.js';

/** One unit of collection: an account/project/subscription and the regions to read in it. */
export interface ScopeTarget {
  readonly scope: Scope;
  readonly regions: readonly string[];
}

/**
 * What one scan reads, derived from the rules it runs (`collectionPlan` in `shared/pipeline`):
 * the resource kinds to list, the usage signals to query for each, and the billing data to read.
 * A provider lists no kind, queries no signal and reads no billing data the plan leaves out.
 */
export interface CollectionPlan {
  /** Resource kind → the usage signals to query for its running resources (empty: inventory only). */
  readonly kinds: Readonly<Record<string, readonly UsageSignal[]>>;
  readonly billing: readonly BillingSignal[];
  /** Resource kind → the facts besides usage to read for it (e.g. `autoscaling`); absent or unlisted: none. */
  readonly facts?: Readonly<Record<string, readonly ResourceFact[]>>;
}

/** What usage to read: the look-back window per resource kind, ending at `now`. */
export interface CollectOptions {
  readonly now: Date;
  /** Hours of usage history to read (at least the longest rule window; more lets evidence name the last request). */
  readonly lookbackHours: number;
  /**
   * Per resource kind, the windows (hours) of the rules that judge it from usage series. Each
   * kind's decision window is read at a period fine enough for the shortest of them (at most an
   * hour); the rest of the look-back only for evidence. Absent: the whole look-back is read as
   * the decision window.
   */
  readonly usageWindowHours?: Readonly<Record<string, readonly number[]>>;
  /** Where paid reads (Cost Explorer: $0.01 per page) are cached between scans; absent = no cache. */
  readonly cache?: Pick<StateStore, 'getCached' | 'putCached'>;
  /** What to read; absent = everything the provider knows (a full scan). */
  readonly plan?: CollectionPlan;
  /**
   * Whether a listed resource's usage is due this scan (its activity watermark has passed);
   * absent = every resource's. A resource not due is listed but its usage is not queried.
   */
  readonly usageDue?: (resource: Resource) => boolean;
}

/** The usage signals a plan asks for a kind; undefined when the plan does not list the kind. Without a plan, every signal. */
export function plannedSignals(opts: Pick<CollectOptions, 'plan'>, kind: string): readonly UsageSignal[] | undefined {
  if (!opts.plan) return USAGE_SIGNALS;
  return opts.plan.kinds[kind];
}

/** The resource facts a plan asks for a kind (none when it names none). Without a plan, every fact. */
export function plannedFacts(opts: Pick<CollectOptions, 'plan'>, kind: string): readonly ResourceFact[] {
  if (!opts.plan) return RESOURCE_FACTS;
  return opts.plan.facts?.[kind] ?? [];
}

/** Whether a plan (or its absence: everything) reads a billing signal. */
export function plansBilling(opts: Pick<CollectOptions, 'plan'>, signal: BillingSignal): boolean {
  return !opts.plan || opts.plan.billing.includes(signal);
}

/** A part of a scope that could not be read; becomes a `collection-failed` finding. */
export interface CollectionFailure {
  readonly scope: Scope;
  readonly region?: string;
  readonly operation: string;
  readonly message: string;
}

/** Everything read from one scope. Partial results are kept next to the failures. */
export interface Collection {
  readonly scope: Scope;
  readonly resources: readonly Resource[];
  readonly usage: readonly UsageSeries[];
  readonly costs: readonly CostRecord[];
  readonly budgets: readonly Budget[];
  /** The cloud's forecasts for the rest of each configured budget's period. */
  readonly forecasts?: readonly CostForecast[];
  readonly anomalies?: readonly CostAnomaly[];
  /** Commitment coverage and purchase recommendations of the scope's AI compute (AWS: SageMaker Savings Plans). */
  readonly commitments?: readonly CommitmentCoverage[];
  /** Prices read from the cloud's price list during the scan, loaded into the PriceBook before rules run. */
  readonly prices?: readonly FetchedPrice[];
  /** Cloud Storage class figures read from the cloud's price list (Google Cloud: the Catalog), keyed as the GCS price book keys them. */
  readonly storagePrices?: readonly FetchedGcsPrice[];
  readonly failures: readonly CollectionFailure[];
}

/** Result of performing an action against the cloud. */
export interface ActOutcome {
  /** What changed, in words, for the audit log and the Slack message. */
  readonly summary: string;
}

/**
 * A cloud behind one port. Adapters receive their SDK clients (or a factory of them) in the
 * constructor and never construct clients inside a collector.
 */
export interface CloudProvider {
  readonly cloud: Cloud;
  /** Reads inventory, usage, cost and budgets of one scope. Never throws for a region's failure: reports it. */
  collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection>;
  /** Re-reads one resource (before acting); undefined when it no longer exists. */
  describe(ref: ResourceRef): Promise<Resource | undefined>;
  /** Reads the usage series of one resource over a window (to re-evaluate a rule before acting). */
  usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]>;
  /** Reads what must be saved to undo `actionKind` on the resource. Called and stored before `perform`. */
  captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>>;
  /** Performs the action. */
  perform(actionKind: string, resource: Resource, parameters: Readonly<Record<string, unknown>>): Promise<ActOutcome>;
  /** Reverses a performed action from its saved undo data. */
  undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome>;
}
