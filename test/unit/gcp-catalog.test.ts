import { describe, expect, it } from 'vitest';
import { acceleratorPrice, machinePrice, storageClassPrice, storageOperationPrice, storagePrices } from '../../shared/providers/gcp/catalog.js';
import { GcsPriceBook } from '../../shared/pricing/gcs-prices.js';
import { CATALOG_SKUS } from '../fixtures/gcp/billing-world.js';

/*
 * Matching Cloud Billing Catalog SKUs to what costwatch prices: Workbench (Compute Engine VMs),
 * Vertex AI custom training (machine + management fee) and Cloud Storage classes. The SKUs are
 * the fixture's, described as `services.skus.list` describes them, with look-alikes beside them.
 */

const skus = CATALOG_SKUS.map((s) => ({
  skuId: s.id,
  description: s.description,
  serviceRegions: s.regions,
  pricingInfo: [{ pricingExpression: { usageUnit: s.unit, tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', units: String(Math.floor(s.price)), nanos: Math.round((s.price % 1) * 1e9) } }] } }],
}));

describe('Catalog prices for Workbench (Compute Engine)', () => {
  it('prices a machine from its family core and RAM SKUs in the region, never the Spot or another region', () => {
    const p = machinePrice(skus, 'notebook', 'n1-standard-4', 'us-central1');
    // 4 × 0.031611 + 15 × 0.004237
    expect(p?.price.amount).toBeCloseTo(4 * 0.031611 + 15 * 0.004237, 6);
    expect(p?.source).toMatch(/^Cloud Billing Catalog API \(Compute Engine, us-central1: 4 vCPU × 0.031611\/h SKU CE01-0000-0001 \+ 15 GiB × 0.004237\/h SKU CE01-0000-0002/);
    // us-east4 is "Virginia", not "Americas".
    expect(machinePrice(skus, 'notebook', 'n1-standard-4', 'us-east4')?.source).toMatch(/CE01-0000-0004 .*CE01-0000-0005/);
    expect(machinePrice(skus, 'notebook', 'e2-standard-4', 'us-central1')?.price.amount).toBeCloseTo(4 * 0.021811 + 16 * 0.002923, 6);
    // No SKU in that region, or a family costwatch cannot shape: no price (the bundled table then).
    expect(machinePrice(skus, 'notebook', 'n1-standard-4', 'europe-west4')).toBeUndefined();
    expect(machinePrice(skus, 'notebook', 'n2-standard-4', 'us-central1')).toBeUndefined();
    expect(machinePrice(skus, 'notebook', 'g2-standard-8', 'us-central1')).toBeUndefined();
  });

  it('prices a GPU on demand, not the Spot SKU, and tells the A100 40 GB from the 80 GB', () => {
    expect(acceleratorPrice(skus, 'notebook', 'NVIDIA_TESLA_T4', 'us-central1')?.price.amount).toBe(0.35);
    expect(acceleratorPrice(skus, 'notebook', 'NVIDIA_TESLA_A100', 'us-central1')?.source).toMatch(/CE01-0000-0011/);
    expect(acceleratorPrice(skus, 'notebook', 'NVIDIA_A100_80GB', 'us-central1')?.source).toMatch(/CE01-0000-0010/);
    expect(acceleratorPrice(skus, 'notebook', 'NVIDIA_L4', 'us-central1')).toBeUndefined();
  });
});

describe('Catalog prices for custom training (Vertex AI)', () => {
  it('adds the management fee to the machine; without the fee SKUs there is no Catalog price', () => {
    const p = machinePrice(skus, 'training', 'n1-standard-4', 'us-central1');
    expect(p?.price.amount).toBeCloseTo(4 * (0.031611 + 0.0047417) + 15 * (0.004237 + 0.0006356), 6);
    expect(p?.source).toMatch(/^Cloud Billing Catalog API \(Vertex AI training, us-central1: 4 vCPU × 0.031611\/h SKU 7A01-0000-0002 \+ 4 vCPU × 0.0047417\/h SKU 7A01-0000-0004 \(management fee\)/);
    // Belgium has the core SKU only: a partial price is never given.
    expect(machinePrice(skus, 'training', 'n1-standard-4', 'europe-west1')).toBeUndefined();
    expect(machinePrice(skus.filter((s) => !/Management fee/.test(s.description)), 'training', 'n1-standard-4', 'us-central1')).toBeUndefined();
    expect(acceleratorPrice(skus, 'training', 'NVIDIA_TESLA_T4', 'us-central1')?.price.amount).toBe(0.4025);
    // Prediction SKUs are not training SKUs.
    expect(machinePrice(skus, 'hosting', 'n1-standard-4', 'us-central1')).toBeUndefined();
  });
});

describe('Catalog prices for Cloud Storage classes', () => {
  it('takes the region SKU for a region and the multi-region SKU for a multi-region, never dual-region or early delete', () => {
    expect(storageClassPrice(skus, 'STANDARD', 'us-central1')?.source).toMatch(/5A01-0000-0002 "Standard Storage Iowa"/);
    expect(storageClassPrice(skus, 'NEARLINE', 'us-central1')?.price.amount).toBe(0.011);
    expect(storageClassPrice(skus, 'STANDARD', 'US')?.price.amount).toBe(0.026);
    expect(storageClassPrice(skus, 'COLDLINE', 'US')).toBeUndefined();
    expect(storageClassPrice(skus, 'STANDARD', 'europe-west1')).toBeUndefined();
    // Operations: per count, shown per 1,000; regional and multi-region SKUs apart.
    expect(storageOperationPrice(skus, 'NEARLINE', 'us-central1', 'A')?.price.amount).toBeCloseTo(0.01, 9);
    expect(storageOperationPrice(skus, 'NEARLINE', 'US', 'A')?.price.amount).toBeCloseTo(0.02, 9);
    expect(storageOperationPrice(skus, 'COLDLINE', 'us-central1', 'B')).toBeUndefined();
  });

  it('fills the price book: Catalog figures named, the rest from the bundled table, said so', () => {
    const fetched = storagePrices(skus, 'us-central1', 'USD');
    expect(fetched.find((f) => f.key === 'us-central1/NEARLINE/storageGbMonth')?.value).toBe(0.011);
    expect(fetched.some((f) => f.key.endsWith('/retrievalPerGb'))).toBe(false);
    const prices = new GcsPriceBook().withFetched(fetched).forLocation('us-central1');
    expect(prices.classes.NEARLINE.storageGbMonth).toBe(0.011);
    expect(prices.classes.COLDLINE.classBPer1000).toBe(0.01);
    expect(prices.source).toMatch(/^Cloud Billing Catalog API \(Cloud Storage.*; the rest from the bundled Cloud Storage price table/);
    // Another currency than the table's is left to the table.
    expect(storagePrices(skus, 'us-central1', 'EUR')).toEqual([]);
    expect(new GcsPriceBook().forLocation('us-central1').source).toMatch(/^bundled Cloud Storage price table/);
  });
});
