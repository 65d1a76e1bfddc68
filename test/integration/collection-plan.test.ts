import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceBook, RuleSelectionError, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { runScan } from '../../shared/pipeline/scan.js';
import type { AwsProvider } from '../../shared/providers/aws/provider.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

const ACCOUNT = '111111111111';
const NOW = '2026-11-28T12:00:00Z';
const JUNE = '2026-11-01T00:00:00Z';

/** One account with every kind and every kind of billing data, so each read can be counted. */
const WORLD: WorldInput = {
  version: 1,
  now: NOW,
  aws: {
    accounts: [
      {
        id: ACCOUNT,
        name: 'prod',
        regions: {
          'us-east-1': {
            sagemaker: {
              endpoints: [
                { name: 'idle-gpu', createdAt: '-30d', variants: [{ instanceType: 'ml.g5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 2 }, gpu: { constant: 0 } } }] },
                { name: 'busy', createdAt: '-30d', variants: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 40 }, cpu: { constant: 60 } } }] },
              ],
              notebookLifecycleConfigs: [{ name: 'publish-metrics', onStart: '#!/bin/bash\necho agent' }],
              notebookInstances: [{ name: 'nb', instanceType: 'ml.t3.medium', lastModifiedAt: '-6d', lifecycleConfig: 'publish-metrics', metrics: { cpu: { constant: 1 } } }],
              trainingJobs: [{ name: 'llm-ft', instanceType: 'ml.p3.2xlarge', instanceCount: 2, createdAt: '-81h', startedAt: '-80h' }],
            },
          },
        },
        costs: { daily: [{ service: 'Amazon SageMaker', amount: 300, from: JUNE }] },
        budgets: [{ name: 'all', limit: 50_000 }],
        anomalies: [{ start: '-3d', dimensionValue: 'Amazon SageMaker', expected: 900, actual: 1500 }],
      },
    ],
  },
};

const POLICY = parsePolicy(
  `version: 1
dryRun: true
clouds:
  aws:
    accounts:
      - { id: "${ACCOUNT}", name: prod, regions: [us-east-1] }
budgets:
  - name: sagemaker
    amount: 8000
    scope: { services: [Amazon SageMaker] }
`,
  'test.yml',
).policy;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ world: defineWorld(WORLD) });
});
afterAll(async () => sandbox?.close());

/** Scans with only `rules` (all enabled rules when undefined) and returns the calls the sandbox served, and the GetMetricData queries. */
async function scanWith(rules: readonly string[] | undefined, policy: Policy = POLICY) {
  sandbox.resetCalls();
  const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
  const store = await openMemoryStore();
  try {
    const opts = scanOptionsFor(policy, { now: () => sandbox.clock.now(), ...(rules ? { rules } : {}) });
    const report = await runScan(opts, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
    const aws = providers.get('aws') as AwsProvider;
    return { calls: sandbox.calls(), queries: aws.meter.queries, report };
  } finally {
    await store.close();
  }
}

const SAGEMAKER_LISTS = ['ListEndpoints', 'ListNotebookInstances', 'ListDomains', 'ListTrainingJobs', 'ListProcessingJobs'] as const;
const BILLING = ['ce.GetCostAndUsage', 'ce.GetCostForecast', 'ce.GetAnomalies', 'budgets.DescribeBudgets'] as const;

function listed(calls: Readonly<Record<string, number>>): string[] {
  return SAGEMAKER_LISTS.filter((op) => (calls[`sagemaker.${op}`] ?? 0) > 0);
}
function billed(calls: Readonly<Record<string, number>>): string[] {
  return BILLING.filter((op) => (calls[op] ?? 0) > 0);
}

describe('a scan reads only what its rules need (collection plans, counted by the sandbox)', () => {
  it('a full scan lists every kind and reads usage and every billing signal', async () => {
    const { calls, queries } = await scanWith(undefined);
    expect(listed(calls)).toEqual([...SAGEMAKER_LISTS]);
    expect(billed(calls)).toEqual([...BILLING]);
    expect(calls['cloudwatch.ListMetrics']).toBeGreaterThan(0);
    // idle-gpu: requests, cpu, gpu; busy (m5, no GPU): requests, cpu; the notebook's CPU; and the
    // history read of idle-gpu's requests (no request in the window, so evidence names the last one).
    expect(queries).toBe(7);
  });

  it('long-training-job reads training and processing jobs only: no usage, no billing', async () => {
    const { calls, report } = await scanWith(['long-training-job']);
    expect(listed(calls)).toEqual(['ListTrainingJobs', 'ListProcessingJobs']);
    expect(calls['cloudwatch.GetMetricData']).toBe(0);
    expect(calls['cloudwatch.ListMetrics']).toBe(0);
    expect(billed(calls)).toEqual([]);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['long-training-job']);
    expect(report.plan).toEqual({ kinds: { 'aws.sagemaker.processing-job': [], 'aws.sagemaker.training-job': [], 'gcp.vertex.custom-job': [] }, billing: [] });
  });

  it('idle-endpoint lists endpoints and queries requests and the heartbeat only: no GPU, no notebook metrics, no billing', async () => {
    const { calls, queries, report } = await scanWith(['idle-endpoint']);
    expect(listed(calls)).toEqual(['ListEndpoints']);
    // The decision window, then the history of the one endpoint without a request in it.
    expect(calls['cloudwatch.GetMetricData']).toBe(2);
    expect(calls['cloudwatch.ListMetrics']).toBe(0);
    expect(queries).toBe(5);
    expect(billed(calls)).toEqual([]);
    expect(report.findings.filter((f) => f.state === 'violation').map((f) => f.resource?.name)).toEqual(['idle-gpu']);
  });

  it('underused-endpoint adds the GPU query; idle-notebook alone reads notebooks and their CPU', async () => {
    expect((await scanWith(['underused-endpoint'])).queries).toBe(6);
    const nb = await scanWith(['idle-notebook']);
    expect(listed(nb.calls)).toEqual(['ListNotebookInstances']);
    expect(nb.calls['cloudwatch.ListMetrics']).toBe(1);
    expect(nb.queries).toBe(1);
  });

  it('budget rules read costs, budgets and forecasts but no inventory and no anomalies; cost-anomaly reads anomalies only', async () => {
    const budgets = await scanWith(['budget-breach', 'forecast-breach']);
    expect(listed(budgets.calls)).toEqual([]);
    expect(budgets.calls['cloudwatch.GetMetricData']).toBe(0);
    expect(billed(budgets.calls)).toEqual(['ce.GetCostAndUsage', 'ce.GetCostForecast', 'budgets.DescribeBudgets']);
    const anomalies = await scanWith(['cost-anomaly']);
    expect(listed(anomalies.calls)).toEqual([]);
    expect(billed(anomalies.calls)).toEqual(['ce.GetAnomalies']);
    expect(anomalies.report.findings.map((f) => f.ruleId)).toEqual(['cost-anomaly']);
  });

  it('refuses an unknown or disabled rule instead of scanning nothing', () => {
    expect(() => scanOptionsFor(POLICY, { now: () => new Date(NOW), rules: ['idle-endpiont'] })).toThrow(RuleSelectionError);
    const off = parsePolicy(`version: 1\nclouds: { aws: { accounts: [{ id: "${ACCOUNT}", regions: [us-east-1] }] } }\nrules: { idle-notebook: { enabled: false } }\n`, 't.yml').policy;
    expect(() => scanOptionsFor(off, { now: () => new Date(NOW), rules: ['idle-notebook'] })).toThrow(/disabled/);
    expect(() => scanOptionsFor(off, { now: () => new Date(NOW), rules: [] })).toThrow(RuleSelectionError);
  });
});
