import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { BUNDLED_S3_PRICES, s3PriceTable } from '../../shared/pricing/storage-prices.js';
import { coldArtifacts, type ColdArtifactsSettings } from '../../shared/rules/cold-artifacts.js';
import { chooseTiering, lifecycleRuleFor, tieringOptions } from '../../shared/rules/storage-tiering.js';

const NOW = new Date('2025-06-18T12:00:00Z');
const GiB = 1024 ** 3;
const KiB = 1024;

function prefix(cold: { objects: number; bytes: number }, over: Record<string, number | string | null> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.s3.prefix',
    id: 'arn:aws:s3:::ml-artifacts/checkpoints/*',
    name: 'ml-artifacts/checkpoints/',
    tags: {},
    state: 'Available',
    lifecycle: 'running',
    components: [],
    attributes: {
      bucket: 'ml-artifacts',
      prefix: 'checkpoints/',
      olderThanDays: 30,
      listedObjects: cold.objects,
      coldObjects: cold.objects,
      coldBytes: cold.bytes,
      coldSmallObjects: 0,
      coldSmallBytes: 0,
      coveredObjects: 0,
      maybeCoveredObjects: 0,
      lifecycleRules: 1,
      lifecycleFingerprint: 'x',
      oldestColdModified: '2025-01-19T12:00:00.000Z',
      ...over,
    },
  };
}

const settings: ColdArtifactsSettings = { buckets: [{ bucket: 'ml-artifacts', prefixes: ['checkpoints/'] }], olderThanDays: 30, retrievalPercentPerMonth: 10 };

describe('cold-artifacts', () => {
  it('proposes Glacier Instant Retrieval for 1,000 GB of cold checkpoints, with the arithmetic', () => {
    const r = coldArtifacts.evaluate({ resource: prefix({ objects: 2000, bytes: 1000 * GiB }), usage: [], settings, now: NOW, prices: new PriceBook() });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    // (0.023 − 0.004) × 1000 − 10% × 1000 × 0.03 = 16.00 a month; transition 2,000 × 0.02 / 1,000 = 0.04 once.
    expect(r.waste?.monthly).toEqual({ amount: 16, currency: 'USD' });
    expect(r.waste?.arithmetic).toBe(
      'GLACIER_IR: storage 1000.00 GB × ($0.023 − $0.004) = $19.00/month; retrieval 10% × 1000.00 GB × $0.03 = $3.00/month; transition 2,000 × $0.02/1,000 = $0.04 once; pays back in month 1, within 90 d (its minimum storage duration); first year $191.96 → $16.00/month over the first year',
    );
    expect(r.waste?.priceSource).toBe('bundled S3 price table 2025-06 (us-east-1)');
    expect(r.evidence).toContain("proposed lifecycle rule costwatch-cold-artifacts:checkpoints/: objects over 128 KiB move to GLACIER_IR 30 d after last modification, merged with the bucket's 1 existing rule");
    expect(r.title).toBe('s3://ml-artifacts/checkpoints/: 2,000 objects (1,000 GB) in STANDARD older than 30 d with no transition rule');
  });

  it('proposes nothing when no class pays back within its minimum duration after transition fees, and says why', () => {
    // 40,000 objects of 150 KiB (5.72 GB): Glacier IR saves $0.09 a month but the requests cost $0.80.
    const r = coldArtifacts.evaluate({ resource: prefix({ objects: 40_000, bytes: 40_000 * 150 * KiB }), usage: [], settings, now: NOW, prices: new PriceBook() });

    expect(r.state).toBe('ok');
    if (r.state !== 'ok') return;
    expect(r.evidence.some((e) => e.startsWith('not proposed: no colder class pays back within its minimum storage duration'))).toBe(true);
    expect(r.evidence.filter((e) => e.includes('does not pay back'))).toHaveLength(3);
    expect(r.evidence.find((e) => e.startsWith('GLACIER_IR'))).toContain('transition 40,000 × $0.02/1,000 = $0.80 once; does not pay back within 90 d');
  });

  it('refuses a move whose retrieval fees eat the saving when most of the data is read back', () => {
    const heavyReads = { ...settings, retrievalPercentPerMonth: 100 };

    const r = coldArtifacts.evaluate({ resource: prefix({ objects: 2000, bytes: 1000 * GiB }), usage: [], settings: heavyReads, now: NOW, prices: new PriceBook() });

    // Glacier IR: 19.00 saved − 30.00 retrieval; IA: 10.50 − 10.00 = 0.50 a month still pays back its $0.02.
    expect(r.state === 'violation' && r.waste?.arithmetic.startsWith('STANDARD_IA')).toBe(true);
  });

  it('waits the 30 days S3 requires before Standard-IA, whatever olderThanDays says', () => {
    const [ia] = tieringOptions({ objects: 10, bytes: 10 * GiB, olderThanDays: 7 }, 0, BUNDLED_S3_PRICES);

    expect(ia?.storageClass).toBe('STANDARD_IA');
    expect(ia?.transitionDays).toBe(30);
    expect(lifecycleRuleFor('ckpt/', ia!)).toEqual({
      ID: 'costwatch-cold-artifacts:ckpt/',
      Status: 'Enabled',
      Filter: { And: { Prefix: 'ckpt/', ObjectSizeGreaterThan: 131072 } },
      Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
    });
    expect(lifecycleRuleFor('', ia!).Filter).toEqual({ ObjectSizeGreaterThan: 131072 });
  });

  it('counts Intelligent-Tiering monitoring and its 30-day frequent tier against the saving', () => {
    const opts = tieringOptions({ objects: 1_000_000, bytes: 1_000_000 * 200 * KiB, olderThanDays: 30 }, 0, BUNDLED_S3_PRICES);
    const it = opts.find((o) => o.storageClass === 'INTELLIGENT_TIERING')!;

    // Month 1 at the frequent price saves nothing and pays $2.50 of monitoring for a million objects.
    expect(it.monthlyNet[0]).toBeCloseTo(-2.5, 6);
    expect(it.paysBack).toBe(false);
    expect(chooseTiering(opts)).toBeUndefined();
  });

  it('uses prices.s3 overrides and says so in the price source', () => {
    const prices = new PriceBook({}, undefined, { s3: { GLACIER_IR: { storageGbMonth: 0.02 } } });

    const r = coldArtifacts.evaluate({ resource: prefix({ objects: 2000, bytes: 1000 * GiB }), usage: [], settings, now: NOW, prices });

    expect(r.state === 'violation' && r.waste?.arithmetic.startsWith('INTELLIGENT_TIERING')).toBe(true);
    expect(r.state === 'violation' && r.waste?.priceSource).toBe('bundled S3 price table 2025-06 (us-east-1); costwatch.yml prices.s3 override for GLACIER_IR');
    expect(s3PriceTable({}).classes.GLACIER_IR.storageGbMonth).toBe(0.004);
  });

  it('leaves covered, tag-filtered and small objects alone and judges nothing else', () => {
    const r = coldArtifacts.evaluate({
      resource: prefix({ objects: 0, bytes: 0 }, { coveredObjects: 12, maybeCoveredObjects: 3, coldSmallObjects: 40, coldSmallBytes: 40 * 100 * KiB }),
      usage: [],
      settings,
      now: NOW,
      prices: new PriceBook(),
    });

    expect(r).toMatchObject({ state: 'ok' });
    expect(r.state === 'ok' && r.evidence).toEqual(
      expect.arrayContaining([
        '12 of them already under a lifecycle transition rule',
        '3 under a transition rule with a tag filter (object tags are not listed): left alone',
        '40 of 128 KiB or less (0 GB): left in STANDARD — colder classes bill them as 128 KiB or never tier them',
        'nothing to move',
      ]),
    );
    expect(coldArtifacts.evaluate({ resource: prefix({ objects: 5, bytes: GiB }), usage: [], settings: { ...settings, olderThanDays: 60 }, now: NOW, prices: new PriceBook() }).state).toBe('not-applicable');
  });
});
