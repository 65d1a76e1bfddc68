import type { Budget as ConsumptionBudget, BudgetFilterProperties, ConsumptionManagementClient } from '@azure/arm-consumption';
import type { Budget, BudgetPeriod } from '../../domain/budget.js';
import { money, type Money } from '../../domain/money.js';

/*
 * A subscription's Azure budgets, read with `@azure/arm-consumption` (Budgets_List at the
 * subscription scope, api-version 2021-10-01): each budget carries Azure's own `currentSpend`
 * and `forecastSpend`, so one call per subscription gives both budget-breach and forecast-breach
 * their figures. (Cost Management's own budgets API is not in the installed
 * `@azure/arm-costmanagement`, whose 2022-10-01 surface has no budgets operation.)
 */

const PERIODS: Readonly<Record<string, BudgetPeriod>> = {
  monthly: 'monthly',
  billingmonth: 'monthly',
  quarterly: 'quarterly',
  billingquarter: 'quarterly',
  annually: 'yearly',
  billingannual: 'yearly',
};

/** Budget filter dimensions that name what costwatch calls a service. */
const SERVICE_DIMENSIONS = ['metercategory', 'servicename'];

/** Reads a subscription's budgets; those costwatch cannot judge are named in `skipped` with the reason. */
export async function readAzureBudgets(client: ConsumptionManagementClient, subscriptionId: string): Promise<{ budgets: Budget[]; skipped: string[] }> {
  const budgets: Budget[] = [];
  const skipped: string[] = [];
  for await (const b of client.budgets.list(`subscriptions/${subscriptionId}`)) {
    const r = budgetFromAzure(b, subscriptionId);
    if (typeof r === 'string') skipped.push(r);
    else budgets.push(r);
  }
  return { budgets, skipped };
}

/**
 * An Azure budget as a domain budget, judged against its own amount (100 % thresholds) with the
 * spend Azure computed. Only cost budgets with a monthly, quarterly or annual grain (calendar or
 * billing) and a current spend are; for the others the reason is returned instead.
 */
export function budgetFromAzure(b: ConsumptionBudget, subscriptionId: string): Budget | string {
  const name = b.name ?? '(unnamed)';
  if (b.category !== undefined && b.category.toLowerCase() !== 'cost') return `${name}: a ${b.category} budget, not a cost budget`;
  const period = PERIODS[(b.timeGrain ?? '').toLowerCase()];
  if (!period) return `${name}: time grain ${b.timeGrain ?? '(none)'} is not monthly, quarterly or annual`;
  const actual = spend(b.currentSpend);
  if (b.amount === undefined || !Number.isFinite(b.amount) || b.amount <= 0 || !actual) return `${name}: no amount or current spend`;
  const forecast = spend(b.forecastSpend);
  if (forecast && forecast.currency !== actual.currency) return `${name}: current spend in ${actual.currency} but forecast in ${forecast.currency}`;
  const parts: BudgetFilterProperties[] = [...(b.filter?.and ?? []), ...(b.filter?.dimensions || b.filter?.tags ? [{ ...(b.filter.dimensions ? { dimensions: b.filter.dimensions } : {}), ...(b.filter.tags ? { tags: b.filter.tags } : {}) }] : [])];
  const services: string[] = [];
  const tags: Record<string, string> = {};
  let tagsUsable = true;
  for (const p of parts) {
    if (p.dimensions && SERVICE_DIMENSIONS.includes(p.dimensions.name.toLowerCase())) services.push(...p.dimensions.values);
    // A tag filter on several values is an OR costwatch cannot express as one tag condition.
    if (p.tags) {
      if (p.tags.values.length === 1) tags[p.tags.name] = p.tags.values[0]!;
      else tagsUsable = false;
    }
  }
  return {
    name,
    limit: money(b.amount, actual.currency),
    period,
    scope: {
      clouds: ['azure'],
      scopeIds: [subscriptionId],
      ...(services.length > 0 ? { services } : {}),
      ...(tagsUsable && Object.keys(tags).length > 0 ? { tags } : {}),
    },
    actualThresholds: [100],
    forecastThresholds: [100],
    actual,
    ...(forecast ? { forecast } : {}),
  };
}

function spend(s: { amount?: number; unit?: string } | undefined): Money | undefined {
  if (s?.amount === undefined || !s.unit) return undefined;
  return Number.isFinite(s.amount) && /^[A-Z]{3}$/.test(s.unit) ? money(s.amount, s.unit) : undefined;
}
