import { describe, expect, it } from 'vitest';
import type { Resource, ResourceComponent } from '../../shared/domain/resource.js';
import type { UsageSeries } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { idleEndpoint } from '../../shared/rules/idle-endpoint.js';

const now = new Date('2026-11-28T12:00:00Z');
const prices = new PriceBook();
const settings = { windowHours: 24, minAgeHours: 24 };

function endpoint(over: Partial<Resource> = {}, components?: ResourceComponent[]): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
    name: 'fraud-v3',
    tags: {},
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date('2026-10-01T00:00:00Z'),
    components: components ?? [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 2, capacity: 'provisioned' }],
    attributes: { endpointConfigName: 'fraud-v3-config', asynchronous: false },
    ...over,
  };
}

/** Hourly series over the last `hours` hours with the given value (undefined = absent). */
function series(signal: 'requests' | 'heartbeat', values: number[] | 'absent', component = 'AllTraffic', hours = 336): UsageSeries {
  const start = new Date(now.getTime() - hours * 3600_000);
  const points =
    values === 'absent'
      ? []
      : values.map((v, i) => ({ at: new Date(now.getTime() - (values.length - i) * 3600_000), value: v }));
  return {
    resourceId: endpoint().id,
    component,
    signal,
    metric: signal === 'requests' ? 'AWS/SageMaker:Invocations' : '/aws/sagemaker/Endpoints:CPUUtilization',
    unit: 'Count',
    window: { start, end: now },
    periodSeconds: 3600,
    status: values === 'absent' ? 'absent' : 'present',
    points,
  };
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);

describe('idle-endpoint rule', () => {
  it('finds an endpoint idle with high confidence when its invocation datapoints are all zero', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', zeros(48)), series('heartbeat', Array(48).fill(60))], settings, now, prices });
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('high');
    expect(r.waste?.monthly).toEqual({ amount: 2055.68, currency: 'USD' });
    expect(r.waste?.arithmetic).toBe('ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month');
    expect(r.evidence.join('\n')).toContain('no request seen');
  });

  it('judges medium confidence when invocations are absent but the heartbeat is present', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', 'absent'), series('heartbeat', Array(24).fill(60))], settings, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.confidence).toBe('medium');
  });

  it('reports unknown, never idle, when both the request signal and the heartbeat are absent', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', 'absent'), series('heartbeat', 'absent')], settings, now, prices });
    expect(r.state).toBe('unknown');
  });

  it('reports unknown when no series was read at all', () => {
    expect(idleEndpoint.evaluate({ resource: endpoint(), usage: [], settings, now, prices }).state).toBe('unknown');
  });

  it('is not idle when any variant served a request in the window', () => {
    const comps: ResourceComponent[] = [
      { name: 'A', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' },
      { name: 'B', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' },
    ];
    const usage = [series('requests', zeros(24), 'A'), series('requests', [...zeros(23), 3], 'B')];
    const r = idleEndpoint.evaluate({ resource: endpoint({}, comps), usage, settings, now, prices });
    expect(r.state).toBe('ok');
  });

  it('names the last request seen before the window so a weekly batch job is recognisable', () => {
    const values = [...zeros(100), 500, ...zeros(60)];
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', values)], settings, now, prices });
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    // The hourly datapoint stamped 23:00 says "somewhere between 23:00 and midnight": the evidence says no more.
    expect(r.lastActivity?.toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(r.evidence.join('\n')).toContain('last request seen between 2026-11-25 23:00 and 2026-11-26 00:00 UTC (3 d ago)');
  });

  it('does not judge an endpoint younger than the window', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint({ createdAt: new Date(now.getTime() - 2 * 3600_000) }), usage: [series('requests', zeros(2))], settings, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('never flags serverless variants, which cost nothing idle', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint({}, [{ name: 'AllTraffic', instanceCount: 0, capacity: 'serverless' }]), usage: [], settings, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('does not judge asynchronous endpoints by Invocations', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint({ attributes: { asynchronous: true, endpointConfigName: 'x' } }), usage: [series('requests', 'absent')], settings, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('skips endpoints that are not in service', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint({ state: 'Creating', lifecycle: 'starting' }), usage: [], settings, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('reports the violation without a dollar figure when the instance type has no known price', () => {
    const comps: ResourceComponent[] = [{ name: 'AllTraffic', instanceType: 'ml.x99.mega', instanceCount: 1, capacity: 'provisioned' }];
    const r = idleEndpoint.evaluate({ resource: endpoint({}, comps), usage: [series('requests', zeros(24))], settings, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.waste).toBeUndefined();
    expect(r.state === 'violation' && r.evidence.join(' ')).toContain('no price known for ml.x99.mega');
  });

  it('uses a configured price override and says so', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', zeros(24))], settings, now, prices: new PriceBook({ aws: { 'ml.g5.xlarge': 1 } }) });
    expect(r.state === 'violation' && r.waste?.monthly.amount).toBe(1460);
    expect(r.state === 'violation' && r.waste?.priceSource).toContain('override');
  });

  it('ignores traffic older than the window when judging', () => {
    const values = [5, ...zeros(30)];
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', values)], settings, now, prices });
    expect(r.state).toBe('violation');
  });
});

describe('idle-endpoint rule, partial data', () => {
  it('lowers confidence to medium when zero datapoints cover only part of the window', () => {
    const r = idleEndpoint.evaluate({ resource: endpoint(), usage: [series('requests', zeros(8))], settings, now, prices });
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('medium');
    expect(r.evidence.join('\n')).toContain('cover only 33% of the window (8 of its 24 hourly periods)');
  });
});
