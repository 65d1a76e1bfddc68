import type { GcpCall, GcpRoute } from './context.js';
import { GoogleApiError, fingerprintOf, invalid, pageOf, rfc3339 } from './protocol.js';
import type { BucketRecord, GcpState, StorageObjectRecord } from './state.js';

/*
 * Cloud Storage as the sandbox serves it through the JSON API (storage.googleapis.com/storage/v1,
 * the surface @google-cloud/storage calls): buckets.list (paged, by project), buckets.get,
 * buckets.patch (labels, lifecycle — `null` removes a field — with `ifMetagenerationMatch`), and
 * objects.list (live objects, paged by `maxResults`/`pageToken`, `prefix`). A bucket is found by
 * its global name, so its calls count and fault against the project that owns it. Reference:
 * https://cloud.google.com/storage/docs/json_api/v1/buckets and .../objects/list
 */

const MAX_PAGE = 1000;
const STORAGE_CLASSES = new Set(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE', 'MULTI_REGIONAL', 'REGIONAL', 'DURABLE_REDUCED_AVAILABILITY']);
const ACTIONS = new Set(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']);
const CONDITIONS = new Set([
  'age',
  'createdBefore',
  'customTimeBefore',
  'daysSinceCustomTime',
  'daysSinceNoncurrentTime',
  'isLive',
  'matchesPrefix',
  'matchesStorageClass',
  'matchesSuffix',
  'noncurrentTimeBefore',
  'numNewerVersions',
]);

function bucketJson(b: BucketRecord): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    selfLink: `https://www.googleapis.com/storage/v1/b/${b.name}`,
    id: b.name,
    name: b.name,
    projectNumber: b.projectNumber,
    metageneration: String(b.metageneration),
    location: b.location,
    storageClass: b.storageClass,
    etag: `CA${b.metageneration}=`,
    timeCreated: rfc3339(b.timeCreated),
    updated: rfc3339(b.updated),
    locationType: b.locationType,
    ...(Object.keys(b.labels).length > 0 ? { labels: { ...b.labels } } : {}),
    ...(b.lifecycle ? { lifecycle: { rule: structuredClone(b.lifecycle) } } : {}),
    ...(b.autoclass ? { autoclass: { enabled: true, toggleTime: rfc3339(b.timeCreated) } } : {}),
    iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' },
  };
}

function objectJson(b: BucketRecord, o: StorageObjectRecord): Record<string, unknown> {
  return {
    kind: 'storage#object',
    id: `${b.name}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: b.name,
    generation: o.generation,
    metageneration: '1',
    contentType: 'application/octet-stream',
    storageClass: o.storageClass,
    size: String(o.size),
    timeCreated: rfc3339(o.timeCreated),
    updated: rfc3339(o.updated),
    timeStorageClassUpdated: rfc3339(o.timeCreated),
    ...(o.customTime !== undefined ? { customTime: rfc3339(o.customTime) } : {}),
  };
}

function maxResults(query: URLSearchParams): URLSearchParams {
  // The JSON API pages by `maxResults`; the shared pager reads `pageSize`.
  const q = new URLSearchParams(query);
  const raw = q.get('maxResults');
  if (raw !== null) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) invalid(`Invalid value for maxResults: ${raw}`);
    q.set('pageSize', String(Math.min(n, MAX_PAGE)));
    q.delete('maxResults');
  }
  return q;
}

function bucketOf(call: GcpCall): BucketRecord {
  const name = call.params['bucket'] ?? '';
  const b = call.project.buckets.get(name);
  if (!b) throw new GoogleApiError('NOT_FOUND', 'The specified bucket does not exist.');
  const match = call.query.get('ifMetagenerationMatch');
  if (match !== null && match !== String(b.metageneration)) throw new GoogleApiError('FAILED_PRECONDITION', 'At least one of the pre-conditions you specified did not hold.', 412);
  return b;
}

function listBuckets(call: GcpCall) {
  const prefix = call.query.get('prefix') ?? '';
  const all = [...call.project.buckets.values()].filter((b) => b.name.startsWith(prefix)).sort((a, b) => (a.name < b.name ? -1 : 1));
  const q = maxResults(call.query);
  const { page, nextPageToken } = pageOf(all, q, MAX_PAGE, MAX_PAGE, fingerprintOf(call.path, q));
  return { kind: 'storage#buckets', ...(page.length > 0 ? { items: page.map(bucketJson) } : {}), ...(nextPageToken ? { nextPageToken } : {}) };
}

function getBucket(call: GcpCall) {
  return bucketJson(bucketOf(call));
}

/** A lifecycle rule as Cloud Storage validates it: a known action (SetStorageClass names its class) and at least one known condition. */
function checkRule(rule: unknown, i: number): void {
  const r = rule as { action?: { type?: unknown; storageClass?: unknown }; condition?: Record<string, unknown> } | null;
  if (!r || typeof r !== 'object' || Array.isArray(r)) invalid(`Invalid argument: lifecycle.rule[${i}] is not an object`);
  if (typeof r.action?.type !== 'string' || !ACTIONS.has(r.action.type)) invalid(`Invalid argument: lifecycle.rule[${i}].action.type must be one of ${[...ACTIONS].join(', ')}`);
  if (r.action.type === 'SetStorageClass' && (typeof r.action.storageClass !== 'string' || !STORAGE_CLASSES.has(r.action.storageClass))) {
    invalid(`Invalid argument: lifecycle.rule[${i}].action.storageClass must name a storage class`);
  }
  const c = r.condition;
  if (!c || typeof c !== 'object' || Object.keys(c).length === 0) invalid(`Invalid argument: lifecycle.rule[${i}] must have at least one condition`);
  for (const k of Object.keys(c)) if (!CONDITIONS.has(k)) invalid(`Invalid argument: unknown lifecycle condition ${k}`);
  if (c['age'] !== undefined && !(Number.isInteger(c['age']) && (c['age'] as number) >= 0)) invalid(`Invalid argument: lifecycle.rule[${i}].condition.age must be a whole number of days`);
}

function patchBucket(call: GcpCall) {
  const b = bucketOf(call);
  const body = call.body;
  for (const k of Object.keys(body)) if (!['lifecycle', 'labels', 'storageClass', 'autoclass'].includes(k)) invalid(`The sandbox cloud does not patch bucket field ${k}`);
  if ('lifecycle' in body) {
    const l = body['lifecycle'] as { rule?: unknown } | null;
    if (l === null) b.lifecycle = undefined;
    else {
      if (typeof l !== 'object' || !Array.isArray(l.rule)) invalid('Invalid argument: lifecycle must be null or { rule: [...] }');
      if (l.rule.length > 100) invalid('Invalid argument: a bucket has at most 100 lifecycle rules');
      l.rule.forEach(checkRule);
      b.lifecycle = l.rule.length > 0 ? structuredClone(l.rule) : undefined;
    }
  }
  if ('labels' in body) {
    const labels = body['labels'] as Record<string, unknown> | null;
    if (labels === null) b.labels = {};
    else
      for (const [k, v] of Object.entries(labels)) {
        if (v === null) delete b.labels[k];
        else b.labels[k] = String(v);
      }
  }
  if ('storageClass' in body) {
    const c = body['storageClass'];
    if (typeof c !== 'string' || !STORAGE_CLASSES.has(c)) invalid('Invalid argument: storageClass');
    b.storageClass = c;
  }
  if ('autoclass' in body) b.autoclass = (body['autoclass'] as { enabled?: unknown } | null)?.enabled === true;
  b.metageneration++;
  b.updated = call.now;
  call.project.version++;
  return bucketJson(b);
}

function listObjects(call: GcpCall) {
  const b = bucketOf(call);
  if (call.query.get('delimiter')) invalid('The sandbox cloud does not list with a delimiter; list without one');
  const prefix = call.query.get('prefix') ?? '';
  const all = prefix ? b.objects.filter((o) => o.name.startsWith(prefix)) : b.objects;
  const q = maxResults(call.query);
  // `fields` only trims the answer; the page is the same whatever it asks for.
  q.delete('fields');
  const { page, nextPageToken } = pageOf(all, q, MAX_PAGE, MAX_PAGE, fingerprintOf(call.path, q));
  return { kind: 'storage#objects', ...(page.length > 0 ? { items: page.map((o) => objectJson(b, o)) } : {}), ...(nextPageToken ? { nextPageToken } : {}) };
}

/** The project a bucket call lands in: the bucket's owner; NOT_FOUND for a bucket no project has. */
function ownerOfBucket(params: Readonly<Record<string, string>>, _query: URLSearchParams, state: GcpState): string {
  const owner = state.bucketOwner(params['bucket'] ?? '');
  if (!owner) throw new GoogleApiError('NOT_FOUND', 'The specified bucket does not exist.');
  return owner.id;
}

/** The project of `buckets.list`: its required `project` query parameter. */
function projectParam(_params: Readonly<Record<string, string>>, query: URLSearchParams): string {
  const p = query.get('project');
  if (!p) invalid('Required parameter: project');
  return p;
}

const B = '(?<bucket>[a-z0-9][a-z0-9._-]{1,61}[a-z0-9])';

/** Cloud Storage JSON API routes. */
export const STORAGE_ROUTES: readonly GcpRoute[] = [
  { service: 'storage', operation: 'ListBuckets', method: 'GET', pattern: /^\/storage\/v1\/b$/, projectOf: projectParam, handler: listBuckets },
  { service: 'storage', operation: 'GetBucket', method: 'GET', pattern: new RegExp(`^/storage/v1/b/${B}$`), projectOf: ownerOfBucket, handler: getBucket },
  { service: 'storage', operation: 'PatchBucket', method: 'PATCH', pattern: new RegExp(`^/storage/v1/b/${B}$`), projectOf: ownerOfBucket, handler: patchBucket },
  { service: 'storage', operation: 'ListObjects', method: 'GET', pattern: new RegExp(`^/storage/v1/b/${B}/o$`), projectOf: ownerOfBucket, handler: listObjects },
];
