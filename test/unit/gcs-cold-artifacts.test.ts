import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { GcsPriceBook, gcsPriceKey } from '../../shared/pricing/gcs-prices.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { coldArtifacts, type ColdArtifactsSettings } from '../../shared/rules/cold-artifacts.js';
import { chooseGcsTiering, gcsCoverage, gcsLifecycleRuleFor, gcsTieringOptions } from '../../shared/rules/gcs-tiering.js';

const NOW = new Date('2025-06-18T12:00:00Z');
const GiB = 1024 ** 3;
const settings: ColdArtifactsSettings = { buckets: [], olderThanDays: 30, retrievalPercentPerMonth: 10 };

function bucket(cold: { objects: number; bytes: number }, over: Record<string, unknown> = {}): Resource {
  return {
    cloud: 'gcp',
    scope: { cloud: 'gcp', id: 'ml-storage-01' },
    region: 'us-central1',
    kind: 'gcp.storage.bucket',
    id: 'gs://ckpt/',
    name: 'ckpt',
    tags: {},
    state: 'Available',
    lifecycle: 'running',
    components: [],
    attributes: {
      bucket: 'ckpt',
      prefix: '',
      location: 'us-central1',
      autoclass: false,
      olderThanDays: 30,
      listedObjects: cold.objects,
      truncated: false,
      coldObjects: cold.objects,
      coldBytes: cold.bytes,
      coveredObjects: 0,
      maybeCoveredObjects: 0,
      lifecycleRules: 0,
      lifecycleFingerprint: 'x',
      oldestColdCreated: '2025-02-18T12:00:00.000Z',
      ...over,
    },
  };
}

const judge = (r: Resource, prices = new PriceBook(), s: ColdArtifactsSettings = settings) => coldArtifacts.evaluate({ resource: r, usage: [], settings: s, now: NOW, prices });

describe('cold-artifacts on a Cloud Storage bucket', () => {
  it('proposes the class with the best first year that pays back within its minimum duration, showing every fee', () => {
    const res = judge(bucket({ objects: 40, bytes: 80 * GiB }));
    expect(res.state).toBe('violation');
    if (res.state !== 'violation') return;
    // Coldline: 80 GB × ($0.02 − $0.004) = $1.28; retrieval 10% × 80 × $0.02 = $0.16; SetStorageClass 40 × $0.02/1,000.
    expect(res.waste?.arithmetic).toContain('COLDLINE: storage 80.00 GB × ($0.02 − $0.004) = $1.28/month');
    expect(res.waste?.arithmetic).toContain('retrieval 10% × 80.00 GB × $0.02 = $0.16/month');
    expect(res.waste?.arithmetic).toContain('SetStorageClass 40 × $0.02/1,000 Class A = $0.0008 once');
    expect(res.waste?.arithmetic).toMatch(/within 90 d \(its minimum storage duration/);
    expect(res.waste?.monthly.amount).toBeCloseTo(1.12, 2);
    expect(res.waste?.priceSource).toBe('bundled Cloud Storage price table 2026-12 (us-central1)');
    expect(res.evidence.join('\n')).toMatch(/also priced — NEARLINE/);
    expect(res.evidence.join('\n')).toMatch(/also priced — ARCHIVE: .*within 365 d/);
    expect(res.confidence).toBe('high');
  });

  it('proposes nothing when the SetStorageClass operations eat the saving (many small objects), and shows why', () => {
    const res = judge(bucket({ objects: 3000, bytes: 3000 * 2048 }));
    expect(res.state).toBe('ok');
    if (res.state !== 'ok') return;
    const text = res.evidence.join('\n');
    expect(text).toMatch(/not proposed: no colder class pays back within its minimum storage duration — the fees eat the saving/);
    expect(text).toMatch(/NEARLINE: .*does not pay back within 30 d/);
    expect(text).toMatch(/ARCHIVE: .*does not pay back within 365 d/);
    expect(text).toMatch(/prices: bundled Cloud Storage price table/);
  });

  it('proposes nothing when reading the data back costs more than the storage saved', () => {
    const res = judge(bucket({ objects: 10, bytes: 100 * GiB }), new PriceBook(), { ...settings, retrievalPercentPerMonth: 300 });
    expect(res.state).toBe('ok');
  });

  it('leaves a bucket under Autoclass alone, and one with no cold objects', () => {
    expect(judge(bucket({ objects: 40, bytes: 80 * GiB }, { autoclass: true })).state).toBe('ok');
    expect(judge(bucket({ objects: 0, bytes: 0 })).state).toBe('ok');
  });

  it('does not propose a 101st lifecycle rule', () => {
    const res = judge(bucket({ objects: 40, bytes: 80 * GiB }, { lifecycleRules: 100 }));
    expect(res.state).toBe('ok');
    if (res.state === 'ok') expect(res.evidence.join('\n')).toMatch(/the most Cloud Storage allows/);
  });

  it('asks for approval (medium confidence) when the listing stopped at maxObjectsPerBucket', () => {
    const res = judge(bucket({ objects: 40, bytes: 80 * GiB }, { truncated: true }));
    expect(res.state === 'violation' && res.confidence).toBe('medium');
    if (res.state === 'violation') expect(res.evidence[0]).toMatch(/listing stopped at rules\.cold-artifacts\.maxObjectsPerBucket/);
  });

  it('is not applicable when the bucket was collected with another olderThanDays', () => {
    expect(judge(bucket({ objects: 40, bytes: 80 * GiB }, { olderThanDays: 90 })).state).toBe('not-applicable');
  });

  it('names a stand-in location, a config override and a fetched price in the price source', () => {
    const far = judge(bucket({ objects: 40, bytes: 80 * GiB }, { location: 'asia-south1' }));
    expect(far.state === 'violation' && far.waste?.priceSource).toBe('bundled Cloud Storage price table 2026-12 (us-central1 prices used for asia-south1)');
    const over = judge(bucket({ objects: 40, bytes: 80 * GiB }), new PriceBook({}, undefined, { gcs: { COLDLINE: { retrievalPerGb: 0.5 } } }));
    expect(over.state === 'violation' && over.waste?.priceSource).toMatch(/costwatch\.yml prices\.gcs override for COLDLINE/);
    const fetched = new GcsPriceBook().withFetched([{ key: gcsPriceKey('us-central1', 'NEARLINE', 'storageGbMonth'), value: 0.009, source: 'Cloud Billing Catalog SKU ABCD (2026-12-01)' }]).forLocation('US-CENTRAL1');
    expect(fetched.classes.NEARLINE.storageGbMonth).toBe(0.009);
    expect(fetched.source).toBe('Cloud Billing Catalog SKU ABCD (2026-12-01); the rest from the bundled Cloud Storage price table 2026-12 (us-central1)');
  });
});

describe('gcs tiering', () => {
  it('builds the lifecycle rule the finding proposes: SetStorageClass of STANDARD objects at the age, for the prefix', () => {
    const prices = new GcsPriceBook().forLocation('us-central1');
    const chosen = chooseGcsTiering(gcsTieringOptions({ objects: 40, bytes: 80 * GiB, olderThanDays: 45 }, 0.1, prices));
    expect(chosen && gcsLifecycleRuleFor('ckpt/', chosen)).toEqual({ action: { type: 'SetStorageClass', storageClass: 'COLDLINE' }, condition: { age: 45, matchesStorageClass: ['STANDARD'], matchesPrefix: ['ckpt/'] } });
  });

  it('counts an object as covered by a matching Delete or SetStorageClass rule, and not by rules for other objects', () => {
    const o = { name: 'runs/a/x.pt', timeCreated: Date.parse('2025-01-01T00:00:00Z') };
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { age: 400 } }], o)).toBe('covered');
    expect(gcsCoverage([{ action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 30, matchesPrefix: ['runs/'] } }], o)).toBe('covered');
    expect(gcsCoverage([{ action: { type: 'SetStorageClass', storageClass: 'NEARLINE' }, condition: { age: 30, matchesPrefix: ['logs/'] } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' }, condition: { matchesStorageClass: ['NEARLINE'] } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { numNewerVersions: 3 } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { isLive: false, age: 1 } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { createdBefore: '2024-06-01' } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { createdBefore: '2025-06-01' } }], o)).toBe('covered');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { matchesSuffix: ['.pt'] } }], o)).toBe('covered');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { daysSinceCustomTime: 10 } }], o)).toBe('none');
    expect(gcsCoverage([{ action: { type: 'Delete' }, condition: { daysSinceCustomTime: 10 } }], { ...o, customTime: o.timeCreated })).toBe('maybe');
    expect(gcsCoverage([{ action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 1 } }], o)).toBe('none');
  });
});
