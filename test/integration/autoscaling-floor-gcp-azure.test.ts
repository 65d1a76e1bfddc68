import { afterEach, describe, expect, it } from 'vitest';
import { FOREIGN_PROVIDERS } from '../../shared/app/compose-azure.js';
import { gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Finding } from '../../shared/domain/finding.js';
import { executeProposal, undoProposal, type ExecutorDeps } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { azureClientFactory, sandboxAzureCredential } from '../../shared/providers/azure/clients.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

/*
 * autoscaling-floor on Vertex AI and Azure ML through the real Google and Azure clients against
 * the sandbox cloud: which floors are flagged (and which are not), the change on approval, and
 * Undo putting the old bounds back exactly.
 */

const PROJECT = 'floor-proj';
const SUB = '0a1b2c3d-0000-4000-8000-0000000000f1';
const NOW = '2025-06-18T12:00:00Z';
const CPU_METRIC = 'aiplatform.googleapis.com/prediction/online/cpu/utilization';

/** Busiest 13:00–17:59 UTC every day: `peak` % CPU then, 10 % otherwise. */
const busy = (peak: number) => ({ daily: { hours: [13, 14, 15, 16, 17], value: peak, otherwise: 10 } });
const traffic = { daily: { hours: [13, 14, 15, 16, 17], value: 600, otherwise: 120 } };

function vertexModel(id: string, min: number, peakCpu: number | undefined, extra: Record<string, unknown> = {}) {
  return {
    id,
    dedicated: { machineType: 'n1-standard-4', minReplicas: min, maxReplicas: 8, ...extra },
    trafficPercent: 100,
    // Vertex AI writes cpu/utilization per vCPU, summed: 4 vCPUs at 30% each read as 120%.
    metrics: { predictions: traffic, replicas: { constant: min }, ...(peakCpu !== undefined ? { cpu: busy(peakCpu * 4) } : {}) },
  };
}

type ScaleSettings = { scaleType: 'Default' } | { scaleType: 'TargetUtilization'; minInstances: number; maxInstances: number; targetUtilizationPercentage?: number };

function azureDeployment(name: string, scaleSettings: ScaleSettings, count: number, peakCpu: number) {
  return {
    name,
    instanceType: 'Standard_DS3_v2',
    instanceCount: count,
    traffic: 100,
    scaleSettings,
    model: 'azureml:chat:4',
    metrics: { requests: traffic, cpu: busy(peakCpu), capacity: { constant: count } },
  };
}

const world = (): WorldInput => ({
  version: 1,
  now: NOW,
  gcp: {
    projects: [
      {
        id: PROJECT,
        number: '777000111222',
        regions: {
          'us-central1': {
            endpoints: [
              // 4 replicas at 30 % CPU at the peak: ⌈4 × 30 % ÷ 70 %⌉ = 2 needed; 2 of the floor of 4 idle.
              { id: '2001', displayName: 'chat-vertex', createdAt: '-60d', labels: { team: 'chat' }, deployedModels: [vertexModel('51', 4, 30, { autoscalingMetricSpecs: [{ metricName: CPU_METRIC, target: 70 }] })] },
              // 2 replicas at 80 %: ⌈2 × 80 % ÷ 70 %⌉ = 3 — its floor of 2 is needed. Not flagged.
              { id: '2002', displayName: 'busy-vertex', createdAt: '-60d', deployedModels: [vertexModel('52', 2, 80)] },
              // Predictions but no CPU series: the peak's need cannot be proven. Unknown, never acted on.
              { id: '2003', displayName: 'blind-vertex', createdAt: '-60d', deployedModels: [vertexModel('53', 3, undefined)] },
              // A floor of one: nothing to lower.
              { id: '2004', displayName: 'single-vertex', createdAt: '-60d', deployedModels: [vertexModel('54', 1, 20)] },
              // Deployed two days ago: its 7-day peak is not known yet.
              { id: '2005', displayName: 'young-vertex', createdAt: '-2d', deployedModels: [vertexModel('55', 4, 30)] },
            ],
          },
        },
      },
    ],
  },
  azure: {
    subscriptions: [
      {
        id: SUB,
        name: 'floors',
        resourceGroups: {
          'rg-f': {
            workspaces: [
              {
                name: 'ws-f',
                location: 'eastus',
                onlineEndpoints: [
                  { name: 'chat-az', createdAt: '-60d', tags: { team: 'chat' }, deployments: [azureDeployment('blue', { scaleType: 'TargetUtilization', minInstances: 4, maxInstances: 8, targetUtilizationPercentage: 65 }, 4, 30)] },
                  // A fixed instance count (scaleType Default) is not an autoscaling floor: not flagged here.
                  { name: 'fixed-az', createdAt: '-60d', deployments: [azureDeployment('main', { scaleType: 'Default' }, 4, 30)] },
                  // Its floor of 2 carries the peak (⌈2 × 80 % ÷ 70 %⌉ = 3). Not flagged.
                  { name: 'busy-az', createdAt: '-60d', deployments: [azureDeployment('main', { scaleType: 'TargetUtilization', minInstances: 2, maxInstances: 4 }, 2, 80)] },
                ],
              },
            ],
          },
        },
      },
    ],
  },
});

const policyText = (mode: string) => `
version: 1
clouds:
  gcp:
    projects:
      - { id: ${PROJECT}, regions: [us-central1] }
  azure:
    subscriptions:
      - { id: ${SUB}, name: floors }
rules:
  autoscaling-floor: { mode: ${mode} }
slack:
  channel: "#ml-costs"
  approvers: { users: [U0APPROVER] }
`;

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function scanWith(s: Sandbox, mode: string) {
  const store = await openMemoryStore();
  const { policy } = parsePolicy(policyText(mode), 'costwatch.yml', { now: new Date(NOW) });
  const providers = buildProviders(policy, sandboxProviderEndpoints(s), { gcp: gcpProviderBuilder(), ...FOREIGN_PROVIDERS });
  const options = scanOptionsFor(policy, { now: () => s.clock.now(), dryRun: false, rules: ['autoscaling-floor'] });
  const report = await runScan(options, { providers, store, clock: s.clock, prices: priceBook(policy) });
  const deps: ExecutorDeps = { store, providers, rules: new Map(options.rules.map((r) => [r.rule.id, r])), policy: options.policy, prices: priceBook(policy), clock: s.clock, lookbackHours: options.lookbackHours };
  return { store, report, deps };
}

const about = (findings: readonly Finding[], name: string) => findings.find((f) => f.ruleId === 'autoscaling-floor' && f.resource?.name === name);

function vertexClients(s: Sandbox) {
  return gcpClientFactory({ auth: { authClient: staticTokenAuth('t') }, endpoint: s.gcp })({ projectId: PROJECT, region: 'us-central1' });
}

async function dedicatedOf(s: Sandbox, endpointId: string) {
  const [e] = await vertexClients(s).endpoints.getEndpoint({ name: `projects/${PROJECT}/locations/us-central1/endpoints/${endpointId}` });
  const d = e.deployedModels?.[0]?.dedicatedResources;
  return { min: d?.minReplicaCount, max: d?.maxReplicaCount, specs: JSON.parse(JSON.stringify(d?.autoscalingMetricSpecs ?? [])) as unknown };
}

async function azureDeploymentOf(s: Sandbox, endpoint: string, name: string) {
  const c = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: s.azureEndpoint, metricsEndpoint: () => s.azureEndpoint, ca: s.azureCa, pollIntervalMs: 1 })(SUB);
  const d = await c.ml.onlineDeployments.get('rg-f', 'ws-f', endpoint, name);
  return { scaleSettings: JSON.parse(JSON.stringify(d.properties.scaleSettings)) as unknown, sku: d.sku, model: d.properties.model };
}

async function approve(store: Awaited<ReturnType<typeof scanWith>>['store'], id: string, at: Date) {
  await store.decide({ proposalId: id, verdict: 'approve', by: 'U0APPROVER', at, via: 'slack' });
  await store.transitionProposal(id, ['proposed'], 'approved');
}

describe('autoscaling-floor on Vertex AI and Azure ML against the sandbox cloud', () => {
  it('flags only floors above what the busiest hour of 7 days needed, with the waste arithmetic', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const { report } = await scanWith(sb, 'notify');
    const f = report.findings;

    const chat = about(f, 'chat-vertex');
    expect(chat).toMatchObject({ state: 'violation', confidence: 'high' });
    expect(chat?.title).toContain('minimum 4 → 2');
    expect(chat?.evidence.join('\n')).toContain('deployed model 51: busiest 1-hour period');
    expect(chat?.evidence.join('\n')).toContain('needed = ⌈4 × 30% ÷ 70% target⌉ = 2');
    expect(chat?.waste?.arithmetic).toMatch(/^\(4 − 2\) × n1-standard-4 \$[\d.]+\/h × 730 h = \$[\d,.]+\/month$/);
    expect(about(f, 'busy-vertex')).toBeUndefined();
    expect(about(f, 'blind-vertex')?.state).toBe('unknown');
    expect(about(f, 'single-vertex')).toBeUndefined();
    expect(about(f, 'young-vertex')).toBeUndefined();

    const az = about(f, 'chat-az');
    expect(az).toMatchObject({ state: 'violation', confidence: 'high' });
    expect(az?.evidence.join('\n')).toContain('deployment blue: Azure ML scaleSettings (TargetUtilization: minInstances, maxInstances): minimum 4, maximum 8');
    expect(az?.waste?.arithmetic).toBe('(4 − 2) × Standard_DS3_v2 $0.293/h × 730 h = $427.78/month');
    expect(about(f, 'fixed-az')).toBeUndefined();
    expect(about(f, 'busy-az')).toBeUndefined();
    expect(report.proposals).toEqual([]);
  });

  it('lowers minReplicaCount with mutateDeployedModel on approval, and Undo restores min, max and autoscaling metric specs exactly', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const before = await dedicatedOf(sb, '2001');
    const { report, store, deps } = await scanWith(sb, 'approve');
    const p = report.proposals.find((x) => x.kind === 'gcp.vertex.lower-replica-floor');
    expect(p).toMatchObject({ mode: 'approve', parameters: { 'min:51': 2 } });
    expect(report.proposals.map((x) => x.resource.name).sort()).toEqual(['chat-az', 'chat-vertex']);
    await approve(store, p!.id, sb.clock.now());

    const done = await executeProposal(p!.id, 'U0APPROVER', deps);
    const lowered = await dedicatedOf(sb, '2001');
    const saved = await store.getProposal(p!.id);
    const undone = await undoProposal(p!.id, 'U0APPROVER', deps);
    const restored = await dedicatedOf(sb, '2001');

    expect(done).toMatchObject({ outcome: 'executed', detail: expect.stringContaining('51 4 → 2') });
    expect(lowered).toEqual({ ...before, min: 2 });
    expect(saved?.undoData).toMatchObject({ models: [{ id: '51', minReplicaCount: 4, maxReplicaCount: 8, autoscalingMetricSpecs: [{ metricName: CPU_METRIC, target: 70 }] }] });
    expect(undone).toMatchObject({ outcome: 'undone' });
    expect(restored).toEqual(before);
    expect(before).toEqual({ min: 4, max: 8, specs: [{ metricName: CPU_METRIC, target: 70 }] });
    expect(sb.calls()['aiplatform.MutateDeployedModel']).toBe(2);
  });

  it('lowers minInstances of a TargetUtilization deployment on approval, and Undo restores its scale settings exactly', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const before = await azureDeploymentOf(sb, 'chat-az', 'blue');
    const { report, store, deps } = await scanWith(sb, 'approve');
    const p = report.proposals.find((x) => x.kind === 'azure.ml.lower-instance-floor');
    expect(p).toMatchObject({ mode: 'approve', parameters: { 'min:blue': 2 }, monthlySaving: { amount: 427.78, currency: 'USD' } });
    await approve(store, p!.id, sb.clock.now());

    const done = await executeProposal(p!.id, 'U0APPROVER', deps);
    const lowered = await azureDeploymentOf(sb, 'chat-az', 'blue');
    const undone = await undoProposal(p!.id, 'U0APPROVER', deps);
    const restored = await azureDeploymentOf(sb, 'chat-az', 'blue');

    expect(done).toMatchObject({ outcome: 'executed', detail: expect.stringContaining('blue 4 → 2') });
    expect(lowered.scaleSettings).toEqual({ scaleType: 'TargetUtilization', minInstances: 2, maxInstances: 8, targetUtilizationPercentage: 65, pollingInterval: 'PT1S' });
    expect(lowered.model).toBe('azureml:chat:4');
    expect(undone).toMatchObject({ outcome: 'undone' });
    expect(restored).toEqual(before);
  });

  it('has the sandbox refuse a mutateDeployedModel outside its update mask rules, changing nothing', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const endpoint = `projects/${PROJECT}/locations/us-central1/endpoints/2001`;
    const before = await dedicatedOf(sb, '2001');
    const endpoints = vertexClients(sb).endpoints;

    await expect(endpoints.mutateDeployedModel({ endpoint, deployedModel: { id: '51', dedicatedResources: { machineSpec: { machineType: 'n1-standard-8' } } }, updateMask: { paths: ['dedicated_resources.machine_spec'] } })).rejects.toThrow(/cannot be mutated/);
    await expect(endpoints.mutateDeployedModel({ endpoint, deployedModel: { id: '51', dedicatedResources: { minReplicaCount: 9 } }, updateMask: { paths: ['dedicated_resources.min_replica_count'] } })).rejects.toThrow(/below minReplicaCount/);
    await expect(endpoints.mutateDeployedModel({ endpoint, deployedModel: { id: '99', dedicatedResources: { minReplicaCount: 2 } }, updateMask: { paths: ['dedicated_resources.min_replica_count'] } })).rejects.toThrow(/not found/);
    expect(await dedicatedOf(sb, '2001')).toEqual(before);
  });

  it('cancels the Vertex change when the floor was lowered by someone else before it ran', async () => {
    sb = await startSandbox({ world: defineWorld(world()) });
    const { report, store, deps } = await scanWith(sb, 'approve');
    const p = report.proposals.find((x) => x.kind === 'gcp.vertex.lower-replica-floor')!;
    await approve(store, p.id, sb.clock.now());
    const [op] = await vertexClients(sb).endpoints.mutateDeployedModel({
      endpoint: `projects/${PROJECT}/locations/us-central1/endpoints/2001`,
      deployedModel: { id: '51', dedicatedResources: { minReplicaCount: 1 } },
      updateMask: { paths: ['dedicated_resources.min_replica_count'] },
    });
    await op.promise();

    const done = await executeProposal(p.id, 'U0APPROVER', deps);

    expect(done.outcome).toBe('cancelled');
    expect(sb.calls()['aiplatform.MutateDeployedModel']).toBe(1);
  });
});
