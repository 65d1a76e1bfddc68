import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { readFocusCsv } from '../../focus/focus-csv.js';
import { worldTags, worldTime } from './world-common.js';

/*
 * World-file sections for AWS billing: Cost Explorer cost rows (FOCUS columns, inline, generated
 * per day, or read from a FOCUS CSV), AWS Budgets, Cost Anomaly Detection anomalies, and Price
 * List products. Documented in docs/world-file.md ("Costs, budgets and anomalies").
 */

/** A required time: a missing one says so rather than "Invalid input". */
const requiredTime = z.preprocess((v, ctx) => {
  if (v === undefined) ctx.addIssue({ code: 'custom', message: 'is required: a time such as 2025-06-01T00:00:00Z, now or -30d' });
  return v;
}, worldTime);

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code in upper case, like USD');
const amount = z.number().finite();

/** One FOCUS cost row, written inline. `SubAccountId` is always the account the row is under. */
const costRowSchema = z.strictObject({
  ServiceName: z.string().min(1),
  BilledCost: amount,
  EffectiveCost: amount.optional(),
  ListCost: amount.optional(),
  ChargePeriodStart: requiredTime,
  /** Default: one day after ChargePeriodStart. */
  ChargePeriodEnd: worldTime.optional(),
  RegionId: z.string().min(1).optional(),
  ResourceId: z.string().min(1).optional(),
  Tags: worldTags,
});

/** Generates one row per UTC day from `from` until `until`, each costing `amount`. */
const dailySchema = z.strictObject({
  service: z.string().min(1),
  amount: amount,
  /** EffectiveCost per day; default: amount. */
  effectiveAmount: amount.optional(),
  from: requiredTime,
  until: worldTime.default('now'),
  region: z.string().min(1).optional(),
  tags: worldTags,
});

const focusCsvSchema = z
  .strictObject({
    /** Path of a FOCUS CSV, relative to the directory costwatch runs in. */
    path: z.string().min(1),
    /** Rows of other providers are skipped. */
    providerName: z.string().min(1).default('AWS'),
    /** Shift every row so the latest ChargePeriodEnd falls on this time (e.g. `now`). */
    shiftEndTo: worldTime.optional(),
  })
  .superRefine((f, ctx) => {
    // Read once here so a bad file is reported with the world's line and column.
    try {
      const rows = readFocusCsv(readFileSync(resolve(f.path), 'utf8'), { providerName: f.providerName, file: f.path });
      if (rows.length === 0) ctx.addIssue({ code: 'custom', path: ['providerName'], message: `no row of ${f.path} has ProviderName ${f.providerName}` });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? `file not found: ${resolve(f.path)}` : (err as Error).message });
    }
  });

/** An account's costs as Cost Explorer serves them. */
export const costsSchema = z
  .strictObject({
    /** The account's billing currency; every row is in it, as in Cost Explorer. */
    currency: currency.default('USD'),
    rows: z.array(costRowSchema).default([]),
    daily: z.array(dailySchema).default([]),
    focusCsv: focusCsvSchema.optional(),
    /** Groups GetCostAndUsage returns per page before a NextPageToken (each page is billed). */
    groupsPerPage: z.number().int().min(1).max(100_000).default(500),
  })
  .superRefine((c, ctx) => {
    if (c.focusCsv) {
      try {
        const rows = readFocusCsv(readFileSync(resolve(c.focusCsv.path), 'utf8'), { providerName: c.focusCsv.providerName });
        const other = rows.find((r) => r.BillingCurrency !== c.currency);
        if (other) ctx.addIssue({ code: 'custom', path: ['focusCsv', 'path'], message: `rows are billed in ${other.BillingCurrency}, the account's currency is ${c.currency}: set costs.currency` });
      } catch {
        // Reported by the focusCsv schema.
      }
    }
  })
  .prefault({});

const BUDGET_TIME_UNITS = ['DAILY', 'MONTHLY', 'QUARTERLY', 'ANNUALLY'] as const;
/** CostFilters keys whose spend the sandbox computes from cost rows. */
export const BUDGET_FILTER_KEYS = ['Service', 'LinkedAccount', 'Region', 'TagKeyValue'] as const;
const BUDGET_TYPES = ['COST', 'USAGE', 'RI_UTILIZATION', 'RI_COVERAGE', 'SAVINGS_PLANS_UTILIZATION', 'SAVINGS_PLANS_COVERAGE'] as const;

/** An AWS Budgets budget. Actual and forecast spend default to what the account's cost rows say. */
const budgetSchema = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[^:\\]+$/, 'a budget name has no ":" or "\\"'),
  limit: z.number().positive(),
  /** Default: the account's cost currency. */
  currency: currency.optional(),
  timeUnit: z.enum(BUDGET_TIME_UNITS).default('MONTHLY'),
  type: z.enum(BUDGET_TYPES).default('COST'),
  /** CostFilters, e.g. `{ Service: [Amazon SageMaker], TagKeyValue: ["user:team$fraud"] }`. */
  filters: z.record(z.string().min(1), z.array(z.string())).default({}),
  actual: z.number().min(0).optional(),
  forecast: z.number().min(0).optional(),
}).superRefine((b, ctx) => {
  const unknown = Object.keys(b.filters).filter((k) => !(BUDGET_FILTER_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0 && (b.actual === undefined || b.forecast === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['filters', unknown[0]!], message: `the sandbox computes spend for filters ${BUDGET_FILTER_KEYS.join(', ')} only: give actual and forecast for a budget filtered by ${unknown.join(', ')}` });
  }
});

export const budgetsSchema = z.array(budgetSchema).default([]);

const rootCauseSchema = z.strictObject({
  service: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  usageType: z.string().min(1).optional(),
  /** Default: the account the anomaly is under. */
  linkedAccount: z.string().regex(/^\d{12}$/).optional(),
  linkedAccountName: z.string().min(1).optional(),
  contribution: z.number().min(0).optional(),
});

/** A Cost Anomaly Detection anomaly, with impact = actual − expected. */
const anomalySchema = z
  .strictObject({
    /** Default: derived from the account id and position, stable across runs. */
    id: z.string().min(1).optional(),
    start: requiredTime,
    /** Absent while the anomaly goes on. */
    end: worldTime.optional(),
    dimensionValue: z.string().min(1).optional(),
    monitorName: z.string().min(1).default('AWSServiceMonitor'),
    monitorType: z.enum(['DIMENSIONAL', 'CUSTOM']).default('DIMENSIONAL'),
    expected: z.number().min(0),
    actual: z.number().min(0),
    maxImpact: z.number().min(0).optional(),
    score: z.strictObject({ max: z.number().min(0).max(1), current: z.number().min(0).max(1) }).default({ max: 0.8, current: 0.6 }),
    feedback: z.enum(['YES', 'NO', 'PLANNED_ACTIVITY']).optional(),
    rootCauses: z.array(rootCauseSchema).default([]),
  })
  .superRefine((a, ctx) => {
    if (a.actual < a.expected) ctx.addIssue({ code: 'custom', path: ['actual'], message: 'an anomaly spends more than expected: actual must be at least expected' });
  });

export const anomaliesSchema = z.array(anomalySchema).default([]);

/** A SageMaker instance price as the Price List API lists it (product attributes are derived). */
const sageMakerPriceSchema = z.strictObject({
  instanceType: z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'an instance type looks like ml.g5.xlarge'),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'a region looks like us-east-1'),
  /** On-demand price per instance-hour. */
  hourly: z.number().positive(),
  currency: currency.default('USD'),
  component: z.enum(['Hosting', 'Notebook', 'Training', 'Processing', 'Studio']).default('Hosting'),
});

/** Products the Price List API (`GetProducts`) serves. */
export const priceListSchema = z.strictObject({ sagemaker: z.array(sageMakerPriceSchema).default([]) }).prefault({});

/** A SageMaker Savings Plans purchase recommendation as Cost Explorer would compute it (given, not derived). */
const savingsPlansRecommendationSchema = z.strictObject({
  /** Only for this term (years); absent = whatever term is asked. */
  term: z.union([z.literal(1), z.literal(3)]).optional(),
  /** Only for this payment option; absent = whatever is asked. */
  paymentOption: z.enum(['NO_UPFRONT', 'PARTIAL_UPFRONT', 'ALL_UPFRONT']).optional(),
  hourlyCommitment: z.number().positive(),
  estimatedMonthlySavings: z.number().min(0),
  estimatedSavingsPercent: z.number().min(0).max(100).optional(),
  estimatedUtilizationPercent: z.number().min(0).max(100).default(100),
  upfrontCost: z.number().min(0).default(0),
  currentMinimumHourly: z.number().min(0).optional(),
  currentAverageHourly: z.number().min(0).optional(),
  currentMaximumHourly: z.number().min(0).optional(),
  /** `Metadata.GenerationTimestamp`; default a day before the world clock. */
  generatedAt: worldTime.default('-1d'),
});

/** SageMaker Savings Plans of an account: what share of its SageMaker cost rows they cover, and the recommendations. */
export const savingsPlansSchema = z
  .strictObject({
    sagemaker: z
      .strictObject({
        /** Percent of the account's Amazon SageMaker cost rows covered by Savings Plans (GetSavingsPlansCoverage). */
        coveredPercent: z.number().min(0).max(100).default(0),
        recommendations: z.array(savingsPlansRecommendationSchema).default([]),
      })
      .prefault({}),
  })
  .prefault({});

/** An account's costs, validated. */
export type CostsSpec = z.output<typeof costsSchema>;
/** One AWS Budgets budget, validated. */
export type BudgetSpec = z.output<typeof budgetSchema>;
/** One anomaly, validated. */
export type AnomalySpec = z.output<typeof anomalySchema>;
/** Price List products, validated. */
export type PriceListSpec = z.output<typeof priceListSchema>;
/** An account's Savings Plans, validated. */
export type SavingsPlansSpec = z.output<typeof savingsPlansSchema>;
