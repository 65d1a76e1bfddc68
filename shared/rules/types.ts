import type { Confidence, WasteEstimate } from '../domain/finding.js';
import type { Resource } from '../domain/resource.js';
import type { UsageSeries } from '../domain/usage.js';
import type { PriceBook } from '../pricing/price-book.js';

/** Everything a resource rule may read; no SDK, no I/O. */
export interface ResourceRuleInput<S> {
  readonly resource: Resource;
  /** Usage series of this resource only. */
  readonly usage: readonly UsageSeries[];
  readonly settings: S;
  readonly now: Date;
  readonly prices: PriceBook;
}

/** The verdict of a rule on one resource (cdk-nag style: explicit states). */
export type RuleResult =
  | { readonly state: 'not-applicable'; readonly reason: string }
  | { readonly state: 'ok'; readonly evidence: readonly string[] }
  | { readonly state: 'unknown'; readonly title: string; readonly evidence: readonly string[] }
  | {
      readonly state: 'violation';
      readonly title: string;
      readonly evidence: readonly string[];
      readonly confidence: Confidence;
      readonly waste?: WasteEstimate;
      readonly lastActivity?: Date;
    };

/** A pure rule over one resource, with its stable id and human text attached where rules are listed. */
export interface ResourceRule<S = unknown> {
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  readonly severity: 'low' | 'medium' | 'high';
  /** Resource kinds the rule judges; the pipeline runs it on these kinds only. */
  readonly kinds: readonly string[];
  /** The action the planner proposes for a violation, per resource kind. */
  readonly actions: Readonly<Record<string, string>>;
  evaluate(input: ResourceRuleInput<S>): RuleResult;
}
