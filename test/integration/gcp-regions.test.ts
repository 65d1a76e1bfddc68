import { afterEach, describe, expect, it } from 'vitest';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { GcpProvider } from '../../shared/providers/gcp/provider.js';
import type { CollectOptions } from '../../shared/providers/port.js';
import { defineWorld, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { GcsPriceBook } from '../../shared/pricing/gcs-prices.js';

/*
 * A Google Cloud project configured without regions is read in every region the Vertex AI
 * Locations API lists for it, with the real clients against the sandbox.
 */

const NOW = '2025-06-18T12:00:00Z';
const P = 'ml-anywhere-01';

const world = (faults: WorldInput['faults'] = []): WorldInput => ({
  version: 1,
  now: NOW,
  faults,
  gcp: {
    projects: [
      {
        id: P,
        regions: {
          'us-central1': { endpoints: [{ id: '11', displayName: 'in-iowa' }], workbench: [{ name: 'nb-iowa', machineType: 'e2-standard-4' }] },
          'europe-west4': { endpoints: [{ id: '22', displayName: 'in-holland' }], workbench: [{ name: 'nb-holland', machineType: 'e2-standard-4' }] },
          // Not in the sandbox's fixed list of Vertex AI regions: listed because the project has it.
          'me-central2': { customJobs: [{ id: '33', displayName: 'train-dammam', workerPools: [{ machineType: 'n1-standard-8' }] }] },
        },
        buckets: [{ name: 'anywhere-bucket', location: 'EU', objects: [{ name: 'a', sizeBytes: 10 }] }],
      },
    ],
  },
});

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const opts: CollectOptions = { now: new Date(NOW), lookbackHours: 24, plan: { kinds: { 'gcp.vertex.endpoint': [], 'gcp.workbench.instance': [], 'gcp.vertex.custom-job': [], 'gcp.storage.bucket': [] }, billing: [] } };

async function setup(w: WorldInput): Promise<{ sandbox: Sandbox; provider: GcpProvider }> {
  sb = await startSandbox({ world: defineWorld(w) });
  const provider = new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sb.gcp }), {
    retry: { sleep: () => Promise.resolve(), random: () => 0, maxAttempts: 2 },
    coldArtifacts: { olderThanDays: 30, retrievalPercentPerMonth: 10, maxObjectsPerBucket: 1000, prefixes: new Map(), prices: new GcsPriceBook() },
  });
  return { sandbox: sb, provider };
}

describe('gcp provider: a project configured without regions', () => {
  it('reads every Vertex AI location the Locations API lists, listing Workbench once and the locations once per run', async () => {
    const { sandbox, provider } = await setup(world());
    const first = await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: [] }, opts);
    expect(first.failures).toEqual([]);
    const names = first.resources.map((r) => `${r.kind} ${r.name} ${r.region}`).sort();
    expect(names).toEqual([
      'gcp.storage.bucket anywhere-bucket eu',
      'gcp.vertex.custom-job train-dammam me-central2',
      'gcp.vertex.endpoint in-holland europe-west4',
      'gcp.vertex.endpoint in-iowa us-central1',
      'gcp.workbench.instance nb-holland europe-west4',
      'gcp.workbench.instance nb-iowa us-central1',
    ]);
    const calls = sandbox.calls();
    expect(calls['aiplatform.ListLocations']).toBe(1);
    // Ten fixed regions and the project's own me-central2: one endpoint listing each.
    expect(calls['aiplatform.ListEndpoints']).toBe(11);
    expect(calls['notebooks.ListInstances']).toBe(1);
    await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: [] }, opts);
    expect(sandbox.calls()['aiplatform.ListLocations']).toBe(1);
    // Eleven regions' Vertex AI clients are made on a shared, loaded machine.
  }, 90_000);

  it('reads only the configured regions when there are some', async () => {
    const { sandbox, provider } = await setup(world());
    const c = await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: ['europe-west4'] }, opts);
    expect(c.resources.filter((r) => r.kind === 'gcp.vertex.endpoint').map((r) => r.name)).toEqual(['in-holland']);
    expect(sandbox.calls()['aiplatform.ListLocations'] ?? 0).toBe(0);
  });

  it('says what failed when the locations cannot be listed, and still lists the buckets', async () => {
    const { provider } = await setup(world([{ service: 'aiplatform', operation: 'ListLocations', kind: 'access-denied' }]));
    const c = await provider.collect({ scope: { cloud: 'gcp', id: P }, regions: [] }, opts);
    expect(c.failures).toHaveLength(1);
    expect(c.failures[0]?.operation).toBe('aiplatform:ListLocations');
    expect(c.failures[0]?.message).toMatch(/PERMISSION_DENIED.*list them in clouds\.gcp\.projects\[\]\.regions/);
    expect(c.resources.map((r) => r.name)).toEqual(['anywhere-bucket']);
  });
});
