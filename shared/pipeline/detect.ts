import type { Finding } from '../domain/finding.js';
import { findingId } from '../domain/finding.js';
import { refOf, type Resource } from '../domain/resource.js';
import type { UsageSeries } from '../domain/usage.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { Collection } from '../providers/port.js';
import type { ResourceRule, RuleResult } from '../rules/types.js';
import type { Budget } from '../domain/budget.js';
import type { CostRule, CostScope } from '../rules/types.js';

/** Id of the finding raised when a cloud, scope or region could not be read. */
export const COLLECTION_FAILED = 'collection-failed';

/** A rule with the settings the policy gives it. */
export interface ActiveRule {
  readonly rule: ResourceRule<never>;
  readonly settings: unknown;
}

/** Per resource kind, the windows (`windowHours`) of the active rules that judge it: what the collectors read usage for. */
export function usageWindowHours(rules: readonly ActiveRule[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const r of rules) {
    const h = (r.settings as { windowHours?: unknown } | undefined)?.windowHours;
    if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0) continue;
    for (const kind of r.rule.kinds) (out[kind] ??= []).push(h);
  }
  return out;
}

/** Rule verdicts that produced no finding, kept for the report's counts. */
export interface DetectStats {
  readonly evaluated: number;
  readonly ok: number;
  readonly notApplicable: number;
  /** Resources a rule applies to by kind but did not judge this time (too young, not running, serverless…). */
  readonly notJudged: readonly { readonly resource: string; readonly ruleId: string; readonly reason: string }[];
}

/** Groups usage series by resource id. */
export function usageIndex(usage: Iterable<UsageSeries>): Map<string, UsageSeries[]> {
  const idx = new Map<string, UsageSeries[]>();
  for (const u of usage) {
    const list = idx.get(u.resourceId);
    if (list) list.push(u);
    else idx.set(u.resourceId, [u]);
  }
  return idx;
}

/** Runs one rule on one resource and turns its verdict into a finding (or nothing). */
export function evaluateRule(
  active: ActiveRule,
  resource: Resource,
  usage: readonly UsageSeries[],
  now: Date,
  prices: PriceBook,
): { result: RuleResult; finding?: Finding } {
  const result = active.rule.evaluate({ resource, usage, settings: active.settings as never, now, prices });
  if (result.state !== 'violation' && result.state !== 'unknown') return { result };
  const base = {
    id: findingId(active.rule.id, resource.id),
    ruleId: active.rule.id,
    cloud: resource.cloud,
    scopeId: resource.scope.id,
    region: resource.region,
    resource: refOf(resource),
    title: result.title,
    evidence: result.evidence,
    detectedAt: now,
  };
  const finding: Finding =
    result.state === 'violation'
      ? {
          ...base,
          state: 'violation',
          confidence: result.confidence,
          ...(result.waste ? { waste: result.waste } : {}),
          ...(result.lastActivity ? { lastActivity: result.lastActivity } : {}),
          ...(result.notifyOnly ? { notifyOnly: result.notifyOnly } : {}),
          ...(result.parameters ? { parameters: result.parameters } : {}),
        }
      : { ...base, state: 'unknown' };
  return { result, finding };
}

/** A cost rule with the settings the policy gives it. */
export interface ActiveCostRule {
  readonly rule: CostRule<never>;
  readonly settings: unknown;
}

/** The cost rules to run and the configured budgets they judge. */
export interface CostDetection {
  readonly rules: readonly ActiveCostRule[];
  readonly budgets: readonly Budget[];
}

/** Failures that leave a scope's costs unread (the whole scope, or the cost query: Cost Explorer, Cost Management, the BigQuery billing export). */
function costProblems(c: Collection): string[] {
  return c.failures.filter((f) => f.operation === 'provider' || f.operation === 'collect' || f.operation.startsWith('ce:GetCostAndUsage') || f.operation.startsWith('costmanagement:Query_Usage') || f.operation.startsWith('bigquery:jobs.query')).map((f) => `${f.operation}: ${f.message}`);
}

/** Runs the cost rules once over every collection: budgets span scopes. */
export function detectCosts(collections: readonly Collection[], cost: CostDetection, now: Date, prices: PriceBook): Finding[] {
  const scopes: CostScope[] = collections.map((c) => ({ scope: c.scope, costProblems: costProblems(c) }));
  const input = {
    costs: collections.flatMap((c) => c.costs),
    cloudBudgets: collections.flatMap((c) => c.budgets),
    budgets: cost.budgets,
    forecasts: collections.flatMap((c) => c.forecasts ?? []),
    anomalies: collections.flatMap((c) => c.anomalies ?? []),
    commitments: collections.flatMap((c) => c.commitments ?? []),
    scopes,
    now,
    prices,
  };
  return cost.rules.flatMap((r) => r.rule.evaluate({ ...input, settings: r.settings as never }));
}

/** What the scan tells detection about the resources it collected. */
export interface DetectHooks {
  /** Why a rule does not judge a resource this scan (its usage was not read: activity watermark), or undefined when it does. */
  readonly notJudged?: (resource: Resource, ruleId: string) => string | undefined;
  /**
   * For a resource not judged this scan (`notJudged`), the violation a rule found when it last read
   * its usage (a flagged resource), reported again in its place; undefined when there is none.
   */
  readonly carried?: (resource: Resource, ruleId: string) => Finding | undefined;
  /** Told every verdict, e.g. to set activity watermarks. */
  readonly onResult?: (resource: Resource, ruleId: string, result: RuleResult) => void;
}

/** What judging one collection found: its failures and violations, and the verdicts that found nothing. */
export interface CollectionVerdicts {
  readonly findings: Finding[];
  readonly evaluated: number;
  readonly ok: number;
  readonly notApplicable: number;
  readonly notJudged: { resource: string; ruleId: string; reason: string }[];
}

/**
 * One collection → its findings: failures become `collection-failed` findings, never silence;
 * every resource is judged by the rules of its kind on its own usage series. Reads nothing but
 * the collection: a scan judges each scope as soon as it is read and drops its usage series.
 */
export function judgeCollection(c: Collection, rules: readonly ActiveRule[], now: Date, prices: PriceBook, hooks: DetectHooks = {}): CollectionVerdicts {
  const findings: Finding[] = [];
  let evaluated = 0;
  let ok = 0;
  let notApplicable = 0;
  const notJudged: { resource: string; ruleId: string; reason: string }[] = [];
  for (const f of c.failures) {
    findings.push({
      id: `${COLLECTION_FAILED}:${c.scope.cloud}:${c.scope.id}:${f.region ?? '*'}:${f.operation}`,
      ruleId: COLLECTION_FAILED,
      state: 'failure',
      cloud: c.scope.cloud,
      scopeId: c.scope.id,
      ...(f.region ? { region: f.region } : {}),
      title: `could not read ${f.operation} in ${c.scope.cloud} ${c.scope.name ?? c.scope.id}${f.region ? ` ${f.region}` : ''}`,
      evidence: [f.message, 'findings of this scope may be incomplete; other scopes are unaffected'],
      detectedAt: now,
    });
  }
  const byResource = usageIndex(c.usage);
  for (const r of c.resources) {
    for (const active of rules) {
      if (!active.rule.kinds.includes(r.kind)) continue;
      evaluated++;
      // A resource whose usage was not read is not judged on missing series: it is listed as not judged.
      const skipped = hooks.notJudged?.(r, active.rule.id);
      if (skipped) {
        const last = hooks.carried?.(r, active.rule.id);
        if (last) {
          findings.push(last);
          continue;
        }
        notApplicable++;
        notJudged.push({ resource: r.name, ruleId: active.rule.id, reason: skipped });
        continue;
      }
      const { result, finding } = evaluateRule(active, r, byResource.get(r.id) ?? [], now, prices);
      hooks.onResult?.(r, active.rule.id, result);
      if (finding) findings.push(finding);
      else if (result.state === 'ok') ok++;
      else {
        notApplicable++;
        if (result.state === 'not-applicable') notJudged.push({ resource: r.name, ruleId: active.rule.id, reason: result.reason });
      }
    }
  }
  return { findings, evaluated, ok, notApplicable, notJudged };
}

/** The verdicts of several collections, in their order, as one list of findings and one count. */
export function mergeVerdicts(verdicts: readonly CollectionVerdicts[]): { findings: Finding[]; stats: DetectStats } {
  const findings: Finding[] = [];
  const notJudged: { resource: string; ruleId: string; reason: string }[] = [];
  let evaluated = 0;
  let ok = 0;
  let notApplicable = 0;
  for (const v of verdicts) {
    for (const f of v.findings) findings.push(f);
    for (const n of v.notJudged) notJudged.push(n);
    evaluated += v.evaluated;
    ok += v.ok;
    notApplicable += v.notApplicable;
  }
  return { findings, stats: { evaluated, ok, notApplicable, notJudged } };
}

/** Collections → findings: each collection judged (`judgeCollection`), then the cost rules over them all. */
export function detect(
  collections: readonly Collection[],
  rules: readonly ActiveRule[],
  now: Date,
  prices: PriceBook,
  cost?: CostDetection,
  hooks: DetectHooks = {},
): { findings: Finding[]; stats: DetectStats } {
  const { findings, stats } = mergeVerdicts(collections.map((c) => judgeCollection(c, rules, now, prices, hooks)));
  if (cost) findings.push(...detectCosts(collections, cost, now, prices));
  return { findings, stats };
}
