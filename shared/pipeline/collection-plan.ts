import { BILLING_SIGNALS, type BillingSignal } from '../domain/cost-signals.js';
import { RESOURCE_FACTS, USAGE_SIGNALS, type ResourceFact, type UsageSignal } from '../domain/usage.js';
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
  const facts = new Map<string, Set<ResourceFact>>();
  for (const { rule } of rules) {
    for (const kind of rule.kinds) {
      if (rule.facts && rule.facts.length > 0) {
        const f = facts.get(kind) ?? new Set<ResourceFact>();
        for (const x of rule.facts) f.add(x);
        facts.set(kind, f);
      }
      const signals = kinds.get(kind) ?? new Set<UsageSignal>();
      for (const s of rule.signals ?? USAGE_SIGNALS) signals.add(s);
      kinds.set(kind, signals);
    }
  }
  const billing = new Set<BillingSignal>();
  for (const { rule } of costRules) {
    for (const b of rule.reads ?? BILLING_SIGNALS) billing.add(b);
    // Listed for the billing reads, with no usage signal unless a resource rule reads one.
    for (const kind of rule.lists ?? []) if (!kinds.has(kind)) kinds.set(kind, new Set<UsageSignal>());
  }
  return {
    kinds: Object.fromEntries([...kinds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, USAGE_SIGNALS.filter((x) => s.has(x))])),
    billing: BILLING_SIGNALS.filter((b) => billing.has(b)),
    // Only when a rule reads facts, so plans of scans without one stay as they were.
    ...(facts.size > 0 ? { facts: Object.fromEntries([...facts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, RESOURCE_FACTS.filter((x) => s.has(x))])) } : {}),
  };
}

/** The plan in words, for logs and the report: `aws.sagemaker.endpoint (requests, heartbeat); costs, budgets`. */
export function describePlan(plan: CollectionPlan): string {
  const kinds = Object.entries(plan.kinds).map(([k, s]) => {
    const read = [...s, ...(plan.facts?.[k] ?? [])];
    return `${k}${read.length > 0 ? ` (${read.join(', ')})` : ''}`;
  });
  return [kinds.join(', ') || 'no resource kind', plan.billing.length > 0 ? plan.billing.join(', ') : 'no billing data'].join('; ');
}
