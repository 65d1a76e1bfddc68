import { BILLING_SIGNALS, type BillingSignal } from '../domain/cost-signals.js';
import { USAGE_SIGNALS, type UsageSignal } from '../domain/usage.js';
import type { CollectionPlan } from '../providers/port.js';
import type { ActiveCostRule, ActiveRule } from './detect.js';

/**
 * What a scan running these rules must read, and nothing more: each resource rule names the kinds
 * it judges and the usage signals it reads (a rule that names none reads every signal), each cost
 * rule the billing data it reads (all when it names none). A kind no rule judges is not listed; a
 * signal no rule of a kind reads is not queried for it; billing data no cost rule reads is not read.
 */
export function collectionPlan(rules: readonly ActiveRule[], costRules: readonly ActiveCostRule[] = []): CollectionPlan {
  const kinds = new Map<string, Set<UsageSignal>>();
  for (const { rule } of rules) {
    for (const kind of rule.kinds) {
      const signals = kinds.get(kind) ?? new Set<UsageSignal>();
      for (const s of rule.signals ?? USAGE_SIGNALS) signals.add(s);
      kinds.set(kind, signals);
    }
  }
  const billing = new Set<BillingSignal>();
  for (const { rule } of costRules) for (const b of rule.reads ?? BILLING_SIGNALS) billing.add(b);
  return {
    kinds: Object.fromEntries([...kinds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, USAGE_SIGNALS.filter((x) => s.has(x))])),
    billing: BILLING_SIGNALS.filter((b) => billing.has(b)),
  };
}

/** The plan in words, for logs and the report: `aws.sagemaker.endpoint (requests, heartbeat); costs, budgets`. */
export function describePlan(plan: CollectionPlan): string {
  const kinds = Object.entries(plan.kinds).map(([k, s]) => `${k}${s.length > 0 ? ` (${s.join(', ')})` : ''}`);
  return [kinds.join(', ') || 'no resource kind', plan.billing.length > 0 ? plan.billing.join(', ') : 'no billing data'].join('; ');
}
