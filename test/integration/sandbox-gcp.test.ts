import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcpClientFactory, staticTokenAuth, type GcpClients } from '../../shared/providers/gcp/clients.js';
import { googleFailure } from '../../shared/providers/gcp/errors.js';
import { defineWorld, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { gcpWorld, PROJECT } from '../fixtures/gcp/worlds.js';

const PARENT = `projects/${PROJECT}/locations/us-central1`;
const NOW_S = Date.parse('2025-06-18T12:00:00Z') / 1000;

/** The canonical status a call failed with (GaxiosError or GoogleError alike). */
async function statusOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    return googleFailure(err).status;
  }
  return 'OK';
}

let sb: Sandbox;
let c: GcpClients;

beforeAll(async () => {
  sb = await startSandbox({ world: defineWorld(gcpWorld()) });
  c = gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sb.gcp })({ projectId: PROJECT, region: 'us-central1' });
});
afterAll(() => sb.close());

describe('sandbox Vertex AI endpoints (real EndpointServiceClient over REST)', () => {
  it('lists endpoints with deployed models, resources and traffic split, names carrying the project number', async () => {
    const [endpoints] = await c.endpoints.listEndpoints({ parent: PARENT });
    expect(endpoints.map((e) => e.displayName)).toContain('fraud-vertex');
    const fraud = endpoints.find((e) => e.displayName === 'fraud-vertex');
    expect(fraud?.name).toBe('projects/123456789012/locations/us-central1/endpoints/1001');
    expect(fraud?.trafficSplit).toEqual({ '501': 70, '502': 30 });
    const a = fraud?.deployedModels?.find((m) => m.id === '501');
    expect(a?.dedicatedResources?.machineSpec?.machineType).toBe('n1-standard-4');
    expect(a?.dedicatedResources?.machineSpec?.acceleratorType).toBe('NVIDIA_TESLA_T4');
    expect(a?.dedicatedResources?.minReplicaCount).toBe(2);
    const shared = endpoints.find((e) => e.displayName === 'shared-pool')?.deployedModels?.[0];
    expect(shared?.sharedResources).toContain('deploymentResourcePools/pool-1');
    expect(shared?.dedicatedResources).toBeFalsy();
  });

  it('pages endpoint listings with nextPageToken', async () => {
    const [first, , response] = await c.endpoints.listEndpoints({ parent: PARENT, pageSize: 3 }, { autoPaginate: false });
    expect(first).toHaveLength(3);
    expect(response?.nextPageToken).toBeTruthy();
    const [second] = await c.endpoints.listEndpoints({ parent: PARENT, pageSize: 3, pageToken: response?.nextPageToken ?? '' }, { autoPaginate: false });
    expect(second[0]?.name).not.toBe(first[0]?.name);
  });

  it('refuses to undeploy a model that still has traffic, then undeploys and redeploys it under its id (long-running operations)', async () => {
    const endpoint = `${PARENT}/endpoints/1001`;
    await expect(c.endpoints.undeployModel({ endpoint, deployedModelId: '501' })).rejects.toThrow(/traffic/);
    const [op] = await c.endpoints.undeployModel({ endpoint, deployedModelId: '501', trafficSplit: { '502': 100 } });
    await op.promise();
    const [after] = await c.endpoints.getEndpoint({ name: endpoint });
    expect(after.deployedModels?.map((m) => m.id)).toEqual(['502']);
    expect(after.trafficSplit).toEqual({ '502': 100 });
    const [deploy] = await c.endpoints.deployModel({
      endpoint,
      deployedModel: { id: '501', model: 'projects/123456789012/locations/us-central1/models/501', dedicatedResources: { machineSpec: { machineType: 'n1-standard-4' }, minReplicaCount: 2, maxReplicaCount: 3 } },
      trafficSplit: { '0': 70, '502': 30 },
    });
    const [result] = await deploy.promise();
    expect(result.deployedModel?.id).toBe('501');
    const [back] = await c.endpoints.getEndpoint({ name: endpoint });
    expect(back.trafficSplit).toEqual({ '501': 70, '502': 30 });
    expect(sb.calls()['aiplatform.UndeployModel']).toBe(2);
    expect(sb.calls()['aiplatform.GetOperation']).toBeGreaterThanOrEqual(2);
  });

  it('answers an unknown endpoint with NOT_FOUND and a call without a token with UNAUTHENTICATED', async () => {
    expect(await statusOf(c.endpoints.getEndpoint({ name: `${PARENT}/endpoints/999` }))).toBe('NOT_FOUND');
    const res = await fetch(`${sb.url}/v1/${PARENT}/endpoints`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  });
});

describe('sandbox Vertex AI custom jobs', () => {
  it('lists running jobs by filter, and cancels one (irreversibly)', async () => {
    const [running] = await c.jobs.listCustomJobs({ parent: PARENT, filter: 'state="JOB_STATE_RUNNING"' });
    expect(running.map((j) => j.displayName).sort()).toEqual(['llm-finetune', 'short-job']);
    expect(running.find((j) => j.displayName === 'llm-finetune')?.jobSpec?.scheduling?.timeout?.seconds).toBe('604800');
    await c.jobs.cancelCustomJob({ name: `${PARENT}/customJobs/3002` });
    const [job] = await c.jobs.getCustomJob({ name: `${PARENT}/customJobs/3002` });
    expect(job.state).toBe('JOB_STATE_CANCELLED');
    expect(await statusOf(c.jobs.cancelCustomJob({ name: `${PARENT}/customJobs/3003` }))).toBe('FAILED_PRECONDITION');
  });
});

describe('sandbox Workbench instances (Notebooks API v2)', () => {
  it('lists every zone with locations/-, stops and starts an instance, and patches its metadata', async () => {
    const [all] = await c.notebooks.listInstances({ parent: `projects/${PROJECT}/locations/-` });
    expect(all.map((i) => i.name?.split('/').pop()).sort()).toEqual(['busy-nb', 'guarded-nb', 'idle-nb', 'stopped-nb']);
    const name = `projects/${PROJECT}/locations/us-central1-a/instances/idle-nb`;
    const [stop] = await c.notebooks.stopInstance({ name });
    await stop.promise();
    expect((await c.notebooks.getInstance({ name }))[0].state).toBe('STOPPED');
    expect(await statusOf(c.notebooks.stopInstance({ name }))).toBe('FAILED_PRECONDITION');
    const [start] = await c.notebooks.startInstance({ name });
    await start.promise();
    expect((await c.notebooks.getInstance({ name }))[0].state).toBe('ACTIVE');
    const [update] = await c.notebooks.updateInstance({ instance: { name, gceSetup: { metadata: { 'idle-timeout-seconds': '3600' } } }, updateMask: { paths: ['gce_setup.metadata'] } });
    const [updated] = await update.promise();
    expect(updated.gceSetup?.metadata).toEqual({ 'idle-timeout-seconds': '3600' });
  });
});

describe('sandbox Cloud Monitoring listTimeSeries', () => {
  const interval = { startTime: { seconds: NOW_S - 24 * 3600 }, endTime: { seconds: NOW_S } };

  it('returns one series per deployed model, aligned to the asked period, newest point first; a model with no data has no series', async () => {
    const [series] = await c.monitoring.listTimeSeries({
      name: `projects/${PROJECT}`,
      filter: 'metric.type = "aiplatform.googleapis.com/prediction/online/prediction_count" AND resource.type = "aiplatform.googleapis.com/Endpoint"',
      interval,
      aggregation: { alignmentPeriod: { seconds: 3600 }, perSeriesAligner: 'ALIGN_SUM' },
    });
    const byModel = new Map(series.map((s) => [s.metric?.labels?.['deployed_model_id'], s]));
    expect(byModel.has('801')).toBe(false);
    const search = byModel.get('601');
    expect(search?.points).toHaveLength(24);
    expect(search?.points?.[0]?.value?.int64Value).toBe('1800');
    const t0 = Number(search?.points?.[0]?.interval?.endTime?.seconds);
    const t1 = Number(search?.points?.[1]?.interval?.endTime?.seconds);
    expect(t0 - t1).toBe(3600);
    expect(t0).toBe(NOW_S);
    const [sixHourly] = await c.monitoring.listTimeSeries({
      name: `projects/${PROJECT}`,
      filter: 'metric.type = "aiplatform.googleapis.com/prediction/online/prediction_count" AND metric.labels.deployed_model_id = "601"',
      interval,
      aggregation: { alignmentPeriod: { seconds: 6 * 3600 }, perSeriesAligner: 'ALIGN_SUM' },
    });
    expect(sixHourly[0]?.points).toHaveLength(4);
    expect(sixHourly[0]?.points?.[0]?.value?.int64Value).toBe(String(6 * 1800));
  });

  it('writes utilization as a fraction, pages by points, and refuses a filter it cannot evaluate', async () => {
    const request = {
      name: `projects/${PROJECT}`,
      filter: 'metric.type = "aiplatform.googleapis.com/prediction/online/cpu/utilization"',
      interval,
      aggregation: { alignmentPeriod: { seconds: 3600 }, perSeriesAligner: 'ALIGN_MEAN' as const },
      pageSize: 30,
    };
    const [page, , response] = await c.monitoring.listTimeSeries(request, { autoPaginate: false });
    expect(page).toHaveLength(1);
    expect(response?.nextPageToken).toBeTruthy();
    const before = sb.calls()['monitoring.ListTimeSeries'] ?? 0;
    const [all] = await c.monitoring.listTimeSeries(request);
    expect((sb.calls()['monitoring.ListTimeSeries'] ?? 0) - before).toBe(all.length);
    expect(all.find((s) => s.metric?.labels?.['deployed_model_id'] === '601')?.points?.[0]?.value?.doubleValue).toBeCloseTo(0.4);
    expect(await statusOf(c.monitoring.listTimeSeries({ ...request, filter: 'metric.type = starts_with("aiplatform")' }))).toBe('INVALID_ARGUMENT');
  });

  it('answers throttling faults with 429 RESOURCE_EXHAUSTED and counts them', async () => {
    sb.faults.add({ service: 'monitoring', operation: 'ListTimeSeries', kind: 'throttle', times: 1, project: PROJECT });
    expect(await statusOf(c.monitoring.listTimeSeries({ name: `projects/${PROJECT}`, filter: 'metric.type = "aiplatform.googleapis.com/prediction/online/replicas"', interval }))).toBe('RESOURCE_EXHAUSTED');
    expect(sb.faults.injected()['monitoring.ListTimeSeries:throttle']).toBe(1);
  });
});
