import { describe, expect, it } from 'vitest';
import type { Resource, ResourceComponent } from '../../shared/domain/resource.js';
import type { UsageSeries, UsageSignal } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { underusedEndpoint } from '../../shared/rules/underused-endpoint.js';

const now = new Date('2025-06-18T12:00:00Z');
const prices = new PriceBook();
const settings = { windowHours: 168, cpuBelowPercent: 10, gpuBelowPercent: 10 };
const HOUR = 3_600_000;

function endpoint(components: ResourceComponent[], over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/embed',
    name: 'embed',
    tags: {},
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 30 * 24 * HOUR),
    components,
    attributes: { endpointConfigName: 'embed-config', asynchronous: false },
    ...over,
  };
}

const variant = (instanceType: string, instanceCount = 1, name = 'AllTraffic'): ResourceComponent => ({ name, instanceType, instanceCount, capacity: 'provisioned' });

/** Hourly series over the window; a function gives the value of hour i (0 = oldest). */
function series(signal: UsageSignal, value: number | ((i: number) => number) | 'absent', component = 'AllTraffic'): UsageSeries {
  const hours = 168;
  const points = value === 'absent' ? [] : Array.from({ length: hours }, (_, i) => ({ at: new Date(now.getTime() - (hours - i) * HOUR), value: typeof value === 'number' ? value : value(i) }));
  return { resourceId: 'x', component, signal, metric: signal, unit: 'Percent', window: { start: new Date(now.getTime() - hours * HOUR), end: now }, periodSeconds: 3600, status: value === 'absent' ? 'absent' : 'present', points };
}

describe('underused-endpoint rule', () => {
  it('suggests the next size down with the same GPU and shows the price difference', () => {
    const r = underusedEndpoint.evaluate({
      resource: endpoint([variant('ml.g5.2xlarge', 2)]),
      usage: [series('requests', 600), series('cpu', 40), series('gpu', 6)],
      settings,
      now,
      prices,
    });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.waste?.monthly).toEqual({ amount: 156.22, currency: 'USD' });
    expect(r.waste?.arithmetic).toBe('(ml.g5.2xlarge $1.515/h − ml.g5.xlarge $1.408/h) × 2 × 730 h = $156.22/month');
    expect(r.evidence.join('\n')).toContain('GPUUtilization averaged 6% of its 1 GPU');
    // CPUUtilization 40 on 8 vCPUs is 5% of the instance; on 4 vCPUs it would be 10%.
    expect(r.evidence.join('\n')).toContain('ml.g5.xlarge (4 vCPUs, 1 GPU) would run its CPU peak at 10%');
  });

  it('gives medium, not high, confidence when the utilization datapoints cover only part of the window', () => {
    const sparseGpu: UsageSeries = { ...series('gpu', 6), points: series('gpu', 6).points.filter((_, i) => i % 4 === 0) };
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g5.2xlarge', 2)]), usage: [series('requests', 600), series('cpu', 40), sparseGpu], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('medium');
    expect(r.evidence.join('\n')).toContain('GPUUtilization datapoints cover only 25% of the window (42 of its 168 periods)');
  });

  it('judges high confidence when the utilization datapoints cover the window', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g5.2xlarge', 2)]), usage: [series('requests', 600), series('cpu', 40), series('gpu', 6)], settings, now, prices });
    expect(r.state === 'violation' && r.confidence).toBe('high');
  });

  it('divides CPUUtilization by the vCPU count: 55% on four vCPUs is 13.75% of the instance, not underused', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.c5.xlarge')]), usage: [series('requests', 240), series('cpu', 55)], settings, now, prices });
    expect(r.state).toBe('ok');
  });

  it('flags a CPU instance below the threshold and suggests the next size in its family', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.m5.2xlarge')]), usage: [series('requests', 10), series('cpu', 24)], settings, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.waste?.arithmetic).toBe('(ml.m5.2xlarge $0.461/h − ml.m5.xlarge $0.23/h) × 1 × 730 h = $168.63/month');
  });

  it('does not suggest a smaller type whose vCPUs the observed peak would overrun', () => {
    // About 4% of 8 vCPUs on average, but one hour a day at 360% (45% of the instance): 90% of four vCPUs.
    const cpu = series('cpu', (i) => (i % 24 === 2 ? 360 : 20));
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.m5.2xlarge')]), usage: [series('requests', 10), cpu], settings, now, prices });
    expect(r.state).toBe('ok');
    expect(r.state === 'ok' && r.evidence.join('\n')).toMatch(/over the 80% headroom/);
  });

  it('reports the smallest size of a family as underused without inventing a saving', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g5.xlarge')]), usage: [series('requests', 50), series('cpu', 10), series('gpu', 2)], settings, now, prices });
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.waste).toBeUndefined();
    expect(r.evidence.join('\n')).toContain('already the smallest ml.g5 size');
  });

  it('is unknown, never zero, when a GPU instance publishes no GPUUtilization', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g4dn.xlarge')]), usage: [series('requests', 50), series('cpu', 10), series('gpu', 'absent')], settings, now, prices });
    expect(r.state).toBe('unknown');
    expect(r.state === 'unknown' && r.evidence[0]).toContain('no GPUUtilization datapoints');
  });

  it('leaves endpoints without requests to idle-endpoint and does not judge young or serverless ones', () => {
    const idle = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g5.2xlarge')]), usage: [series('requests', 0), series('gpu', 0)], settings, now, prices });
    const young = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.g5.2xlarge')], { createdAt: new Date(now.getTime() - 24 * HOUR) }), usage: [], settings, now, prices });
    const serverless = underusedEndpoint.evaluate({ resource: endpoint([{ name: 'AllTraffic', instanceCount: 0, capacity: 'serverless' }]), usage: [], settings, now, prices });

    expect(idle.state).toBe('ok');
    expect(young.state).toBe('not-applicable');
    expect(serverless.state).toBe('not-applicable');
  });

  it('does not judge Inferentia instances by GPU or CPU', () => {
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.inf2.xlarge')]), usage: [series('requests', 50), series('cpu', 1)], settings, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('sums the savings of several underused variants', () => {
    const usage = [series('requests', 10, 'A'), series('cpu', 8, 'A'), series('requests', 10, 'B'), series('cpu', 8, 'B')];
    const r = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.c5.2xlarge', 1, 'A'), variant('ml.m5.2xlarge', 1, 'B')]), usage, settings, now, prices });
    expect(r.state).toBe('violation');
    // (0.408 − 0.204) × 730 = 148.92; (0.461 − 0.23) × 730 = 168.63
    expect(r.state === 'violation' && r.waste?.monthly.amount).toBe(317.55);
  });
});

describe('underused-endpoint activity watermark (activeUntil)', () => {
  /** The series as they would read at `at`, the hours after `now` at zero utilization (requests keep coming). */
  function later(signal: UsageSignal, value: (i: number) => number, at: Date, future: number): UsageSeries {
    const hours = 168;
    const points = Array.from({ length: hours }, (_, i) => {
      const t = at.getTime() - (hours - i) * HOUR;
      const fromNow = Math.round((t - now.getTime()) / HOUR);
      return { at: new Date(t), value: fromNow >= 0 ? future : value(fromNow + hours) };
    });
    return { resourceId: 'x', component: 'AllTraffic', signal, metric: signal, unit: 'Percent', window: { start: new Date(at.getTime() - hours * HOUR), end: at }, periodSeconds: 3600, status: 'present', points };
  }

  const cases: [string, string, (i: number) => number][] = [
    ['steady CPU at 3× the threshold', 'ml.m5.large', () => 60],
    ['a CPU burst early in the week, quiet since', 'ml.m5.large', (i) => (i < 24 ? 400 : 8)],
    ['a CPU burst at the end of the week', 'ml.m5.large', (i) => (i > 150 ? 300 : 10)],
    ['CPU just above the threshold', 'ml.m5.large', () => 21],
    ['GPU busy, CPU idle', 'ml.g5.xlarge', () => 50],
  ];

  for (const [name, type, value] of cases) {
    it(`${name}: never underused before its activeUntil, whatever the usage does after`, () => {
      const gpu = type.startsWith('ml.g');
      const signal: UsageSignal = gpu ? 'gpu' : 'cpu';
      const usage = [series('requests', 600), series('cpu', gpu ? 1 : value), ...(gpu ? [series('gpu', value)] : [])];
      const r = underusedEndpoint.evaluate({ resource: endpoint([variant(type)]), usage, settings, now, prices });
      expect(r.state).toBe('ok');
      if (r.state !== 'ok') return;
      const until = r.activeUntil?.getTime() ?? now.getTime();
      // Worst case: from now on, utilization 0 on every hour (requests still come, so it is not idle).
      let firstViolation: number | undefined;
      for (let h = 1; h <= 168; h++) {
        const at = new Date(now.getTime() + h * HOUR);
        const u = [later('requests', () => 600, at, 600), later('cpu', gpu ? () => 1 : value, at, gpu ? 1 : 0), ...(gpu ? [later(signal, value, at, 0)] : [])];
        const v = underusedEndpoint.evaluate({ resource: endpoint([variant(type)]), usage: u, settings, now: at, prices });
        if (v.state === 'violation') {
          firstViolation = at.getTime();
          break;
        }
      }
      expect(firstViolation).toBeDefined();
      expect(firstViolation!).toBeGreaterThan(until);
      // The bound is useful: at least a scan cadence (6 h) ahead for a steadily busy endpoint.
      if (name.startsWith('steady')) expect(until - now.getTime()).toBeGreaterThanOrEqual(6 * HOUR);
    });
  }

  it('sets no activeUntil for an endpoint without requests (idle, not underused) or already below the threshold', () => {
    const idle = underusedEndpoint.evaluate({ resource: endpoint([variant('ml.m5.large')]), usage: [series('requests', 0), series('cpu', 60)], settings, now, prices });
    expect(idle.state === 'ok' && idle.activeUntil).toBeFalsy();
    const mixed = underusedEndpoint.evaluate({
      resource: endpoint([variant('ml.m5.large', 1, 'a'), variant('ml.m5.large', 1, 'b')]),
      usage: [series('requests', 600, 'a'), series('cpu', 60, 'a'), series('requests', 0, 'b'), series('cpu', 60, 'b')],
      settings,
      now,
      prices,
    });
    expect(mixed.state === 'ok' && mixed.activeUntil).toBeFalsy();
  });
});
