import { BudgetsClient, DescribeBudgetsCommand } from '@aws-sdk/client-budgets';
import { CostExplorerClient, GetAnomaliesCommand, GetCostAndUsageCommand, GetCostForecastCommand } from '@aws-sdk/client-cost-explorer';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { money } from '../../shared/domain/money.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const PROD = '111111111111';
const DEV = '222222222222';
const NOW = '2025-06-18T12:00:00Z';
const JUNE = '2025-06-01T00:00:00Z';

function world(over: Partial<WorldInput> = {}): WorldInput {
  return {
    version: 1,
    now: NOW,
    aws: {
      priceList: { sagemaker: [{ instanceType: 'ml.g5.xlarge', region: 'us-east-1', hourly: 1.5 }] },
      accounts: [
        {
          id: PROD,
          name: 'prod',
          regions: {
            'us-east-1': {
              sagemaker: { endpoints: [{ name: 'idle', createdAt: '-30d', variants: [{ instanceType: 'ml.g5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 1 } } }] }] },
            },
          },
          costs: {
            groupsPerPage: 40,
            daily: [
              { service: 'Amazon SageMaker', amount: 300, from: JUNE, tags: { team: 'fraud', env: 'prod' } },
              { service: 'Amazon SageMaker', amount: 100, from: JUNE, tags: { team: 'search', env: 'prod' } },
              { service: 'Amazon S3', amount: 40, from: JUNE, tags: { team: 'fraud' } },
              { service: 'AmazonCloudWatch', amount: 10, from: JUNE },
            ],
          },
          budgets: [{ name: 's3', limit: 500, filters: { Service: ['Amazon S3'] } }],
          anomalies: [
            { start: '-3d', dimensionValue: 'Amazon SageMaker', expected: 900, actual: 1500, rootCauses: [{ service: 'Amazon SageMaker', region: 'us-east-1', contribution: 600 }] },
            { start: '-20d', end: '-19d', expected: 10, actual: 500 },
          ],
        },
        { id: DEV, name: 'dev', costs: { daily: [{ service: 'Amazon SageMaker', amount: 50, from: JUNE, tags: { team: 'research', env: 'dev' } }] } },
      ],
    },
    ...over,
  };
}

const POLICY = `version: 1
clouds:
  aws:
    accounts:
      - { id: "${PROD}", name: prod, regions: [us-east-1, eu-west-1] }
      - { id: "${DEV}", name: dev, regions: [us-east-1] }
    costAllocationTags: [team]
budgets:
  - name: sagemaker
    amount: 8000
    scope: { services: [Amazon SageMaker] }
    thresholds: { actual: [50, 80, 100], forecast: [100] }
  - name: prod-env
    amount: 20000
    scope: { tags: { env: prod } }
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

function clientConfig(sb: Sandbox, account = PROD, maxAttempts = 3) {
  return { endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(account), maxAttempts };
}

/** A scan of the sandbox; real by default, since only real scans cache (a dry run reads the cache and writes nothing). */
async function scan(sb: Sandbox, policy: Policy = parsePolicy(POLICY, 'test.yml').policy, dryRun = false) {
  const providers = buildProviders(policy, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, now: () => sb.clock.now() } });
  return runScan(scanOptionsFor(policy, { now: () => sb.clock.now(), dryRun }), { providers, store: store!, clock: sb.clock, prices: priceBook(policy) });
}

const ceCalls = (sb: Sandbox) => Object.fromEntries(Object.entries(sb.calls()).filter(([k, v]) => k.startsWith('ce.') && v > 0));

describe('Cost Explorer in the sandbox cloud', () => {
  it('serves daily costs grouped by SERVICE and a tag as "key$value", untagged as "key$", paginated by groups', async () => {
    const sb = await start();
    const ce = new CostExplorerClient(clientConfig(sb));
    const input = { TimePeriod: { Start: '2025-06-01', End: '2025-06-18' }, Granularity: 'DAILY' as const, Metrics: ['UnblendedCost'], GroupBy: [{ Type: 'DIMENSION' as const, Key: 'SERVICE' }, { Type: 'TAG' as const, Key: 'team' }] };

    const groups: string[][] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ce.send(new GetCostAndUsageCommand({ ...input, NextPageToken: token }));
      for (const r of out.ResultsByTime ?? []) for (const g of r.Groups ?? []) groups.push(g.Keys ?? []);
      token = out.NextPageToken;
      pages++;
    } while (token);

    // 17 days × 4 groups = 68 groups at 40 a page.
    expect(pages).toBe(2);
    expect(sb.calls()['ce.GetCostAndUsage']).toBe(2);
    expect(groups).toHaveLength(68);
    expect(groups.slice(0, 4)).toEqual([
      ['Amazon S3', 'team$fraud'],
      ['Amazon SageMaker', 'team$fraud'],
      ['Amazon SageMaker', 'team$search'],
      ['AmazonCloudWatch', 'team$'],
    ]);
  });

  it("serves the official FOCUS sample's AWS rows, moved to end at the world clock", async () => {
    const sb = await start({ version: 1, now: NOW, aws: { accounts: [{ id: PROD, name: 'p', costs: { focusCsv: { path: 'test/fixtures/focus/focus-1.0_sample_official_1000.csv', shiftEndTo: 'now' } } }] } });
    const ce = new CostExplorerClient(clientConfig(sb));

    const out = await ce.send(new GetCostAndUsageCommand({ TimePeriod: { Start: '2025-05-01', End: '2025-06-19' }, Granularity: 'MONTHLY', Metrics: ['UnblendedCost'], GroupBy: [{ Type: 'TAG', Key: 'environment' }] }));
    const ec2 = await ce.send(new GetCostAndUsageCommand({ TimePeriod: { Start: '2025-05-01', End: '2025-06-19' }, Granularity: 'MONTHLY', Metrics: ['UnblendedCost'], Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon Elastic Compute Cloud'] } } }));

    // The sample's September 2024 moves to May 19 – June 18, 2025: both months have rows.
    expect(out.ResultsByTime?.map((r) => r.TimePeriod)).toEqual([
      { Start: '2025-05-01', End: '2025-06-01' },
      { Start: '2025-06-01', End: '2025-06-19' },
    ]);
    expect(new Set(out.ResultsByTime?.flatMap((r) => r.Groups?.map((g) => g.Keys?.[0]) ?? []))).toEqual(new Set(['environment$', 'environment$dev', 'environment$prod']));
    const total = ec2.ResultsByTime?.reduce((s, r) => s + Number(r.Total?.['UnblendedCost']?.Amount), 0);
    expect(total).toBeCloseTo(16.0416930505, 9);
  });

  it('never shows spend after the world clock, and filters by linked account', async () => {
    const sb = await start();
    const ce = new CostExplorerClient(clientConfig(sb));

    const out = await ce.send(
      new GetCostAndUsageCommand({ TimePeriod: { Start: '2025-06-17', End: '2025-07-01' }, Granularity: 'MONTHLY', Metrics: ['UnblendedCost', 'AmortizedCost'], Filter: { Dimensions: { Key: 'LINKED_ACCOUNT', Values: [DEV] } } }),
    );

    // June 17 and today's (partial, started before 12:00) rows: 2 × $450; dev's spend is filtered out.
    expect(out.ResultsByTime).toEqual([{ TimePeriod: { Start: '2025-06-17', End: '2025-07-01' }, Total: { UnblendedCost: { Amount: '0', Unit: 'USD' }, AmortizedCost: { Amount: '0', Unit: 'USD' } }, Groups: [], Estimated: true }]);
    const mine = await ce.send(new GetCostAndUsageCommand({ TimePeriod: { Start: '2025-06-17', End: '2025-07-01' }, Granularity: 'MONTHLY', Metrics: ['UnblendedCost'] }));
    expect(mine.ResultsByTime?.[0]?.Total?.['UnblendedCost']).toEqual({ Amount: '900', Unit: 'USD' });
  });

  it('forecasts the rest of the month from the last seven days, refuses a start before today, and answers errors in its dialect', async () => {
    const sb = await start();
    const ce = new CostExplorerClient(clientConfig(sb, PROD, 1));

    const f = await ce.send(new GetCostForecastCommand({ TimePeriod: { Start: '2025-06-18', End: '2025-07-01' }, Metric: 'UNBLENDED_COST', Granularity: 'MONTHLY', Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon SageMaker'] } } }));
    expect(f.Total).toEqual({ Amount: '5200', Unit: 'USD' }); // 13 days × $400

    await expect(ce.send(new GetCostForecastCommand({ TimePeriod: { Start: '2025-06-10', End: '2025-07-01' }, Metric: 'UNBLENDED_COST', Granularity: 'MONTHLY' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(ce.send(new GetCostForecastCommand({ TimePeriod: { Start: '2025-06-18', End: '2025-07-01' }, Metric: 'UNBLENDED_COST', Granularity: 'MONTHLY', Filter: { Dimensions: { Key: 'SERVICE', Values: ['Amazon Bedrock'] } } }))).rejects.toMatchObject({ name: 'DataUnavailableException' });
    sb.faults.add({ service: 'ce', operation: 'GetCostForecast', kind: 'throttle', times: 1 });
    await expect(ce.send(new GetCostForecastCommand({ TimePeriod: { Start: '2025-06-18', End: '2025-07-01' }, Metric: 'UNBLENDED_COST', Granularity: 'MONTHLY' }))).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('serves anomalies whose end falls in the interval, with impact filter', async () => {
    const sb = await start();
    const ce = new CostExplorerClient(clientConfig(sb));

    const recent = await ce.send(new GetAnomaliesCommand({ DateInterval: { StartDate: '2025-06-10', EndDate: '2025-06-18' } }));
    const big = await ce.send(new GetAnomaliesCommand({ DateInterval: { StartDate: '2025-05-01' }, TotalImpact: { NumericOperator: 'GREATER_THAN_OR_EQUAL', StartValue: 550 } }));

    expect(recent.Anomalies?.map((a) => [a.DimensionValue, a.Impact?.TotalImpact, a.RootCauses?.[0]?.Impact?.Contribution])).toEqual([['Amazon SageMaker', 600, 600]]);
    expect(big.Anomalies?.map((a) => a.Impact?.TotalImpact)).toEqual([600]);
  });
});

describe('AWS Budgets and the Price List API in the sandbox cloud', () => {
  it("computes a budget's actual and forecast spend from the cost rows it filters", async () => {
    const sb = await start();

    const out = await new BudgetsClient(clientConfig(sb)).send(new DescribeBudgetsCommand({ AccountId: PROD }));

    // S3: 18 days of $40 (today's included) = $720; forecast 17 × 40 + 13 × 40 = $1,200.
    expect(out.Budgets?.map((b) => [b.BudgetName, b.CalculatedSpend?.ActualSpend?.Amount, b.CalculatedSpend?.ForecastedSpend?.Amount])).toEqual([['s3', '720', '1200']]);
    await expect(new BudgetsClient(clientConfig(sb, PROD, 1)).send(new DescribeBudgetsCommand({ AccountId: DEV }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('lists products matching every filter, each a Price List JSON document', async () => {
    const sb = await start();
    const pricing = new PricingClient(clientConfig(sb));

    const hit = await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonSageMaker', Filters: [{ Type: 'TERM_MATCH', Field: 'instanceName', Value: 'ml.g5.xlarge' }, { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' }] }));
    const miss = await pricing.send(new GetProductsCommand({ ServiceCode: 'AmazonSageMaker', Filters: [{ Type: 'TERM_MATCH', Field: 'regionCode', Value: 'eu-west-1' }] }));

    const doc = JSON.parse(String(hit.PriceList?.[0])) as { product: { attributes: Record<string, string> }; terms: { OnDemand: Record<string, { priceDimensions: Record<string, { pricePerUnit: { USD: string } }> }> } };
    expect(doc.product.attributes).toMatchObject({ instanceName: 'ml.g5.xlarge', component: 'Hosting', usagetype: 'USE1-Host:ml.g5.xlarge' });
    expect(Object.values(Object.values(doc.terms.OnDemand)[0]!.priceDimensions)[0]!.pricePerUnit.USD).toBe('1.5000000000');
    expect(miss.PriceList).toEqual([]);
  });
});

describe('AWS provider cost collection', () => {
  it('reads each account, grouping and day from Cost Explorer once: a second scan the same day makes no Cost Explorer call', async () => {
    const w = world();
    const sb = await start({ ...w, aws: { ...w.aws, accounts: w.aws!.accounts!.map((a) => ({ ...a, costs: { ...a.costs, groupsPerPage: 500 } })) } });

    const first = await scan(sb);
    const afterFirst = ceCalls(sb);
    sb.resetCalls();
    const second = await scan(sb);
    const afterSecond = ceCalls(sb);
    sb.resetCalls();
    await scan(sb, undefined, true);
    const dryRun = ceCalls(sb);
    sb.resetCalls();
    sb.clock.advance(24 * 3600_000);
    await scan(sb);
    const nextDay = ceCalls(sb);

    // 2 accounts × 3 groupings (SERVICE, SERVICE×team, SERVICE×env — the prod-env budget's tag), one page each,
    // however many regions an account has (prod has two);
    // 2 accounts × a forecast per budget; anomalies once per account; Savings Plans coverage and
    // recommendation once per account (commitment-coverage).
    expect(afterFirst).toEqual({ 'ce.GetCostAndUsage': 6, 'ce.GetCostForecast': 4, 'ce.GetAnomalies': 2, 'ce.GetSavingsPlansCoverage': 2, 'ce.GetSavingsPlansPurchaseRecommendation': 2 });
    expect(afterSecond).toEqual({});
    // A dry run reads what the real scans cached.
    expect(dryRun).toEqual({});
    expect(nextDay).toEqual(afterFirst);
    expect(second.findings.map((f) => f.id).sort()).toEqual(first.findings.map((f) => f.id).sort());
  });

  it('turns costs, forecasts, AWS budgets and anomalies into findings with their drivers', async () => {
    const sb = await start();

    const report = await scan(sb);
    const byId = new Map(report.findings.map((f) => [f.id, f]));

    // SageMaker: (300 + 100 + 50) × 17 = 7,650 of 8,000: 95.6%, past 80; forecast 7,650 + 13 × 450 = 13,500.
    const breach = byId.get('budget-breach:config:sagemaker:2025-06-01:80%');
    expect(breach?.budget).toMatchObject({ actual: money(7650), thresholdPercent: 80 });
    expect(breach?.scopeId).toBe('*');
    expect(breach?.budget?.drivers.filter((d) => d.by === 'tag').map((d) => d.key)).toEqual(['env=prod', 'team=fraud', 'team=search', 'env=dev', 'team=research']);
    expect(byId.get('forecast-breach:config:sagemaker:2025-06-01:100%')?.budget?.forecast).toEqual(money(13_500));
    // prod-env: env=prod SageMaker 400 × 17 = 6,800 of 20,000 (34%): no finding; its forecast 6,800 + 13 × 400 = 12,000 (60%) neither.
    expect([...byId.keys()].filter((k) => k.includes(':prod-env:'))).toEqual([]);
    expect(byId.get('budget-breach:aws-budgets:111111111111:s3:2025-06-01:100%')?.budget?.actual).toEqual(money(720));
    expect(report.findings.filter((f) => f.ruleId === 'cost-anomaly').map((f) => f.budget?.drivers)).toEqual([[{ by: 'service', key: 'Amazon SageMaker', amount: money(600) }]]);
    expect(report.findings.filter((f) => f.state === 'failure')).toEqual([]);
  });

  it('reports an account whose Cost Explorer is denied, keeps the other, and marks the budget a lower bound', async () => {
    const sb = await start(world({ faults: [{ service: 'ce', operation: 'GetCostAndUsage', kind: 'access-denied', account: DEV }] }));

    const report = await scan(sb);

    const failed = report.findings.filter((f) => f.state === 'failure').map((f) => [f.scopeId, f.title]);
    expect(failed).toEqual(expect.arrayContaining([[DEV, expect.stringMatching(/^could not read ce:GetCostAndUsage \(SERVICE\) in aws dev/)]]));
    const breach = report.findings.find((f) => f.id.startsWith('budget-breach:config:sagemaker:'));
    // Prod alone: 400 × 17 = 6,800 of 8,000 (85%).
    expect(breach?.budget?.actual).toEqual(money(6800));
    expect(breach?.evidence.some((e) => e.startsWith('costs of aws dev (222222222222) could not be read') && e.endsWith('the actual is a lower bound'))).toBe(true);
  });

  it('gets through throttling: the SDK retries and the findings do not change', async () => {
    const sb = await start(world({ faults: [{ service: 'ce', kind: 'throttle', rate: 0.3 }, { service: 'budgets', kind: 'throttle', rate: 0.3 }] }));
    const calm = await start(world());
    sandbox = sb;

    const throttled = await scan(sb);
    // A store of its own, so the clean scan reads Cost Explorer rather than the throttled scan's cache.
    const throttledStore = store!;
    store = await openMemoryStore();
    const clean = await scan(calm);
    await calm.close();
    await throttledStore.close();

    expect(Object.values(sb.faults.injected()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(calm.calls()['ce.GetCostAndUsage']).toBeGreaterThan(0);
    expect(throttled.findings.map((f) => f.id).sort()).toEqual(clean.findings.map((f) => f.id).sort());
  });

  it('prices endpoints from the Price List API, cached across scans, and falls back to the bundled table', async () => {
    const sb = await start();

    const first = await scan(sb);
    const pricingCalls = sb.calls()['pricing.GetProducts'];
    sb.resetCalls();
    const second = await scan(sb);

    const idle = (r: typeof first) => r.findings.find((f) => f.ruleId === 'idle-endpoint' && f.resource?.name === 'idle');
    expect(idle(first)?.waste?.arithmetic).toBe('ml.g5.xlarge $1.50/h × 1 × 730 h = $1,095.00/month');
    expect(idle(first)?.waste?.priceSource).toMatch(/^AWS Price List API \(SageMaker hosting, us-east-1, SKU [0-9A-F]{16}, published 2025-06-01\)$/);
    // One instance type in one region: one GetProducts.
    expect(pricingCalls).toBe(1);
    expect(sb.calls()['pricing.GetProducts']).toBe(0);
    expect(idle(second)?.waste?.monthly).toEqual(money(1095));

    const bare = await start(world({ aws: { ...world().aws!, priceList: { sagemaker: [] } } }));
    const fallback = await scan(bare);
    expect(idle(fallback)?.waste?.priceSource).toBe('bundled price table 2025-10 (us-east-1)');
  });
});
