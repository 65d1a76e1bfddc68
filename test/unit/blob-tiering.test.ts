import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { BUNDLED_BLOB_PRICES } from '../../shared/pricing/blob-prices.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { blobTieringOptions, chooseBlobTier, managementPolicyRuleFor, managementPolicyRuleName } from '../../shared/rules/blob-tiering.js';
import { coldArtifacts, type ColdArtifactsSettings } from '../../shared/rules/cold-artifacts.js';
import { defineWorld } from '../../shared/sandbox/index.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const GiB = 1024 ** 3;
const KiB = 1024;
const settings: ColdArtifactsSettings = { buckets: [], olderThanDays: 30, retrievalPercentPerMonth: 10 };

function container(cold: { blobs: number; bytes: number }, over: Record<string, unknown> = {}): Resource {
  return {
    cloud: 'azure',
    scope: { cloud: 'azure', id: '0a1b2c3d-0000-4000-8000-00000000000a' },
    region: 'eastus',
    kind: 'azure.storage.blob-container',
    id: '/subscriptions/0a1b2c3d-0000-4000-8000-00000000000a/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/ckpt',
    name: 'acct/ckpt',
    tags: {},
    state: 'Available',
    lifecycle: 'running',
    components: [],
    attributes: { account: 'acct', container: 'ckpt', olderThanDays: 30, listedBlobs: cold.blobs, coldBlobs: cold.blobs, coldBytes: cold.bytes, coveredBlobs: 0, maybeCoveredBlobs: 0, recentlyReadBlobs: 0, truncated: false, policyRules: 0, oldestColdModified: '2026-06-01T00:00:00.000Z', ...over },
  };
}

const evaluate = (r: Resource, s: ColdArtifactsSettings = settings) => coldArtifacts.evaluate({ resource: r, usage: [], settings: s, now: NOW, prices: new PriceBook() });

describe('Azure blob tiering arithmetic', () => {
  it('prices each tier with capacity, retrieval, read operations and one write per blob, and says where it was priced', () => {
    const [cool, cold, archive] = blobTieringOptions({ blobs: 10_000, bytes: 1000 * GiB, olderThanDays: 30 }, 0.1, BUNDLED_BLOB_PRICES);
    // Cool: (0.018 − 0.01) × 1000 = 8.00; retrieval 0.1 × 1000 × 0.01 = 1.00; reads 0.1 × 10,000 × (0.01 − 0.004)/10,000 = 0.0006; writes 10,000 × 0.10/10,000 = 0.10 once.
    expect(cool?.monthlyNet).toBeCloseTo(8 - 1 - 0.0006, 6);
    expect(cool?.oneTime).toBeCloseTo(0.1, 6);
    expect(cool?.horizonMonths).toBe(1);
    expect(cold?.horizonMonths).toBe(3);
    expect(archive?.horizonMonths).toBe(6);
    expect(archive?.proposable).toBe(false);
    expect(archive?.arithmetic).toMatch(/rehydration \(standard priority, up to 15 h offline\)/);
    expect(archive?.arithmetic).toMatch(/not proposed: Archive is offline until rehydrated$/);
  });

  it('never proposes Archive, even when it saves the most', () => {
    const options = blobTieringOptions({ blobs: 10, bytes: 5000 * GiB, olderThanDays: 30 }, 0, BUNDLED_BLOB_PRICES);
    const archive = options.find((o) => o.tier === 'Archive')!;
    expect(archive.yearNet).toBeGreaterThan(Math.max(...options.filter((o) => o.tier !== 'Archive').map((o) => o.yearNet)));
    expect(chooseBlobTier(options)?.tier).toBe('Cold');
  });

  it('proposes nothing when one write per blob costs more than the tier saves within its early-deletion period', () => {
    // 100,000 blobs of 8 KiB: 0.76 GB saves at most $0.01 a month; the writes cost $1.00 (Cool) or $1.80 (Cold).
    const options = blobTieringOptions({ blobs: 100_000, bytes: 100_000 * 8 * KiB, olderThanDays: 30 }, 0.1, BUNDLED_BLOB_PRICES);
    expect(options.every((o) => !o.paysBack)).toBe(true);
    expect(chooseBlobTier(options)).toBeUndefined();
    const r = evaluate(container({ blobs: 100_000, bytes: 100_000 * 8 * KiB }));
    expect(r.state).toBe('ok');
    if (r.state !== 'ok') return;
    expect(r.evidence).toContain('not proposed: no cooler tier pays back its fees within its early-deletion period; assumes 10% of the data is read back each month (rules.cold-artifacts.retrievalPercentPerMonth)');
    expect(r.evidence.some((e) => e.startsWith('Cool: ') && e.includes('does not pay back within 30 d (its early-deletion period)'))).toBe(true);
  });

  it('weighs reads back: a share read every month that eats the saving is not proposed', () => {
    // Cold at 100% read: (0.018 − 0.0036) − 1 × 0.03 < 0; Cool: 0.008 − 0.01 < 0.
    expect(chooseBlobTier(blobTieringOptions({ blobs: 10, bytes: 1000 * GiB, olderThanDays: 30 }, 1, BUNDLED_BLOB_PRICES))).toBeUndefined();
  });

  it('finds a container of cold checkpoints and proposes a tierToCold rule, with the arithmetic and the dated price source', () => {
    const r = evaluate(container({ blobs: 40, bytes: 1000 * GiB }, { policyRules: 2 }));
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('acct/ckpt: 40 blobs (1,000 GB) in Hot older than 30 d with no lifecycle management rule');
    // Cold: 14.40 − 3.00 − 0.0000384 a month, once 0.00072: 12 × 11.40 − 0.0007 = 136.80 → 11.40 a month.
    expect(r.waste?.monthly).toEqual({ amount: 11.4, currency: 'USD' });
    expect(r.waste?.arithmetic).toMatch(/^Cold: storage 1000\.00 GB × \(\$0\.018 − \$0\.0036\) = \$14\.40\/month; retrieval 10% × 1000\.00 GB × \$0\.03 = \$3\.00\/month; /);
    expect(r.waste?.priceSource).toBe('bundled Azure Blob price table 2025-01 (eastus, LRS, pay-as-you-go; Azure Blob Storage pricing page)');
    expect(r.evidence).toContain("proposed management-policy rule costwatchcoldckpt: block blobs under ckpt/ move to Cold 30 d after last modification, merged with the account's 2 existing rules");
  });

  it('says when the listing stopped at the per-account bound, and leaves tag-filtered and recently read blobs alone', () => {
    const r = evaluate(container({ blobs: 40, bytes: 1000 * GiB }, { truncated: true, maybeCoveredBlobs: 3, recentlyReadBlobs: 2, coveredBlobs: 5 }));
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.evidence[0]).toMatch(/listing stopped at the per-account bound: counts are lower bounds/);
    expect(r.evidence).toContain('5 of them already under a lifecycle management rule');
    expect(r.evidence).toContain('3 under a management rule with a blob index tag filter (tags are not listed): left alone');
    expect(r.evidence).toContain('2 more read within 30 d (last access time): not counted as cold');
  });

  it('is not applicable when the container was read with another threshold', () => {
    expect(evaluate(container({ blobs: 40, bytes: 1000 * GiB }), { ...settings, olderThanDays: 60 }).state).toBe('not-applicable');
  });

  it('names rules with letters and digits only, telling containers apart that differ only by hyphens', () => {
    expect(managementPolicyRuleName('checkpoints')).toBe('costwatchcoldcheckpoints');
    const a = managementPolicyRuleName('my-data');
    const b = managementPolicyRuleName('mydata');
    expect(a).toMatch(/^[A-Za-z0-9]+$/);
    expect(a).not.toBe(b);
    expect(managementPolicyRuleFor('my-data', 'Cool', 45)).toEqual({
      enabled: true,
      name: a,
      type: 'Lifecycle',
      definition: { filters: { blobTypes: ['blockBlob'], prefixMatch: ['my-data/'] }, actions: { baseBlob: { tierToCool: { daysAfterModificationGreaterThan: 45 } } } },
    });
    expect(() => managementPolicyRuleFor('x', 'Archive', 30)).toThrow(/only Cool or Cold/);
  });
});

describe('world file: Azure storage accounts', () => {
  const base = (accounts: unknown[]) => ({ version: 1 as const, now: NOW.toISOString(), azure: { subscriptions: [{ id: '0a1b2c3d-0000-4000-8000-00000000000a', name: 's', storageAccounts: accounts }] } });

  it('reads sizes as bytes or with units, and blob batches', () => {
    const w = defineWorld(base([{ name: 'acct', resourceGroup: 'rg', location: 'eastus', containers: [{ name: 'c01', blobs: [{ name: 'a', size: '1.5 KiB' }, { prefix: 'p-', count: 3, size: 10 }] }] }]) as never);
    const blobs = w.azure.subscriptions[0]!.storageAccounts[0]!.containers[0]!.blobs;
    expect(blobs[0]).toMatchObject({ name: 'a', size: 1536, blobType: 'BlockBlob' });
    expect(blobs[1]).toMatchObject({ prefix: 'p-', count: 3, size: 10 });
  });

  it('refuses bad names, sizes and duplicates with the reason', () => {
    expect(() => defineWorld(base([{ name: 'Bad_Name', resourceGroup: 'rg', location: 'eastus' }]) as never)).toThrow(/3–24 lower-case letters and digits/);
    expect(() => defineWorld(base([{ name: 'acct', resourceGroup: 'rg', location: 'eastus', containers: [{ name: 'c01', blobs: [{ name: 'a', size: 'lots' }] }] }]) as never)).toThrow(/a size is a number of bytes/);
    expect(() => defineWorld(base([{ name: 'acct', resourceGroup: 'rg', location: 'eastus', containers: [{ name: 'c01' }, { name: 'c01' }] }]) as never)).toThrow(/container "c01" is declared twice/);
    expect(() => defineWorld(base([{ name: 'acct', resourceGroup: 'rg', location: 'eastus' }, { name: 'acct', resourceGroup: 'rg2', location: 'eastus' }]) as never)).toThrow(/storage account "acct" is declared twice/);
  });
});
