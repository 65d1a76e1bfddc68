import type { CostExplorerClient, Expression, GetCostForecastCommandOutput, GroupDefinition, ResultByTime } from '@aws-sdk/client-cost-explorer';
import { clientOf, costExplorerSdk, type ClientRef } from './sdk.js';
import type { CostRecord } from '../../domain/cost.js';
import type { CostForecast } from '../../domain/cost-signals.js';
import { money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';

/** The metrics read: UnblendedCost becomes FOCUS BilledCost, AmortizedCost EffectiveCost. */
export const COST_METRICS = ['UnblendedCost', 'AmortizedCost'] as const;

/** How one GetCostAndUsage query groups spend: by service, or by service and one cost allocation tag. */
export type Breakdown = 'SERVICE' | `SERVICE,TAG:${string}`;

/** The GroupBy of a breakdown. */
export function groupByOf(breakdown: Breakdown): GroupDefinition[] {
  const tag = /^SERVICE,TAG:(.+)$/.exec(breakdown)?.[1];
  return tag === undefined ? [{ Type: 'DIMENSION', Key: 'SERVICE' }] : [{ Type: 'DIMENSION', Key: 'SERVICE' }, { Type: 'TAG', Key: tag }];
}

/** One daily GetCostAndUsage query of one account. */
export interface CostQuery {
  readonly accountId: string;
  /** YYYY-MM-DD, inclusive. */
  readonly start: string;
  /** YYYY-MM-DD, exclusive. */
  readonly end: string;
  readonly breakdown: Breakdown;
}

/** Reads every page of a daily, grouped GetCostAndUsage for one linked account (each page is billed). */
export async function readCostAndUsage(ref: ClientRef<CostExplorerClient>, q: CostQuery): Promise<{ records: CostRecord[]; pages: number }> {
  const [{ GetCostAndUsageCommand }, ce] = await Promise.all([costExplorerSdk(), clientOf(ref)]);
  const results: ResultByTime[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const out = await ce.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: q.start, End: q.end },
        Granularity: 'DAILY',
        Metrics: [...COST_METRICS],
        GroupBy: groupByOf(q.breakdown),
        // From a payer account Cost Explorer sees every linked account; the scope is this one.
        Filter: { Dimensions: { Key: 'LINKED_ACCOUNT', Values: [q.accountId] } },
        NextPageToken: token,
      }),
    );
    pages++;
    results.push(...(out.ResultsByTime ?? []));
    token = out.NextPageToken;
  } while (token);
  return { records: costRecordsFromResults(results, { accountId: q.accountId, breakdown: q.breakdown }), pages };
}

/** Options of {@link costRecordsFromResults}. */
export interface RecordOptions {
  /** SubAccountId of every record (the linked account queried). */
  readonly accountId?: string;
  /** The grouping of the query; absent = the rows are not pre-aggregated by a costwatch breakdown. */
  readonly breakdown?: Breakdown;
  readonly billedMetric?: string;
  readonly effectiveMetric?: string;
}

/**
 * GetCostAndUsage results as FOCUS cost records: one per group and period (or per period from
 * `Total` when ungrouped). `SERVICE` keys become ServiceName; `key$value` tag keys become Tags
 * (`key$` — untagged — becomes no tag). A metric missing falls back to the other cost metric.
 */
export function costRecordsFromResults(results: readonly ResultByTime[], opts: RecordOptions = {}): CostRecord[] {
  const billed = opts.billedMetric ?? 'UnblendedCost';
  const effective = opts.effectiveMetric ?? 'AmortizedCost';
  const out: CostRecord[] = [];
  const groupDefs = opts.breakdown ? groupByOf(opts.breakdown) : undefined;
  for (const r of results) {
    const start = dayStart(r.TimePeriod?.Start, 'TimePeriod.Start');
    const end = dayStart(r.TimePeriod?.End, 'TimePeriod.End');
    const rows = (r.Groups ?? []).length > 0 ? (r.Groups ?? []).map((g) => ({ keys: g.Keys ?? [], metrics: g.Metrics ?? {} })) : [{ keys: [] as string[], metrics: r.Total ?? {} }];
    for (const row of rows) {
      const b = row.metrics[billed] ?? row.metrics[effective];
      const e = row.metrics[effective] ?? row.metrics[billed];
      if (!b || !e) {
        if (Object.keys(row.metrics).length === 0) continue;
        throw new ProviderError(`Cost Explorer answered without ${billed} or ${effective} (got ${Object.keys(row.metrics).join(', ')})`, { cloud: 'aws', operation: 'GetCostAndUsage' });
      }
      const currency = b.Unit ?? 'USD';
      const tags: Record<string, string> = {};
      let service: string | undefined;
      row.keys.forEach((k, i) => {
        const def = groupDefs?.[i];
        const dollar = k.indexOf('$');
        if (def?.Type === 'TAG' || (!def && dollar >= 0)) {
          const key = def?.Key ?? k.slice(0, dollar);
          const value = k.startsWith(`${key}$`) ? k.slice(key.length + 1) : k.slice(dollar + 1);
          if (value !== '') tags[key] = value;
        } else if (!def || def.Key === 'SERVICE') {
          service = k;
        }
      });
      out.push({
        ProviderName: 'AWS',
        BillingCurrency: currency,
        BilledCost: amount(b.Amount),
        EffectiveCost: amount(e.Amount),
        ChargePeriodStart: start,
        ChargePeriodEnd: end,
        ...(service !== undefined ? { ServiceName: service } : {}),
        ...(opts.accountId ? { SubAccountId: opts.accountId } : {}),
        Tags: tags,
        ...(opts.breakdown ? { x_Breakdown: opts.breakdown } : {}),
      });
    }
  }
  return out;
}

/** A Cost Explorer filter for a budget's services and tags within one linked account. */
export function forecastFilter(accountId: string, scope: { services?: readonly string[]; tags?: Readonly<Record<string, string>> }): Expression {
  const parts: Expression[] = [{ Dimensions: { Key: 'LINKED_ACCOUNT', Values: [accountId] } }];
  if (scope.services?.length) parts.push({ Dimensions: { Key: 'SERVICE', Values: [...scope.services] } });
  for (const [Key, v] of Object.entries(scope.tags ?? {})) parts.push({ Tags: { Key, Values: [v] } });
  return parts.length === 1 ? parts[0]! : { And: parts };
}

/** One GetCostForecast of the unblended cost still to come in [start, end). */
export interface ForecastQuery {
  readonly accountId: string;
  readonly start: string;
  readonly end: string;
  readonly filter: Expression;
  readonly budgetName?: string;
}

/** Reads a forecast; undefined when Cost Explorer has too little history to forecast (DataUnavailableException). */
export async function readForecast(ref: ClientRef<CostExplorerClient>, q: ForecastQuery): Promise<CostForecast | undefined> {
  const [{ GetCostForecastCommand }, ce] = await Promise.all([costExplorerSdk(), clientOf(ref)]);
  let out: GetCostForecastCommandOutput;
  try {
    out = await ce.send(new GetCostForecastCommand({ TimePeriod: { Start: q.start, End: q.end }, Metric: 'UNBLENDED_COST', Granularity: 'MONTHLY', Filter: q.filter }));
  } catch (err) {
    if ((err as { name?: string }).name === 'DataUnavailableException') return undefined;
    throw err;
  }
  return forecastFromResponse(out, { scopeId: q.accountId, ...(q.budgetName !== undefined ? { budgetName: q.budgetName } : {}) });
}

/** A GetCostForecast answer as a domain forecast. */
export function forecastFromResponse(out: Pick<GetCostForecastCommandOutput, 'Total' | 'ForecastResultsByTime'>, opts: { scopeId: string; budgetName?: string }): CostForecast {
  const periods = out.ForecastResultsByTime ?? [];
  const total = out.Total;
  if (!total?.Amount) throw new ProviderError('Cost Explorer answered a forecast without Total', { cloud: 'aws', operation: 'GetCostForecast' });
  const currency = total.Unit ?? 'USD';
  const lower = periods.every((p) => p.PredictionIntervalLowerBound !== undefined) && periods.length > 0 ? periods.reduce((s, p) => s + amount(p.PredictionIntervalLowerBound), 0) : undefined;
  const upper = periods.every((p) => p.PredictionIntervalUpperBound !== undefined) && periods.length > 0 ? periods.reduce((s, p) => s + amount(p.PredictionIntervalUpperBound), 0) : undefined;
  return {
    cloud: 'aws',
    scopeId: opts.scopeId,
    ...(opts.budgetName !== undefined ? { budgetName: opts.budgetName } : {}),
    period: { start: dayStart(periods[0]?.TimePeriod?.Start, 'TimePeriod.Start'), end: dayStart(periods.at(-1)?.TimePeriod?.End, 'TimePeriod.End') },
    amount: money(amount(total.Amount), currency),
    ...(lower !== undefined ? { lower: money(lower, currency) } : {}),
    ...(upper !== undefined ? { upper: money(upper, currency) } : {}),
    source: 'AWS Cost Explorer GetCostForecast',
  };
}

function amount(text: string | undefined): number {
  const x = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(x)) throw new ProviderError(`Cost Explorer answered an amount that is not a number: ${JSON.stringify(text)}`, { cloud: 'aws' });
  return x;
}

function dayStart(text: string | undefined, what: string): Date {
  const t = text === undefined ? NaN : Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(t)) throw new ProviderError(`Cost Explorer answered a ${what} that is not a date: ${JSON.stringify(text)}`, { cloud: 'aws' });
  return new Date(t);
}
