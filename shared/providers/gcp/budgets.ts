import type { protos } from '@google-cloud/billing-budgets';
import type { Budget, BudgetPeriod } from '../../domain/budget.js';
import { money, type Money } from '../../domain/money.js';
import type { ExportGrouping, ExportRow } from './billing-export.js';

/*
 * Google Cloud budgets (Budget API v1, billingbudgets.googleapis.com). The API holds amounts,
 * thresholds and filters but no spend: costwatch computes the current and forecast spend from the
 * billing export over the budget's own filter. A filter the export rows cannot reproduce (folders
 * and organizations, subaccounts, specific credit types, custom periods, last period's amount,
 * projects costwatch does not read) makes the budget unknown, with the reason.
 */

type GoogleBudget = protos.google.cloud.billing.budgets.v1.IBudget;

/** A listed project: its id and, when known, its number (budget filters name projects by number). */
export interface KnownProject {
  readonly id: string;
  readonly number?: string;
}

/** What a Google budget counts, once its filter is understood. */
export interface BudgetSpec {
  /** `billingAccounts/<account>/budgets/<id>`. */
  readonly name: string;
  readonly displayName: string;
  readonly limit?: Money;
  readonly period: BudgetPeriod;
  /** Project ids, in the order of the policy; empty = every project of the billing account (or of `ancestors`). */
  readonly projects: readonly string[];
  /** `folders/<id>`, `organizations/<id>` (the budget's `resourceAncestors`): every project under them, read by `project.ancestors`. */
  readonly ancestors?: readonly string[];
  /** Service ids (`6F81-5844-456A`); empty = every service. */
  readonly services: readonly string[];
  readonly label?: { readonly key: string; readonly value: string };
  /** `net`: credits included (the default); `gross`: credits excluded. */
  readonly credits: 'net' | 'gross';
  readonly actualThresholds: readonly number[];
  readonly forecastThresholds: readonly number[];
  /** Why the export cannot reproduce the budget; undefined when it can. */
  readonly problem?: string;
}

const CALENDAR: Readonly<Record<string, BudgetPeriod>> = { MONTH: 'monthly', QUARTER: 'quarterly', YEAR: 'yearly', '1': 'monthly', '2': 'quarterly', '3': 'yearly' };
const TREATMENT: Readonly<Record<string, string>> = { '0': 'CREDIT_TYPES_TREATMENT_UNSPECIFIED', '1': 'INCLUDE_ALL_CREDITS', '2': 'EXCLUDE_ALL_CREDITS', '3': 'INCLUDE_SPECIFIED_CREDITS' };
const BASIS: Readonly<Record<string, string>> = { '0': 'BASIS_UNSPECIFIED', '1': 'CURRENT_SPEND', '2': 'FORECASTED_SPEND' };

function enumText(v: unknown, names: Readonly<Record<string, string>>): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return names[s] ?? s;
}

/** A Money proto (`units` as a string or Long, `nanos`) as a number. */
function amountOf(m: { units?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!m) return undefined;
  const units = m.units === null || m.units === undefined ? 0 : Number(typeof m.units === 'object' ? String(m.units) : m.units);
  const x = units + (m.nanos ?? 0) / 1e9;
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Reads a budget's amount, period, thresholds and filter. `projects` are the projects costwatch
 * reads (in the policy's order), used to turn `projects/<number>` into ids.
 */
export function budgetSpecOf(b: GoogleBudget, projects: readonly KnownProject[], exportKind: 'standard' | 'detailed' | 'focus' = 'standard'): BudgetSpec {
  const name = b.name ?? '(unnamed)';
  const displayName = b.displayName || name.split('/').pop() || name;
  const f = b.budgetFilter ?? {};
  const problems: string[] = [];
  const custom = f.customPeriod ?? undefined;
  const calendar = enumText(f.calendarPeriod, { '0': '' });
  let period: BudgetPeriod = 'monthly';
  if (custom && (custom.startDate || custom.endDate)) problems.push('it has a custom period; costwatch judges calendar months, quarters and years');
  else if (calendar !== '' && calendar !== 'CALENDAR_PERIOD_UNSPECIFIED') {
    const p = CALENDAR[calendar];
    if (p) period = p;
    else problems.push(`its period ${calendar} is not a month, quarter or year`);
  }
  let limit: Money | undefined;
  const specified = b.amount?.specifiedAmount;
  if (b.amount?.lastPeriodAmount) problems.push("its amount is last period's spend, which costwatch does not read");
  else if (specified) {
    const x = amountOf(specified);
    const currency = specified.currencyCode ?? '';
    if (x === undefined || x <= 0) problems.push('its amount is not a positive number');
    // An empty currency means the billing account's: settled against the export rows.
    else limit = money(x, /^[A-Z]{3}$/.test(currency) ? currency : '');
  } else problems.push('it has no amount');
  const ancestors = (f.resourceAncestors ?? []).filter((a) => typeof a === 'string');
  if (ancestors.length > 0) {
    const bad = ancestors.filter((a) => !/^(folders|organizations)\/\d+$/.test(a));
    if (bad.length > 0) problems.push(`it counts ${bad.join(', ')}, which is not folders/<id> or organizations/<id>`);
    else if ((f.projects ?? []).length > 0) problems.push(`it counts both projects and ${ancestors.join(', ')}; costwatch does not combine a project filter with a folder or organization filter`);
    else if (exportKind === 'focus') problems.push(`it counts ${ancestors.join(', ')}; the FOCUS export carries no project ancestry: use the standard or detailed export`);
  }
  if ((f.subaccounts ?? []).length > 0) problems.push('it counts subaccounts of a reseller account, which the export does not tell apart per budget');
  const treatment = enumText(f.creditTypesTreatment, TREATMENT);
  let credits: 'net' | 'gross' = 'net';
  if (treatment === 'EXCLUDE_ALL_CREDITS') credits = 'gross';
  else if (treatment === 'INCLUDE_SPECIFIED_CREDITS') problems.push(`it includes only some credit types (${(f.creditTypes ?? []).join(', ') || 'none named'}); costwatch reads credits in total`);
  const ids: string[] = [];
  for (const p of ancestors.length > 0 ? [] : (f.projects ?? [])) {
    const key = p.replace(/^projects\//, '');
    const hit = projects.find((k) => k.number === key || k.id === key);
    if (hit) ids.push(hit.id);
    else {
      const unknownNumbers = projects.filter((k) => k.number === undefined).map((k) => k.id);
      problems.push(
        unknownNumbers.length > 0
          ? `it counts ${p}, which costwatch cannot match to a listed project: the number of ${unknownNumbers.join(', ')} is not known (the billing export had no rows for it, or could not be read; set clouds.gcp.projects[].number)`
          : `it counts ${p}, which is not in clouds.gcp.projects`,
      );
    }
  }
  if ((f.projects ?? []).length === 0 && (f.resourceAncestors ?? []).length === 0) problems.push("it counts every project of the billing account; costwatch reads only the listed projects' costs: filter the budget by project");
  const labelEntries = Object.entries(f.labels ?? {});
  let label: BudgetSpec['label'];
  if (labelEntries.length > 1) problems.push('it filters on several labels; the export is grouped by one label at a time');
  else if (labelEntries.length === 1) {
    const [key, list] = labelEntries[0]!;
    const values = (list?.values ?? []).map((v) => v.stringValue).filter((v): v is string => typeof v === 'string');
    if (values.length !== 1) problems.push(`its label filter ${key} has ${values.length} values; costwatch matches one`);
    else label = { key, value: values[0]! };
  }
  const actualThresholds = new Set<number>([100]);
  const forecastThresholds = new Set<number>([100]);
  for (const r of b.thresholdRules ?? []) {
    const pct = Math.round(Number(r.thresholdPercent ?? NaN) * 1000) / 10;
    if (!Number.isFinite(pct) || pct <= 0) continue;
    if (enumText(r.spendBasis, BASIS) === 'FORECASTED_SPEND') forecastThresholds.add(pct);
    else actualThresholds.add(pct);
  }
  return {
    name,
    displayName,
    ...(limit ? { limit } : {}),
    period,
    projects: [...new Set(ids)].sort((a, b) => projects.findIndex((p) => p.id === a) - projects.findIndex((p) => p.id === b)),
    ...(ancestors.length > 0 ? { ancestors: [...ancestors].sort() } : {}),
    services: (f.services ?? []).map((s) => s.replace(/^services\//, '')),
    ...(label ? { label } : {}),
    credits,
    actualThresholds: [...actualThresholds].sort((a, b) => a - b),
    forecastThresholds: [...forecastThresholds].sort((a, b) => a - b),
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

/** The grouping whose rows answer a budget: by its label, or by service. */
export function groupingOf(spec: Pick<BudgetSpec, 'label'>): ExportGrouping {
  return spec.label ? `SERVICE,TAG:${spec.label.key}` : 'SERVICE';
}

/** Start (inclusive) and end (exclusive) of the calendar period containing `now`, UTC. */
export function calendarPeriod(period: BudgetPeriod, now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (period === 'monthly') return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  if (period === 'quarterly') return { start: new Date(Date.UTC(y, Math.floor(m / 3) * 3, 1)), end: new Date(Date.UTC(y, Math.floor(m / 3) * 3 + 3, 1)) };
  return { start: new Date(Date.UTC(y, 0, 1)), end: new Date(Date.UTC(y + 1, 0, 1)) };
}

/** Days of spend the run-rate forecast averages. */
export const RUN_RATE_DAYS = 7;

const DAY_MS = 86_400_000;

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The run-rate forecast of what is still to come in [today, end): the mean daily amount of the
 * last complete days (up to RUN_RATE_DAYS, those read) times the days left. `amountOn` gives a
 * day's amount.
 */
export function runRate(amountOn: (day: string) => number, readFrom: Date, today: Date, end: Date): { rest: number; days: number; perDay: number; left: number } {
  const first = Math.max(readFrom.getTime(), today.getTime() - RUN_RATE_DAYS * DAY_MS);
  let total = 0;
  let days = 0;
  for (let t = first; t < today.getTime(); t += DAY_MS) {
    total += amountOn(dayOf(new Date(t)));
    days++;
  }
  const left = Math.max(0, Math.round((end.getTime() - today.getTime()) / DAY_MS));
  const perDay = days > 0 ? total / days : 0;
  return { rest: perDay * left, days, perDay, left };
}

/**
 * A Google budget as a domain budget with its spend computed from the export rows of its
 * grouping (every project it counts), or with the reason it cannot be judged.
 */
export function judgeBudget(spec: BudgetSpec, rows: readonly ExportRow[] | undefined, opts: { now: Date; readFrom: Date; table: string; billingAccount: string; missing?: string }): Budget {
  const period = calendarPeriod(spec.period, opts.now);
  const today = new Date(Date.UTC(opts.now.getUTCFullYear(), opts.now.getUTCMonth(), opts.now.getUTCDate()));
  const base = {
    name: spec.displayName,
    period: spec.period,
    scope: { clouds: ['gcp' as const], scopeIds: spec.projects.length > 0 ? [...spec.projects] : [], ...(spec.label ? { tags: { [spec.label.key]: spec.label.value } } : {}) },
    actualThresholds: spec.actualThresholds,
    forecastThresholds: spec.forecastThresholds,
    source: 'gcp-budget' as const,
  };
  const unknown = (problem: string, limit = spec.limit): Budget => ({ ...base, limit: limit ?? money(0, 'USD'), problem });
  if (spec.problem) return unknown(spec.problem);
  if (!rows) return unknown(opts.missing ?? 'the billing export could not be read for the projects it counts');
  if (spec.services.length > 0 && rows.some((r) => r.serviceId === undefined)) return unknown('it filters by service id, which the FOCUS export does not carry: use the standard or detailed export');
  const ancestral = (spec.ancestors ?? []).length > 0;
  const matching = rows.filter((r) => (ancestral || spec.projects.includes(r.projectId)) && (spec.services.length === 0 || spec.services.includes(r.serviceId ?? '')) && (!spec.label || r.label === spec.label.value));
  const currencies = [...new Set(matching.map((r) => r.currency))];
  const currency = spec.limit?.currency || currencies[0] || '';
  if (!currency) return unknown('it has no currency and the export has no rows for it yet', spec.limit);
  const limit = money(spec.limit!.amount, currency);
  const others = currencies.filter((c) => c !== currency);
  if (others.length > 0) return unknown(`its costs are billed in ${others.join(', ')} but the budget is in ${currency}; costwatch never converts currencies`, limit);
  const value = (r: ExportRow) => (spec.credits === 'net' ? r.cost + r.credits : r.cost);
  const inPeriod = matching.filter((r) => r.day >= dayOf(period.start) && r.day < dayOf(today));
  const actual = round2(inPeriod.reduce((s, r) => s + value(r), 0));
  const byDay = new Map<string, number>();
  for (const r of matching) byDay.set(r.day, (byDay.get(r.day) ?? 0) + value(r));
  const rate = runRate((d) => byDay.get(d) ?? 0, opts.readFrom, today, period.end);
  const forecast = round2(actual + rate.rest);
  const lastDay = dayOf(new Date(today.getTime() - DAY_MS));
  // Drivers are picked by service name: the rows tell the names of the ids the filter holds.
  const names = [...new Set(matching.map((r) => r.service))].sort();
  return {
    ...base,
    ...(spec.services.length > 0 && names.length > 0 ? { scope: { ...base.scope, services: names } } : {}),
    limit,
    actual: money(actual, currency),
    forecast: money(forecast, currency),
    basis: [
      `Google Cloud budget ${spec.name} (billing account ${opts.billingAccount}): spend computed from the billing export ${opts.table} over its filter — ${ancestral ? `every project under ${spec.ancestors!.join(', ')} (by project.ancestors; projects with spend: ${[...new Set(matching.map((r) => r.projectId))].sort().join(', ') || 'none'})` : `projects ${spec.projects.join(', ')}`}${spec.services.length > 0 ? `; services ${spec.services.join(', ')}` : ''}${spec.label ? `; label ${spec.label.key}=${spec.label.value}` : ''}; credits ${spec.credits === 'net' ? 'included' : 'excluded'}; ${dayOf(period.start)} through ${lastDay}`,
      `forecast = spend so far ${money(actual, currency).amount.toFixed(2)} + ${rate.perDay.toFixed(2)}/day (mean of the last ${rate.days} days) × ${rate.left} days left`,
    ],
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
