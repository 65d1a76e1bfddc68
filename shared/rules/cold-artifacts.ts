import { formatMoney, money } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import { blobPriceSource, BUNDLED_BLOB_PRICES } from '../pricing/blob-prices.js';
import { storagePriceSource } from '../pricing/storage-prices.js';
import { blobTieringOptions, chooseBlobTier, managementPolicyRuleFor, type BlobTieringStats } from './blob-tiering.js';
import { evaluateGcsColdArtifacts, GCS_ADD_LIFECYCLE_RULE, GCS_BUCKET_KIND } from './cold-artifacts-gcs.js';
import { chooseTiering, lifecycleRuleFor, SMALL_OBJECT_BYTES, tieringOptions, type TieringStats } from './storage-tiering.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Resource kind of a watched S3 bucket prefix (the whole bucket when the prefix is empty). */
export const S3_PREFIX_KIND = 'aws.s3.prefix' as const;

/** Action that adds a lifecycle transition rule to a bucket, merged with its existing rules. */
export const PUT_LIFECYCLE_RULE = 'aws.s3.put-lifecycle-rule';

/** Resource kind of an Azure Blob container of a storage account. */
export const BLOB_CONTAINER_KIND = 'azure.storage.blob-container' as const;

/** Action that adds a tiering rule to a storage account's lifecycle management policy, merged with its existing rules. */
export const PUT_MANAGEMENT_POLICY_RULE = 'azure.storage.put-management-policy-rule';

/** Action that changes the access tier of a container's cold blobs one by one (Set Blob Tier), for one-off moves. */
export const SET_BLOB_TIER = 'azure.storage.set-blob-tier';

/** Settings of the cold-artifacts rule. */
export interface ColdArtifactsSettings {
  readonly buckets: readonly { readonly bucket: string; readonly prefixes?: readonly string[] }[];
  /** STANDARD objects last modified longer ago than this are cold. */
  readonly olderThanDays: number;
  /** Expected share of the cold data read back per month, in percent: retrieval fees count against the saving. */
  readonly retrievalPercentPerMonth: number;
  /** Google Cloud Storage: objects listed per bucket or prefix at most (default 100,000). */
  readonly maxObjectsPerBucket?: number;
}

/** The facts the collector records on an S3 prefix resource (all counts of STANDARD objects). */
export interface ColdStats extends TieringStats {
  readonly smallObjects: number;
  readonly smallBytes: number;
  /** Cold objects already under an enabled transition rule. */
  readonly coveredObjects: number;
  /** Cold objects under a transition rule with a tag filter: object tags are not listed, so they may be covered. */
  readonly maybeCoveredObjects: number;
  readonly listedObjects: number;
  readonly lifecycleRules: number;
  readonly oldest?: string;
}

/** Reads the collector's attributes back; undefined when the resource is not an S3 prefix. */
export function coldStatsOf(r: Resource): ColdStats | undefined {
  if (r.kind !== S3_PREFIX_KIND) return undefined;
  const a = r.attributes;
  const n = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  return {
    objects: n('coldObjects'),
    bytes: n('coldBytes'),
    olderThanDays: n('olderThanDays'),
    smallObjects: n('coldSmallObjects'),
    smallBytes: n('coldSmallBytes'),
    coveredObjects: n('coveredObjects'),
    maybeCoveredObjects: n('maybeCoveredObjects'),
    listedObjects: n('listedObjects'),
    lifecycleRules: n('lifecycleRules'),
    ...(typeof a['oldestColdModified'] === 'string' ? { oldest: a['oldestColdModified'] } : {}),
  };
}

/**
 * `cold-artifacts`: STANDARD objects older than `olderThanDays` under a watched bucket/prefix
 * with no lifecycle transition rule covering them. Proposes a transition rule only to a class
 * that pays back within its minimum storage duration after transition, retrieval and monitoring
 * fees; otherwise nothing is proposed and the arithmetic says why.
 */
export const coldArtifacts: ResourceRule<ColdArtifactsSettings> = {
  id: 'cold-artifacts',
  title: 'Cold ML artifacts in S3 Standard',
  explanation: 'Checkpoints and datasets nobody has touched in weeks cost less in a colder storage class.',
  severity: 'low',
  kinds: [S3_PREFIX_KIND, BLOB_CONTAINER_KIND, GCS_BUCKET_KIND],
  signals: [],
  actions: { [S3_PREFIX_KIND]: PUT_LIFECYCLE_RULE, [BLOB_CONTAINER_KIND]: PUT_MANAGEMENT_POLICY_RULE, [GCS_BUCKET_KIND]: GCS_ADD_LIFECYCLE_RULE },
  evaluate({ resource: r, settings, prices }): RuleResult {
    if (r.kind === BLOB_CONTAINER_KIND) return evaluateBlobContainer(r, settings);
    if (r.kind === GCS_BUCKET_KIND) return evaluateGcsColdArtifacts(r, settings, prices);
    const s = coldStatsOf(r);
    if (!s) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (s.olderThanDays !== settings.olderThanDays) {
      return { state: 'not-applicable', reason: `collected with olderThanDays ${s.olderThanDays}, the rule uses ${settings.olderThanDays}` };
    }
    const where = `s3://${String(r.attributes['bucket'])}/${String(r.attributes['prefix'] ?? '')}`;
    const facts = [
      `${int(s.listedObjects)} objects listed; ${int(s.objects + s.smallObjects + s.coveredObjects + s.maybeCoveredObjects)} in STANDARD last modified more than ${s.olderThanDays} d ago${s.oldest ? ` (oldest ${s.oldest.slice(0, 10)})` : ''} — age by LastModified: S3 lists no last-access time`,
      ...(s.coveredObjects > 0 ? [`${int(s.coveredObjects)} of them already under a lifecycle transition rule`] : []),
      ...(s.maybeCoveredObjects > 0 ? [`${int(s.maybeCoveredObjects)} under a transition rule with a tag filter (object tags are not listed): left alone`] : []),
      ...(s.smallObjects > 0 ? [`${int(s.smallObjects)} of ${kib(SMALL_OBJECT_BYTES)} or less (${gb(s.smallBytes)}): left in STANDARD — colder classes bill them as ${kib(SMALL_OBJECT_BYTES)} or never tier them`] : []),
    ];
    if (s.objects === 0) return { state: 'ok', evidence: [...facts, 'nothing to move'] };
    const table = prices.storage();
    const options = tieringOptions(s, settings.retrievalPercentPerMonth / 100, table);
    const chosen = chooseTiering(options);
    const assumption = `assumes ${settings.retrievalPercentPerMonth}% of the data is read back each month (rules.cold-artifacts.retrievalPercentPerMonth)`;
    if (!chosen) {
      return { state: 'ok', evidence: [...facts, `not proposed: no colder class pays back within its minimum storage duration; ${assumption}`, ...options.map((o) => o.arithmetic)] };
    }
    const monthly = money(Math.round((chosen.yearNet / 12) * 100) / 100, chosen.currency);
    const rule = lifecycleRuleFor(String(r.attributes['prefix'] ?? ''), chosen);
    return {
      state: 'violation',
      title: `${where}: ${int(s.objects)} objects (${gb(s.bytes)}) in STANDARD older than ${s.olderThanDays} d with no transition rule`,
      evidence: [
        ...facts,
        `proposed lifecycle rule ${rule.ID}: objects over ${kib(SMALL_OBJECT_BYTES)} move to ${chosen.storageClass} ${chosen.transitionDays} d after last modification, merged with the bucket's ${s.lifecycleRules} existing rule${s.lifecycleRules === 1 ? '' : 's'}`,
        assumption,
        ...options.filter((o) => o !== chosen).map((o) => `also priced — ${o.arithmetic}`),
      ],
      confidence: 'high',
      waste: {
        monthly,
        arithmetic: `${chosen.arithmetic} → ${formatMoney(monthly)}/month over the first year`,
        priceSource: storagePriceSource(table, r.region),
      },
    };
  },
};

/** The facts the Azure collector records on a blob container (counts of blobs in Hot). */
export interface BlobColdStats extends BlobTieringStats {
  readonly listedBlobs: number;
  /** Cold blobs already under an enabled management-policy rule that tiers or deletes them. */
  readonly coveredBlobs: number;
  /** Cold blobs under a rule with a blob index tag filter (tags are not listed): may be covered. */
  readonly maybeCoveredBlobs: number;
  /** Blobs older than the threshold by modification but read within it (last access tracking on). */
  readonly recentlyReadBlobs: number;
  readonly policyRules: number;
  /** The listing stopped at the per-account bound: counts are lower bounds. */
  readonly truncated: boolean;
  readonly oldest?: string;
}

/** Reads the Azure collector's attributes back; undefined when the resource is not a blob container. */
export function blobColdStatsOf(r: Resource): BlobColdStats | undefined {
  if (r.kind !== BLOB_CONTAINER_KIND) return undefined;
  const a = r.attributes;
  const n = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  return {
    blobs: n('coldBlobs'),
    bytes: n('coldBytes'),
    olderThanDays: n('olderThanDays'),
    listedBlobs: n('listedBlobs'),
    coveredBlobs: n('coveredBlobs'),
    maybeCoveredBlobs: n('maybeCoveredBlobs'),
    recentlyReadBlobs: n('recentlyReadBlobs'),
    policyRules: n('policyRules'),
    truncated: a['truncated'] === true,
    ...(typeof a['oldestColdModified'] === 'string' ? { oldest: a['oldestColdModified'] } : {}),
  };
}

/**
 * `cold-artifacts` on Azure: block blobs in Hot older than `olderThanDays` in a container with no
 * management-policy rule covering them. Proposes a `tierToCool`/`tierToCold` rule only when the
 * tier pays back its write operations within its early-deletion period after read operations and
 * retrieval; Archive is priced (rehydration included) but never proposed.
 */
function evaluateBlobContainer(r: Resource, settings: ColdArtifactsSettings): RuleResult {
  const s = blobColdStatsOf(r);
  if (!s) return { state: 'not-applicable', reason: `kind ${r.kind}` };
  if (s.olderThanDays !== settings.olderThanDays) {
    return { state: 'not-applicable', reason: `collected with olderThanDays ${s.olderThanDays}, the rule uses ${settings.olderThanDays}` };
  }
  const account = String(r.attributes['account'] ?? '');
  const container = String(r.attributes['container'] ?? '');
  const where = `${account}/${container}`;
  const facts = [
    `${int(s.listedBlobs)} blobs listed${s.truncated ? ' (listing stopped at the per-account bound: counts are lower bounds)' : ''}; ${int(s.blobs + s.coveredBlobs + s.maybeCoveredBlobs)} block blobs in Hot last modified more than ${s.olderThanDays} d ago${s.oldest ? ` (oldest ${s.oldest.slice(0, 10)})` : ''}`,
    ...(s.coveredBlobs > 0 ? [`${int(s.coveredBlobs)} of them already under a lifecycle management rule`] : []),
    ...(s.maybeCoveredBlobs > 0 ? [`${int(s.maybeCoveredBlobs)} under a management rule with a blob index tag filter (tags are not listed): left alone`] : []),
    ...(s.recentlyReadBlobs > 0 ? [`${int(s.recentlyReadBlobs)} more read within ${s.olderThanDays} d (last access time): not counted as cold`] : []),
  ];
  if (s.blobs === 0) return { state: 'ok', evidence: [...facts, 'nothing to move'] };
  const table = BUNDLED_BLOB_PRICES;
  const options = blobTieringOptions(s, settings.retrievalPercentPerMonth / 100, table);
  const chosen = chooseBlobTier(options);
  const assumption = `assumes ${settings.retrievalPercentPerMonth}% of the data is read back each month (rules.cold-artifacts.retrievalPercentPerMonth)`;
  if (!chosen) {
    return { state: 'ok', evidence: [...facts, `not proposed: no cooler tier pays back its fees within its early-deletion period; ${assumption}`, ...options.map((o) => o.arithmetic)] };
  }
  const monthly = money(Math.round((chosen.yearNet / 12) * 100) / 100, chosen.currency);
  const rule = managementPolicyRuleFor(container, chosen.tier, s.olderThanDays);
  return {
    state: 'violation',
    title: `${where}: ${int(s.blobs)} blobs (${gb(s.bytes)}) in Hot older than ${s.olderThanDays} d with no lifecycle management rule`,
    evidence: [
      ...facts,
      `proposed management-policy rule ${rule.name}: block blobs under ${container}/ move to ${chosen.tier} ${s.olderThanDays} d after last modification, merged with the account's ${s.policyRules} existing rule${s.policyRules === 1 ? '' : 's'}`,
      assumption,
      ...options.filter((o) => o !== chosen).map((o) => `also priced — ${o.arithmetic}`),
    ],
    confidence: 'high',
    waste: {
      monthly,
      arithmetic: `${chosen.arithmetic} → ${formatMoney(monthly)}/month over the first year`,
      priceSource: blobPriceSource(table, r.region),
    },
  };
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toLocaleString('en-US', { maximumFractionDigits: 2 })} GB`;
}

function kib(bytes: number): string {
  return `${bytes / 1024} KiB`;
}
