import type { Budget as AwsBudget, DescribeBudgetsResponse } from '@aws-sdk/client-budgets';
import { z } from 'zod';
import type { CostRecord } from '../../domain/cost.js';
import type { BudgetSpec } from './world-cost.js';
import type { BillingCallContext } from './cost-explorer.js';
import { decodeToken, encodeToken, parseInput } from './protocol.js';
import { ServiceError } from './service-error.js';

/*
 * AWS Budgets (JSON 1.1, `X-Amz-Target: AWSBudgetServiceGateway.<Op>`). A budget's actual spend
 * defaults to the account's cost rows of the current period that pass its CostFilters (today's
 * included, as AWS Budgets does); its forecast to that plus the average day of the last seven for
 * each day left.
 */

const DAY_MS = 86_400_000;

const describeBudgetsInput = z.object({
  AccountId: z.string().regex(/^\d{12}$/, 'Member must satisfy regular expression pattern: \\d{12}'),
  MaxResults: z.number().int().min(1).max(1000).optional(),
  NextToken: z.string().optional(),
  ShowFilterExpression: z.boolean().optional(),
});

const describeBudgetInput = z.object({ AccountId: z.string(), BudgetName: z.string().min(1), ShowFilterExpression: z.boolean().optional() });

type Out<T> = Omit<T, '$metadata'>;

function periodOf(unit: BudgetSpec['timeUnit'], now: number): { start: number; end: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (unit) {
    case 'DAILY': {
      const start = Math.floor(now / DAY_MS) * DAY_MS;
      return { start, end: start + DAY_MS };
    }
    case 'MONTHLY':
      return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
    case 'QUARTERLY': {
      const q = Math.floor(m / 3) * 3;
      return { start: Date.UTC(y, q, 1), end: Date.UTC(y, q + 3, 1) };
    }
    case 'ANNUALLY':
      return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
  }
}

/** Whether a cost row passes a budget's CostFilters (Service, LinkedAccount, Region, TagKeyValue). */
export function passesBudgetFilters(r: CostRecord, filters: Readonly<Record<string, readonly string[]>>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (key === 'Service' && !values.includes(r.ServiceName ?? '')) return false;
    if (key === 'LinkedAccount' && !values.includes(r.SubAccountId ?? '')) return false;
    if (key === 'Region' && !values.includes(r.RegionId ?? '')) return false;
    if (key === 'TagKeyValue') {
      const ok = values.some((v) => {
        const m = /^user:([^$]+)\$(.*)$/.exec(v);
        return m !== null && (r.Tags[m[1]!] ?? '') === m[2];
      });
      if (!ok) return false;
    }
  }
  return true;
}

function budgetOf(ctx: BillingCallContext, b: BudgetSpec): AwsBudget {
  const a = ctx.account;
  const unit = b.currency ?? a.currency;
  const p = periodOf(b.timeUnit, ctx.now);
  const today = Math.floor(ctx.now / DAY_MS) * DAY_MS;
  const rows = a.rows.filter((r) => r.BillingCurrency === unit && r.ChargePeriodStart.getTime() < ctx.now && passesBudgetFilters(r, b.filters));
  const inPeriod = rows.filter((r) => r.ChargePeriodStart.getTime() >= p.start);
  const actual = b.actual ?? inPeriod.reduce((s, r) => s + r.BilledCost, 0);
  let forecast = b.forecast;
  if (forecast === undefined) {
    const from = today - 7 * DAY_MS;
    const perDay = rows.filter((r) => r.ChargePeriodStart.getTime() >= from && r.ChargePeriodStart.getTime() < today).reduce((s, r) => s + r.BilledCost, 0) / 7;
    const beforeToday = inPeriod.filter((r) => r.ChargePeriodStart.getTime() < today).reduce((s, r) => s + r.BilledCost, 0);
    forecast = beforeToday + (perDay * (p.end - today)) / DAY_MS;
  }
  const money = (x: number) => ({ Amount: String(Math.round(x * 1000) / 1000), Unit: unit });
  return {
    BudgetName: b.name,
    BudgetLimit: { Amount: String(b.limit), Unit: unit },
    CostFilters: Object.fromEntries(Object.entries(b.filters).map(([k, v]) => [k, [...v]])),
    CostTypes: {
      IncludeTax: true,
      IncludeSubscription: true,
      UseBlended: false,
      IncludeRefund: true,
      IncludeCredit: true,
      IncludeUpfront: true,
      IncludeRecurring: true,
      IncludeOtherSubscription: true,
      IncludeSupport: true,
      IncludeDiscount: true,
      UseAmortized: false,
    },
    TimeUnit: b.timeUnit,
    TimePeriod: { Start: new Date(p.start), End: new Date(Date.UTC(2087, 5, 15)) },
    CalculatedSpend: { ActualSpend: money(actual), ForecastedSpend: money(forecast) },
    BudgetType: b.type,
    LastUpdatedTime: new Date(ctx.now),
  };
}

function checkAccount(ctx: BillingCallContext, accountId: string): void {
  if (accountId !== ctx.account.accountId) {
    throw new ServiceError('AccessDeniedException', 400, `You are not authorized to access budgets of account ${accountId}.`);
  }
}

function describeBudgets(ctx: BillingCallContext, body: unknown): Out<DescribeBudgetsResponse> {
  const input = parseInput(describeBudgetsInput, body);
  checkAccount(ctx, input.AccountId);
  const { NextToken, MaxResults, ...rest } = input;
  const fingerprint = JSON.stringify(rest);
  let offset = 0;
  if (NextToken !== undefined) {
    const o = decodeToken(NextToken, fingerprint);
    if (o === undefined) throw new ServiceError('InvalidNextTokenException', 400, 'Invalid NextToken.');
    offset = o;
  }
  const size = MaxResults ?? 100;
  const all = ctx.account.budgets;
  const next = offset + size < all.length ? encodeToken(offset + size, fingerprint) : undefined;
  return { Budgets: all.slice(offset, offset + size).map((b) => budgetOf(ctx, b)), ...(next ? { NextToken: next } : {}) };
}

function describeBudget(ctx: BillingCallContext, body: unknown): object {
  const input = parseInput(describeBudgetInput, body);
  checkAccount(ctx, input.AccountId);
  const b = ctx.account.budgets.find((x) => x.name === input.BudgetName);
  if (!b) throw new ServiceError('NotFoundException', 400, `Unable to get budget: ${input.BudgetName} - the budget doesn't exist.`);
  return { Budget: budgetOf(ctx, b) };
}

/** The AWS Budgets operations the sandbox serves. */
export const BUDGETS_OPERATIONS = {
  DescribeBudgets: describeBudgets,
  DescribeBudget: describeBudget,
} as const satisfies Record<string, (ctx: BillingCallContext, body: unknown) => object>;

