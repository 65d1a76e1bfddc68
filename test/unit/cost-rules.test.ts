import { describe, expect, it } from 'vitest';
import type { Budget } from '../../shared/domain/budget.js';
import type { CostRecord } from '../../shared/domain/cost.js';
import type { CostAnomaly, CostForecast } from '../../shared/domain/cost-signals.js';
import { money } from '../../shared/domain/money.js';
import type { Scope } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { budgetBreach } from '../../shared/rules/budget-breach.js';
import { costAnomaly } from '../../shared/rules/cost-anomaly.js';
import { forecastBreach } from '../../shared/rules/forecast-breach.js';
import type { CostRuleInput, CostScope } from '../../shared/rules/types.js';

const NOW = new Date('2025-06-18T12:00:00Z');
const PROD: Scope = { cloud: 'aws', id: '111111111111', name: 'prod' };
const DEV: Scope = { cloud: 'aws', id: '222222222222', name: 'dev' };
const DAY = 86_400_000;

/** Cost Explorer-shaped daily rows for June 1–17: one row per day, per breakdown. */
function daily(account: string, service: string, perDay: number, tags: Record<string, string> = {}, currency = 'USD'): CostRecord[] {
  const out: CostRecord[] = [];
  for (let d = 0; d < 17; d++) {
    const start = new Date(Date.UTC(2025, 5, 1) + d * DAY);
    const base = { ProviderName: 'AWS', BillingCurrency: currency, BilledCost: perDay, EffectiveCost: perDay, ChargePeriodStart: start, ChargePeriodEnd: new Date(start.getTime() + DAY), ServiceName: service, SubAccountId: account };
    out.push({ ...base, Tags: {}, x_Breakdown: 'SERVICE' });
    for (const [k, v] of Object.entries(tags)) out.push({ ...base, Tags: { [k]: v }, x_Breakdown: `SERVICE,TAG:${k}` });
  }
  return out;
}

function budget(over: Partial<Budget> & { amount?: number } = {}): Budget {
  const { amount = 10_000, ...rest } = over;
  return { name: 'ml', limit: money(amount), period: 'monthly', scope: {}, actualThresholds: [50, 80, 100], forecastThresholds: [100], ...rest };
}

function input<S>(over: Partial<CostRuleInput<S>> & { settings?: S } = {}): CostRuleInput<S> {
  const scopes: CostScope[] = [{ scope: PROD, costProblems: [] }];
  return { costs: [], cloudBudgets: [], budgets: [], forecasts: [], anomalies: [], scopes, settings: {} as S, now: NOW, prices: new PriceBook(), ...over };
}

function forecast(scopeId: string, budgetName: string, amount: number, currency = 'USD'): CostForecast {
  return { cloud: 'aws', scopeId, budgetName, period: { start: new Date('2025-06-18T00:00:00Z'), end: new Date('2025-07-01T00:00:00Z') }, amount: money(amount, currency), source: 'test' };
}

describe('budget-breach', () => {
  // 17 days × $500 = $8,500 of $10,000: 85%.
  const services = [
    ['Amazon SageMaker', 300, 'fraud'],
    ['Amazon EC2', 80, 'search'],
    ['Amazon S3', 50, 'fraud'],
    ['AmazonCloudWatch', 30, 'search'],
    ['AWS Glue', 20, 'data'],
    ['Amazon Athena', 15, 'data'],
    ['AWS Lambda', 5, ''],
  ] as const;
  const costs = services.flatMap(([s, a, team]) => daily(PROD.id, s, a, { team }));

  it('reports one finding at the highest threshold crossed, naming the top five services and tags', () => {
    const findings = budgetBreach.evaluate(input({ costs, budgets: [budget()] }));

    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.state).toBe('violation');
    expect(f.id).toBe('budget-breach:config:ml:2025-06-01:80%');
    expect(f.title).toBe('budget ml: $8,500.00 of $10,000.00 spent (85%), past its 80% threshold');
    expect(f.budget).toMatchObject({ kind: 'actual', source: 'config', thresholdPercent: 80, actual: money(8500), limit: money(10_000) });
    const bySvc = f.budget!.drivers.filter((d) => d.by === 'service');
    expect(bySvc.map((d) => [d.key, d.amount.amount])).toEqual([
      ['Amazon SageMaker', 5100],
      ['Amazon EC2', 1360],
      ['Amazon S3', 850],
      ['AmazonCloudWatch', 510],
      ['AWS Glue', 340],
    ]);
    expect(f.budget!.drivers.filter((d) => d.by === 'tag').map((d) => [d.key, d.amount.amount])).toEqual([
      ['team=fraud', 5950],
      ['team=search', 1870],
      ['team=data', 595],
      ['team=(untagged)', 85],
    ]);
    expect(f.evidence).toContain('period 2025-06-01 – 2025-06-30 (monthly); costs through 2025-06-17');
  });

  it('says nothing below the lowest threshold', () => {
    expect(budgetBreach.evaluate(input({ costs, budgets: [budget({ amount: 20_000 })] }))).toEqual([]);
  });

  it('counts a tag-scoped budget from the tag breakdown only, so no spend is counted twice', () => {
    const findings = budgetBreach.evaluate(input({ costs, budgets: [budget({ amount: 6000, scope: { tags: { team: 'fraud' } } })] }));

    // (300 + 50) × 17 = 5,950 of 6,000: 99%, past 80 but not 100.
    expect(findings.map((f) => [f.budget?.actual?.amount, f.budget?.thresholdPercent])).toEqual([[5950, 80]]);
  });

  it('never adds amounts of different currencies: EUR spend is named and left out of a USD budget', () => {
    const mixed = [...costs, ...daily(PROD.id, 'Amazon Bedrock', 1000, {}, 'EUR')];

    const [f] = budgetBreach.evaluate(input({ costs: mixed, budgets: [budget()] }));

    expect(f?.budget?.actual).toEqual(money(8500));
    expect(f?.evidence).toContain('17,000.00 EUR billed in EUR is not counted: costwatch never converts currencies');
  });

  it('reports a budget whose costs are all in another currency as unknown instead of comparing', () => {
    const [f] = budgetBreach.evaluate(input({ costs: daily(PROD.id, 'Amazon SageMaker', 1000, {}, 'EUR'), budgets: [budget()] }));

    expect(f?.state).toBe('unknown');
    expect(f?.title).toMatch(/billed in EUR but the budget is in USD; costwatch never converts currencies/);
  });

  it('reports a budget scoped by two tags as unknown: Cost Explorer groups by one tag at a time', () => {
    const [f] = budgetBreach.evaluate(input({ costs, budgets: [budget({ scope: { tags: { team: 'fraud', env: 'prod' } } })] }));

    expect(f?.state).toBe('unknown');
    expect(f?.id).toBe('budget-breach:config:ml:2025-06-01:unknown');
    expect(f?.title).toMatch(/scope the budget by one tag/);
  });

  it('sums a budget across accounts, files it under "*", and notes an account whose costs could not be read', () => {
    const scopes: CostScope[] = [
      { scope: PROD, costProblems: [] },
      { scope: DEV, costProblems: ['ce:GetCostAndUsage (SERVICE): AccessDeniedException'] },
      { scope: { cloud: 'aws', id: '333333333333' }, costProblems: [] },
    ];
    const two = [...costs, ...daily('333333333333', 'Amazon SageMaker', 100)];

    const [f] = budgetBreach.evaluate(input({ costs: two, scopes, budgets: [budget({ amount: 12_000 })] }));

    // 8,500 + 1,700 = 10,200 of 12,000: 85%; dev's spend is missing, so it can only be more.
    expect(f?.scopeId).toBe('*');
    expect(f?.budget?.actual).toEqual(money(10_200));
    expect(f?.evidence).toEqual(expect.arrayContaining(['aws prod (111111111111): $8,500.00', 'aws 333333333333: $1,700.00']));
    expect(f?.evidence.some((e) => e.startsWith('costs of aws dev (222222222222) could not be read') && e.endsWith('the actual is a lower bound'))).toBe(true);
  });

  it('reports unknown, not zero, when none of the covered accounts could be read', () => {
    const [f] = budgetBreach.evaluate(input({ scopes: [{ scope: PROD, costProblems: ['collect: timeout'] }], budgets: [budget()] }));

    expect(f?.state).toBe('unknown');
    expect(f?.title).toMatch(/no costs could be read/);
  });

  it('judges an AWS budget against its own limit, with its account as scope', () => {
    const native: Budget = { ...budget({ name: 's3', amount: 600, scope: { clouds: ['aws'], scopeIds: [PROD.id], services: ['Amazon S3'] } }), actualThresholds: [100], forecastThresholds: [100], actual: money(756) };

    const findings = budgetBreach.evaluate(input({ costs, cloudBudgets: [native, { ...native, name: 'fine', actual: money(10) }] }));

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'budget-breach:aws-budgets:111111111111:s3:2025-06-01:100%', scopeId: PROD.id, budget: { source: 'aws-budgets', thresholdPercent: 100 } });
    expect(findings[0]?.title).toBe('AWS budget s3 (111111111111): actual $756.00 is over its $600.00 limit (126%)');
    expect(findings[0]?.budget?.drivers[0]).toEqual({ by: 'service', key: 'Amazon S3', amount: money(850) });
  });
});

describe('forecast-breach', () => {
  const costs = daily(PROD.id, 'Amazon SageMaker', 500);

  it('reports the forecast (spend so far + the rest) at the highest forecast threshold crossed', () => {
    // 8,500 spent + 6,500 forecast = 15,000 of 10,000: 150%.
    const findings = forecastBreach.evaluate(input({ costs, budgets: [budget({ forecastThresholds: [100, 120] })], forecasts: [forecast(PROD.id, 'ml', 6500)] }));

    expect(findings).toHaveLength(1);
    expect(findings[0]?.budget).toMatchObject({ kind: 'forecast', forecast: money(15_000), actual: money(8500), thresholdPercent: 120 });
    expect(findings[0]?.title).toBe('budget ml: forecast $15,000.00 by 2025-06-30 is 150% of $10,000.00, past its 120% threshold');
  });

  it('leaves a threshold the actual spend already crossed to budget-breach', () => {
    const findings = forecastBreach.evaluate(input({ costs, budgets: [budget({ amount: 8000, forecastThresholds: [100] })], forecasts: [forecast(PROD.id, 'ml', 6500)] }));

    expect(findings).toEqual([]);
  });

  it('notes an account without a forecast, and reports nothing without any', () => {
    const scopes: CostScope[] = [
      { scope: PROD, costProblems: [] },
      { scope: DEV, costProblems: [] },
    ];
    const [f] = forecastBreach.evaluate(input({ costs, scopes, budgets: [budget()], forecasts: [forecast(PROD.id, 'ml', 6500)] }));

    expect(f?.evidence).toContain('no forecast for aws dev (222222222222): the forecast counts only their spend so far');
    expect(forecastBreach.evaluate(input({ costs, budgets: [budget()] }))).toEqual([]);
  });

  it('never adds a forecast in another currency to the spend', () => {
    const [f] = forecastBreach.evaluate(input({ costs, budgets: [budget()], forecasts: [forecast(PROD.id, 'ml', 6500), forecast(DEV.id, 'ml', 9000, 'EUR')], scopes: [{ scope: PROD, costProblems: [] }, { scope: DEV, costProblems: [] }] }));

    expect(f?.budget?.forecast).toEqual(money(15_000));
    expect(f?.evidence).toContain('a forecast of 9,000.00 EUR in EUR is not counted');
  });
});

describe('cost-anomaly', () => {
  const anomaly = (id: string, impact: number, over: Partial<CostAnomaly> = {}): CostAnomaly => ({
    cloud: 'aws',
    scopeId: PROD.id,
    id,
    start: new Date('2025-06-15T00:00:00Z'),
    dimensionValue: 'Amazon SageMaker',
    monitorName: 'AWSServiceMonitor',
    totalImpact: money(impact),
    totalActual: money(impact + 100),
    totalExpected: money(100),
    impactPercent: impact,
    rootCauses: [],
    ...over,
  });

  it('reports anomalies from minImpact up, once each, with the root causes as drivers', () => {
    const big = anomaly('a-1', 720, {
      rootCauses: [
        { service: 'Amazon SageMaker', region: 'us-east-1', accountId: PROD.id, usageType: 'USE1-Host:ml.g5.12xlarge', contribution: money(600) },
        { service: 'Amazon S3', region: 'us-east-1', contribution: money(120) },
      ],
    });

    const findings = costAnomaly.evaluate(input({ settings: { minImpact: 100 }, anomalies: [big, anomaly('a-2', 99.99), { ...big }] }));

    expect(findings.map((f) => f.id)).toEqual(['cost-anomaly:aws:a-1']);
    expect(findings[0]?.title).toBe('cost anomaly in Amazon SageMaker: $720.00 above expected (+720%) since 2025-06-15');
    expect(findings[0]?.budget).toMatchObject({ kind: 'anomaly', source: 'aws-anomaly', budgetName: 'AWSServiceMonitor' });
    expect(findings[0]?.budget?.drivers).toEqual([
      { by: 'service', key: 'Amazon SageMaker', amount: money(600) },
      { by: 'service', key: 'Amazon S3', amount: money(120) },
    ]);
    expect(findings[0]?.evidence).toContain('root cause 1: Amazon SageMaker, us-east-1, account 111111111111, USE1-Host:ml.g5.12xlarge — $600.00');
  });

  it('credits a single root cause without a stated contribution with the whole impact', () => {
    const [f] = costAnomaly.evaluate(input({ settings: { minImpact: 0 }, anomalies: [anomaly('a-3', 300, { rootCauses: [{ service: 'AWS CloudTrail', region: 'eu-west-1' }] })] }));

    expect(f?.budget?.drivers).toEqual([{ by: 'service', key: 'AWS CloudTrail', amount: money(300) }]);
  });
});
