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
