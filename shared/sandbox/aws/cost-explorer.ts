import type {
  Anomaly,
  Expression,
  GetAnomaliesResponse,
  GetCostAndUsageResponse,
  GetCostForecastResponse,
  GetSavingsPlansCoverageResponse,
  GetSavingsPlansPurchaseRecommendationResponse,
  Group,
  MetricValue,
  ResultByTime,
} from '@aws-sdk/client-cost-explorer';
import { z } from 'zod';
import type { CostRecord } from '../../domain/cost.js';
import { uuidOf, type BillingAccount } from './billing-state.js';
import { AwsApiError, decodeToken, encodeToken, parseInput } from './protocol.js';
import { ServiceError } from './service-error.js';
import { resolveTime } from '../time.js';

/*
 * Cost Explorer (JSON 1.1, `X-Amz-Target: AWSInsightsIndexService.<Op>`) over the world's cost
 * rows. Rows starting at or after the world clock are not billed yet: GetCostAndUsage never shows
 * them; GetCostForecast sums them when the account has any, and otherwise projects the average
 * day of the last seven.
 */

/** What a billing handler sees: the caller's account and the world clock. */
export interface BillingCallContext {
  readonly account: BillingAccount;
  readonly now: number;
}

const DAY_MS = 86_400_000;
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Member must satisfy regular expression pattern: (\\d{4}-\\d{2}-\\d{2})(T\\d{2}:\\d{2}:\\d{2}Z)?");
const dateInterval = z.object({ Start: day, End: day });

const dimensionValues = z.object({ Key: z.string().optional(), Values: z.array(z.string()).optional(), MatchOptions: z.array(z.string()).optional() });
const expression: z.ZodType<Expression> = z.lazy(() =>
  z.object({
    Or: z.array(expression).optional(),
    And: z.array(expression).optional(),
    Not: expression.optional(),
    Dimensions: dimensionValues.optional(),
    Tags: dimensionValues.optional(),
    CostCategories: dimensionValues.optional(),
  }),
) as z.ZodType<Expression>;

const getCostAndUsageInput = z.object({
  TimePeriod: dateInterval,
  Granularity: z.enum(['DAILY', 'MONTHLY', 'HOURLY']),
  Filter: expression.optional(),
  Metrics: z.array(z.string()).min(1),
  GroupBy: z.array(z.object({ Type: z.enum(['DIMENSION', 'TAG', 'COST_CATEGORY']), Key: z.string().min(1) })).max(2, 'Member must have length less than or equal to 2').optional(),
  NextPageToken: z.string().optional(),
  BillingViewArn: z.string().optional(),
});

const getCostForecastInput = z.object({
  TimePeriod: dateInterval,
  Metric: z.enum(['AMORTIZED_COST', 'BLENDED_COST', 'NET_AMORTIZED_COST', 'NET_UNBLENDED_COST', 'UNBLENDED_COST', 'USAGE_QUANTITY', 'NORMALIZED_USAGE_AMOUNT']),
  Granularity: z.enum(['DAILY', 'MONTHLY', 'HOURLY']),
  Filter: expression.optional(),
  PredictionIntervalLevel: z.number().int().min(51).max(99).optional(),
  BillingViewArn: z.string().optional(),
});

const getAnomaliesInput = z.object({
  MonitorArn: z.string().optional(),
  DateInterval: z.object({ StartDate: day, EndDate: day.optional() }),
  Feedback: z.enum(['YES', 'NO', 'PLANNED_ACTIVITY']).optional(),
  TotalImpact: z
    .object({
      NumericOperator: z.enum(['EQUAL', 'GREATER_THAN_OR_EQUAL', 'LESS_THAN_OR_EQUAL', 'GREATER_THAN', 'LESS_THAN', 'BETWEEN']),
      StartValue: z.number(),
      EndValue: z.number().optional(),
    })
    .optional(),
  NextPageToken: z.string().optional(),
  MaxResults: z.number().int().min(1).max(100).optional(),
});

type Out<T> = Omit<T, '$metadata'>;

const METRICS: Record<string, 'BilledCost' | 'EffectiveCost'> = {
  unblendedcost: 'BilledCost',
  blendedcost: 'BilledCost',
  netunblendedcost: 'BilledCost',
  amortizedcost: 'EffectiveCost',
  netamortizedcost: 'EffectiveCost',
};

const FORECAST_METRICS: Record<string, 'BilledCost' | 'EffectiveCost'> = {
  UNBLENDED_COST: 'BilledCost',
  BLENDED_COST: 'BilledCost',
  NET_UNBLENDED_COST: 'BilledCost',
  AMORTIZED_COST: 'EffectiveCost',
  NET_AMORTIZED_COST: 'EffectiveCost',
};

function validation(message: string): never {
  throw new AwsApiError('validation', message);
}

function parseDay(s: string, what: string): number {
  const t = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) validation(`${what} ${s} is not a valid date`);
  return t;
}

function ymd(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Splits [start, end) at day or month boundaries. */
function periods(start: number, end: number, granularity: 'DAILY' | 'MONTHLY'): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let t = start;
  while (t < end) {
    const d = new Date(t);
    const next = granularity === 'DAILY' ? t + DAY_MS : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    out.push({ start: t, end: Math.min(next, end) });
    t = Math.min(next, end);
  }
  return out;
}

/** Whether a row passes a Cost Explorer filter expression (the subset the sandbox serves). */
export function passes(r: CostRecord, e: Expression | undefined): boolean {
  if (!e) return true;
  const given = (['Or', 'And', 'Not', 'Dimensions', 'Tags', 'CostCategories'] as const).filter((k) => e[k] !== undefined);
  if (given.length !== 1) validation(`Expression must have exactly one of Or, And, Not, Dimensions, Tags, CostCategories; found ${given.length}`);
  if (e.And) {
    if (e.And.length < 2) validation('And must have at least 2 expressions');
    return e.And.every((x) => passes(r, x));
  }
  if (e.Or) {
    if (e.Or.length < 2) validation('Or must have at least 2 expressions');
    return e.Or.some((x) => passes(r, x));
  }
  if (e.Not) return !passes(r, e.Not);
  if (e.CostCategories) validation('The sandbox cloud has no cost categories');
  const spec = (e.Dimensions ?? e.Tags)!;
  const options = spec.MatchOptions ?? ['EQUALS'];
  for (const o of options) if (!['EQUALS', 'ABSENT', 'CASE_SENSITIVE', 'CASE_INSENSITIVE'].includes(o)) validation(`MatchOptions ${o} is not supported by the sandbox cloud (EQUALS, ABSENT, CASE_SENSITIVE, CASE_INSENSITIVE)`);
  const insensitive = options.includes('CASE_INSENSITIVE');
  let value: string | undefined;
  if (e.Dimensions) {
    const key = spec.Key ?? '';
    if (key === 'LINKED_ACCOUNT') value = r.SubAccountId;
    else if (key === 'SERVICE') value = r.ServiceName;
    else if (key === 'REGION') value = r.RegionId;
    else validation(`Dimension ${key} is not supported by the sandbox cloud (LINKED_ACCOUNT, SERVICE, REGION)`);
  } else {
    const v = r.Tags[spec.Key ?? ''];
    value = v === '' ? undefined : v;
  }
  if (options.includes('ABSENT')) return value === undefined;
  const values = spec.Values ?? [];
  if (value === undefined) return e.Tags !== undefined && values.includes('');
  return values.some((v) => (insensitive ? v.toLowerCase() === value!.toLowerCase() : v === value));
}

function groupKey(r: CostRecord, g: { Type: string; Key: string }): string {
  if (g.Type === 'TAG') return `${g.Key}$${r.Tags[g.Key] ?? ''}`;
  if (g.Type === 'COST_CATEGORY') validation('The sandbox cloud has no cost categories');
  switch (g.Key) {
    case 'SERVICE':
      return r.ServiceName ?? 'NoService';
    case 'LINKED_ACCOUNT':
      return r.SubAccountId ?? '';
    case 'REGION':
      return r.RegionId ?? 'NoRegion';
    default:
      return validation(`Group Definition dimension ${g.Key} is not supported by the sandbox cloud (SERVICE, LINKED_ACCOUNT, REGION)`);
  }
}

/** Amounts as Cost Explorer writes them: decimal strings, up to 10 places. */
function amountText(x: number): string {
  return String(Math.round(x * 1e10) / 1e10);
}

function getCostAndUsage(ctx: BillingCallContext, body: unknown): Out<GetCostAndUsageResponse> {
  const input = parseInput(getCostAndUsageInput, body);
  if (input.Granularity === 'HOURLY') validation('Hourly granularity is not enabled for this account');
  const start = parseDay(input.TimePeriod.Start, 'Start');
  const end = parseDay(input.TimePeriod.End, 'End');
  if (start >= end) validation(`Start date (${input.TimePeriod.Start}) must be before end date (${input.TimePeriod.End})`);
  const metrics = input.Metrics.map((m) => {
    const field = METRICS[m.toLowerCase()];
    if (!field) validation(`Invalid metric ${m}: the sandbox cloud serves AmortizedCost, BlendedCost, NetAmortizedCost, NetUnblendedCost and UnblendedCost`);
    return { name: m, field: field! };
  });
  const groupBy = input.GroupBy ?? [];
  const keys = new Set<string>();
  for (const g of groupBy) {
    const k = `${g.Type}:${g.Key}`;
    if (keys.has(k)) validation(`Duplicate group by ${k}`);
    keys.add(k);
  }
  const unit = ctx.account.currency;
  const rows = ctx.account.rows.filter((r) => {
    const t = r.ChargePeriodStart.getTime();
    return t >= start && t < end && t < ctx.now && passes(r, input.Filter);
  });
  const ps = periods(start, end, input.Granularity);
  const monthStart = Date.UTC(new Date(ctx.now).getUTCFullYear(), new Date(ctx.now).getUTCMonth(), 1);
  type Entry = { period: number; group?: Group };
  const entries: Entry[] = [];
  const totals: Record<string, MetricValue>[] = [];
  let p = 0;
  let i = 0;
  for (const period of ps) {
    const inPeriod: CostRecord[] = [];
    while (i < rows.length && rows[i]!.ChargePeriodStart.getTime() < period.end) {
      if (rows[i]!.ChargePeriodStart.getTime() >= period.start) inPeriod.push(rows[i]!);
      i++;
    }
    const sum = (rs: readonly CostRecord[]) => Object.fromEntries(metrics.map((m) => [m.name, { Amount: amountText(rs.reduce((s, r) => s + r[m.field], 0)), Unit: unit }]));
    if (groupBy.length === 0) {
      totals.push(sum(inPeriod));
      entries.push({ period: p });
    } else {
      totals.push({});
      const groups = new Map<string, CostRecord[]>();
      for (const r of inPeriod) {
        const k = JSON.stringify(groupBy.map((g) => groupKey(r, g)));
        const list = groups.get(k);
        if (list) list.push(r);
        else groups.set(k, [r]);
      }
      for (const k of [...groups.keys()].sort()) entries.push({ period: p, group: { Keys: JSON.parse(k) as string[], Metrics: sum(groups.get(k)!) } });
    }
    p++;
  }
  const { NextPageToken, ...rest } = input;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextPageToken !== undefined) {
    const o = decodeToken(NextPageToken, fingerprint);
    if (o === undefined) throw new AwsApiError('invalid-next-token', 'Invalid NextPageToken');
    offset = o;
  }
  const size = groupBy.length === 0 ? entries.length : ctx.account.groupsPerPage;
  const page = entries.slice(offset, offset + size);
  const results: ResultByTime[] = [];
  for (const e of page) {
    let last = results.at(-1);
    const period = ps[e.period]!;
    if (!last || last.TimePeriod?.Start !== ymd(period.start)) {
      last = { TimePeriod: { Start: ymd(period.start), End: ymd(period.end) }, Total: totals[e.period]!, Groups: [], Estimated: period.end > monthStart };
      results.push(last);
    }
    if (e.group) last.Groups!.push(e.group);
  }
  const next = offset + size < entries.length ? encodeToken(offset + size, fingerprint) : undefined;
  return {
    ...(next ? { NextPageToken: next } : {}),
    GroupDefinitions: groupBy,
    ResultsByTime: results,
    DimensionValueAttributes: [],
  };
}

function getCostForecast(ctx: BillingCallContext, body: unknown): Out<GetCostForecastResponse> {
  const input = parseInput(getCostForecastInput, body);
  const field = FORECAST_METRICS[input.Metric];
  if (!field) validation(`The sandbox cloud forecasts cost metrics only, not ${input.Metric}`);
  if (input.Granularity === 'HOURLY') validation('Hourly granularity is not supported for forecasts');
  const start = parseDay(input.TimePeriod.Start, 'Start');
  const end = parseDay(input.TimePeriod.End, 'End');
  const today = Math.floor(ctx.now / DAY_MS) * DAY_MS;
  if (start < today) validation(`Start date ${input.TimePeriod.Start} must be on or after the current date ${ymd(today)}`);
  if (start >= end) validation(`Start date (${input.TimePeriod.Start}) must be before end date (${input.TimePeriod.End})`);
  const mine = ctx.account.rows.filter((r) => passes(r, input.Filter));
  const future = ctx.account.rows.some((r) => r.ChargePeriodStart.getTime() >= ctx.now);
  const history = mine.filter((r) => r.ChargePeriodStart.getTime() < ctx.now && r.ChargePeriodStart.getTime() < start);
  let perDay = 0;
  if (!future) {
    if (history.length === 0) throw new ServiceError('DataUnavailableException', 400, 'Insufficient amount of historical data to generate forecast.');
    const from = Math.max(start - 7 * DAY_MS, Math.floor(history[0]!.ChargePeriodStart.getTime() / DAY_MS) * DAY_MS);
    const days = Math.max(1, (start - from) / DAY_MS);
    perDay = history.filter((r) => r.ChargePeriodStart.getTime() >= from).reduce((s, r) => s + r[field], 0) / days;
  }
  const unit = ctx.account.currency;
  const level = input.PredictionIntervalLevel;
  let total = 0;
  const results = periods(start, end, input.Granularity).map((period) => {
    const mean = future
      ? mine.filter((r) => r.ChargePeriodStart.getTime() >= period.start && r.ChargePeriodStart.getTime() < period.end).reduce((s, r) => s + r[field], 0)
      : (perDay * (period.end - period.start)) / DAY_MS;
    total += mean;
    const spread = level === undefined ? undefined : ((level - 50) / 50) * 0.2;
    return {
      TimePeriod: { Start: ymd(period.start), End: ymd(period.end) },
      MeanValue: amountText(mean),
      ...(spread !== undefined ? { PredictionIntervalLowerBound: amountText(mean * (1 - spread)), PredictionIntervalUpperBound: amountText(mean * (1 + spread)) } : {}),
    };
  });
  return { Total: { Amount: amountText(total), Unit: unit }, ForecastResultsByTime: results };
}

function getAnomalies(ctx: BillingCallContext, body: unknown): Out<GetAnomaliesResponse> {
  const input = parseInput(getAnomaliesInput, body);
  const from = parseDay(input.DateInterval.StartDate, 'StartDate');
  const to = input.DateInterval.EndDate === undefined ? Infinity : parseDay(input.DateInterval.EndDate, 'EndDate') + DAY_MS;
  const impactOk = (x: number) => {
    const f = input.TotalImpact;
    if (!f) return true;
    switch (f.NumericOperator) {
      case 'EQUAL':
        return x === f.StartValue;
      case 'GREATER_THAN_OR_EQUAL':
        return x >= f.StartValue;
      case 'LESS_THAN_OR_EQUAL':
        return x <= f.StartValue;
      case 'GREATER_THAN':
        return x > f.StartValue;
      case 'LESS_THAN':
        return x < f.StartValue;
      case 'BETWEEN':
        if (f.EndValue === undefined) validation('EndValue is required for BETWEEN');
        return x >= f.StartValue && x <= f.EndValue!;
    }
  };
  const a = ctx.account;
  const list: Anomaly[] = a.anomalies
    .filter((x) => x.start <= ctx.now)
    .filter((x) => {
      // The anomaly's end (or today, while it goes on) must fall in the interval.
      const end = Math.min(x.end ?? ctx.now, ctx.now);
      return end >= from && end < to;
    })
    .map((x) => {
      const s = x.spec;
      const monitorArn = `arn:aws:ce::${a.accountId}:anomalymonitor/${s.monitorName}`;
      const impact = s.actual - s.expected;
      return {
        AnomalyId: x.id,
        AnomalyStartDate: new Date(x.start).toISOString().replace(/\.000Z$/, 'Z'),
        ...(x.end !== undefined ? { AnomalyEndDate: new Date(x.end).toISOString().replace(/\.000Z$/, 'Z') } : {}),
        ...(s.dimensionValue ? { DimensionValue: s.dimensionValue } : {}),
        RootCauses: s.rootCauses.map((c) => ({
          ...(c.service ? { Service: c.service } : {}),
          ...(c.region ? { Region: c.region } : {}),
          LinkedAccount: c.linkedAccount ?? a.accountId,
          LinkedAccountName: c.linkedAccountName ?? a.name,
          ...(c.usageType ? { UsageType: c.usageType } : {}),
          ...(c.contribution !== undefined ? { Impact: { Contribution: c.contribution } } : {}),
        })),
        AnomalyScore: { MaxScore: s.score.max, CurrentScore: s.score.current },
        Impact: {
          MaxImpact: s.maxImpact ?? impact,
          TotalImpact: impact,
          TotalActualSpend: s.actual,
          TotalExpectedSpend: s.expected,
          ...(s.expected > 0 ? { TotalImpactPercentage: Math.round((impact / s.expected) * 10000) / 100 } : {}),
        },
        MonitorArn: monitorArn,
        ...(s.feedback ? { Feedback: s.feedback } : {}),
      } satisfies Anomaly;
    })
    .filter((x) => (input.MonitorArn === undefined || x.MonitorArn === input.MonitorArn) && (input.Feedback === undefined || x.Feedback === input.Feedback) && impactOk(x.Impact.TotalImpact ?? 0))
    .sort((x, y) => (x.AnomalyStartDate ?? '').localeCompare(y.AnomalyStartDate ?? '') || x.AnomalyId!.localeCompare(y.AnomalyId!));
  const { NextPageToken, MaxResults, ...rest } = input;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextPageToken !== undefined) {
    const o = decodeToken(NextPageToken, fingerprint);
    if (o === undefined) throw new AwsApiError('invalid-next-token', 'Invalid NextPageToken');
    offset = o;
  }
  const size = MaxResults ?? 20;
  const next = offset + size < list.length ? encodeToken(offset + size, fingerprint) : undefined;
  return { Anomalies: list.slice(offset, offset + size), ...(next ? { NextPageToken: next } : {}) };
}

const getSavingsPlansCoverageInput = z.object({
  TimePeriod: dateInterval,
  GroupBy: z.array(z.object({ Type: z.enum(['DIMENSION', 'TAG', 'COST_CATEGORY']), Key: z.string().min(1) })).optional(),
  Granularity: z.enum(['DAILY', 'MONTHLY', 'HOURLY']).optional(),
  Filter: expression.optional(),
  Metrics: z.array(z.string()).optional(),
  NextToken: z.string().optional(),
  MaxResults: z.number().int().min(1).optional(),
  SortBy: z.object({ Key: z.string(), SortOrder: z.enum(['ASCENDING', 'DESCENDING']).optional() }).optional(),
});

/** The services a Savings Plans coverage sees: SageMaker (SageMaker and Compute plans), EC2, Fargate, Lambda. */
const SAVINGS_PLAN_SERVICES = ['Amazon SageMaker', 'Amazon Elastic Compute Cloud - Compute', 'AWS Lambda', 'Amazon Elastic Container Service'];

/**
 * Savings Plans coverage from the account's cost rows: eligible spend is the rows of SageMaker (and
 * the other services Savings Plans cover) passing the filter; `savingsPlans.sagemaker.coveredPercent`
 * of SageMaker's is covered. One entry per period with eligible spend; GroupBy is not served.
 */
function getSavingsPlansCoverage(ctx: BillingCallContext, body: unknown): Out<GetSavingsPlansCoverageResponse> {
  const input = parseInput(getSavingsPlansCoverageInput, body);
  const granularity = input.Granularity ?? 'MONTHLY';
  if (granularity === 'HOURLY') validation('Hourly granularity is not enabled for this account');
  if (input.GroupBy?.length) validation('GroupBy is not supported by the sandbox cloud for GetSavingsPlansCoverage');
  const start = parseDay(input.TimePeriod.Start, 'Start');
  const end = parseDay(input.TimePeriod.End, 'End');
  if (start >= end) validation(`Start date (${input.TimePeriod.Start}) must be before end date (${input.TimePeriod.End})`);
  const covered = ctx.account.savingsPlans.sagemaker.coveredPercent / 100;
  const rows = ctx.account.rows.filter((r) => r.ChargePeriodStart.getTime() < ctx.now && r.ServiceName !== undefined && SAVINGS_PLAN_SERVICES.includes(r.ServiceName) && passes(r, input.Filter));
  const list = periods(start, end, granularity).flatMap((p) => {
    let total = 0;
    let cov = 0;
    for (const r of rows) {
      const t = r.ChargePeriodStart.getTime();
      if (t < p.start || t >= p.end) continue;
      total += r.BilledCost;
      if (r.ServiceName === 'Amazon SageMaker') cov += r.BilledCost * covered;
    }
    if (total === 0) return [];
    return [
      {
        TimePeriod: { Start: ymd(p.start), End: ymd(p.end) },
        Attributes: {},
        Coverage: { SpendCoveredBySavingsPlans: amountText(cov), OnDemandCost: amountText(total - cov), TotalCost: amountText(total), CoveragePercentage: amountText((cov / total) * 100) },
      },
    ];
  });
  const { NextToken, MaxResults, ...rest } = input;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextToken !== undefined) {
    const o = decodeToken(NextToken, fingerprint);
    if (o === undefined) throw new AwsApiError('invalid-next-token', 'Invalid NextToken');
    offset = o;
  }
  const size = MaxResults ?? 100;
  const next = offset + size < list.length ? encodeToken(offset + size, fingerprint) : undefined;
  return { SavingsPlansCoverages: list.slice(offset, offset + size), ...(next ? { NextToken: next } : {}) };
}

const getSavingsPlansPurchaseRecommendationInput = z.object({
  SavingsPlansType: z.enum(['COMPUTE_SP', 'EC2_INSTANCE_SP', 'SAGEMAKER_SP', 'DATABASE_SP']),
  TermInYears: z.enum(['ONE_YEAR', 'THREE_YEARS']),
  PaymentOption: z.enum(['NO_UPFRONT', 'PARTIAL_UPFRONT', 'ALL_UPFRONT', 'LIGHT_UTILIZATION', 'MEDIUM_UTILIZATION', 'HEAVY_UTILIZATION']),
  LookbackPeriodInDays: z.enum(['SEVEN_DAYS', 'THIRTY_DAYS', 'SIXTY_DAYS']),
  AccountScope: z.enum(['PAYER', 'LINKED']).optional(),
  NextPageToken: z.string().optional(),
  PageSize: z.number().int().min(0).optional(),
  Filter: expression.optional(),
});

/** The world's SageMaker Savings Plans recommendation for the term and payment option asked; none for other plan types. */
function getSavingsPlansPurchaseRecommendation(ctx: BillingCallContext, body: unknown): Out<GetSavingsPlansPurchaseRecommendationResponse> {
  const input = parseInput(getSavingsPlansPurchaseRecommendationInput, body);
  if (input.Filter) {
    // The API filters recommendations by LINKED_ACCOUNT only.
    const dims = input.Filter.Dimensions;
    if (!dims || dims.Key !== 'LINKED_ACCOUNT') validation('Filter supports only the LINKED_ACCOUNT dimension');
  }
  const term = input.TermInYears === 'ONE_YEAR' ? 1 : 3;
  const forAccount = !input.Filter?.Dimensions?.Values || input.Filter.Dimensions.Values.includes(ctx.account.accountId);
  const rec =
    input.SavingsPlansType === 'SAGEMAKER_SP' && forAccount
      ? ctx.account.savingsPlans.sagemaker.recommendations.find((r) => (r.term === undefined || r.term === term) && (r.paymentOption === undefined || r.paymentOption === input.PaymentOption))
      : undefined;
  const unit = ctx.account.currency;
  const generated = rec ? resolveTime(rec.generatedAt, ctx.now) : ctx.now - DAY_MS;
  const metadata = { RecommendationId: `${ctx.account.accountId}-${input.SavingsPlansType}-${input.TermInYears}-${input.PaymentOption}-${input.LookbackPeriodInDays}`, GenerationTimestamp: new Date(generated).toISOString().replace(/\.000Z$/, 'Z'), AdditionalMetadata: '' };
  const base = { AccountScope: input.AccountScope ?? 'PAYER', SavingsPlansType: input.SavingsPlansType, TermInYears: input.TermInYears, PaymentOption: input.PaymentOption, LookbackPeriodInDays: input.LookbackPeriodInDays } as const;
  if (!rec) {
    return { Metadata: metadata, SavingsPlansPurchaseRecommendation: { ...base, SavingsPlansPurchaseRecommendationDetails: [], SavingsPlansPurchaseRecommendationSummary: { TotalRecommendationCount: '0', CurrencyCode: unit } } };
  }
  const monthlyOnDemand = (rec.currentAverageHourly ?? rec.hourlyCommitment) * 730;
  const detail = {
    SavingsPlansDetails: { Region: 'Any', InstanceFamily: 'Any', OfferingId: `sagemaker-sp-${term}y-${input.PaymentOption.toLowerCase()}` },
    AccountId: ctx.account.accountId,
    UpfrontCost: amountText(rec.upfrontCost),
    EstimatedROI: amountText(rec.hourlyCommitment > 0 ? (rec.estimatedMonthlySavings / (rec.hourlyCommitment * 730)) * 100 : 0),
    CurrencyCode: unit,
    EstimatedSPCost: amountText(rec.hourlyCommitment * 730),
    EstimatedOnDemandCost: amountText(monthlyOnDemand),
    EstimatedSavingsAmount: amountText(rec.estimatedMonthlySavings),
    ...(rec.estimatedSavingsPercent !== undefined ? { EstimatedSavingsPercentage: amountText(rec.estimatedSavingsPercent) } : {}),
    HourlyCommitmentToPurchase: amountText(rec.hourlyCommitment),
    EstimatedAverageUtilization: amountText(rec.estimatedUtilizationPercent),
    EstimatedMonthlySavingsAmount: amountText(rec.estimatedMonthlySavings),
    ...(rec.currentMinimumHourly !== undefined ? { CurrentMinimumHourlyOnDemandSpend: amountText(rec.currentMinimumHourly) } : {}),
    ...(rec.currentMaximumHourly !== undefined ? { CurrentMaximumHourlyOnDemandSpend: amountText(rec.currentMaximumHourly) } : {}),
    ...(rec.currentAverageHourly !== undefined ? { CurrentAverageHourlyOnDemandSpend: amountText(rec.currentAverageHourly) } : {}),
    RecommendationDetailId: uuidOf(`${metadata.RecommendationId}:detail`),
  };
  return {
    Metadata: metadata,
    SavingsPlansPurchaseRecommendation: {
      ...base,
      SavingsPlansPurchaseRecommendationDetails: [detail],
      SavingsPlansPurchaseRecommendationSummary: {
        TotalRecommendationCount: '1',
        CurrencyCode: unit,
        HourlyCommitmentToPurchase: detail.HourlyCommitmentToPurchase,
        DailyCommitmentToPurchase: amountText(rec.hourlyCommitment * 24),
        EstimatedMonthlySavingsAmount: detail.EstimatedMonthlySavingsAmount,
        EstimatedSavingsAmount: detail.EstimatedSavingsAmount,
        EstimatedTotalCost: detail.EstimatedSPCost,
        CurrentOnDemandSpend: amountText(monthlyOnDemand),
        EstimatedROI: detail.EstimatedROI,
        ...(detail.EstimatedSavingsPercentage !== undefined ? { EstimatedSavingsPercentage: detail.EstimatedSavingsPercentage } : {}),
      },
    },
  };
}

/** The Cost Explorer operations the sandbox serves. */
export const COST_EXPLORER_OPERATIONS = {
  GetCostAndUsage: getCostAndUsage,
  GetCostForecast: getCostForecast,
  GetAnomalies: getAnomalies,
  GetSavingsPlansCoverage: getSavingsPlansCoverage,
  GetSavingsPlansPurchaseRecommendation: getSavingsPlansPurchaseRecommendation,
} as const satisfies Record<string, (ctx: BillingCallContext, body: unknown) => object>;
