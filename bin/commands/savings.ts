import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../shared/clock.js';
import { formatMoney } from '../../shared/domain/money.js';
import type { SavingsEntry } from '../../shared/domain/savings.js';
import { countedUntil, hoursOff, NO_TEAM, realized, realizedArithmetic, realizedTotals, savingsRows, type Window } from '../../shared/savings/ledger.js';
import { openEmbeddedStore } from '../../shared/store/embedded-store.js';
import type { Io } from './scan.js';
import { EXIT, UsageError } from './common.js';

/** Parses `--since`: a date (`2025-06-01`, UTC midnight) or an ISO instant with a zone. */
export function parseSince(text: string): Date {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const d = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}(T.*(Z|[+-]\d{2}:?\d{2}))?$/.test(text) || Number.isNaN(d.getTime())) {
    throw new UsageError(`--since must be a date (2025-06-01) or an ISO time with a zone (2025-06-01T09:00:00Z), got ${JSON.stringify(text)}`);
  }
  return d;
}

/** One entry as `costwatch savings --json` prints it. */
export function entryJson(e: SavingsEntry, now: Date, w?: Window) {
  return {
    ...e,
    openedAt: e.openedAt.toISOString(),
    ...(e.closedAt ? { closedAt: e.closedAt.toISOString() } : {}),
    ...(e.endsBy ? { endsBy: e.endsBy.toISOString() } : {}),
    countedUntil: countedUntil(e, now).toISOString(),
    hoursOff: hoursOff(e, now, w),
    realized: realized(e, now, w),
    realizedArithmetic: realizedArithmetic(e, now, w),
  };
}

/** `costwatch savings [--since DATE] [--json] [--state-dir DIR]`: the savings ledger, each line with its arithmetic, and totals. */
export async function savingsCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { since: { type: 'string' }, json: { type: 'boolean', default: false }, 'state-dir': { type: 'string' } },
    allowPositionals: false,
    strict: true,
  });
  const now = systemClock.now();
  const since = values.since ? parseSince(values.since) : undefined;
  if (since && since > now) throw new UsageError(`--since ${values.since} is in the future`);
  const w = since ? { start: since, end: now } : undefined;
  const stateDir = values['state-dir'] ? resolve(io.cwd, values['state-dir']) : resolve(io.cwd, '.costwatch', 'state');
  const store = await openEmbeddedStore({ dir: stateDir });
  try {
    const entries = (await store.listSavings(since ? { since } : undefined)).filter((e) => !w || hoursOff(e, now, w) > 0);
    io.stdout.write(`${values.json ? JSON.stringify(savingsJson(entries, now, w), null, 2) : savingsText(entries, now, w)}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** The ledger as JSON (schema `costwatch.savings/v1`). */
export function savingsJson(entries: readonly SavingsEntry[], now: Date, w?: Window) {
  return {
    schema: 'costwatch.savings/v1',
    now: now.toISOString(),
    ...(w ? { since: w.start.toISOString() } : {}),
    entries: entries.map((e) => entryJson(e, now, w)),
    rows: savingsRows(entries, now, w),
    totals: realizedTotals(entries, now, w),
  };
}

/** The ledger as text: one block per entry, then totals per cloud, scope, rule, team and month. */
export function savingsText(entries: readonly SavingsEntry[], now: Date, w?: Window): string {
  const out = [`costwatch savings — ${entries.length} ledger entr${entries.length === 1 ? 'y' : 'ies'}${w ? ` counted since ${w.start.toISOString()}` : ''}, as of ${now.toISOString()}`];
  if (entries.length === 0) return `${out[0]}\n(nothing executed yet${w ? ' in that period' : ''})`;
  for (const e of entries) {
    const state = e.closedAt ? `closed ${e.closedAt.toISOString()} (${e.closeReason}: ${e.closeDetail ?? ''})` : e.endsBy && e.endsBy <= now ? `ended by itself ${e.endsBy.toISOString()}` : 'still off';
    out.push(
      '',
      `${e.resource.cloud} ${e.resource.scopeId} ${e.resource.region} ${e.resource.name} — ${e.actionKind} (${e.ruleId})${e.team ? `, team ${e.team}` : ''}`,
      `  off since ${e.openedAt.toISOString()}; ${state}`,
      `  rate: ${e.arithmetic} (${e.priceSource})`,
      `  realized: ${realizedArithmetic(e, now, w)}`,
    );
  }
  out.push('', 'Totals (cloud, scope, rule, team, month):');
  for (const r of savingsRows(entries, now, w)) {
    out.push(`  ${r.cloud} ${r.scopeId} ${r.ruleId} ${r.team === NO_TEAM ? 'no team tag' : `team ${r.team}`} ${r.month}: ${formatMoney({ amount: r.amount, currency: r.currency })} (${Math.round(r.hours * 100) / 100} h, ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'})`);
  }
  out.push(`Total: ${realizedTotals(entries, now, w).map((m) => formatMoney(m)).join(' + ')}`);
  return out.join('\n');
}
