import { describe, expect, it } from 'vitest';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { budgetFromAzure } from '../../shared/providers/azure/budgets.js';
import { monthChunks, vmKeys } from '../../shared/providers/azure/billing.js';
import { costManagementThrottlingPolicy, CostManagementThrottledError, costRecordsFromQuery, forecastFilter, forecastFromResult, queryDefinition } from '../../shared/providers/azure/cost-management.js';
import { retailFilter, vmPriceFromItems } from '../../shared/providers/azure/retail-prices.js';
import { awsFederatedAzureCredential, stsWebIdentityAssertion } from '../../shared/providers/azure/clients.js';
import { ClientAssertionCredential } from '@azure/identity';

const SUB = '00000000-0000-0000-0000-000000000000';

describe('costRecordsFromQuery', () => {
  // In the shape of the QueryResult examples of Microsoft's Cost Management REST reference
  // (PreTaxCost, ResourceGroup, UsageDate as yyyymmdd, Currency); values of our own.
  const result = {
    columns: [
      { name: 'PreTaxCost', type: 'Number' },
      { name: 'ResourceGroup', type: 'String' },
      { name: 'UsageDate', type: 'Number' },
      { name: 'ServiceName', type: 'String' },
      { name: 'Currency', type: 'String' },
    ],
    rows: [
      [2.10333307059661, 'ScreenSharingTest-peer', 20180331, 'Virtual Machines', 'USD'],
      [218.68795741935486, 'Ict_StratAndPlan_GoldSprova_Prod_0', 20180331, 'Storage', 'USD'],
    ],
  };

  it('reads cost, day, service, resource group and currency by column name', () => {
    const rs = costRecordsFromQuery(result, { subscriptionId: SUB, breakdown: 'SERVICE' });
    expect(rs[0]).toEqual({
      ProviderName: 'Microsoft',
      BillingCurrency: 'USD',
      BilledCost: 2.10333307059661,
      EffectiveCost: 2.10333307059661,
      ChargePeriodStart: new Date('2018-03-31T00:00:00Z'),
      ChargePeriodEnd: new Date('2018-04-01T00:00:00Z'),
      ServiceName: 'Virtual Machines',
      SubAccountId: SUB,
      Tags: {},
      x_ResourceGroupName: 'screensharingtest-peer',
      x_Breakdown: 'SERVICE',
    });
  });

  it('turns TagKey/TagValue into the tag of the breakdown, and an empty pair into no tag', () => {
    const rs = costRecordsFromQuery(
      { columns: [{ name: 'Cost' }, { name: 'UsageDate' }, { name: 'ServiceName' }, { name: 'TagKey' }, { name: 'TagValue' }, { name: 'Currency' }], rows: [[5, 20260101, 'Storage', 'Team', 'fraud', 'EUR'], [1, 20260101, 'Storage', '', '', 'EUR']] },
      { subscriptionId: SUB, breakdown: 'SERVICE,TAG:team' },
    );
    expect(rs.map((r) => [r.Tags, r.BillingCurrency])).toEqual([[{ team: 'fraud' }, 'EUR'], [{}, 'EUR']]);
  });

  it('refuses a table without cost or date, an amount that is not a number and a bad currency', () => {
    expect(() => costRecordsFromQuery({ columns: [{ name: 'Currency' }], rows: [['USD']] }, { subscriptionId: SUB })).toThrow(/without a cost or UsageDate/);
    expect(() => costRecordsFromQuery({ columns: [{ name: 'Cost' }, { name: 'UsageDate' }], rows: [['x', 20260101]] }, { subscriptionId: SUB })).toThrow(/not a number/);
    expect(() => costRecordsFromQuery({ columns: [{ name: 'Cost' }, { name: 'UsageDate' }], rows: [[1, 'yesterday']] }, { subscriptionId: SUB })).toThrow(/UsageDate/);
    expect(() => costRecordsFromQuery({ columns: [{ name: 'Cost' }, { name: 'UsageDate' }, { name: 'Currency' }], rows: [[1, 20260101, '$']] }, { subscriptionId: SUB })).toThrow(/currency/);
  });
});

describe('queryDefinition and forecastFilter', () => {
  it('asks daily actual cost for [start, end) grouped by service and resource group, or service and a tag key', () => {
    const q = queryDefinition({ subscriptionId: SUB, start: '2026-11-01', end: '2026-11-28', breakdown: 'SERVICE,TAG:team' });
    expect(q).toMatchObject({ type: 'ActualCost', timeframe: 'Custom', dataset: { granularity: 'Daily', grouping: [{ type: 'Dimension', name: 'ServiceName' }, { type: 'TagKey', name: 'team' }] } });
    expect(q.timePeriod?.to.toISOString()).toBe('2026-11-27T23:59:59.000Z');
    expect(queryDefinition({ subscriptionId: SUB, start: '2026-11-01', end: '2026-11-28', breakdown: 'SERVICE' }).dataset.grouping?.[1]).toEqual({ type: 'Dimension', name: 'ResourceGroupName' });
  });

  it('filters a forecast by services and tags', () => {
    expect(forecastFilter({})).toBeUndefined();
    expect(forecastFilter({ services: ['Storage'], tags: { team: 'a' } })).toEqual({ and: [{ dimensions: { name: 'ServiceName', operator: 'In', values: ['Storage'] } }, { tags: { name: 'team', operator: 'In', values: ['a'] } }] });
  });
});

describe('forecastFromResult', () => {
  it('sums the Forecast rows only', () => {
    const f = forecastFromResult(
      { columns: [{ name: 'Cost' }, { name: 'UsageDate' }, { name: 'CostStatus' }, { name: 'Currency' }], rows: [[10, 20261127, 'Actual', 'USD'], [1.005, 20261128, 'Forecast', 'USD'], [2, 20261129, 'Forecast', 'USD']] },
      { subscriptionId: SUB, start: '2026-11-28', end: '2026-12-01' },
    );
    expect(f?.amount).toEqual({ amount: 3.01, currency: 'USD' });
  });

  it('has no forecast without rows, and refuses several currencies', () => {
    expect(forecastFromResult({ columns: [{ name: 'Cost' }], rows: [] }, { subscriptionId: SUB, start: '2026-11-28', end: '2026-12-01' })).toBeUndefined();
    expect(() => forecastFromResult({ columns: [{ name: 'Cost' }, { name: 'Currency' }], rows: [[1, 'USD'], [1, 'EUR']] }, { subscriptionId: SUB, start: '2026-11-28', end: '2026-12-01' })).toThrow(/several currencies/);
  });
});

describe('budgetFromAzure', () => {
  const base = { name: 'b', category: 'Cost', amount: 100, timeGrain: 'BillingMonth', currentSpend: { amount: 120, unit: 'USD' }, forecastSpend: { amount: 150, unit: 'USD' } };

  it('reads amount, grain, spend and a single-value tag filter', () => {
    expect(budgetFromAzure({ ...base, filter: { and: [{ tags: { name: 'team', operator: 'In', values: ['x'] } }, { dimensions: { name: 'MeterCategory', operator: 'In', values: ['Virtual Machines'] } }] } }, SUB)).toEqual({
      name: 'b',
      limit: { amount: 100, currency: 'USD' },
      period: 'monthly',
      scope: { clouds: ['azure'], scopeIds: [SUB], services: ['Virtual Machines'], tags: { team: 'x' } },
      actualThresholds: [100],
      forecastThresholds: [100],
      actual: { amount: 120, currency: 'USD' },
      forecast: { amount: 150, currency: 'USD' },
    });
  });

  it('says why a budget is skipped', () => {
    expect(budgetFromAzure({ ...base, category: 'Usage' }, SUB)).toBe('b: a Usage budget, not a cost budget');
    expect(budgetFromAzure({ ...base, timeGrain: 'Weekly' }, SUB)).toMatch(/time grain Weekly/);
    expect(budgetFromAzure({ ...base, currentSpend: undefined }, SUB)).toMatch(/no amount or current spend/);
    expect(budgetFromAzure({ ...base, forecastSpend: { amount: 1, unit: 'EUR' } }, SUB)).toMatch(/forecast in EUR/);
  });
});

describe('vmPriceFromItems', () => {
  const key = { vmSize: 'Standard_NC6s_v3', region: 'eastus' };
  const item = { armSkuName: 'Standard_NC6s_v3', armRegionName: 'eastus', currencyCode: 'USD', unitOfMeasure: '1 Hour', type: 'Consumption', productName: 'Virtual Machines NCSv3 Series', skuName: 'NC6s v3', meterName: 'NC6s v3' };

  it('picks the Linux pay-as-you-go hour, never Windows, Spot, Low Priority or reservations; the newest when several', () => {
    const items = [
      { ...item, retailPrice: 3.672, productName: 'Virtual Machines NCSv3 Series Windows' },
      { ...item, retailPrice: 0.6, skuName: 'NC6s v3 Spot' },
      { ...item, retailPrice: 0.5, skuName: 'NC6s v3 Low Priority', meterName: 'NC6s v3 Low Priority' },
      { ...item, retailPrice: 9000, type: 'Reservation', unitOfMeasure: '1 Hour' },
      { ...item, retailPrice: 3.0, effectiveStartDate: '2020-01-01T00:00:00Z' },
      { ...item, retailPrice: 3.06, effectiveStartDate: '2024-01-01T00:00:00Z', skuId: 'X/1' },
    ];
    expect(vmPriceFromItems(items, key)).toEqual({ price: { amount: 3.06, currency: 'USD' }, skuId: 'X/1', effectiveStartDate: '2024-01-01T00:00:00Z', productName: 'Virtual Machines NCSv3 Series' });
    expect(vmPriceFromItems([{ ...item, retailPrice: 3, armRegionName: 'westeurope' }], key)).toBeUndefined();
  });

  it('quotes filter values the OData way', () => {
    expect(retailFilter({ vmSize: "Standard_X'1", region: 'eastus' })).toBe("serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq 'eastus' and armSkuName eq 'Standard_X''1'");
  });
});

describe('costManagementThrottlingPolicy', () => {
  const respond = (status: number, headers: Record<string, string>) => (): Promise<PipelineResponse> => Promise.resolve({ status, headers: createHttpHeaders(headers), request: createPipelineRequest({ url: 'https://x' }) });

  it('writes the longest Cost Management wait as retry-after-ms for the SDK retry', async () => {
    const res = await costManagementThrottlingPolicy(60_000).sendRequest(
      createPipelineRequest({ url: 'https://x' }),
      respond(429, { 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '3', 'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after': '7', 'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after': '0' }),
    );
    expect(res.headers.get('retry-after-ms')).toBe('7000');
  });

  it('gives up on a wait longer than allowed, and leaves other answers alone', async () => {
    await expect(costManagementThrottlingPolicy(5_000).sendRequest(createPipelineRequest({ url: 'https://x' }), respond(429, { 'x-ms-ratelimit-microsoft.consumption-retry-after': '60' }))).rejects.toBeInstanceOf(CostManagementThrottledError);
    const ok = await costManagementThrottlingPolicy(5_000).sendRequest(createPipelineRequest({ url: 'https://x' }), respond(200, { 'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after': '60' }));
    expect(ok.headers.get('retry-after-ms')).toBeUndefined();
    const bare = await costManagementThrottlingPolicy(5_000).sendRequest(createPipelineRequest({ url: 'https://x' }), respond(429, {}));
    expect(bare.headers.get('retry-after-ms')).toBeUndefined();
  });
});

describe('billing helpers', () => {
  it('splits a period into calendar months', () => {
    expect(monthChunks(Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-11-28T00:00:00Z')).map((m) => [m.startDay, m.endDay])).toEqual([
      ['2026-10-01', '2026-11-01'],
      ['2026-11-01', '2026-11-28'],
    ]);
    expect(monthChunks(5, 5)).toEqual([]);
  });

  it('prices the provisioned VM sizes of Azure resources only', () => {
    const r = { cloud: 'azure', region: 'eastus', components: [{ name: 'a', instanceType: 'Standard_DS3_v2', instanceCount: 1, capacity: 'provisioned' }] };
    expect(vmKeys([r, { ...r, cloud: 'aws' }] as never)).toEqual([{ vmSize: 'Standard_DS3_v2', region: 'eastus' }]);
  });
});

describe('workload identity federation from AWS', () => {
  it('asks AWS STS GetWebIdentityToken for a short-lived RS256 token with the Entra audience, afresh each time', async () => {
    const asked: unknown[] = [];
    let n = 0;
    const assertion = stsWebIdentityAssertion((input) => {
      asked.push(input);
      return Promise.resolve({ WebIdentityToken: `jwt-${++n}` });
    });
    expect(await assertion()).toBe('jwt-1');
    expect(await assertion()).toBe('jwt-2');
    expect(asked[0]).toEqual({ Audience: ['api://AzureADTokenExchange'], SigningAlgorithm: 'RS256', DurationSeconds: 300 });
  });

  it('fails clearly when STS gives no token, and builds a client-assertion credential', async () => {
    await expect(stsWebIdentityAssertion(() => Promise.resolve({}), 'api://custom')()).rejects.toThrow(/without a WebIdentityToken/);
    const cred = awsFederatedAzureCredential({ tenantId: SUB, clientId: SUB }, () => Promise.resolve({ WebIdentityToken: 'x' }));
    expect(cred).toBeInstanceOf(ClientAssertionCredential);
  });
});

describe('Azure reservation recommendations (Consumption ReservationRecommendations_List)', () => {
  // Shapes of Microsoft's REST reference examples (api-version 2021-10-01+): `legacy` for pay-as-you-go/EA, `modern` for MCA.
  const legacy = {
    id: '/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Consumption/reservationRecommendations/00000000-0000-0000-0000-000000000001',
    location: 'westus',
    sku: 'Standard_DS1_v2',
    kind: 'legacy',
    properties: { lookBackPeriod: 'Last7Days', term: 'P1Y', costWithNoReservedInstances: 12.0785105, recommendedQuantity: 1, totalCostWithReservedInstances: 11.4899644807748, netSavings: 0.588546019225182, firstUsageDate: '2019-07-07T00:00:00-07:00', scope: 'Single', resourceType: 'virtualmachines' },
  };
  const modern = {
    id: '/subscriptions/x/providers/Microsoft.Consumption/reservationRecommendations/y',
    kind: 'modern',
    properties: { location: 'westus', skuName: 'Standard_DS1_v2', lookBackPeriod: 30, term: 'P3Y', recommendedQuantity: 2, costWithNoReservedInstances: { currency: 'EUR', value: 100 }, totalCostWithReservedInstances: { currency: 'EUR', value: 70 }, netSavings: { currency: 'EUR', value: 30 }, scope: 'Single' },
  };

  it('reads both kinds, keeping the currency and the look-back', async () => {
    const { recommendationOf } = await import('../../shared/providers/azure/reservations.js');
    expect(recommendationOf(legacy, 30, 'USD')).toMatchObject({ vmSize: 'Standard_DS1_v2', location: 'westus', term: 'P1Y', lookbackDays: 7, quantity: 1, currency: 'USD', costWithout: 12.0785105, netSavings: 0.588546019225182 });
    expect(recommendationOf(modern, 7, 'USD')).toMatchObject({ vmSize: 'Standard_DS1_v2', location: 'westus', term: 'P3Y', lookbackDays: 30, quantity: 2, currency: 'EUR', costWith: 70 });
    expect(() => recommendationOf({ ...legacy, properties: { ...legacy.properties, netSavings: 'n/a' } }, 30, 'USD')).toThrow(/without a numeric netSavings/);
  });

  it('keeps only the term asked and the sizes Azure ML compute uses', async () => {
    const { recommendationOf, reservationCoverage } = await import('../../shared/providers/azure/reservations.js');
    const recs = [recommendationOf(legacy, 7, 'USD'), recommendationOf(modern, 7, 'USD')];
    const opts = { subscriptionId: 's', termYears: 1 as const, today: new Date('2025-06-18T00:00:00Z') };
    expect(reservationCoverage(recs, { ...opts, sizes: [{ vmSize: 'Standard_DS1_v2', region: 'westus' }] }).map((c) => c.recommendation?.estimatedMonthlySavings)).toEqual([{ amount: 2.56, currency: 'USD' }]);
    expect(reservationCoverage(recs, { ...opts, sizes: [{ vmSize: 'Standard_DS1_v2', region: 'eastus' }] })).toEqual([]);
    expect(reservationCoverage(recs, { ...opts, termYears: 3, sizes: [{ vmSize: 'standard_ds1_v2', region: 'westus' }] }).map((c) => c.recommendation?.reservation?.quantity)).toEqual([2]);
  });
});
