import type { CostRecord } from '../domain/cost.js';
import { CostwatchError } from '../errors.js';
import { parseCsv, type CsvCell } from './csv.js';

/** A FOCUS file whose content cannot be used, naming the line and column. */
export class FocusError extends CostwatchError {}

/** The FOCUS columns costwatch needs in every row. */
export const REQUIRED_FOCUS_COLUMNS = ['ProviderName', 'BillingCurrency', 'BilledCost', 'EffectiveCost', 'ChargePeriodStart', 'ChargePeriodEnd'] as const;

/** Options of {@link readFocusCsv}. */
export interface ReadFocusOptions {
  /** Keep only rows of this ProviderName (compared case-insensitively), e.g. `AWS`. */
  readonly providerName?: string;
  /** Name of the file, for messages. */
  readonly file?: string;
}

/**
 * Reads a FOCUS 1.x cost and usage CSV into cost records. Handles the official sample's quirks:
 * unquoted `NULL` for missing values, timestamps as `2024-09-01 00:00:00` (UTC, no `T`/`Z`) or
 * ISO 8601, and `Tags` as a JSON object in a quoted cell with doubled quotes. Every problem names
 * its line and column; nothing is guessed.
 */
export function readFocusCsv(text: string, opts: ReadFocusOptions = {}): CostRecord[] {
  const file = opts.file ?? 'FOCUS CSV';
  let table;
  try {
    table = parseCsv(text);
  } catch (err) {
    throw new FocusError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const col = new Map(table.header.map((h, k) => [h, k]));
  const missing = REQUIRED_FOCUS_COLUMNS.filter((c) => !col.has(c));
  if (missing.length > 0) throw new FocusError(`${file}: missing FOCUS column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const want = opts.providerName?.toLowerCase();
  const out: CostRecord[] = [];
  table.rows.forEach((row, r) => {
    const line = table.lines[r]!;
    const at = (name: string): CsvCell => {
      const k = col.get(name);
      return k === undefined ? null : (row[k] ?? null);
    };
    const fail = (name: string, why: string): never => {
      throw new FocusError(`${file}:${line}: ${name}: ${why}`);
    };
    const provider = at('ProviderName');
    if (provider === null || provider === '') fail('ProviderName', 'is empty');
    if (want !== undefined && provider!.toLowerCase() !== want) return;
    const num = (name: string, required: boolean): number | undefined => {
      const v = at(name);
      if (v === null || v === '') return required ? fail(name, 'is empty') : undefined;
      const x = Number(v);
      if (!Number.isFinite(x)) fail(name, `not a number: ${JSON.stringify(v)}`);
      return x;
    };
    const time = (name: string): Date => {
      const v = at(name);
      if (v === null || v === '') return fail(name, 'is empty');
      const d = parseFocusTime(v);
      return d ?? fail(name, `not a timestamp: ${JSON.stringify(v)} (expected 2024-09-01 00:00:00 or ISO 8601)`);
    };
    const str = (name: string): string | undefined => {
      const v = at(name);
      return v === null || v === '' ? undefined : v;
    };
    const currency = at('BillingCurrency');
    if (currency === null || !/^[A-Z]{3}$/.test(currency)) fail('BillingCurrency', `not an ISO 4217 code: ${JSON.stringify(currency)}`);
    const start = time('ChargePeriodStart');
    const end = time('ChargePeriodEnd');
    if (end.getTime() < start.getTime()) fail('ChargePeriodEnd', 'is before ChargePeriodStart');
    const tags = parseTags(at('Tags'), (why) => fail('Tags', why));
    const listCost = num('ListCost', false);
    const rec: CostRecord = {
      ProviderName: provider!,
      BillingCurrency: currency!,
      BilledCost: num('BilledCost', true)!,
      EffectiveCost: num('EffectiveCost', true)!,
      ...(listCost !== undefined ? { ListCost: listCost } : {}),
      ChargePeriodStart: start,
      ChargePeriodEnd: end,
      ...optional('ServiceName', str('ServiceName')),
      ...optional('SubAccountId', str('SubAccountId')),
      ...optional('RegionId', str('RegionId')),
      ...optional('ResourceId', str('ResourceId')),
      Tags: tags,
    };
    out.push(rec);
  });
  return out;
}

function optional<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

const SPACE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A FOCUS timestamp: `2024-09-01 00:00:00` (read as UTC, as the FOCUS sample means), ISO 8601
 * with or without a zone (UTC when absent), or a date alone (its midnight UTC). Undefined otherwise.
 */
export function parseFocusTime(text: string): Date | undefined {
  const s = text.trim();
  const m = SPACE_TIME.exec(s) ?? DATE_ONLY.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${zone ?? 'Z'}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls 2024-02-30 over to March; a timestamp that does not round-trip is a typo.
  if (zone === undefined && new Date(t).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return undefined;
  return new Date(t);
}

/** FOCUS `Tags`: a JSON object (values become strings), or NULL / empty for none. */
function parseTags(cell: CsvCell, fail: (why: string) => never): Record<string, string> {
  if (cell === null || cell.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(cell);
  } catch {
    return fail(`not a JSON object: ${cell.length > 60 ? `${cell.slice(0, 60)}…` : cell}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    // FOCUS 1.0 allows tags without a value ("key-only" tags): kept with an empty value.
    out[k] = v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}
