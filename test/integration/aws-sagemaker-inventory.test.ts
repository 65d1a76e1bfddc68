import {
  DeleteAppCommand,
  DescribeAppCommand,
  DescribeNotebookInstanceCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  SageMakerClient,
  StartNotebookInstanceCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { ConfigError } from '../../shared/errors.js';
import { awsClientFactory } from '../../shared/providers/aws/clients.js';
import { AwsProvider } from '../../shared/providers/aws/provider.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';

const ACCOUNT = '222222222222';
const NOW = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;

const manyNotebooks = Array.from({ length: 110 }, (_, i) => ({ name: `bulk-nb-${i}`, instanceType: 'ml.t3.medium', status: 'Stopped' as const }));
const manyJobs = Array.from({ length: 105 }, (_, i) => ({ name: `bulk-train-${i}`, instanceType: 'ml.m5.xlarge', createdAt: '-1h' }));

const WORLD: WorldInput = {
  version: 1,
  now: NOW.toISOString(),
  aws: {
    accounts: [
      {
        id: ACCOUNT,
        name: 'ml-dev',
        regions: {
          'us-east-1': {
            sagemaker: {
              endpoints: [
                { name: 'embed', createdAt: '-30d', variants: [{ instanceType: 'ml.g5.2xlarge', metrics: { invocations: { constant: 5 }, cpu: { constant: 20 }, gpu: { constant: 4 } } }] },
                { name: 'cpu-only', createdAt: '-30d', variants: [{ instanceType: 'ml.m5.large', metrics: { invocations: { constant: 5 }, cpu: { constant: 20 } } }] },
              ],
              notebookLifecycleConfigs: [
                { name: 'auto-stop-idle', autoStopIdleMinutes: 45 },
                { name: 'publish-metrics', onStart: '#!/bin/bash\necho agent' },
              ],
              notebookInstances: [
                { name: 'research-nb', instanceType: 'ml.g4dn.xlarge', lastModifiedAt: '-6d', lifecycleConfig: 'publish-metrics', tags: { team: 'research' }, metrics: { cpu: { constant: 30 } } },
                { name: 'team-nb', instanceType: 'ml.t3.medium', lastModifiedAt: '-1d', lifecycleConfig: 'auto-stop-idle', directInternetAccess: false },
                ...manyNotebooks,
              ],
              studioDomains: [
                {
                  name: 'ml-studio',
                  id: 'd-abc123',
                  idleShutdownMinutes: 180,
                  userProfiles: ['ana', 'ben'],
                  spaces: [
                    { name: 'ana-lab', owner: 'ana', storageGb: 20, tags: { team: 'vision', owner: 'space' } },
                    { name: 'ben-code', owner: 'ben', appType: 'CodeEditor', idleShutdownMinutes: 60 },
                  ],
                  apps: [
                    { type: 'JupyterLab', space: 'ana-lab', instanceType: 'ml.g5.xlarge', createdAt: '-3d', lastUserActivity: '-26h', tags: { owner: 'app' } },
                    { type: 'CodeEditor', space: 'ben-code', instanceType: 'ml.t3.medium', createdAt: '-5h' },
                    { type: 'KernelGateway', userProfile: 'ben', name: 'datascience-t3', instanceType: 'ml.t3.medium', createdAt: '-2d' },
                    { type: 'JupyterServer', userProfile: 'ben', instanceType: 'system' },
                    { type: 'JupyterLab', space: 'ana-lab', name: 'old', status: 'Deleted', instanceType: 'ml.g5.xlarge' },
                  ],
                },
              ],
              trainingJobs: [
                { name: 'llm-ft', instanceType: 'ml.p3.2xlarge', instanceCount: 2, createdAt: '-81h', startedAt: '-80h', maxRuntimeSeconds: 345_600, spot: true, tags: { team: 'nlp' } },
                { name: 'done', status: 'Completed', instanceType: 'ml.m5.xlarge', createdAt: '-5d' },
                ...manyJobs,
              ],
              processingJobs: [
                { name: 'features', instanceType: 'ml.m5.xlarge', createdAt: '-3h', maxRuntimeSeconds: 7200 },
                { name: 'old-features', status: 'Completed', instanceType: 'ml.m5.xlarge', createdAt: '-3d' },
              ],
            },
          },
        },
      },
    ],
  },
};

function provider(sb: Sandbox) {
  return new AwsProvider(awsClientFactory([{ accountId: ACCOUNT }], { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, retry: { baseDelayMs: 1 } }));
}

const byName = (rs: readonly Resource[], kind: string, name: string) => rs.find((r) => r.kind === kind && r.name === name);

describe('AWS provider: SageMaker inventory against the sandbox cloud', () => {
  let sb: Sandbox;
  let resources: Resource[];
  let collection: Awaited<ReturnType<AwsProvider['collect']>>;
  let aws: AwsProvider;
  beforeAll(async () => {
    sb = await startSandbox({ world: defineWorld(WORLD) });
    aws = provider(sb);
    // The windows the default policy's rules judge each kind over (idle-endpoint 24 h, underused-endpoint 168 h, idle-notebook 2 h).
    collection = await aws.collect(
      { scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] },
      { now: NOW, lookbackHours: 336, usageWindowHours: { 'aws.sagemaker.endpoint': [24, 168], 'aws.sagemaker.notebook-instance': [2] } },
    );
    resources = [...collection.resources];
  });
  afterAll(() => sb.close());

  it('reads notebook instances with their lifecycle configuration, auto-stop setting and tags, every page followed', () => {
    const research = byName(resources, 'aws.sagemaker.notebook-instance', 'research-nb');
    const team = byName(resources, 'aws.sagemaker.notebook-instance', 'team-nb');

    expect(collection.failures).toEqual([]);
    expect(resources.filter((r) => r.kind === 'aws.sagemaker.notebook-instance')).toHaveLength(112);
    expect(sb.calls()['sagemaker.ListNotebookInstances']).toBe(2);
    expect(research).toMatchObject({
      id: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:notebook-instance/research-nb`,
      state: 'InService',
      lifecycle: 'running',
      tags: { team: 'research' },
      components: [{ instanceType: 'ml.g4dn.xlarge', instanceCount: 1 }],
      attributes: { lifecycleConfigName: 'publish-metrics', autoStopIdleMinutes: null, directInternetAccess: true, runningSince: new Date(NOW.getTime() - 6 * 24 * HOUR).toISOString() },
    });
    expect(team?.attributes).toMatchObject({ autoStopIdleMinutes: 45, directInternetAccess: false });
    // Two configurations, read once each however many notebooks share them.
    expect(sb.calls()['sagemaker.DescribeNotebookInstanceLifecycleConfig']).toBe(2);
  });

  it('reads Studio apps that may cost money, with instance type, activity, idle shutdown and merged tags', () => {
    const apps = resources.filter((r) => r.kind === 'aws.sagemaker.studio-app');
    const lab = byName(resources, 'aws.sagemaker.studio-app', 'ana-lab/JupyterLab/default');
    const code = byName(resources, 'aws.sagemaker.studio-app', 'ben-code/CodeEditor/default');
    const kernel = byName(resources, 'aws.sagemaker.studio-app', 'ben/KernelGateway/datascience-t3');
    const system = byName(resources, 'aws.sagemaker.studio-app', 'ben/JupyterServer/default');

    expect(apps.map((a) => a.name).sort()).toEqual(['ana-lab/JupyterLab/default', 'ben-code/CodeEditor/default', 'ben/JupyterServer/default', 'ben/KernelGateway/datascience-t3']);
    expect(lab).toMatchObject({
      id: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:app/d-abc123/ana-lab/jupyterlab/default`,
      tags: { team: 'vision', owner: 'app' },
      components: [{ instanceType: 'ml.g5.xlarge', instanceCount: 1 }],
      attributes: { domainId: 'd-abc123', spaceName: 'ana-lab', lastUserActivity: new Date(NOW.getTime() - 26 * HOUR).toISOString(), idleShutdownMinutes: 180, spaceStorageGb: 20 },
    });
    // Health checks set LastUserActivityTimestamp too: equal to the health check, it is not activity.
    expect(code?.attributes).toMatchObject({ lastUserActivity: null, idleShutdownMinutes: 60 });
    expect(kernel?.attributes).toMatchObject({ userProfileName: 'ben', spaceName: null, idleShutdownMinutes: null });
    expect(system?.components).toEqual([]);
  });

  it('reads training and processing jobs in progress only, with limits, start times and instances', () => {
    const training = resources.filter((r) => r.kind === 'aws.sagemaker.training-job');
    const llm = byName(resources, 'aws.sagemaker.training-job', 'llm-ft');
    const features = byName(resources, 'aws.sagemaker.processing-job', 'features');

    expect(training).toHaveLength(106);
    // Two pages of jobs in progress; with no collection plan, the finished jobs of spot-training are
    // listed too (one call each for Completed and Stopped), under their own kind.
    expect(sb.calls()['sagemaker.ListTrainingJobs']).toBe(4);
    expect(resources.some((r) => (r.name === 'done' || r.name === 'old-features') && r.kind !== 'aws.sagemaker.finished-training-job')).toBe(false);
    expect(llm).toMatchObject({
      tags: { team: 'nlp' },
      components: [{ instanceType: 'ml.p3.2xlarge', instanceCount: 2 }],
      attributes: { startedAt: new Date(NOW.getTime() - 80 * HOUR).toISOString(), maxRuntimeSeconds: 345_600, managedSpot: true, secondaryStatus: 'Training' },
    });
    expect(features).toMatchObject({ components: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1 }], attributes: { maxRuntimeSeconds: 7200 } });
  });

  it('reads endpoint CPU and GPU per variant, GPU only where there is one, and notebook CPU where a lifecycle configuration publishes it', () => {
    const embed = byName(resources, 'aws.sagemaker.endpoint', 'embed');
    const cpuOnly = byName(resources, 'aws.sagemaker.endpoint', 'cpu-only');
    const research = byName(resources, 'aws.sagemaker.notebook-instance', 'research-nb');
    const signals = (id: string | undefined) => collection.usage.filter((u) => u.resourceId === id).map((u) => `${u.signal}:${u.status}`).sort();
    const nbCpu = collection.usage.find((u) => u.resourceId === research?.id);

    // InvocationsPerInstance (autoscaling-floor) is read only for variants with an autoscaling floor above one: these have none.
    expect(signals(embed?.id)).toEqual(['cpu:present', 'gpu:present', 'heartbeat:present', 'requests:present']);
    expect(signals(cpuOnly?.id)).toEqual(['cpu:present', 'heartbeat:present', 'requests:present']);
    // cpu_usage_idle is published; costwatch reads it as CPU in use.
    expect(nbCpu?.points.at(-1)?.value).toBe(30);
    expect(collection.usage.filter((u) => u.resourceId === byName(resources, 'aws.sagemaker.notebook-instance', 'team-nb')?.id)).toEqual([]);
  });

  it('asks GetMetricData once per decision window for fewer than 500 series, each kind at the period its rules need', () => {
    // Endpoints over 168 h hourly, the notebook over 2 h in 5-minute periods; both endpoints served requests, so no history is read.
    expect(sb.calls()['cloudwatch.GetMetricData']).toBe(2);
    // Invocations, CPU (also the heartbeat) and GPU for the GPU endpoint, two for the CPU one, one for the notebook.
    expect(aws.meter).toEqual({ calls: 2, queries: 6, metricsRequested: 6 });
    const embed = collection.usage.find((u) => u.signal === 'requests');
    expect(embed?.periodSeconds).toBe(3600);
    expect(embed?.window).toEqual({ start: new Date(NOW.getTime() - 168 * HOUR), end: NOW });
    expect(embed?.points).toHaveLength(168);
    expect((embed?.points[1]?.at.getTime() ?? 0) - (embed?.points[0]?.at.getTime() ?? 0)).toBe(HOUR);
    const nb = collection.usage.find((u) => u.resourceId === byName(resources, 'aws.sagemaker.notebook-instance', 'research-nb')?.id);
    expect([nb?.periodSeconds, nb?.points.length]).toEqual([300, 24]);
  });
});

describe('AWS provider: failures stay where they happen', () => {
  it('reports a denied Studio listing and keeps every other inventory', async () => {
    const sb = await startSandbox({ world: defineWorld(WORLD) });
    try {
      sb.faults.add({ service: 'sagemaker', operation: 'ListDomains', kind: 'access-denied' });
      const c = await provider(sb).collect({ scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] }, { now: NOW, lookbackHours: 336 });

      expect(c.failures.map((f) => f.operation)).toEqual(['sagemaker:ListDomains/ListApps/DescribeApp']);
      expect(c.failures[0]?.message).toMatch(/AccessDeniedException/);
      expect(new Set(c.resources.map((r) => r.kind).filter((k) => k !== 'aws.sagemaker.finished-training-job'))).toEqual(
        new Set(['aws.sagemaker.endpoint', 'aws.sagemaker.notebook-instance', 'aws.sagemaker.training-job', 'aws.sagemaker.processing-job']),
      );
    } finally {
      await sb.close();
    }
  });
});

describe('sandbox cloud: SageMaker state changes', () => {
  it('stops a notebook through Stopping to Stopped with the world clock, and its CPU metric stops with it', async () => {
    const sb = await startSandbox({ world: defineWorld(WORLD), transitionMs: 5 * 60_000 });
    try {
      const aws = provider(sb);
      const ref = { cloud: 'aws' as const, scopeId: ACCOUNT, region: 'us-east-1', kind: 'aws.sagemaker.notebook-instance' as const, id: '', name: 'research-nb' };
      const before = await aws.describe(ref);
      await aws.perform('aws.sagemaker.stop-notebook-instance', before!);
      const stopping = await aws.describe(ref);
      sb.clock.advance(10 * 60_000);
      const stopped = await aws.describe(ref);
      const later = { now: new Date(NOW.getTime() + 3 * HOUR), lookbackHours: 1 };
      sb.clock.advance(3 * HOUR);

      expect([stopping?.state, stopped?.state, stopped?.lifecycle]).toEqual(['Stopping', 'Stopped', 'stopped']);
      expect(await aws.usageOf(stopped!, later)).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  it('starts a notebook through Pending, deletes an app through Deleting and stops jobs through Stopping', async () => {
    const sb = await startSandbox({ world: defineWorld(WORLD), transitionMs: 60_000 });
    try {
      const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT) });
      const status = async () => ({
        nb: (await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: 'bulk-nb-0' }))).NotebookInstanceStatus,
        app: (await sm.send(new DescribeAppCommand({ DomainId: 'd-abc123', AppType: 'KernelGateway', AppName: 'datascience-t3', UserProfileName: 'ben' }))).Status,
        job: (await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: 'llm-ft' }))).TrainingJobStatus,
        proc: (await sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'features' }))).ProcessingJobStatus,
      });

      await sm.send(new StartNotebookInstanceCommand({ NotebookInstanceName: 'bulk-nb-0' }));
      await sm.send(new DeleteAppCommand({ DomainId: 'd-abc123', AppType: 'KernelGateway', AppName: 'datascience-t3', UserProfileName: 'ben' }));
      await sm.send(new StopTrainingJobCommand({ TrainingJobName: 'llm-ft' }));
      await sm.send(new StopProcessingJobCommand({ ProcessingJobName: 'features' }));
      const during = await status();
      sb.clock.advance(60_000);
      const after = await status();
      const refused = await sm.send(new StopTrainingJobCommand({ TrainingJobName: 'llm-ft' })).catch((e: unknown) => e as Error);

      expect(during).toEqual({ nb: 'Pending', app: 'Deleting', job: 'Stopping', proc: 'Stopping' });
      expect(after).toEqual({ nb: 'InService', app: 'Deleted', job: 'Stopped', proc: 'Stopped' });
      expect(refused).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('in status Stopped') });
      expect(sb.calls()).toMatchObject({ 'sagemaker.StartNotebookInstance': 1, 'sagemaker.DeleteApp': 1, 'sagemaker.StopTrainingJob': 2, 'sagemaker.StopProcessingJob': 1 });
    } finally {
      await sb.close();
    }
  });

  it('rejects world sections that contradict themselves, naming each problem', () => {
    const bad: WorldInput = {
      version: 1,
      now: NOW.toISOString(),
      aws: {
        accounts: [
          {
            id: ACCOUNT,
            name: 'x',
            regions: {
              'us-east-1': {
                sagemaker: {
                  notebookInstances: [
                    { name: 'nb', instanceType: 'ml.t3.medium', lifecycleConfig: 'missing' },
                    { name: 'NB', instanceType: 'ml.t3.medium' },
                  ],
                  studioDomains: [{ name: 's', userProfiles: ['ana'], spaces: [{ name: 'lab', owner: 'zed' }], apps: [{ type: 'JupyterLab', space: 'nowhere' }, { type: 'KernelGateway' }] }],
                  trainingJobs: [{ name: 'j', instanceType: 'p3.2xlarge' }],
                },
              },
            },
          },
        ],
      },
    };
    let message = '';
    try {
      defineWorld(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }

    expect(message).toMatch(/notebookInstances\[0\]\.lifecycleConfig: lifecycle configuration "missing" is not declared/);
    expect(message).toMatch(/notebookInstances\[1\]\.name: notebook instance "NB" is declared twice/);
    expect(message).toMatch(/spaces\[0\]\.owner: user profile "zed" is not listed/);
    expect(message).toMatch(/apps\[0\]\.space: space "nowhere" is not declared/);
    expect(message).toMatch(/apps\[1\]\.space: an app belongs to exactly one of space or userProfile/);
    expect(message).toMatch(/trainingJobs\[0\]\.instanceType: an instance type looks like ml\.g5\.xlarge/);
  });
});
