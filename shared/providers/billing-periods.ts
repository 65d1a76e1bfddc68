import type { BudgetPeriod } from '../domain/budget.js';
import type { CostRecord } from '../domain/cost.js';
import type { CostForecast } from '../domain/cost-signals.js';

/*
 * Calendar arithmetic and cache revivers every cloud's billing reader shares: budget periods in UTC,
 * and cost records and forecasts read back from the JSON cache with their dates.
 */

export function startOfPeriod(period: BudgetPeriod, now: Date): number {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return period === 'monthly' ? Date.UTC(y, m, 1) : period === 'quarterly' ? Date.UTC(y, Math.floor(m / 3) * 3, 1) : Date.UTC(y, 0, 1);
}

export function endOfPeriod(period: BudgetPeriod, now: Date): number {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return period === 'monthly' ? Date.UTC(y, m + 1, 1) : period === 'quarterly' ? Date.UTC(y, Math.floor(m / 3) * 3 + 3, 1) : Date.UTC(y + 1, 0, 1);
}

export function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function reviveRecords(raw: unknown): CostRecord[] {
  if (!Array.isArray(raw)) throw new TypeError('cached cost records are not a list');
  return (raw as (CostRecord & { ChargePeriodStart: string; ChargePeriodEnd: string })[]).map((r) => ({ ...r, ChargePeriodStart: new Date(r.ChargePeriodStart), ChargePeriodEnd: new Date(r.ChargePeriodEnd) }));
}

export function reviveForecast(raw: unknown): CostForecast {
  const f = raw as CostForecast & { period: { start: string; end: string } };
  return { ...f, period: { start: new Date(f.period.start), end: new Date(f.period.end) } };
}
