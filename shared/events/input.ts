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

/**
 * Largest amount of money any event may carry: ten trillion in any currency. Beyond it a figure
 * is a mistake or an attack, and it would no longer survive the arithmetic and the store exactly
 * (numbers above 2^53 are not integers in JavaScript; DynamoDB refuses them).
 */
export const MAX_AMOUNT = 1e13;

/** Largest threshold a budget alert may name: 10,000% of its budget. */
export const MAX_THRESHOLD_PERCENT = 10_000;

/**
 * A figure rounded to a millionth: finer fractions mean nothing in money or percent, and a value
 * like 5e-324 could not be stored (DynamoDB numbers stop at 1e-130).
 */
export function roundFigure(n: number): number {
  // Large figures have no millionths to drop (and n × 1e6 could overflow): they are bounds-checked as they are.
  if (!Number.isFinite(n) || Math.abs(n) >= 1e9) return n;
  const r = Math.round(n * 1e6) / 1e6;
  return Object.is(r, -0) ? 0 : r;
}

/** A finite, non-negative amount (JSON number), at most {@link MAX_AMOUNT}, rounded to a millionth. */
export const amount = z
  .number()
  .finite()
  .min(0)
  .max(MAX_AMOUNT, `is over ${MAX_AMOUNT.toExponential()}, the largest amount costwatch reads`)
  .transform(roundFigure);

/** A finite amount that may be negative (an impact, a contribution), at most {@link MAX_AMOUNT} either way, rounded to a millionth. */
export const signedAmount = z
  .number()
  .finite()
  .min(-MAX_AMOUNT, `is under -${MAX_AMOUNT.toExponential()}, the smallest amount costwatch reads`)
  .max(MAX_AMOUNT, `is over ${MAX_AMOUNT.toExponential()}, the largest amount costwatch reads`)
  .transform(roundFigure);

/**
 * Why a budget event's figures cannot be alerted on, or undefined when they can: every amount
 * within {@link MAX_AMOUNT}, a budget above 0, and every threshold above 0% and at most
 * {@link MAX_THRESHOLD_PERCENT} (a threshold of 0 is crossed by any spend at all, and a huge one
 * by none; both are mistakes in the budget, not news about spending).
 */
export function budgetFiguresProblem(e: {
  readonly limit?: Money;
  readonly spent?: Money;
  readonly forecast?: Money;
  readonly crossings: readonly { readonly kind: string; readonly thresholdPercent?: number; readonly thresholdAmount?: Money; readonly amount?: Money }[];
}): string | undefined {
  const money: [string, Money | undefined][] = [
    ['the budget amount', e.limit],
    ['the amount spent', e.spent],
    ['the forecast', e.forecast],
    ...e.crossings.flatMap((c): [string, Money | undefined][] => [
      [`the ${c.kind} threshold amount`, c.thresholdAmount],
      [`the ${c.kind} amount`, c.amount],
    ]),
  ];
  for (const [what, m] of money) {
    if (!m) continue;
    if (!Number.isFinite(m.amount) || m.amount < 0) return `${what} is not a finite, non-negative figure`;
    if (m.amount > MAX_AMOUNT) return `${what} (${m.amount.toExponential(3)} ${m.currency}) is over ${MAX_AMOUNT.toExponential()}, the largest amount costwatch reads: not a real budget figure`;
  }
  if (e.limit && e.limit.amount === 0 && e.crossings.length > 0) return 'the budget amount is 0: no threshold of it can be crossed in a meaningful way; set a budget amount above 0';
  for (const c of e.crossings) {
    const p = c.thresholdPercent;
    if (p !== undefined) {
      if (!Number.isFinite(p)) return `the ${c.kind} threshold is not a finite percentage`;
      if (p <= 0) return `the ${c.kind} threshold is ${p}%: a threshold of 0 is crossed by any spend at all; set one above 0`;
      if (p > MAX_THRESHOLD_PERCENT) return `the ${c.kind} threshold is ${p}% of the budget, over the ${MAX_THRESHOLD_PERCENT}% costwatch reads: not a real threshold`;
    } else if (c.thresholdAmount && c.thresholdAmount.amount <= 0) {
      return `the ${c.kind} threshold amount is 0: a threshold of 0 is crossed by any spend at all; set one above 0`;
    }
  }
  return undefined;
}

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
  return { amount: roundFigure(a.value), currency: code };
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
