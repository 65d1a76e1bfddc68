import type { Resource } from '../domain/resource.js';
import type { PriceBook } from '../pricing/price-book.js';
import { PRICE_USAGE_BY_KIND } from '../pricing/price-usage.js';
import { rateOf } from '../rules/helpers.js';
import type { Collection } from '../providers/port.js';

export { PRICE_USAGE_BY_KIND };

/** The resource with its hourly price, when its kind is billed per instance-hour and the price is known. */
export function withHourlyPrice(r: Resource, prices: PriceBook): Resource {
  const usage = PRICE_USAGE_BY_KIND[r.kind];
  const rate = usage ? rateOf(r, usage, prices) : undefined;
  return rate ? { ...r, hourlyPrice: { amount: Math.round(rate.hourly * 10_000) / 10_000, currency: rate.currency } } : r;
}

/** Every collection with its resources priced. */
export function priceCollections(collections: readonly Collection[], prices: PriceBook): Collection[] {
  return collections.map((c) => ({ ...c, resources: c.resources.map((r) => withHourlyPrice(r, prices)) }));
}
