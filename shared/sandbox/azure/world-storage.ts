import { z } from 'zod';
import { worldTags, worldTime } from '../aws/world-common.js';

/*
 * `storageAccounts` of an Azure subscription in the world file (docs/world-file.md "Azure storage
 * accounts"): accounts with their resource group, default access tier and lifecycle management
 * policy, their containers and the blobs in them (one by one, or many at once with `count`).
 */

const UNITS: Record<string, number> = { B: 1, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3, TB: 1000 ** 4, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/** A size in bytes: a number, or text like `512 MiB`, `2 GiB`, `1.5 TB`. */
export const worldSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(v);
    if (m) return Math.round(Number(m[1]) * (UNITS[(m[2] ?? 'B').toUpperCase()] ?? 1));
  }
  ctx.addIssue({ code: 'custom', message: `a size is a number of bytes or text like "512 MiB" or "2 GiB", not ${JSON.stringify(v)}` });
  return z.NEVER;
});

const BLOB_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;

/** Storage account names: 3–24 lower-case letters and digits. */
const accountName = z.string().regex(/^[a-z0-9]{3,24}$/, 'a storage account name is 3–24 lower-case letters and digits');
/** Container names: 3–63 lower-case letters, digits and single hyphens, starting with a letter or digit. */
const containerName = z.string().regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'a container name is 3–63 lower-case letters, digits and single hyphens');
const resourceGroupName = z.string().regex(/^[-\w._()]{1,90}$/, 'a resource group name is 1–90 letters, digits, underscores, hyphens, periods and parentheses');

const blobFields = {
  size: worldSize,
  lastModified: worldTime.default('-1d'),
  /** Explicit tier; absent: inferred from the account's default tier. */
  tier: z.enum(BLOB_TIERS).optional(),
  /** Last read (only reported when the account tracks last access time). */
  lastAccessed: worldTime.optional(),
  blobType: z.enum(['BlockBlob', 'AppendBlob', 'PageBlob']).default('BlockBlob'),
};

/** One blob (`name`), or `count` blobs named `<prefix>00000`, `<prefix>00001`, … alike. */
const blob = z
  .strictObject({
    name: z.string().min(1).max(1024).optional(),
    prefix: z.string().max(1000).optional(),
    count: z.number().int().min(1).max(1_000_000).optional(),
    ...blobFields,
  })
  .superRefine((b, ctx) => {
    if ((b.name === undefined) === (b.count === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'give a blob either a name, or a count (with an optional prefix) for many alike' });
    if (b.name !== undefined && b.prefix !== undefined) ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'prefix goes with count, not with name' });
  });

const container = z.strictObject({
  name: containerName,
  createdAt: worldTime.default('-180d'),
  blobs: z.array(blob).default([]),
});

/** One storage account. */
export const worldStorageAccount = z
  .strictObject({
    name: accountName,
    resourceGroup: resourceGroupName,
    location: z.string().regex(/^[a-z][a-z0-9]*$/, 'an Azure location is lower case without spaces, like eastus or westeurope'),
    kind: z.enum(['StorageV2', 'BlobStorage', 'Storage', 'BlockBlobStorage', 'FileStorage']).default('StorageV2'),
    /** Default tier of blobs without an explicit tier. */
    accessTier: z.enum(['Hot', 'Cool', 'Cold']).default('Hot'),
    createdAt: worldTime.default('-365d'),
    tags: worldTags,
    /** Whether last access time tracking is on (blobs then report `lastAccessed`). */
    lastAccessTracking: z.boolean().default(false),
    /** The lifecycle management policy's rules, in Azure's JSON (`ManagementPolicyRule`); absent: no policy. */
    managementPolicy: z.strictObject({ rules: z.array(z.record(z.string(), z.unknown())).max(100) }).optional(),
    containers: z.array(container).default([]),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.containers.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['containers', i, 'name'], message: `container "${c.name}" is declared twice` });
      seen.add(c.name);
    });
  });

export type WorldStorageAccount = z.output<typeof worldStorageAccount>;
