import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type GetBucketLifecycleConfigurationCommandOutput,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { coldArtifacts } from '../../shared/rules/cold-artifacts.js';
import { executeProposal, undoProposal } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const PROD = '111111111111';
const DEV = '222222222222';

/** The lifecycle configuration ml-artifacts starts with: every kind of rule S3 has, so a restore has much to get wrong. */
const EXISTING = {
  transitionDefaultMinimumObjectSize: 'varies_by_storage_class' as const,
  rules: [
    { ID: 'expire-tmp', Status: 'Enabled' as const, Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } },
    {
      ID: 'archive-logs',
      Status: 'Enabled' as const,
      Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'keep', Value: 'false' }], ObjectSizeGreaterThan: 1024 } },
      Transitions: [{ Date: '2026-01-01', StorageClass: 'GLACIER' as const }],
      NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: 'STANDARD_IA' as const, NewerNoncurrentVersions: 2 }],
      NoncurrentVersionExpiration: { NoncurrentDays: 365 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 },
    },
    { ID: 'reports-by-tag', Status: 'Enabled' as const, Filter: { And: { Prefix: 'reports/', Tags: [{ Key: 'class', Value: 'cold' }] } }, Transitions: [{ Days: 60, StorageClass: 'GLACIER_IR' as const }] },
    { ID: 'single-tag', Status: 'Enabled' as const, Filter: { Tag: { Key: 'class', Value: 'hot' } }, Expiration: { Days: 400 } },
    { ID: 'old-ckpt-off', Status: 'Disabled' as const, Filter: { Prefix: 'checkpoints/' }, Expiration: { Date: '2030-12-31' } },
  ],
};

function world(lifecycle: typeof EXISTING | null = EXISTING): WorldInput {
  return {
    version: 1,
    now: '2025-06-18T12:00:00Z',
    aws: {
      accounts: [
        {
          id: PROD,
          name: 'prod',
          s3: {
            buckets: [
              {
                name: 'ml-artifacts',
                region: 'eu-west-1',
                objects: [
                  // 300 cold checkpoints of 1 GiB; 20 fresh ones.
                  { prefix: 'checkpoints/', name: 'old', count: 300, size: '1GiB', lastModified: '-120d', newest: '-40d' },
                  { prefix: 'checkpoints/', name: 'new', count: 20, size: '1GiB', lastModified: '-5d' },
                  // Cold but tiny: left in STANDARD.
                  { prefix: 'checkpoints/', name: 'meta', count: 50, size: '4KiB', lastModified: '-90d' },
                  // Cold, but many small files: moving them does not pay back.
                  { prefix: 'datasets/', name: 'shard', count: 3000, size: '150KiB', lastModified: '-200d', newest: '-60d' },
                  // Under an existing transition rule with a tag filter: perhaps covered.
                  { prefix: 'reports/', name: 'r', count: 10, size: '10MiB', lastModified: '-100d' },
                ],
                ...(lifecycle ? { lifecycle } : {}),
              },
            ],
          },
        },
        { id: DEV, name: 'dev', s3: { buckets: [{ name: 'dev-scratch', objects: [{ count: 3, size: 10, lastModified: '-1d' }] }] } },
      ],
    },
  };
}

function policy(mode: 'notify' | 'approve' | 'auto', prefixes = ['checkpoints/', 'datasets/']): Policy {
  return parsePolicy(
    `version: 1
clouds:
  aws:
    accounts:
      - { id: "${PROD}", name: prod, regions: [eu-west-1] }
      - { id: "${DEV}", name: dev, regions: [us-east-1] }
rules:
  cold-artifacts:
    mode: ${mode}
    buckets: [{ bucket: ml-artifacts, prefixes: [${prefixes.join(', ')}] }, { bucket: dev-scratch }]
`,
    'test.yml',
  ).policy;
}

let sandbox: Sandbox | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
  sandbox = store = undefined;
});

async function start(w: WorldInput = world()): Promise<Sandbox> {
  sandbox = await startSandbox({ world: defineWorld(w) });
  store = await openMemoryStore();
  return sandbox;
}

function s3(sb: Sandbox, account = PROD, region = 'eu-west-1', maxAttempts = 3): S3Client {
  return new S3Client({ endpoint: sb.awsEndpoint, region, credentials: sandboxAwsCredentials(account), forcePathStyle: true, maxAttempts });
}

function deps(sb: Sandbox, p: Policy) {
  const providers = buildProviders(p, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, now: () => sb.clock.now() } });
  return { providers, store: store!, clock: sb.clock, prices: priceBook(p) };
}

const lifecycleOf = async (sb: Sandbox): Promise<Omit<GetBucketLifecycleConfigurationCommandOutput, '$metadata'>> => {
  const { $metadata: _, ...rest } = await s3(sb).send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }));
  return rest;
};

describe('S3 in the sandbox cloud (REST-XML, path-style)', () => {
  it("lists only the caller's buckets with their regions, and objects page by page with common prefixes", async () => {
    const sb = await start();

    const buckets = await s3(sb, PROD, 'us-east-1').send(new ListBucketsCommand({}));
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3(sb).send(new ListObjectsV2Command({ Bucket: 'ml-artifacts', Prefix: 'checkpoints/', ContinuationToken: token, MaxKeys: 100 }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    const top = await s3(sb).send(new ListObjectsV2Command({ Bucket: 'ml-artifacts', Delimiter: '/' }));

    expect(buckets.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual([['ml-artifacts', 'eu-west-1']]);
    expect(keys).toHaveLength(370);
    expect(pages).toBe(4);
    expect(keys.slice(0, 2)).toEqual(['checkpoints/meta-00001', 'checkpoints/meta-00002']);
    expect(new Set(keys).size).toBe(370);
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['checkpoints/', 'datasets/', 'reports/']);
    expect(top.Contents ?? []).toEqual([]);
  });

  it('keeps a lifecycle configuration exactly as put, and answers S3 errors in their own dialect', async () => {
    const sb = await start(world(null));
    const client = s3(sb, PROD, 'eu-west-1', 1);

    await expect(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration', $metadata: { httpStatusCode: 404 } });
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'ml-artifacts',
        LifecycleConfiguration: { Rules: [{ ID: 'a & <b>', Status: 'Enabled', Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: '' }] } }, Expiration: { Date: new Date('2026-01-01T00:00:00Z') } }] },
      }),
    );
    const got = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }));
    expect(got.Rules).toEqual([{ ID: 'a & <b>', Status: 'Enabled', Filter: { And: { Prefix: 'x/', Tags: [{ Key: 'k', Value: 'v' }, { Key: 'k2', Value: '' }] } }, Expiration: { Date: new Date('2026-01-01T00:00:00Z') } }]);
    expect(got.TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');

    await expect(
      client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts', LifecycleConfiguration: { Rules: [{ ID: 'ia', Status: 'Enabled', Filter: {}, Transitions: [{ Days: 7, StorageClass: 'STANDARD_IA' }] }] } })),
    ).rejects.toMatchObject({ name: 'InvalidArgument', message: "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'" });
    await expect(client.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(s3(sb, DEV, 'eu-west-1', 1).send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(s3(sb, PROD, 'us-east-1', 1).send(new ListObjectsV2Command({ Bucket: 'ml-artifacts' }))).rejects.toMatchObject({ name: 'PermanentRedirect' });
    await client.send(new DeleteBucketLifecycleCommand({ Bucket: 'ml-artifacts' }));
    await expect(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
  });

  it('refuses a lifecycle configuration without a checksum header, as S3 does', async () => {
    const sb = await start();
    const client = s3(sb);
    // Drop the flexible-checksum headers the SDK adds, to send what an old client would.
    client.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        for (const h of Object.keys(headers)) if (h.startsWith('x-amz-checksum-') || h === 'content-md5' || h === 'x-amz-sdk-checksum-algorithm') delete headers[h];
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'dropChecksums' },
    );

    await expect(client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts', LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } }] } }))).rejects.toMatchObject({ name: 'InvalidRequest' });
  });
});

describe('cold-artifacts on the sandbox cloud', () => {
  it('counts cold STANDARD objects per watched prefix, leaving out fresh, small and covered ones; refuses what does not pay back', async () => {
    const sb = await start();

    const p = policy('notify', ['checkpoints/', 'datasets/', 'reports/']);
    const d = deps(sb, p);
    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now(), dryRun: true }), d);

    const cold = report.findings.filter((f) => f.ruleId === 'cold-artifacts');
    expect(cold.map((f) => f.resource?.name)).toEqual(['ml-artifacts/checkpoints/']);
    const f = cold[0]!;
    expect(f.title).toBe('s3://ml-artifacts/checkpoints/: 300 objects (300 GB) in STANDARD older than 30 d with no transition rule');
    expect(f.evidence).toEqual(expect.arrayContaining(['50 of 128 KiB or less (0 GB): left in STANDARD — colder classes bill them as 128 KiB or never tier them']));
    // 300 GB: Glacier IR saves (0.023 − 0.004) × 300 − 10% × 300 × 0.03 = 4.80 a month.
    expect(f.waste?.monthly).toEqual({ amount: 4.8, currency: 'USD' });
    expect(f.resource).toMatchObject({ kind: 'aws.s3.prefix', region: 'eu-west-1', id: 'arn:aws:s3:::ml-artifacts/checkpoints/*' });
    expect(report.stats.evaluated).toBeGreaterThanOrEqual(4);
    expect(sb.calls()['s3.PutBucketLifecycleConfiguration']).toBe(0);

    // datasets/: 3,000 cold files of 150 KiB; reports/: under a tag-filtered transition rule.
    const provider = d.providers.get('aws')!;
    const ref = { cloud: 'aws' as const, scopeId: PROD, region: 'eu-west-1', kind: 'aws.s3.prefix' as const };
    const datasets = await provider.describe({ ...ref, id: 'arn:aws:s3:::ml-artifacts/datasets/*', name: 'ml-artifacts/datasets/' });
    const reports = await provider.describe({ ...ref, id: 'arn:aws:s3:::ml-artifacts/reports/*', name: 'ml-artifacts/reports/' });
    const judge = (r: typeof datasets) => coldArtifacts.evaluate({ resource: r!, usage: [], settings: p.rules['cold-artifacts'], now: sb.clock.now(), prices: new PriceBook() });
    expect(datasets?.attributes).toMatchObject({ coldObjects: 3000, coldBytes: 3000 * 150 * 1024 });
    expect(judge(datasets)).toMatchObject({ state: 'ok', evidence: expect.arrayContaining([expect.stringMatching(/^not proposed: no colder class pays back/)]) });
    expect(reports?.attributes).toMatchObject({ coldObjects: 0, maybeCoveredObjects: 10 });
  });

  it('merges its rule with the existing ones, and Undo restores the previous configuration exactly', async () => {
    const sb = await start();
    const before = await lifecycleOf(sb);
    const p = policy('auto');

    const d = deps(sb, p);
    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now() }), d);

    const exec = report.executions.find((e) => e.outcome === 'executed');
    expect(exec?.detail).toBe('added lifecycle rule costwatch-cold-artifacts:checkpoints/ to bucket ml-artifacts: objects over 128 KiB under checkpoints/ move to GLACIER_IR 30 d after last modification; its 5 other rules kept');
    expect(report.proposals.map((x) => x.resource.name)).toEqual(['ml-artifacts/checkpoints/']);
    const after = await lifecycleOf(sb);
    expect(after.Rules?.slice(0, 5)).toEqual(before.Rules);
    expect(after.Rules?.[5]).toEqual({ ID: 'costwatch-cold-artifacts:checkpoints/', Status: 'Enabled', Filter: { And: { Prefix: 'checkpoints/', ObjectSizeGreaterThan: 131072 } }, Transitions: [{ Days: 30, StorageClass: 'GLACIER_IR' }] });
    expect(after.TransitionDefaultMinimumObjectSize).toBe('varies_by_storage_class');
    const proposal = await store!.getProposal(exec!.proposalId);
    expect(proposal?.undoData).toMatchObject({ bucket: 'ml-artifacts', region: 'eu-west-1', ruleId: 'costwatch-cold-artifacts:checkpoints/' });

    // Covered now: the next scan has nothing to propose.
    const rescan = await runScan(scanOptionsFor(p, { now: () => sb.clock.now(), dryRun: true }), d);
    expect(rescan.findings.filter((f) => f.ruleId === 'cold-artifacts')).toEqual([]);

    const undone = await undoProposal(exec!.proposalId, 'U123', d);
    expect(undone.outcome).toBe('undone');
    expect(undone.detail).toMatch(/^restored the lifecycle configuration of bucket ml-artifacts as it was before \(5 rules\)/);
    expect(await lifecycleOf(sb)).toEqual(before);
  });

  it('deletes the lifecycle configuration on Undo when the bucket had none', async () => {
    const sb = await start(world(null));
    const p = policy('auto', ['checkpoints/']);
    const d = deps(sb, p);

    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now() }), d);
    const exec = report.executions.find((e) => e.outcome === 'executed')!;
    expect((await lifecycleOf(sb)).Rules?.map((r) => r.ID)).toEqual(['costwatch-cold-artifacts:checkpoints/']);
    expect((await store!.getProposal(exec.proposalId))?.undoData).toMatchObject({ previous: null });

    const undone = await undoProposal(exec.proposalId, 'U123', d);

    expect(undone.detail).toBe('deleted the lifecycle configuration of bucket ml-artifacts: it had none before costwatch added costwatch-cold-artifacts:checkpoints/');
    expect(sb.calls()['s3.DeleteBucketLifecycle']).toBe(1);
    await expect(s3(sb).send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts' }))).rejects.toMatchObject({ name: 'NoSuchLifecycleConfiguration' });
  });

  it("removes only its own rule on Undo when someone changed the others since, keeping their change", async () => {
    const sb = await start();
    const p = policy('auto', ['checkpoints/']);
    const d = deps(sb, p);
    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now() }), d);
    const exec = report.executions.find((e) => e.outcome === 'executed')!;
    const now = await lifecycleOf(sb);
    const edited = [...now.Rules!.filter((r) => r.ID !== 'expire-tmp'), { ID: 'someone-else', Status: 'Enabled' as const, Filter: { Prefix: 'scratch/' }, Expiration: { Days: 1 } }];
    await s3(sb).send(new PutBucketLifecycleConfigurationCommand({ Bucket: 'ml-artifacts', LifecycleConfiguration: { Rules: edited }, TransitionDefaultMinimumObjectSize: 'varies_by_storage_class' }));

    const undone = await undoProposal(exec.proposalId, 'U123', d);

    expect(undone.detail).toMatch(/^removed lifecycle rule costwatch-cold-artifacts:checkpoints\/ from bucket ml-artifacts; its other rules changed since/);
    expect((await lifecycleOf(sb)).Rules?.map((r) => r.ID)).toEqual(['archive-logs', 'reports-by-tag', 'single-tag', 'old-ckpt-off', 'someone-else']);
  });

  it('refuses to act when the lifecycle configuration changed after it was read, changing nothing', async () => {
    const sb = await start();
    const p = policy('approve', ['checkpoints/']);
    const d = deps(sb, p);
    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now() }), d);
    const proposal = report.proposals[0]!;
    const provider = d.providers.get('aws')!;
    const stale = await provider.describe(proposal.resource);
    await s3(sb).send(new DeleteBucketLifecycleCommand({ Bucket: 'ml-artifacts' }));

    await expect(provider.captureUndo(proposal.kind, stale!)).rejects.toThrow(/lifecycle configuration of ml-artifacts\/checkpoints\/ changed since it was read; nothing was changed/);
    await expect(provider.perform(proposal.kind, stale!, {})).rejects.toThrow(/changed since it was read/);
    expect(sb.calls()['s3.PutBucketLifecycleConfiguration']).toBe(0);

    // Approved later, the executor re-reads the bucket first and acts on what is there now.
    await store!.decide({ proposalId: proposal.id, verdict: 'approve', by: 'U1', at: sb.clock.now(), via: 'slack' });
    await store!.transitionProposal(proposal.id, ['proposed'], 'approved');
    const done = await executeProposal(proposal.id, 'U1', { ...d, providers: d.providers, rules: new Map(scanOptionsFor(p, { now: () => sb.clock.now() }).rules.map((r) => [r.rule.id, r])), policy: scanOptionsFor(p, { now: () => sb.clock.now() }).policy, lookbackHours: 24 });
    expect(done.outcome).toBe('executed');
    expect((await lifecycleOf(sb)).Rules?.map((r) => r.ID)).toEqual(['costwatch-cold-artifacts:checkpoints/']);
  });
});
