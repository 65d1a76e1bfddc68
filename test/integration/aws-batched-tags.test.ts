import { AddTagsCommand, SageMakerClient, SearchCommand } from '@aws-sdk/client-sagemaker';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { awsClientFactory } from '../../shared/providers/aws/clients.js';
import { AwsProvider } from '../../shared/providers/aws/provider.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';

const ACCOUNT = '333333333333';
const NOW = new Date('2025-06-18T12:00:00Z');

// 230 endpoints (three Search pages), each with tags of its own; 130 training jobs in progress and 20 finished.
const endpoints = Array.from({ length: 230 }, (_, i) => ({
  name: `ep-${i}`,
  createdAt: '-3d',
  tags: { team: `team-${i % 7}`, index: String(i), ...(i % 50 === 0 ? { 'costwatch:exempt': 'true' } : {}) },
  variants: [{ instanceType: 'ml.m5.large', metrics: { invocations: { constant: 1 }, cpu: { constant: 10 } } }],
}));
const jobs = [
  ...Array.from({ length: 130 }, (_, i) => ({ name: `train-${i}`, instanceType: 'ml.m5.xlarge', createdAt: '-2h', tags: { owner: `o${i}` } })),
  ...Array.from({ length: 20 }, (_, i) => ({ name: `done-${i}`, status: 'Completed' as const, instanceType: 'ml.m5.xlarge', createdAt: '-3d', tags: { owner: 'old' } })),
];

function world(faults: WorldInput['faults'] = []): WorldInput {
  return {
    version: 1,
    now: NOW.toISOString(),
    ...(faults.length > 0 ? { faults } : {}),
    aws: { accounts: [{ id: ACCOUNT, name: 'tags', regions: { 'us-east-1': { sagemaker: { endpoints, trainingJobs: jobs } } } }] },
  };
}

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function collect(w: WorldInput): Promise<{ resources: readonly Resource[]; calls: Record<string, number> }> {
  sb = await startSandbox({ world: defineWorld(w) });
  const provider = new AwsProvider(awsClientFactory([{ accountId: ACCOUNT }], { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, retry: { baseDelayMs: 1 } }));
  const c = await provider.collect(
    { scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] },
    { now: NOW, lookbackHours: 24, plan: { kinds: { 'aws.sagemaker.endpoint': [], 'aws.sagemaker.training-job': [] }, billing: [] } },
  );
  expect(c.failures).toEqual([]);
  return { resources: c.resources, calls: { ...sb.calls() } };
}

function expectWorldTags(resources: readonly Resource[]): void {
  const eps = resources.filter((r) => r.kind === 'aws.sagemaker.endpoint');
  expect(eps).toHaveLength(230);
  for (const r of eps) {
    const i = Number(r.name.slice(3));
    expect(r.tags).toEqual({ team: `team-${i % 7}`, index: String(i), ...(i % 50 === 0 ? { 'costwatch:exempt': 'true' } : {}) });
  }
  const running = resources.filter((r) => r.kind === 'aws.sagemaker.training-job');
  expect(running).toHaveLength(130);
  for (const r of running) expect(r.tags).toEqual({ owner: `o${r.name.slice(6)}` });
}

describe('tags read in batches with SageMaker Search', () => {
  it('reads every tag of endpoints and running training jobs with one Search per 100, no ListTags', async () => {
    const { resources, calls } = await collect(world());
    expectWorldTags(resources);
    // ⌈230/100⌉ endpoint pages + ⌈130/100⌉ pages of jobs in progress.
    expect(calls['sagemaker.Search']).toBe(3 + 2);
    expect(calls['sagemaker.ListTags'] ?? 0).toBe(0);
  });

  it('falls back to ListTags, with the same tags, when Search fails', async () => {
    const { resources, calls } = await collect(world([{ service: 'sagemaker', operation: 'Search', kind: 'access-denied' }]));
    expectWorldTags(resources);
    expect(calls['sagemaker.ListTags']).toBe(230 + 130);
  });

  it('survives throttled Search pages (retried) with the same tags', async () => {
    const { resources, calls } = await collect(world([{ service: 'sagemaker', operation: 'Search', kind: 'throttle', times: 2 }]));
    expectWorldTags(resources);
    expect(calls['sagemaker.ListTags'] ?? 0).toBe(0);
  });

  it('sees a tag added since the last scan, and reads a single resource with ListTags', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const sm = new SageMakerClient({ region: 'us-east-1', endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials(ACCOUNT) });
    await sm.send(new AddTagsCommand({ ResourceArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/ep-3`, Tags: [{ Key: 'costwatch:exempt', Value: 'true' }] }));
    const provider = new AwsProvider(awsClientFactory([{ accountId: ACCOUNT }], { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, retry: { baseDelayMs: 1 } }));
    const c = await provider.collect({ scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] }, { now: NOW, lookbackHours: 24, plan: { kinds: { 'aws.sagemaker.endpoint': [] }, billing: [] } });
    expect(c.resources.find((r) => r.name === 'ep-3')?.tags['costwatch:exempt']).toBe('true');
    const before = sb.calls()['sagemaker.ListTags'] ?? 0;
    const one = await provider.describe({ cloud: 'aws', scopeId: ACCOUNT, region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: c.resources[0]!.id, name: 'ep-3' });
    expect(one?.tags).toEqual({ team: 'team-3', index: '3', 'costwatch:exempt': 'true' });
    expect(sb.calls()['sagemaker.ListTags']).toBe(before + 1);
    sm.destroy();
  });

  it('serves Search with paging and status filters, and refuses what it does not implement', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const sm = new SageMakerClient({ region: 'us-east-1', endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials(ACCOUNT) });
    const first = await sm.send(new SearchCommand({ Resource: 'TrainingJob', MaxResults: 100, SearchExpression: { Filters: [{ Name: 'TrainingJobStatus', Operator: 'Equals', Value: 'Completed' }] } }));
    expect(first.Results).toHaveLength(20);
    expect(first.NextToken).toBeUndefined();
    expect(first.Results!.every((r) => r.TrainingJob?.Tags?.[0]?.Value === 'old')).toBe(true);
    const page = await sm.send(new SearchCommand({ Resource: 'Endpoint', MaxResults: 100 }));
    expect(page.Results).toHaveLength(100);
    await expect(sm.send(new SearchCommand({ Resource: 'Endpoint', MaxResults: 100, NextToken: page.NextToken!.replace(/.$/, 'x') }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(sm.send(new SearchCommand({ Resource: 'Endpoint', MaxResults: 101 }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(sm.send(new SearchCommand({ Resource: 'Model' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(sm.send(new SearchCommand({ Resource: 'Endpoint', SearchExpression: { Filters: [{ Name: 'Tags.team', Operator: 'Contains', Value: 'x' }] } }))).rejects.toMatchObject({ name: 'ValidationException' });
    sm.destroy();
  });
});
