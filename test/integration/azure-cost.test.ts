import { afterEach, describe, expect, it } from 'vitest';
import { FOREIGN_PROVIDERS } from '../../shared/app/compose-azure.js';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import type { Budget } from '../../shared/domain/budget.js';
import { runScan } from '../../shared/pipeline/scan.js';
import type { AzureBillingOptions } from '../../shared/providers/azure/billing.js';
import { azureClientFactory, sandboxAzureCredential, type AzureClientOptions } from '../../shared/providers/azure/clients.js';
import { AzureProvider } from '../../shared/providers/azure/provider.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

/*
 * Azure money against the sandbox cloud, through the real @azure/arm-costmanagement,
 * @azure/arm-consumption and core-rest-pipeline clients: Cost Management Query (cached, grouped,
 * paged) and Forecast, Consumption budgets, Retail Prices (paged, with the bundled fallback),
 * Cost Management's own 429 headers, and a scan where one subscription's costs fail.
 */

const A = '0a1b2c3d-0000-4000-8000-00000000000a';
const B = '0a1b2c3d-0000-4000-8000-00000000000b';
const NOW = new Date('2026-11-28T12:00:00Z');
const COLLECT = { now: NOW, lookbackHours: 336 };

function sub(id: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name,
    resourceGroups: {
      'rg-ml': {
        workspaces: [
          {
            name: `ws-${name}`,
            location: 'eastus',
            computeInstances: [{ name: `ci-${name}`, vmSize: 'Standard_DS3_v2', runningSince: '-2d' }],
            computeClusters: [{ name: `gpu-${name}`, vmSize: 'Standard_NC6s_v3', minNodes: 1, maxNodes: 2, metrics: { activeNodes: { constant: 0 }, idleNodes: { constant: 1 } } }],
          },
        ],
      },
    },
    costs: {
      daily: [
        { service: 'Azure Machine Learning', resourceGroup: 'rg-ml', amount: 100, from: '-40d', tags: { team: 'fraud' } },
        { service: 'Storage', resourceGroup: 'rg-data', amount: 10, from: '-40d' },
      ],
    },
    ...extra,
  };
}

function world(extra: Partial<NonNullable<WorldInput['azure']>> = {}, faults: WorldInput['faults'] = []): WorldInput {
  return { version: 1, now: NOW.toISOString(), azure: { subscriptions: [sub(A, 'prod'), sub(B, 'dev')], ...extra }, faults };
}

const CONFIG_BUDGET: Budget = {
  name: 'azure-ml',
  limit: { amount: 3500, currency: 'USD' },
  period: 'monthly',
  scope: { clouds: ['azure'], services: ['Azure Machine Learning'] },
  actualThresholds: [50, 80, 100],
  forecastThresholds: [100],
};

let sandbox: Sandbox | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
  sandbox = undefined;
  store = undefined;
});

async function start(w: WorldInput) {
  sandbox = await startSandbox({ world: defineWorld(w) });
  store = await openMemoryStore();
  return sandbox;
}

function provider(sb: Sandbox, billing: Partial<AzureBillingOptions> = {}, client: Partial<AzureClientOptions> = {}) {
  return new AzureProvider(
    azureClientFactory({
      credential: sandboxAzureCredential(),
      armEndpoint: sb.azureEndpoint,
      metricsEndpoint: () => sb.azureEndpoint,
      retailPricesEndpoint: `${sb.azureEndpoint}/api/retail/prices`,
      ca: sb.azureCa,
      retry: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
      ...client,
    }),
    { now: () => sb.clock.now(), billing: { costTagKeys: [], budgets: [CONFIG_BUDGET], nativeBudgets: true, ...billing } },
  );
}

function policy(yaml = ''): Policy {
  return parsePolicy(`version: 1\nclouds:\n  azure:\n    subscriptions:\n      - { id: ${A}, name: prod }\n      - { id: ${B}, name: dev }\n${yaml}`, 'test.yml', { now: NOW }).policy;
}

async function scan(sb: Sandbox, p: Policy, dryRun = true) {
  const providers = buildProviders(p, sandboxProviderEndpoints(sb), FOREIGN_PROVIDERS);
  const opts = scanOptionsFor(p, { now: () => sb.clock.now(), dryRun });
  return runScan(opts, { providers, store: store!, clock: sb.clock, prices: priceBook(p) });
}

const calls = (sb: Sandbox, op: string) => sb.calls()[op] ?? 0;

describe('Azure Cost Management Query', () => {
  it('reads the month to date daily, grouped by service and resource group, and by a tag key', async () => {
    const sb = await start(world());
    const c = await provider(sb, { costTagKeys: ['team'] }).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);

    expect(c.failures).toEqual([]);
    const bySvc = c.costs.filter((r) => r.x_Breakdown === 'SERVICE');
    // 27 whole days of November before today, two services each.
    expect(bySvc).toHaveLength(54);
    expect(bySvc.find((r) => r.ServiceName === 'Storage')).toMatchObject({ ProviderName: 'Microsoft', BilledCost: 10, BillingCurrency: 'USD', SubAccountId: A, x_ResourceGroupName: 'rg-data' });
    expect(Math.min(...bySvc.map((r) => r.ChargePeriodStart.getTime()))).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(Math.max(...bySvc.map((r) => r.ChargePeriodEnd.getTime()))).toBe(Date.parse('2026-11-28T00:00:00Z'));
    const byTag = c.costs.filter((r) => r.x_Breakdown === 'SERVICE,TAG:team');
    expect(byTag.filter((r) => r.Tags['team'] === 'fraud').reduce((s, r) => s + r.BilledCost, 0)).toBe(2700);
    // Untagged spend comes back without the tag.
    expect(byTag.filter((r) => r.Tags['team'] === undefined).reduce((s, r) => s + r.BilledCost, 0)).toBe(270);
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(2);
  });

  it('makes no Query or Forecast call on a second scan the same day (cached per subscription, grouping and day)', async () => {
    const sb = await start(world());
    const p = provider(sb, { costTagKeys: ['team'] });
    const first = await p.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { ...COLLECT, cache: store! });
    const queries = calls(sb, 'costmanagement.Query_Usage');
    const forecasts = calls(sb, 'costmanagement.Forecast_Usage');
    expect(queries).toBe(2);
    expect(forecasts).toBe(1);

    sb.clock.advance(3 * 3_600_000);
    const later = new Date(NOW.getTime() + 3 * 3_600_000);
    const second = await p.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { ...COLLECT, now: later, cache: store! });
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(queries);
    expect(calls(sb, 'costmanagement.Forecast_Usage')).toBe(forecasts);
    expect(second.costs).toHaveLength(first.costs.length);
    expect(second.costs[0]!.ChargePeriodStart).toBeInstanceOf(Date);

    // The next day reads again: one call per grouping.
    const tomorrow = new Date(NOW.getTime() + 24 * 3_600_000);
    await p.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { ...COLLECT, now: tomorrow, cache: store! });
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(queries + 2);
  });

  it('follows nextLink pages, posting the same query', async () => {
    const w = world();
    (w.azure!.subscriptions![0] as { costs: { rowsPerPage?: number } }).costs.rowsPerPage = 5;
    const sb = await start(w);
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(c.costs.filter((r) => r.x_Breakdown === 'SERVICE')).toHaveLength(54);
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(Math.ceil(54 / 5));
  });

  it('reads a quarterly budget a calendar month at a time (Daily queries span at most a month)', async () => {
    const sb = await start(world());
    const c = await provider(sb, { budgets: [{ ...CONFIG_BUDGET, period: 'quarterly' }] }).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    // October and November of the quarter (the world's costs start 40 days ago).
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(2);
    expect(Math.min(...c.costs.map((r) => r.ChargePeriodStart.getTime()))).toBe(Date.parse('2026-10-19T00:00:00Z'));
  });
});

describe('Azure Cost Management Forecast', () => {
  it("forecasts the rest of a configured budget's period, filtered by its services", async () => {
    const sb = await start(world());
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.forecasts).toEqual([
      {
        cloud: 'azure',
        scopeId: A,
        budgetName: 'azure-ml',
        period: { start: new Date('2026-11-28T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') },
        // The sandbox forecasts the last 7 days' average: 100 a day for 28, 29 and 30 November (Storage filtered out).
        amount: { amount: 300, currency: 'USD' },
        source: 'Azure Cost Management Forecast',
      },
    ]);
  });

  it('gives no forecast where Cost Management has no history to forecast from', async () => {
    const w = world();
    (w.azure!.subscriptions![0] as { costs: unknown }).costs = { daily: [] };
    const sb = await start(w);
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(c.forecasts).toEqual([]);
  });
});

describe('Azure budgets (Consumption)', () => {
  it("reads each budget with Azure's current and forecast spend; usage budgets are skipped", async () => {
    const w = world();
    (w.azure!.subscriptions![0] as { budgets: unknown }).budgets = [
      { name: 'ml-monthly', amount: 2500, filter: { services: ['Azure Machine Learning'] } },
      { name: 'team-fraud', amount: 5000, filter: { tags: { team: ['fraud'] } }, currentSpend: 1234.5, forecastSpend: 4321 },
      { name: 'hours', amount: 100, category: 'Usage' },
    ];
    const sb = await start(w);
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(c.budgets).toEqual([
      {
        name: 'ml-monthly',
        limit: { amount: 2500, currency: 'USD' },
        period: 'monthly',
        scope: { clouds: ['azure'], scopeIds: [A], services: ['Azure Machine Learning'] },
        actualThresholds: [100],
        forecastThresholds: [100],
        actual: { amount: 2800, currency: 'USD' },
        forecast: { amount: 3000, currency: 'USD' },
      },
      {
        name: 'team-fraud',
        limit: { amount: 5000, currency: 'USD' },
        period: 'monthly',
        scope: { clouds: ['azure'], scopeIds: [A], tags: { team: 'fraud' } },
        actualThresholds: [100],
        forecastThresholds: [100],
        actual: { amount: 1234.5, currency: 'USD' },
        forecast: { amount: 4321, currency: 'USD' },
      },
    ]);
    expect(calls(sb, 'consumption.Budgets_List')).toBe(1);
  });

  it('retries a 429 that says how long to wait only in x-ms-ratelimit-microsoft.consumption-retry-after', async () => {
    const sb = await start(world({}, [{ service: 'consumption', kind: 'throttle', times: 1, retryAfterSeconds: 1 }]));
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(calls(sb, 'consumption.Budgets_List')).toBe(2);
  });
});

describe("Cost Management's rate limits", () => {
  it('waits what the x-ms-ratelimit-microsoft.costmanagement-*-retry-after headers ask (the longest), then reads', async () => {
    const sb = await start(world({}, [{ service: 'costmanagement', operation: 'Query_Usage', kind: 'throttle', times: 1, retryAfterSeconds: 1 }]));
    const started = Date.now();
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(c.costs.length).toBeGreaterThan(0);
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(2);
    // The SDK's own retry delay here is 5–20 ms: the second of the qpu header was honoured.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives the read up, naming the header, when the wait asked is longer than a scan waits', async () => {
    const sb = await start(world({}, [{ service: 'costmanagement', operation: 'Query_Usage', kind: 'throttle', retryAfterSeconds: 30 }]));
    const c = await provider(sb, {}, { maxCostRetryWaitMs: 2000 }).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.costs).toEqual([]);
    expect(c.failures).toEqual([
      expect.objectContaining({ operation: 'costmanagement:Query_Usage (SERVICE)', message: expect.stringContaining('x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after') as string }),
    ]);
    expect(c.failures[0]!.message).toContain('wait 30 s');
    // One attempt: a 30 s wait is not waited.
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(1);
  });

  it('retries a 5xx with the SDK policy', async () => {
    const sb = await start(world({}, [{ service: 'costmanagement', operation: 'Forecast_Usage', kind: 'server-error', status: 503, times: 1 }]));
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    expect(c.failures).toEqual([]);
    expect(c.forecasts).toHaveLength(1);
    expect(calls(sb, 'costmanagement.Forecast_Usage')).toBe(2);
  });
});

describe('Azure Retail Prices API', () => {
  const items = [
    { armSkuName: 'Standard_DS3_v2', armRegionName: 'eastus', retailPrice: 0.57, productName: 'Virtual Machines DSv2 Series Windows' },
    { armSkuName: 'Standard_DS3_v2', armRegionName: 'eastus', retailPrice: 0.06, skuName: 'DS3 v2 Spot' },
    { armSkuName: 'Standard_DS3_v2', armRegionName: 'eastus', retailPrice: 0.05, skuName: 'DS3 v2 Low Priority' },
    { armSkuName: 'Standard_DS3_v2', armRegionName: 'eastus', retailPrice: 0.31, effectiveStartDate: '2026-01-01T00:00:00Z' },
    { armSkuName: 'Standard_DS3_v2', armRegionName: 'westeurope', retailPrice: 0.35 },
  ];

  it('reads the Linux pay-as-you-go price of each VM size in use, following NextPageLink, for endpoints, instances and clusters', async () => {
    const sb = await start(world({ retailPrices: { pageSize: 1, items } }));
    const c = await provider(sb).collect({ scope: { cloud: 'azure', id: A }, regions: [] }, COLLECT);
    const ds3 = c.prices!.filter((p) => p.instanceType === 'Standard_DS3_v2');
    expect(ds3.map((p) => p.usage).sort()).toEqual(['hosting', 'notebook', 'training']);
    expect(ds3[0]).toMatchObject({ cloud: 'azure', region: 'eastus', price: { amount: 0.31, currency: 'USD' }, source: 'Azure Retail Prices API (Standard_DS3_v2 Linux pay-as-you-go, eastus, effective 2026-01-01)' });
    // Four eastus items of DS3 v2 at one per page, then NC6s_v3's empty answer.
    expect(calls(sb, 'retailprices.Prices_Get')).toBe(5);
    // A size the API has no price for keeps the bundled table's.
    expect(c.prices!.some((p) => p.instanceType === 'Standard_NC6s_v3')).toBe(false);
    expect(c.failures).toEqual([]);
  });

  it('caches prices for a week: a second scan asks nothing', async () => {
    const sb = await start(world({ retailPrices: { items } }));
    const p = provider(sb);
    await p.collect({ scope: { cloud: 'azure', id: A }, regions: [] }, { ...COLLECT, cache: store! });
    const n = calls(sb, 'retailprices.Prices_Get');
    await p.collect({ scope: { cloud: 'azure', id: B }, regions: [] }, { ...COLLECT, cache: store! });
    expect(calls(sb, 'retailprices.Prices_Get')).toBe(n);
  });

  it('falls back to the bundled, dated table when the API fails, and says so in the finding', async () => {
    const sb = await start(world({ retailPrices: { items } }, [{ service: 'retailprices', kind: 'server-error', status: 500 }]));
    const report = await scan(sb, policy('rules:\n  idle-cluster: { windowHours: 24 }\n'));
    const cluster = report.findings.find((f) => f.ruleId === 'idle-cluster' && f.resource?.name === 'gpu-prod');
    expect(cluster?.waste?.priceSource).toMatch(/^bundled training price table \d{4}-\d{2} \(eastus\)$/);
    expect(report.findings.some((f) => f.ruleId === 'collection-failed' && f.title.includes('retailprices:Prices_Get'))).toBe(true);
  });

  it('prices findings from the API when it answers', async () => {
    const sb = await start(world({ retailPrices: { items: [...items, { armSkuName: 'Standard_NC6s_v3', armRegionName: 'eastus', retailPrice: 3.1 }] } }));
    const report = await scan(sb, policy('rules:\n  idle-cluster: { windowHours: 24 }\n'));
    const cluster = report.findings.find((f) => f.ruleId === 'idle-cluster' && f.resource?.name === 'gpu-prod');
    expect(cluster?.waste).toMatchObject({ monthly: { amount: 2263, currency: 'USD' }, priceSource: expect.stringContaining('Azure Retail Prices API (Standard_NC6s_v3') as string });
  });
});

describe('Azure budgets in a scan', () => {
  it('reports an Azure budget breached and one forecast to breach, with dollar figures', async () => {
    const w = world();
    (w.azure!.subscriptions![0] as { budgets: unknown }).budgets = [
      { name: 'ml-monthly', amount: 2500, filter: { services: ['Azure Machine Learning'] } },
      { name: 'all-spend', amount: 3200 },
    ];
    const sb = await start(w);
    const report = await scan(sb, policy());
    const breach = report.findings.find((f) => f.ruleId === 'budget-breach' && f.budget?.budgetName === 'ml-monthly');
    expect(breach).toMatchObject({ cloud: 'azure', scopeId: A, title: `Azure budget ml-monthly (${A}): actual $2,800.00 is over its $2,500.00 limit (112%)` });
    expect(breach?.evidence[0]).toBe('limit $2,500.00; actual $2,800.00 (112%); as Azure Cost Management reports it');
    expect(breach?.evidence).toContain('top services: Azure Machine Learning $2,700.00');
    const forecast = report.findings.find((f) => f.ruleId === 'forecast-breach' && f.budget?.budgetName === 'all-spend');
    expect(forecast?.title).toBe(`Azure budget all-spend (${A}): forecast $3,300.00 by 2026-11-30 is over its $3,200.00 limit (103.1%)`);
    expect(report.findings.some((f) => f.ruleId === 'budget-breach' && f.budget?.budgetName === 'all-spend')).toBe(false);
  });

  it("judges a configured budget across subscriptions with Cost Management's costs and forecast", async () => {
    const sb = await start(world());
    const report = await scan(sb, policy('budgets:\n  - { name: azure-ml, amount: 6000, scope: { clouds: [azure], services: [Azure Machine Learning] }, thresholds: { actual: [80, 100], forecast: [100] } }\n'));
    const breach = report.findings.find((f) => f.ruleId === 'budget-breach' && f.budget?.budgetName === 'azure-ml');
    // 27 days × $100 in each of two subscriptions = $5,400 of $6,000.
    expect(breach?.title).toBe('budget azure-ml: $5,400.00 of $6,000.00 spent (90%), past its 80% threshold');
    const forecast = report.findings.find((f) => f.ruleId === 'forecast-breach' && f.budget?.budgetName === 'azure-ml');
    expect(forecast?.evidence).toContain('forecast = spend so far + Azure Cost Management Forecast for the rest of the period');
    expect(forecast?.budget?.forecast).toEqual({ amount: 6000, currency: 'USD' });
  });

  it("reports the other subscriptions' budgets when one subscription's cost read fails", async () => {
    const w = world();
    for (const s of w.azure!.subscriptions!) (s as { budgets: unknown }).budgets = [{ name: 'ml-monthly', amount: 2500, filter: { services: ['Azure Machine Learning'] } }];
    const sb = await start({ ...w, faults: [{ service: 'costmanagement', kind: 'access-denied', subscription: A }, { service: 'consumption', kind: 'access-denied', subscription: A }] });
    const report = await scan(sb, policy('budgets:\n  - { name: azure-ml, amount: 3000, scope: { clouds: [azure], services: [Azure Machine Learning] } }\n'));

    const failed = report.findings.filter((f) => f.ruleId === 'collection-failed' && f.scopeId === A).map((f) => f.title).join('\n');
    expect(failed).toContain('costmanagement:Query_Usage');
    expect(failed).toContain('consumption:Budgets_List');
    const other = report.findings.find((f) => f.ruleId === 'budget-breach' && f.budget?.budgetName === 'ml-monthly');
    expect(other).toMatchObject({ cloud: 'azure', scopeId: B });
    // The configured budget counts what could be read and says the rest is missing.
    const configured = report.findings.find((f) => f.budget?.budgetName === 'azure-ml' && f.ruleId === 'budget-breach');
    expect(configured?.title).toBe('budget azure-ml: $2,700.00 of $3,000.00 spent (90%), past its 80% threshold');
    expect(configured?.evidence.join('\n') ?? '').toContain(`costs of azure prod (${A}) could not be read`);
    // The compute side of both subscriptions still reports.
    expect(report.findings.filter((f) => f.ruleId === 'idle-cluster').map((f) => f.scopeId).sort()).toEqual([A, B]);
  });
});

describe('Azure untagged share: the month’s AI spend by team tag', () => {
  it('reads the month grouped by service and team once per subscription and day, and flags the AI spend without a team tag', async () => {
    const w = world();
    // dev: $30 a day of Azure Machine Learning, $20 of it untagged (an empty value is untagged too).
    const dev = (w.azure!.subscriptions as ReturnType<typeof sub>[])[1]!;
    dev.costs.daily = [
      { service: 'Azure Machine Learning', resourceGroup: 'rg-ml', amount: 10, from: '-40d', tags: { team: 'nlp' } },
      { service: 'Azure Machine Learning', resourceGroup: 'rg-ml', amount: 20, from: '-40d' },
      { service: 'Storage', resourceGroup: 'rg-data', amount: 500, from: '-40d' },
    ];
    const sb = await start(w);
    const p = policy('rules:\n  idle-endpoint: { enabled: false }\n');
    const report = await scan(sb, p, false);
    const shares = report.findings.filter((f) => f.ruleId === 'untagged-spend' && !f.resource);
    // prod: every Azure Machine Learning dollar carries team=fraud (Storage is not AI spend): not flagged.
    expect(shares.map((f) => [f.scopeId, f.title])).toEqual([[B, '66.7% of AI spend in dev this month has no team tag ($540.00 of $810.00)']]);
    const first = calls(sb, 'costmanagement.Query_Usage');
    expect(first).toBe(2);
    // The same day again: the store answers.
    await scan(sb, p, false);
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(first);
  });

  it('a failing tag query is its own collection failure and the share is unknown; the other subscription is judged', async () => {
    const sb = await start(world({}, [{ service: 'costmanagement', operation: 'Query_Usage', kind: 'access-denied', subscription: B }]));
    const report = await scan(sb, policy('rules:\n  idle-endpoint: { enabled: false }\n'));
    expect(report.findings.filter((f) => f.ruleId === 'collection-failed').map((f) => f.title)).toEqual([expect.stringContaining('costmanagement:Query_Usage (SERVICE,TAG:team)')]);
    expect(report.findings.find((f) => f.id === `untagged-spend:azure:${B}`)?.state).toBe('unknown');
    expect(report.findings.find((f) => f.id === `untagged-spend:azure:${A}`)).toBeUndefined();
  });
});

describe('Azure commitment coverage: reservation recommendations for the VM sizes Azure ML compute uses', () => {
  const recs = [
    // The prod compute instance's size, around the clock: $0.293 × 720 h on demand.
    { vmSize: 'Standard_DS3_v2', location: 'eastus', recommendedQuantity: 1, costWithNoReservedInstances: 210.96, totalCostWithReservedInstances: 126.58 },
    // Saves $20.28/month: under minMonthlySaving.
    { vmSize: 'Standard_NC6s_v3', location: 'eastus', recommendedQuantity: 1, costWithNoReservedInstances: 100, totalCostWithReservedInstances: 80 },
    // No Azure ML compute runs this size: not ML compute's.
    { vmSize: 'Standard_E4s_v3', location: 'eastus', recommendedQuantity: 4, costWithNoReservedInstances: 700, totalCostWithReservedInstances: 420 },
    { vmSize: 'Standard_DS3_v2', location: 'eastus', term: 'P3Y', recommendedQuantity: 1, costWithNoReservedInstances: 210.96, totalCostWithReservedInstances: 90 },
  ];
  const withRecs = () => {
    const w = world();
    (w.azure!.subscriptions as (ReturnType<typeof sub> & { reservationRecommendations?: unknown })[])[0]!.reservationRecommendations = recs;
    return w;
  };
  const on = 'rules:\n  idle-endpoint: { enabled: false }\n';

  it('reports Azure’s recommendation with the arithmetic, once per subscription and day; not small savings, other sizes or other terms', async () => {
    const sb = await start(withRecs());
    const report = await scan(sb, policy(on), false);
    const found = report.findings.filter((f) => f.ruleId === 'commitment-coverage');
    expect(found.map((f) => [f.scopeId, f.title])).toEqual([[A, `Standard_DS3_v2 VMs (Azure Machine Learning compute) in ${A}: the cloud recommends reserving 1 × Standard_DS3_v2 in eastus for 1 year, saving ~$85.55/month`]]);
    const ev = found[0]!.evidence;
    expect(ev).toContain('hourly on-demand Standard_DS3_v2 VMs (Azure Machine Learning compute) spend over the last 30 days: average $0.293/h');
    expect(ev).toContain("estimated saving (the cloud's estimate, not costwatch's): $84.38 over the 30 days; $84.38 ÷ 720 h × 730 h = $85.55/month (40% of the on-demand cost)");
    expect(ev.some((e) => e.startsWith('break-even: ') && e.includes('$126.58 ÷ $210.96 = 60%'))).toBe(true);
    expect(found[0]!.notifyOnly).toMatch(/advice/);
    expect(found[0]!.resource).toBeUndefined();
    expect(calls(sb, 'consumption.ReservationRecommendations_List')).toBe(2);
    await scan(sb, policy(on), false);
    expect(calls(sb, 'consumption.ReservationRecommendations_List')).toBe(2);
    // Three years: Azure's 3-year recommendation for the same size.
    const three = await scan(sb, policy(`${on}  commitment-coverage: { term: 3 }\n`), false);
    expect(three.findings.filter((f) => f.ruleId === 'commitment-coverage').map((f) => f.title)).toEqual([expect.stringContaining('for 3 years, saving ~$122.64/month')]);
  });

  it('reports it from a scan that runs commitment-coverage alone (a weekly schedule): the Azure ML compute is listed for it', async () => {
    const sb = await start(withRecs());
    const p = policy(on);
    const providers = buildProviders(p, sandboxProviderEndpoints(sb), FOREIGN_PROVIDERS);
    const report = await runScan(scanOptionsFor(p, { now: () => sb.clock.now(), rules: ['commitment-coverage'] }), { providers, store: store!, clock: sb.clock, prices: priceBook(p) });
    expect(report.findings.filter((f) => f.ruleId === 'commitment-coverage').map((f) => f.title)).toEqual([expect.stringContaining('reserving 1 × Standard_DS3_v2 in eastus for 1 year')]);
    // Listed, not read: no metrics for the compute.
    expect(calls(sb, 'monitor.Metrics_Batch')).toBe(0);
    expect(calls(sb, 'machinelearning.Compute_List')).toBeGreaterThan(0);
  });

  it('a subscription without recommendations gets no finding; a failing read is its own collection failure and the costs stand', async () => {
    const sb = await start(withRecs());
    sb.faults.add({ service: 'consumption', operation: 'ReservationRecommendations_List', kind: 'access-denied', subscription: A });
    const report = await scan(sb, policy(on));
    expect(report.findings.filter((f) => f.ruleId === 'commitment-coverage')).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'collection-failed').map((f) => f.title)).toEqual([expect.stringContaining('consumption:ReservationRecommendations_List')]);
    // The month by team tag was still read for both subscriptions.
    expect(calls(sb, 'costmanagement.Query_Usage')).toBe(2);
  });
});

