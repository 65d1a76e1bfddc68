import { createHash } from 'node:crypto';
import type { ManagementPolicyRule, StorageAccount } from '@azure/arm-storage';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Resource, ResourceRef, Scope } from '../../domain/resource.js';
import { ProviderError } from '../../errors.js';
import { BLOB_TIERS, BUNDLED_BLOB_PRICES, type BlobTier } from '../../pricing/blob-prices.js';
import { blobColdStatsOf, BLOB_CONTAINER_KIND } from '../../rules/cold-artifacts.js';
import { blobTieringOptions, chooseBlobTier, managementPolicyRuleFor, managementPolicyRuleName } from '../../rules/blob-tiering.js';
import type { ActOutcome, CollectionFailure } from '../port.js';
import type { AzureClients } from './clients.js';
import { isNotFound, tagsOf } from './kinds/context.js';

/*
 * The Azure side of cold-artifacts: the blob containers of every storage account of a
 * subscription, with the counts the rule judges (block blobs in Hot older than the threshold, not
 * under a lifecycle management rule), and the two tiering actions: a rule merged into the
 * account's management policy (undo restores the policy exactly, or deletes it when there was
 * none), and Set Blob Tier on each cold blob for one-off moves (undo sets them back to Hot).
 */

/** What the collector and the actions need from the policy. */
export interface BlobArtifactsSettings {
  /** Blobs in Hot last modified longer ago than this are cold. */
  readonly olderThanDays: number;
  /** Expected share of the cold data read back per month, in percent. */
  readonly retrievalPercentPerMonth: number;
  /** Blobs listed per storage account at most (all containers together): bounded work per account. */
  readonly maxBlobsPerAccount: number;
}

/** Defaults of the Azure side when the policy does not say. */
export const DEFAULT_BLOB_SETTINGS: BlobArtifactsSettings = { olderThanDays: 30, retrievalPercentPerMonth: 10, maxBlobsPerAccount: 100_000 };

/** Blobs one Set Blob Tier action moves at most: more is the management policy's job. */
export const MAX_BLOBS_PER_TIER_ACTION = 1000;

/** Name of the management policy (Azure allows only `default`). */
const POLICY_NAME = 'default';
/** Azure keeps at most this many rules in one management policy. */
const MAX_POLICY_RULES = 100;
const DAY_MS = 86_400_000;
const PAGE = 5000;

/** A storage account as the collector needs it. */
interface AccountRef {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly blobEndpoint: string;
  /** The account's default tier, which blobs with an inferred tier are in. */
  readonly accessTier: string;
  readonly tags: Record<string, string>;
  readonly createdAt?: Date;
}

/** The rules of a management policy as read; undefined when the account has none. */
type PolicyRules = ManagementPolicyRule[] | undefined;

/** Undo data of the management-policy action: the policy before, exactly. */
interface PolicyUndo {
  readonly account: string;
  readonly resourceGroup: string;
  readonly ruleName: string;
  /** null: the account had no management policy (undo deletes it). */
  readonly previous: { readonly rules: unknown[] } | null;
}

/** Undo data of the Set Blob Tier action. */
interface TierUndo {
  readonly account: string;
  readonly blobEndpoint: string;
  readonly container: string;
  /** The blobs in Hot before the move. */
  readonly blobs: string[];
}

/** Parts of a container's ARM id. */
function parseContainerId(id: string): { subscriptionId: string; resourceGroup: string; account: string; container: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)\/blobServices\/default\/containers\/([^/]+)$/i.exec(id);
  if (!m) throw new ProviderError(`not an Azure Blob container id: ${id}`, { cloud: 'azure', resourceId: id });
  return { subscriptionId: m[1] ?? '', resourceGroup: m[2] ?? '', account: m[3] ?? '', container: m[4] ?? '' };
}

function accountRef(a: StorageAccount): AccountRef | undefined {
  if (!a.id || !a.name || !a.location) return undefined;
  const blob = a.primaryEndpoints?.blob;
  if (!blob) return undefined;
  const rg = /\/resourceGroups\/([^/]+)\//i.exec(a.id)?.[1];
  if (!rg) return undefined;
  return {
    id: a.id,
    name: a.name,
    resourceGroup: rg,
    location: a.location.toLowerCase().replace(/\s+/g, ''),
    blobEndpoint: blob,
    accessTier: a.accessTier ?? 'Hot',
    tags: tagsOf(a.tags),
    ...(a.creationTime ? { createdAt: a.creationTime } : {}),
  };
}

/** The storage accounts of a subscription (or of its listed resource groups). */
async function listAccounts(clients: AzureClients, groups: readonly string[] | undefined): Promise<AccountRef[]> {
  const out: AccountRef[] = [];
  const push = (a: StorageAccount) => {
    // Only accounts with a Blob service that has access tiers: general-purpose v2 and Blob storage.
    if (a.kind !== 'StorageV2' && a.kind !== 'BlobStorage') return;
    const ref = accountRef(a);
    if (ref) out.push(ref);
  };
  const storage = await clients.storage();
  if (groups && groups.length > 0) {
    for (const g of groups) for await (const a of storage.storageAccounts.listByResourceGroup(g)) push(a);
  } else {
    for await (const a of storage.storageAccounts.list()) push(a);
  }
  return out;
}

/** The account's management-policy rules; undefined when it has no policy. */
async function readPolicy(clients: AzureClients, rg: string, account: string): Promise<PolicyRules> {
  try {
    const p = await (await clients.storage()).managementPolicies.get(rg, account, POLICY_NAME);
    return p.policy?.rules ?? [];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** JSON form of SDK values: undefined fields dropped. */
function plain(value: unknown): unknown[] {
  return JSON.parse(JSON.stringify(value ?? [])) as unknown[];
}

/** JSON with sorted keys, so policies compare whatever order their fields came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Identity of a management policy, recorded when read and checked before writing. */
function fingerprint(rules: PolicyRules): string {
  return createHash('sha256').update(canonical(rules ? plain(rules) : null)).digest('hex').slice(0, 16);
}

/**
 * Whether an enabled lifecycle rule tiers or deletes a block blob: `covered` when its prefixes
 * match, `maybe` when it also filters on blob index tags (the listing does not return them).
 */
function coverage(rules: readonly ManagementPolicyRule[], path: string): 'covered' | 'maybe' | 'none' {
  let maybe = false;
  for (const r of rules) {
    if (r.enabled === false || r.type !== 'Lifecycle') continue;
    const f = r.definition.filters;
    if (f?.blobTypes && !f.blobTypes.includes('blockBlob')) continue;
    const b = r.definition.actions.baseBlob;
    if (!b || !(b.tierToCool || b.tierToCold || b.tierToArchive || b.delete)) continue;
    const prefixes = f?.prefixMatch ?? [];
    if (prefixes.length > 0 && !prefixes.some((p) => path.startsWith(p))) continue;
    if ((f?.blobIndexMatch?.length ?? 0) > 0) maybe = true;
    else return 'covered';
  }
  return maybe ? 'maybe' : 'none';
}

/** One cold blob. */
interface ColdBlob {
  readonly name: string;
  readonly size: number;
  readonly modified: number;
}

/** The counts of one container. */
interface ContainerStats {
  listed: number;
  cold: ColdBlob[];
  coldBytes: number;
  covered: number;
  maybe: number;
  recentlyRead: number;
  oldest: number;
}

/** The Azure cold-artifacts collector and actions over one subscription's clients. */
export class BlobArtifacts {
  constructor(
    private readonly clients: AzureClients,
    private readonly settings: BlobArtifactsSettings,
  ) {}

  /** Every container of every storage account of the subscription, one resource each. */
  async collect(scope: Scope, now: Date, groups?: readonly string[]): Promise<{ resources: Resource[]; failures: CollectionFailure[] }> {
    const failures: CollectionFailure[] = [];
    let accounts: AccountRef[];
    try {
      accounts = await listAccounts(this.clients, groups);
    } catch (err) {
      return { resources: [], failures: [{ scope, operation: groups?.length ? 'storage:StorageAccounts_ListByResourceGroup' : 'storage:StorageAccounts_List', message: describe(err) }] };
    }
    const resources: Resource[] = [];
    for (const a of accounts) {
      try {
        resources.push(...(await this.readAccount(scope, a, now)));
      } catch (err) {
        failures.push({ scope, region: a.location, operation: 'storage:ManagementPolicies_Get/blob:ListContainers/ListBlobs', message: `${a.name}: ${describe(err)}` });
      }
    }
    return { resources, failures };
  }

  /** Re-reads one container (before acting); undefined when its account or the container is gone. */
  async describe(ref: ResourceRef, now: Date): Promise<Resource | undefined> {
    const { resourceGroup, account, container } = parseContainerId(ref.id);
    let a: AccountRef | undefined;
    try {
      a = accountRef(await (await this.clients.storage()).storageAccounts.getProperties(resourceGroup, account));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!a) return undefined;
    const found = await this.readAccount({ cloud: 'azure', id: ref.scopeId }, a, now, container);
    return found[0];
  }

  /** Reads the containers of an account (or the one named), within the per-account bound. */
  private async readAccount(scope: Scope, a: AccountRef, now: Date, only?: string): Promise<Resource[]> {
    const rules = await readPolicy(this.clients, a.resourceGroup, a.name);
    const service = await this.clients.blob(a.name, a.blobEndpoint);
    const cutoff = now.getTime() - this.settings.olderThanDays * DAY_MS;
    let budget = this.settings.maxBlobsPerAccount;
    let truncated = false;
    const out: Resource[] = [];
    const containers: { name: string; modified?: Date }[] = [];
    if (only !== undefined) {
      const c = service.getContainerClient(only);
      if (!(await c.exists())) return [];
      containers.push({ name: only });
    } else {
      for await (const page of service.listContainers().byPage({ maxPageSize: PAGE })) {
        for (const c of page.containerItems) if (!c.deleted) containers.push({ name: c.name, modified: c.properties.lastModified });
      }
    }
    for (const c of containers) {
      const stats = truncated ? undefined : await this.readContainer(service, a, c.name, rules ?? [], cutoff, budget);
      if (stats) {
        budget -= stats.listed;
        if (stats.truncated) truncated = true;
      }
      out.push(this.resource(scope, a, c.name, rules, cutoff, stats, truncated));
    }
    return out;
  }

  private async readContainer(service: BlobServiceClient, a: AccountRef, container: string, rules: readonly ManagementPolicyRule[], cutoff: number, budget: number): Promise<ContainerStats & { truncated: boolean }> {
    const s: ContainerStats & { truncated: boolean } = { listed: 0, cold: [], coldBytes: 0, covered: 0, maybe: 0, recentlyRead: 0, oldest: Infinity, truncated: false };
    const client = service.getContainerClient(container);
    outer: for await (const page of client.listBlobsFlat().byPage({ maxPageSize: Math.min(PAGE, Math.max(1, budget)) })) {
      for (const b of page.segment.blobItems) {
        if (s.listed >= budget) {
          s.truncated = true;
          break outer;
        }
        s.listed++;
        const p = b.properties;
        if (b.deleted || (p.blobType && p.blobType !== 'BlockBlob')) continue;
        const tier = p.accessTier ?? (p.accessTierInferred !== false ? a.accessTier : undefined);
        if (tier !== 'Hot' || p.archiveStatus) continue;
        const modified = p.lastModified.getTime();
        if (modified >= cutoff) continue;
        if (p.lastAccessedOn && p.lastAccessedOn.getTime() >= cutoff) {
          s.recentlyRead++;
          continue;
        }
        const cover = coverage(rules, `${container}/${b.name}`);
        if (cover === 'covered') s.covered++;
        else if (cover === 'maybe') s.maybe++;
        else {
          const size = p.contentLength ?? 0;
          s.cold.push({ name: b.name, size, modified });
          s.coldBytes += size;
          s.oldest = Math.min(s.oldest, modified);
        }
      }
      if (s.listed >= budget && page.continuationToken) {
        s.truncated = true;
        break;
      }
    }
    return s;
  }

  private resource(scope: Scope, a: AccountRef, container: string, rules: PolicyRules, cutoff: number, s: ContainerStats | undefined, truncated: boolean): Resource {
    return {
      cloud: 'azure',
      scope,
      region: a.location,
      kind: BLOB_CONTAINER_KIND,
      id: `${a.id}/blobServices/default/containers/${container}`,
      name: `${a.name}/${container}`,
      // Account tags: containers carry metadata, not tags.
      tags: { ...a.tags },
      state: 'Available',
      lifecycle: 'running',
      ...(a.createdAt ? { createdAt: a.createdAt } : {}),
      components: [],
      attributes: {
        account: a.name,
        accountId: a.id,
        resourceGroup: a.resourceGroup,
        container,
        blobEndpoint: a.blobEndpoint,
        accountAccessTier: a.accessTier,
        olderThanDays: this.settings.olderThanDays,
        coldCutoff: new Date(cutoff).toISOString(),
        listedBlobs: s?.listed ?? 0,
        coldBlobs: s?.cold.length ?? 0,
        coldBytes: s?.coldBytes ?? 0,
        coveredBlobs: s?.covered ?? 0,
        maybeCoveredBlobs: s?.maybe ?? 0,
        recentlyReadBlobs: s?.recentlyRead ?? 0,
        truncated,
        policyRules: rules?.length ?? 0,
        policyFingerprint: fingerprint(rules),
        oldestColdModified: s && Number.isFinite(s.oldest) ? new Date(s.oldest).toISOString() : null,
      },
    };
  }

  /** The tier the finding proposed, recomputed from the re-read counts. */
  private chosenTier(resource: Resource, operation: string): BlobTier {
    const stats = blobColdStatsOf(resource);
    const chosen = stats ? chooseBlobTier(blobTieringOptions(stats, this.settings.retrievalPercentPerMonth / 100, BUNDLED_BLOB_PRICES)) : undefined;
    if (!stats || stats.blobs === 0 || !chosen) {
      throw new ProviderError(`no cooler tier pays back for ${resource.name}; nothing was changed`, { cloud: 'azure', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation });
    }
    return chosen.tier;
  }

  private assertUnchanged(resource: Resource, rules: PolicyRules, operation: string): void {
    if (fingerprint(rules) !== resource.attributes['policyFingerprint']) {
      throw new ProviderError(`the lifecycle management policy of ${String(resource.attributes['account'])} changed since it was read; nothing was changed`, { cloud: 'azure', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation });
    }
  }

  // ---- management-policy rule -----------------------------------------------------------------

  /** Saves the management policy as it is now, after checking it is the one the container was judged with. */
  async capturePolicy(resource: Resource): Promise<Record<string, unknown>> {
    const { resourceGroup, account, container } = parseContainerId(resource.id);
    const rules = await readPolicy(this.clients, resourceGroup, account);
    this.assertUnchanged(resource, rules, 'ManagementPolicies_Get');
    const undo: PolicyUndo = { account, resourceGroup, ruleName: managementPolicyRuleName(container), previous: rules ? { rules: plain(rules) } : null };
    return { ...undo };
  }

  /** Adds (or refreshes) costwatch's rule for the container, keeping every other rule as it is. */
  async performPolicy(resource: Resource): Promise<ActOutcome> {
    const { resourceGroup, account, container } = parseContainerId(resource.id);
    const tier = this.chosenTier(resource, 'ManagementPolicies_CreateOrUpdate');
    const rules = await readPolicy(this.clients, resourceGroup, account);
    this.assertUnchanged(resource, rules, 'ManagementPolicies_CreateOrUpdate');
    const ours = managementPolicyRuleFor(container, tier, this.settings.olderThanDays) as unknown as ManagementPolicyRule;
    const kept = (rules ?? []).filter((r) => r.name !== ours.name);
    if (kept.length >= MAX_POLICY_RULES) {
      throw new ProviderError(`the management policy of ${account} already has ${kept.length} rules, Azure's maximum; nothing was changed`, { cloud: 'azure', scopeId: resource.scope.id, region: resource.region, resourceId: resource.id, operation: 'ManagementPolicies_CreateOrUpdate' });
    }
    await (await this.clients.storage()).managementPolicies.createOrUpdate(resourceGroup, account, POLICY_NAME, { policy: { rules: [...kept, ours] } });
    return {
      summary: `added lifecycle management rule ${ours.name} to storage account ${account}: block blobs under ${container}/ move to ${tier} ${this.settings.olderThanDays} d after last modification; its ${kept.length} other rule${kept.length === 1 ? '' : 's'} kept`,
    };
  }

  /**
   * Restores the policy saved before the action exactly (deleting it when there was none),
   * provided nothing else changed since; if other rules changed meanwhile, only costwatch's rule is
   * removed so that change survives, and the summary says so.
   */
  async undoPolicy(ref: ResourceRef, data: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const u = data as unknown as PolicyUndo;
    if (typeof u.account !== 'string' || typeof u.resourceGroup !== 'string' || typeof u.ruleName !== 'string' || u.previous === undefined) {
      throw new ProviderError('the saved undo data is not a management policy', { cloud: 'azure', scopeId: ref.scopeId, resourceId: ref.id, operation: 'undo' });
    }
    const policies = (await this.clients.storage()).managementPolicies;
    const current = await readPolicy(this.clients, u.resourceGroup, u.account);
    const withoutOurs = (current ?? []).filter((r) => r.name !== u.ruleName);
    if ((current?.length ?? 0) === withoutOurs.length) return { summary: `lifecycle management rule ${u.ruleName} is no longer on storage account ${u.account}; nothing to undo` };
    const previous = u.previous?.rules ?? [];
    const untouched = canonical(plain(withoutOurs)) === canonical(previous);
    if (untouched && u.previous === null) {
      await policies.delete(u.resourceGroup, u.account, POLICY_NAME);
      return { summary: `deleted the lifecycle management policy of storage account ${u.account}: it had none before costwatch added ${u.ruleName}; blobs Azure already moved stay in their new tier` };
    }
    if (untouched) {
      await policies.createOrUpdate(u.resourceGroup, u.account, POLICY_NAME, { policy: { rules: previous as ManagementPolicyRule[] } });
      return { summary: `restored the lifecycle management policy of storage account ${u.account} as it was before (${previous.length} rule${previous.length === 1 ? '' : 's'}); blobs Azure already moved stay in their new tier` };
    }
    if (withoutOurs.length === 0) await policies.delete(u.resourceGroup, u.account, POLICY_NAME);
    else await policies.createOrUpdate(u.resourceGroup, u.account, POLICY_NAME, { policy: { rules: withoutOurs } });
    return { summary: `removed lifecycle management rule ${u.ruleName} from storage account ${u.account}; its other rules changed since costwatch acted, so they were kept as they are now rather than restored` };
  }

  // ---- Set Blob Tier --------------------------------------------------------------------------

  /** Why the per-blob move does not apply: too many blobs for one-off moves. */
  static tierPrecondition(resource: Resource): string | undefined {
    const n = blobColdStatsOf(resource)?.blobs ?? 0;
    if (n === 0) return 'no cold blobs to move';
    if (n > MAX_BLOBS_PER_TIER_ACTION) return `${n} cold blobs: one-off moves stop at ${MAX_BLOBS_PER_TIER_ACTION}; a management-policy rule (${'azure.storage.put-management-policy-rule'}) tiers that many`;
    return undefined;
  }

  /** The cold blobs of the container as of the resource's cutoff (the same list capture and perform see). */
  private async coldBlobs(resource: Resource): Promise<{ service: BlobServiceClient; container: string; blobs: ColdBlob[] }> {
    const { resourceGroup, account, container } = parseContainerId(resource.id);
    const endpoint = String(resource.attributes['blobEndpoint'] ?? '');
    const cutoff = Date.parse(String(resource.attributes['coldCutoff'] ?? ''));
    if (!endpoint || !Number.isFinite(cutoff)) throw new ProviderError(`${resource.name} was read without its blob endpoint or cutoff`, { cloud: 'azure', scopeId: resource.scope.id, resourceId: resource.id, operation: 'ListBlobs' });
    const rules = await readPolicy(this.clients, resourceGroup, account);
    const service = await this.clients.blob(account, endpoint);
    const a: AccountRef = { id: '', name: account, resourceGroup, location: resource.region, blobEndpoint: endpoint, accessTier: String(resource.attributes['accountAccessTier'] ?? 'Hot'), tags: {} };
    const s = await this.readContainer(service, a, container, rules ?? [], cutoff, this.settings.maxBlobsPerAccount);
    return { service, container, blobs: s.cold };
  }

  private tierOf(resource: Resource, parameters: Readonly<Record<string, unknown>>): BlobTier {
    const asked = parameters['tier'];
    if (asked === undefined) return this.chosenTier(resource, 'SetBlobTier');
    if (typeof asked !== 'string' || !(BLOB_TIERS as readonly string[]).includes(asked) || asked === 'Hot') {
      throw new ProviderError(`tier must be Cool, Cold or Archive, not ${String(asked)}`, { cloud: 'azure', scopeId: resource.scope.id, resourceId: resource.id, operation: 'SetBlobTier' });
    }
    return asked as BlobTier;
  }

  /** Saves the names of the blobs the move will change (all in Hot now). */
  async captureTier(resource: Resource): Promise<Record<string, unknown>> {
    const { container, blobs } = await this.coldBlobs(resource);
    if (blobs.length > MAX_BLOBS_PER_TIER_ACTION) throw new ProviderError(`${blobs.length} cold blobs in ${resource.name}: more than the ${MAX_BLOBS_PER_TIER_ACTION} one-off moves allow; nothing was changed`, { cloud: 'azure', scopeId: resource.scope.id, resourceId: resource.id, operation: 'SetBlobTier' });
    const undo: TierUndo = { account: String(resource.attributes['account']), blobEndpoint: String(resource.attributes['blobEndpoint']), container, blobs: blobs.map((b) => b.name) };
    return { ...undo };
  }

  /** Sets the tier of each cold blob (one Set Blob Tier call each). */
  async performTier(resource: Resource, parameters: Readonly<Record<string, unknown>> = {}): Promise<ActOutcome> {
    const tier = this.tierOf(resource, parameters);
    const { service, container, blobs } = await this.coldBlobs(resource);
    if (blobs.length > MAX_BLOBS_PER_TIER_ACTION) throw new ProviderError(`${blobs.length} cold blobs in ${resource.name}: more than the ${MAX_BLOBS_PER_TIER_ACTION} one-off moves allow; nothing was changed`, { cloud: 'azure', scopeId: resource.scope.id, resourceId: resource.id, operation: 'SetBlobTier' });
    const client = service.getContainerClient(container);
    let moved = 0;
    for (const b of blobs) {
      await client.getBlobClient(b.name).setAccessTier(tier);
      moved++;
    }
    const bytes = blobs.reduce((n, b) => n + b.size, 0);
    const note = tier === 'Archive' ? '; Archive blobs are offline until rehydrated, and costwatch offers no undo for them' : `; undo sets them back to Hot (within ${BUNDLED_BLOB_PRICES.tiers[tier].earlyDeletionDays} d Azure bills early deletion for the rest of the period)`;
    return { summary: `moved ${moved} blob${moved === 1 ? '' : 's'} (${(bytes / 1024 ** 3).toFixed(2)} GB) of ${resource.name} from Hot to ${tier}${note}` };
  }

  /**
   * Sets the moved blobs that are still in a cooler online tier back to Hot; refused when any is in
   * Archive, which needs rehydration first.
   */
  async undoTier(ref: ResourceRef, data: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    const u = data as unknown as TierUndo;
    if (typeof u.account !== 'string' || typeof u.blobEndpoint !== 'string' || typeof u.container !== 'string' || !Array.isArray(u.blobs) || !u.blobs.every((b) => typeof b === 'string')) {
      throw new ProviderError('the saved undo data is not a blob tier change', { cloud: 'azure', scopeId: ref.scopeId, resourceId: ref.id, operation: 'undo' });
    }
    const client = (await this.clients.blob(u.account, u.blobEndpoint)).getContainerClient(u.container);
    const back: { name: string; tier: string }[] = [];
    let archived = 0;
    let skipped = 0;
    for (const name of u.blobs) {
      try {
        const tier = (await client.getBlobClient(name).getProperties()).accessTier;
        if (tier === 'Archive') archived++;
        else if (tier === 'Cool' || tier === 'Cold') back.push({ name, tier });
        else skipped++;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        skipped++;
      }
    }
    if (archived > 0) {
      throw new ProviderError(
        `${archived} blob${archived === 1 ? '' : 's'} of ${ref.name} ${archived === 1 ? 'is' : 'are'} in Archive: moving ${archived === 1 ? 'it' : 'them'} back needs rehydration (up to 15 hours at standard priority, billed per GB and per read), so costwatch does not offer undo for Archive; nothing was changed — rehydrate them in the portal or with Set Blob Tier if they are needed`,
        { cloud: 'azure', scopeId: ref.scopeId, resourceId: ref.id, operation: 'undo' },
      );
    }
    for (const b of back) await client.getBlobClient(b.name).setAccessTier('Hot');
    const from = [...new Set(back.map((b) => b.tier))].join(' and ') || 'a cooler tier';
    return {
      summary: `set ${back.length} blob${back.length === 1 ? '' : 's'} of ${ref.name} back from ${from} to Hot${skipped > 0 ? `; ${skipped} left as they are (deleted or already Hot)` : ''}`,
    };
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
  const head = [e?.statusCode, e?.code ?? e?.name].filter((x) => x !== undefined && x !== '').join(' ');
  return `${head || 'Error'}: ${e?.message ?? String(err)}`;
}
