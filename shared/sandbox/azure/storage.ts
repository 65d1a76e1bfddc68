import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallSite, FaultDecision } from '../faults.js';
import { resolveTime } from '../time.js';
import type { World } from '../world.js';
import { ArmError, type ArmResponse } from './arm.js';
import type { ArmContext, ArmRoute } from './machine-learning.js';

/*
 * Azure Storage in the sandbox: storage accounts and their lifecycle management policies over ARM
 * (Microsoft.Storage, the operations `@azure/arm-storage` calls), and a small Blob service for the
 * world's blobs — List Containers, Get Container Properties, List Blobs, Get Blob Properties and Set
 * Blob Tier, in the Blob REST API's XML and headers — so `npm start` lists blobs without Azurite.
 * Tests that need a real Blob service point the accounts' blob endpoint at Azurite instead
 * (`SandboxOptions.azureBlobEndpoint`).
 */

export { BLOB_OPERATIONS, STORAGE_OPERATIONS } from './storage-operations.js';
import type { STORAGE_OPERATIONS } from './storage-operations.js';

/** The URL path prefix of the sandbox's Blob service: `/azure-blob/<account>/<container>/<blob>`. */
export const BLOB_PATH_PREFIX = '/azure-blob/';

/** The shared key the sandbox's blob endpoints take (Azurite's well-known development key, so tests use one for both). */
export const SANDBOX_BLOB_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface BlobState {
  name: string;
  size: number;
  lastModified: number;
  createdAt: number;
  tier?: string;
  tierChangedAt?: number;
  lastAccessed?: number;
  blobType: string;
  etag: string;
}

export interface ContainerState {
  name: string;
  createdAt: number;
  blobs: Map<string, BlobState>;
}

export interface StorageAccountState {
  subscription: string;
  name: string;
  resourceGroup: string;
  location: string;
  kind: string;
  accessTier: string;
  createdAt: number;
  tags: Record<string, string>;
  lastAccessTracking: boolean;
  policy?: { rules: unknown[]; lastModifiedTime: number };
  containers: Map<string, ContainerState>;
}

/** The world's storage accounts, by name (account names are global in Azure). */
export class AzureStorageState {
  readonly accounts = new Map<string, StorageAccountState>();

  constructor(world: World, now: number) {
    for (const s of world.azure.subscriptions) {
      for (const a of s.storageAccounts) {
        const at = (t: string) => resolveTime(t, now);
        const account: StorageAccountState = {
          subscription: s.id,
          name: a.name,
          resourceGroup: a.resourceGroup,
          location: a.location,
          kind: a.kind,
          accessTier: a.accessTier,
          createdAt: at(a.createdAt),
          tags: { ...a.tags },
          lastAccessTracking: a.lastAccessTracking,
          ...(a.managementPolicy ? { policy: { rules: structuredClone(a.managementPolicy.rules), lastModifiedTime: at(a.createdAt) } } : {}),
          containers: new Map(),
        };
        for (const c of a.containers) {
          const container: ContainerState = { name: c.name, createdAt: at(c.createdAt), blobs: new Map() };
          for (const b of c.blobs) {
            const names = b.count !== undefined ? Array.from({ length: b.count }, (_, i) => `${b.prefix ?? ''}${String(i).padStart(5, '0')}`) : [b.name ?? ''];
            for (const name of names) {
              const modified = at(b.lastModified);
              container.blobs.set(name, {
                name,
                size: b.size,
                lastModified: modified,
                createdAt: modified,
                ...(b.tier ? { tier: b.tier } : {}),
                ...(b.lastAccessed ? { lastAccessed: at(b.lastAccessed) } : {}),
                blobType: b.blobType,
                etag: `"0x${modified.toString(16).toUpperCase()}"`,
              });
            }
          }
          account.containers.set(c.name, container);
        }
        this.accounts.set(a.name, account);
      }
    }
  }

  /** The accounts of a subscription, in world order. */
  ofSubscription(sub: string): StorageAccountState[] {
    return [...this.accounts.values()].filter((a) => a.subscription === sub.toLowerCase());
  }
}

// ---- ARM ---------------------------------------------------------------------------------------

const NAME = '([^/]+)';
const SA = `^/subscriptions/${NAME}/resourcegroups/${NAME}/providers/microsoft\\.storage/storageaccounts/${NAME}`;
const ROUTES: [RegExp, string, (typeof STORAGE_OPERATIONS)[number]][] = [
  [new RegExp(`^/subscriptions/${NAME}/providers/microsoft\\.storage/storageaccounts$`), 'GET', 'StorageAccounts_List'],
  [new RegExp(`^/subscriptions/${NAME}/resourcegroups/${NAME}/providers/microsoft\\.storage/storageaccounts$`), 'GET', 'StorageAccounts_ListByResourceGroup'],
  [new RegExp(`${SA}$`), 'GET', 'StorageAccounts_GetProperties'],
  [new RegExp(`${SA}/managementpolicies/default$`), 'GET', 'ManagementPolicies_Get'],
  [new RegExp(`${SA}/managementpolicies/default$`), 'PUT', 'ManagementPolicies_CreateOrUpdate'],
  [new RegExp(`${SA}/managementpolicies/default$`), 'DELETE', 'ManagementPolicies_Delete'],
];

/** Whether a path is a Microsoft.Storage one. */
export function isStoragePath(path: string): boolean {
  return /\/providers\/microsoft\.storage\//i.test(path);
}

/** Routes one Microsoft.Storage request. */
export function handleStorage(ctx: ArmContext, storage: AzureStorageState, blobEndpoint: (account: string) => string): ArmRoute {
  const path = decodeURIComponent(ctx.url.pathname).toLowerCase();
  for (const [re, method, operation] of ROUTES) {
    const m = re.exec(path);
    if (!m || method !== ctx.method) continue;
    const [, , rg, name] = m;
    const account = name ? storage.accounts.get(name) : undefined;
    const mine = account && account.subscription === ctx.subscription && account.resourceGroup.toLowerCase() === rg ? account : undefined;
    return {
      operation,
      ...(mine ? { location: mine.location } : {}),
      run: (): ArmResponse => {
        switch (operation) {
          case 'StorageAccounts_List':
            return page(ctx, storage.ofSubscription(ctx.subscription).map((a) => accountBody(a, blobEndpoint)));
          case 'StorageAccounts_ListByResourceGroup':
            return page(ctx, storage.ofSubscription(ctx.subscription).filter((a) => a.resourceGroup.toLowerCase() === rg).map((a) => accountBody(a, blobEndpoint)));
          case 'StorageAccounts_GetProperties':
            return { status: 200, body: accountBody(need(mine, name), blobEndpoint) };
          case 'ManagementPolicies_Get': {
            const a = need(mine, name);
            if (!a.policy) throw new ArmError(404, 'ManagementPolicyNotFound', `No ManagementPolicy found for account ${a.name}`);
            return { status: 200, body: policyBody(a) };
          }
          case 'ManagementPolicies_CreateOrUpdate': {
            const a = need(mine, name);
            const rules = (ctx.body as { properties?: { policy?: { rules?: unknown } } } | undefined)?.properties?.policy?.rules;
            if (!Array.isArray(rules) || rules.length === 0) throw new ArmError(400, 'InvalidManagementPolicyRules', 'ManagementPolicy rules must be a non-empty array.');
            if (rules.length > 100) throw new ArmError(400, 'InvalidManagementPolicyRules', 'A ManagementPolicy holds at most 100 rules.');
            const names = new Set<string>();
            for (const r of rules as { name?: unknown; type?: unknown; definition?: { actions?: unknown } }[]) {
              if (typeof r.name !== 'string' || !/^[A-Za-z0-9]{1,256}$/.test(r.name)) throw new ArmError(400, 'InvalidManagementPolicyRuleName', `Rule name ${String(r.name)} must be 1–256 letters and digits.`);
              if (names.has(r.name)) throw new ArmError(400, 'InvalidManagementPolicyRules', `Rule name ${r.name} appears twice.`);
              names.add(r.name);
              if (r.type !== 'Lifecycle' || typeof r.definition?.actions !== 'object') throw new ArmError(400, 'InvalidManagementPolicyRules', `Rule ${r.name} needs type Lifecycle and definition.actions.`);
            }
            a.policy = { rules: structuredClone(rules), lastModifiedTime: ctx.now };
            return { status: 200, body: policyBody(a) };
          }
          case 'ManagementPolicies_Delete': {
            const a = need(mine, name);
            const had = a.policy !== undefined;
            delete a.policy;
            return { status: had ? 200 : 204 };
          }
        }
      },
    };
  }
  const known = ROUTES.some(([re]) => re.test(path));
  throw new ArmError(known ? 405 : 404, known ? 'MethodNotAllowed' : 'InvalidResourceType', `The sandbox cloud does not serve ${ctx.method} ${ctx.url.pathname}`);
}

function need(a: StorageAccountState | undefined, name: string | undefined): StorageAccountState {
  if (!a) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Storage/storageAccounts/${name ?? ''}' was not found.`);
  return a;
}

function accountId(a: StorageAccountState): string {
  return `/subscriptions/${a.subscription}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${a.name}`;
}

function accountBody(a: StorageAccountState, blobEndpoint: (account: string) => string): unknown {
  const blobService = a.kind === 'StorageV2' || a.kind === 'BlobStorage' || a.kind === 'Storage' || a.kind === 'BlockBlobStorage';
  return {
    id: accountId(a),
    name: a.name,
    type: 'Microsoft.Storage/storageAccounts',
    location: a.location,
    kind: a.kind,
    sku: { name: a.kind === 'BlockBlobStorage' ? 'Premium_LRS' : 'Standard_LRS', tier: a.kind === 'BlockBlobStorage' ? 'Premium' : 'Standard' },
    tags: a.tags,
    properties: {
      provisioningState: 'Succeeded',
      creationTime: new Date(a.createdAt).toISOString(),
      ...(a.kind === 'StorageV2' || a.kind === 'BlobStorage' ? { accessTier: a.accessTier } : {}),
      primaryLocation: a.location,
      statusOfPrimary: 'available',
      ...(blobService ? { primaryEndpoints: { blob: blobEndpoint(a.name) } } : { primaryEndpoints: {} }),
    },
  };
}

function policyBody(a: StorageAccountState): unknown {
  return {
    id: `${accountId(a)}/managementPolicies/default`,
    name: 'DefaultManagementPolicy',
    type: 'Microsoft.Storage/storageAccounts/managementPolicies',
    properties: { lastModifiedTime: new Date(a.policy?.lastModifiedTime ?? 0).toISOString(), policy: { rules: a.policy?.rules ?? [] } },
  };
}

function page(ctx: ArmContext, items: unknown[]): ArmResponse {
  const skip = Number(ctx.url.searchParams.get('$skipToken') ?? '0');
  const from = Number.isInteger(skip) && skip > 0 ? skip : 0;
  const value = items.slice(from, from + ctx.pageSize);
  let nextLink: string | undefined;
  if (from + ctx.pageSize < items.length) {
    const next = new URL(ctx.url.href);
    next.protocol = 'https:';
    next.host = new URL(ctx.base).host;
    next.searchParams.set('$skipToken', String(from + ctx.pageSize));
    nextLink = next.href;
  }
  return { status: 200, body: { value, ...(nextLink ? { nextLink } : {}) } };
}

// ---- Blob service ------------------------------------------------------------------------------

/** What the Blob listener needs from the server. */
export interface BlobEnv {
  readonly storage: AzureStorageState;
  count(key: string): void;
  decide(call: CallSite): FaultDecision;
  now(): number;
  /** Items per page of a list before its `NextMarker`, unless the caller asks for fewer. */
  readonly pageSize: number;
}

const TIERS = ['Hot', 'Cool', 'Cold', 'Archive'];

class BlobError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Serves one request under {@link BLOB_PATH_PREFIX}; false when the path is not one. */
export async function handleBlobRequest(req: IncomingMessage, res: ServerResponse, env: BlobEnv): Promise<boolean> {
  if (!req.url?.startsWith(BLOB_PATH_PREFIX)) return false;
  const url = new URL(req.url, 'http://localhost');
  const parts = url.pathname.slice(BLOB_PATH_PREFIX.length).split('/');
  const accountName = decodeURIComponent(parts[0] ?? '');
  const container = parts[1] ? decodeURIComponent(parts[1]) : undefined;
  const blobName = parts.length > 2 ? decodeURIComponent(parts.slice(2).join('/')) : undefined;
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  for await (const _ of req) void _;
  try {
    const operation =
      container === undefined || container === ''
        ? q.get('comp') === 'list' && method === 'GET'
          ? 'ListContainers'
          : undefined
        : blobName === undefined
          ? q.get('restype') === 'container' && q.get('comp') === 'list' && method === 'GET'
            ? 'ListBlobs'
            : q.get('restype') === 'container' && (method === 'GET' || method === 'HEAD')
              ? 'GetContainerProperties'
              : undefined
          : q.get('comp') === 'tier' && method === 'PUT'
            ? 'SetBlobTier'
            : method === 'HEAD'
              ? 'GetBlobProperties'
              : undefined;
    if (!operation) throw new BlobError(400, 'UnsupportedHttpVerb', `The sandbox Blob service does not serve ${method} ${url.pathname}${url.search}`);
    env.count(`blob.${operation}`);
    const auth = req.headers.authorization;
    const account = env.storage.accounts.get(accountName);
    if (typeof auth !== 'string' || !auth.startsWith(`SharedKey ${accountName}:`)) {
      throw new BlobError(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.');
    }
    if (!account) throw new BlobError(404, 'ResourceNotFound', 'The specified resource does not exist.');
    const decision = env.decide({ service: 'blob', operation, accountId: account.subscription, region: account.location });
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.error) {
      const e = decision.error;
      if (e.kind === 'throttle') throw new BlobError(503, 'ServerBusy', 'The server is busy.', { 'retry-after': String(e.retryAfterSeconds ?? 1) });
      if (e.kind === 'access-denied') throw new BlobError(403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.');
      throw new BlobError(e.status === 503 ? 503 : 500, e.status === 503 ? 'ServerBusy' : 'InternalError', 'The server encountered an internal error. Please retry the request.');
    }
    switch (operation) {
      case 'ListContainers': {
        const names = [...account.containers.keys()].sort().filter((n) => n.startsWith(q.get('prefix') ?? ''));
        const { items, next } = slice(names, q, env.pageSize);
        const body = items
          .map((n) => {
            const c = account.containers.get(n)!;
            return `<Container><Name>${xml(n)}</Name><Properties><Last-Modified>${new Date(c.createdAt).toUTCString()}</Last-Modified><Etag>"0x${c.createdAt.toString(16).toUpperCase()}"</Etag><LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold></Properties></Container>`;
          })
          .join('');
        sendXml(res, 200, `<EnumerationResults ServiceEndpoint="${xml(`http://${req.headers.host ?? ''}${BLOB_PATH_PREFIX}${accountName}/`)}"><Prefix>${xml(q.get('prefix') ?? '')}</Prefix><MaxResults>${q.get('maxresults') ?? ''}</MaxResults><Containers>${body}</Containers><NextMarker>${next ?? ''}</NextMarker></EnumerationResults>`);
        return true;
      }
      case 'GetContainerProperties': {
        const c = account.containers.get(container ?? '');
        if (!c) throw new BlobError(404, 'ContainerNotFound', 'The specified container does not exist.');
        send(res, 200, { 'last-modified': new Date(c.createdAt).toUTCString(), etag: `"0x${c.createdAt.toString(16).toUpperCase()}"` }, '');
        return true;
      }
      case 'ListBlobs': {
        const c = account.containers.get(container ?? '');
        if (!c) throw new BlobError(404, 'ContainerNotFound', 'The specified container does not exist.');
        const names = [...c.blobs.keys()].sort().filter((n) => n.startsWith(q.get('prefix') ?? ''));
        const { items, next } = slice(names, q, env.pageSize);
        const body = items.map((n) => blobXml(account, c.blobs.get(n)!)).join('');
        sendXml(res, 200, `<EnumerationResults ServiceEndpoint="${xml(`http://${req.headers.host ?? ''}${BLOB_PATH_PREFIX}${accountName}/`)}" ContainerName="${xml(c.name)}"><Prefix>${xml(q.get('prefix') ?? '')}</Prefix><MaxResults>${q.get('maxresults') ?? ''}</MaxResults><Blobs>${body}</Blobs><NextMarker>${next ?? ''}</NextMarker></EnumerationResults>`);
        return true;
      }
      case 'GetBlobProperties': {
        const b = blobOf(account, container, blobName);
        send(res, 200, blobHeaders(account, b), '');
        return true;
      }
      case 'SetBlobTier': {
        const b = blobOf(account, container, blobName);
        const tier = req.headers['x-ms-access-tier'];
        if (typeof tier !== 'string' || !TIERS.includes(tier)) throw new BlobError(400, 'InvalidHeaderValue', 'The value for one of the HTTP headers is not in the correct format.');
        if (b.blobType !== 'BlockBlob') throw new BlobError(409, 'InvalidBlobType', 'The blob type is invalid for this operation.');
        // From Archive the blob rehydrates for hours (202); between online tiers the change is immediate (200).
        const fromArchive = (b.tier ?? account.accessTier) === 'Archive' && tier !== 'Archive';
        if (!fromArchive) {
          b.tier = tier;
          b.tierChangedAt = env.now();
        }
        send(res, fromArchive ? 202 : 200, {}, '');
        return true;
      }
    }
  } catch (err) {
    if (!(err instanceof BlobError)) throw err;
    if (method === 'HEAD') send(res, err.status, { ...err.headers, 'x-ms-error-code': err.code }, '');
    else sendXml(res, err.status, `<?xml version="1.0" encoding="utf-8"?><Error><Code>${err.code}</Code><Message>${xml(err.message)}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`, { ...err.headers, 'x-ms-error-code': err.code });
  }
  return true;
}

function blobOf(account: StorageAccountState, container: string | undefined, name: string | undefined): BlobState {
  const c = account.containers.get(container ?? '');
  if (!c) throw new BlobError(404, 'ContainerNotFound', 'The specified container does not exist.');
  const b = c.blobs.get(name ?? '');
  if (!b) throw new BlobError(404, 'BlobNotFound', 'The specified blob does not exist.');
  return b;
}

function slice(names: string[], q: URLSearchParams, pageSize: number): { items: string[]; next?: string } {
  const asked = Number(q.get('maxresults') ?? '');
  const size = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 5000) : pageSize;
  const marker = q.get('marker') ?? '';
  const from = marker ? names.findIndex((n) => n >= Buffer.from(marker, 'base64url').toString('utf8')) : 0;
  const start = from < 0 ? names.length : from;
  const items = names.slice(start, start + size);
  const rest = names[start + size];
  return rest === undefined ? { items } : { items, next: Buffer.from(rest, 'utf8').toString('base64url') };
}

function tierOf(a: StorageAccountState, b: BlobState): { tier: string; inferred: boolean } {
  return b.tier ? { tier: b.tier, inferred: false } : { tier: a.accessTier, inferred: true };
}

function blobXml(a: StorageAccountState, b: BlobState): string {
  const t = tierOf(a, b);
  return (
    `<Blob><Name>${xml(b.name)}</Name><Properties>` +
    `<Creation-Time>${new Date(b.createdAt).toUTCString()}</Creation-Time>` +
    `<Last-Modified>${new Date(b.lastModified).toUTCString()}</Last-Modified>` +
    `<Etag>${b.etag}</Etag><Content-Length>${b.size}</Content-Length><Content-Type>application/octet-stream</Content-Type>` +
    `<BlobType>${b.blobType}</BlobType>` +
    (b.blobType === 'BlockBlob' ? `<AccessTier>${t.tier}</AccessTier><AccessTierInferred>${t.inferred}</AccessTierInferred>` : '') +
    (b.tierChangedAt ? `<AccessTierChangeTime>${new Date(b.tierChangedAt).toUTCString()}</AccessTierChangeTime>` : '') +
    (a.lastAccessTracking ? `<LastAccessTime>${new Date(b.lastAccessed ?? b.lastModified).toUTCString()}</LastAccessTime>` : '') +
    `<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>` +
    `</Properties><OrMetadata /></Blob>`
  );
}

function blobHeaders(a: StorageAccountState, b: BlobState): Record<string, string> {
  const t = tierOf(a, b);
  return {
    'last-modified': new Date(b.lastModified).toUTCString(),
    'x-ms-creation-time': new Date(b.createdAt).toUTCString(),
    etag: b.etag,
    'content-length': String(b.size),
    'content-type': 'application/octet-stream',
    'x-ms-blob-type': b.blobType,
    ...(b.blobType === 'BlockBlob' ? { 'x-ms-access-tier': t.tier, ...(t.inferred ? { 'x-ms-access-tier-inferred': 'true' } : {}) } : {}),
    ...(b.tierChangedAt ? { 'x-ms-access-tier-change-time': new Date(b.tierChangedAt).toUTCString() } : {}),
    'x-ms-server-encrypted': 'true',
  };
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const text = body.startsWith('<?xml') ? body : `<?xml version="1.0" encoding="utf-8"?>${body}`;
  send(res, status, { 'content-type': 'application/xml', ...headers }, text);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const h: Record<string, string | number> = { ...headers, 'x-ms-request-id': randomUUID(), 'x-ms-version': '2025-01-05', date: new Date().toUTCString() };
  if (!('content-length' in headers)) h['content-length'] = Buffer.byteLength(body);
  res.writeHead(status, h);
  res.end(body);
}
