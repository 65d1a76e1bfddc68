import type { Budget as AwsBudget, BudgetsClient } from '@aws-sdk/client-budgets';
import { clientOf, budgetsSdk, type ClientRef } from './sdk.js';
import type { Budget, BudgetPeriod } from '../../domain/budget.js';
import { money, type Money } from '../../domain/money.js';

const PERIODS: Readonly<Record<string, BudgetPeriod>> = { MONTHLY: 'monthly', QUARTERLY: 'quarterly', ANNUALLY: 'yearly' };

/** Reads an account's AWS budgets; those costwatch cannot judge are named in `skipped` with the reason. */
export async function readBudgets(ref: ClientRef<BudgetsClient>, accountId: string): Promise<{ budgets: Budget[]; skipped: string[] }> {
  const [{ DescribeBudgetsCommand }, client] = await Promise.all([budgetsSdk(), clientOf(ref)]);
  const budgets: Budget[] = [];
  const skipped: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeBudgetsCommand({ AccountId: accountId, MaxResults: 100, NextToken: token }));
    for (const b of page.Budgets ?? []) {
      const r = budgetFromApi(b, accountId);
      if (typeof r === 'string') skipped.push(r);
      else budgets.push(r);
    }
    token = page.NextToken;
  } while (token);
  return { budgets, skipped };
}

/**
 * An AWS budget as a domain budget, judged against its own limit (100 % thresholds). Only cost
 * budgets with a monthly, quarterly or annual period and a spend figure are; for the others the
 * reason is returned instead.
 */
export function budgetFromApi(b: AwsBudget, accountId: string): Budget | string {
  const name = b.BudgetName ?? '(unnamed)';
  if (b.BudgetType !== undefined && b.BudgetType !== 'COST') return `${name}: a ${b.BudgetType} budget, not a cost budget`;
  const period = PERIODS[b.TimeUnit ?? ''];
  if (!period) return `${name}: period ${b.TimeUnit ?? '(none)'} is not monthly, quarterly or annual`;
  const limit = spend(b.BudgetLimit);
  const actual = spend(b.CalculatedSpend?.ActualSpend);
  if (!limit || !actual) return `${name}: no limit or actual spend`;
  const forecast = spend(b.CalculatedSpend?.ForecastedSpend);
  const filters = b.CostFilters ?? {};
  const tags: Record<string, string> = {};
  for (const kv of filters['TagKeyValue'] ?? []) {
    const m = /^user:([^$]+)\$(.*)$/.exec(kv);
    if (m) tags[m[1]!] = m[2]!;
  }
  // A filter on several values of one tag is an OR costwatch cannot express as one tag condition.
  const tagsUsable = (filters['TagKeyValue'] ?? []).length === Object.keys(tags).length;
  return {
    name,
    limit,
    period,
    scope: {
      clouds: ['aws'],
      scopeIds: [accountId],
      ...(filters['Service']?.length ? { services: [...filters['Service']] } : {}),
      ...(tagsUsable && Object.keys(tags).length > 0 ? { tags } : {}),
    },
    actualThresholds: [100],
    forecastThresholds: [100],
    actual,
    ...(forecast ? { forecast } : {}),
  };
}

function spend(s: { Amount?: string; Unit?: string } | undefined): Money | undefined {
  if (!s?.Amount || !s.Unit) return undefined;
  const x = Number(s.Amount);
  return Number.isFinite(x) && /^[A-Z]{3}$/.test(s.Unit) ? money(x, s.Unit) : undefined;
}
