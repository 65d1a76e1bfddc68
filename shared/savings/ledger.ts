import type { ProposedAction } from '../domain/action.js';
import { isMonthlyWaste, type WasteEstimate } from '../domain/finding.js';
import { formatMoney, HOURS_PER_MONTH, money, type Money } from '../domain/money.js';
import type { Cloud, Resource } from '../domain/resource.js';
import type { SavingsEntry } from '../domain/savings.js';
import { PRICE_USAGE_BY_KIND } from '../pipeline/price-resources.js';
import type { PriceBook } from '../pricing/price-book.js';
import { rate, rateOf } from '../rules/helpers.js';

/*
 * The savings ledger's arithmetic. Pure: an entry's realized saving is its hourly rate times the
 * hours it stayed off inside a window, and every total is kept per currency.
 */

const HOUR_MS = 3_600_000;

/** Tag key whose value names the team a resource belongs to, in the ledger and the digest. */
export const TEAM_TAG_KEY = 'team';

/** The team tag of a resource (`team`, any case), when it has one. */
export function teamOf(tags: Readonly<Record<string, string>>): string | undefined {
  const key = Object.keys(tags).find((k) => k.toLowerCase() === TEAM_TAG_KEY);
  const v = key === undefined ? undefined : tags[key]?.trim();
  return v ? v : undefined;
}

/**
 * The ledger entry of an action just executed on `resource`, or undefined when the rate it stopped
 * is not known. Compute kinds billed per instance-hour use the price book (price × count);
 * others (storage tiering) use the finding's monthly estimate, which is already net of the
 * transition, retrieval and monitoring fees, spread over 730 h. A job that would have stopped by
 * itself (waste `until-stopped`) counts only until then.
 */
export function savingsEntryFor(p: ProposedAction, resource: Resource, waste: WasteEstimate | undefined, prices: PriceBook, at: Date): SavingsEntry | undefined {
  const team = teamOf(resource.tags);
  const base = { id: p.id, actionKind: p.kind, ruleId: p.ruleId, resource: p.resource, ...(team ? { team } : {}), openedAt: at };
  const usage = PRICE_USAGE_BY_KIND[resource.kind];
  const r = usage ? rateOf(resource, usage, prices) : undefined;
  if (r) {
    const hourly = money(r.hourly, r.currency);
    let endsBy: Date | undefined;
    let until = '';
    if (waste?.basis === 'until-stopped' && waste.monthly.currency === r.currency && r.hourly > 0) {
      const hours = waste.monthly.amount / r.hourly;
      endsBy = new Date(at.getTime() + hours * HOUR_MS);
      until = `; it would have stopped by itself after ${round(hours, 1)} h (${formatMoney(waste.monthly)} left to run), so nothing counts after ${endsBy.toISOString()}`;
    }
    return { ...base, hourly, arithmetic: `${r.parts} = ${rate(r.hourly, r.currency)}/h${until}`, priceSource: r.source, ...(endsBy ? { endsBy } : {}) };
  }
  if (waste && isMonthlyWaste(waste) && waste.monthly.amount > 0) {
    const hourly = money(waste.monthly.amount / HOURS_PER_MONTH, waste.monthly.currency);
    return {
      ...base,
      hourly,
      arithmetic: `${formatMoney(waste.monthly)}/month net of fees ÷ ${HOURS_PER_MONTH} h = ${rate(hourly.amount, hourly.currency)}/h (${waste.arithmetic})`,
      priceSource: waste.priceSource,
    };
  }
  return undefined;
}

/** A time window: start inclusive, end exclusive. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

/** When the entry stops counting as of `now`: closed, its natural end, or now, whichever is first. */
export function countedUntil(e: SavingsEntry, now: Date): Date {
  const t = Math.min(e.closedAt?.getTime() ?? Infinity, e.endsBy?.getTime() ?? Infinity, now.getTime());
  return new Date(Math.max(t, e.openedAt.getTime()));
}

/** Hours the resource stayed off inside `w` (all of its life when `w` is omitted), as of `now`. */
export function hoursOff(e: SavingsEntry, now: Date, w?: Window): number {
  const from = Math.max(e.openedAt.getTime(), w?.start.getTime() ?? -Infinity);
  const to = Math.min(countedUntil(e, now).getTime(), w?.end.getTime() ?? Infinity);
  return Math.max(0, to - from) / HOUR_MS;
}

/** Realized saving of one entry inside `w`: hourly rate × hours off. */
export function realized(e: SavingsEntry, now: Date, w?: Window): Money {
  return { amount: e.hourly.amount * hoursOff(e, now, w), currency: e.hourly.currency };
}

/** `2025-06`: the UTC month of a date. */
export function monthOf(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** The UTC calendar month `YYYY-MM` as a window. */
export function monthWindow(month: string): Window {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { start: new Date(Date.UTC(y, m - 1, 1)), end: new Date(Date.UTC(y, m, 1)) };
}

/** One line of the ledger's totals: what one cloud, scope, rule and team saved in one month, in one currency. */
export interface SavingsRow {
  readonly cloud: Cloud;
  readonly scopeId: string;
  readonly ruleId: string;
  /** The team tag's value; `(none)` for resources without one. */
  readonly team: string;
  readonly month: string;
  readonly currency: string;
  readonly amount: number;
  readonly hours: number;
  readonly entries: number;
}

/** Placeholder team of resources without a team tag. */
export const NO_TEAM = '(none)';

/**
 * Realized savings per cloud, scope, rule, team tag, month and currency, counted inside `w` when
 * given. An entry spanning a month boundary counts in each month for the hours it spent in it.
 * Currencies are separate rows: they are never added.
 */
export function savingsRows(entries: readonly SavingsEntry[], now: Date, w?: Window): SavingsRow[] {
  const rows = new Map<string, { -readonly [K in keyof SavingsRow]: SavingsRow[K] }>();
  for (const e of entries) {
    const from = new Date(Math.max(e.openedAt.getTime(), w?.start.getTime() ?? -Infinity));
    const until = new Date(Math.min(countedUntil(e, now).getTime(), w?.end.getTime() ?? Infinity));
    if (until <= from) continue;
    for (let month = monthOf(from); month <= monthOf(new Date(until.getTime() - 1)); month = nextMonth(month)) {
      const mw = monthWindow(month);
      const win = { start: new Date(Math.max(mw.start.getTime(), from.getTime())), end: new Date(Math.min(mw.end.getTime(), until.getTime())) };
      const hours = hoursOff(e, now, win);
      if (hours <= 0) continue;
      const team = e.team ?? NO_TEAM;
      const key = JSON.stringify([e.resource.cloud, e.resource.scopeId, e.ruleId, team, month, e.hourly.currency]);
      const row = rows.get(key) ?? { cloud: e.resource.cloud, scopeId: e.resource.scopeId, ruleId: e.ruleId, team, month, currency: e.hourly.currency, amount: 0, hours: 0, entries: 0 };
      row.amount += e.hourly.amount * hours;
      row.hours += hours;
      row.entries += 1;
      rows.set(key, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.month.localeCompare(b.month) || a.cloud.localeCompare(b.cloud) || a.scopeId.localeCompare(b.scopeId) || a.ruleId.localeCompare(b.ruleId) || a.team.localeCompare(b.team) || a.currency.localeCompare(b.currency));
}

/** Realized savings inside `w` (all time when omitted), one total per currency, optionally for one cloud. */
export function realizedTotals(entries: readonly SavingsEntry[], now: Date, w?: Window, cloud?: Cloud): Money[] {
  const sums = new Map<string, number>();
  for (const e of entries) {
    if (cloud && e.resource.cloud !== cloud) continue;
    const r = realized(e, now, w);
    if (r.amount > 0 || !sums.has(r.currency)) sums.set(r.currency, (sums.get(r.currency) ?? 0) + r.amount);
  }
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount, currency }));
}

/** The entry's saving written out: `$2.816/h × 36.5 h off = $102.78`. */
export function realizedArithmetic(e: SavingsEntry, now: Date, w?: Window): string {
  const h = hoursOff(e, now, w);
  return `${rate(e.hourly.amount, e.hourly.currency)}/h × ${round(h, 2)} h off = ${formatMoney(realized(e, now, w))}`;
}

function nextMonth(month: string): string {
  const w = monthWindow(month);
  return monthOf(w.end);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
