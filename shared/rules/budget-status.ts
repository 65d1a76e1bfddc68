import type { Budget, BudgetPeriod } from '../domain/budget.js';
import { cloudOfProvider, type CostRecord } from '../domain/cost.js';
import type { CostDriver } from '../domain/finding.js';
import { formatMoney, money, totalsByCurrency, type Money } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';
import type { CostRuleInput, CostScope } from './types.js';

/*
 * What a budget stands at: its period, actual and forecast spend, and the top cost drivers,
 * computed from the scan's cost records. Shared by budget-breach and forecast-breach, which only
 * differ in which number they compare with which thresholds.
 */

/** How many drivers a finding names per kind (service, tag). */
export const TOP_DRIVERS = 5;

/** The cost filter a budget applies. */
export interface CostFilter {
  readonly clouds?: readonly Cloud[];
  readonly scopeIds?: readonly string[];
  readonly services?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** A budget evaluated against the scan's costs. */
export interface BudgetStatus {
  readonly budget: Budget;
  /** A configured budget, or a cloud's own (AWS Budgets; an Azure budget read from Consumption; a Google Cloud budget judged on the billing export). */
  readonly source: 'config' | 'aws-budgets' | 'azure-budget' | 'gcp-budget';
  readonly period: { readonly start: Date; readonly end: Date };
  /** Cloud and scope the finding is filed under: the budget's only ones, or `*` when it spans several. */
  readonly cloud: Cloud;
  readonly scopeId: string;
  /** Why the budget cannot be judged at all (then actual and forecast are absent). */
  readonly problem?: string;
  readonly actual?: Money;
  /** Forecast spend for the whole period (actual + the rest), when a forecast exists. */
  readonly forecast?: Money;
  /** Why there is no forecast, or why it is partial. */
  readonly forecastNotes: readonly string[];
  /** Where the forecasts of the rest of the period come from (e.g. AWS Cost Explorer GetCostForecast). */
  readonly forecastSources?: readonly string[];
  /** Amount per scope read, for evidence. */
  readonly perScope: readonly { readonly label: string; readonly amount: Money }[];
  /** Partial coverage, other currencies and the like: said, never hidden. */
  readonly notes: readonly string[];
  readonly drivers: readonly CostDriver[];
  /** The last day with cost data (exclusive end of the actuals), for evidence. */
  readonly costsThrough?: Date;
}

/** Start (inclusive) and end (exclusive) of the budget period containing `now`, in UTC. */
export function periodOf(period: BudgetPeriod, now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'monthly') return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  if (period === 'quarterly') {
    const q = Math.floor(m / 3) * 3;
    return { start: new Date(Date.UTC(y, q, 1)), end: new Date(Date.UTC(y, q + 3, 1)) };
  }
  return { start: new Date(Date.UTC(y, 0, 1)), end: new Date(Date.UTC(y + 1, 0, 1)) };
}

/** The `x_Breakdown` of pre-aggregated rows that can answer a filter: `SERVICE` or `SERVICE,TAG:<key>`. */
export function breakdownFor(filter: CostFilter): string | undefined {
  const keys = Object.keys(filter.tags ?? {});
  if (keys.length === 0) return 'SERVICE';
  if (keys.length === 1) return `SERVICE,TAG:${keys[0]}`;
  return undefined;
}

/** Whether a record falls in a filter, ignoring how it was grouped. */
export function matches(r: CostRecord, f: CostFilter, window: { start: Date; end: Date }): boolean {
  const t = r.ChargePeriodStart.getTime();
  if (t < window.start.getTime() || t >= window.end.getTime()) return false;
  if (f.clouds && !f.clouds.includes(cloudOfProvider(r.ProviderName) as Cloud)) return false;
  if (f.scopeIds && !(r.SubAccountId !== undefined && f.scopeIds.some((id) => id.toLowerCase() === r.SubAccountId!.toLowerCase()))) return false;
  if (f.services && !(r.ServiceName !== undefined && f.services.includes(r.ServiceName))) return false;
  for (const [k, v] of Object.entries(f.tags ?? {})) if (r.Tags[k] !== v) return false;
  return true;
}

/**
 * The records that count for a filter: line items that match, and pre-aggregated rows of the one
 * breakdown that can answer it (rows of other breakdowns hold the same spend again).
 */
export function selectRecords(costs: readonly CostRecord[], f: CostFilter, window: { start: Date; end: Date }, breakdown = breakdownFor(f)): CostRecord[] {
  return costs.filter((r) => (r.x_Breakdown === undefined || r.x_Breakdown === breakdown) && matches(r, f, window));
}

/** The `limit` currency's total of the records, and what other currencies hold (never converted). */
export function totalIn(records: readonly CostRecord[], currency: string): { total: Money; others: Money[] } {
  const totals = totalsByCurrency(records.map((r) => ({ amount: r.BilledCost, currency: r.BillingCurrency })));
  return { total: totals.find((t) => t.currency === currency) ?? money(0, currency), others: totals.filter((t) => t.currency !== currency && t.amount !== 0) };
}

/**
 * The top drivers in `currency`: by service from the rows selected for the filter, and by tag
 * from every tag breakdown the filter can be applied to (all of them when it has no tag
 * condition) or, for line items, from their own tags.
 */
export function topDrivers(costs: readonly CostRecord[], f: CostFilter, window: { start: Date; end: Date }, currency: string): CostDriver[] {
  const inCurrency = (r: CostRecord) => r.BillingCurrency === currency;
  const byService = new Map<string, number>();
  for (const r of selectRecords(costs, f, window).filter(inCurrency)) {
    const k = r.ServiceName ?? '(no service)';
    byService.set(k, (byService.get(k) ?? 0) + r.BilledCost);
  }
  const byTag = new Map<string, number>();
  const filterTags = Object.keys(f.tags ?? {});
  for (const r of costs) {
    if (!inCurrency(r)) continue;
    let keys: string[];
    if (r.x_Breakdown === undefined) {
      keys = Object.keys(r.Tags).filter((k) => !filterTags.includes(k));
    } else {
      const m = /^SERVICE,TAG:(.+)$/.exec(r.x_Breakdown);
      // A tag breakdown can only be filtered by its own tag: with another tag condition it would mix in spend outside the budget.
      if (!m || filterTags.length > 0) continue;
      keys = [m[1]!];
    }
    if (keys.length === 0 || !matches(r, f, window)) continue;
    for (const k of keys) {
      const label = `${k}=${r.Tags[k] === undefined || r.Tags[k] === '' ? '(untagged)' : r.Tags[k]}`;
      byTag.set(label, (byTag.get(label) ?? 0) + r.BilledCost);
    }
  }
  const top = (m: Map<string, number>, by: CostDriver['by']): CostDriver[] =>
    [...m.entries()]
      .filter(([, a]) => a > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, TOP_DRIVERS)
      .map(([key, amount]) => ({ by, key, amount: money(round2(amount), currency) }));
  return [...top(byService, 'service'), ...top(byTag, 'tag')];
}

/** Every budget evaluated: configured ones across the scopes they cover, the clouds' own per account. */
export function budgetStatuses(input: CostRuleInput<unknown>): BudgetStatus[] {
  return [...input.budgets.map((b) => configuredStatus(b, input)), ...input.cloudBudgets.map((b) => cloudStatus(b, input))].filter(
    (s): s is BudgetStatus => s !== undefined,
  );
}

function filterOf(b: Budget): CostFilter {
  return {
    ...(b.scope.clouds ? { clouds: b.scope.clouds } : {}),
    ...(b.scope.scopeIds ? { scopeIds: b.scope.scopeIds } : {}),
    ...(b.scope.services ? { services: b.scope.services } : {}),
    ...(b.scope.tags && Object.keys(b.scope.tags).length > 0 ? { tags: b.scope.tags } : {}),
  };
}

function covers(b: Budget, s: CostScope): boolean {
  return (!b.scope.clouds || b.scope.clouds.includes(s.scope.cloud)) && (!b.scope.scopeIds || b.scope.scopeIds.some((id) => id.toLowerCase() === s.scope.id.toLowerCase()));
}

function label(s: CostScope): string {
  return `${s.scope.cloud} ${s.scope.name ? `${s.scope.name} (${s.scope.id})` : s.scope.id}`;
}

function configuredStatus(b: Budget, input: CostRuleInput<unknown>): BudgetStatus | undefined {
  const scopes = input.scopes.filter((s) => covers(b, s));
  // A budget over nothing this scan read (e.g. `--cloud aws` and a Google-only budget) is not judged.
  if (scopes.length === 0) return undefined;
  const period = periodOf(b.period, input.now);
  const window = { start: period.start, end: input.now };
  const clouds = [...new Set(scopes.map((s) => s.scope.cloud))];
  const base = {
    budget: b,
    source: 'config' as const,
    period,
    cloud: clouds.length === 1 ? clouds[0]! : 'aws',
    scopeId: scopes.length === 1 ? scopes[0]!.scope.id : '*',
  };
  const filter = filterOf(b);
  const breakdown = breakdownFor(filter);
  const currency = b.limit.currency;
  if (breakdown === undefined) {
    return {
      ...base,
      problem: `scoped by ${Object.keys(b.scope.tags ?? {}).length} tags (${Object.entries(b.scope.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')}): Cost Explorer groups by one tag at a time, so spend under several tags at once cannot be read; scope the budget by one tag`,
      forecastNotes: [],
      perScope: [],
      notes: [],
      drivers: [],
    };
  }
  const notes: string[] = [];
  const perScope: { label: string; amount: Money }[] = [];
  const read = scopes.filter((s) => s.costProblems.length === 0);
  for (const s of scopes) if (s.costProblems.length > 0) notes.push(`costs of ${label(s)} could not be read (${s.costProblems.join('; ')}): the actual is a lower bound`);
  if (read.length === 0) {
    return { ...base, problem: `no costs could be read for the scopes it covers: ${notes.join('; ')}`, forecastNotes: [], perScope: [], notes: [], drivers: [] };
  }
  const records = selectRecords(input.costs, filter, window, breakdown);
  for (const s of read) {
    const missingBreakdown = breakdown !== 'SERVICE' && !input.costs.some((r) => r.SubAccountId === s.scope.id && r.x_Breakdown === breakdown) && input.costs.some((r) => r.SubAccountId === s.scope.id && r.x_Breakdown !== undefined);
    if (missingBreakdown) notes.push(`costs of ${label(s)} were not grouped by tag ${breakdown.slice('SERVICE,TAG:'.length)}: list it in ${s.scope.cloud === 'azure' ? 'clouds.azure.costTagKeys' : 'clouds.aws.costAllocationTags'}`);
    const mine = records.filter((r) => r.SubAccountId?.toLowerCase() === s.scope.id.toLowerCase());
    perScope.push({ label: label(s), amount: totalIn(mine, currency).total });
  }
  const { total, others } = totalIn(records, currency);
  if (total.amount === 0 && others.length > 0) {
    return {
      ...base,
      problem: `its costs are billed in ${others.map((o) => o.currency).join(', ')} but the budget is in ${currency}; costwatch never converts currencies — set the budget's currency to the billing currency`,
      forecastNotes: [],
      perScope: [],
      notes,
      drivers: [],
    };
  }
  for (const o of others) notes.push(`${formatMoney(o)} billed in ${o.currency} is not counted: costwatch never converts currencies`);
  const forecastNotes: string[] = [];
  const forecasts = input.forecasts.filter((f) => f.budgetName === b.name && read.some((s) => s.scope.cloud === f.cloud && s.scope.id === f.scopeId));
  let forecast: Money | undefined;
  if (forecasts.length > 0) {
    const rest = totalsByCurrency(forecasts.map((f) => f.amount));
    const same = rest.find((r) => r.currency === currency);
    for (const r of rest) if (r.currency !== currency) forecastNotes.push(`a forecast of ${formatMoney(r)} in ${r.currency} is not counted`);
    if (same) forecast = money(round2(total.amount + same.amount), currency);
    const without = read.filter((s) => !forecasts.some((f) => f.scopeId === s.scope.id && f.cloud === s.scope.cloud));
    if (forecast && without.length > 0) forecastNotes.push(`no forecast for ${without.map(label).join(', ')}: the forecast counts only their spend so far`);
  } else {
    forecastNotes.push('no forecast was read for the scopes it covers');
  }
  const through = lastDay(records);
  const sources = [...new Set(forecasts.map((f) => (f.cloud === 'gcp' ? 'the Google Cloud billing export run rate' : f.source)))];
  return {
    ...base,
    ...(sources.length > 0 ? { forecastSources: sources } : {}),
    actual: money(round2(total.amount), currency),
    ...(forecast ? { forecast } : {}),
    forecastNotes,
    ...(forecasts.length > 0 ? { forecastSources: [...new Set(forecasts.map((f) => f.source))] } : {}),
    perScope,
    notes,
    drivers: topDrivers(input.costs, filter, window, currency),
    ...(through ? { costsThrough: through } : {}),
  };
}

function cloudStatus(b: Budget, input: CostRuleInput<unknown>): BudgetStatus | undefined {
  if (b.source === 'gcp-budget') return googleStatus(b, input);
  const scopeId = b.scope.scopeIds?.[0];
  const cloud = b.scope.clouds?.[0] ?? 'aws';
  if (!scopeId || !b.actual) return undefined;
  const period = periodOf(b.period, input.now);
  const filter = filterOf(b);
  const notes: string[] = [];
  let drivers = topDrivers(input.costs, filter, { start: period.start, end: input.now }, b.limit.currency);
  if (breakdownFor(filter) === undefined) {
    drivers = topDrivers(input.costs, { scopeIds: [scopeId] }, { start: period.start, end: input.now }, b.limit.currency);
    notes.push("drivers are for the whole account: the budget's tag filters cannot be applied to Cost Explorer groupings");
  }
  return {
    budget: b,
    source: cloud === 'azure' ? 'azure-budget' : 'aws-budgets',
    period,
    cloud,
    scopeId,
    actual: b.actual,
    ...(b.forecast ? { forecast: b.forecast } : {}),
    forecastNotes: b.forecast ? [] : [`${CLOUD_BUDGET_SERVICE[cloud === 'azure' ? 'azure-budget' : 'aws-budgets']} has no forecast for it yet`],
    perScope: [],
    notes,
    drivers,
  };
}

/**
 * A Google Cloud budget: its spend was computed by the provider from the billing export over the
 * budget's own filter (the Budget API holds none), or it carries the reason it cannot be.
 */
function googleStatus(b: Budget, input: CostRuleInput<unknown>): BudgetStatus {
  const period = periodOf(b.period, input.now);
  const scopeId = b.scope.scopeIds?.[0] ?? '*';
  const base = { budget: b, source: 'gcp-budget' as const, period, cloud: 'gcp' as const, scopeId, perScope: [], forecastNotes: [] as string[] };
  if (b.problem || !b.actual) return { ...base, problem: b.problem ?? 'no spend could be computed for it', notes: [], drivers: [] };
  const filter = filterOf(b);
  const drivers = breakdownFor(filter) === undefined ? [] : topDrivers(input.costs, filter, { start: period.start, end: input.now }, b.limit.currency);
  return {
    ...base,
    actual: b.actual,
    ...(b.forecast ? { forecast: b.forecast } : {}),
    forecastNotes: b.forecast ? [] : ['no forecast could be computed for it'],
    notes: [...(b.basis ?? [])],
    drivers,
  };
}

function lastDay(records: readonly CostRecord[]): Date | undefined {
  let last: number | undefined;
  for (const r of records) if (last === undefined || r.ChargePeriodEnd.getTime() > last) last = r.ChargePeriodEnd.getTime();
  return last === undefined ? undefined : new Date(last);
}

/** Rounds to cents, so sums of many small rows print and compare cleanly. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** `2025-06-01` */
export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Percent of the limit, one decimal. */
export function percentOf(a: Money, limit: Money): number {
  return Math.round((a.amount / limit.amount) * 1000) / 10;
}

/** The highest threshold (percent) the amount reaches, if any. */
export function highestCrossed(amount: Money, limit: Money, thresholds: readonly number[]): number | undefined {
  const pct = (amount.amount / limit.amount) * 100;
  let best: number | undefined;
  for (const t of thresholds) if (pct >= t - 1e-9 && (best === undefined || t > best)) best = t;
  return best;
}

/** Evidence lines shared by budget and forecast findings. */
export function statusEvidence(s: BudgetStatus): string[] {
  const b = s.budget;
  const scope = [
    b.scope.clouds ? `clouds ${b.scope.clouds.join(', ')}` : undefined,
    b.scope.scopeIds ? `accounts ${b.scope.scopeIds.join(', ')}` : undefined,
    b.scope.services ? `services ${b.scope.services.join(', ')}` : undefined,
    b.scope.tags && Object.keys(b.scope.tags).length > 0 ? `tags ${Object.entries(b.scope.tags).map(([k, v]) => `${k}=${v}`).join(', ')}` : undefined,
  ].filter(Boolean);
  const lastIncluded = s.costsThrough ? new Date(s.costsThrough.getTime() - 1) : undefined;
  const lines = [
    `period ${day(s.period.start)} – ${day(new Date(s.period.end.getTime() - 86_400_000))} (${b.period})${lastIncluded ? `; costs through ${day(lastIncluded)}` : ''}`,
    `scope: ${scope.length > 0 ? scope.join('; ') : 'all costs'}`,
    ...s.perScope.map((p) => `${p.label}: ${formatMoney(p.amount)}`),
  ];
  const services = s.drivers.filter((d) => d.by === 'service');
  const tags = s.drivers.filter((d) => d.by === 'tag');
  if (services.length > 0) lines.push(`top services: ${services.map((d) => `${d.key} ${formatMoney(d.amount)}`).join(', ')}`);
  if (tags.length > 0) lines.push(`top tags: ${tags.map((d) => `${d.key} ${formatMoney(d.amount)}`).join(', ')}`);
  return [...lines, ...s.notes];
}

/** Who computes a cloud budget's spend, for titles and evidence. */
export const CLOUD_BUDGET_SERVICE = { 'aws-budgets': 'AWS Budgets', 'azure-budget': 'Azure Cost Management', 'gcp-budget': 'the Google Cloud billing export' } as const;
/** How a cloud budget is named in a title. */
export const CLOUD_BUDGET_LABEL = { 'aws-budgets': 'AWS budget', 'azure-budget': 'Azure budget', 'gcp-budget': 'Google Cloud budget' } as const;

/**
 * Whether costwatch judges the budget's thresholds itself (a configured budget; a Google Cloud
 * budget, whose spend the export gives): otherwise the cloud's own figure is judged against the limit.
 */
export function judgesThresholds(s: Pick<BudgetStatus, 'source'>): boolean {
  return s.source === 'config' || s.source === 'gcp-budget';
}

/** Stable finding id of a budget status at a threshold (or `unknown`). */
export function budgetFindingId(ruleId: string, s: BudgetStatus, what: number | 'unknown'): string {
  const who = s.source === 'config' ? `config:${s.budget.name}` : `${s.source}:${s.scopeId}:${s.budget.name}`;
  return `${ruleId}:${who}:${day(s.period.start)}:${what === 'unknown' ? 'unknown' : `${what}%`}`;
}
