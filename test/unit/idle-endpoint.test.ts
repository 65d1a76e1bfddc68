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

/** A series as a collector asked for it: `hours` back from now at `periodSeconds`, with datapoints at the given hours ago (fractions allowed). */
function asked(signal: 'requests' | 'heartbeat', periodSeconds: number, hours: number, points: readonly [hoursAgo: number, value: number][], end = now): UsageSeries {
  return {
    resourceId: endpoint().id,
    component: 'AllTraffic',
    signal,
    metric: signal === 'requests' ? 'AWS/SageMaker:Invocations' : '/aws/sagemaker/Endpoints:CPUUtilization',
    unit: signal === 'requests' ? 'Count' : 'Percent',
    window: { start: new Date(end.getTime() - hours * 3600_000), end },
    periodSeconds,
    status: points.length > 0 ? 'present' : 'absent',
    points: points.map(([h, value]) => ({ at: new Date(end.getTime() - h * 3600_000), value })),
  };
}

const hourlyHeartbeat = asked('heartbeat', 3600, 24, Array.from({ length: 24 }, (_, i) => [24 - i, 40] as [number, number]));

describe('idle-endpoint verdict table: the period is the one asked, never guessed from the datapoints', () => {
  const cases: { name: string; usage: UsageSeries[]; state: string; confidence?: string; evidence?: string }[] = [
    {
      name: 'two zero datapoints 18 h apart, read hourly: 2 of 24 periods, medium',
      usage: [asked('requests', 3600, 24, [[20, 0], [2, 0]]), hourlyHeartbeat],
      state: 'violation',
      confidence: 'medium',
      evidence: 'cover only 8% of the window (2 of its 24 hourly periods)',
    },
    {
      name: 'zeros every 6 hours in a series read per minute: medium, however evenly spaced',
      usage: [asked('requests', 60, 24, [[24, 0], [18, 0], [12, 0], [6, 0]])],
      state: 'violation',
      confidence: 'medium',
      evidence: '4 of its 1440 1-minute periods',
    },
    {
      name: 'zeros every hour in a series read in 5-minute periods: 24 of 288, medium',
      usage: [asked('requests', 300, 24, Array.from({ length: 24 }, (_, i) => [24 - i, 0] as [number, number]))],
      state: 'violation',
      confidence: 'medium',
    },
    {
      name: 'zeros in 22 of 24 hourly periods (a two-hour metrics outage): 91%, high',
      usage: [asked('requests', 3600, 24, Array.from({ length: 24 }, (_, i) => [24 - i, 0] as [number, number]).filter(([h]) => h !== 10 && h !== 11))],
      state: 'violation',
      confidence: 'high',
      evidence: '(22 of the window\'s 24 hourly periods)',
    },
    {
      name: 'zeros in 21 of 24 hourly periods: 87%, medium',
      usage: [asked('requests', 3600, 24, Array.from({ length: 24 }, (_, i) => [24 - i, 0] as [number, number]).filter(([h]) => h < 10 || h > 12))],
      state: 'violation',
      confidence: 'medium',
    },
    {
      name: 'a request in the first hourly period of the window: busy',
      usage: [asked('requests', 3600, 48, [...Array.from({ length: 48 }, (_, i) => [48 - i, 0] as [number, number]).filter(([h]) => h !== 24), [24, 3]])],
      state: 'ok',
    },
    {
      name: 'a request in the period just before the window: idle, high, and named',
      usage: [asked('requests', 3600, 48, [...Array.from({ length: 48 }, (_, i) => [48 - i, 0] as [number, number]).filter(([h]) => h !== 25), [25, 3]])],
      state: 'violation',
      confidence: 'high',
      evidence: 'last request seen between 2026-11-27 11:00 and 12:00 UTC (24–25 h ago)',
    },
    {
      name: 'a request 2 days ago in the 2-hour history, no request datapoint since, heartbeat present: medium, named',
      usage: [asked('requests', 3600, 24, []), asked('requests', 7200, 312, [[96, 4], [24, 7]], new Date(now.getTime() - 24 * 3600_000)), hourlyHeartbeat],
      state: 'violation',
      confidence: 'medium',
      evidence: 'last request seen between 2026-11-26 12:00 and 14:00 UTC (2 d ago)',
    },
    {
      name: 'the decision series read only the last 12 h of a 24 h window: the unread half is not covered',
      usage: [asked('requests', 3600, 12, Array.from({ length: 12 }, (_, i) => [12 - i, 0] as [number, number]))],
      state: 'violation',
      confidence: 'medium',
      evidence: '12 of its 24 hourly periods',
    },
    {
      name: 'the Invocations read failed while the heartbeat was read: unknown, not idle by heartbeat',
      usage: [{ ...asked('requests', 3600, 24, []), status: 'error', error: 'GetMetricData failed: Throttling' }, hourlyHeartbeat],
      state: 'unknown',
    },
    {
      name: 'a series carrying no usable period is read per minute, never stretched',
      usage: [{ ...asked('requests', 0, 24, [[23, 0], [1, 0]]) }],
      state: 'violation',
      confidence: 'medium',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = idleEndpoint.evaluate({ resource: endpoint(), usage: c.usage, settings, now, prices });
      expect(r.state).toBe(c.state);
      if (c.confidence) expect(r.state === 'violation' && r.confidence).toBe(c.confidence);
      if (c.evidence) expect(r.state === 'violation' ? r.evidence.join('\n') : '').toContain(c.evidence);
    });
  }
});
