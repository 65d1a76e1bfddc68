import type { PricingClient } from '@aws-sdk/client-pricing';
import { clientOf, pricingSdk, type ClientRef } from './sdk.js';
import { money, type Money } from '../../domain/money.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { cachedRead, type CostCache } from './cost-cache.js';

/** How long a price read from the Price List API is trusted (prices change rarely). */
export const PRICE_CACHE_DAYS = 7;

/** An instance type in a region, whose hosting price to read. */
export interface PriceKey {
  readonly instanceType: string;
  readonly region: string;
}

/** A price picked from Price List products, with what identifies it. */
export interface ListedPrice {
  readonly price: Money;
  readonly sku: string;
  readonly publicationDate?: string;
}

/**
 * The on-demand hourly hosting (real-time inference) price in Price List `GetProducts` output: the
 * product with `component` Hosting (or a `Host` usage type) for the instance type and region,
 * its OnDemand price dimension per hour. Undefined when there is none.
 */
export function hostingPriceFromProducts(priceList: readonly unknown[], key: PriceKey): ListedPrice | undefined {
  for (const item of priceList) {
    let doc: unknown;
    try {
      doc = JSON.parse(String(item));
    } catch {
      continue;
    }
    const p = doc as {
      product?: { sku?: string; attributes?: Record<string, string> };
      terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: Record<string, string> }> }> };
      publicationDate?: string;
    };
    const a = p.product?.attributes ?? {};
    if ((a['instanceName'] ?? a['instanceType']) !== key.instanceType && a['instanceName'] !== key.instanceType) continue;
    if (a['regionCode'] !== undefined && a['regionCode'] !== key.region) continue;
    const hosting = a['component'] === 'Hosting' || /(^|-)Host(ing)?:/.test(a['usagetype'] ?? '');
    if (!hosting) continue;
    for (const term of Object.values(p.terms?.OnDemand ?? {})) {
      for (const dim of Object.values(term.priceDimensions ?? {})) {
        if (dim.unit !== undefined && !/^hrs?$/i.test(dim.unit)) continue;
        for (const [currency, text] of Object.entries(dim.pricePerUnit ?? {})) {
          const x = Number(text);
          if (Number.isFinite(x) && x > 0 && /^[A-Z]{3}$/.test(currency)) {
            return { price: money(x, currency), sku: p.product?.sku ?? '?', ...(p.publicationDate ? { publicationDate: p.publicationDate } : {}) };
          }
        }
      }
    }
  }
  return undefined;
}

/** Reads one hosting price with GetProducts (every page); undefined when the Price List has none. */
export async function readHostingPrice(ref: ClientRef<PricingClient>, key: PriceKey): Promise<ListedPrice | undefined> {
  const [{ GetProductsCommand }, pricing] = await Promise.all([pricingSdk(), clientOf(ref)]);
  let token: string | undefined;
  do {
    const out = await pricing.send(
      new GetProductsCommand({
        ServiceCode: 'AmazonSageMaker',
        Filters: [
          { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'ML Instance' },
          { Type: 'TERM_MATCH', Field: 'regionCode', Value: key.region },
          { Type: 'TERM_MATCH', Field: 'instanceName', Value: key.instanceType },
        ],
        FormatVersion: 'aws_v1',
        MaxResults: 100,
        NextToken: token,
      }),
    );
    const found = hostingPriceFromProducts((out.PriceList ?? []) as readonly unknown[], key);
    if (found) return found;
    token = out.NextToken;
  } while (token);
  return undefined;
}

/**
 * Hosting prices of the instance types in use, read from the Price List API and cached in the
 * store for {@link PRICE_CACHE_DAYS} (a miss is cached too). Types the Price List does
 * not have keep the bundled table's price.
 */
export async function fetchHostingPrices(pricing: ClientRef<PricingClient>, keys: readonly PriceKey[], cache: CostCache | undefined, now: Date): Promise<FetchedPrice[]> {
  const out: FetchedPrice[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const id = `${key.region}|${key.instanceType}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const listed = await cachedRead(
      cache,
      `price:aws:sagemaker-hosting:v1:${key.region}:${key.instanceType}`,
      now,
      new Date(now.getTime() + PRICE_CACHE_DAYS * 86_400_000),
      () => readHostingPrice(pricing, key),
      {
        encode: (v) => v ?? null,
        decode: (raw) => (raw === null ? undefined : (raw as ListedPrice)),
      },
    );
    if (!listed) continue;
    out.push({
      cloud: 'aws',
      usage: 'hosting',
      instanceType: key.instanceType,
      region: key.region,
      price: listed.price,
      source: `AWS Price List API (SageMaker hosting, ${key.region}, SKU ${listed.sku}${listed.publicationDate ? `, published ${listed.publicationDate.slice(0, 10)}` : ''})`,
    });
  }
  return out;
}
