import { describe, expect, it } from 'vitest';
import type { Resource, ResourceComponent } from '../../shared/domain/resource.js';
import type { UsageSeries, UsageSignal } from '../../shared/domain/usage.js';
import { rechecked } from '../../shared/pipeline/execute.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { autoscalingFloor } from '../../shared/rules/autoscaling-floor.js';

const now = new Date('2025-06-18T12:00:00Z');
const prices = new PriceBook();
const settings = { windowHours: 168, targetUtilizationPercent: 70 };
const HOUR = 3_600_000;

function endpoint(components: ResourceComponent[], over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/chat',
    name: 'chat',
    tags: {},
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 30 * 24 * HOUR),
    components,
    attributes: { endpointConfigName: 'chat-config', asynchronous: false },
    ...over,
  };
}

const scaled = (min: number, max = 8, instanceType = 'ml.c5.2xlarge', count = min, name = 'AllTraffic'): ResourceComponent => ({
  name,
  instanceType,
  instanceCount: count,
  capacity: 'provisioned',
  scaling: { min, max, source: 'Application Auto Scaling scalable target' },
});

/** Hourly series over the window; a function gives the value of hour i (0 = oldest). */
function series(signal: UsageSignal, value: number | ((i: number) => number) | 'absent', component = 'AllTraffic'): UsageSeries {
  const hours = 168;
  const points = value === 'absent' ? [] : Array.from({ length: hours }, (_, i) => ({ at: new Date(now.getTime() - (hours - i) * HOUR), value: typeof value === 'number' ? value : value(i) }));
  return { resourceId: 'x', component, signal, metric: signal, unit: 'Count', window: { start: new Date(now.getTime() - hours * HOUR), end: now }, periodSeconds: 3600, status: value === 'absent' ? 'absent' : 'present', points };
}

/** Traffic served by `instances` instances each hour, at `cpu` per-vCPU CPU; hour 100 is the peak. */
function traffic(instances: (i: number) => number, cpu: (i: number) => number, perHour = 1000): UsageSeries[] {
  return [series('requests', (i) => perHour * instances(i)), series('requests-per-instance', () => perHour), series('cpu', cpu)];
}

describe('autoscaling-floor rule', () => {
  it('proposes the floor the peak needed, with the formula and the waste arithmetic', () => {
    // 4 instances at 240% of 8 vCPUs (30% each) at the peak: 1.2 instances of work; 2 carry it at 60% ≤ 70%.
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: traffic(() => 4, (i) => (i === 100 ? 240 : 80)), settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.parameters).toEqual({ 'min:AllTraffic': 2 });
    expect(r.confidence).toBe('high');
    expect(r.waste?.monthly).toEqual({ amount: 595.68, currency: 'USD' });
    expect(r.waste?.arithmetic).toBe('(4 − 2) × ml.c5.2xlarge $0.408/h × 730 h = $595.68/month');
    expect(r.evidence.join('\n')).toContain('needed = ⌈4 × 30% ÷ 70% target⌉ = 2');
    expect(r.evidence.join('\n')).toContain('on 4 instances (Invocations ÷ InvocationsPerInstance)');
  });

  it('reads the instances that served each period from Invocations ÷ InvocationsPerInstance, not the count now', () => {
    // Scaled out to 8 instances at the peak, each at 40%: 3.2 instances of work need 5 at 70%.
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(6, 8, 'ml.c5.2xlarge', 6)]), usage: traffic((i) => (i === 50 ? 8 : 6), (i) => (i === 50 ? 320 : 40)), settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.parameters).toEqual({ 'min:AllTraffic': 5 });
  });

  it('does not flag a floor already at the needed minimum', () => {
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(2)]), usage: traffic(() => 4, (i) => (i === 100 ? 240 : 80)), settings, now, prices });

    expect(r.state).toBe('ok');
    if (r.state === 'ok') expect(r.evidence[0]).toContain('the peak needed 2 instances, not fewer than its floor of 2');
  });

  it('knows until when a floor that fits stays needed: the last period that needed it, plus the window', () => {
    // 4 instances at 70% each need all 4 in hours 3 and 120 only: the floor holds until hour 120 leaves the window.
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: traffic(() => 4, (i) => (i === 3 || i === 120 ? 560 : 100)), settings, now, prices });
    const hour120 = now.getTime() - (168 - 120) * HOUR;
    expect(r).toMatchObject({ state: 'ok', activeUntil: new Date(hour120 + 168 * HOUR) });
    // A second variant whose floor is one never bounds it; one with no requests gives no bound at all.
    const withOne = autoscalingFloor.evaluate({
      resource: endpoint([scaled(4), scaled(1, 4, 'ml.c5.2xlarge', 1, 'Canary')]),
      usage: [...traffic(() => 4, (i) => (i === 3 || i === 120 ? 560 : 100)), series('requests', 5, 'Canary')],
      settings,
      now,
      prices,
    });
    expect(withOne).toMatchObject({ state: 'ok', activeUntil: new Date(hour120 + 168 * HOUR) });
    const withQuiet = autoscalingFloor.evaluate({
      resource: endpoint([scaled(4), scaled(2, 4, 'ml.c5.2xlarge', 2, 'Quiet')]),
      usage: [...traffic(() => 4, (i) => (i === 3 || i === 120 ? 560 : 100)), series('requests', 0, 'Quiet')],
      settings,
      now,
      prices,
    });
    expect(withQuiet.state).toBe('ok');
    expect(withQuiet).not.toHaveProperty('activeUntil');
  });

  it('needs no usage for an endpoint whose floors are all one or absent', () => {
    expect(autoscalingFloor.judges!(endpoint([scaled(1)]))).toBe(false);
    expect(autoscalingFloor.judges!(endpoint([{ name: 'AllTraffic', instanceType: 'ml.c5.2xlarge', instanceCount: 4, capacity: 'provisioned' }]))).toBe(false);
    expect(autoscalingFloor.judges!(endpoint([scaled(1), scaled(2, 4, 'ml.c5.2xlarge', 2, 'B')]))).toBe(true);
  });

  it('does not flag a floor the peak needs', () => {
    // 4 instances at 70% each at the peak: 2.8 instances of work need all 4 at 70%.
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: traffic(() => 4, (i) => (i === 3 ? 560 : 100)), settings, now, prices });

    expect(r.state).toBe('ok');
  });

  it('reads GPU utilization per GPU on GPU instances', () => {
    // ml.g5.12xlarge has 4 GPUs: 280% GPU is 70% of the instance; 3 instances at 70% need 3.
    const usage = [series('requests', 3000), series('requests-per-instance', 1000), series('cpu', 10), series('gpu', 280)];
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(3, 6, 'ml.g5.12xlarge', 3)]), usage, settings, now, prices });

    expect(r.state).toBe('ok');
  });

  it('leaves an endpoint without autoscaling, or with a floor of 1, alone', () => {
    const plain = autoscalingFloor.evaluate({ resource: endpoint([{ name: 'AllTraffic', instanceType: 'ml.c5.2xlarge', instanceCount: 4, capacity: 'provisioned' }]), usage: traffic(() => 4, () => 10), settings, now, prices });
    const one = autoscalingFloor.evaluate({ resource: endpoint([scaled(1)]), usage: traffic(() => 1, () => 10), settings, now, prices });

    expect(plain.state).toBe('not-applicable');
    expect(one.state).toBe('not-applicable');
  });

  it('reads no Invocations datapoints as unknown, never as zero traffic', () => {
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: [series('requests', 'absent'), series('cpu', 40)], settings, now, prices });

    expect(r.state).toBe('unknown');
  });

  it('cannot prove the peak when a period with requests has no utilization datapoint', () => {
    const usage = traffic(() => 4, () => 80);
    const cpu = usage[2]!;
    const gappy = { ...cpu, points: cpu.points.filter((_, i) => i !== 100) };
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: [usage[0]!, usage[1]!, gappy], settings, now, prices });

    expect(r.state).toBe('unknown');
    if (r.state === 'unknown') expect(r.evidence[0]).toContain('1 period with requests has no InvocationsPerInstance or CPUUtilization datapoint');
  });

  it('leaves an endpoint with no requests to idle-endpoint', () => {
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: [series('requests', 0), series('requests-per-instance', 0), series('cpu', 2)], settings, now, prices });

    expect(r.state).toBe('not-applicable');
  });

  it('does not judge an endpoint younger than the window', () => {
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)], { createdAt: new Date(now.getTime() - 24 * HOUR) }), usage: traffic(() => 4, () => 80), settings, now, prices });

    expect(r.state).toBe('not-applicable');
  });

  it('gives medium confidence when Invocations cover less than 90% of the window', () => {
    const [req, per, cpu] = traffic(() => 4, () => 80);
    const sparse = { ...req!, points: req!.points.filter((_, i) => i % 2 === 0) };
    const r = autoscalingFloor.evaluate({ resource: endpoint([scaled(4)]), usage: [sparse, per!, cpu!], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state === 'violation') expect(r.confidence).toBe('medium');
  });
});

describe('rechecked parameters', () => {
  it('never sets a floor below what the re-check needs, nor lower than what was approved', () => {
    expect(rechecked({ 'min:A': 2 }, { 'min:A': 3 })).toEqual({ 'min:A': 3 });
    expect(rechecked({ 'min:A': 2 }, { 'min:A': 1 })).toEqual({ 'min:A': 2 });
    // A variant the re-check no longer flags is left alone.
    expect(rechecked({ 'min:A': 2, 'min:B': 1 }, { 'min:A': 2 })).toEqual({ 'min:A': 2 });
    expect(rechecked({ x: 1 }, undefined)).toEqual({ x: 1 });
  });
});

describe('autoscaling-floor rule on Vertex AI and Azure ML', () => {
  const vertex = (c: ResourceComponent, over: Partial<Resource> = {}) =>
    endpoint([c], { cloud: 'gcp', scope: { cloud: 'gcp', id: 'p' }, region: 'us-central1', kind: 'gcp.vertex.endpoint', id: 'projects/1/locations/us-central1/endpoints/9', name: 'chat-vertex', attributes: { endpointId: '9' }, ...over });
  const azure = (c: ResourceComponent) => endpoint([c], { cloud: 'azure', scope: { cloud: 'azure', id: 's' }, region: 'eastus', kind: 'azure.ml.online-endpoint', id: '/subscriptions/s/x/onlineEndpoints/chat-az', name: 'chat-az', attributes: {} });
  const model = (min: number, machine = 'n1-standard-4', accelerator?: { type: string; count: number }): ResourceComponent => ({
    name: '51',
    instanceType: machine,
    instanceCount: min,
    capacity: 'provisioned',
    ...(accelerator ? { accelerator } : {}),
    scaling: { min, max: 8, source: 'Vertex AI dedicatedResources (minReplicaCount, maxReplicaCount)' },
  });
  const deployment = (min: number): ResourceComponent => ({ name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: min, capacity: 'provisioned', scaling: { min, max: 8, source: 'Azure ML scaleSettings (TargetUtilization: minInstances, maxInstances)' } });
  const counted = (component: string, instances: number | 'absent', cpu: number | 'absent', gpu?: number) => [
    series('requests', (i) => (i === 100 ? 900 : 100), component),
    series('instances', instances, component),
    series('cpu', cpu === 'absent' ? 'absent' : (i) => (i === 100 ? cpu : cpu / 3), component),
    ...(gpu !== undefined ? [series('gpu', (i) => (i === 100 ? gpu : 1), component)] : []),
  ];

  it('divides Vertex AI CPU by the vCPUs of the machine type and prices machine plus accelerators', () => {
    // 4 replicas at 120% CPU on 4 vCPUs = 30% each: ⌈4 × 30% ÷ 70%⌉ = 2.
    const r = autoscalingFloor.evaluate({ resource: vertex(model(4)), usage: counted('51', 4, 120), settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.parameters).toEqual({ 'min:51': 2 });
    expect(r.evidence.join('\n')).toContain('reported per vCPU and divided by 4');
    expect(r.waste?.arithmetic).toBe('(4 − 2) × n1-standard-4 $0.2186/h × 730 h = $319.16/month');
  });

  it('sizes a Vertex AI model with accelerators by the busier of CPU and duty cycle, and prices the accelerators', () => {
    // Duty cycle 50% on 4 replicas: ⌈4 × 50% ÷ 70%⌉ = 3 (CPU alone would need 1).
    const r = autoscalingFloor.evaluate({ resource: vertex(model(4, 'n1-standard-4', { type: 'NVIDIA_TESLA_T4', count: 1 })), usage: counted('51', 4, 40, 50), settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.parameters).toEqual({ 'min:51': 3 });
    expect(r.waste?.arithmetic).toBe('(4 − 3) × (n1-standard-4 $0.2186 + 1 × NVIDIA_TESLA_T4 $0.4025)/h × 730 h = $453.40/month');
  });

  it('is unknown, never zero, when a model with accelerators has no duty-cycle datapoint in a busy period', () => {
    const r = autoscalingFloor.evaluate({ resource: vertex(model(4, 'n1-standard-4', { type: 'NVIDIA_TESLA_T4', count: 1 })), usage: counted('51', 4, 40), settings, now, prices });
    expect(r.state).toBe('unknown');
  });

  it('is unknown without the replicas series, and unknown for a machine type whose vCPUs it cannot read', () => {
    expect(autoscalingFloor.evaluate({ resource: vertex(model(4)), usage: counted('51', 'absent', 120), settings, now, prices }).state).toBe('unknown');
    expect(autoscalingFloor.evaluate({ resource: vertex(model(4, 'a2-highgpu-1g')), usage: counted('51', 4, 120), settings, now, prices }).state).toBe('unknown');
  });

  it('judges an Azure ML TargetUtilization floor by DeploymentCapacity and whole-instance CPU', () => {
    const flagged = autoscalingFloor.evaluate({ resource: azure(deployment(4)), usage: counted('blue', 4, 30), settings, now, prices });
    const fits = autoscalingFloor.evaluate({ resource: azure(deployment(2)), usage: counted('blue', 2, 80), settings, now, prices });

    expect(flagged.state).toBe('violation');
    if (flagged.state !== 'violation') return;
    expect(flagged.parameters).toEqual({ 'min:blue': 2 });
    expect(flagged.waste?.arithmetic).toBe('(4 − 2) × Standard_DS3_v2 $0.293/h × 730 h = $427.78/month');
    expect(fits.state).toBe('ok');
  });

  it('does not judge an Azure ML deployment with a fixed instance count (no scaling bounds)', () => {
    const fixed: ResourceComponent = { name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: 4, capacity: 'provisioned' };
    expect(autoscalingFloor.evaluate({ resource: azure(fixed), usage: counted('blue', 4, 30), settings, now, prices }).state).toBe('not-applicable');
  });
});
