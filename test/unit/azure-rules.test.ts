import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import type { UsageSeries, UsageSignal } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { idleCluster } from '../../shared/rules/idle-cluster.js';
import { idleEndpoint } from '../../shared/rules/idle-endpoint.js';
import { idleNotebook } from '../../shared/rules/idle-notebook.js';
import { underusedEndpoint } from '../../shared/rules/underused-endpoint.js';

const now = new Date('2025-06-18T12:00:00Z'); // a Wednesday
const HOUR = 3_600_000;
const prices = new PriceBook();
const WS = '/subscriptions/3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

function cluster(attributes: Resource['attributes'] = {}, over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'azure',
    scope: { cloud: 'azure', id: '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70' },
    region: 'eastus',
    kind: 'azure.ml.compute-cluster',
    id: `${WS}/computes/gpu`,
    name: 'gpu',
    tags: {},
    state: 'Succeeded/Steady',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 30 * 24 * HOUR),
    components: [{ name: 'nodes', instanceType: 'Standard_NC6s_v3', instanceCount: 2, capacity: 'provisioned' }],
    attributes: { minNodes: 2, maxNodes: 4, currentNodes: 2, vmPriority: 'Dedicated', ...attributes },
    ...over,
  };
}

function hourly(signal: UsageSignal, values: number[] | 'absent' | 'error', component?: string, resourceId = `${WS}/computes/gpu`): UsageSeries {
  const points = Array.isArray(values) ? values.map((v, i) => ({ at: new Date(now.getTime() - (values.length - i) * HOUR), value: v })) : [];
  return {
    resourceId,
    ...(component ? { component } : {}),
    signal,
    metric: 'm',
    unit: 'Count',
    window: { start: new Date(now.getTime() - 336 * HOUR), end: now },
    periodSeconds: 3600,
    status: Array.isArray(values) ? 'present' : values,
    points,
    ...(values === 'error' ? { error: 'metrics:getBatch failed: 429' } : {}),
  };
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const settings = { windowHours: 24 };

describe('idle-cluster rule', () => {
  it('is idle with high confidence when Active Nodes is zero for the whole window, priced at min nodes × VM price', () => {
    const r = idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', zeros(48)), hourly('heartbeat', zeros(48).map(() => 2))], settings, now, prices });
    expect(r).toMatchObject({ state: 'violation', confidence: 'high', waste: { monthly: { amount: 4467.6, currency: 'USD' }, arithmetic: 'Standard_NC6s_v3 $3.06/h × 2 × 730 h = $4,467.60/month' } });
  });

  it('prices the minimum nodes, not the nodes a job scaled it to', () => {
    const r = idleCluster.evaluate({ resource: cluster({ minNodes: 1, currentNodes: 3 }, { components: [{ name: 'nodes', instanceType: 'Standard_NC6s_v3', instanceCount: 3, capacity: 'provisioned' }] }), usage: [hourly('requests', zeros(24))], settings, now, prices });
    expect(r).toMatchObject({ state: 'violation', waste: { monthly: { amount: 2233.8 } } });
  });

  it('is not idle when a node ran a job in the window, and names the last one otherwise', () => {
    const busy = idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', [...zeros(20), 1, 0, 0, 0])], settings, now, prices });
    // Busy until the job's hour (ending 3 h ago) leaves the 24 h window: the activity watermark.
    expect(busy).toMatchObject({ state: 'ok', activeUntil: new Date(now.getTime() + 21 * HOUR) });
    const lastWeek = idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', [1, ...zeros(60)])], settings, now, prices });
    expect(lastWeek).toMatchObject({ state: 'violation', lastActivity: new Date(now.getTime() - 60 * HOUR) });
  });

  it('is medium when Active Nodes is absent but Idle Nodes shows nodes, and unknown when both are absent or failed', () => {
    expect(idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', 'absent'), hourly('heartbeat', zeros(24).map(() => 2))], settings, now, prices })).toMatchObject({ state: 'violation', confidence: 'medium' });
    expect(idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', 'absent'), hourly('heartbeat', 'absent')], settings, now, prices }).state).toBe('unknown');
    const failed = idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', 'error'), hourly('heartbeat', 'error')], settings, now, prices });
    expect(failed).toMatchObject({ state: 'unknown', evidence: expect.arrayContaining([expect.stringContaining('could not be read')]) });
  });

  it('is medium when the zeros cover only part of the window', () => {
    expect(idleCluster.evaluate({ resource: cluster(), usage: [hourly('requests', zeros(12))], settings, now, prices })).toMatchObject({ state: 'violation', confidence: 'medium' });
  });

  it('leaves alone a cluster that scales to zero, a young one, and gives no dollar figure for low-priority nodes', () => {
    expect(idleCluster.evaluate({ resource: cluster({ minNodes: 0 }), usage: [hourly('requests', zeros(48))], settings, now, prices }).state).toBe('not-applicable');
    expect(idleCluster.evaluate({ resource: cluster({}, { createdAt: new Date(now.getTime() - 3 * HOUR) }), usage: [hourly('requests', zeros(48))], settings, now, prices }).state).toBe('not-applicable');
    const low = idleCluster.evaluate({ resource: cluster({ vmPriority: 'LowPriority' }), usage: [hourly('requests', zeros(48))], settings, now, prices });
    expect(low.state).toBe('violation');
    expect(low.state === 'violation' && low.waste).toBeUndefined();
  });
});

function instance(attributes: Resource['attributes'] = {}, runningHours = 72): Resource {
  return {
    ...cluster(),
    kind: 'azure.ml.compute-instance',
    id: `${WS}/computes/ci`,
    name: 'ci',
    state: 'Running',
    components: [{ name: 'instance', instanceType: 'Standard_DS3_v2', instanceCount: 1, capacity: 'provisioned' }],
    attributes: { idleTimeBeforeShutdown: null, idleShutdownMinutes: null, stopSchedules: 0, stopScheduleCrons: null, runningSince: new Date(now.getTime() - runningHours * HOUR).toISOString(), ...attributes },
  };
}

describe('idle-notebook rule on Azure ML compute instances', () => {
  const base = { windowHours: 2, cpuBelowPercent: 5 };
  const nights = { start: '22:00', end: '06:00', timezone: 'UTC' };

  it('trusts an idle shutdown or a stop schedule', () => {
    expect(idleNotebook.evaluate({ resource: instance({ idleTimeBeforeShutdown: 'PT30M', idleShutdownMinutes: 30 }), usage: [], settings: { ...base, quietHours: nights }, now, prices }).state).toBe('not-applicable');
    expect(idleNotebook.evaluate({ resource: instance({ stopSchedules: 1, stopScheduleCrons: '0 19 * * *' }), usage: [], settings: { ...base, quietHours: nights }, now, prices }).state).toBe('not-applicable');
  });

  it('proposes a stop (medium) when it ran through the quiet hours with no idle shutdown', () => {
    const r = idleNotebook.evaluate({ resource: instance(), usage: [], settings: { ...base, quietHours: nights }, now, prices });
    expect(r).toMatchObject({ state: 'violation', confidence: 'medium', waste: { monthly: { amount: 213.89 } } });
  });

  it('reports, without acting, an instance running with no idle shutdown when nothing else is certain', () => {
    const r = idleNotebook.evaluate({ resource: instance(), usage: [], settings: base, now, prices });
    expect(r).toMatchObject({ state: 'unknown', title: expect.stringContaining('no idle shutdown configured') });
    const started = idleNotebook.evaluate({ resource: instance({}, 5), usage: [], settings: { ...base, quietHours: nights }, now, prices });
    expect(started.state).toBe('unknown');
  });
});

describe('idle-endpoint rule on Azure ML online endpoints', () => {
  const ep: Resource = {
    ...cluster(),
    kind: 'azure.ml.online-endpoint',
    id: `${WS}/onlineEndpoints/ep`,
    name: 'ep',
    state: 'Succeeded',
    components: [
      { name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: 2, capacity: 'provisioned' },
      { name: 'green', instanceType: 'Standard_DS3_v2', instanceCount: 1, capacity: 'provisioned' },
    ],
    attributes: {},
  };
  const s = { windowHours: 24, minAgeHours: 24 };

  it('is idle only when every deployment is, in Azure words', () => {
    const usage = [hourly('requests', zeros(48), 'blue', ep.id), hourly('requests', zeros(48), 'green', ep.id)];
    const r = idleEndpoint.evaluate({ resource: ep, usage, settings: s, now, prices });
    expect(r).toMatchObject({ state: 'violation', confidence: 'high', title: 'endpoint ep had 0 requests in 24 h' });
    expect(r.state === 'violation' && r.evidence).toContain("deployment blue: RequestsPerMinute datapoints present, all zero (24 of the window's 24 hourly periods)");
    const oneBusy = idleEndpoint.evaluate({ resource: ep, usage: [hourly('requests', zeros(48), 'blue', ep.id), hourly('requests', [...zeros(47), 3], 'green', ep.id)], settings: s, now, prices });
    // The last request's hour ended now: busy for another whole window (the activity watermark).
    expect(oneBusy).toMatchObject({ state: 'ok', evidence: ['3 requests in 24 h'], activeUntil: new Date(now.getTime() + 24 * HOUR) });
  });

  it('is unknown when one deployment has neither requests nor heartbeat', () => {
    const r = idleEndpoint.evaluate({ resource: ep, usage: [hourly('requests', zeros(48), 'blue', ep.id), hourly('requests', 'absent', 'green', ep.id), hourly('heartbeat', 'absent', 'green', ep.id)], settings: s, now, prices });
    expect(r).toMatchObject({ state: 'unknown' });
    expect(r.state === 'unknown' && r.evidence[0]).toBe('deployment green: no RequestsPerMinute and no CpuUtilizationPercentage datapoints in the window');
  });
});

describe('underused-endpoint rule on Azure ML online endpoints', () => {
  const ep = (instanceType: string, count = 2): Resource => ({
    ...cluster(),
    kind: 'azure.ml.online-endpoint',
    id: `${WS}/onlineEndpoints/ep`,
    name: 'ep',
    state: 'Succeeded',
    components: [{ name: 'blue', instanceType, instanceCount: count, capacity: 'provisioned' }],
    attributes: {},
  });
  const s = { windowHours: 168, cpuBelowPercent: 10, gpuBelowPercent: 10 };
  const busy = hourly('requests', Array.from({ length: 168 }, () => 30), 'blue', `${WS}/onlineEndpoints/ep`);

  it('reads CpuUtilizationPercentage as a share of the whole instance and suggests the next size down with the saving', () => {
    const cpu = hourly('cpu', Array.from({ length: 168 }, () => 4), 'blue', `${WS}/onlineEndpoints/ep`);
    const r = underusedEndpoint.evaluate({ resource: ep('Standard_DS3_v2'), usage: [busy, cpu], settings: s, now, prices });
    expect(r).toMatchObject({ state: 'violation', waste: { monthly: { amount: round2((0.293 - 0.146) * 2 * 730) }, arithmetic: '(Standard_DS3_v2 $0.293/h − Standard_DS2_v2 $0.146/h) × 2 × 730 h = $214.62/month' } });
    expect(r.state === 'violation' && r.evidence[0]).toMatch(/^deployment blue: Standard_DS3_v2 × 2: CpuUtilizationPercentage averaged 4% of its 4 vCPUs/);
  });

  it('judges GPU VM sizes by GpuUtilizationPercentage and says when there is no smaller size with the same GPUs', () => {
    const gpu = hourly('gpu', Array.from({ length: 168 }, () => 3), 'blue', `${WS}/onlineEndpoints/ep`);
    const r = underusedEndpoint.evaluate({ resource: ep('Standard_NC6s_v3', 1), usage: [busy, gpu, hourly('cpu', Array.from({ length: 168 }, () => 5), 'blue', `${WS}/onlineEndpoints/ep`)], settings: s, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.evidence.join(' ')).toContain('consider a smaller VM series');
    expect(r.state === 'violation' && r.waste).toBeUndefined();
  });

  it('is unknown without utilization data, never zero', () => {
    const r = underusedEndpoint.evaluate({ resource: ep('Standard_DS3_v2'), usage: [busy, hourly('cpu', 'absent', 'blue', `${WS}/onlineEndpoints/ep`)], settings: s, now, prices });
    expect(r.state).toBe('unknown');
  });
});

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
