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
}
