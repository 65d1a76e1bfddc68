import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { SPOT_DISCOUNT_ASSUMPTION, spotTraining } from '../../shared/rules/spot-training.js';

const now = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const prices = new PriceBook();
const settings = { minSaving: 10 };

function finished(over: Partial<Resource> = {}, attributes: Resource['attributes'] = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.finished-training-job',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:training-job/bert',
    name: 'bert',
    tags: { team: 'nlp' },
    state: 'Completed',
    lifecycle: 'stopped',
    components: [{ name: 'training', instanceType: 'ml.p3.2xlarge', instanceCount: 4, capacity: 'provisioned' }],
    attributes: {
      startedAt: new Date(now.getTime() - 240 * HOUR).toISOString(),
      endedAt: new Date(now.getTime() - 226 * HOUR).toISOString(),
      managedSpot: false,
      checkpointS3Uri: null,
      trainingSeconds: 14 * 3600,
      billableSeconds: 14 * 3600,
      ...attributes,
    },
    ...over,
  };
}

const evaluate = (resource: Resource, s: { minSaving: number; discountPercent?: number } = settings) => spotTraining.evaluate({ resource, usage: [], settings: s, now, prices });

describe('spot-training rule', () => {
  it('flags a finished on-demand SageMaker job with its cost, the missing checkpoints and the saving at the dated assumption', () => {
    const r = evaluate(finished());

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('training job bert ran on demand ($214.20): managed spot training could save ~$128.52');
    expect(r.evidence).toContain('on-demand cost: ml.p3.2xlarge $3.825/h × 4 × 14 h = $214.20');
    expect(r.evidence.join('\n')).toMatch(/no CheckpointConfig: .* spot without checkpoints is advised against/);
    expect(r.evidence.join('\n')).toContain(`$214.20 × 60% = $128.52`);
    expect(r.evidence.join('\n')).toContain(`assumption as of ${SPOT_DISCOUNT_ASSUMPTION.asOf}`);
    expect(r.evidence.at(-1)).toBe('owner: team nlp (tag team); advice for the team, no action');
    expect(r.confidence).toBe('medium');
    expect(r.notifyOnly).toMatch(/^advice/);
    // Advice, never an action, whatever the mode.
    expect(spotTraining.actions).toEqual({});
  });

  it("adds what the account's finished spot jobs saved (BillableTimeInSeconds vs TrainingTimeInSeconds) and says checkpoints are set", () => {
    const r = evaluate(finished({}, { checkpointS3Uri: 's3://ckpt/bert/', spotJobsSeen: 2, spotBillableSeconds: 11_520, spotTrainingSeconds: 36_000 }));

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.evidence).toContain('checkpoints: CheckpointConfig s3://ckpt/bert/ — managed spot resumes from them after an interruption');
    expect(r.evidence.join('\n')).toContain("the 68% managed spot saved this account's 2 finished spot jobs in us-east-1 (BillableTimeInSeconds 11520 of TrainingTimeInSeconds 36000): $214.20 × 68% = $145.66");
    expect(r.confidence).toBe('high');
  });

  it('uses the discount the policy sets', () => {
    const r = evaluate(finished(), { minSaving: 10, discountPercent: 70 });

    expect(r.state === 'violation' && r.evidence.join('\n')).toContain('$214.20 × 70% = $149.94');
  });

  it('prices a running on-demand job for the hours so far', () => {
    const running = finished({ kind: 'aws.sagemaker.training-job', state: 'InProgress', lifecycle: 'running' }, { startedAt: new Date(now.getTime() - 10 * HOUR).toISOString(), endedAt: null });
    const r = evaluate(running);

    expect(r.state === 'violation' && r.evidence).toContain('on-demand cost so far: ml.p3.2xlarge $3.825/h × 4 × 10 h = $153.00');
  });

  it('does not flag a job already on managed spot, a stopped job of the running kind, or a saving below minSaving', () => {
    expect(evaluate(finished({}, { managedSpot: true })).state).toBe('ok');
    expect(evaluate(finished({ kind: 'aws.sagemaker.training-job', lifecycle: 'stopped' })).state).toBe('not-applicable');
    const tiny = finished({ components: [{ name: 'training', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' }] }, { trainingSeconds: 3600 });
    const r = evaluate(tiny);
    expect(r.state).toBe('ok');
    expect(r.state === 'ok' && r.evidence.at(-1)).toBe('below rules.spot-training.minSaving (10)');
  });

  it('flags a Vertex AI custom job without the SPOT strategy, and not one with it', () => {
    const job: Resource = {
      cloud: 'gcp',
      scope: { cloud: 'gcp', id: 'ml-research-42' },
      region: 'us-central1',
      kind: 'gcp.vertex.custom-job',
      id: 'projects/1/locations/us-central1/customJobs/3001',
      name: 'llm-finetune',
      tags: {},
      state: 'JOB_STATE_RUNNING',
      lifecycle: 'running',
      components: [{ name: 'pool-0', instanceType: 'a2-highgpu-1g', instanceCount: 2, capacity: 'provisioned', accelerator: { type: 'NVIDIA_TESLA_A100', count: 1 } }],
      attributes: { startedAt: new Date(now.getTime() - 80 * HOUR).toISOString(), schedulingStrategy: 'STRATEGY_UNSPECIFIED' },
    };
    const r = evaluate(job);
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.evidence[1]).toBe('on-demand cost so far: (a2-highgpu-1g $0.8465/h + 1 × NVIDIA_TESLA_A100 $2.9339/h) × 2 × 80 h = $604.86');
    expect(r.evidence.join('\n')).toMatch(/checkpointing unknown: Vertex AI has no checkpoint setting/);
    expect(r.evidence.at(-1)).toBe('no team tag: the advice goes to the default channel; no action');
    expect(evaluate({ ...job, attributes: { ...job.attributes, schedulingStrategy: 'SPOT' } }).state).toBe('ok');
  });

  it('flags an Azure ML cluster on dedicated nodes for a month of its nodes, not a low-priority or empty one', () => {
    const cluster: Resource = {
      cloud: 'azure',
      scope: { cloud: 'azure', id: '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70' },
      region: 'eastus',
      kind: 'azure.ml.compute-cluster',
      id: '/subscriptions/x/computes/gpu-cluster',
      name: 'gpu-cluster',
      tags: {},
      state: 'Succeeded/Steady',
      lifecycle: 'running',
      components: [{ name: 'nodes', instanceType: 'Standard_NC6s_v3', instanceCount: 2, capacity: 'provisioned' }],
      attributes: { vmPriority: 'Dedicated', minNodes: 2, maxNodes: 4 },
    };
    const r = evaluate(cluster);
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('cluster gpu-cluster runs on dedicated VMs ($4,467.60/month): low-priority VMs could save ~$2,680.56/month');
    expect(evaluate({ ...cluster, attributes: { ...cluster.attributes, vmPriority: 'LowPriority' } }).state).toBe('ok');
    expect(evaluate({ ...cluster, components: [{ ...cluster.components[0]!, instanceCount: 0 }] }).state).toBe('not-applicable');
  });
});

describe('Vertex AI custom job scheduling strategy', () => {
  it('reads scheduling.strategy by name or number (SPOT = 4), and not set as unspecified', async () => {
    const { jobResource } = await import('../../shared/providers/gcp/kinds/custom-job.js');
    const base = { name: 'projects/1/locations/us-central1/customJobs/7', displayName: 'j', state: 'JOB_STATE_RUNNING', jobSpec: { workerPoolSpecs: [{ machineType: 'n1-standard-8', replicaCount: '1', machineSpec: { machineType: 'n1-standard-8' } }] } };
    const scope = { cloud: 'gcp' as const, id: 'p' };
    const strategy = (scheduling: unknown) => jobResource({ ...base, jobSpec: { ...base.jobSpec, ...(scheduling ? { scheduling } : {}) } } as never, scope, 'us-central1').attributes['schedulingStrategy'];

    expect(strategy({ strategy: 'SPOT' })).toBe('SPOT');
    expect(strategy({ strategy: 4 })).toBe('SPOT');
    expect(strategy({ strategy: 1 })).toBe('ON_DEMAND');
    expect(strategy({ timeout: { seconds: 60 } })).toBe('STRATEGY_UNSPECIFIED');
    expect(strategy(undefined)).toBe('STRATEGY_UNSPECIFIED');
  });
});
