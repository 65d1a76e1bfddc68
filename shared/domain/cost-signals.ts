import type { Money } from './money.js';
import type { Cloud } from './resource.js';

/**
 * A cloud's forecast of spend still to come in a window (e.g. today → end of month), for all
 * costs of a scope or only those a configured budget covers.
 */
export interface CostForecast {
  readonly cloud: Cloud;
  readonly scopeId: string;
  /** The configured budget whose scope filtered the forecast; absent = every cost of the scope. */
  readonly budgetName?: string;
  /** The forecast window: start inclusive, end exclusive. */
  readonly period: { readonly start: Date; readonly end: Date };
  /** Mean forecast for the window. */
  readonly amount: Money;
  readonly lower?: Money;
  readonly upper?: Money;
  /** Where the number comes from, for evidence (e.g. "AWS Cost Explorer GetCostForecast"). */
  readonly source: string;
}

/** One contributor to an anomaly, as the cloud's root-cause analysis names it. */
export interface AnomalyRootCause {
  readonly service?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly accountName?: string;
  readonly usageType?: string;
  /** The part of the impact this cause explains, when the cloud says. */
  readonly contribution?: Money;
}

/** Unusual spend flagged by the cloud's anomaly detection (AWS Cost Anomaly Detection). */
export interface CostAnomaly {
  readonly cloud: Cloud;
  /** The scope the anomaly was read from (the monitor's account). */
  readonly scopeId: string;
  readonly id: string;
  readonly start: Date;
  /** Absent while the anomaly is still going on. */
  readonly end?: Date;
  /** What the monitor watches, e.g. the service name of an AWS service monitor. */
  readonly dimensionValue?: string;
  readonly monitorName?: string;
  readonly monitorArn?: string;
  /** Actual minus expected spend over the anomaly. */
  readonly totalImpact: Money;
  readonly totalActual?: Money;
  readonly totalExpected?: Money;
  readonly impactPercent?: number;
  readonly maxScore?: number;
  readonly rootCauses: readonly AnomalyRootCause[];
  readonly link?: string;
}

/** A cloud's recommendation to buy a commitment (an AWS Savings Plan), as the cloud states it. */
export interface CommitmentRecommendation {
  /** `1 year`, `3 years`. */
  readonly term: string;
  /** The cloud's spelling: `NO_UPFRONT`, `PARTIAL_UPFRONT`, `ALL_UPFRONT`. */
  readonly paymentOption: string;
  /** Days of usage the recommendation was computed from. */
  readonly lookbackDays: number;
  /** The commitment to buy, per hour. */
  readonly hourlyCommitment: Money;
  readonly upfrontCost?: Money;
  readonly estimatedMonthlySavings: Money;
  /** Percent of the covered on-demand cost the commitment saves. */
  readonly estimatedSavingsPercent?: number;
  /** Percent of the commitment the recommendation expects to be used. */
  readonly estimatedUtilizationPercent?: number;
  /** Eligible on-demand spend per hour over the look-back: the steady floor, the mean and the peak. */
  readonly hourlyOnDemand?: { readonly minimum?: Money; readonly average?: Money; readonly maximum?: Money };
  /**
   * A reservation of a number of instances (Azure Reserved VM Instances), with the cloud's costs
   * over the look-back (`hours`) the hourly figures are divided from.
   */
  readonly reservation?: { readonly quantity: number; readonly unit: string; readonly costWithout: Money; readonly costWith: Money; readonly netSavings: Money; readonly hours: number };
  /** When the cloud computed it. */
  readonly generatedAt?: Date;
  readonly id?: string;
}

/**
 * How much of a scope's commitment-eligible AI compute spend a commitment covered over a window
 * (AWS Savings Plans coverage for SageMaker), with the cloud's purchase recommendation if any.
 */
export interface CommitmentCoverage {
  readonly cloud: Cloud;
  readonly scopeId: string;
  /** What can cover the spend, e.g. `SageMaker Savings Plans`. */
  readonly program: string;
  /** The service whose spend is measured, as billed. */
  readonly service: string;
  /** The coverage window: start inclusive, end exclusive. */
  readonly period: { readonly start: Date; readonly end: Date };
  /** Eligible spend in the window, covered and not; absent when the cloud reported no coverage data. */
  readonly totalSpend?: Money;
  readonly coveredSpend?: Money;
  readonly onDemandSpend?: Money;
  readonly recommendation?: CommitmentRecommendation;
  /** Where the numbers come from, for evidence. */
  readonly source: string;
}

/** Billing data a scan may read: costs, the clouds' own budgets, forecasts, cost anomalies, month-to-date spend by team tag, commitment coverage. */
export type BillingSignal = 'costs' | 'budgets' | 'forecasts' | 'anomalies' | 'tag-spend' | 'commitments';

/** Every billing signal. */
export const BILLING_SIGNALS: readonly BillingSignal[] = ['costs', 'budgets', 'forecasts', 'anomalies', 'tag-spend', 'commitments'];
