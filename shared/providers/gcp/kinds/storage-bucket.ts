import { createHash } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import type { Resource, ResourceRef, Scope } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import { GCS_ADD_LIFECYCLE_RULE, GCS_BUCKET_KIND, GCS_MAX_LIFECYCLE_RULES, gcsColdStatsOf } from '../../../rules/cold-artifacts-gcs.js';
import { chooseGcsTiering, gcsCoverage, gcsLifecycleRuleFor, gcsTieringOptions, type GcsLifecycleRule } from '../../../rules/gcs-tiering.js';
import type { ActOutcome } from '../../port.js';
import type { GcpCtx, GcpKind, GcsColdArtifactsOptions } from '../context.js';
import { describeGoogleError, isNotFound } from '../errors.js';

/*
 * Cloud Storage buckets of a project, judged by the cold-artifacts rule: every bucket the project
 * owns (one `buckets.list`, paged), each read with one paged `objects.list` (live objects only, at
 * most `maxObjectsPerBucket`) counting the STANDARD objects created more than `olderThanDays` ago
 * that no lifecycle rule already moves or deletes. A bucket named in `rules.cold-artifacts.buckets`
 * with prefixes is one resource per prefix. The action adds a SetStorageClass rule to the bucket's
 * lifecycle configuration, merged with its rules; Undo restores the configuration it replaced.
 */

/** Objects per `objects.list` page (the JSON API's maximum). */
const PAGE = 1000;
/** Buckets read at once within a project. */
const PARALLEL_BUCKETS = 4;
const DAY_MS = 86_400_000;
/** Only what the judgement needs, so a page of 1,000 objects stays small. */
const OBJECT_FIELDS = 'items(name,size,storageClass,timeCreated,customTime),nextPageToken';

/** A bucket as the JSON API returns it (the fields read here). */
interface BucketJson {
  readonly name?: string;
  readonly location?: string;
  readonly locationType?: string;
  readonly storageClass?: string;
  readonly timeCreated?: string;
  readonly metageneration?: string | number;
  readonly labels?: Record<string, string>;
  readonly lifecycle?: { readonly rule?: readonly unknown[] } | null;
  readonly autoclass?: { readonly enabled?: boolean } | null;
}

/** Undo data of the action: the lifecycle configuration before, exactly, and the rule added. */
interface LifecycleUndo {
  readonly bucket: string;
  /** null: the bucket had no lifecycle configuration (undo removes it). */
  readonly previous: readonly unknown[] | null;
  readonly added: GcsLifecycleRule;
  readonly metageneration: string;
}

function settings(ctx: GcpCtx): GcsColdArtifactsOptions {
  const s = ctx.coldArtifacts;
  if (!s) throw new ProviderError('the cold-artifacts rule is off: Cloud Storage buckets are not watched', { cloud: 'gcp', scopeId: ctx.projectId, operation: GCS_ADD_LIFECYCLE_RULE });
  return s;
}

/** JSON with sorted keys, so configurations compare whatever order their fields came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The rules of a bucket's lifecycle configuration, or null when it has none. */
function rulesOf(b: BucketJson): unknown[] | null {
  const rules = b.lifecycle?.rule;
  return Array.isArray(rules) && rules.length > 0 ? [...rules] : null;
}

/** Identity of a lifecycle configuration, recorded when read and checked before writing. */
function fingerprint(b: BucketJson): string {
  return createHash('sha256').update(canonical(rulesOf(b))).digest('hex').slice(0, 16);
}

function bucketId(bucket: string, prefix: string): string {
  return `gs://${bucket}/${prefix}`;
}

/** `bucket` or `bucket/prefix` (the resource name) into its parts. */
function parseName(name: string): { bucket: string; prefix: string } {
  const slash = name.indexOf('/');
  return slash < 0 ? { bucket: name, prefix: '' } : { bucket: name.slice(0, slash), prefix: name.slice(slash + 1) };
}

async function getBucket(ctx: GcpCtx, name: string): Promise<BucketJson | undefined> {
  try {
    const [meta] = await ctx.call(() => ctx.clients.storage.bucket(name).getMetadata());
    return meta as BucketJson;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every bucket of the project (all pages of `buckets.list`). */
async function listBuckets(ctx: GcpCtx): Promise<BucketJson[]> {
  const out: BucketJson[] = [];
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const [, , response] = await ctx.call(() => ctx.clients.storage.getBuckets({ autoPaginate: false, maxResults: PAGE, ...(token ? { pageToken: token } : {}) }));
    const page = response as { items?: BucketJson[]; nextPageToken?: string } | undefined;
    out.push(...(page?.items ?? []));
    pageToken = page?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

/** Reads one bucket (or prefix) into a resource: the object listing, bounded, and the counts the rule judges. */
async function read(ctx: GcpCtx, scope: Scope, b: BucketJson, prefix: string): Promise<Resource> {
  const s = settings(ctx);
  const name = b.name ?? '';
  const bucket: Bucket = ctx.clients.storage.bucket(name);
  const rules = rulesOf(b) ?? [];
  const cutoff = ctx.now.getTime() - s.olderThanDays * DAY_MS;
  const stats = { listed: 0, cold: 0, coldBytes: 0, covered: 0, maybe: 0, oldest: Infinity };
  let pageToken: string | undefined;
  let truncated = false;
  do {
    const qs: Record<string, unknown> = { maxResults: Math.min(PAGE, s.maxObjectsPerBucket - stats.listed), fields: OBJECT_FIELDS, ...(prefix ? { prefix } : {}), ...(pageToken ? { pageToken } : {}) };
    const [body] = await ctx.call(() => bucket.request({ uri: '/o', qs }));
    const page = body as { items?: { name?: string; size?: string | number; storageClass?: string; timeCreated?: string; customTime?: string }[]; nextPageToken?: string };
    for (const o of page.items ?? []) {
      stats.listed++;
      const created = Date.parse(o.timeCreated ?? '');
      if ((o.storageClass ?? b.storageClass ?? 'STANDARD') !== 'STANDARD' || !Number.isFinite(created) || created >= cutoff) continue;
      const custom = o.customTime ? Date.parse(o.customTime) : undefined;
      const cover = gcsCoverage(rules, { name: o.name ?? '', timeCreated: created, ...(custom !== undefined && Number.isFinite(custom) ? { customTime: custom } : {}) });
      if (cover === 'covered') stats.covered++;
      else if (cover === 'maybe') stats.maybe++;
      else {
        stats.cold++;
        stats.coldBytes += Number(o.size ?? 0) || 0;
        stats.oldest = Math.min(stats.oldest, created);
      }
    }
    pageToken = page.nextPageToken || undefined;
    if (pageToken && stats.listed >= s.maxObjectsPerBucket) {
      truncated = true;
      pageToken = undefined;
    }
  } while (pageToken);
  const created = b.timeCreated ? new Date(b.timeCreated) : undefined;
  return {
    cloud: 'gcp',
    scope,
    region: (b.location ?? 'unknown').toLowerCase(),
    kind: GCS_BUCKET_KIND,
    id: bucketId(name, prefix),
    name: prefix ? `${name}/${prefix}` : name,
    tags: { ...(b.labels ?? {}) },
    state: 'Available',
    lifecycle: 'running',
    ...(created && Number.isFinite(created.getTime()) ? { createdAt: created } : {}),
    components: [],
    attributes: {
      bucket: name,
      prefix,
      location: (b.location ?? 'unknown').toLowerCase(),
      locationType: b.locationType ?? null,
      defaultStorageClass: b.storageClass ?? 'STANDARD',
      autoclass: b.autoclass?.enabled === true,
      olderThanDays: s.olderThanDays,
      listedObjects: stats.listed,
      truncated,
      coldObjects: stats.cold,
      coldBytes: stats.coldBytes,
      coveredObjects: stats.covered,
      maybeCoveredObjects: stats.maybe,
      lifecycleRules: rules.length,
      lifecycleFingerprint: fingerprint(b),
      metageneration: String(b.metageneration ?? ''),
      oldestColdCreated: Number.isFinite(stats.oldest) ? new Date(stats.oldest).toISOString() : null,
    },
  };
}

/** Every bucket·prefix of the project, read a few buckets at a time; one failing bucket is reported, the others stand. */
async function list(ctx: GcpCtx, scope: Scope): Promise<Resource[]> {
  if (!ctx.coldArtifacts) return [];
  const s = ctx.coldArtifacts;
  const buckets = await listBuckets(ctx);
  const work = buckets.flatMap((b) => (s.prefixes.get(b.name ?? '') ?? ['']).map((prefix) => ({ b, prefix })));
  const out: Resource[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const item = work[next++];
      if (!item) break;
      try {
        out.push(await read(ctx, scope, item.b, item.prefix));
      } catch (err) {
        const region = (item.b.location ?? '').toLowerCase();
        ctx.reportFailure({ scope, ...(region ? { region } : {}), operation: 'storage:ListObjects', message: `gs://${item.b.name ?? ''}/${item.prefix}: ${describeGoogleError(err)}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_BUCKETS, work.length) }, worker));
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function describe(ctx: GcpCtx, ref: ResourceRef): Promise<Resource | undefined> {
  const { bucket, prefix } = parseName(ref.name);
  const b = await getBucket(ctx, bucket);
  return b ? read(ctx, { cloud: 'gcp', id: ref.scopeId }, b, prefix) : undefined;
}

const where = (r: { scopeId: string; region: string; id: string }, operation: string) => ({ cloud: 'gcp' as const, scopeId: r.scopeId, region: r.region, resourceId: r.id, operation });

/** The rule the finding proposed, from the resource's counts and the policy's prices; throws when no class pays back. */
function ruleFor(ctx: GcpCtx, r: Resource): GcsLifecycleRule {
  const s = settings(ctx);
  const stats = gcsColdStatsOf(r);
  const chosen = stats && stats.objects > 0 && !stats.autoclass ? chooseGcsTiering(gcsTieringOptions(stats, s.retrievalPercentPerMonth / 100, s.prices.forLocation(stats.location))) : undefined;
  if (!chosen) throw new ProviderError(`no storage class pays back for gs://${r.name}; nothing was changed`, where({ scopeId: r.scope.id, region: r.region, id: r.id }, 'PatchBucket'));
  return gcsLifecycleRuleFor(String(r.attributes['prefix'] ?? ''), chosen);
}

/** The bucket as it is now, after checking its lifecycle configuration is the one the resource was judged with. */
async function current(ctx: GcpCtx, r: Resource, operation: string): Promise<BucketJson> {
  const b = await getBucket(ctx, String(r.attributes['bucket'] ?? parseName(r.name).bucket));
  const at = where({ scopeId: r.scope.id, region: r.region, id: r.id }, operation);
  if (!b) throw new ProviderError(`bucket ${r.name} no longer exists`, at);
  if (fingerprint(b) !== r.attributes['lifecycleFingerprint']) throw new ProviderError(`the lifecycle configuration of ${r.name} changed since it was read; nothing was changed`, at);
  if (b.autoclass?.enabled === true) throw new ProviderError(`Autoclass was turned on for ${r.name}; nothing was changed`, at);
  return b;
}

async function patchLifecycle(ctx: GcpCtx, bucket: string, rules: readonly unknown[] | null, metageneration: string | number | undefined): Promise<void> {
  // ifMetagenerationMatch: the write fails (412) if anything changed the bucket since it was read.
  await ctx.call(
    () => ctx.clients.storage.bucket(bucket).setMetadata({ lifecycle: rules === null ? null : { rule: rules } } as never, metageneration !== undefined ? { ifMetagenerationMatch: Number(metageneration) } : {}),
    true,
  );
}

const addLifecycleRule = {
  id: GCS_ADD_LIFECYCLE_RULE,
  precondition(r: Resource): string | undefined {
    if (r.attributes['autoclass'] === true) return 'Autoclass manages the storage classes of this bucket';
    if (Number(r.attributes['lifecycleRules'] ?? 0) >= GCS_MAX_LIFECYCLE_RULES) return `the bucket has ${GCS_MAX_LIFECYCLE_RULES} lifecycle rules, the most Cloud Storage allows`;
    return undefined;
  },
  async capture(ctx: GcpCtx, r: Resource): Promise<Record<string, unknown>> {
    const b = await current(ctx, r, 'GetBucket');
    const undo: LifecycleUndo = { bucket: b.name ?? '', previous: rulesOf(b), added: ruleFor(ctx, r), metageneration: String(b.metageneration ?? '') };
    return { ...undo };
  },
  async perform(ctx: GcpCtx, r: Resource): Promise<ActOutcome> {
    const ours = ruleFor(ctx, r);
    const b = await current(ctx, r, 'PatchBucket');
    const kept = (rulesOf(b) ?? []).filter((x) => canonical(x) !== canonical(ours));
    await patchLifecycle(ctx, b.name ?? '', [...kept, ours], b.metageneration);
    const prefix = String(r.attributes['prefix'] ?? '');
    return {
      summary: `added a lifecycle rule to bucket ${b.name ?? ''}: STANDARD objects${prefix ? ` under ${prefix}` : ''} move to ${ours.action.storageClass ?? ''} ${String(ours.condition['age'])} d after creation; its ${kept.length} other rule${kept.length === 1 ? '' : 's'} kept`,
    };
  },
  /**
   * Restores the configuration saved before the action, exactly (removing it when there was none),
   * provided nothing else changed since; if someone changed other rules meanwhile, only
   * costwatch's rule is removed so their change survives, and the summary says so.
   */
  async undo(ctx: GcpCtx, ref: ResourceRef, saved: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const u = saved as unknown as LifecycleUndo;
    if (typeof u.bucket !== 'string' || u.previous === undefined || typeof u.added !== 'object' || u.added === null) {
      throw new ProviderError('the saved undo data is not a lifecycle configuration', where({ scopeId: ref.scopeId, region: ref.region, id: ref.id }, 'undo'));
    }
    const b = await getBucket(ctx, u.bucket);
    if (!b) throw new ProviderError(`cannot restore the lifecycle of ${u.bucket}: the bucket was deleted`, where({ scopeId: ref.scopeId, region: ref.region, id: ref.id }, 'GetBucket'));
    const now = rulesOf(b) ?? [];
    const withoutOurs = now.filter((x) => canonical(x) !== canonical(u.added));
    if (withoutOurs.length === now.length) return { summary: `costwatch's lifecycle rule is no longer on bucket ${u.bucket}; nothing to undo` };
    const previous = u.previous;
    if (canonical(withoutOurs.length > 0 ? withoutOurs : null) === canonical(previous)) {
      await patchLifecycle(ctx, u.bucket, previous, b.metageneration);
      return {
        summary:
          previous === null
            ? `removed the lifecycle configuration of bucket ${u.bucket}: it had none before costwatch added its rule`
            : `restored the lifecycle configuration of bucket ${u.bucket} as it was before (${previous.length} rule${previous.length === 1 ? '' : 's'}); objects already moved stay in their new class`,
      };
    }
    await patchLifecycle(ctx, u.bucket, withoutOurs.length > 0 ? withoutOurs : null, b.metageneration);
    return { summary: `removed costwatch's lifecycle rule from bucket ${u.bucket}; its other rules changed since costwatch acted, so they were kept as they are now rather than restored` };
  },
};

/** Cloud Storage buckets (the cold-artifacts rule). Listed once per project: `buckets.list` is not regional. */
export const storageBucketKind: GcpKind = {
  kind: GCS_BUCKET_KIND,
  inventoryOperation: 'storage:ListBuckets/ListObjects',
  listedPer: 'scope',
  list: (ctx, scope) => list(ctx, scope),
  describe,
  actions: [addLifecycleRule],
};
