import type { BlobPriceTable, BlobTier } from '../pricing/blob-prices.js';
import { feeFormatter, horizonOf, int, payback, paybackSentence, pct } from './tiering-payback.js';

/*
 * Whether moving cold Hot blobs to a cooler Azure access tier pays: capacity saved, minus what
 * reading them back costs (read operations and data retrieval of the cooler tier, rehydration for
 * Archive), against the one-time write operation each move is billed as — within the tier's
 * early-deletion period, so that a blob moved back or deleted at the first moment it may be
 * without a fee has paid back. Pure: used by the cold-artifacts rule to propose, and by the Azure
 * provider to build the management-policy rule or the tier changes it performs.
 */

/** Tiers costwatch proposes: online ones (Archive is priced for the record but never proposed: it is offline until rehydrated). */
export const BLOB_TIERING_CANDIDATES: readonly BlobTier[] = ['Cool', 'Cold'];

/** Tiers priced in evidence. */
export const BLOB_TIERS_PRICED: readonly BlobTier[] = ['Cool', 'Cold', 'Archive'];

const GB = 1024 ** 3;

/** The cold blobs a proposal would move. */
export interface BlobTieringStats {
  readonly blobs: number;
  readonly bytes: number;
  readonly olderThanDays: number;
}

/** One target tier, priced over the first year. */
export interface BlobTieringOption {
  readonly tier: BlobTier;
  /** One-time cost of the move: one write operation of the target tier per blob. */
  readonly oneTime: number;
  /** Net saving in each month after the move. */
  readonly monthlyNet: number;
  /** Months within which the move must pay back: the early-deletion period. */
  readonly horizonMonths: number;
  readonly paybackMonth?: number;
  readonly paysBack: boolean;
  /** Whether costwatch may propose it (online tiers only). */
  readonly proposable: boolean;
  readonly yearNet: number;
  /** What moving every blob back to Hot would cost (read operations and retrieval of this tier), before any early-deletion fee. */
  readonly moveBackCost: number;
  readonly arithmetic: string;
  readonly currency: string;
}

/** Every priced tier for these blobs, with the arithmetic spelled out. */
export function blobTieringOptions(stats: BlobTieringStats, retrievalShare: number, table: BlobPriceTable): BlobTieringOption[] {
  return BLOB_TIERS_PRICED.map((t) => option(t, stats, retrievalShare, table));
}

/** The proposable option with the largest first-year net among those that pay back; undefined when none does. */
export function chooseBlobTier(options: readonly BlobTieringOption[]): BlobTieringOption | undefined {
  return [...options].filter((o) => o.proposable && o.paysBack && o.yearNet > 0).sort((a, b) => b.yearNet - a.yearNet)[0];
}

function option(tier: BlobTier, s: BlobTieringStats, r: number, table: BlobPriceTable): BlobTieringOption {
  const hot = table.tiers.Hot;
  const p = table.tiers[tier];
  const gb = s.bytes / GB;
  const cur = table.currency;
  const fmt = feeFormatter(cur);
  const storage = (hot.storageGbMonth - p.storageGbMonth) * gb;
  const retrieval = r * gb * p.retrievalPerGb;
  // Each blob read back once a month at the share read: the cooler tier's read price over Hot's.
  const readOps = ((r * s.blobs) / 10_000) * (p.readPer10k - hot.readPer10k);
  const monthlyNet = storage - retrieval - readOps;
  const oneTime = (s.blobs / 10_000) * p.writePer10k;
  const horizonMonths = horizonOf(p.earlyDeletionDays);
  const pb = payback(monthlyNet, oneTime, horizonMonths);
  const moveBackCost = (s.blobs / 10_000) * p.readPer10k + gb * p.retrievalPerGb;
  const readWord = p.online ? 'retrieval' : 'rehydration (standard priority, up to 15 h offline)';
  const within = `${p.earlyDeletionDays} d (its early-deletion period)`;
  const parts = [
    `storage ${gb.toFixed(2)} GB × (${fmt(hot.storageGbMonth)} − ${fmt(p.storageGbMonth)}) = ${fmt(storage)}/month`,
    `${readWord} ${pct(r)} × ${gb.toFixed(2)} GB × ${fmt(p.retrievalPerGb)} = ${fmt(retrieval)}/month`,
    `read operations ${pct(r)} × ${int(s.blobs)} × (${fmt(p.readPer10k)} − ${fmt(hot.readPer10k)})/10,000 = ${fmt(readOps)}/month`,
    `tier change ${int(s.blobs)} writes × ${fmt(p.writePer10k)}/10,000 = ${fmt(oneTime)} once`,
    paybackSentence(pb, within, fmt),
    `moving back to Hot: ${fmt(moveBackCost)} in reads and retrieval, plus early deletion for the rest of ${p.earlyDeletionDays} d if sooner`,
    ...(p.online ? [] : ['not proposed: Archive is offline until rehydrated']),
  ];
  return {
    tier,
    oneTime,
    monthlyNet,
    horizonMonths,
    ...pb,
    proposable: BLOB_TIERING_CANDIDATES.includes(tier),
    moveBackCost,
    arithmetic: `${tier}: ${parts.join('; ')}`,
    currency: cur,
  };
}

/** A lifecycle management-policy rule as Azure Storage takes it (`ManagementPolicyRule`, without importing the SDK). */
export interface ProposedManagementPolicyRule {
  readonly enabled: true;
  readonly name: string;
  readonly type: 'Lifecycle';
  readonly definition: {
    readonly filters: { readonly blobTypes: readonly ['blockBlob']; readonly prefixMatch: readonly string[] };
    readonly actions: { readonly baseBlob: Readonly<Partial<Record<'tierToCool' | 'tierToCold', { readonly daysAfterModificationGreaterThan: number }>>> };
  };
}

/**
 * Name of the rule costwatch adds for a container; stable, so a second run finds its own rule.
 * Azure allows only letters and digits (up to 256; container names are at most 63).
 */
export function managementPolicyRuleName(container: string): string {
  const plain = container.replace(/[^A-Za-z0-9]/g, '');
  // Hyphens dropped, two containers (a-b, ab) could share a name: a hash of the real one tells them apart.
  return plain === container ? `costwatchcold${plain}` : `costwatchcold${plain}x${fnv(container)}`;
}

/** FNV-1a, 32 bits, in base 36: short and stable. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** The rule that moves the container's block blobs to `tier` `days` after their last modification. */
export function managementPolicyRuleFor(container: string, tier: BlobTier, days: number): ProposedManagementPolicyRule {
  if (tier !== 'Cool' && tier !== 'Cold') throw new Error(`costwatch proposes only Cool or Cold, not ${tier}`);
  const action = tier === 'Cool' ? 'tierToCool' : 'tierToCold';
  return {
    enabled: true,
    name: managementPolicyRuleName(container),
    type: 'Lifecycle',
    definition: {
      filters: { blobTypes: ['blockBlob'], prefixMatch: [`${container}/`] },
      actions: { baseBlob: { [action]: { daysAfterModificationGreaterThan: days } } },
    },
  };
}
