import { formatMoney, money } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import type { PriceBook } from '../pricing/price-book.js';
import { chooseGcsTiering, gcsLifecycleRuleFor, gcsTieringOptions } from './gcs-tiering.js';
import type { RuleResult } from './types.js';

/** Resource kind of a Cloud Storage bucket (or one watched prefix of it). */
export const GCS_BUCKET_KIND = 'gcp.storage.bucket' as const;

/** Action that adds a lifecycle SetStorageClass rule to a bucket, merged with its existing rules. */
export const GCS_ADD_LIFECYCLE_RULE = 'gcp.storage.add-lifecycle-rule';

/** Cloud Storage keeps at most this many lifecycle rules per bucket. */
export const GCS_MAX_LIFECYCLE_RULES = 100;

/** The facts the gcp collector records on a bucket resource (counts of live STANDARD objects). */
export interface GcsColdStats {
  readonly objects: number;
  readonly bytes: number;
  readonly olderThanDays: number;
  readonly coveredObjects: number;
  readonly maybeCoveredObjects: number;
  readonly listedObjects: number;
  readonly lifecycleRules: number;
  /** The listing stopped at `rules.cold-artifacts.maxObjectsPerBucket`: the counts are of the objects listed. */
  readonly truncated: boolean;
  readonly autoclass: boolean;
  readonly location: string;
  readonly oldest?: string;
}

/** Reads the collector's attributes back; undefined when the resource is not a bucket. */
export function gcsColdStatsOf(r: Resource): GcsColdStats | undefined {
  if (r.kind !== GCS_BUCKET_KIND) return undefined;
  const a = r.attributes;
  const n = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : 0);
  return {
    objects: n('coldObjects'),
    bytes: n('coldBytes'),
    olderThanDays: n('olderThanDays'),
    coveredObjects: n('coveredObjects'),
    maybeCoveredObjects: n('maybeCoveredObjects'),
    listedObjects: n('listedObjects'),
    lifecycleRules: n('lifecycleRules'),
    truncated: a['truncated'] === true,
    autoclass: a['autoclass'] === true,
    location: typeof a['location'] === 'string' ? a['location'] : r.region,
    ...(typeof a['oldestColdCreated'] === 'string' ? { oldest: a['oldestColdCreated'] } : {}),
  };
}

/** The part of the cold-artifacts settings a bucket is judged with. */
export interface GcsColdSettings {
  readonly olderThanDays: number;
  readonly retrievalPercentPerMonth: number;
}

/**
 * `cold-artifacts` on a Cloud Storage bucket: live STANDARD objects created more than
 * `olderThanDays` ago that no lifecycle rule moves or deletes. Proposes a SetStorageClass rule
 * only to a class that pays back within its minimum storage duration after retrieval, read and
 * SetStorageClass operation charges; otherwise nothing is proposed and the arithmetic says why.
 */
export function evaluateGcsColdArtifacts(r: Resource, settings: GcsColdSettings, prices: PriceBook): RuleResult {
  const s = gcsColdStatsOf(r);
  if (!s) return { state: 'not-applicable', reason: `kind ${r.kind}` };
  if (s.olderThanDays !== settings.olderThanDays) {
    return { state: 'not-applicable', reason: `collected with olderThanDays ${s.olderThanDays}, the rule uses ${settings.olderThanDays}` };
  }
  const prefix = String(r.attributes['prefix'] ?? '');
  const where = `gs://${String(r.attributes['bucket'])}/${prefix}`;
  const facts = [
    `${int(s.listedObjects)} objects listed${s.truncated ? ' (listing stopped at rules.cold-artifacts.maxObjectsPerBucket: the figures below cover the objects listed, so the saving is at least this)' : ''}; ${int(s.objects + s.coveredObjects + s.maybeCoveredObjects)} live in STANDARD created more than ${s.olderThanDays} d ago${s.oldest ? ` (oldest ${s.oldest.slice(0, 10)})` : ''} — age by creation time, as a lifecycle age condition counts it: Cloud Storage lists no last-access time`,
    ...(s.coveredObjects > 0 ? [`${int(s.coveredObjects)} of them already under a lifecycle SetStorageClass or Delete rule`] : []),
    ...(s.maybeCoveredObjects > 0 ? [`${int(s.maybeCoveredObjects)} under a rule with a custom-time condition: left alone`] : []),
  ];
  if (s.autoclass) return { state: 'ok', evidence: [...facts, 'Autoclass is on: Cloud Storage moves objects between classes itself; nothing to propose'] };
  if (s.objects === 0) return { state: 'ok', evidence: [...facts, 'nothing to move'] };
  const table = prices.gcsStorage().forLocation(s.location);
  const options = gcsTieringOptions(s, settings.retrievalPercentPerMonth / 100, table);
  const chosen = chooseGcsTiering(options);
  const assumption = `assumes ${settings.retrievalPercentPerMonth}% of the data is read back each month (rules.cold-artifacts.retrievalPercentPerMonth)`;
  if (!chosen) {
    return { state: 'ok', evidence: [...facts, `not proposed: no colder class pays back within its minimum storage duration — the fees eat the saving; ${assumption}`, ...options.map((o) => o.arithmetic), `prices: ${table.source}`] };
  }
  if (s.lifecycleRules >= GCS_MAX_LIFECYCLE_RULES) {
    return { state: 'ok', evidence: [...facts, `${chosen.storageClass} would pay, but the bucket already has ${s.lifecycleRules} lifecycle rules, the most Cloud Storage allows: not proposed`, chosen.arithmetic] };
  }
  const monthly = money(Math.round((chosen.yearNet / 12) * 100) / 100, chosen.currency);
  const rule = gcsLifecycleRuleFor(prefix, chosen);
  return {
    state: 'violation',
    title: `${where}: ${int(s.objects)} objects (${gb(s.bytes)}) in STANDARD older than ${s.olderThanDays} d with no lifecycle rule`,
    evidence: [
      ...facts,
      `proposed lifecycle rule: SetStorageClass ${chosen.storageClass} when age ≥ ${chosen.ageDays} d, matchesStorageClass STANDARD${prefix ? `, matchesPrefix ${prefix}` : ''} (${JSON.stringify(rule.condition)}), merged with the bucket's ${s.lifecycleRules} existing rule${s.lifecycleRules === 1 ? '' : 's'}`,
      assumption,
      ...options.filter((o) => o !== chosen).map((o) => `also priced — ${o.arithmetic}`),
    ],
    // A partial listing judges the bucket by a sample: a person approves, auto mode does not act.
    confidence: s.truncated ? 'medium' : 'high',
    waste: {
      monthly,
      arithmetic: `${chosen.arithmetic} → ${formatMoney(monthly)}/month over the first year`,
      priceSource: table.source,
    },
  };
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function gb(bytes: number): string {
  return `${(bytes / 1024 ** 3).toLocaleString('en-US', { maximumFractionDigits: 2 })} GB`;
}
