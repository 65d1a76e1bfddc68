import type { Budget } from '../domain/budget.js';
import { cloudOfProvider, type CostRecord } from '../domain/cost.js';
import type { Money } from '../domain/money.js';
import type { Cloud, Scope } from '../domain/resource.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { Collection } from '../providers/port.js';
import { budgetStatuses } from '../rules/budget-status.js';
import { TEAM_TAG_KEY } from '../savings/ledger.js';
import type { StateStore } from '../store/port.js';

/*
 * What the weekly digest needs of the clouds' cost data, written by each scan into the store so
 * the digest function reads no cloud API: per scope, the daily spend (total, per service, per team
 * tag) and its budgets as that scan judged them. Days accumulate across scans (a month boundary
 * does not lose last week) and are kept for SPEND_KEEP_DAYS.
 */

/** Days of daily spend kept per scope. */
export const SPEND_KEEP_DAYS = 62;

const DAY_MS = 86_400_000;

/** One day of one scope's spend in one currency. */
export interface DaySpend {
  readonly total: number;
  readonly services: Readonly<Record<string, number>>;
  /** By value of the team tag (only when the scope's costs were grouped by it). */
  readonly teams: Readonly<Record<string, number>>;
  /** Per service, its spend and the part without a team tag (from costs grouped by service and team; absent when not read). */
  readonly teamTagged?: Readonly<Record<string, { readonly total: number; readonly untagged: number }>>;
}

/** A budget as a scan judged it. */
export interface BudgetLine {
  readonly name: string;
  /** The cloud the budget is about, or `*` when it spans clouds. */
  readonly cloud: Cloud | '*';
  readonly limit: Money;
  readonly actual?: Money;
  /** Forecast for the whole period. */
  readonly forecast?: Money;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** Whether the budget counts only some services or tags (its actual is then not the cloud's whole spend). */
  readonly filtered: boolean;
}

/** One scope's stored spend. */
export interface SpendSnapshot {
  readonly version: 1;
  readonly scope: Scope;
  readonly updatedAt: string;
  /** `YYYY-MM-DD` → currency → spend. */
  readonly days: Readonly<Record<string, Readonly<Record<string, DaySpend>>>>;
  readonly budgets: readonly BudgetLine[];
}

/** Cache key of a scope's snapshot. */
export function spendKey(scope: Pick<Scope, 'cloud' | 'id'>): string {
  return `spend:v1:${scope.cloud}:${scope.id}`;
}

/** Reads the stored snapshot of a scope; undefined when none (or not readable). */
export async function readSpend(store: Pick<StateStore, 'getCached'>, scope: Pick<Scope, 'cloud' | 'id'>, now: Date): Promise<SpendSnapshot | undefined> {
  const raw = (await store.getCached(spendKey(scope), now)) as SpendSnapshot | undefined;
  return raw && raw.version === 1 && typeof raw.days === 'object' ? raw : undefined;
}

/** The days of one scope's cost records: line items and SERVICE rows for totals and services; `SERVICE,TAG:team` rows (or line items' tags) for teams. */
export function daysOf(costs: readonly CostRecord[]): Record<string, Record<string, DaySpend>> {
  const out: Record<string, Record<string, { total: number; services: Record<string, number>; teams: Record<string, number>; teamTagged?: Record<string, { total: number; untagged: number }> }>> = {};
  const cell = (r: CostRecord) => {
    const day = r.ChargePeriodStart.toISOString().slice(0, 10);
    const byCur = (out[day] ??= {});
    return (byCur[r.BillingCurrency] ??= { total: 0, services: {}, teams: {} });
  };
  const teamKey = (tags: Readonly<Record<string, string>>) => Object.keys(tags).find((k) => k.toLowerCase() === TEAM_TAG_KEY);
  for (const r of costs) {
    const tagBreakdown = r.x_Breakdown ? /^SERVICE,TAG:(.+)$/.exec(r.x_Breakdown)?.[1] : undefined;
    if (r.x_Breakdown === undefined || r.x_Breakdown === 'SERVICE') {
      const c = cell(r);
      c.total += r.BilledCost;
      const svc = r.ServiceName ?? '(no service)';
      c.services[svc] = (c.services[svc] ?? 0) + r.BilledCost;
      if (r.x_Breakdown === undefined) {
        const k = teamKey(r.Tags);
        const team = (k && r.Tags[k]) || '(untagged)';
        c.teams[team] = (c.teams[team] ?? 0) + r.BilledCost;
      }
    } else if (tagBreakdown && tagBreakdown.toLowerCase() === TEAM_TAG_KEY) {
      const c = cell(r);
      const team = r.Tags[tagBreakdown] || '(untagged)';
      c.teams[team] = (c.teams[team] ?? 0) + r.BilledCost;
      const svc = r.ServiceName ?? '(no service)';
      const t = ((c.teamTagged ??= {})[svc] ??= { total: 0, untagged: 0 });
      t.total += r.BilledCost;
      if (!r.Tags[tagBreakdown]) t.untagged += r.BilledCost;
    }
  }
  return out;
}

/**
 * Records each scope's spend and budgets after a scan. A scope whose costs could not be read keeps
 * its previous days; budgets are those of this scan.
 */
export async function recordSpend(store: Pick<StateStore, 'getCached' | 'putCached'>, collections: readonly Collection[], budgets: readonly Budget[], now: Date, prices: PriceBook): Promise<void> {
  const statuses = budgetStatuses({
    costs: collections.flatMap((c) => c.costs),
    cloudBudgets: collections.flatMap((c) => c.budgets),
    budgets,
    forecasts: collections.flatMap((c) => c.forecasts ?? []),
    anomalies: [],
    scopes: collections.map((c) => ({ scope: c.scope, costProblems: [] })),
    settings: undefined,
    now,
    prices,
  });
  const oldest = new Date(now.getTime() - SPEND_KEEP_DAYS * DAY_MS).toISOString().slice(0, 10);
  for (const c of collections) {
    const previous = await readSpend(store, c.scope, now);
    const fresh = daysOf(c.costs.filter((r) => !cloudOfProvider(r.ProviderName) || cloudOfProvider(r.ProviderName) === c.scope.cloud));
    const days = Object.fromEntries(Object.entries({ ...previous?.days, ...fresh }).filter(([d]) => d >= oldest).sort(([a], [b]) => a.localeCompare(b)));
    const mine = statuses.filter((s) => (s.scopeId === c.scope.id && s.cloud === c.scope.cloud) || (s.scopeId === '*' && (s.cloud === c.scope.cloud || s.cloud === ('*' as Cloud))));
    const lines: BudgetLine[] = mine.map((s) => ({
      name: s.budget.name,
      cloud: s.scopeId === '*' && (s.budget.scope.clouds?.length ?? 0) !== 1 ? '*' : s.cloud,
      limit: s.budget.limit,
      ...(s.actual ? { actual: s.actual } : {}),
      ...(s.forecast ? { forecast: s.forecast } : {}),
      periodStart: s.period.start.toISOString(),
      periodEnd: s.period.end.toISOString(),
      filtered: Boolean(s.budget.scope.services?.length || Object.keys(s.budget.scope.tags ?? {}).length || s.budget.scope.scopeIds?.length),
    }));
    const snapshot: SpendSnapshot = { version: 1, scope: c.scope, updatedAt: now.toISOString(), days, budgets: lines.length > 0 || !previous ? lines : previous.budgets };
    await store.putCached(spendKey(c.scope), snapshot, new Date(now.getTime() + SPEND_KEEP_DAYS * DAY_MS));
  }
}
