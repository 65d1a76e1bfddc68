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

/** Billing data a scan may read: costs, the clouds' own budgets, forecasts, cost anomalies. */
export type BillingSignal = 'costs' | 'budgets' | 'forecasts' | 'anomalies';

/** Every billing signal. */
export const BILLING_SIGNALS: readonly BillingSignal[] = ['costs', 'budgets', 'forecasts', 'anomalies'];
