import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Scope } from '../../shared/domain/resource.js';
import { awsClientFactory } from '../../shared/providers/aws/clients.js';
import { readMetrics } from '../../shared/providers/aws/metrics.js';
import { AwsProvider } from '../../shared/providers/aws/provider.js';
import { listEndpoints } from '../../shared/providers/aws/sagemaker-endpoints.js';
import { listTrainingJobs } from '../../shared/providers/aws/sagemaker-jobs.js';
import { describeNotebook, listNotebooks } from '../../shared/providers/aws/sagemaker-notebooks.js';
import { asRecording, loadPlaceboDir, placeboToWire, PlaceboFormatError, startPlaceboServer, type PlaceboRecording } from '../../shared/sandbox/aws/placebo.js';

const dir = (name: string) => fileURLToPath(new URL(`../fixtures/custodian-placebo/${name}`, import.meta.url));
const scope: Scope = { cloud: 'aws', id: '644160558196' };
const credentials = { accessKeyId: 'AKIDPLACEBO', secretAccessKey: 'placebo' };

async function serve(...dirs: string[]) {
  const recordings = new Map<string, PlaceboRecording[]>();
  for (const d of dirs) for (const [op, rs] of await loadPlaceboDir(dir(d))) recordings.set(op, [...(recordings.get(op) ?? []), ...rs]);
  const server = await startPlaceboServer(recordings);
  const cfg = { endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
  return { server, sm: new SageMakerClient(cfg), cw: new CloudWatchClient(cfg) };
}

describe('placebo converter', () => {
  it('turns datetime dicts into epoch seconds and drops ResponseMetadata', async () => {
    const rec = asRecording(JSON.parse(await readFile(dir('test_sagemaker_notebook_instances/api.sagemaker.DescribeNotebookInstance_1.json'), 'utf8')));

    const wire = placeboToWire(rec);

    expect(wire['CreationTime']).toBe(Date.UTC(2018, 0, 18, 10, 59, 51) / 1000 + 0.486);
    expect(wire['ResponseMetadata']).toBeUndefined();
    expect(JSON.stringify(wire)).not.toContain('__class__');
  });

  it('refuses what is not a recording, naming the problem', () => {
    expect(() => asRecording({ data: {} }, 'x.json')).toThrow(PlaceboFormatError);
    expect(() => placeboToWire({ status_code: 200, data: { T: { __class__: 'datetime', year: 2018, month: 'Jan' } } }, 'x.json')).toThrow(/x\.json: datetime field month/);
    expect(() => placeboToWire({ status_code: 200, data: { T: { __class__: 'Decimal', value: '1' } } })).toThrow(/cannot convert a serialised Decimal/);
  });
});

describe('recorded SageMaker and CloudWatch responses through the collectors', () => {
  it('reads a recorded notebook instance: status, type, times, no tags', async () => {
    const { server, sm } = await serve('test_sagemaker_notebook_instances');
    try {
      const [nb] = await listNotebooks(sm, scope, 'us-east-1');

      expect(nb).toMatchObject({
        kind: 'aws.sagemaker.notebook-instance',
        id: 'arn:aws:sagemaker:us-east-1:644160558196:notebook-instance/c7n-ni-test',
        name: 'c7n-ni-test',
        state: 'Stopped',
        lifecycle: 'stopped',
        tags: {},
        components: [{ instanceType: 'ml.t2.medium', instanceCount: 0 }],
        attributes: { lifecycleConfigName: null, autoStopIdleMinutes: null, runningSince: null },
      });
      expect(nb?.createdAt).toEqual(new Date('2018-01-18T10:59:51.486Z'));
    } finally {
      await server.close();
    }
  });

  it('replays the recorded stop of a running notebook through the provider', async () => {
    const { server } = await serve('test_sagemaker_stop_notebook_instance');
    try {
      const aws = new AwsProvider(awsClientFactory([{ accountId: scope.id }], { endpoint: server.endpoint, credentials: () => credentials, retry: { maxAttempts: 1 } }));
      const ref = { cloud: 'aws' as const, scopeId: scope.id, region: 'us-east-1', kind: 'aws.sagemaker.notebook-instance' as const, id: '', name: 'c7n-ni-test' };

      const running = await aws.describe(ref);
      const done = await aws.perform('aws.sagemaker.stop-notebook-instance', running!);

      expect(running).toMatchObject({ state: 'InService', lifecycle: 'running', components: [{ instanceCount: 1 }] });
      expect(done.summary).toContain('stopped notebook instance c7n-ni-test');
      expect(server.calls.get('StopNotebookInstance')).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('follows the recorded NextToken of ListTrainingJobs and reads the job the recording describes', async () => {
    const { server, sm } = await serve('test_sagemaker_training_job_query');
    try {
      const [job] = await listTrainingJobs(sm, scope, 'us-east-1');

      expect(server.calls.get('ListTrainingJobs')).toBe(2);
      expect(job).toMatchObject({
        name: 'c7n-job-2018-01-12-18-23-33',
        state: 'Failed',
        lifecycle: 'failed',
        components: [{ instanceType: 'ml.c4.8xlarge', instanceCount: 0 }],
        attributes: { maxRuntimeSeconds: 3600, startedAt: '2018-01-12T13:27:36.138Z', managedSpot: false },
      });
    } finally {
      await server.close();
    }
  });

  it('reads a recorded endpoint with its variant instance type from the recorded endpoint config', async () => {
    const { server, sm } = await serve('test_sagemaker_endpoint_delete', 'test_sagemaker_endpoint_config');
    try {
      const [ep] = await listEndpoints(sm, scope, 'us-east-1');

      expect(ep).toMatchObject({
        kind: 'aws.sagemaker.endpoint',
        name: 'kmeans-2018-01-18-19-25-36-887',
        state: 'InService',
        lifecycle: 'running',
        attributes: { endpointConfigName: 'kmeans-2018-01-18-19-25-36-887', asynchronous: false },
      });
      expect(ep?.components[0]).toMatchObject({ name: 'AllTraffic', instanceCount: 1, capacity: 'provisioned' });
      expect(ep?.components[0]?.instanceType).toMatch(/^ml\./);
    } finally {
      await server.close();
    }
  });

  it('reads a recorded endpoint that is still Creating as starting', async () => {
    const { server, sm } = await serve('test_sagemaker_endpoints', 'test_sagemaker_endpoint_config');
    try {
      const [ep] = await listEndpoints(sm, scope, 'us-east-1');
      expect([ep?.state, ep?.lifecycle]).toEqual(['Creating', 'starting']);
    } finally {
      await server.close();
    }
  });

  it('reads a recorded GetMetricData answer as a present series with its timestamp', async () => {
    const { server, cw } = await serve('bedrock_inference_profile_token_metrics');
    try {
      const window = { start: new Date('2026-07-21T00:00:00Z'), end: new Date('2026-07-22T00:00:00Z') };
      const [series] = await readMetrics(cw, [{ resourceId: 'r', signal: 'requests', namespace: 'AWS/Bedrock', metricName: 'InputTokenCount', dimensions: {}, stat: 'Sum', unit: 'Count' }], window, 3600);

      expect(series).toMatchObject({ status: 'present', points: [{ at: new Date('2026-07-21T14:13:00Z'), value: 15 }] });
    } finally {
      await server.close();
    }
  });

  it('parses recorded GetMetricStatistics answers with the real CloudWatch client', async () => {
    const { server, cw } = await serve('test_ec2_metric', 'test_lambda_policy_metrics');
    try {
      const input = { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', StartTime: new Date(0), EndTime: new Date(1), Period: 60, Statistics: ['Average' as const] };
      const ec2 = await cw.send(new GetMetricStatisticsCommand(input));
      const lambda = await cw.send(new GetMetricStatisticsCommand(input));

      expect(ec2.Label).toBe('CPUUtilization');
      expect(ec2.Datapoints).toEqual([{ Timestamp: new Date('2016-06-21T20:59:00Z'), Average: 0.02857142857142857, Unit: 'Percent' }]);
      expect(lambda.Datapoints?.[0]).toMatchObject({ Timestamp: new Date('2016-05-30T10:50:00Z'), Sum: 4, Unit: 'Count' });
    } finally {
      await server.close();
    }
  });

  it('answers an operation with no recording as unknown, not with another one', async () => {
    const { server, sm } = await serve('test_sagemaker_notebook_instances');
    try {
      await expect(describeNotebook(sm, scope, 'us-east-1', 'x').then(() => listTrainingJobs(sm, scope, 'us-east-1'))).rejects.toMatchObject({ name: 'UnknownOperationException' });
    } finally {
      await server.close();
    }
  });
});
