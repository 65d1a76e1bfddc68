import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { finishedJobsFilter, VERTEX_CUSTOM_JOB, VERTEX_FINISHED_CUSTOM_JOB } from '../../shared/providers/gcp/kinds/custom-job.js';
import { gcpKindRegistry } from '../../shared/providers/gcp/kinds/index.js';
import { defineWorld, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

/*
 * Finished Vertex AI custom jobs (last 30 days) for spot-training: listed with a server-side filter
 * on state and create_time (the fields Vertex AI filters custom jobs on), every page, checked on
 * end time, and fed to spot-training only — never to long-training-job, never given an action.
 */

const NOW = '2025-06-18T12:00:00Z';
const P = 'ml-train-07';
let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const pool = [{ machineType: 'n1-standard-8', acceleratorType: 'NVIDIA_TESLA_T4' as const, acceleratorCount: 1, replicaCount: 2 }];

function world(): WorldInput {
  return {
    version: 1,
    now: NOW,
    gcp: {
      projects: [
        {
          id: P,
          regions: {
            'us-central1': {
              customJobs: [
                { id: '1', displayName: 'ran-10d-ago', state: 'JOB_STATE_SUCCEEDED', createdAt: '-12d', startedAt: '-12d', endedAt: '-10d', workerPools: pool },
                { id: '2', displayName: 'failed-spot', state: 'JOB_STATE_FAILED', createdAt: '-5d', startedAt: '-5d', endedAt: '-4d', strategy: 'SPOT', workerPools: pool },
                { id: '3', displayName: 'ended-40d-ago', state: 'JOB_STATE_SUCCEEDED', createdAt: '-45d', startedAt: '-45d', endedAt: '-40d', workerPools: pool },
                // Created 36 days ago, ran 5 days: the listing returns it (created within 30 + 7 days), its end time puts it out.
                { id: '4', displayName: 'ended-31d-ago', state: 'JOB_STATE_CANCELLED', createdAt: '-36d', startedAt: '-36d', endedAt: '-31d', workerPools: pool },
                // Created 35 days ago, ended 25 days ago: in.
                { id: '5', displayName: 'long-ended-25d-ago', state: 'JOB_STATE_SUCCEEDED', createdAt: '-35d', startedAt: '-35d', endedAt: '-25d', workerPools: pool },
                { id: '6', displayName: 'running-long', startedAt: '-80h', workerPools: pool },
                { id: '7', displayName: 'queued', state: 'JOB_STATE_QUEUED', createdAt: '-1h', workerPools: pool },
              ],
            },
          },
        },
      ],
    },
  };
}

const policy = parsePolicy(
  `version: 1
clouds:
  gcp:
    catalogPrices: false
    projects: [{ id: ${P}, regions: [us-central1] }]
rules:
  spot-training: { enabled: true }
  long-training-job: { mode: approve, maxHours: 24 }
`,
  'gcp.yml',
  { now: new Date(NOW) },
).policy;

describe('gcp finished custom jobs for spot-training', () => {
  it('lists the jobs that ended in the last 30 days with a filter on state and create_time, every page', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const sandbox = sb;
    const factory = gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sandbox.gcp });
    const kind = gcpKindRegistry().module(VERTEX_FINISHED_CUSTOM_JOB);
    expect(kind.actions).toEqual([]);
    const clients = factory({ projectId: P, region: 'us-central1' });
    // What the sandbox answers to the filter costwatch sends: the terminal states created since 37 days ago, 2 a page.
    const filter = finishedJobsFilter(new Date(NOW));
    expect(filter).toBe('(state="JOB_STATE_SUCCEEDED" OR state="JOB_STATE_FAILED" OR state="JOB_STATE_CANCELLED") AND create_time>="2025-05-12T12:00:00Z"');
    const [listed] = await clients.jobs.listCustomJobs({ parent: `projects/${P}/locations/us-central1`, filter, pageSize: 2 });
    expect(listed.map((j) => j.displayName).sort()).toEqual(['ended-31d-ago', 'failed-spot', 'long-ended-25d-ago', 'ran-10d-ago']);
    expect(sandbox.calls()['aiplatform.ListCustomJobs']).toBe(2);
    // A filter the sandbox does not evaluate is refused, not ignored.
    await expect(clients.jobs.listCustomJobs({ parent: `projects/${P}/locations/us-central1`, filter: 'end_time>"2025-05-01T00:00:00Z"' })).rejects.toThrow(/evaluates only state and create_time/);
  });

  it('feeds them to spot-training only: a finding per on-demand finished job, none from long-training-job, no action', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const sandbox = sb;
    const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } }, { gcp: gcpProviderBuilder() });
    const store = await openMemoryStore();
    try {
      const report = await runScan({ ...scanOptionsFor(policy, { now: () => sandbox.clock.now() }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
      const finished = report.findings.filter((f) => f.resource?.kind === VERTEX_FINISHED_CUSTOM_JOB);
      const names = (rule: string, state = 'violation') => finished.filter((f) => f.ruleId === rule && f.state === state).map((f) => f.resource?.name).sort();
      expect(names('spot-training')).toEqual(['long-ended-25d-ago', 'ran-10d-ago']);
      const ran = finished.find((f) => f.resource?.name === 'ran-10d-ago');
      // 2 days × 2 replicas of n1-standard-8 + T4, bundled training table.
      expect(ran?.title).toMatch(/^custom job ran-10d-ago ran on demand \(\$[\d,.]+\): Spot VMs could have saved/);
      expect(JSON.stringify(ran)).toMatch(/ran on demand from 2025-06-06 12:00 UTC to 2025-06-08 12:00 UTC/);
      expect(finished.filter((f) => f.ruleId !== 'spot-training')).toEqual([]);
      expect(finished.every((f) => f.notifyOnly !== undefined)).toBe(true);
      expect(report.proposals.filter((p) => p.resource.kind === VERTEX_FINISHED_CUSTOM_JOB)).toEqual([]);
      // The running job is judged by both rules, under its own kind.
      const running = report.findings.filter((f) => f.resource?.kind === VERTEX_CUSTOM_JOB && f.resource?.name === 'running-long').map((f) => f.ruleId).sort();
      expect(running).toEqual(expect.arrayContaining(['long-training-job', 'spot-training']));
      expect(running.every((id) => id === 'long-training-job' || id === 'spot-training' || id === 'untagged-spend')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
