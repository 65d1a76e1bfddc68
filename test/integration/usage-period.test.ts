import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { readMetrics, readUsage, type MetricMeter, type MetricRequest } from '../../shared/providers/aws/metrics.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

/*
 * The safety cases of sparse request series, end to end: the real AWS SDK clients against the
 * sandbox cloud, the scan pipeline, the planner in `auto` mode.
 */

const NOW = '2026-12-07T12:00:00Z';
const ACCOUNT = '111111111111';
const HOUR = 3_600_000;

function world(endpoints: unknown[]): WorldInput {
  return {
    version: 1,
    now: NOW,
    aws: { accounts: [{ id: ACCOUNT, name: 'prod', regions: { 'us-east-1': { sagemaker: { endpoints } } } }] },
  } as WorldInput;
}

const endpoint = (name: string, metrics: Record<string, unknown>) => ({ name, createdAt: '-30d', variants: [{ instanceType: 'ml.g5.xlarge', instanceCount: 1, metrics }] });

function policy(mode: 'auto' | 'approve' = 'auto'): Policy {
  return parsePolicy(`version: 1\nclouds:\n  aws:\n    accounts:\n      - { id: "${ACCOUNT}", name: prod, regions: [us-east-1] }\nrules:\n  idle-endpoint: { mode: ${mode} }\n`, 'test.yml').policy;
}

describe('sparse request series against the sandbox cloud', () => {
  let sb: Sandbox | undefined;
  let store: StateStore | undefined;
  afterEach(async () => {
    await store?.close();
    await sb?.close();
  });

  async function scan(w: WorldInput, p = policy()) {
    sb = await startSandbox({ world: defineWorld(w) });
    store = await openMemoryStore();
    const providers = buildProviders(p, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials } });
    const report = await runScan(scanOptionsFor(p, { now: () => sb!.clock.now() }), { providers, store, clock: sb.clock, prices: priceBook(p) });
    return { report, idle: (name: string) => report.findings.find((f) => f.ruleId === 'idle-endpoint' && f.resource?.name === name) };
  }

  it('two zero datapoints 18 h apart give a medium finding, and auto mode executes nothing', async () => {
    const { report, idle } = await scan(world([endpoint('sparse-zeros', { invocations: { points: [['-20h', 0], ['-2h', 0]] }, cpu: { constant: 4 } })]));

    const f = idle('sparse-zeros');
    expect(f?.state).toBe('violation');
    expect(f?.confidence).toBe('medium');
    expect(f?.evidence.join('\n')).toContain('cover only 8% of the window (2 of its 24 hourly periods)');
    expect(report.proposals.map((p) => [p.resource.name, p.mode])).toEqual([['sparse-zeros', 'approve']]);
    expect(report.executions).toEqual([]);
    expect(sb!.calls()['sagemaker.DeleteEndpoint'] ?? 0).toBe(0);
  });

  it('two zero datapoints and no heartbeat give medium as well, never high; nothing executes', async () => {
    const { report, idle } = await scan(world([endpoint('sparse-only', { invocations: { points: [['-20h', 0], ['-2h', 0]] } })]));

    expect(idle('sparse-only')?.confidence).toBe('medium');
    expect(report.executions).toEqual([]);
    expect(sb!.calls()['sagemaker.DeleteEndpoint'] ?? 0).toBe(0);
  });

  it('requests 5 and 2 days ago and none since, heartbeat present: idle, naming the last request (2 d ago)', async () => {
    const { idle } = await scan(world([endpoint('batch', { invocations: { points: [['-5d', 40], ['-2d', 12]] }, cpu: { constant: 3 } })]), policy('approve'));

    const f = idle('batch');
    expect(f?.state).toBe('violation');
    expect(f?.confidence).toBe('medium');
    // Endpoints are read back 168 h (underused-endpoint's window) hourly: the request at 12:00 two days ago lies in 12:00–13:00.
    expect(f?.evidence.join('\n')).toContain('last request seen between 2026-12-05 12:00 and 13:00 UTC (2 d ago)');
    expect(f?.lastActivity).toEqual(new Date(Date.parse(NOW) - 47 * HOUR));
  });

  it('a request 24 h 10 min ago is named in its hour of history, not two hours early', async () => {
    const { idle } = await scan(world([endpoint('just-outside', { invocations: { points: [['-24h10m', 3]] }, cpu: { constant: 3 } })]), policy('approve'));

    // The decision window reaches back 168 h (underused-endpoint's window) read hourly, so this request is in an hourly period.
    const f = idle('just-outside');
    expect(f?.state).toBe('violation');
    expect(f?.evidence.join('\n')).toContain('last request seen between 2026-12-06 11:00 and 12:00 UTC (24–25 h ago)');
  });

  it('a request inside the window keeps the endpoint from being idle, however sparse the series', async () => {
    const { idle, report } = await scan(world([endpoint('one-call', { invocations: { points: [['-23h59m', 1]] }, cpu: { constant: 3 } })]));

    expect(idle('one-call')).toBeUndefined();
    expect(report.executions).toEqual([]);
  });
});

describe('reading CloudWatch for many series', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => sb?.close());

  const N = 600;
  const manyWorld = () =>
    world(
      Array.from({ length: N }, (_, i) =>
        endpoint(`ep-${i}`, i % 2 === 0 ? { invocations: { constant: 0 }, cpu: { constant: 3 } } : { invocations: { constant: 2 }, cpu: { constant: 30 } }),
      ),
    );

  function requests(n: number): MetricRequest[] {
    return Array.from({ length: n }, (_, i) => [
      { resourceId: `ep-${i}`, component: 'AllTraffic', signal: 'requests' as const, namespace: 'AWS/SageMaker', metricName: 'Invocations', dimensions: { EndpointName: `ep-${i}`, VariantName: 'AllTraffic' }, stat: 'Sum' as const, unit: 'Count' },
      { resourceId: `ep-${i}`, component: 'AllTraffic', signal: 'cpu' as const, alsoAs: 'heartbeat' as const, namespace: '/aws/sagemaker/Endpoints', metricName: 'CPUUtilization', dimensions: { EndpointName: `ep-${i}`, VariantName: 'AllTraffic' }, stat: 'Average' as const, unit: 'Percent' },
    ]).flat();
  }

  it('reads the decision window of 1,200 series in ⌈1200/500⌉ calls, and the history of the 300 quiet request series in one more', async () => {
    sb = await startSandbox({ world: defineWorld(manyWorld()) });
    const cw = new CloudWatchClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
    const meter: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };

    const usage = await readUsage(cw, [{ requests: requests(N), windowHours: [24, 168] }], { now: new Date(NOW), lookbackHours: 336 }, meter);

    expect(meter).toEqual({ calls: 3 + 1, queries: 1200 + 300, metricsRequested: 1500, windowAim: 3 + 1 });
    const quiet = usage.filter((u) => u.resourceId === 'ep-0' && u.signal === 'requests').map((u) => [u.periodSeconds, u.window.end.getTime() - u.window.start.getTime()]);
    // 336 h of look-back: 168 h decision window, then 168 h of history, hourly too (168 × 300 series fit one page).
    expect(quiet).toEqual([[3600, 168 * HOUR], [3600, 168 * HOUR]]);
    expect(usage.filter((u) => u.resourceId === 'ep-1' && u.signal === 'requests')).toHaveLength(1);
  });

  it('follows NextToken when CloudWatch pages the datapoints, losing none', async () => {
    sb = await startSandbox({ world: defineWorld(manyWorld()) });
    const cw = new CloudWatchClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
    // Ask for small pages, as CloudWatch may page any answer: the reader must follow every NextToken.
    cw.middlewareStack.add((next) => (args) => next({ ...args, input: { ...(args.input as object), MaxDatapoints: 50 } }), { step: 'initialize', name: 'smallPages' });
    const meter: MetricMeter = { calls: 0, queries: 0, metricsRequested: 0 };
    const window = { start: new Date(Date.parse(NOW) - 24 * HOUR), end: new Date(NOW) };

    const usage = await readMetrics(cw, requests(5), window, 3600, meter);

    expect(meter.calls).toBe(Math.ceil((10 * 24) / 50));
    expect(usage.map((u) => u.points.length)).toEqual(Array(15).fill(24));
  });
});
