import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BudgetsClient, DescribeBudgetsCommand } from '@aws-sdk/client-budgets';
import { CostExplorerClient, GetCostAndUsageCommand } from '@aws-sdk/client-cost-explorer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { money } from '../../shared/domain/money.js';
import { budgetFromApi } from '../../shared/providers/aws/budgets.js';
import { costRecordsFromResults, readForecast } from '../../shared/providers/aws/cost-explorer.js';
import { asRecording, placeboToWire } from '../../shared/sandbox/aws/placebo.js';

/*
 * Recorded and documented responses (test/fixtures/aws-cost/SOURCES.md) served over HTTP to the
 * real SDK clients, then read by costwatch's adapters. The files are not in the wire format, so
 * the replay server sends what the service would have: the SDK mocks without the client-side
 * `$metadata`, and the placebo recording through shared/sandbox/aws/placebo.ts (wrapper removed,
 * `{"__class__": "datetime", ...}` as epoch seconds, `ResponseMetadata` dropped).
 */

const fixture = (name: string) => readFile(new URL(`../fixtures/aws-cost/${name}`, import.meta.url), 'utf8').then((t) => JSON.parse(t) as unknown);

/** An SDK-shaped response as it travels: without the `$metadata` the client adds. */
function withoutMetadata(doc: unknown): unknown {
  const { $metadata: _, ...rest } = doc as Record<string, unknown>;
  return rest;
}

let server: Server;
let endpoint: string;
let next: unknown = {};
const targets: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    targets.push(String(req.headers['x-amz-target']));
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(next);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const config = () => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' }, maxAttempts: 1 });

describe('recorded AWS cost responses through the real SDK clients and the adapters', () => {
  it('reads the AWS CLI GetCostAndUsage example: SERVICE × TAG groups, "Environment$" as untagged', async () => {
    next = withoutMetadata(await fixture('ce_GetCostAndUsage_output__aws-cli-example.json'));
    const out = await new CostExplorerClient(config()).send(
      new GetCostAndUsageCommand({ TimePeriod: { Start: '2017-09-01', End: '2017-10-01' }, Granularity: 'MONTHLY', Metrics: ['BlendedCost', 'UnblendedCost', 'UsageQuantity'], GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }, { Type: 'TAG', Key: 'Environment' }] }),
    );

    const records = costRecordsFromResults(out.ResultsByTime ?? [], { breakdown: 'SERVICE,TAG:Environment' });

    expect(targets.at(-1)).toBe('AWSInsightsIndexService.GetCostAndUsage');
    expect(records).toEqual([
      expect.objectContaining({ ServiceName: 'Amazon Simple Storage Service', Tags: {}, BilledCost: 40.3543773134, EffectiveCost: 40.3543773134, BillingCurrency: 'USD', x_Breakdown: 'SERVICE,TAG:Environment' }),
      expect.objectContaining({ ServiceName: 'Amazon Simple Storage Service', Tags: { Environment: 'Dev' }, BilledCost: 0.2682364644 }),
    ]);
    expect(records[0]?.ChargePeriodStart).toEqual(new Date('2017-09-01T00:00:00Z'));
    expect(records[0]?.ChargePeriodEnd).toEqual(new Date('2017-10-01T00:00:00Z'));
  });

  it('reads an ungrouped answer (SDK mock) from Total, taking AmortizedCost when it is the only cost metric', async () => {
    next = withoutMetadata(await fixture('ce_GetCostAndUsage_mock_response__sasa9477.json'));
    const out = await new CostExplorerClient(config()).send(new GetCostAndUsageCommand({ TimePeriod: { Start: '2024-05-01', End: '2024-05-14' }, Granularity: 'MONTHLY', Metrics: ['AmortizedCost'] }));

    const records = costRecordsFromResults(out.ResultsByTime ?? [], { accountId: '123456789012' });

    expect(records).toEqual([
      {
        ProviderName: 'AWS',
        BillingCurrency: 'USD',
        BilledCost: 0.6459625819,
        EffectiveCost: 0.6459625819,
        ChargePeriodStart: new Date('2024-05-01T00:00:00Z'),
        ChargePeriodEnd: new Date('2024-05-14T00:00:00Z'),
        SubAccountId: '123456789012',
        Tags: {},
      },
    ]);
  });

  it('reads the GetCostForecast mock as the forecast of the rest of the month', async () => {
    next = withoutMetadata(await fixture('ce_GetCostForecast_mock_response__sasa9477.json'));

    const f = await readForecast(new CostExplorerClient(config()), { accountId: '123456789012', start: '2024-05-14', end: '2024-06-01', filter: { Dimensions: { Key: 'LINKED_ACCOUNT', Values: ['123456789012'] } }, budgetName: 'ml' });

    expect(targets.at(-1)).toBe('AWSInsightsIndexService.GetCostForecast');
    expect(f).toEqual({
      cloud: 'aws',
      scopeId: '123456789012',
      budgetName: 'ml',
      period: { start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-06-01T00:00:00Z') },
      amount: money(1.11254067343557),
      source: 'AWS Cost Explorer GetCostForecast',
    });
  });

  it("reads Cloud Custodian's DescribeBudgets recording: limit, actual and forecast spend, service filter, dates", async () => {
    const file = 'placebo_test_budget_query__budgets.DescribeBudgets_1.json';
    next = placeboToWire(asRecording(await fixture(file), file), file);
    const out = await new BudgetsClient(config()).send(new DescribeBudgetsCommand({ AccountId: '123456789012' }));

    expect(targets.at(-1)).toBe('AWSBudgetServiceGateway.DescribeBudgets');
    expect(out.Budgets?.[0]?.TimePeriod?.Start).toEqual(new Date('2017-06-30T17:00:00Z'));
    expect(out.Budgets?.[0]?.LastUpdatedTime).toEqual(new Date('2023-08-08T05:56:25.388Z'));
    expect(budgetFromApi(out.Budgets![0]!, '123456789012')).toEqual({
      name: 'budget-ec2-monthly',
      limit: money(1200),
      period: 'monthly',
      scope: { clouds: ['aws'], scopeIds: ['123456789012'], services: ['Amazon Elastic Compute Cloud - Compute'] },
      actualThresholds: [100],
      forecastThresholds: [100],
      actual: money(55.096),
      forecast: money(242.421),
    });
  });

  it('names the budgets it cannot judge instead of guessing', () => {
    expect(budgetFromApi({ BudgetName: 'hours', BudgetType: 'USAGE', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: '10', Unit: 'Hrs' } }, '1')).toBe('hours: a USAGE budget, not a cost budget');
    expect(budgetFromApi({ BudgetName: 'day', BudgetType: 'COST', TimeUnit: 'DAILY', BudgetLimit: { Amount: '10', Unit: 'USD' } }, '1')).toBe('day: period DAILY is not monthly, quarterly or annual');
  });
});
