import type { Money } from './money.js';
import type { Cloud } from './resource.js';

export type BudgetPeriod = 'monthly' | 'quarterly' | 'yearly';

/** A spending limit over a period, with where it applies and what was spent. */
export interface Budget {
  readonly name: string;
  readonly limit: Money;
  readonly period: BudgetPeriod;
  readonly scope: {
    readonly clouds?: readonly Cloud[];
    readonly scopeIds?: readonly string[];
    readonly services?: readonly string[];
    readonly tags?: Readonly<Record<string, string>>;
  };
  /** Percent thresholds of the limit at which to alert. */
  readonly actualThresholds: readonly number[];
  readonly forecastThresholds: readonly number[];
  readonly actual?: Money;
  readonly forecast?: Money;
  /** A budget defined in a cloud: which one (absent: configured in costwatch.yml, or AWS Budgets). */
  readonly source?: 'aws-budgets' | 'gcp-budget';
  /** Why a cloud's budget cannot be judged (its filter cannot be reproduced from the cost data); then actual and forecast are absent. */
  readonly problem?: string;
  /** How actual and forecast were computed, for evidence. */
  readonly basis?: readonly string[];
}
