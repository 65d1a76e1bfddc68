import type { GcsClassPrice, GcsPrices, GcsStorageClass } from '../pricing/gcs-prices.js';
import { feeFormatter, horizonOf, int, payback, paybackSentence, pct } from './tiering-payback.js';

/*
 * Whether moving cold STANDARD objects of a Cloud Storage bucket to a colder class pays: storage
 * saved, minus what reading them back costs (retrieval per GB, and the colder class's dearer
 * Class B reads), against the one-time SetStorageClass operations (Class A, at the destination
 * class's rate) — within the destination's minimum storage duration (Nearline 30 d, Coldline
 * 90 d, Archive 365 d), so that data deleted at the first moment it may be deleted without an
 * early-deletion charge has still paid back. Cloud Storage has no minimum billable object size
 * and a lifecycle condition cannot filter on size, so every cold object counts: many small
 * objects make the operation charges eat the saving, and then nothing is proposed.
 * Pure: used by the cold-artifacts rule to propose, and by the gcp provider to build the rule it adds.
 */

/** Classes costwatch proposes, coldest last. All are readable at once (no restore step). */
export const GCS_TIERING_CANDIDATES: readonly GcsStorageClass[] = ['NEARLINE', 'COLDLINE', 'ARCHIVE'];

const GB = 1024 ** 3;

/** The cold objects a lifecycle rule would move. */
export interface GcsTieringStats {
  readonly objects: number;
  readonly bytes: number;
  readonly olderThanDays: number;
}

/** One destination class, priced over the first year. */
export interface GcsTieringOption {
  readonly storageClass: GcsStorageClass;
  /** `age` condition of the lifecycle rule, in days since creation. */
  readonly ageDays: number;
  readonly oneTime: number;
  readonly monthlyNet: number;
  /** Months within which the move must pay back: the minimum storage duration. */
  readonly horizonMonths: number;
  /** First month by whose end the savings cover the one-time cost; undefined if never within 12 months. */
  readonly paybackMonth?: number;
  readonly paysBack: boolean;
  /** Net over the first year, one-time cost included. */
  readonly yearNet: number;
  readonly arithmetic: string;
  readonly currency: string;
}

/** Every candidate class priced for these objects, with the arithmetic spelled out. */
export function gcsTieringOptions(stats: GcsTieringStats, retrievalShare: number, prices: GcsPrices): GcsTieringOption[] {
  return GCS_TIERING_CANDIDATES.map((c) => option(c, prices.classes[c], stats, retrievalShare, prices));
}

/** The option with the largest first-year net among those that pay back; undefined when none does. */
export function chooseGcsTiering(options: readonly GcsTieringOption[]): GcsTieringOption | undefined {
  return [...options].filter((o) => o.paysBack && o.yearNet > 0).sort((a, b) => b.yearNet - a.yearNet)[0];
}

function option(cls: GcsStorageClass, p: GcsClassPrice, s: GcsTieringStats, r: number, prices: GcsPrices): GcsTieringOption {
  const std = prices.classes.STANDARD;
  const gb = s.bytes / GB;
  const cur = prices.currency;
  const fmt = feeFormatter(cur);
  const oneTime = (s.objects / 1000) * p.classAPer1000;
  const storage = (std.storageGbMonth - p.storageGbMonth) * gb;
  const retrieval = r * gb * p.retrievalPerGb;
  // Reading the share back costs one Class B operation per object read, dearer in the colder class.
  const reads = ((r * s.objects) / 1000) * (p.classBPer1000 - std.classBPer1000);
  const net = storage - retrieval - reads;
  const horizonMonths = horizonOf(p.minimumDays);
  const pb = payback(net, oneTime, horizonMonths);
  const within = `${p.minimumDays} d (its minimum storage duration: an object deleted or moved earlier is billed for ${p.minimumDays} d anyway)`;
  const parts = [
    `storage ${gb.toFixed(2)} GB × (${fmt(std.storageGbMonth)} − ${fmt(p.storageGbMonth)}) = ${fmt(storage)}/month`,
    `retrieval ${pct(r)} × ${gb.toFixed(2)} GB × ${fmt(p.retrievalPerGb)} = ${fmt(retrieval)}/month`,
    `reads ${pct(r)} × ${int(s.objects)} objects × (${fmt(p.classBPer1000)} − ${fmt(std.classBPer1000)})/1,000 Class B = ${fmt(reads)}/month`,
    `SetStorageClass ${int(s.objects)} × ${fmt(p.classAPer1000)}/1,000 Class A = ${fmt(oneTime)} once`,
    paybackSentence(pb, within, fmt, net <= 0 ? ' (fees exceed the storage saved every month)' : ''),
  ];
  return {
    storageClass: cls,
    ageDays: s.olderThanDays,
    oneTime,
    monthlyNet: net,
    horizonMonths,
    ...pb,
    arithmetic: `${cls}: ${parts.join('; ')}`,
    currency: cur,
  };
}

/** A lifecycle rule as the Cloud Storage JSON API takes it (`lifecycle.rule[]`). */
export interface GcsLifecycleRule {
  readonly action: { readonly type: string; readonly storageClass?: string };
  readonly condition: Readonly<Record<string, unknown>>;
}

/** The rule that moves the prefix's STANDARD objects to `storageClass` `ageDays` after creation. */
export function gcsLifecycleRuleFor(prefix: string, o: Pick<GcsTieringOption, 'storageClass' | 'ageDays'>): GcsLifecycleRule {
  return {
    action: { type: 'SetStorageClass', storageClass: o.storageClass },
    condition: { age: o.ageDays, matchesStorageClass: ['STANDARD'], ...(prefix ? { matchesPrefix: [prefix] } : {}) },
  };
}

/** What a listed object offers to judge lifecycle coverage. */
export interface GcsListedObject {
  readonly name: string;
  readonly timeCreated: number;
  readonly customTime?: number;
}

/**
 * Whether an existing lifecycle rule already acts on a live STANDARD object: `covered` when a
 * SetStorageClass (to another class) or Delete rule's conditions match it, `maybe` when a rule
 * depends on what the listing cannot settle (custom time conditions on an object without one),
 * `none` otherwise. Rules for noncurrent versions only (isLive false, numNewerVersions,
 * daysSinceNoncurrentTime, noncurrentTimeBefore) never act on a live object.
 */
export function gcsCoverage(rules: readonly unknown[], o: GcsListedObject): 'covered' | 'maybe' | 'none' {
  let maybe = false;
  for (const raw of rules) {
    const rule = raw as { action?: { type?: unknown; storageClass?: unknown }; condition?: Record<string, unknown> };
    const type = rule.action?.type;
    if (type !== 'Delete' && !(type === 'SetStorageClass' && rule.action?.storageClass !== 'STANDARD')) continue;
    const c = rule.condition ?? {};
    if (c['isLive'] === false || c['numNewerVersions'] !== undefined || c['daysSinceNoncurrentTime'] !== undefined || c['noncurrentTimeBefore'] !== undefined) continue;
    const classes = c['matchesStorageClass'];
    if (Array.isArray(classes) && classes.length > 0 && !classes.includes('STANDARD')) continue;
    const prefixes = c['matchesPrefix'];
    if (Array.isArray(prefixes) && prefixes.length > 0 && !prefixes.some((p) => typeof p === 'string' && o.name.startsWith(p))) continue;
    const suffixes = c['matchesSuffix'];
    if (Array.isArray(suffixes) && suffixes.length > 0 && !suffixes.some((x) => typeof x === 'string' && o.name.endsWith(x))) continue;
    const before = c['createdBefore'];
    if (typeof before === 'string' && !(o.timeCreated < Date.parse(`${before.slice(0, 10)}T00:00:00Z`))) continue;
    if (c['customTimeBefore'] !== undefined || c['daysSinceCustomTime'] !== undefined) {
      if (o.customTime === undefined) continue;
      maybe = true;
      continue;
    }
    return 'covered';
  }
  return maybe ? 'maybe' : 'none';
}
