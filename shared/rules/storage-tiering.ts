import type { S3StorageClass, StorageClassPrice, StoragePriceTable } from '../pricing/storage-prices.js';
import { DAYS_PER_MONTH, feeFormatter, int, payback, paybackSentence, pct, YEAR_MONTHS } from './tiering-payback.js';

/*
 * Whether moving cold STANDARD objects to a colder class pays: storage saved, minus what reading
 * them back costs (retrieval fees) and what watching them costs (Intelligent-Tiering monitoring),
 * against the one-time transition requests — within the target class's minimum storage duration,
 * so that even data deleted at the first moment it may be deleted without a fee has paid back.
 * Pure: used by the cold-artifacts rule to propose, and by the provider to build the rule it puts.
 */

/** Classes costwatch proposes: readable at once, with S3's full durability (not One Zone, not Glacier archives). */
export const TIERING_CANDIDATES: readonly S3StorageClass[] = ['STANDARD_IA', 'GLACIER_IR', 'INTELLIGENT_TIERING'];

/**
 * Objects up to this size are left out of proposals: Infrequent Access and Glacier Instant
 * Retrieval bill them as 128 KiB, Intelligent-Tiering never tiers them, and S3 lifecycle by default
 * does not transition them at all.
 */
export const SMALL_OBJECT_BYTES = 128 * 1024;

/** Months over which Intelligent-Tiering (no minimum duration) must pay back: its cheaper tiers start after 30 and 90 days. */
export const INTELLIGENT_TIERING_HORIZON_MONTHS = 3;

const GB = 1024 ** 3;

/** The cold objects a proposal would move. */
export interface TieringStats {
  /** Objects larger than {@link SMALL_OBJECT_BYTES}. */
  readonly objects: number;
  readonly bytes: number;
  readonly olderThanDays: number;
}

/** One target class, priced over the first year. */
export interface TieringOption {
  readonly storageClass: S3StorageClass;
  /** `Days` of the lifecycle transition (olderThanDays, or more where S3 requires it). */
  readonly transitionDays: number;
  readonly oneTime: number;
  /** Net saving in each of the first 12 months after the move. */
  readonly monthlyNet: readonly number[];
  readonly horizonMonths: number;
  /** First month by whose end the savings cover the one-time cost; undefined if never within 12 months. */
  readonly paybackMonth?: number;
  /** Pays back within its horizon (the minimum storage duration). */
  readonly paysBack: boolean;
  /** Net over the first year, one-time cost included. */
  readonly yearNet: number;
  readonly arithmetic: string;
  readonly currency: string;
}

/** Every candidate class priced for these objects, with the arithmetic spelled out. */
export function tieringOptions(stats: TieringStats, retrievalShare: number, table: StoragePriceTable): TieringOption[] {
  return TIERING_CANDIDATES.map((c) => option(c, table.classes[c], stats, retrievalShare, table));
}

/** The option with the largest first-year net among those that pay back; undefined when none does. */
export function chooseTiering(options: readonly TieringOption[]): TieringOption | undefined {
  return [...options].filter((o) => o.paysBack && o.yearNet > 0).sort((a, b) => b.yearNet - a.yearNet)[0];
}

function option(cls: S3StorageClass, p: StorageClassPrice, s: TieringStats, r: number, table: StoragePriceTable): TieringOption {
  const std = table.classes.STANDARD.storageGbMonth;
  const gb = s.bytes / GB;
  const cur = table.currency;
  const fmt = feeFormatter(cur);
  const oneTime = (s.objects / 1000) * p.transitionPer1000;
  const monthly: number[] = [];
  const parts: string[] = [];
  const retrieval = r * gb * p.retrievalPerGb;
  if (cls === 'INTELLIGENT_TIERING') {
    const tiers = [...(p.tiers ?? [])].sort((a, b) => a.afterDays - b.afterDays);
    const monitoring = (s.objects / 1000) * (p.monitoringPer1000Objects ?? 0);
    for (let m = 1; m <= YEAR_MONTHS; m++) {
      const daysIn = (m - 1) * DAYS_PER_MONTH;
      const price = tiers.filter((t) => daysIn >= t.afterDays).at(-1)?.storageGbMonth ?? p.storageGbMonth;
      // Objects read move back to the frequent tier (no retrieval fee), so the read share saves nothing.
      monthly.push((std - price) * gb * (1 - r) - monitoring);
    }
    parts.push(
      `storage ${gb.toFixed(2)} GB × (1 − ${pct(r)} read) × (${fmt(std)} − tier price: ${fmt(p.storageGbMonth)} months 1, ${tiers.map((t) => `${fmt(t.storageGbMonth)} after ${t.afterDays} d`).join(', ')})`,
      `monitoring ${int(s.objects)} × ${fmt(p.monitoringPer1000Objects ?? 0)}/1,000 = ${fmt(monitoring)}/month`,
    );
  } else {
    const storage = (std - p.storageGbMonth) * gb;
    for (let m = 1; m <= YEAR_MONTHS; m++) monthly.push(storage - retrieval);
    parts.push(
      `storage ${gb.toFixed(2)} GB × (${fmt(std)} − ${fmt(p.storageGbMonth)}) = ${fmt(storage)}/month`,
      `retrieval ${pct(r)} × ${gb.toFixed(2)} GB × ${fmt(p.retrievalPerGb)} = ${fmt(retrieval)}/month`,
    );
  }
  const horizonMonths = p.minimumDays > 0 ? Math.ceil(p.minimumDays / DAYS_PER_MONTH) : INTELLIGENT_TIERING_HORIZON_MONTHS;
  const pb = payback(monthly, oneTime, horizonMonths);
  const within = `${horizonMonths * DAYS_PER_MONTH} d (${p.minimumDays > 0 ? 'its minimum storage duration' : 'its tiers start after 30 and 90 days'})`;
  parts.push(`transition ${int(s.objects)} × ${fmt(p.transitionPer1000)}/1,000 = ${fmt(oneTime)} once`);
  parts.push(paybackSentence(pb, within, fmt));
  return {
    storageClass: cls,
    transitionDays: Math.max(s.olderThanDays, p.minimumTransitionAgeDays ?? 0),
    oneTime,
    monthlyNet: monthly,
    horizonMonths,
    ...pb,
    arithmetic: `${cls}: ${parts.join('; ')}`,
    currency: cur,
  };
}

/** A lifecycle rule as S3 takes it (the SDK's `LifecycleRule` shape, without importing the SDK). */
export interface ProposedLifecycleRule {
  readonly ID: string;
  readonly Status: 'Enabled';
  readonly Filter: { readonly And: { readonly Prefix: string; readonly ObjectSizeGreaterThan: number } } | { readonly ObjectSizeGreaterThan: number };
  readonly Transitions: readonly { readonly Days: number; readonly StorageClass: S3StorageClass }[];
}

/** Id of the lifecycle rule costwatch adds for a prefix; stable, so a second run finds its own rule. */
export function lifecycleRuleId(prefix: string): string {
  return `costwatch-cold-artifacts:${prefix === '' ? '*' : prefix}`.slice(0, 255);
}

/** The lifecycle rule that moves the prefix's objects larger than 128 KiB after `transitionDays`. */
export function lifecycleRuleFor(prefix: string, o: Pick<TieringOption, 'storageClass' | 'transitionDays'>): ProposedLifecycleRule {
  return {
    ID: lifecycleRuleId(prefix),
    Status: 'Enabled',
    Filter: prefix === '' ? { ObjectSizeGreaterThan: SMALL_OBJECT_BYTES } : { And: { Prefix: prefix, ObjectSizeGreaterThan: SMALL_OBJECT_BYTES } },
    Transitions: [{ Days: o.transitionDays, StorageClass: o.storageClass }],
  };
}
