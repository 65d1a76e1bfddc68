import { StorageSharedKeyCredential, BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FOREIGN_PROVIDERS } from '../../shared/app/compose-azure.js';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { undoProposal } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { consoleUrl } from '../../shared/slack/console-url.js';
import { azureClientFactory, sandboxAzureCredential } from '../../shared/providers/azure/clients.js';
import { AzureProvider } from '../../shared/providers/azure/provider.js';
import { SANDBOX_BLOB_KEY } from '../../shared/sandbox/azure/storage.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';
import { startAzurite, type Azurite } from '../support/azurite.js';

const A = '0a1b2c3d-0000-4000-8000-00000000000a';
const NOW = new Date('2026-11-28T12:00:00Z');
const GiB = 1024 ** 3;

const existingRule = {
  enabled: true,
  name: 'logsexpire',
  type: 'Lifecycle',
  definition: { filters: { blobTypes: ['blockBlob'], prefixMatch: ['logs/'] }, actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 90 } } } },
};

function world(): WorldInput {
  return {
    version: 1,
    now: NOW.toISOString(),
    azure: {
      subscriptions: [
        {
          id: A,
          name: 'data',
          storageAccounts: [
            {
              name: 'mlartifacts',
              resourceGroup: 'rg-data',
              location: 'eastus',
              managementPolicy: { rules: [existingRule] },
              containers: [
                { name: 'checkpoints', blobs: [{ prefix: 'run-7/shard-', count: 40, size: '25 GiB', lastModified: '-120d' }, { name: 'fresh.pt', size: '1 GiB', lastModified: '-2d' }] },
                { name: 'logs', blobs: [{ prefix: 'day-', count: 10, size: '1 GiB', lastModified: '-200d' }] },
              ],
            },
            {
              name: 'mltelemetry',
              resourceGroup: 'rg-data',
              location: 'eastus',
              containers: [{ name: 'events', blobs: [{ prefix: 'e-', count: 3000, size: '4 KiB', lastModified: '-60d' }] }],
            },
          ],
        },
      ],
    },
  };
}

function policy(yaml = ''): Policy {
  return parsePolicy(`version: 1\nclouds:\n  azure:\n    subscriptions:\n      - { id: ${A}, name: data }\nrules:\n  cold-artifacts:\n    mode: approve\n${yaml}`, 'test.yml', { now: NOW }).policy;
}

let sandbox: Sandbox | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
  sandbox = undefined;
  store = undefined;
});

function provider(sb: Sandbox, now: () => Date = () => sb.clock.now()) {
  return new AzureProvider(
    azureClientFactory({
      credential: sandboxAzureCredential(),
      armEndpoint: sb.azureEndpoint,
      ca: sb.azureCa,
      retry: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
      blobCredential: (account) => new StorageSharedKeyCredential(account, SANDBOX_BLOB_KEY),
    }),
    { now, blobSettings: { olderThanDays: 30, retrievalPercentPerMonth: 10, maxBlobsPerAccount: 100_000 } },
  );
}

const PLAN = { plan: { kinds: { 'azure.storage.blob-container': [] }, billing: [] } };

describe('Azure cold blobs on the sandbox cloud', () => {
  it('finds cold Hot blobs no rule covers, proposes a tiering rule where it pays and not where fees eat it', async () => {
    sandbox = await startSandbox({ world: defineWorld(world()), azurePageSize: 1 });
    store = await openMemoryStore();
    const p = policy();
    const providers = buildProviders(p, sandboxProviderEndpoints(sandbox), FOREIGN_PROVIDERS);
    const report = await runScan(scanOptionsFor(p, { now: () => sandbox!.clock.now(), dryRun: true }), { providers, store, clock: sandbox.clock, prices: priceBook(p) });

    const cold = report.findings.filter((f) => f.ruleId === 'cold-artifacts');
    const byName = new Map(cold.map((f) => [f.resource?.name, f]));
    const ckpt = byName.get('mlartifacts/checkpoints');
    expect(ckpt?.state).toBe('violation');
    // 40 × 25 GiB = 1,000 GB: Cold saves (0.018 − 0.0036) × 1000 = 14.40, less 10% read back.
    expect(ckpt?.waste?.arithmetic).toContain('Cold: storage 1000.00 GB × ($0.018 − $0.0036) = $14.40/month');
    expect(ckpt?.waste?.arithmetic).toContain('tier change 40 writes × $0.18/10,000 = $0.0007 once');
    expect(ckpt?.waste?.priceSource).toMatch(/^bundled Azure Blob price table 2025-01 \(eastus/);
    expect(ckpt?.evidence.join('\n')).toContain("merged with the account's 1 existing rule");
    // logs/ is under the account's delete rule: covered, nothing to move.
    expect(byName.get('mlartifacts/logs')?.state ?? 'ok').not.toBe('violation');
    // 3,000 blobs of 4 KiB: the writes cost more than the capacity saves within 30 d — no proposal.
    expect(byName.get('mltelemetry/events')?.state ?? 'ok').not.toBe('violation');
    expect(report.proposals.map((x) => x.kind)).toEqual(['azure.storage.put-management-policy-rule']);
    // Pages of one: storage accounts and blobs are followed across nextLink and NextMarker.
    expect(sandbox.calls()['storage.StorageAccounts_List']).toBeGreaterThanOrEqual(2);
    expect(sandbox.calls()['blob.ListBlobs']).toBeGreaterThan(0);
  });

  it('merges its rule into the management policy and undo restores the exact previous policy, or deletes it when there was none', async () => {
    const w = world();
    w.azure!.subscriptions![0]!.storageAccounts![1]!.containers = [{ name: 'raw', blobs: [{ prefix: 'x-', count: 4, size: '100 GiB', lastModified: '-90d' }] }];
    sandbox = await startSandbox({ world: defineWorld(w) });
    const prov = provider(sandbox);
    const c = await prov.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { now: NOW, lookbackHours: 336, ...PLAN });
    expect(c.failures).toEqual([]);
    const ckpt = c.resources.find((r) => r.name === 'mlartifacts/checkpoints')!;
    const raw = c.resources.find((r) => r.name === 'mltelemetry/raw')!;
    expect(ckpt.attributes).toMatchObject({ coldBlobs: 40, coldBytes: 40 * 25 * GiB, policyRules: 1 });

    const policies = () => sandbox!.state.azure.storage;
    for (const r of [ckpt, raw]) {
      const fresh = (await prov.describe(refOf(r)))!;
      const saved = await prov.captureUndo('azure.storage.put-management-policy-rule', fresh);
      await prov.perform('azure.storage.put-management-policy-rule', fresh);
      const rules = policies().accounts.get(String(r.attributes['account']))!.policy!.rules as { name: string; definition: { filters: { prefixMatch: string[] }; actions: { baseBlob: Record<string, unknown> } } }[];
      const ours = rules.find((x) => x.name.startsWith('costwatchcold'))!;
      expect(ours.definition.filters.prefixMatch).toEqual([`${String(r.attributes['container'])}/`]);
      expect(Object.keys(ours.definition.actions.baseBlob)).toEqual(['tierToCold']);
      // Undo.
      const done = await prov.undo('azure.storage.put-management-policy-rule', refOf(r), saved);
      expect(done.summary).toMatch(r === raw ? /deleted the lifecycle management policy/ : /restored the lifecycle management policy/);
    }
    expect(policies().accounts.get('mlartifacts')!.policy!.rules).toEqual([existingRule]);
    expect(policies().accounts.get('mltelemetry')!.policy).toBeUndefined();
    expect(sandbox.calls()['storage.ManagementPolicies_Delete']).toBe(1);
  });

  it('adds the tiering rule in auto mode through the executor and undoes it, with an Open in portal link', async () => {
    sandbox = await startSandbox({ world: defineWorld(world()) });
    store = await openMemoryStore();
    const p = parsePolicy(`version: 1\nclouds:\n  azure:\n    subscriptions:\n      - { id: ${A}, name: data }\nrules:\n  cold-artifacts:\n    mode: auto\n`, 'test.yml', { now: NOW }).policy;
    const providers = buildProviders(p, sandboxProviderEndpoints(sandbox), FOREIGN_PROVIDERS);
    const deps = { providers, store, clock: sandbox.clock, prices: priceBook(p) };
    const report = await runScan(scanOptionsFor(p, { now: () => sandbox!.clock.now() }), deps);

    const proposal = report.proposals.find((x) => x.kind === 'azure.storage.put-management-policy-rule')!;
    expect(report.executions.find((e) => e.proposalId === proposal.id)?.outcome).toBe('executed');
    const account = () => sandbox!.state.azure.storage.accounts.get('mlartifacts')!;
    expect((account().policy!.rules as { name: string }[]).map((r) => r.name)).toEqual(['logsexpire', 'costwatchcoldcheckpoints']);
    expect((await store.getProposal(proposal.id))?.undoData).toMatchObject({ account: 'mlartifacts', ruleName: 'costwatchcoldcheckpoints', previous: { rules: [existingRule] } });
    expect(consoleUrl(proposal.resource)).toBe(`https://portal.azure.com/#resource/subscriptions/${A}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/mlartifacts/containersList`);

    expect((await undoProposal(proposal.id, 'U1', deps)).outcome).toBe('undone');
    expect(account().policy!.rules).toEqual([existingRule]);
  });

  it('refuses to act when the management policy changed since the container was read', async () => {
    sandbox = await startSandbox({ world: defineWorld(world()) });
    const prov = provider(sandbox);
    const c = await prov.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { now: NOW, lookbackHours: 336, ...PLAN });
    const ckpt = c.resources.find((r) => r.name === 'mlartifacts/checkpoints')!;
    sandbox.state.azure.storage.accounts.get('mlartifacts')!.policy!.rules.push({ ...existingRule, name: 'someoneelse' });
    await expect(prov.captureUndo('azure.storage.put-management-policy-rule', ckpt)).rejects.toThrow(/changed since it was read; nothing was changed/);
  });

  it('reports a storage account it cannot read and keeps the others', async () => {
    sandbox = await startSandbox({ world: defineWorld({ ...world(), faults: [{ service: 'storage', operation: 'ManagementPolicies_Get', kind: 'access-denied', times: 1 }] }) });
    const c = await provider(sandbox).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { now: NOW, lookbackHours: 336, ...PLAN });
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]?.message).toMatch(/^mlartifacts: 403 AuthorizationFailed/);
    expect(c.resources.map((r) => r.name)).toEqual(['mltelemetry/events']);
  });
});

describe('Azure blob tiering against Azurite', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite(['mlartifacts', 'mltelemetry']);
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  it('moves real cold blobs to Cool one by one and undo sets them back to Hot', async () => {
    const w = world();
    w.azure!.subscriptions![0]!.storageAccounts![0]!.containers = [];
    sandbox = await startSandbox({ world: defineWorld(w), azureBlobEndpoint: (a) => azurite.endpoint(a) });
    const service = new BlobServiceClient(azurite.endpoint('mlartifacts'), new StorageSharedKeyCredential('mlartifacts', SANDBOX_BLOB_KEY));
    const container = service.getContainerClient('models');
    await container.createIfNotExists();
    const names = ['a.bin', 'b.bin', 'c.bin'];
    for (const n of names) await container.getBlockBlobClient(n).upload(Buffer.alloc(1024), 1024);
    await container.getBlockBlobClient('already-cool.bin').upload(Buffer.alloc(10), 10, { tier: 'Cool' });

    // Azurite stamps blobs with the real time: judge them 400 days later so they are cold.
    const later = () => new Date(Date.now() + 400 * 86_400_000);
    const prov = provider(sandbox, later);
    const c = await prov.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { now: later(), lookbackHours: 336, ...PLAN });
    expect(c.failures).toEqual([]);
    const models = c.resources.find((r) => r.name === 'mlartifacts/models') as Resource;
    expect(models.attributes).toMatchObject({ listedBlobs: 4, coldBlobs: 3, coldBytes: 3072 });

    const fresh = (await prov.describe(refOf(models)))!;
    const saved = await prov.captureUndo('azure.storage.set-blob-tier', fresh);
    expect(saved['blobs']).toEqual(names);
    const done = await prov.perform('azure.storage.set-blob-tier', fresh, { tier: 'Cool' });
    expect(done.summary).toMatch(/^moved 3 blobs .* from Hot to Cool/);
    for (const n of names) expect((await container.getBlobClient(n).getProperties()).accessTier).toBe('Cool');

    const undone = await prov.undo('azure.storage.set-blob-tier', refOf(models), saved);
    expect(undone.summary).toBe('set 3 blobs of mlartifacts/models back from Cool to Hot');
    for (const n of names) expect((await container.getBlobClient(n).getProperties()).accessTier).toBe('Hot');
    expect((await container.getBlobClient('already-cool.bin').getProperties()).accessTier).toBe('Cool');

    // Archive: moved for real, and undo says plainly why it is not offered.
    await prov.perform('azure.storage.set-blob-tier', (await prov.describe(refOf(models)))!, { tier: 'Archive' });
    expect((await container.getBlobClient('a.bin').getProperties()).accessTier).toBe('Archive');
    await expect(prov.undo('azure.storage.set-blob-tier', refOf(models), saved)).rejects.toThrow(/3 blobs of mlartifacts\/models are in Archive: moving them back needs rehydration .* does not offer undo for Archive; nothing was changed/);
  }, 60_000);
});
