import { createHash } from 'node:crypto';
import { resolveTime } from '../time.js';
import type { World } from '../world.js';
import { decodeToken, encodeToken } from './protocol.js';
import { ServiceError } from './service-error.js';
import { lifecycleSchema, type LifecycleRuleSpec, type LifecycleSpec } from './world-s3.js';
import { parseXml, s3Document, type XmlElement, type XmlError, type XmlNode } from './xml.js';

/*
 * S3 over the REST-XML protocol with path-style addressing (`<endpoint>/<bucket>?...`, the SDK's
 * `forcePathStyle: true`): ListBuckets, ListObjectsV2, and the bucket lifecycle configuration
 * (Get / Put / Delete). Objects are generated from the world's counts and never stored one by one
 * beyond three parallel arrays.
 */

/** The objects of one bucket, sorted by key. */
interface ObjectTable {
  readonly keys: string[];
  readonly sizes: number[];
  readonly modified: number[];
  readonly classes: string[];
}

/** A bucket and its mutable lifecycle configuration. */
export interface BucketRecord {
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly createdAt: number;
  readonly objects: ObjectTable;
  lifecycle: LifecycleSpec | undefined;
}

/** The sandbox's S3: buckets by (global) name. */
export class S3State {
  readonly buckets = new Map<string, BucketRecord>();

  constructor(world: World, worldNowMs: number) {
    for (const a of world.aws.accounts) {
      for (const b of a.s3.buckets) {
        const rows: { key: string; size: number; modified: number; cls: string }[] = [];
        for (const g of b.objects) {
          const oldest = resolveTime(g.lastModified, worldNowMs);
          const newest = g.newest === undefined ? oldest : resolveTime(g.newest, worldNowMs);
          const width = Math.max(5, String(g.count).length);
          for (let i = 0; i < g.count; i++) {
            const at = g.count === 1 ? oldest : Math.round(oldest + ((newest - oldest) * i) / (g.count - 1));
            rows.push({ key: `${g.prefix}${g.name}-${String(i + 1).padStart(width, '0')}`, size: g.size, modified: Math.floor(at / 1000) * 1000, cls: g.storageClass });
          }
        }
        rows.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
        for (let i = 1; i < rows.length; i++) {
          if (rows[i]!.key === rows[i - 1]!.key) throw new RangeError(`bucket ${b.name}: two object groups generate the key ${rows[i]!.key}; give them different prefixes or names`);
        }
        this.buckets.set(b.name, {
          name: b.name,
          accountId: a.id,
          region: b.region,
          createdAt: resolveTime(b.createdAt, worldNowMs),
          objects: { keys: rows.map((r) => r.key), sizes: rows.map((r) => r.size), modified: rows.map((r) => r.modified), classes: rows.map((r) => r.cls) },
          lifecycle: b.lifecycle,
        });
      }
    }
  }
}

/** One S3 request, already read. */
export interface S3Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly accountId: string;
  readonly region: string;
}

/** An S3 answer. */
export interface S3Response {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The operation a request names, for call counts and faults; undefined when the sandbox has none. */
export function s3Operation(method: string, path: string, query: URLSearchParams): string {
  const bucket = bucketOf(path);
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
  if (keyOf(path)) return `${method}Object`;
  if (query.has('lifecycle')) return method === 'GET' ? 'GetBucketLifecycleConfiguration' : method === 'PUT' ? 'PutBucketLifecycleConfiguration' : method === 'DELETE' ? 'DeleteBucketLifecycle' : `${method}BucketLifecycle`;
  if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
  return `${method}Bucket`;
}

/** Operations the sandbox serves, as counted by `calls()`. */
export const S3_OPERATIONS = ['ListBuckets', 'ListObjectsV2', 'GetBucketLifecycleConfiguration', 'PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle'] as const;

function bucketOf(path: string): string | undefined {
  const seg = path.split('/').filter((s) => s !== '');
  return seg[0] === undefined ? undefined : decodeURIComponent(seg[0]);
}

function keyOf(path: string): string | undefined {
  const m = /^\/[^/]+\/(.+)$/.exec(path);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

const XML = { 'content-type': 'application/xml' };

/** Serves one S3 request against the state. */
export function handleS3(state: S3State, req: S3Request): S3Response {
  const op = s3Operation(req.method, req.path, req.query);
  if (op === 'ListBuckets') return listBuckets(state, req);
  if (!(S3_OPERATIONS as readonly string[]).includes(op)) {
    throw new ServiceError('NotImplemented', 501, `The sandbox cloud does not implement ${req.method} ${op === `${req.method}Object` ? 'on objects' : 'on this bucket sub-resource'}.`);
  }
  const name = bucketOf(req.path)!;
  const bucket = state.buckets.get(name);
  if (!bucket) throw new ServiceError('NoSuchBucket', 404, 'The specified bucket does not exist');
  if (bucket.accountId !== req.accountId) throw new ServiceError('AccessDenied', 403, 'Access Denied');
  if (bucket.region !== req.region) {
    throw Object.assign(new ServiceError('PermanentRedirect', 301, 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.'), {
      headers: { 'x-amz-bucket-region': bucket.region },
    });
  }
  switch (op) {
    case 'ListObjectsV2':
      return listObjects(bucket, req);
    case 'GetBucketLifecycleConfiguration':
      return getLifecycle(bucket);
    case 'PutBucketLifecycleConfiguration':
      return putLifecycle(bucket, req);
    default:
      bucket.lifecycle = undefined;
      return { status: 204, headers: {}, body: '' };
  }
}

function listBuckets(state: S3State, req: S3Request): S3Response {
  const prefix = req.query.get('prefix') ?? '';
  const region = req.query.get('bucket-region');
  const mine = [...state.buckets.values()]
    .filter((b) => b.accountId === req.accountId && b.name.startsWith(prefix) && (region === null || b.region === region))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const nodes: XmlNode[] = [
    ['Owner', [['ID', createHash('sha256').update(req.accountId).digest('hex')], ['DisplayName', `sandbox-${req.accountId}`]]],
    ['Buckets', mine.map((b): XmlNode => ['Bucket', [['Name', b.name], ['CreationDate', new Date(b.createdAt).toISOString()], ['BucketRegion', b.region]]])],
  ];
  if (prefix) nodes.push(['Prefix', prefix]);
  return { status: 200, headers: XML, body: s3Document('ListAllMyBucketsResult', nodes) };
}

function lowerBound(keys: readonly string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function listObjects(b: BucketRecord, req: S3Request): S3Response {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeysText = q.get('max-keys');
  const maxKeys = maxKeysText === null ? 1000 : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new ServiceError('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range');
  const limit = Math.min(maxKeys, 1000);
  const startAfter = q.get('start-after') ?? '';
  const token = q.get('continuation-token');
  const fingerprint = `${b.name}|${prefix}|${delimiter}`;
  let after = startAfter;
  if (token !== null) {
    const o = decodeToken(token, fingerprint);
    if (o === undefined) throw new ServiceError('InvalidArgument', 400, 'The continuation token provided is incorrect');
    after = b.objects.keys[o - 1] ?? '';
  }
  const { keys, sizes, modified, classes } = b.objects;
  let i = Math.max(lowerBound(keys, prefix), after ? lowerBound(keys, after) : 0);
  if (after && keys[i] === after) i++;
  const contents: XmlNode[] = [];
  const common: string[] = [];
  let count = 0;
  let lastIndex = i;
  while (i < keys.length && count < limit) {
    const key = keys[i]!;
    if (!key.startsWith(prefix)) break;
    const rest = key.slice(prefix.length);
    const cut = delimiter ? rest.indexOf(delimiter) : -1;
    if (cut >= 0) {
      const cp = prefix + rest.slice(0, cut + delimiter.length);
      common.push(cp);
      count++;
      // Skip every key under this common prefix.
      i = lowerBound(keys, cp + '\uffff');
      lastIndex = i;
      continue;
    }
    contents.push([
      'Contents',
      [
        ['Key', key],
        ['LastModified', new Date(modified[i]!).toISOString()],
        ['ETag', `"${createHash('md5').update(key).digest('hex')}"`],
        ['Size', sizes[i]!],
        ['StorageClass', classes[i]!],
      ],
    ]);
    count++;
    i++;
    lastIndex = i;
  }
  const truncated = lastIndex < keys.length && keys[lastIndex]!.startsWith(prefix) && count >= limit;
  const nodes: XmlNode[] = [
    ['Name', b.name],
    ['Prefix', prefix],
    ...(delimiter ? [['Delimiter', delimiter] as XmlNode] : []),
    ['MaxKeys', maxKeys],
    ['KeyCount', count],
    ['IsTruncated', truncated],
    ...(token !== null ? [['ContinuationToken', token] as XmlNode] : []),
    ...(truncated ? [['NextContinuationToken', encodeToken(lastIndex, fingerprint)] as XmlNode] : []),
    ...(startAfter ? [['StartAfter', startAfter] as XmlNode] : []),
    ...contents,
    ...common.map((p): XmlNode => ['CommonPrefixes', [['Prefix', p]]]),
  ];
  return { status: 200, headers: XML, body: s3Document('ListBucketResult', nodes) };
}

function getLifecycle(b: BucketRecord): S3Response {
  if (!b.lifecycle) throw new ServiceError('NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist');
  return {
    status: 200,
    headers: { ...XML, 'x-amz-transition-default-minimum-object-size': b.lifecycle.transitionDefaultMinimumObjectSize },
    body: s3Document('LifecycleConfiguration', b.lifecycle.rules.map((r): XmlNode => ['Rule', ruleNodes(r)])),
  };
}

function putLifecycle(b: BucketRecord, req: S3Request): S3Response {
  const h = req.headers;
  const hasChecksum = h['content-md5'] !== undefined || Object.keys(h).some((k) => k.startsWith('x-amz-checksum-'));
  if (!hasChecksum) throw new ServiceError('InvalidRequest', 400, 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*');
  let root: XmlElement;
  try {
    root = parseXml(req.body);
  } catch (err) {
    throw new ServiceError('MalformedXML', 400, `The XML you provided was not well-formed or did not validate against our published schema (${(err as XmlError).message})`);
  }
  if (root.name !== 'LifecycleConfiguration') throw new ServiceError('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
  const minimum = h['x-amz-transition-default-minimum-object-size'];
  const parsed = lifecycleSchema.safeParse({
    ...(typeof minimum === 'string' ? { transitionDefaultMinimumObjectSize: minimum } : {}),
    rules: root.children.map((c) => {
      if (c.name !== 'Rule') throw new ServiceError('MalformedXML', 400, `unexpected element <${c.name}> in LifecycleConfiguration`);
      return ruleFromXml(c);
    }),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const semantic = issue.code === 'custom';
    throw new ServiceError(semantic ? 'InvalidArgument' : 'MalformedXML', 400, semantic ? issue.message : `The XML you provided was not well-formed or did not validate against our published schema (${issue.path.join('.')}: ${issue.message})`);
  }
  b.lifecycle = parsed.data;
  return { status: 200, headers: { 'x-amz-transition-default-minimum-object-size': parsed.data.transitionDefaultMinimumObjectSize }, body: '' };
}

const NUMBERS = new Set(['Days', 'NoncurrentDays', 'NewerNoncurrentVersions', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'DaysAfterInitiation']);
const BOOLEANS = new Set(['ExpiredObjectDeleteMarker']);
/** XML element name → SDK list member, for elements that repeat. */
const LISTS: Record<string, string> = { Transition: 'Transitions', NoncurrentVersionTransition: 'NoncurrentVersionTransitions', Tag: 'Tags' };

/** An XML rule element as the SDK's object shape (lists gathered, numbers and booleans typed). */
function ruleFromXml(el: XmlElement, inAnd = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    const listName = LISTS[c.name];
    // A lone <Tag> under <Filter> is a single tag; under <And> tags repeat.
    if (listName && !(c.name === 'Tag' && !inAnd)) {
      const list = (out[listName] as unknown[] | undefined) ?? [];
      list.push(ruleFromXml(c));
      out[listName] = list;
      continue;
    }
    if (c.children.length > 0 || ['Filter', 'And', 'Expiration', 'NoncurrentVersionExpiration', 'AbortIncompleteMultipartUpload', 'Tag'].includes(c.name)) {
      out[c.name] = ruleFromXml(c, c.name === 'And');
      continue;
    }
    if (NUMBERS.has(c.name)) {
      const v = Number(c.text);
      if (!Number.isFinite(v)) throw new ServiceError('MalformedXML', 400, `<${c.name}> must be a number`);
      out[c.name] = v;
    } else if (BOOLEANS.has(c.name)) {
      out[c.name] = c.text === 'true';
    } else {
      out[c.name] = c.text;
    }
  }
  return out;
}

function ruleNodes(r: LifecycleRuleSpec): XmlNode[] {
  const f = r.Filter;
  const filter: XmlNode[] | undefined = f
    ? [
        ...(f.Prefix !== undefined ? [['Prefix', f.Prefix] as XmlNode] : []),
        ...(f.Tag ? [['Tag', [['Key', f.Tag.Key], ['Value', f.Tag.Value]]] as XmlNode] : []),
        ...(f.ObjectSizeGreaterThan !== undefined ? [['ObjectSizeGreaterThan', f.ObjectSizeGreaterThan] as XmlNode] : []),
        ...(f.ObjectSizeLessThan !== undefined ? [['ObjectSizeLessThan', f.ObjectSizeLessThan] as XmlNode] : []),
        ...(f.And
          ? [
              [
                'And',
                [
                  ...(f.And.Prefix !== undefined ? [['Prefix', f.And.Prefix] as XmlNode] : []),
                  ...(f.And.Tags ?? []).map((t): XmlNode => ['Tag', [['Key', t.Key], ['Value', t.Value]]]),
                  ...(f.And.ObjectSizeGreaterThan !== undefined ? [['ObjectSizeGreaterThan', f.And.ObjectSizeGreaterThan] as XmlNode] : []),
                  ...(f.And.ObjectSizeLessThan !== undefined ? [['ObjectSizeLessThan', f.And.ObjectSizeLessThan] as XmlNode] : []),
                ],
              ] as XmlNode,
            ]
          : []),
      ]
    : undefined;
  return [
    ['ID', r.ID],
    ...(r.Prefix !== undefined ? [['Prefix', r.Prefix] as XmlNode] : []),
    ...(filter ? [['Filter', filter] as XmlNode] : []),
    ['Status', r.Status],
    ...(r.Expiration ? [['Expiration', [['Days', r.Expiration.Days], ['Date', r.Expiration.Date], ['ExpiredObjectDeleteMarker', r.Expiration.ExpiredObjectDeleteMarker]]] as XmlNode] : []),
    ...(r.Transitions ?? []).map((t): XmlNode => ['Transition', [['Days', t.Days], ['Date', t.Date], ['StorageClass', t.StorageClass]]]),
    ...(r.NoncurrentVersionTransitions ?? []).map((t): XmlNode => ['NoncurrentVersionTransition', [['NoncurrentDays', t.NoncurrentDays], ['StorageClass', t.StorageClass], ['NewerNoncurrentVersions', t.NewerNoncurrentVersions]]]),
    ...(r.NoncurrentVersionExpiration ? [['NoncurrentVersionExpiration', [['NoncurrentDays', r.NoncurrentVersionExpiration.NoncurrentDays], ['NewerNoncurrentVersions', r.NoncurrentVersionExpiration.NewerNoncurrentVersions]]] as XmlNode] : []),
    ...(r.AbortIncompleteMultipartUpload ? [['AbortIncompleteMultipartUpload', [['DaysAfterInitiation', r.AbortIncompleteMultipartUpload.DaysAfterInitiation]]] as XmlNode] : []),
  ];
}

/** An S3 error body. */
export function s3ErrorBody(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message><Resource>${resource.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource><RequestId>SANDBOX</RequestId></Error>`;
}
