import type { ProposedAction } from '../domain/action.js';
import type { Money } from '../domain/money.js';
import { CLOUDS, type Cloud, type Scope } from '../domain/resource.js';
import type { SavingsEntry } from '../domain/savings.js';
import { monthOf, realized, realizedTotals, type Window } from '../savings/ledger.js';
import { isPosted } from '../slack/messenger.js';
import type { StateStore } from '../store/port.js';
import { readSpend, type BudgetLine, type SpendSnapshot } from './spend.js';

/*
 * The weekly digest's figures, read from the store only: spend and budgets as the scans recorded
 * them, the savings ledger, the audit log, Slack message references and open proposals.
 */

const DAY_MS = 86_400_000;

/** How many movers the digest names per cloud, by service and by team. */
export const TOP_MOVERS = 3;
/** How many waiting proposals the digest shows with their buttons. */
export const DIGEST_PROPOSALS = 5;
/** Weeks of savings in the savings chart. */
export const SAVINGS_WEEKS = 8;

/** A service or team whose spend changed most from the week before. */
export interface Mover {
  readonly key: string;
  readonly currency: string;
  readonly thisWeek: number;
  readonly lastWeek: number;
}

/** One cloud's week. */
export interface CloudDigest {
  readonly cloud: Cloud;
  readonly spendWeek: readonly Money[];
  readonly spendMonth: readonly Money[];
  readonly budgets: readonly BudgetLine[];
  readonly movers: { readonly services: readonly Mover[]; readonly teams: readonly Mover[] };
  readonly findingsOpened: number;
  readonly findingsResolved: number;
  readonly actionsTaken: number;
  readonly actionsUndone: number;
  readonly realizedWeek: readonly Money[];
  readonly realizedMonth: readonly Money[];
  readonly pending: number;
  /** The last day of cost data (exclusive), when any was recorded. */
  readonly costsThrough?: string;
  /** Month to date, per currency: AI spend and the part without a team tag (absent when costs were not grouped by team). */
  readonly untagged?: readonly { readonly currency: string; readonly untagged: number; readonly total: number }[];
}

/** The services whose spend the digest counts as AI spend when the policy names none (`rules.untagged-spend.services`). */
export const DEFAULT_AI_SERVICES: readonly string[] = ['Amazon SageMaker', 'Amazon Bedrock'];

/** Daily spend of one cloud in one currency this month, for the spend chart. */
export interface DailySpend {
  readonly cloud: Cloud;
  readonly currency: string;
  readonly day: string;
  readonly amount: number;
}

/** Everything the weekly digest shows. */
export interface DigestModel {
  /** Start (inclusive) and end (exclusive) of the week. */
  readonly week: Window;
  /** Spend weeks end at the start of today (UTC): cost data is daily. */
  readonly spendWeek: Window;
  readonly month: string;
  readonly clouds: readonly CloudDigest[];
  readonly total: {
    readonly spendWeek: readonly Money[];
    readonly spendMonth: readonly Money[];
    readonly realizedWeek: readonly Money[];
    readonly realizedMonth: readonly Money[];
    readonly findingsOpened: number;
    readonly findingsResolved: number;
    readonly actionsTaken: number;
    readonly actionsUndone: number;
  };
  /** Ledger entries that counted this week, with their hours (for the arithmetic). */
  readonly savings: readonly SavingsEntry[];
  readonly daily: readonly DailySpend[];
  /** Budgets across clouds (`*`), shown in the total. */
  readonly sharedBudgets: readonly BudgetLine[];
  readonly weeklySavings: readonly { readonly week: string; readonly cloud: Cloud; readonly currency: string; readonly amount: number }[];
  /** Proposals waiting for a decision, largest saving first. */
  readonly pending: readonly ProposedAction[];
  readonly now: Date;
}

/** Start of the ISO week (Monday 00:00 UTC) containing `at`. */
export function weekStart(at: Date): Date {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d;
}

function dayStart(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

function sumDays(s: SpendSnapshot | undefined, w: Window, pick: (d: SpendSnapshot['days'][string][string]) => Readonly<Record<string, number>> | number): Map<string, Map<string, number>> {
  // currency → key → amount (key '' for totals)
  const out = new Map<string, Map<string, number>>();
  if (!s) return out;
  const from = w.start.toISOString().slice(0, 10);
  const to = w.end.toISOString().slice(0, 10);
  for (const [day, byCur] of Object.entries(s.days)) {
    if (day < from || day >= to) continue;
    for (const [cur, spend] of Object.entries(byCur)) {
      const m = out.get(cur) ?? new Map<string, number>();
      const v = pick(spend);
      if (typeof v === 'number') m.set('', (m.get('') ?? 0) + v);
      else for (const [k, a] of Object.entries(v)) m.set(k, (m.get(k) ?? 0) + a);
      out.set(cur, m);
    }
  }
  return out;
}

function addInto(target: Map<string, Map<string, number>>, src: Map<string, Map<string, number>>): void {
  for (const [cur, m] of src) {
    const t = target.get(cur) ?? new Map<string, number>();
    for (const [k, a] of m) t.set(k, (t.get(k) ?? 0) + a);
    target.set(cur, t);
  }
}

function totals(m: Map<string, Map<string, number>>): Money[] {
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, v]) => ({ amount: v.get('') ?? 0, currency }));
}

function movers(thisWeek: Map<string, Map<string, number>>, lastWeek: Map<string, Map<string, number>>): Mover[] {
  const out: Mover[] = [];
  for (const cur of new Set([...thisWeek.keys(), ...lastWeek.keys()])) {
    const a = thisWeek.get(cur) ?? new Map<string, number>();
    const b = lastWeek.get(cur) ?? new Map<string, number>();
    for (const key of new Set([...a.keys(), ...b.keys()])) out.push({ key, currency: cur, thisWeek: a.get(key) ?? 0, lastWeek: b.get(key) ?? 0 });
  }
  return out
    .filter((m) => Math.abs(m.thisWeek - m.lastWeek) >= 0.005)
    .sort((x, y) => Math.abs(y.thisWeek - y.lastWeek) - Math.abs(x.thisWeek - x.lastWeek) || x.key.localeCompare(y.key))
    .slice(0, TOP_MOVERS);
}

function sumMoney(list: readonly (readonly Money[])[]): Money[] {
  const m = new Map<string, number>();
  for (const ms of list) for (const x of ms) m.set(x.currency, (m.get(x.currency) ?? 0) + x.amount);
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount, currency }));
}

/**
 * Builds the digest for the week ending at `now`, for the scopes the policy watches. Spend weeks
 * are the last seven full UTC days (cost data is daily); the rest counts the last seven days to `now`.
 */
export async function buildDigestModel(store: StateStore, scopes: readonly Scope[], now: Date, opts: { aiServices?: readonly string[] } = {}): Promise<DigestModel> {
  const aiServices = new Set(opts.aiServices ?? DEFAULT_AI_SERVICES);
  const week: Window = { start: new Date(now.getTime() - 7 * DAY_MS), end: now };
  const today = dayStart(now);
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const monthToDate: Window = { start: monthStart, end: now };
  const month = monthOf(now);
  const oldestWeek = new Date(weekStart(now).getTime() - (SAVINGS_WEEKS - 1) * 7 * DAY_MS);
  const snapshots = await Promise.all(scopes.map((s) => readSpend(store, s, now)));
  // Spend weeks end with the last day any scope has cost data for (clouds report a day or two late),
  // so this week and the week before compare seven full days each.
  const lastDay = snapshots.flatMap((s) => Object.keys(s?.days ?? {})).filter((d) => d < today.toISOString().slice(0, 10)).sort().at(-1);
  const spendEnd = lastDay ? new Date(new Date(`${lastDay}T00:00:00Z`).getTime() + DAY_MS) : today;
  const spendWeek: Window = { start: new Date(spendEnd.getTime() - 7 * DAY_MS), end: spendEnd };
  const prevWeek: Window = { start: new Date(spendEnd.getTime() - 14 * DAY_MS), end: spendWeek.start };

  const [ledger, audit, messages, open] = await Promise.all([
    store.listSavings({ since: new Date(Math.min(oldestWeek.getTime(), monthStart.getTime())) }),
    store.listAudit({ since: week.start }),
    store.listSlackMessages({ since: week.start }),
    store.listProposals({ status: ['proposed'] }),
  ]);
  const proposalIds = [...new Set(audit.flatMap((e) => (e.proposalId ? [e.proposalId] : [])))];
  const proposals = new Map((await Promise.all(proposalIds.map((id) => store.getProposal(id)))).filter((p) => p !== undefined).map((p) => [p.id, p]));
  const cloudOfEntry = (proposalId: string | undefined): Cloud | undefined => (proposalId ? proposals.get(proposalId)?.resource.cloud : undefined);
  // Events at `now` itself (a scan just before the digest) belong to this week.
  const inWeek = (d: Date) => d >= week.start && d <= week.end;

  // Opened: alerted in Slack this week, or proposed this week (a proposal is made for a new finding).
  const openedIds = new Map<string, Cloud>();
  for (const m of messages) if (m.finding && isPosted(m) && m.postedAt >= week.start && m.finding.state === 'violation' && !m.finding.budget) openedIds.set(m.finding.id, m.finding.cloud);
  for (const e of audit) {
    const p = e.event === 'proposed' && inWeek(e.at) && e.proposalId ? proposals.get(e.proposalId) : undefined;
    if (p) openedIds.set(p.findingId, p.resource.cloud);
  }
  const opened = [...openedIds.values()].map((cloud) => ({ cloud }));
  // Resolved: acted on, or the re-check found the resource no longer wasteful.
  const resolvedEvents = audit.filter((e) => inWeek(e.at) && (e.event === 'executed' || (e.event === 'cancelled' && /no longer|is now/.test(e.detail))));
  const pending = open.filter((p) => p.expiresAt > now).sort((a, b) => (b.monthlySaving?.amount ?? 0) - (a.monthlySaving?.amount ?? 0) || a.id.localeCompare(b.id));

  const used = new Set<Cloud>([...scopes.map((s) => s.cloud), ...ledger.map((e) => e.resource.cloud)]);
  const clouds: CloudDigest[] = [];
  const daily: DailySpend[] = [];
  const seenBudgets = new Map<string, { line: BudgetLine; at: string }>();
  for (const cloud of CLOUDS.filter((c) => used.has(c))) {
    const snaps = snapshots.filter((s, i): s is SpendSnapshot => s !== undefined && scopes[i]!.cloud === cloud);
    const weekTotals = new Map<string, Map<string, number>>();
    const monthTotals = new Map<string, Map<string, number>>();
    const svcNow = new Map<string, Map<string, number>>();
    const svcBefore = new Map<string, Map<string, number>>();
    const teamNow = new Map<string, Map<string, number>>();
    const teamBefore = new Map<string, Map<string, number>>();
    let costsThrough: string | undefined;
    const perDay = new Map<string, number>();
    const untagged = new Map<string, { untagged: number; total: number }>();
    for (const s of snaps) {
      addInto(weekTotals, sumDays(s, spendWeek, (d) => d.total));
      addInto(monthTotals, sumDays(s, monthToDate, (d) => d.total));
      addInto(svcNow, sumDays(s, spendWeek, (d) => d.services));
      addInto(svcBefore, sumDays(s, prevWeek, (d) => d.services));
      addInto(teamNow, sumDays(s, spendWeek, (d) => d.teams));
      addInto(teamBefore, sumDays(s, prevWeek, (d) => d.teams));
      for (const [day, byCur] of Object.entries(s.days)) {
        if (day < monthStart.toISOString().slice(0, 10) || day >= today.toISOString().slice(0, 10)) continue;
        for (const [cur, spend] of Object.entries(byCur)) {
          perDay.set(`${cur}\u0000${day}`, (perDay.get(`${cur}\u0000${day}`) ?? 0) + spend.total);
          for (const [svc, t] of Object.entries(spend.teamTagged ?? {})) {
            if (!aiServices.has(svc)) continue;
            const u = untagged.get(cur) ?? { untagged: 0, total: 0 };
            u.untagged += t.untagged;
            u.total += t.total;
            untagged.set(cur, u);
          }
        }
        const next = new Date(new Date(`${day}T00:00:00Z`).getTime() + DAY_MS).toISOString().slice(0, 10);
        if (!costsThrough || next > costsThrough) costsThrough = next;
      }
      for (const b of s.budgets) {
        const prev = seenBudgets.get(b.name);
        if (!prev || prev.at < s.updatedAt) seenBudgets.set(b.name, { line: b, at: s.updatedAt });
      }
    }
    for (const [k, amount] of [...perDay.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [currency, day] = k.split('\u0000') as [string, string];
      daily.push({ cloud, currency, day, amount });
    }
    const entries = ledger.filter((e) => e.resource.cloud === cloud);
    const events = audit.filter((e) => inWeek(e.at) && cloudOfEntry(e.proposalId) === cloud);
    clouds.push({
      cloud,
      spendWeek: totals(weekTotals),
      spendMonth: totals(monthTotals),
      budgets: [],
      movers: { services: movers(svcNow, svcBefore), teams: movers(teamNow, teamBefore) },
      findingsOpened: opened.filter((f) => f.cloud === cloud).length,
      findingsResolved: new Set(resolvedEvents.filter((e) => cloudOfEntry(e.proposalId) === cloud).map((e) => e.proposalId)).size,
      actionsTaken: events.filter((e) => e.event === 'executed').length,
      actionsUndone: events.filter((e) => e.event === 'undone').length,
      realizedWeek: realizedTotals(entries, now, week),
      realizedMonth: realizedTotals(entries, now, monthToDate),
      pending: pending.filter((p) => p.resource.cloud === cloud).length,
      ...(costsThrough ? { costsThrough } : {}),
      ...(untagged.size > 0 ? { untagged: [...untagged].filter(([, u]) => u.total > 0).map(([currency, u]) => ({ currency, ...u })) } : {}),
    });
  }
  const budgets = [...seenBudgets.values()].map((b) => b.line).sort((a, b) => a.name.localeCompare(b.name));
  const withBudgets = clouds.map((c) => ({ ...c, budgets: budgets.filter((b) => b.cloud === c.cloud) }));

  const weeklySavings: DigestModel['weeklySavings'][number][] = [];
  for (let i = 0; i < SAVINGS_WEEKS; i++) {
    const start = new Date(oldestWeek.getTime() + i * 7 * DAY_MS);
    const w = { start, end: new Date(Math.min(start.getTime() + 7 * DAY_MS, now.getTime())) };
    const sums = new Map<string, number>();
    for (const e of ledger) {
      const r = realized(e, now, w);
      const k = `${e.resource.cloud}\u0000${r.currency}`;
      sums.set(k, (sums.get(k) ?? 0) + r.amount);
    }
    for (const [k, amount] of sums) {
      const [cloud, currency] = k.split('\u0000') as [Cloud, string];
      weeklySavings.push({ week: start.toISOString().slice(0, 10), cloud, currency, amount });
    }
  }

  return {
    week,
    spendWeek,
    month,
    clouds: withBudgets,
    total: {
      spendWeek: sumMoney(withBudgets.map((c) => c.spendWeek)),
      spendMonth: sumMoney(withBudgets.map((c) => c.spendMonth)),
      realizedWeek: realizedTotals(ledger, now, week),
      realizedMonth: realizedTotals(ledger, now, monthToDate),
      findingsOpened: opened.length,
      findingsResolved: new Set(resolvedEvents.map((e) => e.proposalId)).size,
      actionsTaken: audit.filter((e) => inWeek(e.at) && e.event === 'executed').length,
      actionsUndone: audit.filter((e) => inWeek(e.at) && e.event === 'undone').length,
    },
    savings: ledger.filter((e) => realized(e, now, week).amount > 0),
    daily,
    sharedBudgets: budgets.filter((b) => b.cloud === '*'),
    weeklySavings,
    pending,
    now,
  };
}
