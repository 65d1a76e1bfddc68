import s3Table from './aws-s3-storage.json' with { type: 'json' };

/** S3 storage classes costwatch prices. */
export const S3_STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;

/** One S3 storage class. */
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

/** Prices and fees of one storage class, in the table's currency. */
export interface StorageClassPrice {
  /** Storage per GB-month (GB = 2^30 bytes), first tier. */
  readonly storageGbMonth: number;
  /** Intelligent-Tiering: cheaper tiers an object reaches after this many days without access. */
  readonly tiers?: readonly { readonly afterDays: number; readonly storageGbMonth: number }[];
  /** Lifecycle transition requests into this class, per 1,000 objects. */
  readonly transitionPer1000: number;
  /** Data retrieval per GB read. */
  readonly retrievalPerGb: number;
  /** Minimum storage duration: removing or moving an object earlier is billed as if it stayed. */
  readonly minimumDays: number;
  /** Objects smaller than this are billed as this size. */
  readonly minimumBillableBytes: number;
  /** S3 refuses lifecycle transitions into this class for objects younger than this. */
  readonly minimumTransitionAgeDays?: number;
  /** Intelligent-Tiering monitoring and automation, per 1,000 monitored objects per month. */
  readonly monitoringPer1000Objects?: number;
  /** Intelligent-Tiering monitors (and tiers) only objects at least this large. */
  readonly monitoringMinimumBytes?: number;
  /** Extra bytes billed per object (archive index and metadata). */
  readonly overheadBytes?: number;
  /** Readable at once (no restore first). */
  readonly instantAccess: boolean;
}

/** A dated, sourced table of S3 storage-class prices for one region. */
export interface StoragePriceTable {
  readonly cloud: 'aws';
  readonly service: string;
  readonly currency: string;
  readonly region: string;
  readonly asOf: string;
  readonly source: string;
  readonly classes: Readonly<Record<S3StorageClass, StorageClassPrice>>;
  /** Classes changed by the policy's `prices.s3`, named in evidence. */
  readonly overridden?: readonly S3StorageClass[];
}


/** The bundled S3 table (us-east-1). */
export const BUNDLED_S3_PRICES = s3Table as StoragePriceTable;

/** `prices.s3` in costwatch.yml: per storage class, any of the table's figures (validated by shared/config/schema.ts). */
export type S3PriceOverrides = Partial<
  Record<S3StorageClass, Partial<Pick<StorageClassPrice, 'storageGbMonth' | 'transitionPer1000' | 'retrievalPerGb' | 'minimumDays' | 'monitoringPer1000Objects'>>>
>;

/** The bundled table with the policy's overrides on top; the source says which classes changed. */
export function s3PriceTable(overrides: S3PriceOverrides = {}, base: StoragePriceTable = BUNDLED_S3_PRICES): StoragePriceTable {
  const changed = (Object.keys(overrides) as S3StorageClass[]).filter((c) => Object.keys(overrides[c] ?? {}).length > 0);
  if (changed.length === 0) return base;
  const classes = { ...base.classes };
  for (const c of changed) classes[c] = { ...classes[c], ...overrides[c] };
  return { ...base, classes, overridden: changed };
}

/** How a table is named in evidence: `bundled S3 price table 2025-06 (us-east-1)` plus overrides. */
export function storagePriceSource(t: StoragePriceTable, region: string): string {
  const where = region === t.region ? t.region : `${t.region} prices used for ${region}`;
  const over = t.overridden?.length ? `; costwatch.yml prices.s3 override for ${t.overridden.join(', ')}` : '';
  return `bundled S3 price table ${t.asOf} (${where})${over}`;
}
