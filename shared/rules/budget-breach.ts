import type { Finding } from '../domain/finding.js';
import { formatMoney } from '../domain/money.js';
import { budgetFindingId, CLOUD_BUDGET_LABEL, judgesThresholds, CLOUD_BUDGET_SERVICE, budgetStatuses, highestCrossed, percentOf, statusEvidence, type BudgetStatus } from './budget-status.js';
import type { CostRule } from './types.js';

/** Settings of budget-breach: the common rule settings only. */
export type BudgetBreachSettings = Record<string, unknown>;

/**
 * `budget-breach`: actual spend of the period reached one of a configured budget's actual
 * thresholds (one finding, at the highest threshold crossed), or an AWS budget's own limit.
 * A budget whose spend cannot be read or compared is reported as unknown, never as fine.
 */
export const budgetBreach: CostRule<BudgetBreachSettings> = {
  id: 'budget-breach',
  reads: ['costs', 'budgets', 'forecasts'],
  title: 'Budget breached',
  explanation: 'Spend so far this period has reached a budget threshold.',
  severity: 'high',
  evaluate(input): Finding[] {
    const out: Finding[] = [];
    for (const s of budgetStatuses(input)) {
      if (s.problem) {
        out.push(unknown(s, input.now));
        continue;
      }
      if (!s.actual) continue;
      const b = s.budget;
      const thresholds = judgesThresholds(s) ? b.actualThresholds : [100];
      const crossed = highestCrossed(s.actual, b.limit, thresholds);
      if (crossed === undefined) continue;
      const pct = percentOf(s.actual, b.limit);
      const name = s.source === 'config' ? `budget ${b.name}` : `${CLOUD_BUDGET_LABEL[s.source]} ${b.name} (${s.scopeId})`;
      out.push({
        id: budgetFindingId('budget-breach', s, crossed),
        ruleId: 'budget-breach',
        state: 'violation',
        cloud: s.cloud,
        scopeId: s.scopeId,
        title:
          judgesThresholds(s)
            ? `${name}: ${formatMoney(s.actual)} of ${formatMoney(b.limit)} spent (${pct}%), past its ${crossed}% threshold`
            : `${name}: actual ${formatMoney(s.actual)} is over its ${formatMoney(b.limit)} limit (${pct}%)`,
        evidence: [
          `limit ${formatMoney(b.limit)}; actual ${formatMoney(s.actual)} (${pct}%); ${judgesThresholds(s) ? `thresholds ${thresholds.map((t) => `${t}%`).join(', ')}` : `as ${CLOUD_BUDGET_SERVICE[s.source as keyof typeof CLOUD_BUDGET_SERVICE]} reports it`}`,
          ...statusEvidence(s),
        ],
        budget: {
          budgetName: b.name,
          source: s.source,
          kind: 'actual',
          period: s.period,
          limit: b.limit,
          actual: s.actual,
          ...(s.forecast ? { forecast: s.forecast } : {}),
          thresholdPercent: crossed,
          drivers: s.drivers,
        },
        detectedAt: input.now,
      });
    }
    return out;
  },
};

function unknown(s: BudgetStatus, now: Date): Finding {
  return {
    id: budgetFindingId('budget-breach', s, 'unknown'),
    ruleId: 'budget-breach',
    state: 'unknown',
    cloud: s.cloud,
    scopeId: s.scopeId,
    title: `${s.source === 'gcp-budget' ? 'Google Cloud budget' : 'budget'} ${s.budget.name}: spend cannot be judged — ${s.problem ?? 'unknown'}`,
    evidence: [`limit ${formatMoney(s.budget.limit)}`, ...statusEvidence(s)],
    budget: { budgetName: s.budget.name, source: s.source, kind: 'actual', period: s.period, limit: s.budget.limit, drivers: [] },
    detectedAt: now,
  };
}
