import blobTable from './azure-blob-storage.json' with { type: 'json' };

/** Azure Blob access tiers costwatch prices (block blobs). */
export const BLOB_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;

/** One Azure Blob access tier. */
export type BlobTier = (typeof BLOB_TIERS)[number];

/** Prices and fees of one access tier, in the table's currency. */
export interface BlobTierPrice {
  /** Capacity per GB-month (GB = 2^30 bytes), first 50 TB. */
  readonly storageGbMonth: number;
  /** Write operations per 10,000: Set Blob Tier and lifecycle tiering into this tier are billed as writes of this tier. */
  readonly writePer10k: number;
  /** Read operations per 10,000 (Archive: rehydration reads, standard priority). */
  readonly readPer10k: number;
  /** Data retrieval per GB read (Archive: rehydration, standard priority). */
  readonly retrievalPerGb: number;
  /** Early-deletion period: a blob moved out or deleted earlier is billed for the rest of it. */
  readonly earlyDeletionDays: number;
  /** Readable at once; Archive blobs must be rehydrated first (up to 15 hours at standard priority). */
  readonly online: boolean;
}

/** A dated, sourced table of Azure Blob tier prices for one region. */
export interface BlobPriceTable {
  readonly cloud: 'azure';
  readonly service: string;
  readonly currency: string;
  readonly region: string;
  readonly asOf: string;
  readonly source: string;
  readonly tiers: Readonly<Record<BlobTier, BlobTierPrice>>;
}

/** The bundled Azure Blob table (eastus, LRS). */
export const BUNDLED_BLOB_PRICES = blobTable as BlobPriceTable;

/** How the table is named in evidence: `bundled Azure Blob price table 2025-01 (eastus, LRS)`, saying when it stands in for another region. */
export function blobPriceSource(t: BlobPriceTable, region: string): string {
  const where = region === t.region ? t.region : `${t.region} prices used for ${region}`;
  return `bundled Azure Blob price table ${t.asOf} (${where}, LRS, pay-as-you-go; ${t.source.split(' (')[0] ?? 'Azure pricing page'})`;
}
