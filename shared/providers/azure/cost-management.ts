import type { CostManagementClient, ForecastDefinition, ForecastFilter, QueryDefinition, QueryResult } from '@azure/arm-costmanagement';
import { createHttpHeaders, createPipelineRequest, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { CostRecord } from '../../domain/cost.js';
import type { CostForecast } from '../../domain/cost-signals.js';
import { money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';

/*
 * Azure Cost Management: the Query API (daily actual cost of a subscription, month to date,
 * grouped) and the Forecast API (cost still to come in a budget's period), through
 * `@azure/arm-costmanagement` (api-version 2022-10-01). Query answers a table (columns + rows);
 * a long answer pages with `nextLink`, which is POSTed the same body. Cost Management throttles
 * hard (a handful of calls per scope and minute, and a tenant-wide query-processing budget) and
 * says how long to wait in its own headers, which the SDK's retry policy does not read:
 * {@link costManagementThrottlingPolicy} turns them into the wait the SDK honours.
 */

/** How one Query groups spend: by service and resource group, or by service and one tag key. */
export type AzureBreakdown = 'SERVICE' | `SERVICE,TAG:${string}`;

/** The aggregation asked: the actual (billed) cost, summed. */
const AGGREGATION = { totalCost: { name: 'Cost', function: 'Sum' } } as const;

/** Column names of the cost amount, as Cost Management names it for the different agreement types. */
const COST_COLUMNS = ['cost', 'pretaxcost', 'costusd', 'pretaxcostusd'];

/** The grouping of a breakdown (Query accepts at most two groupings). */
export function groupingOf(breakdown: AzureBreakdown): { type: string; name: string }[] {
  const tag = /^SERVICE,TAG:(.+)$/.exec(breakdown)?.[1];
  return tag === undefined
    ? [
        { type: 'Dimension', name: 'ServiceName' },
        { type: 'Dimension', name: 'ResourceGroupName' },
      ]
    : [
        { type: 'Dimension', name: 'ServiceName' },
        { type: 'TagKey', name: tag },
      ];
}

/** One daily Query of one subscription over [start, end) (YYYY-MM-DD). */
export interface AzureCostQuery {
  readonly subscriptionId: string;
  readonly start: string;
  /** Exclusive. */
  readonly end: string;
  readonly breakdown: AzureBreakdown;
}

/** The Query body of a cost query: actual cost, daily, custom period (the last day inclusive, as Cost Management reads `to`). */
export function queryDefinition(q: AzureCostQuery): QueryDefinition {
  return {
    type: 'ActualCost',
    timeframe: 'Custom',
    timePeriod: { from: new Date(`${q.start}T00:00:00Z`), to: new Date(Date.parse(`${q.end}T00:00:00Z`) - 1000) },
    dataset: { granularity: 'Daily', aggregation: { ...AGGREGATION }, grouping: groupingOf(q.breakdown) },
  };
}

/** The scope path of a subscription, as the SDK takes it (no leading slash). */
export function subscriptionScope(subscriptionId: string): string {
  return `subscriptions/${subscriptionId}`;
}

/** Reads every page of a daily grouped Query of one subscription. */
export async function readCostQuery(client: CostManagementClient, q: AzureCostQuery): Promise<{ records: CostRecord[]; pages: number }> {
  const def = queryDefinition(q);
  const first = await client.query.usage(subscriptionScope(q.subscriptionId), def);
  const results: QueryResult[] = [first];
  let next = first.nextLink;
  let pages = 1;
  while (next) {
    if (pages >= MAX_PAGES) throw new ProviderError(`Cost Management Query answered more than ${MAX_PAGES} pages`, { cloud: 'azure', scopeId: q.subscriptionId, operation: 'costmanagement:Query_Usage' });
    const page = await postNextLink(client, next, def);
    results.push(page);
    pages++;
    next = page.nextLink;
  }
  return { records: results.flatMap((r) => costRecordsFromQuery(r, { subscriptionId: q.subscriptionId, breakdown: q.breakdown })), pages };
}

/** Pages followed before giving up (a month of daily rows grouped by service and group fits in a few). */
const MAX_PAGES = 50;

/** POSTs the query body to a `nextLink` through the client's own pipeline (token, retries, throttling). */
async function postNextLink(client: CostManagementClient, url: string, def: QueryDefinition): Promise<QueryResult> {
  const body = JSON.stringify({ ...def, timePeriod: def.timePeriod ? { from: def.timePeriod.from.toISOString(), to: def.timePeriod.to.toISOString() } : undefined });
  const res = await client.sendRequest(createPipelineRequest({ url, method: 'POST', headers: createHttpHeaders({ 'content-type': 'application/json', accept: 'application/json' }), body }));
  let parsed: unknown;
  try {
    parsed = res.bodyAsText ? JSON.parse(res.bodyAsText) : {};
  } catch {
    throw new ProviderError(`Cost Management answered a page that is not JSON (HTTP ${res.status})`, { cloud: 'azure', operation: 'costmanagement:Query_Usage' });
  }
  if (res.status >= 400) {
    const e = (parsed as { error?: { code?: string; message?: string } }).error;
    const err = new ProviderError(`${res.status} ${e?.code ?? 'Error'}: ${e?.message ?? 'Cost Management refused the next page'}`, { cloud: 'azure', operation: 'costmanagement:Query_Usage' });
    throw err;
  }
  const p = parsed as { properties?: { columns?: QueryResult['columns']; rows?: unknown[][]; nextLink?: string | null } };
  return { columns: p.properties?.columns ?? [], rows: p.properties?.rows ?? [], ...(p.properties?.nextLink ? { nextLink: p.properties.nextLink } : {}) };
}

/** Options of {@link costRecordsFromQuery}. */
export interface QueryRecordOptions {
  readonly subscriptionId: string;
  readonly breakdown?: AzureBreakdown;
}

/**
 * A Query answer as FOCUS cost records, one per row. Columns are found by name (Cost or
 * PreTaxCost, UsageDate as yyyymmdd, Currency, ServiceName, ResourceGroupName, TagKey/TagValue);
 * a row of an untagged cost (empty TagKey or TagValue) becomes a record without the tag.
 */
export function costRecordsFromQuery(result: Pick<QueryResult, 'columns' | 'rows'>, opts: QueryRecordOptions): CostRecord[] {
  const cols = (result.columns ?? []).map((c) => (c.name ?? '').toLowerCase());
  const at = (name: string) => cols.indexOf(name);
  const cost = cols.findIndex((c) => COST_COLUMNS.includes(c));
  const date = at('usagedate');
  const currency = at('currency');
  const service = at('servicename');
  // ResourceGroupName, or ResourceGroup as older agreement types and Microsoft's examples name it.
  const group = at('resourcegroupname') >= 0 ? at('resourcegroupname') : at('resourcegroup');
  const tagKey = at('tagkey');
  const tagValue = at('tagvalue');
  const fail = (what: string) => new ProviderError(`Cost Management answered ${what}`, { cloud: 'azure', scopeId: opts.subscriptionId, operation: 'costmanagement:Query_Usage' });
  if ((result.rows ?? []).length > 0 && (cost < 0 || date < 0)) throw fail(`a table without a cost or UsageDate column (columns: ${cols.join(', ') || 'none'})`);
  const breakdownTag = opts.breakdown ? /^SERVICE,TAG:(.+)$/.exec(opts.breakdown)?.[1] : undefined;
  const out: CostRecord[] = [];
  for (const row of result.rows ?? []) {
    if (!Array.isArray(row)) throw fail('a row that is not a list');
    const amount = Number(row[cost]);
    if (!Number.isFinite(amount)) throw fail(`a cost that is not a number: ${JSON.stringify(row[cost])}`);
    const start = usageDate(row[date], fail);
    const tags: Record<string, string> = {};
    const key = tagKey >= 0 ? String(row[tagKey] ?? '') : '';
    const value = tagValue >= 0 ? String(row[tagValue] ?? '') : '';
    if (key !== '' && value !== '') tags[breakdownTag && key.toLowerCase() === breakdownTag.toLowerCase() ? breakdownTag : key] = value;
    const svc = service >= 0 ? String(row[service] ?? '') : '';
    const rg = group >= 0 ? String(row[group] ?? '') : '';
    const cur = currency >= 0 ? String(row[currency] ?? '') : 'USD';
    if (!/^[A-Z]{3}$/.test(cur)) throw fail(`a currency that is not an ISO code: ${JSON.stringify(cur)}`);
    out.push({
      ProviderName: 'Microsoft',
      BillingCurrency: cur,
      BilledCost: amount,
      EffectiveCost: amount,
      ChargePeriodStart: start,
      ChargePeriodEnd: new Date(start.getTime() + 86_400_000),
      ...(svc !== '' ? { ServiceName: svc } : {}),
      SubAccountId: opts.subscriptionId,
      Tags: tags,
      ...(rg !== '' ? { x_ResourceGroupName: rg.toLowerCase() } : {}),
      ...(opts.breakdown ? { x_Breakdown: opts.breakdown } : {}),
    });
  }
  return out;
}

/** A Cost Management filter for a budget's services and tags (the subscription is the scope). */
export function forecastFilter(scope: { services?: readonly string[]; tags?: Readonly<Record<string, string>> }): ForecastFilter | undefined {
  const parts: ForecastFilter[] = [];
  if (scope.services?.length) parts.push({ dimensions: { name: 'ServiceName', operator: 'In', values: [...scope.services] } });
  for (const [name, v] of Object.entries(scope.tags ?? {})) parts.push({ tags: { name, operator: 'In', values: [v] } });
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { and: parts };
}

/** One Forecast of the actual cost still to come in [start, end) (YYYY-MM-DD). */
export interface AzureForecastQuery {
  readonly subscriptionId: string;
  readonly start: string;
  readonly end: string;
  readonly filter?: ForecastFilter;
  readonly budgetName?: string;
}

/** The Forecast body: actual cost, daily, forecast days only. */
export function forecastDefinition(q: AzureForecastQuery): ForecastDefinition {
  return {
    type: 'ActualCost',
    timeframe: 'Custom',
    timePeriod: { from: new Date(`${q.start}T00:00:00Z`), to: new Date(Date.parse(`${q.end}T00:00:00Z`) - 1000) },
    dataset: { granularity: 'Daily', aggregation: { ...AGGREGATION }, ...(q.filter ? { filter: q.filter } : {}) },
    includeActualCost: false,
    includeFreshPartialCost: false,
  };
}

/** Reads a forecast; undefined when Cost Management has no forecast rows (too little history). */
export async function readCostForecast(client: CostManagementClient, q: AzureForecastQuery): Promise<CostForecast | undefined> {
  const out = await client.forecast.usage(subscriptionScope(q.subscriptionId), forecastDefinition(q));
  return forecastFromResult(out, { subscriptionId: q.subscriptionId, start: q.start, end: q.end, ...(q.budgetName !== undefined ? { budgetName: q.budgetName } : {}) });
}

/** A Forecast answer as a domain forecast: the sum of its `Forecast` rows (actual rows, if any, are not counted). */
export function forecastFromResult(
  result: Pick<QueryResult, 'columns' | 'rows'>,
  opts: { subscriptionId: string; start: string; end: string; budgetName?: string },
): CostForecast | undefined {
  const cols = (result.columns ?? []).map((c) => (c.name ?? '').toLowerCase());
  const cost = cols.findIndex((c) => COST_COLUMNS.includes(c));
  const status = cols.indexOf('coststatus');
  const currency = cols.indexOf('currency');
  const rows = (result.rows ?? []).filter((r) => Array.isArray(r) && (status < 0 || String(r[status]).toLowerCase() === 'forecast'));
  if (rows.length === 0) return undefined;
  if (cost < 0) throw new ProviderError(`Cost Management answered a forecast without a cost column (columns: ${cols.join(', ')})`, { cloud: 'azure', scopeId: opts.subscriptionId, operation: 'costmanagement:Forecast_Usage' });
  const currencies = new Set(rows.map((r) => (currency >= 0 ? String(r[currency]) : 'USD')));
  if (currencies.size !== 1) throw new ProviderError(`Cost Management answered a forecast in several currencies: ${[...currencies].join(', ')}`, { cloud: 'azure', scopeId: opts.subscriptionId, operation: 'costmanagement:Forecast_Usage' });
  let total = 0;
  for (const r of rows) {
    const x = Number(r[cost]);
    if (!Number.isFinite(x)) throw new ProviderError(`Cost Management answered a forecast amount that is not a number: ${JSON.stringify(r[cost])}`, { cloud: 'azure', scopeId: opts.subscriptionId, operation: 'costmanagement:Forecast_Usage' });
    total += x;
  }
  return {
    cloud: 'azure',
    scopeId: opts.subscriptionId,
    ...(opts.budgetName !== undefined ? { budgetName: opts.budgetName } : {}),
    period: { start: new Date(`${opts.start}T00:00:00Z`), end: new Date(`${opts.end}T00:00:00Z`) },
    amount: money(Math.round(total * 100) / 100, [...currencies][0]!),
    source: 'Azure Cost Management Forecast',
  };
}

function usageDate(v: unknown, fail: (what: string) => Error): Date {
  // Daily rows carry UsageDate as the number 20250601; some answers give an ISO string.
  const text = String(v ?? '');
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text) ?? /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(t)) throw fail(`a UsageDate that is not a date: ${JSON.stringify(v)}`);
  return new Date(t);
}

/**
 * Headers in which Cost Management and Consumption say how many seconds to wait after a 429:
 * per query-processing budget (`qpu`), per scope (`entity`), per tenant and per client type.
 * Microsoft's guidance is to wait for the longest of them.
 */
export const COST_RETRY_AFTER_HEADERS = [
  'x-ms-ratelimit-microsoft.costmanagement-qpu-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-entity-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-tenant-retry-after',
  'x-ms-ratelimit-microsoft.costmanagement-clienttype-retry-after',
  'x-ms-ratelimit-microsoft.consumption-retry-after',
  'retry-after',
] as const;

/** Thrown (and reported as a collection failure) when Cost Management asks for a longer wait than a scan can afford. */
export class CostManagementThrottledError extends ProviderError {
  constructor(readonly waitSeconds: number, readonly header: string) {
    super(`Cost Management is throttling this tenant: it asks to wait ${waitSeconds} s (${header}), longer than a scan waits; the next scan reads it`, { cloud: 'azure', operation: 'costmanagement' });
    this.name = 'CostManagementThrottledError';
  }
}

/**
 * A pipeline policy placed after the SDK's retry policy (so it sees each attempt's response):
 * on a 429 or 503 it reads every Cost Management retry header, takes the longest wait, and
 * writes it as `retry-after-ms`, which the SDK's throttling retry honours. A wait longer than
 * `maxWaitMs` is not waited: the read fails with {@link CostManagementThrottledError}.
 */
export function costManagementThrottlingPolicy(maxWaitMs: number): PipelinePolicy {
  return {
    name: 'costwatchCostManagementThrottling',
    async sendRequest(request, next) {
      const res = await next(request);
      if (res.status !== 429 && res.status !== 503) return res;
      let longest = -1;
      let which = '';
      for (const h of COST_RETRY_AFTER_HEADERS) {
        const raw = res.headers.get(h);
        if (raw === undefined) continue;
        const secs = Number(raw);
        const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(raw) - Date.now();
        if (Number.isFinite(ms) && ms > longest) {
          longest = Math.max(0, ms);
          which = h;
        }
      }
      if (longest < 0) return res;
      if (longest > maxWaitMs) throw new CostManagementThrottledError(Math.ceil(longest / 1000), which);
      res.headers.set('retry-after-ms', String(Math.ceil(longest)));
      return res;
    },
  };
}
