import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import {
  AddTagsCommand,
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  paginateListEndpoints,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineWorld,
  generateWorld,
  loadWorld,
  SAMPLE_WORLD_PATH,
  sandboxAwsCredentials,
  startSandbox,
  type Sandbox,
  type World,
} from '../../shared/sandbox/index.js';

const PROD = '111111111111';
const DEV = '222222222222';
const NOW = Date.parse('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;

let sample: World;
beforeAll(async () => {
  sample = await loadWorld(SAMPLE_WORLD_PATH);
});

function clients(sb: Sandbox, account = PROD, region = 'us-east-1', maxAttempts = 3) {
  const cfg = { endpoint: sb.awsEndpoint, region, credentials: sandboxAwsCredentials(account), maxAttempts };
  return { sm: new SageMakerClient(cfg), cw: new CloudWatchClient(cfg) };
}

function stat(id: string, namespace: string, metric: string, dims: Record<string, string>, s = 'Sum', period = 3600): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })) },
      Period: period,
      Stat: s,
    },
  };
}

const invocations = (id: string, endpoint: string, variant = 'AllTraffic', s = 'Sum', period = 3600) =>
  stat(id, 'AWS/SageMaker', 'Invocations', { EndpointName: endpoint, VariantName: variant }, s, period);
const cpu = (id: string, endpoint: string, variant = 'AllTraffic') =>
  stat(id, '/aws/sagemaker/Endpoints', 'CPUUtilization', { EndpointName: endpoint, VariantName: variant }, 'Average');

const last24h = { StartTime: new Date(NOW - 24 * HOUR), EndTime: new Date(NOW), ScanBy: 'TimestampAscending' as const };

async function metricData(cw: CloudWatchClient, queries: MetricDataQuery[], window: Omit<GetMetricDataCommandInput, 'MetricDataQueries'> = last24h) {
  const res = await cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: queries }));
  return new Map((res.MetricDataResults ?? []).map((r) => [r.Id ?? '', r]));
}

function points(r: MetricDataResult | undefined): [string, number][] {
  return (r?.Timestamps ?? []).map((t, i) => [t.toISOString().slice(11, 16), r?.Values?.[i] ?? NaN]);
}

async function raw(sb: Sandbox, target: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${sb.awsEndpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const AUTH = (account: string, region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=SANDBOX${account}/20250618/${region}/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`;

describe('sandbox cloud: SageMaker', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: sample });
  });
  afterAll(() => sb.close());

  it('lists an account-region\'s endpoints newest first and nothing of other accounts or regions', async () => {
    const names = async (account: string, region: string) =>
      ((await clients(sb, account, region).sm.send(new ListEndpointsCommand({ MaxResults: 100 }))).Endpoints ?? []).map((e) => e.EndpointName);

    const prodUs = await names(PROD, 'us-east-1');
    const prodEu = await names(PROD, 'eu-west-1');
    const devUs = await names(DEV, 'us-east-1');
    const devEu = await names(DEV, 'eu-west-1');

    expect(prodUs).toEqual(['churn-v2', 'ab-test', 'fraud-v3', 'chat-assist', 'recs-heartbeat', 'nightly-scoring', 'search-ranker', 'legacy-nlp']);
    expect(prodEu).toEqual(['translate-eu', 'weekly-report']);
    expect(devUs.sort()).toEqual(['demo-serverless', 'llm-playground', 'ocr-async']);
    expect(devEu).toEqual([]);
    await expect(clients(sb, PROD).sm.send(new DescribeEndpointCommand({ EndpointName: 'llm-playground' }))).rejects.toThrow(/Could not find endpoint/);
  });

  it('refuses credentials of an account the world does not have', async () => {
    const err = await clients(sb, '999999999999').sm.send(new ListEndpointsCommand({})).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('filters by NameContains and StatusEquals and validates MaxResults', async () => {
    const { sm } = clients(sb);
    const res = await sm.send(new ListEndpointsCommand({ NameContains: 'RANK', StatusEquals: 'InService' }));
    expect(res.Endpoints?.map((e) => e.EndpointName)).toEqual(['search-ranker']);
    expect((await sm.send(new ListEndpointsCommand({ StatusEquals: 'Failed' }))).Endpoints).toEqual([]);
    await expect(sm.send(new ListEndpointsCommand({ MaxResults: 101 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("'maxResults'"),
    });
  });

  it('describes variants: instance counts, serverless configs, async config, multi-variant', async () => {
    const prod = clients(sb).sm;
    const dev = clients(sb, DEV).sm;

    const fraud = await prod.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }));
    const ab = await prod.send(new DescribeEndpointCommand({ EndpointName: 'ab-test' }));
    const serverless = await dev.send(new DescribeEndpointCommand({ EndpointName: 'demo-serverless' }));
    const asyncConfig = await dev.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'ocr-async-config' }));
    const fraudConfig = await prod.send(new DescribeEndpointConfigCommand({ EndpointConfigName: fraud.EndpointConfigName }));

    expect(fraud).toMatchObject({
      EndpointArn: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }],
    });
    expect(fraud.CreationTime).toEqual(new Date(NOW - 45 * 24 * HOUR));
    expect(fraudConfig.ProductionVariants).toEqual([
      { VariantName: 'AllTraffic', ModelName: 'fraud-v3-model', InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 1 },
    ]);
    expect(ab.ProductionVariants?.map((v) => v.VariantName)).toEqual(['Primary', 'Challenger']);
    expect(serverless.ProductionVariants?.[0]).toMatchObject({ CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } });
    expect(serverless.ProductionVariants?.[0]?.CurrentInstanceCount).toBeUndefined();
    expect(asyncConfig.AsyncInferenceConfig?.OutputConfig?.S3OutputPath).toMatch(/^s3:\/\//);
    expect(fraudConfig.AsyncInferenceConfig).toBeUndefined();
  });

  it('lists and adds tags on an endpoint ARN', async () => {
    const { sm } = clients(sb, DEV);
    const arn = `arn:aws:sagemaker:us-east-1:${DEV}:endpoint/llm-playground`;

    await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'owner', Value: 'ana' }] }));
    const tags = await sm.send(new ListTagsCommand({ ResourceArn: arn }));

    expect(tags.Tags).toEqual([
      { Key: 'team', Value: 'research' },
      { Key: 'env', Value: 'dev' },
      { Key: 'costwatch:exempt', Value: 'true' },
      { Key: 'owner', Value: 'ana' },
    ]);
    await expect(sm.send(new ListTagsCommand({ ResourceArn: `arn:aws:sagemaker:us-east-1:${PROD}:endpoint/fraud-v3` }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});

describe('sandbox cloud: pagination over many endpoints', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: generateWorld({ accounts: 1, endpointsPerRegion: 250, seed: 3 }) });
  });
  afterAll(() => sb.close());

  it('pages ListEndpoints with NextToken: 250 endpoints in 3 pages of at most 100, none twice', async () => {
    const { sm } = clients(sb, '200000000000');
    sb.resetCalls();
    const seen: string[] = [];
    const pageSizes: number[] = [];

    for await (const page of paginateListEndpoints({ client: sm, pageSize: 100 }, {})) {
      pageSizes.push(page.Endpoints?.length ?? 0);
      seen.push(...(page.Endpoints ?? []).map((e) => e.EndpointName ?? ''));
    }

    expect(pageSizes).toEqual([100, 100, 50]);
    expect(new Set(seen).size).toBe(250);
    expect(sb.calls()['sagemaker.ListEndpoints']).toBe(3);
  });

  it('defaults to 10 per page and rejects a token from another request', async () => {
    const { sm } = clients(sb, '200000000000');
    const first = await sm.send(new ListEndpointsCommand({}));
    expect(first.Endpoints).toHaveLength(10);
    expect(first.NextToken).toBeDefined();
    await expect(sm.send(new ListEndpointsCommand({ NextToken: first.NextToken, NameContains: 'idle' }))).rejects.toMatchObject({ name: 'ValidationException' });
    const configs = await sm.send(new ListEndpointConfigsCommand({ MaxResults: 100 }));
    expect(configs.EndpointConfigs).toHaveLength(100);
  });
});

describe('sandbox cloud: delete and re-create', () => {
  it('deletes an endpoint (config stays), then re-creates it: Creating, then InService once the clock moves', async () => {
    const sb = await startSandbox({ world: sample, endpointCreationMs: 1_000 });
    try {
      const { sm, cw } = clients(sb);
      const before = await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }));

      await sm.send(new DeleteEndpointCommand({ EndpointName: 'fraud-v3' }));
      const gone = await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' })).catch((e: unknown) => e as Error);
      const config = await sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'fraud-v3-config' }));
      sb.clock.advance(2 * HOUR);
      await sm.send(new CreateEndpointCommand({ EndpointName: 'fraud-v3', EndpointConfigName: 'fraud-v3-config', Tags: [{ Key: 'team', Value: 'fraud' }] }));
      const creating = await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }));
      sb.clock.advance(1_000);
      const ready = await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }));
      const tags = await sm.send(new ListTagsCommand({ ResourceArn: ready.EndpointArn }));

      expect(before.EndpointStatus).toBe('InService');
      expect(gone).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Could not find endpoint') });
      expect(config.ProductionVariants?.[0]?.InstanceType).toBe('ml.g5.xlarge');
      expect(creating.EndpointStatus).toBe('Creating');
      expect(creating.ProductionVariants).toBeUndefined();
      expect(ready).toMatchObject({ EndpointStatus: 'InService', ProductionVariants: [{ CurrentInstanceCount: 2 }] });
      expect(ready.CreationTime).toEqual(new Date(NOW + 2 * HOUR));
      expect(tags.Tags).toEqual([{ Key: 'team', Value: 'fraud' }]);
      expect(sb.state.aws.region(PROD, 'us-east-1').endpoint('fraud-v3')?.status).toBe('InService');

      // The heartbeat stops while the endpoint is gone and resumes once it is back.
      sb.clock.advance(HOUR);
      const cpuSeries = await metricData(cw, [cpu('c', 'fraud-v3')], { StartTime: new Date(NOW - HOUR), EndTime: new Date(NOW + 4 * HOUR), ScanBy: 'TimestampAscending' });
      expect(points(cpuSeries.get('c')).map(([t]) => t)).toEqual(['11:00', '14:00']);
    } finally {
      await sb.close();
    }
  });

  it('refuses to create an existing endpoint or one from a missing config', async () => {
    const sb = await startSandbox({ world: sample });
    try {
      const { sm } = clients(sb);
      await expect(sm.send(new CreateEndpointCommand({ EndpointName: 'fraud-v3', EndpointConfigName: 'fraud-v3-config' }))).rejects.toThrow(/already existing/);
      await expect(sm.send(new CreateEndpointCommand({ EndpointName: 'x', EndpointConfigName: 'nope' }))).rejects.toThrow(/Could not find endpoint configuration/);
      await sm.send(new CreateEndpointCommand({ EndpointName: 'fraud-v4', EndpointConfigName: 'fraud-v3-config' }));
      expect((await sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v4' }))).EndpointStatus).toBe('InService');
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox cloud: CloudWatch GetMetricData', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: sample });
  });
  afterAll(() => sb.close());

  it('tells zeros from absent from no metrics at all over 24 hourly Sums', async () => {
    const { cw } = clients(sb);

    const r = await metricData(cw, [
      invocations('zeros', 'fraud-v3'),
      invocations('absent', 'recs-heartbeat'),
      cpu('heartbeat', 'recs-heartbeat'),
      invocations('nothing', 'legacy-nlp'),
      cpu('nothingcpu', 'legacy-nlp'),
    ]);

    expect(r.get('zeros')?.Values).toEqual(Array(24).fill(0));
    expect(r.get('zeros')?.Timestamps?.[0]).toEqual(new Date(NOW - 24 * HOUR));
    expect(r.get('absent')).toMatchObject({ Timestamps: [], Values: [], StatusCode: 'Complete', Label: 'Invocations' });
    expect(r.get('heartbeat')?.Values).toEqual(Array(24).fill(4));
    expect(r.get('nothing')?.Values).toEqual([]);
    expect(r.get('nothingcpu')?.Values).toEqual([]);
  });

  it('generates daily, weekly, gapped and brand-new series', async () => {
    const prod = clients(sb).cw;
    const eu = clients(sb, PROD, 'eu-west-1').cw;

    const day = await metricData(prod, [
      invocations('nightly', 'nightly-scoring'),
      invocations('busy', 'search-ranker'),
      invocations('busycount', 'search-ranker', 'AllTraffic', 'SampleCount'),
      invocations('fresh', 'churn-v2'),
    ]);
    const weekly24h = await metricData(eu, [invocations('w', 'weekly-report')]);
    const weekly7d = await metricData(eu, [invocations('w', 'weekly-report', 'AllTraffic', 'Sum', 86_400)], {
      StartTime: new Date(NOW - 7 * 24 * HOUR),
      EndTime: new Date(NOW),
      ScanBy: 'TimestampAscending',
    });

    expect(points(day.get('nightly')).filter(([, v]) => v > 0)).toEqual([['02:00', 1200 * 60]]);
    expect(day.get('nightly')?.Values).toHaveLength(24);
    expect(points(day.get('busy')).find(([t]) => t === '06:00')).toEqual(['06:00', 240 * 30]);
    expect(points(day.get('busycount')).find(([t]) => t === '06:00')).toEqual(['06:00', 30]);
    expect(points(day.get('busy')).find(([t]) => t === '07:00')).toEqual(['07:00', 240 * 60]);
    expect(points(day.get('fresh'))).toEqual([['10:00', 0], ['11:00', 0]]);
    expect(weekly24h.get('w')?.Values).toEqual(Array(24).fill(0));
    expect(weekly7d.get('w')?.Values?.filter((v) => v > 0)).toEqual([300 * 120]);
  });

  it('returns nothing when the dimensions differ in any way, as CloudWatch does', async () => {
    const { cw } = clients(sb);

    const r = await metricData(cw, [
      stat('endpointonly', 'AWS/SageMaker', 'Invocations', { EndpointName: 'fraud-v3' }),
      stat('extra', 'AWS/SageMaker', 'Invocations', { EndpointName: 'fraud-v3', VariantName: 'AllTraffic', Region: 'us-east-1' }),
      stat('wrongcase', 'AWS/SageMaker', 'Invocations', { EndpointName: 'Fraud-V3', VariantName: 'AllTraffic' }),
      stat('wrongns', '/aws/sagemaker/Endpoints', 'Invocations', { EndpointName: 'fraud-v3', VariantName: 'AllTraffic' }),
      stat('reordered', 'AWS/SageMaker', 'Invocations', { VariantName: 'AllTraffic', EndpointName: 'fraud-v3' }),
    ]);

    expect(r.get('endpointonly')?.Values).toEqual([]);
    expect(r.get('extra')?.Values).toEqual([]);
    expect(r.get('wrongcase')?.Values).toEqual([]);
    expect(r.get('wrongns')?.Values).toEqual([]);
    expect(r.get('reordered')?.Values).toHaveLength(24);
  });

  it('keeps older data only at coarser periods, as CloudWatch does: per minute to 15 days, per 5 minutes to 63 days', async () => {
    const { cw } = clients(sb);
    const since20d = { StartTime: new Date(NOW - 20 * 24 * HOUR), EndTime: new Date(NOW - 19 * 24 * HOUR), ScanBy: 'TimestampAscending' as const };
    const since2h = { StartTime: new Date(NOW - 2 * HOUR), EndTime: new Date(NOW), ScanBy: 'TimestampAscending' as const };

    const old = await metricData(cw, [invocations('m1', 'fraud-v3', 'AllTraffic', 'Sum', 60), invocations('m5', 'fraud-v3', 'AllTraffic', 'Sum', 300)], since20d);
    const recent = await metricData(cw, [invocations('m1', 'fraud-v3', 'AllTraffic', 'Sum', 60)], since2h);

    expect(old.get('m1')?.Values).toEqual([]);
    expect(old.get('m5')?.Values).toHaveLength(288);
    expect(recent.get('m1')?.Values).toHaveLength(120);
  });

  it('refuses 501 queries with ValidationError', async () => {
    const { cw } = clients(sb);
    const queries = Array.from({ length: 501 }, (_, i) => invocations(`q${i}`, 'fraud-v3'));

    const err = await cw.send(new GetMetricDataCommand({ ...last24h, MetricDataQueries: queries })).catch((e: unknown) => e as Error & { Code?: string });

    expect(err).toMatchObject({ name: 'ValidationException', Code: 'ValidationError', message: expect.stringContaining('500') });
    await expect(cw.send(new GetMetricDataCommand({ ...last24h, MetricDataQueries: queries.slice(0, 500) }))).resolves.toBeDefined();
  });

  it('paginates datapoints with NextToken and MaxDatapoints, marking split series PartialData', async () => {
    const { cw } = clients(sb);
    const queries = [invocations('a', 'fraud-v3'), invocations('none', 'legacy-nlp'), invocations('b', 'nightly-scoring')];
    const whole = await metricData(cw, queries);
    const collected = new Map<string, number[]>();
    const statuses: string[] = [];
    let token: string | undefined;
    let pages = 0;

    do {
      const res = await cw.send(new GetMetricDataCommand({ ...last24h, MetricDataQueries: queries, MaxDatapoints: 10, NextToken: token }));
      for (const r of res.MetricDataResults ?? []) {
        collected.set(r.Id ?? '', [...(collected.get(r.Id ?? '') ?? []), ...(r.Values ?? [])]);
        statuses.push(`${r.Id}:${r.StatusCode}`);
      }
      token = res.NextToken;
      pages++;
    } while (token);

    expect(pages).toBe(5);
    expect(collected.get('a')).toEqual(whole.get('a')?.Values);
    expect(collected.get('b')).toEqual(whole.get('b')?.Values);
    expect(collected.get('none')).toEqual([]);
    expect(statuses.slice(0, 2)).toEqual(['a:PartialData', 'a:PartialData']);
    expect(statuses).toContain('b:Complete');
  });

  it('scans newest first by default and follows the world clock', async () => {
    const sbLocal = await startSandbox({ world: sample });
    try {
      const { cw } = clients(sbLocal);
      const window = { StartTime: new Date(NOW - 3 * HOUR), EndTime: new Date(NOW + 3 * HOUR) };
      const before = await cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [invocations('f', 'churn-v2')] }));
      sbLocal.clock.advance(HOUR);
      const after = await cw.send(new GetMetricDataCommand({ ...window, MetricDataQueries: [invocations('f', 'churn-v2')] }));

      expect(points(before.MetricDataResults?.[0]).map(([t]) => t)).toEqual(['11:00', '10:00']);
      expect(points(after.MetricDataResults?.[0]).map(([t]) => t)).toEqual(['12:00', '11:00', '10:00']);
    } finally {
      await sbLocal.close();
    }
  });

  it('lists only metrics that publish, filtered by namespace and dimensions', async () => {
    const { cw } = clients(sb);

    const all = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/SageMaker', MetricName: 'Invocations' }));
    const recs = await cw.send(new ListMetricsCommand({ Dimensions: [{ Name: 'EndpointName', Value: 'recs-heartbeat' }] }));

    expect(all.Metrics?.map((m) => m.Dimensions?.find((d) => d.Name === 'EndpointName')?.Value).sort()).toEqual([
      'ab-test',
      'ab-test',
      'chat-assist',
      'churn-v2',
      'fraud-v3',
      'nightly-scoring',
      'search-ranker',
    ]);
    expect(recs.Metrics?.map((m) => `${m.Namespace} ${m.MetricName}`)).toEqual(['/aws/sagemaker/Endpoints CPUUtilization']);
  });
});

describe('sandbox cloud: faults', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: sample });
  });
  afterAll(() => sb.close());

  it('throttles SageMaker and CloudWatch; the SDK retries both and the calls are counted', async () => {
    const { sm, cw } = clients(sb);
    sb.resetCalls();
    sb.faults.clear();
    sb.faults.add({ service: 'sagemaker', operation: 'ListEndpoints', kind: 'throttle', times: 2 });
    sb.faults.add({ service: 'cloudwatch', operation: 'GetMetricData', kind: 'throttle', times: 2 });

    const [list, data] = await Promise.all([sm.send(new ListEndpointsCommand({})), metricData(cw, [invocations('a', 'fraud-v3')])]);

    expect(list.Endpoints?.length).toBeGreaterThan(0);
    expect(data.get('a')?.Values).toHaveLength(24);
    expect(sb.calls()).toMatchObject({ 'sagemaker.ListEndpoints': 3, 'cloudwatch.GetMetricData': 3 });
    expect(sb.faults.injected()).toEqual({ 'sagemaker.ListEndpoints:throttle': 2, 'cloudwatch.GetMetricData:throttle': 2 });
  });

  it('surfaces throttling under the names the SDK retry strategy recognises', async () => {
    const { sm, cw } = clients(sb, PROD, 'us-east-1', 1);
    sb.faults.clear();
    sb.faults.add({ kind: 'throttle', times: 2 });

    const smErr = await sm.send(new ListEndpointsCommand({})).catch((e: unknown) => e as Error);
    const cwErr = await cw.send(new ListMetricsCommand({})).catch((e: unknown) => e as Error);

    expect(smErr).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(cwErr).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
  });

  it('answers 500 InternalFailure and 503 ServiceUnavailable, which the SDK retries', async () => {
    const once = clients(sb, PROD, 'us-east-1', 1);
    const retrying = clients(sb);
    sb.faults.clear();

    sb.faults.add({ service: 'sagemaker', kind: 'server-error', times: 1 });
    const e500 = await once.sm.send(new ListEndpointsCommand({})).catch((e: unknown) => e as Error);
    sb.faults.add({ service: 'cloudwatch', kind: 'server-error', status: 503, times: 1 });
    const e503 = await once.cw.send(new ListMetricsCommand({})).catch((e: unknown) => e as Error);
    sb.faults.add({ service: 'sagemaker', kind: 'server-error', times: 1 });
    const recovered = await retrying.sm.send(new ListEndpointsCommand({}));

    expect(e500).toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
    expect(e503).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    expect(recovered.Endpoints?.length).toBeGreaterThan(0);
  });

  it('adds latency and denies access for one account only', async () => {
    sb.faults.clear();
    sb.faults.add({ service: 'sagemaker', operation: 'DescribeEndpoint', kind: 'latency', latencyMs: 250 });
    sb.faults.add({ service: 'cloudwatch', kind: 'access-denied', account: DEV });

    const t0 = performance.now();
    await clients(sb).sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }));
    const elapsed = performance.now() - t0;
    const denied = await clients(sb, DEV).cw.send(new ListMetricsCommand({})).catch((e: unknown) => e as Error);
    const allowed = await clients(sb, PROD).cw.send(new ListMetricsCommand({}));

    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(denied).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(allowed.Metrics?.length).toBeGreaterThan(0);
  });

  it('fails the same calls on every run with the same seed', async () => {
    const world = defineWorld({ version: 1, now: '2025-06-18T12:00:00Z', seed: 42, aws: { accounts: [{ id: PROD, name: 'p' }] }, faults: [{ kind: 'throttle', rate: 0.5 }] });
    const outcomes = async () => {
      const s = await startSandbox({ world });
      try {
        const { sm } = clients(s, PROD, 'us-east-1', 1);
        const out: boolean[] = [];
        for (let i = 0; i < 12; i++) out.push(await sm.send(new ListEndpointsCommand({})).then(() => true, () => false));
        return out;
      } finally {
        await s.close();
      }
    };

    const first = await outcomes();
    const second = await outcomes();

    expect(first).toEqual(second);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });
});

describe('sandbox cloud: wire protocol', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ world: sample });
  });
  afterAll(() => sb.close());

  it('sends timestamps as epoch seconds', async () => {
    const res = await raw(sb, 'SageMaker.DescribeEndpoint', '{"EndpointName":"fraud-v3"}', { authorization: AUTH(PROD) });
    expect(res.status).toBe(200);
    expect(res.json['CreationTime']).toBe((NOW - 45 * 24 * HOUR) / 1000);
  });

  it('answers a missing or malformed Authorization header, an unknown operation and bad JSON as AWS does', async () => {
    const missing = await raw(sb, 'SageMaker.ListEndpoints', '{}');
    const malformed = await raw(sb, 'SageMaker.ListEndpoints', '{}', { authorization: 'Bearer abc' });
    const unknown = await raw(sb, 'SageMaker.CreateNotebookInstance', '{}', { authorization: AUTH(PROD) });
    const badJson = await raw(sb, 'SageMaker.ListEndpoints', '{"MaxResults": ', { authorization: AUTH(PROD) });
    const cwMissing = await raw(sb, 'GraniteServiceVersion20100801.GetMetricData', '{}');

    expect([missing.status, missing.json['__type']]).toEqual([403, 'MissingAuthenticationTokenException']);
    expect([malformed.status, malformed.json['__type']]).toEqual([400, 'IncompleteSignatureException']);
    expect([unknown.status, unknown.json['__type']]).toEqual([400, 'UnknownOperationException']);
    expect([badJson.status, badJson.json['__type']]).toEqual([400, 'SerializationException']);
    expect(cwMissing.headers.get('x-amzn-query-error')).toBe('MissingAuthenticationToken;Sender');
    expect(missing.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('takes the region from the credential scope', async () => {
    const eu = await raw(sb, 'SageMaker.ListEndpoints', '{}', { authorization: AUTH(PROD, 'eu-west-1') });
    expect((eu.json['Endpoints'] as { EndpointName: string }[]).map((e) => e.EndpointName)).toEqual(['translate-eu', 'weekly-report']);
  });
});
