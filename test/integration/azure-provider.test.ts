import { FOREIGN_PROVIDERS } from '../../shared/app/compose-azure.js';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { refOf, type Resource } from '../../shared/domain/resource.js';
import { undoProposal } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { azureClientFactory, sandboxAzureCredential } from '../../shared/providers/azure/clients.js';
import { AzureProvider } from '../../shared/providers/azure/provider.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const A = '0a1b2c3d-0000-4000-8000-00000000000a';
const B = '0a1b2c3d-0000-4000-8000-00000000000b';
const NOW = new Date('2026-11-28T12:00:00Z');

function world(extra: Partial<WorldInput> = {}): WorldInput {
  return {
    version: 1,
    now: NOW.toISOString(),
    azure: {
      subscriptions: [
        {
          id: A,
          name: 'prod',
          resourceGroups: {
            'rg-a': {
              workspaces: [
                {
                  name: 'ws-a',
                  location: 'eastus',
                  onlineEndpoints: [
                    {
                      name: 'idle-ep',
                      tags: { team: 'fraud' },
                      deployments: [
                        { name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: 2, traffic: 80, model: 'azureml:fraud:3', scaleSettings: { scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 3 }, tags: { v: '3' }, metrics: { requests: { constant: 0 }, cpu: { constant: 2 } } },
                        { name: 'green', instanceType: 'Standard_DS2_v2', traffic: 20, metrics: { requests: { constant: 0 }, cpu: { constant: 1 } } },
                      ],
                    },
                    { name: 'busy-ep', deployments: [{ name: 'main', instanceType: 'Standard_DS3_v2', traffic: 100, metrics: { requests: { constant: 5 }, cpu: { constant: 40 } } }] },
                  ],
                  computeInstances: [
                    { name: 'ci-open', vmSize: 'Standard_DS3_v2', runningSince: '-2d' },
                    { name: 'ci-auto', vmSize: 'Standard_DS3_v2', idleTimeBeforeShutdown: 'PT45M' },
                  ],
                  computeClusters: [
                    { name: 'gpu', vmSize: 'Standard_NC6s_v3', minNodes: 2, maxNodes: 4, metrics: { activeNodes: { constant: 0 }, idleNodes: { constant: 2 } } },
                    { name: 'jobs', vmSize: 'Standard_D4s_v3', minNodes: 1, maxNodes: 4, metrics: { activeNodes: { constant: 1, from: '-3h' }, idleNodes: { constant: 0 } } },
                  ],
                },
              ],
            },
            'rg-other': { workspaces: [{ name: 'ws-other', location: 'eastus', computeClusters: [{ name: 'other', vmSize: 'Standard_D4s_v3', minNodes: 1, metrics: { activeNodes: { constant: 0 } } }] }] },
          },
        },
        {
          id: B,
          name: 'dev',
          resourceGroups: { 'rg-b': { workspaces: [{ name: 'ws-b', location: 'westeurope', computeClusters: [{ name: 'dev', vmSize: 'Standard_D4s_v3', minNodes: 1, metrics: { activeNodes: { constant: 0 } } }] }] } },
        },
      ],
    },
    ...extra,
  };
}

function policy(yaml = '', subs = `      - { id: ${A}, name: prod }\n      - { id: ${B}, name: dev }`): Policy {
  return parsePolicy(`version: 1\nclouds:\n  azure:\n    subscriptions:\n${subs}\n${yaml}`, 'test.yml', { now: NOW }).policy;
}

let sandbox: Sandbox | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
  sandbox = undefined;
  store = undefined;
});

async function start(w: WorldInput = world(), pageSize = 100) {
  sandbox = await startSandbox({ world: defineWorld(w), azurePageSize: pageSize });
  store = await openMemoryStore();
  return sandbox;
}

function provider(sb: Sandbox, options: ConstructorParameters<typeof AzureProvider>[1] = {}) {
  return new AzureProvider(
    azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sb.azureEndpoint, metricsEndpoint: () => sb.azureEndpoint, ca: sb.azureCa, pollIntervalMs: 1, retry: { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 } }),
    { now: () => sb.clock.now(), ...options },
  );
}

async function scan(sb: Sandbox, p: Policy, dryRun = false) {
  const providers = buildProviders(p, sandboxProviderEndpoints(sb), FOREIGN_PROVIDERS);
  const opts = scanOptionsFor(p, { now: () => sb.clock.now(), dryRun });
  const deps = { providers, store: store!, clock: sb.clock, prices: priceBook(p) };
  return { report: await runScan(opts, deps), deps };
}

const COLLECT = { now: NOW, lookbackHours: 336 };

describe('Azure provider on the sandbox cloud', () => {
  it('lists endpoints with their deployments, compute instances and clusters, following nextLink pages', async () => {
    const sb = await start(world(), 1);
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);

    expect(c.failures).toEqual([]);
    const byName = new Map(c.resources.map((r) => [r.name, r]));
    expect([...byName.keys()].sort()).toEqual(['busy-ep', 'ci-auto', 'ci-open', 'gpu', 'idle-ep', 'jobs', 'other']);
    const ep = byName.get('idle-ep')!;
    expect(ep).toMatchObject({ kind: 'azure.ml.online-endpoint', region: 'eastus', lifecycle: 'running', tags: { team: 'fraud' } });
    expect(ep.components).toEqual([
      { name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: 2, capacity: 'provisioned', scaling: { min: 1, max: 3, source: 'Azure ML scaleSettings (TargetUtilization: minInstances, maxInstances)' } },
      { name: 'green', instanceType: 'Standard_DS2_v2', instanceCount: 1, capacity: 'provisioned' },
    ]);
    expect(JSON.parse(String(ep.attributes['deployments']))[0]).toMatchObject({ scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 3, traffic: 80 });
    expect(byName.get('ci-auto')?.attributes).toMatchObject({ idleTimeBeforeShutdown: 'PT45M', idleShutdownMinutes: 45 });
    expect(byName.get('gpu')?.attributes).toMatchObject({ minNodes: 2, maxNodes: 4, currentNodes: 2, vmPriority: 'Dedicated' });
    // Two workspaces, one Compute_List each (pages of one) shared by the instance and cluster kinds.
    expect(sb.calls()['machinelearning.Compute_List']).toBe(5);
  });

  it('reads usage with one metrics batch per namespace and aggregation, not one call per resource', async () => {
    const many = world();
    const ws = many.azure!.subscriptions![0]!.resourceGroups!['rg-a']!.workspaces![0]!;
    ws.onlineEndpoints = Array.from({ length: 3 }, (_, e) => ({
      name: `ep-${e}`,
      deployments: Array.from({ length: 20 }, (_, d) => ({ name: `d${d}`, instanceType: 'Standard_DS2_v2', traffic: d === 0 ? 100 : 0, metrics: { requests: { constant: 0 }, cpu: { constant: 1 } } })),
    }));
    const sb = await start(many);
    const p = provider(sb);
    const c = await p.collect({ scope: { cloud: 'azure', id: A }, regions: ['eastus'] }, COLLECT);

    // 60 deployments: requests on 3 endpoints (1 call), CPU+GPU on 60 deployments (2 calls of ≤ 50), node metrics on 2 workspaces (1 call).
    expect(sb.calls()['monitor.Metrics_Batch']).toBe(4);
    const requests = c.usage.filter((u) => u.signal === 'requests' && u.resourceId.endsWith('/ep-2'));
    expect(requests).toHaveLength(20);
    expect(requests.every((u) => u.status === 'present' && u.points.every((pt) => pt.value === 0))).toBe(true);
    const gpu = c.usage.find((u) => u.signal === 'gpu' && u.component === 'd3');
    expect(gpu?.status).toBe('absent'); // never published: no data, not zeros
  });

  it('makes no Azure call when the plan judges no Azure kind, and lists and queries only what it plans', async () => {
    const sb = await start();
    const p = provider(sb);
    const target = { scope: { cloud: 'azure' as const, id: A }, regions: [] };
    const none = await p.collect(target, { ...COLLECT, plan: { kinds: { 'aws.sagemaker.endpoint': ['requests', 'heartbeat'] }, billing: [] } });
    expect(none).toMatchObject({ resources: [], usage: [], failures: [] });
    const made = () => Object.entries(sb.calls()).filter(([, n]) => n > 0).map(([k]) => k);
    expect(made().filter((k) => k.startsWith('machinelearning.') || k.startsWith('monitor.'))).toEqual([]);

    // idle-cluster's plan: clusters only, their node metrics only.
    const c = await p.collect(target, { ...COLLECT, plan: { kinds: { 'azure.ml.compute-cluster': ['requests', 'heartbeat'] }, billing: [] } });
    expect(c.failures).toEqual([]);
    expect(new Set(c.resources.map((r) => r.kind))).toEqual(new Set(['azure.ml.compute-cluster']));
    expect(made().filter((k) => /OnlineEndpoints|OnlineDeployments/.test(k))).toEqual([]);
    expect(sb.calls()['monitor.Metrics_Batch']).toBe(1);
    expect(new Set(c.usage.map((u) => u.signal))).toEqual(new Set(['requests', 'heartbeat']));
    expect(c.usage.every((u) => u.resourceId.includes('/computes/'))).toBe(true);

    // Endpoints for their requests only: no deployment CPU or GPU metric is asked.
    const before = p.meter.series;
    const e = await p.collect(target, { ...COLLECT, plan: { kinds: { 'azure.ml.online-endpoint': ['requests'] }, billing: [] } });
    expect(e.usage.map((u) => u.signal)).toEqual(['requests', 'requests', 'requests']);
    expect(p.meter.series - before).toBe(2); // RequestsPerMinute of the 2 endpoints, split by deployment
  });

  it('lists a resource whose usage is not due but does not read its usage', async () => {
    const sb = await start();
    const p = provider(sb);
    const target = { scope: { cloud: 'azure' as const, id: A }, regions: [] };
    const c = await p.collect(target, { ...COLLECT, usageDue: (r) => r.name !== 'idle-ep' && r.kind !== 'azure.ml.compute-cluster' });
    expect(c.resources.map((r) => r.name)).toContain('idle-ep');
    const read = new Set(c.usage.map((u) => u.resourceId.split('/').pop()));
    expect(read.has('idle-ep')).toBe(false);
    expect(read.has('busy-ep')).toBe(true);
    // No cluster is due: the workspace node metrics are not asked at all.
    expect(c.usage.some((u) => u.resourceId.includes('/computes/'))).toBe(false);
    expect(p.meter.series).toBe(3); // busy-ep's one deployment: requests, CPU, GPU

    const none = provider(sb);
    await none.collect(target, { ...COLLECT, usageDue: () => false });
    expect(none.meter.calls).toBe(0);
  });

  it('reads a kind at the interval its shortest rule window needs', async () => {
    const sb = await start();
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { ...COLLECT, usageWindowHours: { 'azure.ml.compute-cluster': [2, 24] } });
    const nodes = c.usage.filter((u) => u.resourceId.includes('/computes/'));
    expect(nodes.length).toBeGreaterThan(0);
    // 2 h in 24 periods at least: 5 min, over the longest window (24 h); other kinds stay hourly over the look-back.
    expect(nodes.every((u) => u.periodSeconds === 300 && u.window.end.getTime() - u.window.start.getTime() === 24 * 3_600_000)).toBe(true);
    expect(c.usage.filter((u) => u.resourceId.includes('/onlineEndpoints/')).every((u) => u.periodSeconds === 3600)).toBe(true);
  });

  it('deletes every deployment of an idle endpoint and re-creates them from their saved specs with the traffic split on undo', async () => {
    const sb = await start();
    const p = provider(sb);
    const ep = (await p.collect({ scope: { cloud: 'azure', id: A }, regions: ['eastus'] }, COLLECT)).resources.find((r) => r.name === 'idle-ep')!;
    const clients = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sb.azureEndpoint, ca: sb.azureCa })(A);
    const before = await clients.ml.onlineDeployments.get('rg-a', 'ws-a', 'idle-ep', 'blue');

    const saved = await p.captureUndo('azure.ml.delete-online-deployments', ep);
    const done = await p.perform('azure.ml.delete-online-deployments', ep, {});

    expect(done.summary).toContain('deleted deployments blue, green of endpoint idle-ep');
    expect((await p.describe(refOf(ep)))?.components).toEqual([]);
    expect(sb.calls()['machinelearning.OnlineDeployments_Delete']).toBe(2);

    await p.undo('azure.ml.delete-online-deployments', refOf(ep), JSON.parse(JSON.stringify(saved)) as Record<string, unknown>);

    const back = await p.describe(refOf(ep));
    expect(back?.components).toEqual(ep.components);
    expect(JSON.parse(String(back?.attributes['traffic']))).toEqual({ blue: 80, green: 20 });
    const after = await clients.ml.onlineDeployments.get('rg-a', 'ws-a', 'idle-ep', 'blue');
    expect({ sku: after.sku, properties: after.properties, tags: after.tags }).toEqual({ sku: before.sku, properties: before.properties, tags: before.tags });
  });

  it('lowers a cluster minimum to 0 and restores it on undo', async () => {
    const sb = await start();
    const p = provider(sb);
    const gpu = (await p.collect({ scope: { cloud: 'azure', id: A }, regions: ['eastus'] }, COLLECT)).resources.find((r) => r.name === 'gpu')!;

    const saved = await p.captureUndo('azure.ml.set-cluster-min-nodes-zero', gpu);
    await p.perform('azure.ml.set-cluster-min-nodes-zero', gpu, {});
    const lowered = await p.describe(refOf(gpu));
    expect(lowered?.attributes).toMatchObject({ minNodes: 0, maxNodes: 4, currentNodes: 0 });
    await expect(p.captureUndo('azure.ml.set-cluster-min-nodes-zero', lowered!)).rejects.toThrow(/already 0/);

    await p.undo('azure.ml.set-cluster-min-nodes-zero', refOf(gpu), saved);
    expect((await p.describe(refOf(gpu)))?.attributes).toMatchObject({ minNodes: 2, maxNodes: 4, currentNodes: 2 });
  });

  it('sets a compute instance idle shutdown and restores the previous setting (none, or a value) on undo', async () => {
    const sb = await start();
    const p = provider(sb);
    const all = (await p.collect({ scope: { cloud: 'azure', id: A }, regions: ['eastus'] }, COLLECT)).resources;
    const open = all.find((r) => r.name === 'ci-open')!;
    const auto = all.find((r) => r.name === 'ci-auto')!;

    for (const [r, previous] of [[open, null], [auto, 'PT45M']] as [Resource, string | null][]) {
      const saved = await p.captureUndo('azure.ml.set-idle-shutdown', r);
      await p.perform('azure.ml.set-idle-shutdown', r, { minutes: 90 });
      expect((await p.describe(refOf(r)))?.attributes['idleTimeBeforeShutdown']).toBe('PT1H30M');
      await p.undo('azure.ml.set-idle-shutdown', refOf(r), saved);
      expect((await p.describe(refOf(r)))?.attributes['idleTimeBeforeShutdown']).toBe(previous);
    }
    expect(sb.calls()['machinelearning.Compute_UpdateIdleShutdownSetting']).toBe(4);
  });

  it('refuses an action declared for another kind', async () => {
    const sb = await start();
    const p = provider(sb);
    const ci = (await p.collect({ scope: { cloud: 'azure', id: A }, regions: ['eastus'] }, COLLECT)).resources.find((r) => r.name === 'ci-open')!;
    await expect(p.perform('azure.ml.set-cluster-min-nodes-zero', ci, {})).rejects.toThrow(/applies to azure.ml.compute-cluster/);
  });

  it('reads only the resource groups the policy names', async () => {
    const sb = await start();
    const p = provider(sb, { resourceGroups: new Map([[A, ['rg-other']]]) });
    const c = await p.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.resources.map((r) => r.name)).toEqual(['other']);
    expect(sb.calls()['machinelearning.Workspaces_ListByResourceGroup']).toBe(1);
    expect(sb.calls()['machinelearning.Workspaces_ListBySubscription']).toBe(0);
  });
});

describe('Azure scans', () => {
  it('finds the idle endpoint, the instance without idle shutdown and the idle cluster, priced, and changes nothing in a dry run', async () => {
    const sb = await start();
    const { report } = await scan(sb, policy('rules:\n  idle-cluster: { mode: auto }'), true);

    const f = (rule: string, name: string) => report.findings.find((x) => x.ruleId === rule && x.resource?.name === name);
    expect(f('idle-endpoint', 'idle-ep')).toMatchObject({ state: 'violation', confidence: 'high', waste: { monthly: { amount: round(0.293 * 2 * 730 + 0.146 * 730), currency: 'USD' } } });
    expect(f('idle-endpoint', 'busy-ep')).toBeUndefined();
    expect(f('idle-notebook', 'ci-open')).toMatchObject({ state: 'unknown', title: expect.stringContaining('no idle shutdown configured') });
    expect(f('idle-notebook', 'ci-auto')).toBeUndefined();
    expect(f('idle-cluster', 'gpu')).toMatchObject({ state: 'violation', confidence: 'high', waste: { monthly: { amount: 4467.6 }, arithmetic: 'Standard_NC6s_v3 $3.06/h × 2 × 730 h = $4,467.60/month' } });
    expect(f('idle-cluster', 'jobs')).toBeUndefined();
    expect(f('idle-cluster', 'dev')).toMatchObject({ state: 'violation', scopeId: B });
    expect(report.executions.filter((e) => e.outcome === 'would-execute').length).toBeGreaterThan(0);
    expect(sb.calls()['machinelearning.Compute_Update']).toBe(0);
  });

  it('acts in auto mode and undoes through the executor', async () => {
    const sb = await start();
    const { report, deps } = await scan(sb, policy('rules:\n  idle-cluster: { mode: auto }'));

    const gpu = report.proposals.find((p) => p.resource.name === 'gpu')!;
    expect(report.executions.find((e) => e.proposalId === gpu.id)?.outcome).toBe('executed');
    expect((await deps.providers.get('azure')!.describe(gpu.resource))?.attributes['minNodes']).toBe(0);
    expect((await store!.getProposal(gpu.id))?.undoData).toMatchObject({ minNodeCount: 2, maxNodeCount: 4 });

    expect((await undoProposal(gpu.id, 'U1', deps)).outcome).toBe('undone');
    expect((await deps.providers.get('azure')!.describe(gpu.resource))?.attributes['minNodes']).toBe(2);
  });

  it('reports a subscription that cannot be read and still reports the others', async () => {
    const sb = await start();
    sb.faults.add({ service: 'machinelearning', operation: 'Workspaces_ListBySubscription', kind: 'access-denied', subscription: B });
    const { report } = await scan(sb, policy());

    const failures = report.findings.filter((f) => f.state === 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ cloud: 'azure', scopeId: B });
    expect(failures[0]?.evidence.join(' ')).toContain('AuthorizationFailed');
    expect(report.findings.some((f) => f.scopeId === A && f.ruleId === 'idle-cluster' && f.state === 'violation')).toBe(true);
  });

  it('rides out Azure Monitor throttling (429 with Retry-After) and still judges', async () => {
    const sb = await start();
    sb.faults.add({ service: 'monitor', operation: 'Metrics_Batch', kind: 'throttle', times: 2, retryAfterSeconds: 0 });
    const { report } = await scan(sb, policy('', `      - { id: ${A}, name: prod }`));

    expect(sb.faults.injected()['monitor.Metrics_Batch:throttle']).toBe(2);
    expect(report.findings.filter((f) => f.state === 'failure')).toEqual([]);
    expect(report.findings.find((f) => f.resource?.name === 'idle-ep')?.state).toBe('violation');
  });

  it('turns a metrics batch that keeps failing into a collection failure and unknown verdicts, never zeros', async () => {
    const sb = await start();
    sb.faults.add({ service: 'monitor', operation: 'Metrics_Batch', kind: 'server-error', status: 503 });
    const { report } = await scan(sb, policy('', `      - { id: ${A}, name: prod }`));

    expect(report.findings.filter((f) => f.state === 'failure')).toEqual([expect.objectContaining({ title: expect.stringContaining('monitor:Metrics_Batch'), evidence: expect.arrayContaining([expect.stringContaining('503 ServiceUnavailable')]) })]);
    expect(report.findings.find((f) => f.resource?.name === 'idle-ep')?.state).toBe('unknown');
    expect(report.findings.find((f) => f.resource?.name === 'gpu')?.state).toBe('unknown');
    expect(report.proposals).toEqual([]);
  });
});

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
