import { inQuietHours, type QuietHours } from '../config/policy.js';
import type { WasteEstimate } from '../domain/finding.js';
import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import type { UsagePoint, UsageSeries } from '../domain/usage.js';
import type { PriceBook, PriceUsage } from '../pricing/price-book.js';
import { pointsIn as pointsInWindow } from './series.js';

/*
 * Helpers the SageMaker notebook, Studio, job and right-sizing rules share. Pure: no I/O, no SDK.
 */

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/**
 * Datapoints of present series whose period overlaps [start, end]; "no data" stays empty, never
 * zeros. Each series is read at the period it was asked for (see `./series.ts`).
 */
export function pointsIn(series: readonly UsageSeries[], start: Date, end: Date): UsagePoint[] {
  return pointsInWindow(series, { start, end });
}

/** `42 h` under two days, `5.3 d` beyond, `25 min` under an hour. */
export function duration(ms: number): string {
  const h = ms / HOUR_MS;
  return h >= 48 ? `${Math.round(h / 2.4) / 10} d` : h >= 1 ? `${Math.round(h * 10) / 10} h` : `${Math.round(ms / MINUTE_MS)} min`;
}

/** `2025-06-18 09:30 UTC`. */
export function utc(t: Date): string {
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A date-time string attribute as a Date, when it is one. */
export function dateAttribute(r: Resource, key: string): Date | undefined {
  const v = r.attributes[key];
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** A number attribute, when it is one. */
export function numberAttribute(r: Resource, key: string): number | undefined {
  const v = r.attributes[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** An hourly rate of a resource's components, priced for one use; undefined when any price is unknown. */
export interface Rate {
  readonly hourly: number;
  readonly currency: string;
  /** `ml.p3.2xlarge $3.825/h × 2`, joined with ` + `. */
  readonly parts: string;
  readonly source: string;
}

/** Prices the running components of a resource for one use (a training price is never used for hosting). */
export function rateOf(r: Resource, usage: PriceUsage, prices: PriceBook): Rate | undefined {
  const comps = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
  if (comps.length === 0) return undefined;
  let hourly = 0;
  let currency: string | undefined;
  const parts: string[] = [];
  const sources = new Set<string>();
  for (const c of comps) {
    if (!c.instanceType) return undefined;
    const p = prices.hourlyFor(usage, r.cloud, c.instanceType, r.region);
    if (!p || (currency && p.price.currency !== currency)) return undefined;
    currency = p.price.currency;
    sources.add(p.source);
    if (c.accelerator && c.accelerator.count > 0) {
      // Google Cloud bills accelerators apart from the machine: (machine + n × accelerator) per replica.
      const a = prices.acceleratorHourly(usage, r.cloud, c.accelerator.type, r.region);
      if (!a || a.price.currency !== currency) return undefined;
      sources.add(a.source);
      const each = p.price.amount + a.price.amount * c.accelerator.count;
      hourly += each * c.instanceCount;
      parts.push(`(${c.instanceType} ${rate(p.price.amount, currency)}/h + ${c.accelerator.count} × ${c.accelerator.type} ${rate(a.price.amount, currency)}/h) × ${c.instanceCount}`);
      continue;
    }
    hourly += p.price.amount * c.instanceCount;
    parts.push(`${c.instanceType} ${rate(p.price.amount, p.price.currency)}/h × ${c.instanceCount}`);
  }
  return currency ? { hourly, currency, parts: parts.join(' + '), source: [...sources].join('; ') } : undefined;
}

/** Monthly waste of a resource left running: rate × 730 h, with the arithmetic. */
export function monthlyWaste(rate: Rate): WasteEstimate {
  const monthly = { amount: round2(rate.hourly * HOURS_PER_MONTH), currency: rate.currency };
  const body = rate.parts.includes(' + ') ? `(${rate.parts})` : rate.parts;
  return { monthly, arithmetic: `${body} × ${HOURS_PER_MONTH} h = ${formatMoney(monthly)}/month`, priceSource: rate.source };
}

/** A price per hour as the idle-endpoint rule prints it: `$1.408`, `$0.05`. */
export function rate(amount: number, currency: string): string {
  return formatMoney({ amount, currency }, 4).replace(/0{1,2}$/, '');
}

/** Rounds an amount to cents. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Why a resource has no price, for the evidence. */
export function noPriceLine(r: Resource, usage: PriceUsage): string {
  const types = r.components.map((c) => `${c.instanceType ?? '?'}${c.accelerator ? ` + ${c.accelerator.count} × ${c.accelerator.type}` : ''}`).join(', ');
  return `no ${usage} price known for ${types}: set prices.${r.cloud} "${usage}:<instance type>" in costwatch.yml`;
}

/** One stretch of quiet hours, `end` clipped to now when it is still going on. */
export interface QuietStretch {
  readonly start: Date;
  readonly end: Date;
  /** Whether the stretch is still going on at `now`. */
  readonly ongoing: boolean;
}

const quietCache = new WeakMap<QuietHours, Map<number, QuietStretch[]>>();

/**
 * The quiet-hours stretches of the last eight days that began before `now`, newest first.
 * Read minute by minute on the zone's wall clock (so DST is honoured) and memoized per
 * configuration and instant: a scan asks the same question for every resource.
 */
export function quietStretches(quietHours: QuietHours, now: Date): QuietStretch[] {
  let perConfig = quietCache.get(quietHours);
  if (!perConfig) {
    perConfig = new Map();
    quietCache.set(quietHours, perConfig);
  }
  const key = Math.floor(now.getTime() / MINUTE_MS);
  const hit = perConfig.get(key);
  if (hit) return hit;
  const nowMinute = key * MINUTE_MS;
  const quiet = (t: number) => inQuietHours(quietHours, new Date(t));
  const out: QuietStretch[] = [];
  let t = nowMinute;
  let end: number | undefined = quiet(t) ? t + MINUTE_MS : undefined;
  const ongoing = end !== undefined;
  for (let i = 0; i < 8 * 1440; i++) {
    t -= MINUTE_MS;
    const q = quiet(t);
    if (q && end === undefined) end = t + MINUTE_MS;
    if (!q && end !== undefined) {
      out.push({ start: new Date(t + MINUTE_MS), end: new Date(Math.min(end, now.getTime())), ongoing: out.length === 0 && ongoing });
      end = undefined;
    }
  }
  if (perConfig.size > 64) perConfig.clear();
  perConfig.set(key, out);
  return out;
}

/**
 * The quiet-hours stretch a resource must have run through to count as idle by night: the
 * current one once `minHours` of it have passed (or it is shorter than that), else the last
 * completed one. Undefined when no quiet hours fell in the last eight days.
 */
export function lastQuietStretch(quietHours: QuietHours, now: Date, minHours: number): QuietStretch | undefined {
  const [first, second] = quietStretches(quietHours, now);
  if (!first) return undefined;
  if (!first.ongoing) return first;
  const passed = first.end.getTime() - first.start.getTime();
  return passed >= minHours * HOUR_MS ? first : second;
}

/** `22:00–07:00 Europe/Berlin`. */
export function quietHoursText(q: QuietHours): string {
  return `${q.start}–${q.end} ${q.timezone}${q.days ? ` (${q.days.join(', ')})` : ''}`;
}
