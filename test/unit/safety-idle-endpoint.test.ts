/**
 * The idle-endpoint rule's share of the safety invariants (DESIGN.md, "Safety invariants" and
 * "Reading usage: zero, absent, unknown"): an endpoint with no instances costs nothing idle and is
 * never proposed for deletion; "no data" is never read as zero usage, and a heartbeat that says
 * nothing is running (all zero) is no evidence that instances run without traffic.
 */
import { describe, expect, it } from 'vitest';
import type { Resource, ResourceComponent } from '../../shared/domain/resource.js';
import type { UsageSeries } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { idleEndpoint } from '../../shared/rules/idle-endpoint.js';

const now = new Date('2026-11-28T12:00:00Z');
const HOUR = 3600_000;
const settings = { windowHours: 10, minAgeHours: 24 };
const prices = new PriceBook();

function endpoint(components: ResourceComponent[], over: Partial<Resource> = {}): Resource {
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
    components,
    attributes: { endpointConfigName: 'fraud-v3-config', asynchronous: false },
    ...over,
  };
}

const variant = (name: string, instanceCount: number): ResourceComponent => ({ name, instanceType: 'ml.g5.xlarge', instanceCount, capacity: 'provisioned' });

/**
 * The one place usage series are built: datapoints every `periodMinutes` (hourly by default), the
 * last one `hoursAgo` before now; `'absent'` for a query that returned nothing, `'error'` for one that failed.
 */
function usage(signal: 'requests' | 'heartbeat', component: string, values: readonly number[] | 'absent' | 'error', hoursAgo = 1, periodMinutes = 60): UsageSeries {
  const period = periodMinutes * 60_000;
  const last = now.getTime() - hoursAgo * HOUR;
  const points = Array.isArray(values) ? values.map((value, i) => ({ at: new Date(last - (values.length - 1 - i) * period), value })) : [];
  return {
    resourceId: endpoint([]).id,
    component,
    signal,
    metric: signal === 'requests' ? 'AWS/SageMaker:Invocations' : '/aws/sagemaker/Endpoints:CPUUtilization',
    unit: signal === 'requests' ? 'Count' : 'Percent',
    window: { start: new Date(now.getTime() - 48 * HOUR), end: now },
    periodSeconds: periodMinutes * 60,
    status: values === 'absent' ? 'absent' : values === 'error' ? 'error' : 'present',
    points,
    ...(values === 'error' ? { error: 'AccessDenied: cloudwatch:GetMetricData' } : {}),
  };
}

const zeros = (n: number) => Array.from({ length: n }, () => 0);
const judge = (r: Resource, u: UsageSeries[]) => idleEndpoint.evaluate({ resource: r, usage: u, settings, now, prices });

describe('safety: idle-endpoint never proposes deleting what costs nothing or what it cannot see', () => {
  it('never judges an endpoint scaled to zero instances, even with zero invocations', () => {
    const r = judge(endpoint([variant('AllTraffic', 0)]), [usage('requests', 'AllTraffic', zeros(10))]);
    expect(r).toEqual({ state: 'not-applicable', reason: 'serverless or scaled to zero: costs nothing idle' });
  });

  it('judges only the variants that have instances, and prices only those', () => {
    const r = judge(endpoint([variant('live', 2), variant('scaled-down', 0)]), [usage('requests', 'live', zeros(10))]);
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('high');
    expect(r.evidence[0]).toBe('0 invocations in 10 h across 1 variant');
    expect(r.waste?.arithmetic).toBe('ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month');
  });

  it('reads an all-zero heartbeat with no request datapoints as unknown, never as idle', () => {
    const r = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', 'absent'), usage('heartbeat', 'AllTraffic', zeros(10))]);
    expect(r.state).toBe('unknown');
  });

  it('reads a heartbeat showing activity with no request datapoints as idle with medium confidence only', () => {
    const r = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', 'absent'), usage('heartbeat', 'AllTraffic', [...zeros(9), 0.4])]);
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.confidence).toBe('medium');
  });

  it('reads a heartbeat that stopped before the window as unknown', () => {
    const r = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', 'absent'), usage('heartbeat', 'AllTraffic', Array(5).fill(30), 11)]);
    expect(r.state).toBe('unknown');
  });

  it('says the metrics could not be read when the queries failed, and stays unknown', () => {
    const r = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', 'error'), usage('heartbeat', 'AllTraffic', 'absent')]);
    expect(r.state).toBe('unknown');
    expect(r.state === 'unknown' && r.evidence[0]).toContain('could not be read (AccessDenied: cloudwatch:GetMetricData)');
  });

  it('stays unknown when one variant is unreadable, even if another is proven idle', () => {
    const r = judge(endpoint([variant('a', 1), variant('b', 1)]), [usage('requests', 'a', zeros(10))]);
    expect(r.state).toBe('unknown');
  });

  it('needs zeros over 90% of the window for high confidence', () => {
    const r9 = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', zeros(9))]);
    const r8 = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', zeros(8))]);
    expect(r9.state === 'violation' && r9.confidence).toBe('high');
    expect(r8.state === 'violation' && r8.confidence).toBe('medium');
  });

  it('counts a request in the first hour of the window, and not one in the hour before it', () => {
    const inFirstHour = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', [1, ...zeros(9)])]);
    const justBefore = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', [1, ...zeros(10)])]);
    expect(inFirstHour.state).toBe('ok');
    expect(justBefore.state).toBe('violation');
  });

  it('judges an endpoint from exactly its minimum age on', () => {
    const u = [usage('requests', 'AllTraffic', zeros(10))];
    expect(judge(endpoint([variant('AllTraffic', 1)], { createdAt: new Date(now.getTime() - 24 * HOUR) }), u).state).toBe('violation');
    expect(judge(endpoint([variant('AllTraffic', 1)], { createdAt: new Date(now.getTime() - 24 * HOUR + 1) }), u).state).toBe('not-applicable');
  });

  it('judges only endpoints, and never serverless capacity whatever instance count it reports', () => {
    const notebook = endpoint([variant('AllTraffic', 1)], { kind: 'aws.sagemaker.notebook-instance' });
    expect(judge(notebook, [usage('requests', 'AllTraffic', zeros(10))]).state).toBe('not-applicable');
    const serverless = endpoint([{ name: 'AllTraffic', instanceCount: 1, capacity: 'serverless' }]);
    expect(judge(serverless, [usage('requests', 'AllTraffic', zeros(10))]).state).toBe('not-applicable');
  });

  it('reads a series at its own period: a 5-minute datapoint before the window is not a request in it', () => {
    const beforeWindow = usage('requests', 'AllTraffic', [7, ...zeros(125)], 0.25, 5);
    const r = judge(endpoint([variant('AllTraffic', 1)]), [beforeWindow]);
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.confidence).toBe('high');
  });

  it('judges a single zero datapoint as idle with medium confidence only', () => {
    const r = judge(endpoint([variant('AllTraffic', 1)]), [usage('requests', 'AllTraffic', [0])]);
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.confidence).toBe('medium');
  });

  it('names the latest request seen across all variants, so a periodic batch job is recognisable', () => {
    const r = judge(endpoint([variant('a', 1), variant('b', 1)]), [
      usage('requests', 'a', [4, ...zeros(20), 9, ...zeros(10)]),
      usage('requests', 'b', [6, ...zeros(30)]),
    ]);
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    // The request was seen in the hour from 01:00: the last activity is the end of that hour.
    expect(r.lastActivity).toEqual(new Date(now.getTime() - 10 * HOUR));
    expect(r.evidence.find((l) => l.startsWith('last request seen'))).toContain('01:00');
  });
});
