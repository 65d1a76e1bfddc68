import { money, type Money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { cachedRead, type CostCache } from '../aws/cost-cache.js';

/*
 * VM prices from the Azure Retail Prices API (`GET https://prices.azure.com/api/retail/prices`,
 * public, no credential, OData `$filter`, paged by `NextPageLink`). Azure Machine Learning bills
 * its managed online endpoints, compute instances and compute clusters at the VM's price, so
 * one price per VM size and region serves all three. A size the API has no price for, or a read
 * that fails, keeps the bundled dated table's price, whose source says so in the finding.
 */

/** Where the Retail Prices API answers. */
export const RETAIL_PRICES_ENDPOINT = 'https://prices.azure.com/api/retail/prices';

/** How long a retail price is trusted (prices change rarely). */
export const RETAIL_PRICE_CACHE_DAYS = 7;

/** Pages followed for one VM size before giving up (a size has a few dozen meters per region). */
const MAX_PAGES = 20;

/** One GET: status and body text. Injected so the clients' factory decides TLS, retries and endpoint. */
export type RetailPricesGet = (url: string) => Promise<{ status: number; body: string }>;

/** One item of a Retail Prices answer (the fields costwatch reads). */
export interface RetailPriceItem {
  readonly currencyCode?: string;
  readonly retailPrice?: number;
  readonly unitPrice?: number;
  readonly armRegionName?: string;
  readonly armSkuName?: string;
  readonly skuName?: string;
  readonly productName?: string;
  readonly meterName?: string;
  readonly serviceName?: string;
  readonly unitOfMeasure?: string;
  readonly type?: string;
  readonly effectiveStartDate?: string;
  readonly isPrimaryMeterRegion?: boolean;
  readonly skuId?: string;
}

/** A VM size in a region, to price. */
export interface VmPriceKey {
  readonly vmSize: string;
  readonly region: string;
}

/** A price picked from the API, with what identifies it. */
export interface RetailPrice {
  readonly price: Money;
  readonly skuId?: string;
  readonly effectiveStartDate?: string;
  readonly productName?: string;
}

/** The OData filter for a VM size's pay-as-you-go meters in a region. */
export function retailFilter(key: VmPriceKey): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return `serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq ${q(key.region)} and armSkuName eq ${q(key.vmSize)}`;
}

/**
 * The Linux pay-as-you-go hourly price of a VM size among Retail Prices items: type
 * `Consumption`, unit `1 Hour`, not a Windows product, not a Spot or Low Priority meter; the
 * newest effective price when several. Undefined when none qualifies.
 */
export function vmPriceFromItems(items: readonly RetailPriceItem[], key: VmPriceKey): RetailPrice | undefined {
  const candidates = items.filter(
    (i) =>
      i.armSkuName?.toLowerCase() === key.vmSize.toLowerCase() &&
      (i.armRegionName === undefined || i.armRegionName.toLowerCase() === key.region.toLowerCase()) &&
      (i.type === undefined || i.type === 'Consumption') &&
      /^1 hours?$/i.test(i.unitOfMeasure ?? '') &&
      !/windows/i.test(i.productName ?? '') &&
      !/spot|low priority/i.test(`${i.skuName ?? ''} ${i.meterName ?? ''}`) &&
      typeof (i.retailPrice ?? i.unitPrice) === 'number' &&
      (i.retailPrice ?? i.unitPrice)! > 0 &&
      /^[A-Z]{3}$/.test(i.currencyCode ?? 'USD'),
  );
  candidates.sort((a, b) => Number(b.isPrimaryMeterRegion ?? true) - Number(a.isPrimaryMeterRegion ?? true) || (b.effectiveStartDate ?? '').localeCompare(a.effectiveStartDate ?? ''));
  const best = candidates[0];
  if (!best) return undefined;
  return {
    price: money((best.retailPrice ?? best.unitPrice)!, best.currencyCode ?? 'USD'),
    ...(best.skuId ? { skuId: best.skuId } : {}),
    ...(best.effectiveStartDate ? { effectiveStartDate: best.effectiveStartDate } : {}),
    ...(best.productName ? { productName: best.productName } : {}),
  };
}

/** Reads one VM size's price, following `NextPageLink` until a price is found or the pages end. */
export async function readVmPrice(get: RetailPricesGet, endpoint: string, key: VmPriceKey): Promise<{ price: RetailPrice | undefined; pages: number }> {
  let url: string | undefined = `${endpoint}?$filter=${encodeURIComponent(retailFilter(key))}`;
  let pages = 0;
  const seen: RetailPriceItem[] = [];
  while (url) {
    if (pages >= MAX_PAGES) throw new ProviderError(`the Azure Retail Prices API answered more than ${MAX_PAGES} pages for ${key.vmSize} in ${key.region}`, { cloud: 'azure', operation: 'retailprices:Prices_Get' });
    const res = await get(url);
    pages++;
    let body: { Items?: unknown; NextPageLink?: unknown };
    try {
      body = JSON.parse(res.body) as typeof body;
    } catch {
      throw new ProviderError(`the Azure Retail Prices API answered HTTP ${res.status} that is not JSON`, { cloud: 'azure', operation: 'retailprices:Prices_Get' });
    }
    if (res.status !== 200) {
      const e = (body as { Error?: { Code?: string; Message?: string }; error?: { code?: string; message?: string } });
      throw new ProviderError(`the Azure Retail Prices API answered HTTP ${res.status}: ${e.Error?.Message ?? e.error?.message ?? 'error'}`, { cloud: 'azure', operation: 'retailprices:Prices_Get' });
    }
    if (!Array.isArray(body.Items)) throw new ProviderError('the Azure Retail Prices API answered without Items', { cloud: 'azure', operation: 'retailprices:Prices_Get' });
    seen.push(...(body.Items as RetailPriceItem[]));
    url = typeof body.NextPageLink === 'string' && body.NextPageLink !== '' ? body.NextPageLink : undefined;
  }
  return { price: vmPriceFromItems(seen, key), pages };
}

/** Usages an Azure ML VM price serves: endpoints (hosting), compute instances (notebook), clusters (training). */
const USAGES = ['hosting', 'notebook', 'training'] as const;

/** What {@link fetchVmPrices} read. */
export interface VmPriceRead {
  readonly prices: FetchedPrice[];
  /** Calls made to the API this time (cached reads make none). */
  readonly calls: number;
  /** Sizes the API had no price for: they keep the bundled table's price. */
  readonly missing: VmPriceKey[];
}

/**
 * Prices of the VM sizes in use, read from the Retail Prices API and cached for
 * {@link RETAIL_PRICE_CACHE_DAYS} per size and region (a miss is cached too).
 */
export async function fetchVmPrices(
  get: RetailPricesGet,
  endpoint: string,
  keys: readonly VmPriceKey[],
  cache: CostCache | undefined,
  now: Date,
  /** Reads in flight or done, shared by the subscriptions of one provider so parallel scans ask once per size and region. */
  memo: Map<string, Promise<RetailPrice | undefined>> = new Map(),
): Promise<VmPriceRead> {
  const prices: FetchedPrice[] = [];
  const missing: VmPriceKey[] = [];
  let calls = 0;
  const seen = new Set<string>();
  const today = now.toISOString().slice(0, 10);
  for (const k of memo.keys()) if (!k.endsWith(`|${today}`)) memo.delete(k);
  for (const key of keys) {
    const id = `${key.region.toLowerCase()}|${key.vmSize.toLowerCase()}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // Remembered for the day only: a long-running `costwatch serve` still re-reads through the 7-day cache.
    const memoKey = `${id}|${today}`;
    let pending = memo.get(memoKey);
    if (!pending) {
      pending = cachedRead(
        cache,
        `price:azure:retail-vm:v1:${key.region.toLowerCase()}:${key.vmSize}`,
        now,
        new Date(now.getTime() + RETAIL_PRICE_CACHE_DAYS * 86_400_000),
        async () => {
          const r = await readVmPrice(get, endpoint, key);
          calls += r.pages;
          return r.price;
        },
        { encode: (v) => v ?? null, decode: (raw) => (raw === null ? undefined : (raw as RetailPrice)) },
      );
      memo.set(memoKey, pending);
      // A failed read is not remembered: the next subscription tries again.
      pending.catch(() => memo.delete(memoKey));
    }
    const listed = await pending;
    if (!listed) {
      missing.push(key);
      continue;
    }
    const source = `Azure Retail Prices API (${key.vmSize} Linux pay-as-you-go, ${key.region}${listed.effectiveStartDate ? `, effective ${listed.effectiveStartDate.slice(0, 10)}` : ''})`;
    for (const usage of USAGES) prices.push({ cloud: 'azure', usage, instanceType: key.vmSize, region: key.region, price: listed.price, source });
  }
  return { prices, calls, missing };
}
