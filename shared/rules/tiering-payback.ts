import { formatMoney, money } from '../domain/money.js';

/*
 * The payback arithmetic every storage-tiering rule shares (S3, Cloud Storage, Azure Blob): given
 * what a move costs once and what it saves each month, the month by whose end the move has paid
 * for itself, whether that is within the destination's minimum storage duration, the first year's
 * net, and the sentence that says so in a finding's evidence. The clouds differ in what goes into
 * the monthly net (their fees), never in how payback is judged.
 */

export const DAYS_PER_MONTH = 30;

/** Months over which a move is followed: a first year. */
export const YEAR_MONTHS = 12;

export interface Payback {
  /** First month by whose end the savings cover the one-time cost; undefined if never within the first year. */
  readonly paybackMonth?: number;
  /** Paid back within the horizon (the destination's minimum storage duration). */
  readonly paysBack: boolean;
  /** Net over the first year, one-time cost included. */
  readonly yearNet: number;
}

/**
 * Payback of a move costing `oneTime` that saves `monthlyNet[i]` in month i + 1 (a number when
 * every month saves the same). A month that loses money never counts as the payback month.
 */
export function payback(monthlyNet: number | readonly number[], oneTime: number, horizonMonths: number): Payback {
  const months = typeof monthlyNet === 'number' ? Array.from({ length: YEAR_MONTHS }, () => monthlyNet) : monthlyNet;
  let cumulative = -oneTime;
  let paybackMonth: number | undefined;
  months.forEach((net, i) => {
    cumulative += net;
    if (paybackMonth === undefined && net > 0 && cumulative >= 0) paybackMonth = i + 1;
  });
  const yearNet = months.reduce((a, b) => a + b, 0) - oneTime;
  return { ...(paybackMonth !== undefined ? { paybackMonth } : {}), paysBack: paybackMonth !== undefined && paybackMonth <= horizonMonths, yearNet };
}

/** Whole months covering a minimum storage duration in days; at least one. */
export function horizonOf(minimumDays: number): number {
  return Math.max(1, Math.ceil(minimumDays / DAYS_PER_MONTH));
}

/** The evidence sentence: "pays back in month 2, within …; first year $X" or why it does not. */
export function paybackSentence(p: Payback, within: string, fmt: (x: number) => string, whyNever = ''): string {
  return p.paysBack
    ? `pays back in month ${p.paybackMonth}, within ${within}; first year ${fmt(p.yearNet)}`
    : `does not pay back within ${within}${p.paybackMonth ? ` (month ${p.paybackMonth})` : whyNever}; first year ${fmt(p.yearNet)}`;
}

/** Money for fees that are fractions of a cent: four places below a unit, trailing zeros trimmed to two. */
export function feeFormatter(currency: string): (x: number) => string {
  return (x) => (Math.abs(x) < 1 ? formatMoney(money(x, currency), 4).replace(/(\.\d{2}\d*?)0+\b/, '$1') : formatMoney(money(x, currency)));
}

/** A share as a percentage with one decimal: 0.125 → "12.5%". */
export function pct(r: number): string {
  return `${Math.round(r * 1000) / 10}%`;
}

/** A count with thousands separators. */
export function int(n: number): string {
  return n.toLocaleString('en-US');
}
