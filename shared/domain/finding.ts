import type { Money } from './money.js';
import type { Cloud, ResourceRef } from './resource.js';

/** A top cost driver named in a budget or anomaly finding. */
export interface CostDriver {
  readonly by: 'service' | 'tag' | 'account' | 'region' | 'resource';
  /** Service name, `tagKey=value`, account id, region or resource id. */
  readonly key: string;
  readonly amount: Money;
}

/** What a budget, forecast or anomaly finding is about, for messages and dedup. */
export interface BudgetEvidence {
  readonly budgetName: string;
  /** Where the numbers come from: a configured budget checked against cost data, or a cloud's own notification. */
  readonly source: 'config' | 'aws-budgets' | 'aws-anomaly' | 'gcp-budget' | 'azure-budget';
  readonly kind: 'actual' | 'forecast' | 'anomaly';
  readonly period?: { readonly start: Date; readonly end: Date };
  readonly limit?: Money;
  readonly actual?: Money;
  readonly forecast?: Money;
  /** The threshold crossed, in percent of the limit. */
  readonly thresholdPercent?: number;
  readonly drivers: readonly CostDriver[];
}

/** Monthly waste with the arithmetic that produced it, e.g. `$1.41/h × 2 × 730 h`. */
export interface WasteEstimate {
  readonly monthly: Money;
  readonly arithmetic: string;
  /** Where the price came from (price table and date, or config override). */
  readonly priceSource: string;
  /**
   * `per-month` (default): `monthly` recurs every month. `until-stopped`: `monthly` is what the
   * resource can still cost before it stops by itself (a training job's remaining runtime);
   * such amounts are never added to monthly totals. `if-kept`: `monthly` is what a resource
   * costs a month if it is kept (a launch guard's question), not waste; never added to totals.
   */
  readonly basis?: 'per-month' | 'until-stopped' | 'if-kept';
}

/** Whether a waste estimate recurs monthly (and so belongs in monthly totals). */
export function isMonthlyWaste(w: WasteEstimate): boolean {
  return (w.basis ?? 'per-month') === 'per-month';
}

/** The unit after a waste amount: `/month`, ` until it stops` or `/month if kept`. */
export function wasteUnit(w: WasteEstimate): string {
  return w.basis === 'if-kept' ? '/month if kept' : isMonthlyWaste(w) ? '/month' : ' until it stops';
}

/**
 * - `violation`: the rule matched; waste is estimated.
 * - `unknown`: the rule could not decide (e.g. no metrics at all); reported, never acted on.
 * - `failure`: collection failed for a cloud/scope; reported so nothing is silently hidden.
 */
export type FindingState = 'violation' | 'unknown' | 'failure';

/** How sure a violation is; `auto` mode acts only on `high`. */
export type Confidence = 'high' | 'medium';

/** What a rule (or the collector) found about one resource or scope. */
export interface Finding {
  /** Stable across scans: `<ruleId>:<resource id>` (or `<ruleId>:<cloud>:<scope>`). */
  readonly id: string;
  readonly ruleId: string;
  readonly state: FindingState;
  readonly cloud: Cloud;
  readonly scopeId: string;
  readonly region?: string;
  readonly resource?: ResourceRef;
  /** One line, e.g. "endpoint fraud-v3 had 0 invocations in 24 h". */
  readonly title: string;
  /** Facts behind the verdict, one per line. */
  readonly evidence: readonly string[];
  readonly confidence?: Confidence;
  readonly waste?: WasteEstimate;
  /** Budget, forecast and anomaly findings carry their numbers here. */
  readonly budget?: BudgetEvidence;
  /** Last time the resource was seen in use, when known: from a usage series, the end of the period of its last request (the latest it may have been used). */
  readonly lastActivity?: Date;
  /** Why this violation is only reported (no action is ever proposed for it), when it is. */
  readonly notifyOnly?: string;
  /** What the proposed action must do, as the rule worked it out (e.g. `min:AllTraffic: 2`). */
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  readonly detectedAt: Date;
}

/** Id of the finding a rule raises for a resource. */
export function findingId(ruleId: string, resourceId: string): string {
  return `${ruleId}:${resourceId}`;
}
