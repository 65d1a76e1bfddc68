import gcsTable from './gcp-storage.json' with { type: 'json' };

/*
 * Cloud Storage prices for the cold-artifacts rule: a bundled, dated table per bucket location,
 * with the policy's `prices.gcs` and prices read from a price API on top. Every figure has a key
 * `<location>/<CLASS>/<item>` (e.g. `us-central1/NEARLINE/storageGbMonth`), the unit a Cloud
 * Billing Catalog SKU of the Cloud Storage service is priced in (GB-month, GB, 1,000 operations),
 * so a Catalog reader fills the same keys with `withFetched` and every lookup names where its
 * figure came from.
 */

/** Cloud Storage classes costwatch prices. */
export const GCS_STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const;

/** One Cloud Storage class. */
export type GcsStorageClass = (typeof GCS_STORAGE_CLASSES)[number];

/** Prices and fees of one class in one location, in the table's currency. */
export interface GcsClassPrice {
  /** Storage per GB-month (GB = 2^30 bytes). */
  readonly storageGbMonth: number;
  /** Data retrieval per GB read. */
  readonly retrievalPerGb: number;
  /** Class A operations (writes, listings, a lifecycle SetStorageClass into this class), per 1,000. */
  readonly classAPer1000: number;
  /** Class B operations (object reads), per 1,000. */
  readonly classBPer1000: number;
  /** Minimum storage duration: an object deleted or moved earlier is billed as if it stayed. */
  readonly minimumDays: number;
}

/** The items of a class price, each one price key. */
export const GCS_PRICE_ITEMS = ['storageGbMonth', 'retrievalPerGb', 'classAPer1000', 'classBPer1000', 'minimumDays'] as const;

/** The bundled table, as the JSON holds it. */
export interface GcsPriceTable {
  readonly cloud: 'gcp';
  readonly service: string;
  readonly currency: string;
  readonly asOf: string;
  readonly source: string;
  /** Location whose prices stand in for a location the table does not list. */
  readonly fallbackLocation: string;
  readonly locations: Readonly<Record<string, Readonly<Record<GcsStorageClass, GcsClassPrice>>>>;
}

/** `prices.gcs` in costwatch.yml: per storage class, any of its figures, for every location. */
export type GcsPriceOverrides = Partial<Record<GcsStorageClass, Partial<Pick<GcsClassPrice, 'storageGbMonth' | 'retrievalPerGb' | 'classAPer1000' | 'classBPer1000' | 'minimumDays'>>>>;

/** A price read from a price API (e.g. the Cloud Billing Catalog) under its key. */
export interface FetchedGcsPrice {
  /** `<location>/<CLASS>/<item>`, see {@link gcsPriceKey}. */
  readonly key: string;
  readonly value: number;
  /** How the figure is named in evidence, e.g. `Cloud Billing Catalog SKU 1234-… (2026-12-01)`. */
  readonly source: string;
}

/** The prices of every class in one location, and how the evidence names them. */
export interface GcsPrices {
  readonly location: string;
  readonly currency: string;
  readonly classes: Readonly<Record<GcsStorageClass, GcsClassPrice>>;
  /** E.g. `bundled Cloud Storage price table 2026-12 (us-central1)`, with overrides and stand-ins named. */
  readonly source: string;
}

/** The bundled table. */
export const BUNDLED_GCS_PRICES = gcsTable as GcsPriceTable;

/** The key of one figure: `<location>/<CLASS>/<item>`, location lower-case as buckets report it lower-cased. */
export function gcsPriceKey(location: string, storageClass: GcsStorageClass, item: (typeof GCS_PRICE_ITEMS)[number]): string {
  return `${location.toLowerCase()}/${storageClass}/${item}`;
}

/** Cloud Storage prices: config overrides first, then fetched prices, then the bundled table. */
export class GcsPriceBook {
  private readonly fetched = new Map<string, FetchedGcsPrice>();

  constructor(
    private readonly overrides: GcsPriceOverrides = {},
    private readonly table: GcsPriceTable = BUNDLED_GCS_PRICES,
  ) {}

  /** Adds prices read from a price API for this scan, keyed by {@link gcsPriceKey}. */
  withFetched(prices: readonly FetchedGcsPrice[]): this {
    for (const p of prices) if (Number.isFinite(p.value) && p.value >= 0) this.fetched.set(p.key, p);
    return this;
  }

  /** Prices of a bucket location (`us-central1`, `US`, `eu`…); a location the table lacks gets the fallback's, said in the source. */
  forLocation(location: string): GcsPrices {
    const loc = location.toLowerCase();
    const listed = this.table.locations[loc];
    const base = listed ?? this.table.locations[this.table.fallbackLocation];
    if (!base) throw new Error(`the Cloud Storage price table has no ${this.table.fallbackLocation} prices`);
    const fetchedSources = new Set<string>();
    const overridden: string[] = [];
    const classes = {} as Record<GcsStorageClass, GcsClassPrice>;
    for (const c of GCS_STORAGE_CLASSES) {
      const price: Record<string, number> = { ...base[c] };
      for (const item of GCS_PRICE_ITEMS) {
        const f = this.fetched.get(gcsPriceKey(loc, c, item));
        if (f) {
          price[item] = f.value;
          fetchedSources.add(f.source);
        }
      }
      const o = this.overrides[c];
      if (o && Object.keys(o).length > 0) {
        Object.assign(price, o);
        overridden.push(c);
      }
      classes[c] = price as unknown as GcsClassPrice;
    }
    const where = listed ? loc : `${this.table.fallbackLocation} prices used for ${loc}`;
    const bundled = `bundled Cloud Storage price table ${this.table.asOf} (${where})`;
    let source = fetchedSources.size > 0 ? `${[...fetchedSources].join(', ')}; the rest from the ${bundled}` : bundled;
    if (overridden.length > 0) source += `; costwatch.yml prices.gcs override for ${overridden.join(', ')}`;
    return { location: loc, currency: this.table.currency, classes, source };
  }
}
