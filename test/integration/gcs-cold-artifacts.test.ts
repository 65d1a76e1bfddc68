import { afterEach, describe, expect, it } from 'vitest';
import { gcpProviderBuilder, gcsColdArtifactsOptions } from '../../shared/app/compose-gcp.js';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/policy.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { GcpProvider } from '../../shared/providers/gcp/provider.js';
import { GCS_ADD_LIFECYCLE_RULE, GCS_BUCKET_KIND } from '../../shared/rules/cold-artifacts-gcs.js';
import { defineWorld, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

/*
 * Cloud Storage cold artifacts end to end: the real @google-cloud/storage client against the
 * sandbox's JSON API (buckets.list, buckets.get/patch, objects.list with paging), the gcp
 * provider's bucket kind, the cold-artifacts rule and the lifecycle action with its undo.
 */

const NOW = '2025-06-18T12:00:00Z';
const P = 'ml-storage-01';
const GiB = 1024 ** 3;

function world(extra: Partial<WorldInput> = {}): WorldInput {
  return {
    version: 1,
    now: NOW,
    gcp: {
      projects: [
        {
          id: P,
          regions: { 'us-central1': {} },
          buckets: [
            // 40 checkpoints of 2 GiB, 120 days old, no lifecycle: pays in Coldline or Nearline.
            { name: 'ckpt-cold', location: 'US-CENTRAL1', objects: [{ name: 'runs/a/step-', count: 40, sizeBytes: 2 * GiB, createdAt: '-120d' }, { name: 'fresh/model.pt', sizeBytes: GiB, createdAt: '-2d' }] },
            // 3,000 tiny files: the SetStorageClass operations cost more than the storage saved.
            { name: 'tiny-logs', location: 'US-CENTRAL1', objects: [{ name: 'logs/part-', count: 3000, sizeBytes: 2048, createdAt: '-200d' }] },
            // Cold objects already under a Delete rule, and a SetStorageClass rule kept by the action.
            {
              name: 'with-rules',
              location: 'US-CENTRAL1',
              lifecycle: [
                { action: { type: 'Delete' }, condition: { age: 400, matchesPrefix: ['tmp/'] } },
                { action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' }, condition: { age: 365, matchesPrefix: ['old/'] } },
              ],
              objects: [
                { name: 'tmp/x-', count: 5, sizeBytes: GiB, createdAt: '-100d' },
                { name: 'models/m-', count: 30, sizeBytes: 4 * GiB, createdAt: '-90d' },
              ],
            },
            { name: 'auto-class', location: 'US', autoclass: true, objects: [{ name: 'a-', count: 10, sizeBytes: 4 * GiB, createdAt: '-90d' }] },
          ],
        },
      ],
    },
    ...extra,
  };
}

function policyFor(rules = ''): Policy {
  return parsePolicy(
    `version: 1
clouds:
  gcp:
    projects:
      - { id: ${P}, regions: [us-central1] }
rules:
  cold-artifacts: { mode: approve, olderThanDays: 30 }
${rules}`,
    'gcs.yml',
    { now: new Date(NOW) },
  ).policy;
}

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const noSleep = { sleep: () => Promise.resolve(), random: () => 0 };

async function setup(w: WorldInput = world(), policy = policyFor()): Promise<{ sandbox: Sandbox; provider: GcpProvider }> {
  sb = await startSandbox({ world: defineWorld(w) });
  const cold = gcsColdArtifactsOptions(policy);
  const provider = new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sb.gcp }), {
    retry: noSleep,
    now: () => sb?.clock.now() ?? new Date(NOW),
    ...(cold ? { coldArtifacts: cold } : {}),
  });
  return { sandbox: sb, provider };
}

async function scan(sandbox: Sandbox, policy = policyFor()) {
  const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } }, { gcp: gcpProviderBuilder() });
  const store = await openMemoryStore();
  try {
    return await runScan({ ...scanOptionsFor(policy, { now: () => sandbox.clock.now() }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
  } finally {
    await store.close();
  }
}

async function collect(provider: GcpProvider): Promise<Resource[]> {
  const c = await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: ['us-central1'] }, { now: new Date(NOW), lookbackHours: 24, plan: { kinds: { [GCS_BUCKET_KIND]: [] }, billing: [] } });
  expect(c.failures).toEqual([]);
  return c.resources.filter((r) => r.kind === GCS_BUCKET_KIND);
}

function lifecycleOf(sandbox: Sandbox, bucket: string): unknown[] | undefined {
  return sandbox.state.gcp.bucketOwner(bucket)?.buckets.get(bucket)?.lifecycle;
}

describe('gcs cold artifacts: collection with the real storage client', () => {
  it('lists every bucket of the project and counts cold STANDARD objects by creation time, with one objects.list per 1,000 objects', async () => {
    const { sandbox, provider } = await setup();
    const buckets = await collect(provider);
    expect(buckets.map((b) => b.name).sort()).toEqual(['auto-class', 'ckpt-cold', 'tiny-logs', 'with-rules']);
    const cold = buckets.find((b) => b.name === 'ckpt-cold');
    expect(cold?.attributes).toMatchObject({ listedObjects: 41, coldObjects: 40, coldBytes: 80 * GiB, lifecycleRules: 0, truncated: false, location: 'us-central1' });
    const rules = buckets.find((b) => b.name === 'with-rules');
    expect(rules?.attributes).toMatchObject({ coldObjects: 30, coveredObjects: 5, lifecycleRules: 2 });
    expect(buckets.find((b) => b.name === 'auto-class')?.attributes['autoclass']).toBe(true);
    const calls = sandbox.calls();
    expect(calls['storage.ListBuckets']).toBe(1);
    // tiny-logs holds 3,000 objects: three pages; every other bucket one.
    expect(calls['storage.ListObjects']).toBe(3 + 3);
  });

  it('stops listing a bucket at maxObjectsPerBucket and says the counts are of what was listed', async () => {
    const { provider } = await setup(world(), policyWithMax(1000));
    const tiny = (await collect(provider)).find((b) => b.name === 'tiny-logs');
    expect(tiny?.attributes).toMatchObject({ listedObjects: 1000, truncated: true });
  });

  it('reads only the configured prefixes of a bucket named in rules.cold-artifacts.buckets', async () => {
    const policy = parsePolicy(
      `version: 1
clouds: { gcp: { projects: [{ id: ${P}, regions: [us-central1] }] } }
rules:
  cold-artifacts: { mode: approve, buckets: [{ bucket: with-rules, prefixes: [models/] }] }
`,
      'gcs.yml',
      { now: new Date(NOW) },
    ).policy;
    const { provider } = await setup(world(), policy);
    const names = (await collect(provider)).map((b) => b.name);
    expect(names).toContain('with-rules/models/');
    expect(names).not.toContain('with-rules');
  });

  it('retries a throttled objects.list (429 RESOURCE_EXHAUSTED) and reports a bucket that keeps failing without losing the others', async () => {
    const { sandbox, provider } = await setup(world({ faults: [{ service: 'storage', operation: 'ListObjects', kind: 'throttle', times: 2 }] }));
    expect((await collect(provider)).length).toBe(4);
    expect(sandbox.faults.injected()['storage.ListObjects:throttle']).toBe(2);
    sandbox.faults.add({ service: 'storage', operation: 'ListObjects', kind: 'access-denied', times: 1 });
    const c = await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: ['us-central1'] }, { now: new Date(NOW), lookbackHours: 24, plan: { kinds: { [GCS_BUCKET_KIND]: [] }, billing: [] } });
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]?.message).toMatch(/PERMISSION_DENIED/);
    expect(c.resources.filter((r) => r.kind === GCS_BUCKET_KIND)).toHaveLength(3);
  });
});

function policyWithMax(max: number): Policy {
  return parsePolicy(
    `version: 1
clouds: { gcp: { projects: [{ id: ${P}, regions: [us-central1] }] } }
rules:
  cold-artifacts: { mode: approve, maxObjectsPerBucket: ${max} }
`,
    'gcs.yml',
    { now: new Date(NOW) },
  ).policy;
}

describe('gcs cold artifacts: the rule through a scan', () => {
  it('proposes a lifecycle rule for cold checkpoints, with the arithmetic and the dated price table', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const report = await scan(sb);
    const f = report.findings.find((x) => x.ruleId === 'cold-artifacts' && x.resource?.name === 'ckpt-cold');
    expect(f?.state).toBe('violation');
    expect(f?.waste?.priceSource).toMatch(/bundled Cloud Storage price table \d{4}-\d{2} \(us-central1\)/);
    expect(f?.waste?.arithmetic).toMatch(/SetStorageClass 40 × .*Class A/);
    expect(f?.waste?.arithmetic).toMatch(/retrieval 10% × 80\.00 GB/);
    expect(f?.evidence.join('\n')).toMatch(/proposed lifecycle rule: SetStorageClass (NEARLINE|COLDLINE|ARCHIVE) when age ≥ 30 d/);
    expect(f?.confidence).toBe('high');
  });

  it('proposes nothing where the operation charges eat the saving, and says so with the figures', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const report = await scan(sb);
    const f = report.findings.find((x) => x.ruleId === 'cold-artifacts' && x.resource?.name === 'tiny-logs');
    expect(f?.state ?? 'ok').not.toBe('violation');
    const all = report.findings.filter((x) => x.ruleId === 'cold-artifacts' && x.state === 'violation').map((x) => x.resource?.name);
    expect(all).not.toContain('tiny-logs');
    expect(all).not.toContain('auto-class');
  });
});

describe('gcs cold artifacts: the lifecycle action and its undo', () => {
  it('adds a SetStorageClass rule to a bucket with no lifecycle, and undo removes the configuration again', async () => {
    const { sandbox, provider } = await setup();
    const r = (await collect(provider)).find((b) => b.name === 'ckpt-cold') as Resource;
    const saved = await provider.captureUndo(GCS_ADD_LIFECYCLE_RULE, r);
    expect(saved['previous']).toBeNull();
    const out = await provider.perform(GCS_ADD_LIFECYCLE_RULE, r, {});
    expect(out.summary).toMatch(/added a lifecycle rule to bucket ckpt-cold/);
    const after = lifecycleOf(sandbox, 'ckpt-cold') as { action: { type: string; storageClass: string }; condition: Record<string, unknown> }[];
    expect(after).toHaveLength(1);
    expect(after[0]?.action.type).toBe('SetStorageClass');
    expect(after[0]?.condition).toEqual({ age: 30, matchesStorageClass: ['STANDARD'] });
    await provider.undo(GCS_ADD_LIFECYCLE_RULE, refOf(r), saved);
    expect(lifecycleOf(sandbox, 'ckpt-cold')).toBeUndefined();
    expect(sandbox.calls()['storage.PatchBucket']).toBe(2);
  });

  it('keeps the bucket rules it found, and undo restores them exactly', async () => {
    const { sandbox, provider } = await setup();
    const before = structuredClone(lifecycleOf(sandbox, 'with-rules'));
    const r = (await collect(provider)).find((b) => b.name === 'with-rules') as Resource;
    const saved = await provider.captureUndo(GCS_ADD_LIFECYCLE_RULE, r);
    await provider.perform(GCS_ADD_LIFECYCLE_RULE, r, {});
    expect(lifecycleOf(sandbox, 'with-rules')).toHaveLength(3);
    expect(lifecycleOf(sandbox, 'with-rules')?.slice(0, 2)).toEqual(before);
    await provider.undo(GCS_ADD_LIFECYCLE_RULE, refOf(r), saved);
    expect(lifecycleOf(sandbox, 'with-rules')).toEqual(before);
  });

  it('changes nothing when the lifecycle configuration changed after the bucket was read (precondition re-checked)', async () => {
    const { sandbox, provider } = await setup();
    const r = (await collect(provider)).find((b) => b.name === 'ckpt-cold') as Resource;
    const b = sandbox.state.gcp.bucketOwner('ckpt-cold')?.buckets.get('ckpt-cold');
    if (b) {
      b.lifecycle = [{ action: { type: 'Delete' }, condition: { age: 1000 } }];
      b.metageneration++;
    }
    await expect(provider.perform(GCS_ADD_LIFECYCLE_RULE, r, {})).rejects.toThrow(/changed since it was read; nothing was changed/);
    expect(lifecycleOf(sandbox, 'ckpt-cold')).toEqual([{ action: { type: 'Delete' }, condition: { age: 1000 } }]);
  });

  it('undo removes only its own rule when someone changed the other rules meanwhile', async () => {
    const { sandbox, provider } = await setup();
    const r = (await collect(provider)).find((b) => b.name === 'with-rules') as Resource;
    const saved = await provider.captureUndo(GCS_ADD_LIFECYCLE_RULE, r);
    await provider.perform(GCS_ADD_LIFECYCLE_RULE, r, {});
    const b = sandbox.state.gcp.bucketOwner('with-rules')?.buckets.get('with-rules');
    b?.lifecycle?.splice(0, 1);
    if (b) b.metageneration++;
    const out = await provider.undo(GCS_ADD_LIFECYCLE_RULE, refOf(r), saved);
    expect(out.summary).toMatch(/removed costwatch's lifecycle rule/);
    expect(lifecycleOf(sandbox, 'with-rules')).toEqual([{ action: { type: 'SetStorageClass', storageClass: 'ARCHIVE' }, condition: { age: 365, matchesPrefix: ['old/'] } }]);
  });

  it('refuses to act on a bucket with Autoclass on', async () => {
    const { provider } = await setup();
    const r = (await collect(provider)).find((b) => b.name === 'auto-class') as Resource;
    await expect(provider.perform(GCS_ADD_LIFECYCLE_RULE, r, {})).rejects.toThrow(/Autoclass/);
  });
});
