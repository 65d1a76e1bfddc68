import type { ConsumptionManagementClient } from '@azure/arm-consumption';
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { CommitmentCoverage } from '../../domain/cost-signals.js';
import { money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';

/*
 * Commitment coverage on Azure: Consumption's reservation purchase recommendations
 * (`reservationRecommendations.list`, ReservationRecommendations_List, `@azure/arm-consumption`)
 * for a subscription, single scope, virtual machines, over the policy's look-back period. Azure
 * computes them from the subscription's VM usage of each size and region; costwatch keeps those of
 * the VM sizes its Azure Machine Learning compute (compute instances and clusters) uses. A
 * recommendation's costs (`costWithNoReservedInstances`, `totalCostWithReservedInstances`,
 * `netSavings`) are over the look-back period: costwatch divides them by its hours for the hourly
 * figures and scales them to a 730-hour month, and says so. Pay-as-you-go and EA subscriptions get
 * the `legacy` kind (plain numbers in the billing currency), Microsoft Customer Agreement ones
 * the `modern` kind (amounts with their currency). The list is read as JSON through the client's
 * own pipeline (token, retries, throttling): `@azure/arm-consumption` 9.2's deserializer takes the
 * single-scope `properties.scope` discriminator for the resource's and drops the costs and quantity.
 */

/** One recommendation as costwatch keeps it (and caches it): plain values, currency resolved. */
export interface ReservationRecommendation {
  readonly vmSize: string;
  readonly location: string;
  /** `P1Y` or `P3Y`. */
  readonly term: string;
  readonly lookbackDays: number;
  readonly quantity: number;
  readonly currency: string;
  readonly costWithout: number;
  readonly costWith: number;
  readonly netSavings: number;
  readonly firstUsageDate?: string;
  readonly id?: string;
}

/** The `$filter` of one read: single-scope VM recommendations over a look-back period. */
export function recommendationFilter(lookbackDays: 7 | 30 | 60): string {
  return `properties/scope eq 'Single' and properties/resourceType eq 'VirtualMachines' and properties/lookBackPeriod eq 'Last${lookbackDays}Days'`;
}

/** Pages followed before giving up. */
const MAX_PAGES = 50;

/** Reads every page of a subscription's VM reservation recommendations (one call per page). */
export async function readReservationRecommendations(client: ConsumptionManagementClient, subscriptionId: string, lookbackDays: 7 | 30 | 60, currency: string): Promise<{ recommendations: ReservationRecommendation[]; pages: number }> {
  const base = client.$host.replace(/\/+$/, '');
  const query = new URLSearchParams({ 'api-version': client.apiVersion, $filter: recommendationFilter(lookbackDays) });
  let url: string | undefined = `${base}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Consumption/reservationRecommendations?${query.toString()}`;
  const out: ReservationRecommendation[] = [];
  let pages = 0;
  while (url) {
    if (pages >= MAX_PAGES) throw new ProviderError(`Consumption answered more than ${MAX_PAGES} pages of reservation recommendations`, { cloud: 'azure', scopeId: subscriptionId, operation: OPERATION });
    const res = await client.sendRequest(createPipelineRequest({ url, method: 'GET', headers: createHttpHeaders({ accept: 'application/json' }) }));
    pages++;
    let body: unknown;
    try {
      body = res.bodyAsText ? JSON.parse(res.bodyAsText) : {};
    } catch {
      throw new ProviderError(`Consumption answered reservation recommendations that are not JSON (HTTP ${res.status})`, { cloud: 'azure', scopeId: subscriptionId, operation: OPERATION });
    }
    if (res.status >= 400) {
      const e = (body as { error?: { code?: string; message?: string } }).error;
      const err = new ProviderError(`${res.status} ${e?.code ?? 'Error'}: ${e?.message ?? 'Consumption refused the reservation recommendations'}`, { cloud: 'azure', scopeId: subscriptionId, operation: OPERATION });
      throw err;
    }
    const page = body as { value?: unknown; nextLink?: unknown };
    if (page.value !== undefined && !Array.isArray(page.value)) throw new ProviderError('Consumption answered reservation recommendations whose value is not a list', { cloud: 'azure', scopeId: subscriptionId, operation: OPERATION });
    for (const r of (page.value ?? []) as unknown[]) out.push(recommendationOf(r, lookbackDays, currency));
    url = typeof page.nextLink === 'string' && page.nextLink !== '' ? page.nextLink : undefined;
  }
  return { recommendations: out, pages };
}

const OPERATION = 'consumption:ReservationRecommendations_List';

const LOOKBACKS: Readonly<Record<string, number>> = { last7days: 7, last30days: 30, last60days: 60 };

/**
 * One recommendation of the wire format (`{ id, location, sku, kind, properties: { … } }`) as
 * costwatch's; a recommendation without its figures is an error, never a zero.
 */
export function recommendationOf(raw: unknown, askedLookback: number, currency: string): ReservationRecommendation {
  const r = (raw ?? {}) as { id?: unknown; location?: unknown; sku?: unknown; properties?: Record<string, unknown> };
  const x = r.properties ?? {};
  const amountOf = (v: unknown, what: string): { value: number; currency?: string } => {
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v };
    // The modern kind: { currency, value }.
    if (typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'number' && Number.isFinite((v as { value: number }).value)) {
      const c = (v as { currency?: unknown }).currency;
      return { value: (v as { value: number }).value, ...(typeof c === 'string' && c !== '' ? { currency: c } : {}) };
    }
    throw new ProviderError(`Consumption answered a reservation recommendation without a numeric ${what}: ${JSON.stringify(v)}`, { cloud: 'azure', operation: OPERATION });
  };
  const without = amountOf(x['costWithNoReservedInstances'], 'costWithNoReservedInstances');
  const withRi = amountOf(x['totalCostWithReservedInstances'], 'totalCostWithReservedInstances');
  const saved = amountOf(x['netSavings'], 'netSavings');
  const quantity = x['recommendedQuantity'];
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const size = text(x['skuName']) ?? text(r.sku) ?? text(x['normalizedSize']);
  const location = text(x['location']) ?? text(r.location);
  if (typeof quantity !== 'number' || !(quantity > 0) || !size || !location) {
    throw new ProviderError(`Consumption answered a reservation recommendation without a size, region or quantity: ${JSON.stringify({ sku: r.sku, location: r.location, quantity }).slice(0, 200)}`, { cloud: 'azure', operation: OPERATION });
  }
  const lb = x['lookBackPeriod'];
  const lookbackDays = typeof lb === 'number' && lb > 0 ? lb : typeof lb === 'string' ? (LOOKBACKS[lb.toLowerCase()] ?? (Number(lb) > 0 ? Number(lb) : askedLookback)) : askedLookback;
  const first = text(x['firstUsageDate']);
  const id = text(r.id);
  return {
    vmSize: size,
    location: location.toLowerCase().replace(/\s+/g, ''),
    term: text(x['term']) ?? 'P1Y',
    lookbackDays,
    quantity,
    currency: without.currency ?? currency,
    costWithout: without.value,
    costWith: withRi.value,
    netSavings: saved.value,
    ...(first && !Number.isNaN(Date.parse(first)) ? { firstUsageDate: new Date(first).toISOString() } : {}),
    ...(id ? { id } : {}),
  };
}

/** Options of {@link reservationCoverage}. */
export interface ReservationCoverageOptions {
  readonly subscriptionId: string;
  /** VM sizes (lower case) and regions Azure ML compute uses in the subscription. */
  readonly sizes: readonly { readonly vmSize: string; readonly region: string }[];
  readonly termYears: 1 | 3;
  /** The day of the read (UTC midnight): the look-back window ends there. */
  readonly today: Date;
}

/**
 * The recommendations of the policy's term for the VM sizes Azure ML compute uses, each as a
 * commitment coverage with Azure's figures scaled to hours and months (the arithmetic in `basis`).
 */
export function reservationCoverage(recs: readonly ReservationRecommendation[], o: ReservationCoverageOptions): CommitmentCoverage[] {
  const wanted = new Set(o.sizes.map((s) => `${s.vmSize.toLowerCase()}@${s.region.toLowerCase()}`));
  const term = o.termYears === 3 ? 'P3Y' : 'P1Y';
  const out: CommitmentCoverage[] = [];
  for (const r of recs) {
    if (r.term.toUpperCase() !== term || !wanted.has(`${r.vmSize.toLowerCase()}@${r.location.toLowerCase()}`)) continue;
    if (r.costWithout <= 0) continue;
    const hours = r.lookbackDays * 24;
    const perHour = (x: number) => Math.round((x / hours) * 10_000) / 10_000;
    const monthly = Math.round(((r.netSavings / hours) * 730) * 100) / 100;
    out.push({
      cloud: 'azure',
      scopeId: o.subscriptionId,
      program: `Reserved VM Instances (${r.vmSize}, ${r.location})`,
      service: `${r.vmSize} VMs (Azure Machine Learning compute)`,
      period: { start: new Date(o.today.getTime() - r.lookbackDays * 86_400_000), end: o.today },
      recommendation: {
        term: o.termYears === 3 ? '3 years' : '1 year',
        // Azure's reservation recommendations assume the reservation's monthly or upfront payment alike: the price is the same.
        paymentOption: 'monthly or upfront (same price)',
        lookbackDays: r.lookbackDays,
        hourlyCommitment: money(perHour(r.costWith), r.currency),
        estimatedMonthlySavings: money(monthly, r.currency),
        estimatedSavingsPercent: Math.round((r.netSavings / r.costWithout) * 1000) / 10,
        hourlyOnDemand: { average: money(perHour(r.costWithout), r.currency) },
        reservation: {
          quantity: r.quantity,
          unit: `${r.vmSize} in ${r.location}`,
          costWithout: money(r.costWithout, r.currency),
          costWith: money(r.costWith, r.currency),
          netSavings: money(r.netSavings, r.currency),
          hours,
        },
        ...(r.id ? { id: r.id.split('/').pop()! } : {}),
      },
      source: `Azure Consumption ReservationRecommendations_List (single scope, VirtualMachines, Last${r.lookbackDays}Days): Azure's recommendation from the subscription's ${r.vmSize} usage in ${r.location}, Azure ML compute's and any other VM's of that size`,
    });
  }
  return out.sort((a, b) => b.recommendation!.estimatedMonthlySavings.amount - a.recommendation!.estimatedMonthlySavings.amount);
}
