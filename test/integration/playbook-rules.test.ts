import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const PROD = '111111111111';
const NOW = '2025-06-18T12:00:00Z';
const JUNE = '2025-06-01T00:00:00Z';

function world(): WorldInput {
  return {
    version: 1,
    now: NOW,
    aws: {
      accounts: [
        {
          id: PROD,
          name: 'prod',
          regions: {
            'us-east-1': {
              sagemaker: {
                trainingJobs: [
                  // On demand, finished 9 days ago: flagged.
                  { name: 'bert-0608', status: 'Completed', createdAt: '-10d', startedAt: '-10d', endedAt: '-226h', instanceType: 'ml.p3.2xlarge', instanceCount: 4, tags: { team: 'nlp', env: 'prod' } },
                  // Managed spot with checkpoints, billed 3.2 h of 10 h: not flagged, its saving is evidence.
                  { name: 'bert-spot', status: 'Completed', createdAt: '-17d', startedAt: '-17d', endedAt: '-398h', instanceType: 'ml.p3.2xlarge', spot: true, checkpointS3Uri: 's3://ckpt/bert/', billableSeconds: 11_520, tags: { team: 'nlp', env: 'prod' } },
                  // Failed, or ended 40 days ago: not read.
                  { name: 'broken', status: 'Failed', createdAt: '-3d', instanceType: 'ml.p3.2xlarge', instanceCount: 8 },
                  { name: 'ancient', status: 'Completed', createdAt: '-41d', startedAt: '-41d', endedAt: '-40d', instanceType: 'ml.p3.2xlarge', instanceCount: 8 },
                ],
              },
            },
          },
          costs: {
            daily: [
              { service: 'Amazon SageMaker', amount: 300, from: JUNE, tags: { team: 'fraud', env: 'prod' } },
              { service: 'Amazon SageMaker', amount: 100, from: JUNE, tags: { env: 'prod' } },
              { service: 'AmazonCloudWatch', amount: 50, from: JUNE },
            ],
          },
          savingsPlans: {
            sagemaker: {
              coveredPercent: 10,
              recommendations: [{ term: 1, paymentOption: 'NO_UPFRONT', hourlyCommitment: 9, estimatedMonthlySavings: 3200, estimatedSavingsPercent: 33, currentMinimumHourly: 15, currentAverageHourly: 16.7, currentMaximumHourly: 20 }],
            },
          },
        },
      ],
    },
  };
}

const POLICY = `version: 1
clouds:
  aws:
    accounts:
      - { id: "${PROD}", name: prod, regions: [us-east-1] }
`;

let sandbox: Sandbox | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
  sandbox = undefined;
  store = undefined;
});

async function start(w: WorldInput = world()) {
  sandbox = await startSandbox({ world: defineWorld(w) });
  store = await openMemoryStore();
  return sandbox;
}

async function scan(sb: Sandbox, policy: Policy = parsePolicy(POLICY, 'test.yml').policy, rules?: string[]) {
  const providers = buildProviders(policy, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, now: () => sb.clock.now() } });
  return runScan(scanOptionsFor(policy, { now: () => sb.clock.now(), ...(rules ? { rules } : {}) }), { providers, store: store!, clock: sb.clock, prices: priceBook(policy) });
}

const calls = (sb: Sandbox, prefix: string) => Object.fromEntries(Object.entries(sb.calls()).filter(([k, v]) => k.startsWith(prefix) && v > 0));

describe('the playbook rules against the sandbox cloud', () => {
  it('spot-training: flags the finished on-demand job with the saving the account’s spot jobs reported; not the spot, failed or old ones', async () => {
    const sb = await start();

    const report = await scan(sb, undefined, ['spot-training']);

    const spot = report.findings.filter((f) => f.ruleId === 'spot-training');
    expect(spot.map((f) => f.resource?.name)).toEqual(['bert-0608']);
    expect(spot[0]?.resource?.kind).toBe('aws.sagemaker.finished-training-job');
    expect(spot[0]?.evidence).toContain('on-demand cost: ml.p3.2xlarge $3.825/h × 4 × 14 h = $214.20');
    expect(spot[0]?.evidence.join('\n')).toContain('the 68% managed spot saved this account\'s 1 finished spot job in us-east-1 (BillableTimeInSeconds 11520 of TrainingTimeInSeconds 36000)');
    // Advice only: nothing proposed, and the scan read no cost data for it.
    expect(report.proposals).toEqual([]);
    expect(calls(sb, 'ce.')).toEqual({});
  });

  it('untagged-spend: reads the month by team tag once per account and day, and reports the untagged share', async () => {
    const sb = await start();

    const report = await scan(sb, undefined, ['untagged-spend']);
    const first = calls(sb, 'ce.');
    sb.resetCalls();
    await scan(sb, undefined, ['untagged-spend']);

    // No budget is configured: the only Cost Explorer read is the month grouped by service and team.
    expect(first).toEqual({ 'ce.GetCostAndUsage': 1 });
    expect(calls(sb, 'ce.')).toEqual({});
    const share = report.findings.find((f) => f.id === `untagged-spend:aws:${PROD}`);
    // SageMaker $400 a day, $100 of it untagged, June 1–17; CloudWatch is not AI spend.
    expect(share?.title).toBe('25% of AI spend in prod this month has no team tag ($1,700.00 of $6,800.00)');
    // The training jobs are not running: no resource is judged for tags.
    expect(report.findings.filter((f) => f.ruleId === 'untagged-spend' && f.resource)).toEqual([]);
  });

  it('commitment-coverage: coverage and the SageMaker Savings Plans recommendation, read once per account and day', async () => {
    const sb = await start();

    const report = await scan(sb, undefined, ['commitment-coverage']);
    const first = calls(sb, 'ce.');
    sb.resetCalls();
    const cached = await scan(sb, undefined, ['commitment-coverage']);
    const again = calls(sb, 'ce.');
    // The cached answer gives the same finding, dates and all.
    const pick = (r: typeof report) => r.findings.filter((x) => x.ruleId === 'commitment-coverage').map((x) => [x.title, x.evidence]);
    expect(pick(cached)).toEqual(pick(report));
    sb.resetCalls();
    sb.clock.advance(24 * 3600_000);
    await scan(sb, undefined, ['commitment-coverage']);

    expect(first).toEqual({ 'ce.GetSavingsPlansCoverage': 1, 'ce.GetSavingsPlansPurchaseRecommendation': 1 });
    expect(again).toEqual({});
    expect(calls(sb, 'ce.')).toEqual(first);
    const [f] = report.findings.filter((x) => x.ruleId === 'commitment-coverage');
    expect(f?.title).toBe('Amazon SageMaker in 111111111111: the cloud recommends a $9.00/h SageMaker Savings Plan, saving ~$3,200.00/month');
    // 17 days of $400 of SageMaker (June 1–17) in the 30-day window, 10% covered.
    expect(f?.evidence[0]).toBe('coverage 2025-05-19 to 2025-06-17: SageMaker Savings Plans covered $680.00 of $6,800.00 eligible Amazon SageMaker spend (10%); $6,120.00 ran at on-demand rates');
    expect(report.proposals).toEqual([]);
  });

  it('commitment-coverage: no finding for a 3-year question the cloud has no recommendation for, and no read when the rule is off', async () => {
    const sb = await start();
    const threeYears = parsePolicy(`${POLICY}rules:\n  commitment-coverage: { term: 3 }\n`, 'test.yml').policy;

    const report = await scan(sb, threeYears, ['commitment-coverage']);
    expect(report.findings.filter((f) => f.ruleId === 'commitment-coverage')).toEqual([]);
    sb.resetCalls();

    const off = parsePolicy(`${POLICY}rules:\n  commitment-coverage: { enabled: false }\n  untagged-spend: { enabled: false }\n`, 'test.yml').policy;
    await scan(sb, off);
    expect(calls(sb, 'ce.GetSavingsPlans')).toEqual({});
    expect(calls(sb, 'ce.GetCostAndUsage')).toEqual({});
  });
});

describe('spot-training on Vertex AI through the real client', () => {
  it('flags the custom job without a scheduling strategy and not the one on SPOT', async () => {
    const { gcpProviderBuilder } = await import('../../shared/app/compose-gcp.js');
    const { staticTokenAuth } = await import('../../shared/providers/gcp/clients.js');
    const pool = [{ machineType: 'n1-standard-8', replicaCount: 2 }];
    sandbox = await startSandbox({
      world: defineWorld({
        version: 1,
        now: NOW,
        gcp: {
          projects: [
            {
              id: 'ml-research-42',
              number: '123456789012',
              regions: {
                'us-central1': {
                  customJobs: [
                    { id: '1', displayName: 'on-demand', createdAt: '-30h', startedAt: '-30h', labels: { team: 'research' }, workerPools: pool },
                    { id: '2', displayName: 'on-spot', createdAt: '-30h', startedAt: '-30h', strategy: 'SPOT', workerPools: pool },
                  ],
                },
              },
            },
          ],
        },
      } as WorldInput),
    });
    store = await openMemoryStore();
    const policy = parsePolicy('version: 1\nclouds:\n  gcp:\n    projects:\n      - { id: ml-research-42, regions: [us-central1] }\n', 'gcp.yml').policy;
    const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox') } }, { gcp: gcpProviderBuilder() });

    const report = await runScan({ ...scanOptionsFor(policy, { now: () => sandbox!.clock.now(), rules: ['spot-training'] }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });

    const spot = report.findings.filter((f) => f.ruleId === 'spot-training');
    expect(spot.map((f) => f.resource?.name)).toEqual(['on-demand']);
    expect(spot[0]?.evidence[0]).toBe('custom job running on demand since 2025-06-17 06:00 UTC (30 h): scheduling.strategy STRATEGY_UNSPECIFIED, not SPOT');
  });
});
