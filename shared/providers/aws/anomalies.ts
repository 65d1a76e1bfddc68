import type { Anomaly, CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { clientOf, costExplorerSdk, type ClientRef } from './sdk.js';
import type { AnomalyRootCause, CostAnomaly } from '../../domain/cost-signals.js';
import { money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';

/** Reads every anomaly whose end (or today, while ongoing) falls in [start, end] (YYYY-MM-DD). */
export async function readAnomalies(ref: ClientRef<CostExplorerClient>, q: { scopeId: string; start: string; end: string; currency: string }): Promise<CostAnomaly[]> {
  const [{ GetAnomaliesCommand }, ce] = await Promise.all([costExplorerSdk(), clientOf(ref)]);
  const out: CostAnomaly[] = [];
  let token: string | undefined;
  do {
    const page = await ce.send(new GetAnomaliesCommand({ DateInterval: { StartDate: q.start, EndDate: q.end }, MaxResults: 100, NextPageToken: token }));
    for (const a of page.Anomalies ?? []) out.push(anomalyFromApi(a, q.scopeId, q.currency));
    token = page.NextPageToken;
  } while (token);
  return out;
}

/**
 * A GetAnomalies entry as a domain anomaly. The API gives impacts without a unit; Cost Anomaly
 * Detection reports US dollars (as its notifications, read in shared/events/aws-anomaly.ts).
 * Notifications name the dimension `dimensionalValue` (SNS) or `dimensionValue` (EventBridge);
 * the API's field is `DimensionValue`.
 */
export function anomalyFromApi(a: Anomaly, scopeId: string, currency: string): CostAnomaly {
  if (!a.AnomalyId || !a.AnomalyStartDate) throw new ProviderError('Cost Explorer answered an anomaly without AnomalyId or AnomalyStartDate', { cloud: 'aws', scopeId, operation: 'GetAnomalies' });
  const i = a.Impact;
  return {
    cloud: 'aws',
    scopeId,
    id: a.AnomalyId,
    start: date(a.AnomalyStartDate),
    ...(a.AnomalyEndDate ? { end: date(a.AnomalyEndDate) } : {}),
    ...(a.DimensionValue ? { dimensionValue: a.DimensionValue } : {}),
    ...(a.MonitorArn ? { monitorArn: a.MonitorArn, monitorName: a.MonitorArn.split('/').at(-1)! } : {}),
    totalImpact: money(i?.TotalImpact ?? i?.MaxImpact ?? 0, currency),
    ...(i?.TotalActualSpend !== undefined ? { totalActual: money(i.TotalActualSpend, currency) } : {}),
    ...(i?.TotalExpectedSpend !== undefined ? { totalExpected: money(i.TotalExpectedSpend, currency) } : {}),
    ...(i?.TotalImpactPercentage !== undefined ? { impactPercent: i.TotalImpactPercentage } : {}),
    ...(a.AnomalyScore?.MaxScore !== undefined ? { maxScore: a.AnomalyScore.MaxScore } : {}),
    rootCauses: (a.RootCauses ?? []).map(
      (c): AnomalyRootCause => ({
        ...(c.Service ? { service: c.Service } : {}),
        ...(c.Region ? { region: c.Region } : {}),
        ...(c.LinkedAccount ? { accountId: c.LinkedAccount } : {}),
        ...(c.LinkedAccountName ? { accountName: c.LinkedAccountName } : {}),
        ...(c.UsageType ? { usageType: c.UsageType } : {}),
        ...(c.Impact?.Contribution !== undefined ? { contribution: money(c.Impact.Contribution, currency) } : {}),
      }),
    ),
  };
}

function date(text: string): Date {
  // Anomaly dates come as 2023-04-05T00:00:00Z or as a bare day.
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(t)) throw new ProviderError(`Cost Explorer answered an anomaly date that is not a date: ${JSON.stringify(text)}`, { cloud: 'aws', operation: 'GetAnomalies' });
  return new Date(t);
}
