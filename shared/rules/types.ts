import type { Budget } from '../domain/budget.js';
import type { CostRecord } from '../domain/cost.js';
import type { BillingSignal, CommitmentCoverage, CostAnomaly, CostForecast } from '../domain/cost-signals.js';
import type { Confidence, Finding, WasteEstimate } from '../domain/finding.js';
import type { Resource, Scope } from '../domain/resource.js';
import type { ResourceFact, UsageSeries, UsageSignal } from '../domain/usage.js';
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
  | {
      readonly state: 'ok';
      readonly evidence: readonly string[];
      /**
       * The rule cannot find the resource in violation before this time, whatever its usage does
       * meanwhile (a request at t keeps an endpoint busy until t + window): its usage need not be
       * read for this rule before then (an activity watermark). Absent: no such bound.
       */
      readonly activeUntil?: Date;
    }
  | { readonly state: 'unknown'; readonly title: string; readonly evidence: readonly string[] }
  | {
      readonly state: 'violation';
      readonly title: string;
      readonly evidence: readonly string[];
      readonly confidence: Confidence;
      readonly waste?: WasteEstimate;
      readonly lastActivity?: Date;
      /** Set when the finding is for a person to read and never gets an action, whatever the rule's mode; says why. */
      readonly notifyOnly?: string;
      /** What the action must do, worked out by the rule (e.g. the floor to set), carried by the proposal. */
      readonly parameters?: Readonly<Record<string, string | number | boolean>>;
    };

/** A pure rule over one resource, with its stable id and human text attached where rules are listed. */
export interface ResourceRule<S = unknown> {
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  readonly severity: 'low' | 'medium' | 'high';
  /** Resource kinds the rule judges; the pipeline runs it on these kinds only. */
  readonly kinds: readonly string[];
  /**
   * The usage signals the rule reads; a scan running only this rule queries no other. Empty: the
   * rule judges without usage series. Absent: every signal (a rule that does not say reads all).
   */
  readonly signals?: readonly UsageSignal[];
  /** Facts about the resource the rule reads besides usage (e.g. `autoscaling`); a scan without such a rule does not read them. */
  readonly facts?: readonly ResourceFact[];
  /** The action the planner proposes for a violation, per resource kind. */
  readonly actions: Readonly<Record<string, string>>;
  /**
   * Whether the rule can find this resource, as configured, in violation at all, before any usage
   * is read (e.g. `autoscaling-floor` on an endpoint with no floor above one). False: its usage is
   * not read for this rule (activity watermarks). Absent: every resource of its kinds.
   */
  judges?(resource: Resource): boolean;
  /**
   * What the rule's verdict rests on besides usage (instance types, autoscaling floors), as a
   * string: a watermark the rule set holds only while this is unchanged, so a reconfigured
   * resource is read again at once. Absent: only re-creation starts a resource afresh.
   */
  basis?(resource: Resource): string;
  evaluate(input: ResourceRuleInput<S>): RuleResult;
}

/** A scope the scan read, and what is missing from its cost data (for cost rules to say what their numbers cover). */
export interface CostScope {
  readonly scope: Scope;
  /** Why this scope's costs are missing or partial; empty when they were read in full. */
  readonly costProblems: readonly string[];
}

/**
 * Everything a cost rule may read; no SDK, no I/O. Cost rules see every scanned scope at once,
 * because a budget may span accounts and clouds.
 */
export interface CostRuleInput<S> {
  /** Cost records of every scope (FOCUS columns; see `x_Breakdown` for pre-aggregated rows). */
  readonly costs: readonly CostRecord[];
  /** Budgets defined in the clouds themselves (AWS Budgets), with their actual and forecast spend. */
  readonly cloudBudgets: readonly Budget[];
  /** Budgets configured in costwatch.yml. */
  readonly budgets: readonly Budget[];
  /** The clouds' forecasts of the rest of each budget's period. */
  readonly forecasts: readonly CostForecast[];
  readonly anomalies: readonly CostAnomaly[];
  /** Commitment coverage and the clouds' purchase recommendations, per scope (absent when none was read). */
  readonly commitments?: readonly CommitmentCoverage[];
  readonly scopes: readonly CostScope[];
  readonly settings: S;
  readonly now: Date;
  readonly prices: PriceBook;
}

/** A pure rule over a scan's cost data; its findings carry `budget` evidence and no resource. */
export interface CostRule<S = unknown> {
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  readonly severity: 'low' | 'medium' | 'high';
  /** The billing data the rule reads; absent: all of it. A scan running only this rule reads no other. */
  readonly reads?: readonly BillingSignal[];
  /**
   * Resource kinds whose inventory the rule's billing reads need (no usage is read for them), e.g.
   * the Azure ML compute whose VM sizes reservation recommendations are kept for: a scan running
   * only this rule still lists them.
   */
  readonly lists?: readonly string[];
  /** Findings in state `violation` or `unknown`, each with `budget` set. */
  evaluate(input: CostRuleInput<S>): Finding[];
}
