import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientFactory } from '../../shared/providers/aws/clients.js';
import { AwsProvider } from '../../shared/providers/aws/provider.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const ACCOUNT = '111111111111';
const NOW = new Date('2026-11-28T12:00:00Z');
const metrics = { invocations: { constant: 1 }, cpu: { constant: 10 } };

let sb: Sandbox;
let store: StateStore;
beforeAll(async () => {
  sb = await startSandbox({
    world: defineWorld({
      version: 1,
      now: NOW.toISOString(),
      aws: {
        accounts: [
          {
            id: ACCOUNT,
            name: 'prod',
            regions: {
              'us-east-1': {
                sagemaker: {
                  endpoints: [
                    { name: 'two-variants', createdAt: '-30d', variants: [{ name: 'a', instanceType: 'ml.g5.xlarge', instanceCount: 2, metrics }, { name: 'b', instanceType: 'ml.m5.large', metrics }] },
                    { name: 'serverless', createdAt: '-30d', variants: [{ serverless: { memorySizeInMB: 2048, maxConcurrency: 5 }, metrics }] },
                    { name: 'async', createdAt: '-30d', async: true, variants: [{ instanceType: 'ml.m5.xlarge', metrics }] },
                  ],
                },
              },
            },
          },
        ],
      },
    }),
  });
  store = await openMemoryStore();
});
afterAll(async () => {
  await store?.close();
  await sb?.close();
});

describe('endpoint configs are read once and kept across scans (they are immutable)', () => {
  it('a second scan calls no DescribeEndpointConfig and reads the same endpoints', async () => {
    const aws = new AwsProvider(awsClientFactory([{ accountId: ACCOUNT }], { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials }));
    const collect = () => aws.collect({ scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] }, { now: NOW, lookbackHours: 24, cache: store, plan: { kinds: { 'aws.sagemaker.endpoint': [] }, billing: [] } });
    sb.resetCalls();
    const first = await collect();
    expect(sb.calls()['sagemaker.DescribeEndpointConfig']).toBe(3);
    sb.resetCalls();
    const second = await collect();
    expect(sb.calls()['sagemaker.DescribeEndpointConfig']).toBe(0);
    expect(second.resources).toEqual(first.resources);
    expect(first.resources.find((r) => r.name === 'async')?.attributes['asynchronous']).toBe(true);
    expect(first.resources.find((r) => r.name === 'serverless')?.components.map((c) => c.capacity)).toEqual(['serverless']);

    // Without a cache every scan reads them.
    const uncached = () => aws.collect({ scope: { cloud: 'aws', id: ACCOUNT }, regions: ['us-east-1'] }, { now: NOW, lookbackHours: 24, plan: { kinds: { 'aws.sagemaker.endpoint': [] }, billing: [] } });
    sb.resetCalls();
    await uncached();
    expect(sb.calls()['sagemaker.DescribeEndpointConfig']).toBe(3);
  });
});
