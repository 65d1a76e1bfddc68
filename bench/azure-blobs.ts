/*
 * Azure cold-blob benchmark: 4 storage accounts in 2 subscriptions, 5 containers each with 10,000
 * blobs (200,000 blobs; a third cold and uncovered), every sandbox call answered 20 ms late, judged
 * by the cold-artifacts rule as a scan collects them (the real @azure/arm-storage and
 * @azure/storage-blob clients, the sandbox's ARM listener and Blob service). Then the same with
 * `maxBlobsPerAccount: 20000`, to show the bound. Prints wall time, peak RSS (the sandbox is in this
 * process), calls per operation, and blobs listed per second.
 * Run: npm run bench (all benches) or npx tsx bench/azure-blobs.ts.
 */
import { FOREIGN_PROVIDERS } from '../shared/app/compose-azure.js';
import { buildProviders } from '../shared/app/providers.js';
import { parsePolicy } from '../shared/config/load.js';
import { PriceBook } from '../shared/pricing/price-book.js';
import { coldArtifacts } from '../shared/rules/cold-artifacts.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, type WorldInput } from '../shared/sandbox/index.js';

const SUBS = ['0c0c0c0c-0000-4000-8000-000000000001', '0c0c0c0c-0000-4000-8000-000000000002'];
const ACCOUNTS_PER_SUB = 2;
const CONTAINERS = 5;
const BLOBS_PER_CONTAINER = 10_000;
const LATENCY_MS = 20;
const NOW = '2026-11-28T12:00:00Z';

function world(): WorldInput {
  return {
    version: 1,
    now: NOW,
    seed: 7,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
    azure: {
      subscriptions: SUBS.map((id, s) => ({
        id,
        name: `blobs-${s}`,
        storageAccounts: Array.from({ length: ACCOUNTS_PER_SUB }, (_, a) => ({
          name: `benchacct${s}${a}`,
          resourceGroup: 'rg-data',
          location: 'eastus',
          containers: Array.from({ length: CONTAINERS }, (_, c) => ({
            name: `container-${c}`,
            blobs: [
              { prefix: 'cold/part-', count: BLOBS_PER_CONTAINER / 3, size: '256 MiB', lastModified: '-120d' },
              { prefix: 'warm/part-', count: BLOBS_PER_CONTAINER - Math.floor(BLOBS_PER_CONTAINER / 3), size: '64 MiB', lastModified: '-5d' },
            ].map((b) => ({ ...b, count: Math.floor(b.count) })),
          })),
        })),
      })),
    },
  };
}

async function run(maxBlobsPerAccount?: number): Promise<void> {
  const sandbox = await startSandbox({ world: defineWorld(world()) });
  try {
    const subs = SUBS.map((id, i) => `      - { id: ${id}, name: blobs-${i} }`).join('\n');
    const extra = maxBlobsPerAccount ? `\n    maxBlobsPerAccount: ${maxBlobsPerAccount}` : '';
    const policy = parsePolicy(`version: 1\nclouds:\n  azure:\n    subscriptions:\n${subs}\nrules:\n  cold-artifacts:\n    mode: notify${extra}\n`, 'bench.yml', { now: new Date(NOW) }).policy;
    const azure = buildProviders(policy, sandboxProviderEndpoints(sandbox), FOREIGN_PROVIDERS).get('azure')!;
    const plan = { kinds: { 'azure.storage.blob-container': [] }, billing: [] };
    const t0 = performance.now();
    const collections = await Promise.all(SUBS.map((id) => azure.collect({ scope: { cloud: 'azure', id }, regions: [] }, { now: sandbox.clock.now(), lookbackHours: 336, plan })));
    const wallMs = performance.now() - t0;
    const resources = collections.flatMap((c) => c.resources);
    const rule = policy.rules['cold-artifacts'];
    const verdicts = resources.map((r) => coldArtifacts.evaluate({ resource: r, usage: [], settings: rule, now: sandbox.clock.now(), prices: new PriceBook() }));
    const calls = Object.entries(sandbox.calls()).filter(([k, v]) => v > 0 && (k.startsWith('storage.') || k.startsWith('blob.')));
    const listed = resources.reduce((n, r) => n + Number(r.attributes['listedBlobs'] ?? 0), 0);
    const violations = verdicts.filter((v) => v.state === 'violation');
    const total = SUBS.length * ACCOUNTS_PER_SUB * CONTAINERS * BLOBS_PER_CONTAINER;
    console.log(
      [
        `maxBlobsPerAccount: ${maxBlobsPerAccount ?? 'default (100,000)'}`,
        `world:              ${total.toLocaleString('en-US')} blobs in ${SUBS.length * ACCOUNTS_PER_SUB} accounts × ${CONTAINERS} containers, ${LATENCY_MS} ms per call`,
        `wall time:          ${(wallMs / 1000).toFixed(2)} s`,
        `peak RSS:           ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process, sandbox included)`,
        `blobs listed:       ${listed.toLocaleString('en-US')} (${Math.round(listed / (wallMs / 1000)).toLocaleString('en-US')} per second; subscriptions in parallel, accounts one after another)`,
        `failures:           ${collections.flatMap((c) => c.failures).length}`,
        `findings:           ${violations.length} cold-artifacts violations (of ${SUBS.length * ACCOUNTS_PER_SUB * CONTAINERS} containers)`,
        `calls:              ${calls.map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ].join('\n'),
    );
  } finally {
    await sandbox.close();
  }
}

await run();
console.log('');
await run(20_000);
