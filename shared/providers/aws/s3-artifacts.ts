import { createHash } from 'node:crypto';
import type { LifecycleRule, S3Client, TransitionDefaultMinimumObjectSize } from '@aws-sdk/client-s3';
import { clientOf, s3Sdk, type ClientRef } from './sdk.js';
import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import { ProviderError } from '../../errors.js';
import type { StoragePriceTable } from '../../pricing/storage-prices.js';
import { coldStatsOf, S3_PREFIX_KIND, type ColdArtifactsSettings } from '../../rules/cold-artifacts.js';
import { chooseTiering, lifecycleRuleFor, lifecycleRuleId, SMALL_OBJECT_BYTES, tieringOptions } from '../../rules/storage-tiering.js';
import type { ActOutcome, CollectionFailure } from '../port.js';
import type { AwsClientFactory } from './clients.js';

/** What the cold-artifacts collector and action need from the policy. */
export interface ColdArtifactsOptions extends ColdArtifactsSettings {
  /** S3 prices and fees (the PriceBook's storage table), to build the same rule the finding proposed. */
  readonly prices: StoragePriceTable;
}

/** A bucket's lifecycle configuration as read, or none. */
interface LifecycleState {
  readonly rules: LifecycleRule[];
  readonly transitionDefaultMinimumObjectSize?: TransitionDefaultMinimumObjectSize;
}

/** Undo data of `aws.s3.put-lifecycle-rule`: the configuration before, exactly. */
interface LifecycleUndo {
  readonly bucket: string;
  readonly region: string;
  readonly ruleId: string;
  /** null: the bucket had no lifecycle configuration (undo deletes it). */
  readonly previous: { readonly rules: unknown[]; readonly transitionDefaultMinimumObjectSize?: string } | null;
}

const DAY_MS = 86_400_000;
const GLOBAL_REGION = 'us-east-1';

/**
 * The watched S3 buckets/prefixes of one account as `aws.s3.prefix` resources, with the counts
 * the cold-artifacts rule judges, and the lifecycle action: a transition rule merged into the
 * bucket's configuration, undone by restoring the configuration it replaced.
 */
export class ColdArtifacts {
  constructor(
    private readonly clients: AwsClientFactory,
    private readonly options: ColdArtifactsOptions,
  ) {}

  /** The configured buckets this account owns, one resource per configured prefix. */
  async collect(scope: Scope, now: Date): Promise<{ resources: Resource[]; failures: CollectionFailure[] }> {
    const wanted = this.options.buckets;
    if (wanted.length === 0) return { resources: [], failures: [] };
    const failures: CollectionFailure[] = [];
    let owned: Map<string, { region: string; createdAt?: Date }>;
    try {
      owned = await listOwnBuckets(this.clients({ accountId: scope.id, region: GLOBAL_REGION }).s3);
    } catch (err) {
      return { resources: [], failures: [{ scope, operation: 's3:ListBuckets', message: describe(err) }] };
    }
    const resources: Resource[] = [];
    for (const w of wanted) {
      const b = owned.get(w.bucket);
      if (!b) continue;
      for (const prefix of w.prefixes ?? ['']) {
        try {
          resources.push(await this.read(scope, w.bucket, b.region, prefix, now, b.createdAt));
        } catch (err) {
          failures.push({ scope, region: b.region, operation: 's3:ListObjectsV2/GetBucketLifecycleConfiguration', message: `s3://${w.bucket}/${prefix}: ${describe(err)}` });
        }
      }
    }
    return { resources, failures };
  }

  /** Re-reads one prefix (before acting); undefined when the bucket is gone. */
  async describe(ref: ResourceRef, now: Date): Promise<Resource | undefined> {
    const { bucket, prefix } = parseName(ref.name);
    try {
      return await this.read({ cloud: 'aws', id: ref.scopeId }, bucket, ref.region, prefix, now);
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return undefined;
      throw err;
    }
  }

  /** Saves the lifecycle configuration as it is now, after checking it is the one the resource was judged with. */
  async captureUndo(resource: Resource): Promise<Record<string, unknown>> {
    const { bucket, prefix } = parseName(resource.name);
    const s3 = await this.s3(resource);
    const current = await readLifecycle(s3, bucket);
    this.assertUnchanged(resource, current, 'GetBucketLifecycleConfiguration');
    const undo: LifecycleUndo = {
      bucket,
      region: resource.region,
      ruleId: lifecycleRuleId(prefix),
      previous: current ? { rules: plain(current.rules), ...(current.transitionDefaultMinimumObjectSize ? { transitionDefaultMinimumObjectSize: current.transitionDefaultMinimumObjectSize } : {}) } : null,
    };
    return { ...undo };
  }

  /** Adds (or refreshes) costwatch's transition rule for the prefix, keeping every other rule as it is. */
  async perform(resource: Resource): Promise<ActOutcome> {
    const { bucket, prefix } = parseName(resource.name);
    const stats = coldStatsOf(resource);
    const chosen = stats ? chooseTiering(tieringOptions(stats, this.options.retrievalPercentPerMonth / 100, this.options.prices)) : undefined;
    if (!stats || !chosen) {
      throw new ProviderError(`no storage class pays back for s3://${bucket}/${prefix}; nothing was changed`, { cloud: 'aws', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation: 'PutBucketLifecycleConfiguration' });
    }
    const s3 = await this.s3(resource);
    const current = await readLifecycle(s3, bucket);
    this.assertUnchanged(resource, current, 'PutBucketLifecycleConfiguration');
    const ours = lifecycleRuleFor(prefix, chosen) as unknown as LifecycleRule;
    const kept = (current?.rules ?? []).filter((r) => r.ID !== ours.ID);
    const { PutBucketLifecycleConfigurationCommand } = await s3Sdk();
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: { Rules: [...kept, ours] },
        ...(current?.transitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: current.transitionDefaultMinimumObjectSize } : {}),
      }),
    );
    return {
      summary: `added lifecycle rule ${ours.ID} to bucket ${bucket}: objects over ${SMALL_OBJECT_BYTES / 1024} KiB${prefix ? ` under ${prefix}` : ''} move to ${chosen.storageClass} ${chosen.transitionDays} d after last modification; its ${kept.length} other rule${kept.length === 1 ? '' : 's'} kept`,
    };
  }

  /**
   * Restores the configuration saved before the action, exactly (deleting it when there was none),
   * provided nothing else changed since; if someone changed other rules meanwhile, only
   * costwatch's rule is removed so their change survives, and the summary says so.
   */
  async undo(ref: ResourceRef, data: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const u = data as unknown as LifecycleUndo;
    if (typeof u.bucket !== 'string' || typeof u.ruleId !== 'string' || u.previous === undefined) {
      throw new ProviderError('the saved undo data is not a lifecycle configuration', { cloud: 'aws', scopeId: ref.scopeId, resourceId: ref.id, operation: 'undo' });
    }
    const [{ DeleteBucketLifecycleCommand, PutBucketLifecycleConfigurationCommand }, s3] = await Promise.all([s3Sdk(), this.clients({ accountId: ref.scopeId, region: u.region }).s3()]);
    const current = await readLifecycle(s3, u.bucket);
    const withoutOurs = (current?.rules ?? []).filter((r) => r.ID !== u.ruleId);
    const hadOurs = (current?.rules.length ?? 0) !== withoutOurs.length;
    if (!hadOurs) return { summary: `lifecycle rule ${u.ruleId} is no longer on bucket ${u.bucket}; nothing to undo` };
    const previousRules = u.previous?.rules ?? [];
    // Before a first configuration S3 keeps no size setting, so there is none to compare.
    const sameSetting = u.previous === null || (current?.transitionDefaultMinimumObjectSize ?? null) === (u.previous.transitionDefaultMinimumObjectSize ?? null);
    const untouched = sameSetting && canonical(plain(withoutOurs)) === canonical(previousRules);
    if (untouched && u.previous === null) {
      await s3.send(new DeleteBucketLifecycleCommand({ Bucket: u.bucket }));
      return { summary: `deleted the lifecycle configuration of bucket ${u.bucket}: it had none before costwatch added ${u.ruleId}` };
    }
    if (untouched) {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: u.bucket,
          LifecycleConfiguration: { Rules: reviveRules(previousRules) },
          ...(u.previous?.transitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: u.previous.transitionDefaultMinimumObjectSize as TransitionDefaultMinimumObjectSize } : {}),
        }),
      );
      return { summary: `restored the lifecycle configuration of bucket ${u.bucket} as it was before (${previousRules.length} rule${previousRules.length === 1 ? '' : 's'}); objects S3 already moved stay in their new class` };
    }
    if (withoutOurs.length === 0) {
      await s3.send(new DeleteBucketLifecycleCommand({ Bucket: u.bucket }));
    } else {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: u.bucket,
          LifecycleConfiguration: { Rules: withoutOurs },
          ...(current?.transitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: current.transitionDefaultMinimumObjectSize } : {}),
        }),
      );
    }
    return { summary: `removed lifecycle rule ${u.ruleId} from bucket ${u.bucket}; its other rules changed since costwatch acted, so they were kept as they are now rather than restored` };
  }

  private s3(resource: Resource): Promise<S3Client> {
    return this.clients({ accountId: resource.scope.id, region: resource.region }).s3();
  }

  private assertUnchanged(resource: Resource, current: LifecycleState | undefined, operation: string): void {
    if (fingerprint(current) !== resource.attributes['lifecycleFingerprint']) {
      throw new ProviderError(`the lifecycle configuration of ${resource.name} changed since it was read; nothing was changed`, { cloud: 'aws', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation });
    }
  }

  private async read(scope: Scope, bucket: string, region: string, prefix: string, now: Date, createdAt?: Date): Promise<Resource> {
    const [{ ListObjectsV2Command }, s3] = await Promise.all([s3Sdk(), this.clients({ accountId: scope.id, region }).s3()]);
    const lifecycle = await readLifecycle(s3, bucket);
    const cutoff = now.getTime() - this.options.olderThanDays * DAY_MS;
    const stats = { listed: 0, cold: 0, coldBytes: 0, small: 0, smallBytes: 0, covered: 0, maybe: 0, oldest: Infinity };
    const rules = (lifecycle?.rules ?? []).filter((r) => r.Status === 'Enabled' && (r.Transitions?.length ?? 0) > 0);
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token, MaxKeys: 1000 }));
      for (const o of page.Contents ?? []) {
        stats.listed++;
        const cls = o.StorageClass ?? 'STANDARD';
        const modified = o.LastModified?.getTime();
        if (cls !== 'STANDARD' || modified === undefined || modified >= cutoff) continue;
        const size = o.Size ?? 0;
        const cover = coverage(rules, o.Key ?? '', size);
        if (cover === 'covered') stats.covered++;
        else if (cover === 'maybe') stats.maybe++;
        else if (size <= SMALL_OBJECT_BYTES) {
          stats.small++;
          stats.smallBytes += size;
        } else {
          stats.cold++;
          stats.coldBytes += size;
          stats.oldest = Math.min(stats.oldest, modified);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return {
      cloud: 'aws',
      scope,
      region,
      kind: S3_PREFIX_KIND,
      id: prefix ? `arn:aws:s3:::${bucket}/${prefix}*` : `arn:aws:s3:::${bucket}`,
      name: prefix ? `${bucket}/${prefix}` : bucket,
      // Bucket tags are not read: exempt a bucket by name or id under exemptions.items.
      tags: {},
      state: 'Available',
      lifecycle: 'running',
      ...(createdAt ? { createdAt } : {}),
      components: [],
      attributes: {
        bucket,
        prefix,
        olderThanDays: this.options.olderThanDays,
        listedObjects: stats.listed,
        coldObjects: stats.cold,
        coldBytes: stats.coldBytes,
        coldSmallObjects: stats.small,
        coldSmallBytes: stats.smallBytes,
        coveredObjects: stats.covered,
        maybeCoveredObjects: stats.maybe,
        lifecycleRules: lifecycle?.rules.length ?? 0,
        lifecycleFingerprint: fingerprint(lifecycle),
        oldestColdModified: Number.isFinite(stats.oldest) ? new Date(stats.oldest).toISOString() : null,
      },
    };
  }
}

/** Buckets the account owns, with their regions (ListBuckets is global). */
async function listOwnBuckets(ref: ClientRef<S3Client>): Promise<Map<string, { region: string; createdAt?: Date }>> {
  const [{ ListBucketsCommand }, s3] = await Promise.all([s3Sdk(), clientOf(ref)]);
  const out = new Map<string, { region: string; createdAt?: Date }>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListBucketsCommand({ ContinuationToken: token, MaxBuckets: 1000 }));
    for (const b of page.Buckets ?? []) {
      if (b.Name) out.set(b.Name, { region: b.BucketRegion ?? GLOBAL_REGION, ...(b.CreationDate ? { createdAt: b.CreationDate } : {}) });
    }
    token = page.ContinuationToken;
  } while (token);
  return out;
}

/** The bucket's lifecycle configuration; undefined when it has none. */
async function readLifecycle(s3: S3Client, bucket: string): Promise<LifecycleState | undefined> {
  const { GetBucketLifecycleConfigurationCommand } = await s3Sdk();
  try {
    const out = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return { rules: out.Rules ?? [], ...(out.TransitionDefaultMinimumObjectSize ? { transitionDefaultMinimumObjectSize: out.TransitionDefaultMinimumObjectSize } : {}) };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchLifecycleConfiguration') return undefined;
    throw err;
  }
}

/**
 * Whether an enabled transition rule applies to an object: `covered` when its prefix and size
 * conditions match, `maybe` when it also filters on tags (ListObjectsV2 does not return tags).
 */
function coverage(rules: readonly LifecycleRule[], key: string, size: number): 'covered' | 'maybe' | 'none' {
  let maybe = false;
  for (const r of rules) {
    const f = r.Filter;
    const and = f?.And;
    const prefix = and?.Prefix ?? f?.Prefix ?? r.Prefix ?? '';
    const greater = and?.ObjectSizeGreaterThan ?? f?.ObjectSizeGreaterThan;
    const less = and?.ObjectSizeLessThan ?? f?.ObjectSizeLessThan;
    if (!key.startsWith(prefix)) continue;
    if (greater !== undefined && !(size > greater)) continue;
    if (less !== undefined && !(size < less)) continue;
    if (f?.Tag || (and?.Tags?.length ?? 0) > 0) maybe = true;
    else return 'covered';
  }
  return maybe ? 'maybe' : 'none';
}

function parseName(name: string): { bucket: string; prefix: string } {
  const slash = name.indexOf('/');
  return slash < 0 ? { bucket: name, prefix: '' } : { bucket: name.slice(0, slash), prefix: name.slice(slash + 1) };
}

/** JSON form of SDK values: dates as ISO strings, undefined fields dropped. */
function plain(value: unknown): unknown[] {
  return JSON.parse(JSON.stringify(value)) as unknown[];
}

/** JSON with sorted keys, so configurations compare whatever order the XML gave their fields. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Identity of a lifecycle configuration, recorded when read and checked before writing. */
function fingerprint(l: LifecycleState | undefined): string {
  return createHash('sha256').update(canonical(l ? { rules: plain(l.rules), t: l.transitionDefaultMinimumObjectSize ?? null } : null)).digest('hex').slice(0, 16);
}

/** Saved rules back in SDK form: their `Date` fields become Dates again. */
function reviveRules(rules: readonly unknown[]): LifecycleRule[] {
  return rules.map((r) => {
    const rule = structuredClone(r) as LifecycleRule & { Expiration?: { Date?: unknown }; Transitions?: { Date?: unknown }[] };
    if (typeof rule.Expiration?.Date === 'string') rule.Expiration.Date = new Date(rule.Expiration.Date);
    for (const t of rule.Transitions ?? []) if (typeof t.Date === 'string') t.Date = new Date(t.Date);
    return rule;
  });
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}
