import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Finding } from '../../shared/domain/finding.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { GcpProvider } from '../../shared/providers/gcp/provider.js';
import { defineWorld, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import { gcpWorld, OTHER, PROJECT } from '../fixtures/gcp/worlds.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const noSleep = { sleep: () => Promise.resolve(), random: () => 0 };

async function setup(): Promise<{ sandbox: Sandbox; provider: GcpProvider }> {
  sb = await startSandbox({ world: defineWorld(gcpWorld()) });
  const provider = new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sb.gcp }), { retry: noSleep });
  return { sandbox: sb, provider };
}

const policy = (rules = '') =>
  parsePolicy(
    `version: 1
clouds:
  gcp:
    projects:
      - { id: ${PROJECT}, regions: [us-central1] }
      - { id: ${OTHER}, regions: [europe-west4] }
rules:
  idle-endpoint: { mode: approve }
  idle-notebook: { mode: approve, windowHours: 24 }
  long-training-job: { mode: approve }
${rules}`,
    'gcp.yml',
    { now: new Date('2025-06-18T12:00:00Z') },
  ).policy;

async function scan(sandbox: Sandbox, p = policy()) {
  const providers = buildProviders(p, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox') } }, { gcp: gcpProviderBuilder() });
  const store = await openMemoryStore();
  try {
    return await runScan({ ...scanOptionsFor(p, { now: () => sandbox.clock.now() }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(p) });
  } finally {
    await store.close();
  }
}

const about = (findings: readonly Finding[], rule: string, name: string) => findings.find((f) => f.ruleId === rule && f.resource?.name === name);

describe('gcp provider: inventory and usage with the real clients', () => {
  it('reads each metric once per project — one paged listTimeSeries per metric, never per resource', async () => {
    const { sandbox, provider } = await setup();
    const c = await provider.collect({ scope: { cloud: 'gcp', id: PROJECT }, regions: ['us-central1'] }, { now: sandbox.clock.now(), lookbackHours: 336 });
    expect(c.failures).toEqual([]);
    expect(c.resources.filter((r) => r.kind === 'gcp.vertex.endpoint')).toHaveLength(7);
    expect(c.resources.filter((r) => r.kind === 'gcp.workbench.instance').map((r) => r.name).sort()).toEqual(['busy-nb', 'guarded-nb', 'idle-nb', 'stopped-nb']);
    // Running jobs only: the finished one is not listed.
    expect(c.resources.filter((r) => r.kind === 'gcp.vertex.custom-job').map((r) => r.name).sort()).toEqual(['llm-finetune', 'short-job']);
    // prediction_count, replicas, cpu, duty cycle and the VM CPU: five metrics, five calls, for 13 resources.
    expect(sandbox.calls()['monitoring.ListTimeSeries']).toBe(5);
    const shared = c.resources.find((r) => r.name === 'shared-pool');
    expect(shared?.components).toEqual([{ name: '901', instanceCount: 0, capacity: 'shared' }]);
    const fraud = c.resources.find((r) => r.name === 'fraud-vertex');
    expect(fraud?.tags).toEqual({ team: 'fraud' });
    expect(fraud?.components[0]).toMatchObject({ instanceType: 'n1-standard-4', instanceCount: 2, accelerator: { type: 'NVIDIA_TESLA_T4', count: 1 } });
    const heartbeat = c.usage.filter((u) => u.resourceId === c.resources.find((r) => r.name === 'heartbeat-only')?.id);
    expect(heartbeat.find((u) => u.signal === 'requests')?.status).toBe('absent');
    expect(heartbeat.find((u) => u.signal === 'heartbeat')?.status).toBe('present');
    // Utilization arrives as a fraction and is read as percent.
    expect(c.usage.find((u) => u.component === '601' && u.signal === 'cpu')?.points[0]?.value).toBeCloseTo(40);
  });

  it('judges each case: idle (zeros, high), heartbeat only (medium), busy, batch, new, no data (unknown), shared (not judged), Workbench, long job', async () => {
    const { sandbox } = await setup();
    const r = await scan(sandbox);
    const f = r.findings;
    expect(about(f, 'idle-endpoint', 'fraud-vertex')).toMatchObject({ state: 'violation', confidence: 'high' });
    expect(about(f, 'idle-endpoint', 'fraud-vertex')?.waste?.arithmetic).toBe(
      '((n1-standard-4 $0.2186/h + 1 × NVIDIA_TESLA_T4 $0.4025/h) × 2 + n1-standard-4 $0.2186/h × 1) × 730 h = $1,066.38/month',
    );
    expect(about(f, 'idle-endpoint', 'heartbeat-only')).toMatchObject({ state: 'violation', confidence: 'medium' });
    expect(about(f, 'idle-endpoint', 'no-data')?.state).toBe('unknown');
    for (const name of ['search-vertex', 'nightly-batch', 'brand-new', 'shared-pool']) expect(about(f, 'idle-endpoint', name)).toBeUndefined();
    expect(r.stats.notJudged).toContainEqual(expect.objectContaining({ resource: 'shared-pool', ruleId: 'idle-endpoint' }));
    expect(about(f, 'underused-endpoint', 'search-vertex')?.waste?.arithmetic).toBe('(2 − 1) × NVIDIA_TESLA_T4 $0.4025/h × 1 × 730 h = $293.83/month');
    expect(about(f, 'idle-notebook', 'idle-nb')).toMatchObject({ state: 'violation', confidence: 'high' });
    expect(about(f, 'idle-notebook', 'idle-nb')?.waste?.priceSource).toContain('bundled notebook price table');
    const unguarded = about(f, 'idle-notebook', 'busy-nb');
    expect(unguarded?.notifyOnly).toBeDefined();
    expect(r.proposals.find((p) => p.resource.name === 'busy-nb')).toBeUndefined();
    expect(about(f, 'idle-notebook', 'guarded-nb')).toBeUndefined();
    const job = about(f, 'long-training-job', 'llm-finetune');
    expect(job?.waste?.arithmetic).toContain('(a2-highgpu-1g $0.8465/h + 1 × NVIDIA_TESLA_A100 $2.9339/h) × 2');
    expect(about(f, 'long-training-job', 'short-job')).toBeUndefined();
    expect(r.proposals.map((p) => p.kind).sort()).toEqual(['gcp.vertex.cancel-custom-job', 'gcp.vertex.undeploy-models', 'gcp.vertex.undeploy-models', 'gcp.workbench.stop-instance']);
  });

  it('reports a project it cannot read and still reports the others', async () => {
    const { sandbox } = await setup();
    sandbox.faults.add({ service: '*', kind: 'access-denied', project: OTHER });
    const r = await scan(sandbox);
    const failed = r.findings.filter((f) => f.state === 'failure');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((f) => f.scopeId === OTHER)).toBe(true);
    expect(failed[0]?.evidence[0]).toContain('PERMISSION_DENIED');
    expect(about(r.findings, 'idle-endpoint', 'fraud-vertex')?.state).toBe('violation');
  });

  it('retries 429 RESOURCE_EXHAUSTED and 503 until the call goes through', async () => {
    const { sandbox, provider } = await setup();
    sandbox.faults.add({ service: 'monitoring', operation: 'ListTimeSeries', kind: 'throttle', times: 3 });
    sandbox.faults.add({ service: 'aiplatform', operation: 'ListEndpoints', kind: 'server-error', status: 503, times: 2 });
    const c = await provider.collect({ scope: { cloud: 'gcp', id: PROJECT }, regions: ['us-central1'] }, { now: sandbox.clock.now(), lookbackHours: 336 });
    expect(c.failures).toEqual([]);
    expect(sandbox.faults.injected()).toEqual({ 'monitoring.ListTimeSeries:throttle': 3, 'aiplatform.ListEndpoints:server-error': 2 });
    expect(c.resources.filter((r) => r.kind === 'gcp.vertex.endpoint')).toHaveLength(7);
  });

  it('gives up after its attempts and reports the throttled metric as a failure, not as zero usage', async () => {
    const { sandbox, provider } = await setup();
    sandbox.faults.add({ service: 'monitoring', operation: 'ListTimeSeries', kind: 'throttle' });
    const c = await provider.collect({ scope: { cloud: 'gcp', id: PROJECT }, regions: ['us-central1'] }, { now: sandbox.clock.now(), lookbackHours: 336 });
    expect(c.failures.map((f) => f.operation)).toContain('monitoring:ListTimeSeries');
    expect(c.usage.every((u) => u.status === 'error' && u.points.length === 0)).toBe(true);
  });
});

describe('gcp provider: actions and undo round trips', () => {
  async function resource(provider: GcpProvider, sandbox: Sandbox, name: string): Promise<Resource> {
    const c = await provider.collect({ scope: { cloud: 'gcp', id: PROJECT }, regions: ['us-central1'] }, { now: sandbox.clock.now(), lookbackHours: 48 });
    const r = c.resources.find((x) => x.name === name);
    if (!r) throw new Error(`no ${name}`);
    return r;
  }

  it('stops a Workbench instance and starts it again on undo', async () => {
    const { sandbox, provider } = await setup();
    const nb = await resource(provider, sandbox, 'idle-nb');
    const saved = await provider.captureUndo('gcp.workbench.stop-instance', nb);
    await provider.perform('gcp.workbench.stop-instance', nb, {});
    expect((await provider.describe(refOf(nb)))?.state).toBe('STOPPED');
    const out = await provider.undo('gcp.workbench.stop-instance', refOf(nb), saved);
    expect(out.summary).toContain('started');
    expect((await provider.describe(refOf(nb)))?.lifecycle).toBe('running');
  });

  it('sets the idle shutdown, keeping the other metadata, and restores its absence on undo', async () => {
    const { sandbox, provider } = await setup();
    const nb = await resource(provider, sandbox, 'busy-nb');
    const saved = await provider.captureUndo('gcp.workbench.set-idle-shutdown', nb);
    expect(saved['previous']).toBeNull();
    await provider.perform('gcp.workbench.set-idle-shutdown', nb, { idleTimeoutSeconds: 3600 });
    const set = await provider.describe(refOf(nb));
    expect(set?.attributes['idleTimeoutSeconds']).toBe(3600);
    await provider.undo('gcp.workbench.set-idle-shutdown', refOf(nb), saved);
    expect((await provider.describe(refOf(nb)))?.attributes['idleShutdown']).toBe(false);
    await expect(provider.perform('gcp.workbench.set-idle-shutdown', nb, { idleTimeoutSeconds: 5 })).rejects.toThrow(/600 to 604800/);
  });

  it('undeploys only the dedicated models, keeping a shared one deployed with all the traffic, and redeploys them on undo', async () => {
    const { sandbox, provider } = await setup();
    const clients = gcpClientFactory({ auth: { authClient: staticTokenAuth('t') }, endpoint: sandbox.gcp })({ projectId: PROJECT, region: 'us-central1' });
    const name = `projects/${PROJECT}/locations/us-central1/endpoints/1001`;
    // Add a shared model with no traffic next to the two dedicated ones.
    const [op] = await clients.endpoints.deployModel({ endpoint: name, deployedModel: { id: '555', model: 'projects/1/locations/us-central1/models/9', sharedResources: 'projects/1/locations/us-central1/deploymentResourcePools/p' }, trafficSplit: {} });
    await op.promise();
    const ep = await resource(provider, sandbox, 'fraud-vertex');
    const saved = await provider.captureUndo('gcp.vertex.undeploy-models', ep);
    await provider.perform('gcp.vertex.undeploy-models', ep, {});
    const [mid] = await clients.endpoints.getEndpoint({ name });
    expect(mid.deployedModels?.map((m) => m.id)).toEqual(['555']);
    expect(mid.trafficSplit).toEqual({ '555': 100 });
    await provider.undo('gcp.vertex.undeploy-models', refOf(ep), saved);
    const [back] = await clients.endpoints.getEndpoint({ name });
    expect(back.trafficSplit).toEqual({ '501': 70, '502': 30 });
    expect(back.deployedModels?.map((m) => m.id).sort()).toEqual(['501', '502', '555']);
    // A second undo finds nothing to do.
    expect((await provider.undo('gcp.vertex.undeploy-models', refOf(ep), saved)).summary).toContain('nothing to undo');
  });

  it('cancels a custom job, which has no undo', async () => {
    const { sandbox, provider } = await setup();
    const job = await resource(provider, sandbox, 'llm-finetune');
    const saved = await provider.captureUndo('gcp.vertex.cancel-custom-job', job);
    expect(saved['jobName']).toBe(job.id);
    await provider.perform('gcp.vertex.cancel-custom-job', job, {});
    expect((await provider.describe(refOf(job)))?.state).toBe('JOB_STATE_CANCELLED');
    await expect(provider.undo('gcp.vertex.cancel-custom-job', refOf(job), saved)).rejects.toThrow(/cannot be undone/);
    await expect(provider.perform('gcp.vertex.undeploy-models', job, {})).rejects.toThrow(/applies to gcp.vertex.endpoint/);
  });
});
