/** Hours in the average month (8,760 h / 12), the convention cloud price pages use. */
export const HOURS_PER_MONTH = 730;

/** An amount of one currency. Amounts of different currencies are never added. */
export interface Money {
  readonly amount: number;
  /** ISO 4217 code, e.g. `USD`. */
  readonly currency: string;
}

/** Thrown when two amounts of different currencies would be combined. */
export class CurrencyMismatchError extends Error {
  constructor(
    readonly left: string,
    readonly right: string,
  ) {
    super(`cannot combine ${left} and ${right} amounts`);
    this.name = 'CurrencyMismatchError';
  }
}

/** Builds a Money value, rejecting non-finite amounts and malformed currency codes. */
export function money(amount: number, currency = 'USD'): Money {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be finite, got ${amount}`);
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`currency must be an ISO 4217 code, got ${currency}`);
  return { amount, currency };
}

/** Sum of amounts of one currency; throws CurrencyMismatchError otherwise. */
export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
  return { amount: a.amount + b.amount, currency: a.currency };
}

/** Multiplies an amount by a plain factor (count, hours). */
export function scaleMoney(a: Money, factor: number): Money {
  return money(a.amount * factor, a.currency);
}

/** Totals per currency: the only honest way to sum amounts that may differ in currency. */
export function totalsByCurrency(amounts: Iterable<Money>): Money[] {
  const sums = new Map<string, number>();
  for (const m of amounts) sums.set(m.currency, (sums.get(m.currency) ?? 0) + m.amount);
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount, currency }));
}

/** Human form: `$2,050.00` for USD, `1,234.50 EUR` otherwise. */
/** One formatter per number of digits: `toLocaleString` builds an Intl formatter per call, a cost a scan paid per finding. */
const FORMATS = new Map<number, Intl.NumberFormat>();

export function formatMoney(m: Money, digits = 2): string {
  let format = FORMATS.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    FORMATS.set(digits, format);
  }
  const n = format.format(m.amount);
  return m.currency === 'USD' ? `$${n}` : `${n} ${m.currency}`;
}
