import type { Finding } from '../domain/finding.js';
import { formatMoney } from '../domain/money.js';
import { budgetFindingId, CLOUD_BUDGET_LABEL, judgesThresholds, CLOUD_BUDGET_SERVICE, budgetStatuses, day, highestCrossed, percentOf, statusEvidence } from './budget-status.js';
import type { CostRule } from './types.js';
import type { BudgetStatus } from './budget-status.js';

/** Where a configured budget's forecast of the rest came from: each cloud's forecast names its source. */
function forecastSources(s: BudgetStatus): string {
  return s.forecastSources && s.forecastSources.length > 0 ? s.forecastSources.join(' + ') : 'AWS Cost Explorer GetCostForecast';
}

/** Settings of forecast-breach: the common rule settings only. */
export type ForecastBreachSettings = Record<string, unknown>;

/**
 * `forecast-breach`: spend so far plus the cloud's forecast of the rest of the period reaches
 * one of a configured budget's forecast thresholds (one finding, at the highest crossed), or an
 * AWS budget's forecast passes its limit. A threshold the actual spend already reached is
 * budget-breach's to report, not forecast-breach's.
 */
export const forecastBreach: CostRule<ForecastBreachSettings> = {
  id: 'forecast-breach',
  reads: ['costs', 'budgets', 'forecasts'],
  title: 'Budget forecast to be breached',
  explanation: 'At the current pace, spend will pass a budget threshold before the period ends.',
  severity: 'medium',
  evaluate(input): Finding[] {
    const out: Finding[] = [];
    for (const s of budgetStatuses(input)) {
      if (s.problem || !s.actual || !s.forecast) continue;
      const b = s.budget;
      const thresholds = judgesThresholds(s) ? b.forecastThresholds : [100];
      const already = highestCrossed(s.actual, b.limit, thresholds) ?? 0;
      const crossed = highestCrossed(s.forecast, b.limit, thresholds.filter((t) => t > already));
      if (crossed === undefined) continue;
      const pct = percentOf(s.forecast, b.limit);
      const end = day(new Date(s.period.end.getTime() - 86_400_000));
      const name = s.source === 'config' ? `budget ${b.name}` : `${CLOUD_BUDGET_LABEL[s.source]} ${b.name} (${s.scopeId})`;
      out.push({
        id: budgetFindingId('forecast-breach', s, crossed),
        ruleId: 'forecast-breach',
        state: 'violation',
        cloud: s.cloud,
        scopeId: s.scopeId,
        title:
          judgesThresholds(s)
            ? `${name}: forecast ${formatMoney(s.forecast)} by ${end} is ${pct}% of ${formatMoney(b.limit)}, past its ${crossed}% threshold`
            : `${name}: forecast ${formatMoney(s.forecast)} by ${end} is over its ${formatMoney(b.limit)} limit (${pct}%)`,
        evidence: [
          `limit ${formatMoney(b.limit)}; spent ${formatMoney(s.actual)} (${percentOf(s.actual, b.limit)}%); forecast for the period ${formatMoney(s.forecast)} (${pct}%)` +
            (judgesThresholds(s) ? `; thresholds ${thresholds.map((t) => `${t}%`).join(', ')}` : `; as ${CLOUD_BUDGET_SERVICE[s.source as keyof typeof CLOUD_BUDGET_SERVICE]} reports it`),
          ...(s.source === 'config' ? [`forecast = spend so far + ${forecastSources(s)} for the rest of the period`] : []),
          ...statusEvidence(s),
          ...s.forecastNotes,
        ],
        budget: {
          budgetName: b.name,
          source: s.source,
          kind: 'forecast',
          period: s.period,
          limit: b.limit,
          actual: s.actual,
          forecast: s.forecast,
          thresholdPercent: crossed,
          drivers: s.drivers,
        },
        detectedAt: input.now,
      });
    }
    return out;
  },
};
