import type { Money } from './money.js';
import type { Cloud, ResourceRef } from './resource.js';

/** Monthly waste with the arithmetic that produced it, e.g. `$1.41/h × 2 × 730 h`. */
export interface WasteEstimate {
  readonly monthly: Money;
  readonly arithmetic: string;
  /** Where the price came from (price table and date, or config override). */
  readonly priceSource: string;
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
  /** Last time the resource was seen in use, when known. */
  readonly lastActivity?: Date;
  readonly detectedAt: Date;
}

/** Id of the finding a rule raises for a resource. */
export function findingId(ruleId: string, resourceId: string): string {
  return `${ruleId}:${resourceId}`;
}
