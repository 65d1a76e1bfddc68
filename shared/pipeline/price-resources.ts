import type { Resource } from '../domain/resource.js';
import type { PriceBook, PriceUsage } from '../pricing/price-book.js';
import { rateOf } from '../rules/helpers.js';
import type { Collection } from '../providers/port.js';

/** Which price list applies to each billable kind (a training price is never used for hosting). */
export const PRICE_USAGE_BY_KIND: Readonly<Record<string, PriceUsage>> = {
  'aws.sagemaker.endpoint': 'hosting',
  'aws.sagemaker.notebook-instance': 'notebook',
  'aws.sagemaker.studio-app': 'studio',
  'aws.sagemaker.training-job': 'training',
  'aws.sagemaker.processing-job': 'processing',
  'gcp.vertex.endpoint': 'hosting',
  'gcp.workbench.instance': 'notebook',
  'gcp.vertex.custom-job': 'training',
};

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
