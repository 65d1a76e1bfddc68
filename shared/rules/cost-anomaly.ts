import type { CostAnomaly } from '../domain/cost-signals.js';
import type { CostDriver, Finding } from '../domain/finding.js';
import { formatMoney } from '../domain/money.js';
import { day } from './budget-status.js';
import type { CostRule } from './types.js';

/** Settings of cost-anomaly. */
export interface CostAnomalySettings {
  /** Anomalies with a smaller total impact (in their own currency) are not reported. */
  readonly minImpact: number;
}

/**
 * `cost-anomaly`: spend the cloud's anomaly detection flagged (AWS Cost Anomaly Detection),
 * with a total impact of at least `minImpact`; its root causes are the drivers. One finding per
 * anomaly, however many scopes reported it.
 */
export const costAnomaly: CostRule<CostAnomalySettings> = {
  id: 'cost-anomaly',
  reads: ['anomalies'],
  title: 'Cost anomaly',
  explanation: "The cloud's anomaly detection flagged spend well above what it expected.",
  severity: 'medium',
  evaluate({ anomalies, settings, now }): Finding[] {
    const seen = new Set<string>();
    const out: Finding[] = [];
    for (const a of anomalies) {
      if (seen.has(`${a.cloud}:${a.id}`)) continue;
      seen.add(`${a.cloud}:${a.id}`);
      if (a.totalImpact.amount < settings.minImpact) continue;
      out.push(toFinding(a, settings, now));
    }
    return out;
  },
};

function toFinding(a: CostAnomaly, settings: CostAnomalySettings, now: Date): Finding {
  const what = a.dimensionValue ?? a.rootCauses[0]?.service ?? a.monitorName ?? 'spend';
  const pct = a.impactPercent !== undefined ? ` (+${Math.round(a.impactPercent)}%)` : '';
  const drivers: CostDriver[] = [];
  const evidence = [
    `impact ${formatMoney(a.totalImpact)}${pct} from ${day(a.start)}${a.end ? ` to ${day(a.end)}` : ', still going on'}; reported from ${settings.minImpact} up`,
  ];
  if (a.totalActual && a.totalExpected) evidence.push(`actual ${formatMoney(a.totalActual)} where ${formatMoney(a.totalExpected)} was expected`);
  if (a.monitorName) evidence.push(`monitor ${a.monitorName}${a.maxScore !== undefined ? `, anomaly score ${a.maxScore}` : ''}`);
  a.rootCauses.forEach((c, i) => {
    const parts = [c.service, c.region, c.accountId ? `account ${c.accountId}${c.accountName ? ` (${c.accountName})` : ''}` : undefined, c.usageType].filter(Boolean);
    evidence.push(`root cause ${i + 1}: ${parts.join(', ')}${c.contribution ? ` — ${formatMoney(c.contribution)}` : ''}`);
    // A single cause explains the whole impact even when the cloud states no contribution.
    const amount = c.contribution ?? (a.rootCauses.length === 1 ? a.totalImpact : undefined);
    if (!amount) return;
    if (c.service) drivers.push({ by: 'service', key: c.service, amount });
    else if (c.accountId) drivers.push({ by: 'account', key: c.accountId, amount });
    else if (c.region) drivers.push({ by: 'region', key: c.region, amount });
  });
  if (a.link) evidence.push(`details: ${a.link}`);
  const accounts = [...new Set(a.rootCauses.map((c) => c.accountId).filter((x): x is string => Boolean(x)))];
  return {
    id: `cost-anomaly:${a.cloud}:${a.id}`,
    ruleId: 'cost-anomaly',
    state: 'violation',
    cloud: a.cloud,
    scopeId: accounts.length === 1 ? accounts[0]! : a.scopeId,
    title: `cost anomaly in ${what}: ${formatMoney(a.totalImpact)} above expected${pct} since ${day(a.start)}`,
    evidence,
    budget: {
      budgetName: a.monitorName ?? a.id,
      source: 'aws-anomaly',
      kind: 'anomaly',
      period: { start: a.start, end: a.end ?? now },
      ...(a.totalActual ? { actual: a.totalActual } : {}),
      drivers: drivers.sort((x, y) => y.amount.amount - x.amount.amount).slice(0, 5),
    },
    detectedAt: now,
  };
}
