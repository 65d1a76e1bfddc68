import type { Budget } from '../../domain/budget.js';
import type { CostRecord } from '../../domain/cost.js';
import type { CommitmentCoverage, CostForecast } from '../../domain/cost-signals.js';
import type { Resource, Scope } from '../../domain/resource.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { cachedRead, endOfUtcDay } from '../aws/cost-cache.js';
import { dayOf, endOfPeriod, reviveForecast, reviveRecords, startOfPeriod } from '../billing-periods.js';
import { plansBilling, type CollectionFailure, type CollectOptions } from '../port.js';
import { readAzureBudgets } from './budgets.js';
import type { AzureClientFactory } from './clients.js';
import { forecastFilter, readCostForecast, readCostQuery, type AzureBreakdown } from './cost-management.js';
import { readReservationRecommendations, reservationCoverage, type ReservationRecommendation } from './reservations.js';
import { fetchVmPrices, type RetailPrice, type VmPriceKey } from './retail-prices.js';

/** What the Azure provider reads about money, from the policy. */
export interface AzureBillingOptions {
  /** Tag keys Cost Management groups by (besides ServiceName), for drivers; single-tag budgets' keys are added. */
  readonly costTagKeys: readonly string[];
  /** Configured budgets: they decide how far back costs are read and which forecasts are asked. */
  readonly budgets: readonly Budget[];
  /** Read the subscription's Azure budgets (the budget rules are on). */
  readonly nativeBudgets: boolean;
  /**
   * Read the month's spend grouped by service and this tag key (the untagged-spend rule is on): the
   * share of AI spend without a team tag. Absent = not read.
   */
  readonly tagSpendKey?: string;
  /** Read reservation recommendations for the VM sizes Azure ML compute uses (the commitment-coverage rule is on). */
  readonly commitments?: { readonly termYears: 1 | 3; readonly lookbackDays: 7 | 30 | 60 };
  /** Read VM prices from the Retail Prices API (default true). */
  readonly retailPrices?: boolean;
}

/** Calls of the billing reads since the provider was made, per API (for benches and the report). */
export interface AzureBillingMeter {
  query: number;
  forecast: number;
  budgets: number;
  retailPrices: number;
  reservationRecommendations: number;
}

/** Everything one subscription's billing reads produced. */
export interface AzureBillingCollection {
  readonly costs: CostRecord[];
  readonly budgets: Budget[];
  readonly forecasts: CostForecast[];
  readonly commitments: CommitmentCoverage[];
  readonly prices: FetchedPrice[];
  readonly failures: CollectionFailure[];
}

/** Cached closed months are re-read after this long (late charges and credits still land on them). */
const CLOSED_MONTH_CACHE_DAYS = 7;

/** The Cost Management operation a failed cost read is reported under (detect.ts treats it as costs unread). */
export const COST_QUERY_OPERATION = 'costmanagement:Query_Usage';

/**
 * Reads one subscription's costs (Cost Management Query, daily, one call per grouping, month and
 * day at most: the current month is cached until the day ends, closed months for a week),
 * forecasts for configured budgets (Cost Management Forecast, cached per filter and day), the
 * subscription's Azure budgets (Consumption, with Azure's current and forecast spend) and the
 * Retail Prices API's VM prices. Each read fails alone: its failure is reported, the rest stands.
 */
export class AzureBilling {
  readonly meter: AzureBillingMeter = { query: 0, forecast: 0, budgets: 0, retailPrices: 0, reservationRecommendations: 0 };
  /** Retail price reads of this provider's lifetime (one scan), shared by its subscriptions. */
  private readonly priceReads = new Map<string, Promise<RetailPrice | undefined>>();

  constructor(
    private readonly clients: AzureClientFactory,
    private readonly options: AzureBillingOptions,
  ) {}

  /** The tag keys each day's cost reads group by: the configured ones and every single-tag budget's that can count Azure costs. */
  tagKeys(): string[] {
    const keys = new Set(this.options.costTagKeys);
    for (const b of this.options.budgets) {
      if (b.scope.clouds && !b.scope.clouds.includes('azure')) continue;
      const k = Object.keys(b.scope.tags ?? {});
      if (k.length === 1) keys.add(k[0]!);
    }
    return [...keys].sort();
  }

  /** Whether a plan reads anything this side reads. */
  plans(opts: CollectOptions): boolean {
    return (
      plansBilling(opts, 'costs') ||
      plansBilling(opts, 'forecasts') ||
      (this.options.nativeBudgets && plansBilling(opts, 'budgets')) ||
      (this.options.tagSpendKey !== undefined && plansBilling(opts, 'tag-spend')) ||
      (this.options.commitments !== undefined && plansBilling(opts, 'commitments'))
    );
  }

  /** Reads one subscription; `inventory` (the ML resources, when read) names the VM sizes to price. */
  async collect(scope: Scope, inventory: Promise<readonly Resource[]>, opts: CollectOptions): Promise<AzureBillingCollection> {
    const now = opts.now;
    const failures: CollectionFailure[] = [];
    const fail = (operation: string, err: unknown) => failures.push({ scope, operation, message: describe(err) });
    const clients = this.clients(scope.id);
    const today = dayOf(now);
    const expires = endOfUtcDay(now);

    const nativeRead = (
      this.options.nativeBudgets && plansBilling(opts, 'budgets')
        ? (this.meter.budgets++, clients.consumption().then((c) => readAzureBudgets(c, scope.id)))
        : Promise.resolve({ budgets: [] as Budget[], skipped: [] as string[] })
    ).catch((err: unknown) => {
      fail('consumption:Budgets_List', err);
      return { budgets: [] as Budget[], skipped: [] as string[] };
    });
    const prices =
      this.options.retailPrices === false
        ? Promise.resolve([] as FetchedPrice[])
        : inventory
            .then(async (found) => {
              const read = await fetchVmPrices(clients.retailPrices, clients.retailPricesEndpoint, vmKeys(found), opts.cache, now, this.priceReads);
              this.meter.retailPrices += read.calls;
              return read.prices;
            })
            .catch((err: unknown) => {
              fail('retailprices:Prices_Get', err);
              return [] as FetchedPrice[];
            });
    const native = await nativeRead;
    const applicable = plansBilling(opts, 'costs') || plansBilling(opts, 'forecasts') ? this.options.budgets.filter((b) => covers(b, scope)) : [];

    const costs: CostRecord[] = [];
    // Cost Management throttles hard: read costs only when a budget, or the untagged share, will look at them.
    const reads: { start: number; breakdowns: AzureBreakdown[] }[] = [];
    const tagKey = plansBilling(opts, 'tag-spend') ? this.options.tagSpendKey : undefined;
    if ((applicable.length > 0 || native.budgets.length > 0) && plansBilling(opts, 'costs')) {
      const start = Math.min(startOfPeriod('monthly', now), ...[...applicable, ...native.budgets].map((b) => startOfPeriod(b.period, now)));
      const keys = this.tagKeys();
      reads.push({ start, breakdowns: ['SERVICE', ...keys.map((k): AzureBreakdown => `SERVICE,TAG:${k}`)] });
      // The budgets' read starts at the month's start or earlier: it already holds the month by this tag.
      if (tagKey !== undefined && !keys.includes(tagKey)) reads.push({ start, breakdowns: [`SERVICE,TAG:${tagKey}`] });
    } else if (tagKey !== undefined) {
      reads.push({ start: startOfPeriod('monthly', now), breakdowns: [`SERVICE,TAG:${tagKey}`] });
    }
    for (const { start, breakdowns } of reads) {
      // Daily queries span at most a month: one per calendar month of the longest budget period.
      const months = monthChunks(start, Date.parse(`${today}T00:00:00Z`));
      await Promise.all(
        breakdowns.map(async (breakdown) => {
          try {
            for (const m of months) {
              const closed = m.end <= startOfPeriod('monthly', now);
              const records = await cachedRead(
                opts.cache,
                `azure:costmanagement:Query:v1:${scope.id}:${breakdown}:${m.startDay}:${m.endDay}`,
                now,
                closed ? new Date(now.getTime() + CLOSED_MONTH_CACHE_DAYS * 86_400_000) : expires,
                async () => {
                  const r = await readCostQuery(await clients.costManagement(), { subscriptionId: scope.id, start: m.startDay, end: m.endDay, breakdown });
                  this.meter.query += r.pages;
                  return r.records;
                },
                { encode: (rs) => rs, decode: reviveRecords },
              );
              costs.push(...records);
            }
          } catch (err) {
            fail(`${COST_QUERY_OPERATION} (${breakdown})`, err);
          }
        }),
      );
    }

    const forecasts: CostForecast[] = [];
    await Promise.all(
      (plansBilling(opts, 'forecasts') ? applicable : []).map(async (b) => {
        const end = dayOf(new Date(endOfPeriod(b.period, now)));
        const filter = forecastFilter({ ...(b.scope.services ? { services: b.scope.services } : {}), ...(b.scope.tags ? { tags: b.scope.tags } : {}) });
        try {
          const f = await cachedRead(
            opts.cache,
            `azure:costmanagement:Forecast:v1:${scope.id}:${JSON.stringify(filter ?? null)}:${today}:${end}`,
            now,
            expires,
            async () => {
              this.meter.forecast++;
              return readCostForecast(await clients.costManagement(), { subscriptionId: scope.id, start: today, end, ...(filter ? { filter } : {}), budgetName: b.name });
            },
            { encode: (v) => v ?? null, decode: (raw) => (raw === null ? undefined : reviveForecast(raw)) },
          );
          // The same filter may serve several budgets; the cached value names the first.
          if (f) forecasts.push({ ...f, budgetName: b.name });
        } catch (err) {
          fail(`costmanagement:Forecast_Usage (budget ${b.name})`, err);
        }
      }),
    );

    const commitments: CommitmentCoverage[] = [];
    const ri = this.options.commitments;
    if (ri && plansBilling(opts, 'commitments')) {
      try {
        // One call per subscription, look-back and day: every size and term, filtered below.
        const recs = await cachedRead(
          opts.cache,
          `azure:consumption:ReservationRecommendations:v1:${scope.id}:${ri.lookbackDays}:${today}`,
          now,
          expires,
          async () => {
            const r = await readReservationRecommendations(await clients.consumption(), scope.id, ri.lookbackDays, 'USD');
            this.meter.reservationRecommendations += r.pages;
            return r.recommendations;
          },
          { encode: (rs) => rs, decode: reviveRecommendations },
        );
        const sizes = mlComputeSizes(await inventory.catch(() => [] as Resource[]));
        commitments.push(...reservationCoverage(recs, { subscriptionId: scope.id, sizes, termYears: ri.termYears, today: new Date(`${today}T00:00:00Z`) }));
      } catch (err) {
        fail('consumption:ReservationRecommendations_List', err);
      }
    }

    return { costs, budgets: native.budgets, forecasts, commitments, prices: await prices, failures };
  }
}

/** The VM sizes and regions of the Azure ML compute instances and clusters found (what a VM reservation can cover). */
export function mlComputeSizes(inventory: readonly Resource[]): VmPriceKey[] {
  return vmKeys(inventory.filter((r) => r.kind === 'azure.ml.compute-instance' || r.kind === 'azure.ml.compute-cluster'));
}

function reviveRecommendations(raw: unknown): ReservationRecommendation[] {
  if (!Array.isArray(raw)) throw new TypeError('cached reservation recommendations are not a list');
  return raw as ReservationRecommendation[];
}

/** Whether a configured budget counts this subscription's costs. */
function covers(b: Budget, scope: Scope): boolean {
  return (!b.scope.clouds || b.scope.clouds.includes('azure')) && (!b.scope.scopeIds || b.scope.scopeIds.some((id) => id.toLowerCase() === scope.id.toLowerCase()));
}

/** The VM sizes and regions of the Azure ML resources found. */
export function vmKeys(inventory: readonly Resource[]): VmPriceKey[] {
  const out: VmPriceKey[] = [];
  for (const r of inventory) {
    if (r.cloud !== 'azure') continue;
    for (const c of r.components) if (c.instanceType && c.capacity === 'provisioned' && r.region) out.push({ vmSize: c.instanceType, region: r.region });
  }
  return out;
}

/** Calendar-month pieces of [start, end) (ms), as YYYY-MM-DD days, end exclusive. */
export function monthChunks(start: number, end: number): { startDay: string; endDay: string; end: number }[] {
  const out: { startDay: string; endDay: string; end: number }[] = [];
  let s = start;
  while (s < end) {
    const d = new Date(s);
    const next = Math.min(end, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    out.push({ startDay: dayOf(new Date(s)), endDay: dayOf(new Date(next)), end: next });
    s = next;
  }
  return out;
}

function describe(err: unknown): string {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  const head = [e?.statusCode, e?.code ?? e?.name].filter((x) => x !== undefined && x !== '').join(' ');
  return `${head || 'Error'}: ${e?.message ?? String(err)}`;
}
