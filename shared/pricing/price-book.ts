import hostingTable from './aws-sagemaker-hosting.json' with { type: 'json' };
import notebooksTable from './aws-sagemaker-notebooks.json' with { type: 'json' };
import processingTable from './aws-sagemaker-processing.json' with { type: 'json' };
import studioTable from './aws-sagemaker-studio.json' with { type: 'json' };
import trainingTable from './aws-sagemaker-training.json' with { type: 'json' };
import gcpPredictionTable from './gcp-vertex-prediction.json' with { type: 'json' };
import gcpTrainingTable from './gcp-vertex-training.json' with { type: 'json' };
import gcpWorkbenchTable from './gcp-workbench.json' with { type: 'json' };
import azureMlVmTable from './azure-ml-vm.json' with { type: 'json' };
import type { Money } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';
import { BUNDLED_S3_PRICES, s3PriceTable, type S3PriceOverrides, type StoragePriceTable } from './storage-prices.js';
import { GcsPriceBook, type GcsPriceOverrides } from './gcs-prices.js';

/**
 * What an instance-hour pays for. SageMaker prices the same instance type differently per use,
 * so a lookup names its use and never falls back to another's table.
 */
export type PriceUsage = 'hosting' | 'notebook' | 'studio' | 'training' | 'processing';

/** A bundled price table: dated, sourced, one currency, one reference region. */
export interface PriceTable {
  readonly cloud: Cloud;
  readonly service: string;
  /** The use the prices are for; absent means `hosting` (the first tables had none). */
  readonly usage?: PriceUsage;
  readonly currency: string;
  readonly unit: string;
  readonly region: string;
  readonly asOf: string;
  readonly source: string;
  readonly prices: Readonly<Record<string, number>>;
  /** Per-accelerator hourly prices, for clouds that bill accelerators apart from the machine (Google Cloud). */
  readonly accelerators?: Readonly<Record<string, number>>;
}

/** An hourly price and where it came from. */
export interface HourlyPrice {
  readonly price: Money;
  readonly source: string;
}

/** A price read from a cloud's price list during a scan (AWS Price List API), loaded before rules run. */
export interface FetchedPrice {
  readonly cloud: Cloud;
  readonly usage: PriceUsage;
  readonly instanceType: string;
  readonly region: string;
  readonly price: Money;
  readonly source: string;
}

const BUNDLED: readonly PriceTable[] = [
  hostingTable as PriceTable,
  notebooksTable as PriceTable,
  studioTable as PriceTable,
  trainingTable as PriceTable,
  processingTable as PriceTable,
  gcpPredictionTable as PriceTable,
  gcpWorkbenchTable as PriceTable,
  gcpTrainingTable as PriceTable,
  // Azure ML bills endpoints, compute instances and clusters at one VM price: one table, three uses.
  azureMlVmTable as PriceTable,
  { ...(azureMlVmTable as PriceTable), usage: 'notebook' },
  { ...(azureMlVmTable as PriceTable), usage: 'training' },
];

/**
 * Looks up hourly instance prices: config overrides first, then the bundled tables. Returns
 * undefined for an unknown instance type, so no estimate is ever invented.
 */
export class PriceBook {
  constructor(
    private readonly overrides: Partial<Record<Cloud, Readonly<Record<string, number>>>> = {},
    private readonly tables: readonly PriceTable[] = BUNDLED,
    options: { readonly s3?: S3PriceOverrides; readonly gcs?: GcsPriceOverrides } = {},
  ) {
    this.s3 = options.s3 ? s3PriceTable(options.s3) : BUNDLED_S3_PRICES;
    this.gcs = new GcsPriceBook(options.gcs ?? {});
  }

  private readonly gcs: GcsPriceBook;

  private readonly s3: StoragePriceTable;
  // Synchronous lookups stay synchronous: a scan loads fetched prices first, rules read them here.
  private readonly fetched = new Map<string, FetchedPrice>();

  /** Adds prices fetched for this scan; they rank below config overrides and above the bundled tables. */
  addFetched(prices: readonly FetchedPrice[]): void {
    for (const p of prices) this.fetched.set(`${p.cloud}|${p.usage}|${p.region}|${p.instanceType}`, p);
  }

  /** S3 storage-class prices and fees (bundled, dated table with the policy's `prices.s3` on top). */
  storage(): StoragePriceTable {
    return this.s3;
  }

  /** Cloud Storage class prices and fees per bucket location (bundled, dated table; `prices.gcs` and fetched prices on top). */
  gcsStorage(): GcsPriceBook {
    return this.gcs;
  }

  /** Hourly on-demand price of an instance type in a region, for real-time inference hosting. */
  hourly(cloud: Cloud, instanceType: string, region: string): HourlyPrice | undefined {
    return this.hourlyFor('hosting', cloud, instanceType, region);
  }

  /**
   * Hourly on-demand price for one use. Overrides are keyed `<use>:<instance type>`; a bare
   * instance type overrides the hosting price only.
   */
  hourlyFor(usage: PriceUsage, cloud: Cloud, instanceType: string, region: string): HourlyPrice | undefined {
    const key = usage === 'hosting' ? instanceType : `${usage}:${instanceType}`;
    const override = this.overrides[cloud]?.[key];
    if (override !== undefined) {
      return { price: { amount: override, currency: 'USD' }, source: usage === 'hosting' ? 'costwatch.yml prices override' : `costwatch.yml prices override (${key})` };
    }
    const fetched = this.fetched.get(`${cloud}|${usage}|${region}|${instanceType}`);
    if (fetched) return { price: fetched.price, source: fetched.source };
    for (const t of this.tables) {
      if (t.cloud !== cloud || (t.usage ?? 'hosting') !== usage) continue;
      const p = t.prices[instanceType];
      if (p === undefined) continue;
      const regionNote = region === t.region ? t.region : `${t.region} price used for ${region}`;
      return { price: { amount: p, currency: t.currency }, source: `bundled ${usage === 'hosting' ? '' : `${usage} `}price table ${t.asOf} (${regionNote})` };
    }
    return undefined;
  }

  /**
   * Hourly price of one accelerator for one use (Google Cloud bills GPUs apart from the machine).
   * Overrides are keyed `<use>:accelerator:<type>`, or `accelerator:<type>` for hosting.
   */
  acceleratorHourly(usage: PriceUsage, cloud: Cloud, acceleratorType: string, region: string): HourlyPrice | undefined {
    const key = usage === 'hosting' ? `accelerator:${acceleratorType}` : `${usage}:accelerator:${acceleratorType}`;
    const override = this.overrides[cloud]?.[key];
    if (override !== undefined) return { price: { amount: override, currency: 'USD' }, source: `costwatch.yml prices override (${key})` };
    const fetched = this.fetched.get(`${cloud}|${usage}|${region}|accelerator:${acceleratorType}`);
    if (fetched) return { price: fetched.price, source: fetched.source };
    for (const t of this.tables) {
      if (t.cloud !== cloud || (t.usage ?? 'hosting') !== usage) continue;
      const p = t.accelerators?.[acceleratorType];
      if (p === undefined) continue;
      const regionNote = region === t.region ? t.region : `${t.region} price used for ${region}`;
      return { price: { amount: p, currency: t.currency }, source: `bundled ${usage === 'hosting' ? '' : `${usage} `}price table ${t.asOf} (${regionNote})` };
    }
    return undefined;
  }
}
