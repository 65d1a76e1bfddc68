import { sagemakerLifecycle } from '../providers/aws/lifecycle.js';
import * as z from '../util/check.js';
import type { Money } from '../domain/money.js';
import type { Lifecycle } from '../domain/resource.js';
import { MAX_EVENT_BYTES, refuse, type EventPeriod, type EventSource, type ParseResult } from './event.js';

/** A string at most `max` characters long, for quoting input in a refusal without echoing a whole body. */
export function clip(s: string, max = 60): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** Longest base64 text that can decode to at most {@link MAX_EVENT_BYTES}. */
export const MAX_BASE64_CHARS = Math.ceil(MAX_EVENT_BYTES / 3) * 4;

/** Refuses a body over {@link MAX_EVENT_BYTES} before anything reads it. */
export function checkSize(text: string, source?: EventSource, what = 'body'): ParseResult<string> {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: skip the exact count for small strings.
  if (text.length * 3 > MAX_EVENT_BYTES) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_EVENT_BYTES) return refuse(`${what} is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit`, source);
  }
  return { ok: true, event: text };
}

/** Parses JSON text (size-checked first), refusing with the parser's own message. */
export function parseJson(text: string, source?: EventSource, what = 'body'): ParseResult<unknown> {
  const sized = checkSize(text, source, what);
  if (!sized.ok) return sized;
  if (text.trim() === '') return refuse(`${what} is empty`, source);
  try {
    return { ok: true, event: JSON.parse(text) as unknown };
  } catch (err) {
    return refuse(`${what} is not valid JSON: ${clip((err as Error).message, 120)}`, source);
  }
}

/** One line naming the first problems zod found, with their paths. */
export function zodReason(error: z.CheckError, prefix = ''): string {
  const shown = error.issues.slice(0, 3).map((i) => {
    const path = formatPath([...(prefix ? [prefix] : []), ...i.path]);
    // zod words a missing key as a type mismatch with undefined; say what it is.
    const message = i.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'is missing (expected $1)');
    return `${path || '(root)'}: ${clip(message, 160)}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Runs a zod schema, returning a refusal naming the problems instead of throwing. */
export function validate<T>(schema: z.Schema<T>, input: unknown, source: EventSource, prefix = ''): ParseResult<T> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, event: r.data } : refuse(zodReason(r.error, prefix), source);
}

// Years outside this range are certainly a unit mistake (seconds read as ms, or the reverse).
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);

function fromMs(ms: number, ctx: z.Ctx): Date {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) {
    ctx.addIssue({ code: 'custom', message: 'not a time between 2000 and 2200 in epoch milliseconds' });
    return z.NEVER;
  }
  return new Date(ms);
}

/**
 * A time as SageMaker events send it: epoch milliseconds as a number (`1592411992203.0`) or a
 * string (`"1583831889050"`), or an ISO 8601 string.
 */
export const eventTime = z.union([z.number(), z.string().max(64)]).transform((v, ctx): Date => {
  if (typeof v === 'number') return fromMs(v, ctx);
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return fromMs(Number(s), ctx);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return fromMs(Date.parse(s), ctx);
  ctx.addIssue({ code: 'custom', message: `not a time (epoch milliseconds or ISO 8601): ${JSON.stringify(clip(s, 40))}` });
  return z.NEVER;
});

/** An ISO 8601 date-time with a zone (Google, Azure, Cost Anomaly Detection). */
export const isoTime = z
  .string()
  .max(64)
  .transform((s, ctx): Date => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s.trim())) {
      ctx.addIssue({ code: 'custom', message: `not an ISO 8601 time with a zone: ${JSON.stringify(clip(s, 40))}` });
      return z.NEVER;
    }
    return fromMs(Date.parse(s.trim()), ctx);
  });

/** A finite, non-negative amount (JSON number). */
export const amount = z.number().finite().min(0).max(1e15);

/** A short, non-empty identifier-like string. */
export const text = (max = 1024) => z.string().trim().min(1, 'must not be empty').max(max);

/**
 * Reads an amount written for people: `$11,111.00`, `$0.5`, `1234.50 EUR`, `€1,234.50`. Commas
 * are thousands separators only in groups of three; anything else is refused rather than guessed.
 */
export function parseAmountText(s: string): { value: number; symbol?: string; code?: string } | undefined {
  const m = /^\s*([^\d\s.,+-]{0,3})?\s*(-?)\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*([A-Z]{3})?\s*$/u.exec(s);
  if (!m) return undefined;
  const [, symbol, minus, whole, frac, code] = m;
  const value = Number(`${minus ?? ''}${whole!.replace(/,/g, '')}${frac ?? ''}`);
  if (!Number.isFinite(value)) return undefined;
  return { value, ...(symbol ? { symbol } : {}), ...(code ? { code } : {}) };
}

const SYMBOLS: Readonly<Record<string, string>> = { $: 'USD', '€': 'EUR', '£': 'GBP', '¥': 'JPY', '₹': 'INR' };

/**
 * Money from a human-written amount. `currency` (when the message states one elsewhere) wins over
 * the symbol; a symbol that contradicts it is refused, as is an amount with no currency at all.
 */
export function moneyFromText(s: string, currency?: string): Money | string {
  const a = parseAmountText(s);
  if (!a) return `cannot read the amount ${JSON.stringify(clip(s, 40))}`;
  const fromSymbol = a.symbol ? SYMBOLS[a.symbol] : undefined;
  if (a.symbol && !fromSymbol && !currency) return `unknown currency symbol in ${JSON.stringify(clip(s, 40))}`;
  const code = currency ?? a.code ?? fromSymbol;
  if (!code) return `no currency in ${JSON.stringify(clip(s, 40))}`;
  if (a.code && a.code !== code) return `amount ${JSON.stringify(clip(s, 40))} is in ${a.code}, not ${code}`;
  // `$` is also the sign of CAD, AUD and others: only a different non-dollar symbol is a contradiction.
  if (fromSymbol && fromSymbol !== code && a.symbol !== '$') return `amount ${JSON.stringify(clip(s, 40))} is in ${fromSymbol}, not ${code}`;
  if (a.value < 0) return `amount ${JSON.stringify(clip(s, 40))} is negative`;
  return { amount: a.value, currency: code };
}

/** ISO 4217 code check (three upper-case letters known to Intl). */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export const currencyCode = z
  .string()
  .trim()
  .refine((c) => CURRENCIES.has(c), { error: (iss) => `not an ISO 4217 currency code: ${JSON.stringify(clip(String(iss.input), 20))}` });

/** Rounds a percentage so `0.9 × 100` is 90, not 90.00000000000001. */
export function roundPercent(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

/**
 * The status in the SageMaker API's spelling: events may send `IN_SERVICE` where the API says
 * `InService`; both become `InService`.
 */
export function apiStatus(s: string): string {
  if (!/[_\s]/.test(s) && s !== s.toUpperCase()) return s;
  return s
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase())
    .join('');
}


/** The cloud-neutral lifecycle of a SageMaker status; `other` for one this version does not know. */
export function lifecycleOf(kind: string, status: string): Lifecycle {
  return sagemakerLifecycle(kind, status);
}

/** The calendar period (UTC) containing `at`. */
export function calendarPeriod(at: Date, granularity: Exclude<EventPeriod['granularity'], 'unknown'>): EventPeriod {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (granularity) {
    case 'day': {
      const start = new Date(Date.UTC(y, m, at.getUTCDate()));
      return { key: start.toISOString().slice(0, 10), granularity, start, end: new Date(start.getTime() + 86_400_000) };
    }
    case 'month':
      return { key: `${y}-${String(m + 1).padStart(2, '0')}`, granularity, start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
    case 'quarter': {
      const q = Math.floor(m / 3);
      return { key: `${y}-Q${q + 1}`, granularity, start: new Date(Date.UTC(y, q * 3, 1)), end: new Date(Date.UTC(y, q * 3 + 3, 1)) };
    }
    case 'year':
      return { key: String(y), granularity, start: new Date(Date.UTC(y, 0, 1)), end: new Date(Date.UTC(y + 1, 0, 1)) };
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
