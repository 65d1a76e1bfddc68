import { describe, expect, it } from 'vitest';
import { collectionPlan, describePlan } from '../../shared/pipeline/collection-plan.js';
import type { ActiveCostRule, ActiveRule } from '../../shared/pipeline/detect.js';
import { commitmentCoverage } from '../../shared/rules/commitment-coverage.js';
import { budgetBreach, costAnomaly, idleCluster, idleEndpoint, idleNotebook, longTrainingJob, underusedEndpoint } from '../../shared/rules/index.js';
import type { CostRule, ResourceRule } from '../../shared/rules/types.js';

const active = (rule: ResourceRule<never> | ResourceRule<unknown>): ActiveRule => ({ rule: rule as ResourceRule<never>, settings: {} });
const cost = (rule: CostRule<never> | CostRule<unknown>): ActiveCostRule => ({ rule: rule as CostRule<never>, settings: {} });

describe('collectionPlan', () => {
  it('unites the kinds and signals of the rules, in a stable order', () => {
    const plan = collectionPlan([active(idleEndpoint), active(underusedEndpoint), active(idleNotebook), active(longTrainingJob), active(idleCluster)], [cost(budgetBreach)]);
    expect(plan).toEqual({
      kinds: {
        'aws.sagemaker.endpoint': ['requests', 'heartbeat', 'cpu', 'gpu'],
        'aws.sagemaker.notebook-instance': ['cpu'],
        'aws.sagemaker.processing-job': [],
        'aws.sagemaker.training-job': [],
        'gcp.vertex.custom-job': [],
        'gcp.vertex.endpoint': ['requests', 'heartbeat', 'cpu', 'gpu'],
        'gcp.workbench.instance': ['cpu'],
        // idle-cluster reads Active Nodes (requests) and Idle Nodes (heartbeat) only.
        'azure.ml.compute-cluster': ['requests', 'heartbeat'],
        'azure.ml.compute-instance': ['cpu'],
        'azure.ml.online-endpoint': ['requests', 'heartbeat', 'cpu', 'gpu'],
      },
      billing: ['costs', 'budgets', 'forecasts'],
    });
    expect(describePlan(plan)).toContain('aws.sagemaker.notebook-instance (cpu)');
  });

  it('reads nothing for no rule, and everything a rule does not bound', () => {
    expect(collectionPlan([], [])).toEqual({ kinds: {}, billing: [] });
    const vague: ResourceRule<never> = { ...(idleEndpoint as ResourceRule<never>), id: 'vague', signals: undefined } as unknown as ResourceRule<never>;
    const vagueCost = { ...(costAnomaly as CostRule<never>), reads: undefined } as unknown as CostRule<never>;
    expect(collectionPlan([active(vague)], [cost(vagueCost)])).toEqual({
      kinds: {
        'aws.sagemaker.endpoint': ['requests', 'heartbeat', 'cpu', 'gpu', 'requests-per-instance', 'instances'],
        'gcp.vertex.endpoint': ['requests', 'heartbeat', 'cpu', 'gpu', 'requests-per-instance', 'instances'],
        'azure.ml.online-endpoint': ['requests', 'heartbeat', 'cpu', 'gpu', 'requests-per-instance', 'instances'],
      },
      billing: ['costs', 'budgets', 'forecasts', 'anomalies', 'tag-spend', 'commitments'],
    });
  });

  it('lists the kinds a cost rule\'s billing reads need, reading no usage of them unless a resource rule does', () => {
    expect(collectionPlan([], [cost(commitmentCoverage)])).toEqual({
      kinds: { 'azure.ml.compute-cluster': [], 'azure.ml.compute-instance': [] },
      billing: ['commitments'],
    });
    expect(collectionPlan([active(idleCluster)], [cost(commitmentCoverage)]).kinds).toEqual({
      'azure.ml.compute-cluster': ['requests', 'heartbeat'],
      'azure.ml.compute-instance': [],
    });
  });
});
