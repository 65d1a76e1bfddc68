import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClientFactory, sandboxAzureCredential, type AzureClients } from '../../shared/providers/azure/clients.js';
import { defineWorld, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';

const SUB = '0a1b2c3d-0000-4000-8000-000000000001';
const OTHER = '0a1b2c3d-0000-4000-8000-000000000002';
const RG = 'rg-ml';
const ENDPOINT_NS = 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints';

export const AZURE_TEST_WORLD: WorldInput = {
  version: 1,
  now: '2026-11-28T12:00:00Z',
  azure: {
    subscriptions: [
      {
        id: SUB,
        name: 'ml-azure',
        resourceGroups: {
          [RG]: {
            workspaces: [
              {
                name: 'ws1',
                location: 'eastus',
                onlineEndpoints: [
                  {
                    name: 'fraud-az',
                    deployments: [
                      { name: 'blue', instanceType: 'Standard_DS3_v2', instanceCount: 2, traffic: 100, metrics: { requests: { constant: 0 }, cpu: { constant: 3 } } },
                      { name: 'green', instanceType: 'Standard_DS3_v2', metrics: { cpu: { constant: 1 } } },
                    ],
                  },
                ],
                computeInstances: [
                  { name: 'ci-1', vmSize: 'Standard_DS3_v2' },
                  { name: 'ci-2', vmSize: 'Standard_DS3_v2', idleTimeBeforeShutdown: 'PT30M' },
                  { name: 'ci-3', vmSize: 'Standard_DS3_v2', state: 'Stopped' },
                ],
                computeClusters: [{ name: 'cpu-cluster', vmSize: 'Standard_D4s_v3', minNodes: 2, maxNodes: 4, metrics: { activeNodes: { constant: 0 }, idleNodes: { constant: 2 } } }],
              },
            ],
          },
        },
      },
      { id: OTHER, name: 'other', resourceGroups: { 'rg-b': { workspaces: [{ name: 'ws2', location: 'westeurope' }] } } },
    ],
  },
};

let sb: Sandbox;
let c: AzureClients;
beforeAll(async () => {
  sb = await startSandbox({ world: defineWorld(AZURE_TEST_WORLD), azurePageSize: 2 });
  c = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sb.azureEndpoint, metricsEndpoint: () => sb.azureEndpoint, ca: sb.azureCa, pollIntervalMs: 1, retry: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 } })(SUB);
});
afterAll(() => sb.close());

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('sandbox cloud: Azure Machine Learning over ARM', () => {
  it('serves the real ARM client over HTTPS, following nextLink pages', async () => {
    sb.resetCalls();
    const computes = await all(c.ml.computeOperations.list(RG, 'ws1'));
    expect(computes.map((x) => x.name)).toEqual(['ci-1', 'ci-2', 'ci-3', 'cpu-cluster']);
    expect(sb.calls()['machinelearning.Compute_List']).toBe(2);
    const cluster = computes.find((x) => x.name === 'cpu-cluster')?.properties as { properties?: { scaleSettings?: { minNodeCount?: number }; currentNodeCount?: number } };
    expect(cluster.properties?.scaleSettings?.minNodeCount).toBe(2);
    expect(cluster.properties?.currentNodeCount).toBe(2);
  });

  it('refuses a request without a bearer token, as ARM does', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${sb.azureEndpoint}/subscriptions/${SUB}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2022-10-01`, { ca: sb.azureCa }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });

  it('runs stop and start as long-running operations the SDK poller follows', async () => {
    sb.resetCalls();
    await c.ml.computeOperations.beginStopAndWait(RG, 'ws1', 'ci-1', { updateIntervalInMs: 1 });
    const stopped = await c.ml.computeOperations.get(RG, 'ws1', 'ci-1');
    expect((stopped.properties as { properties?: { state?: string } }).properties?.state).toBe('Stopped');
    expect(sb.calls()['machinelearning.OperationStatus_Get']).toBeGreaterThanOrEqual(1);
    await expect(c.ml.computeOperations.beginStopAndWait(RG, 'ws1', 'ci-1', { updateIntervalInMs: 1 })).rejects.toMatchObject({ statusCode: 409 });
    await c.ml.computeOperations.beginStartAndWait(RG, 'ws1', 'ci-1', { updateIntervalInMs: 1 });
    const started = await c.ml.computeOperations.get(RG, 'ws1', 'ci-1');
    expect((started.properties as { properties?: { state?: string } }).properties?.state).toBe('Running');
  });

  it('refuses to delete a deployment that still has traffic', async () => {
    await expect(c.ml.onlineDeployments.beginDeleteAndWait(RG, 'ws1', 'fraud-az', 'blue', { updateIntervalInMs: 1 })).rejects.toMatchObject({ statusCode: 400 });
    expect((await all(c.ml.onlineDeployments.list(RG, 'ws1', 'fraud-az'))).map((d) => d.name)).toEqual(['blue', 'green']);
  });

  it('retries a 429 with Retry-After in the SDK pipeline and counts both calls', async () => {
    sb.resetCalls();
    sb.faults.add({ service: 'machinelearning', operation: 'Workspaces_Get', kind: 'throttle', times: 1, retryAfterSeconds: 0 });
    const ws = await c.ml.workspaces.get(RG, 'ws1');
    expect(ws.location).toBe('eastus');
    expect(sb.calls()['machinelearning.Workspaces_Get']).toBe(2);
    expect(sb.faults.injected()['machinelearning.Workspaces_Get:throttle']).toBe(1);
  });

  it('answers an unknown subscription with SubscriptionNotFound', async () => {
    const other = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sb.azureEndpoint, ca: sb.azureCa })('99999999-9999-4999-8999-999999999999');
    await expect(other.ml.workspaces.get(RG, 'ws1')).rejects.toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
  });
});

describe('sandbox cloud: Azure Monitor metrics batch', () => {
  const endpointId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1/onlineEndpoints/fraud-az`;
  const window = { startTime: new Date('2026-11-28T06:00:00Z'), endTime: new Date('2026-11-28T12:00:00Z'), interval: 'PT1H' };

  it('splits RequestsPerMinute by deployment: zeros where zeros were written, no series where nothing was', async () => {
    const [res] = await c.metrics('eastus').queryResources([endpointId], ['RequestsPerMinute'], ENDPOINT_NS, { ...window, aggregation: 'total', filter: "deployment eq '*'" });
    const series = res?.metrics[0]?.timeseries ?? [];
    expect(series.map((s) => s.metadatavalues?.[0]?.value)).toEqual(['blue']);
    expect(series[0]?.data?.map((d) => d.total)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('returns intervals without an aggregate where a metric published nothing', async () => {
    const deployments = ['blue', 'green'].map((d) => `${endpointId}/deployments/${d}`);
    const res = await c.metrics('eastus').queryResources(deployments, ['CpuUtilizationPercentage', 'GpuUtilizationPercentage'], `${ENDPOINT_NS}/deployments`, { ...window, aggregation: 'average' });
    expect(res).toHaveLength(2);
    const gpu = res[0]?.metrics.find((m) => m.name === 'GpuUtilizationPercentage');
    expect(gpu?.timeseries?.[0]?.data?.every((d) => d.average === undefined)).toBe(true);
    expect(res[1]?.metrics.find((m) => m.name === 'CpuUtilizationPercentage')?.timeseries?.[0]?.data?.[0]?.average).toBe(1);
  });

  it('refuses more than 50 resources in one batch', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `${endpointId}-${i}`);
    await expect(c.metrics('eastus').queryResources(ids, ['RequestsPerMinute'], ENDPOINT_NS, window)).rejects.toMatchObject({ statusCode: 400 });
  });
});
