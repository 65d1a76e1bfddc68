import { randomUUID } from 'node:crypto';
import { resolveTime } from '../time.js';
import type { World } from '../world.js';
import { ArmError, type ArmResponse } from './arm.js';
import type { ArmContext } from './machine-learning.js';
import type { AzureBudgetSpec, ReservationRecommendationSpec, RetailPricesSpec } from './world-azure-cost.js';

/*
 * The sandbox's Azure money APIs: Cost Management Query and Forecast (api-version 2022-10-01)
 * and Consumption budgets (2021-10-01) on the ARM listener, and the public Retail Prices API
 * (`/api/retail/prices`, no credential). All answer from the world's `azure.subscriptions[].costs`
 * and `budgets` and `azure.retailPrices`. Query pages by `nextLink` ($skiptoken); Retail Prices by
 * `NextPageLink` ($skip). The sandbox's forecast is documented: the average of the 7 days before
 * today, for each day to come; no forecast without cost in the 28 days before today.
 */

const DAY_MS = 86_400_000;

/** Operation ids served, per service, as in Microsoft's swagger. */
export const AZURE_BILLING_OPERATIONS = {
  costmanagement: ['Query_Usage', 'Forecast_Usage'],
  consumption: ['Budgets_List', 'ReservationRecommendations_List'],
  retailprices: ['Prices_Get'],
} as const;

/** One day's cost row. */
interface DayRow {
  readonly day: number;
  readonly service: string;
  readonly resourceGroup: string;
  readonly cost: number;
  readonly tags: Readonly<Record<string, string>>;
}

interface SubscriptionCosts {
  readonly currency: string;
  readonly rowsPerPage: number;
  readonly rows: readonly DayRow[];
  readonly budgets: readonly AzureBudgetSpec[];
  readonly reservationRecommendations: readonly ReservationRecommendationSpec[];
}

/** The money side of the Azure world, read-only. */
export class AzureCostState {
  private readonly subs = new Map<string, SubscriptionCosts>();
  readonly retailPrices: RetailPricesSpec;
  private readonly worldNow: number;

  constructor(world: World, worldNowMs: number) {
    this.worldNow = worldNowMs;
    this.retailPrices = world.azure.retailPrices;
    for (const s of world.azure.subscriptions) {
      const rows: DayRow[] = [];
      for (const r of s.costs.rows) rows.push({ day: dayStart(resolveTime(r.date, worldNowMs)), service: r.service, resourceGroup: (r.resourceGroup ?? '').toLowerCase(), cost: r.cost, tags: { ...r.tags } });
      for (const d of s.costs.daily) {
        const until = resolveTime(d.until, worldNowMs);
        for (let day = dayStart(resolveTime(d.from, worldNowMs)); day < until; day += DAY_MS) {
          rows.push({ day, service: d.service, resourceGroup: (d.resourceGroup ?? '').toLowerCase(), cost: d.amount, tags: { ...d.tags } });
        }
      }
      this.subs.set(s.id, { currency: s.costs.currency, rowsPerPage: s.costs.rowsPerPage, rows, budgets: s.budgets, reservationRecommendations: s.reservationRecommendations });
    }
  }

  subscription(id: string): SubscriptionCosts | undefined {
    return this.subs.get(id.toLowerCase());
  }

  /** UTC midnight of the world's day. */
  today(now: number): number {
    return dayStart(now);
  }

  /** The sandbox's daily forecast of a filter: the 7 days before today averaged; undefined without cost in the 28 days before today. */
  dailyForecast(rows: readonly DayRow[], now: number): number | undefined {
    const today = dayStart(now);
    const recent = rows.filter((r) => r.day < today && r.day >= today - 28 * DAY_MS);
    if (recent.length === 0) return undefined;
    const week = rows.filter((r) => r.day < today && r.day >= today - 7 * DAY_MS);
    return week.reduce((s, r) => s + r.cost, 0) / 7;
  }

  get nowMs(): number {
    return this.worldNow;
  }
}

/** A matched money route. */
export interface BillingRoute {
  readonly service: keyof typeof AZURE_BILLING_OPERATIONS;
  readonly operation: string;
  run(): ArmResponse;
}

/** The Cost Management or Consumption route of an ARM request, or undefined when it is not one. */
export function billingRoute(ctx: ArmContext, costs: AzureCostState): BillingRoute | undefined {
  const path = decodeURIComponent(ctx.url.pathname).toLowerCase().replace(/\/+$/, '');
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.costmanagement\/query$/.test(path)) {
    return { service: 'costmanagement', operation: 'Query_Usage', run: () => query(ctx, costs) };
  }
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.costmanagement\/forecast$/.test(path)) {
    return { service: 'costmanagement', operation: 'Forecast_Usage', run: () => forecast(ctx, costs) };
  }
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.consumption\/budgets$/.test(path)) {
    return { service: 'consumption', operation: 'Budgets_List', run: () => budgets(ctx, costs) };
  }
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.consumption\/reservationrecommendations$/.test(path)) {
    return { service: 'consumption', operation: 'ReservationRecommendations_List', run: () => reservationRecommendations(ctx, costs) };
  }
  return undefined;
}

type Json = Record<string, unknown>;

function need(ctx: ArmContext, method: string): void {
  if (ctx.method !== method) throw new ArmError(405, 'MethodNotAllowed', `The sandbox cloud does not serve ${ctx.method} ${ctx.url.pathname}`);
}

function subCosts(ctx: ArmContext, costs: AzureCostState): SubscriptionCosts {
  return costs.subscription(ctx.subscription) ?? { currency: 'USD', rowsPerPage: 1000, rows: [], budgets: [], reservationRecommendations: [] };
}

function bad(message: string): ArmError {
  return new ArmError(400, 'BadRequest', message);
}

/** Reads `timePeriod` (or MonthToDate) of a Query or Forecast body as [from, to] UTC days, `to` inclusive. */
function period(body: Json, now: number): { from: number; to: number } {
  const timeframe = String(body['timeframe'] ?? '');
  if (timeframe === 'MonthToDate') {
    const d = new Date(now);
    return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: dayStart(now) };
  }
  if (timeframe !== 'Custom') throw bad(`Invalid query definition: timeframe ${JSON.stringify(timeframe)} is not served by the sandbox (Custom, MonthToDate)`);
  const tp = body['timePeriod'] as { from?: unknown; to?: unknown } | undefined;
  const from = Date.parse(String(tp?.from ?? ''));
  const to = Date.parse(String(tp?.to ?? ''));
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw bad('Invalid query definition: a Custom timeframe needs timePeriod.from and timePeriod.to');
  if (to < from) throw bad('Invalid query definition: timePeriod.to is before timePeriod.from');
  return { from: dayStart(from), to: dayStart(to) };
}

/** Whether a row passes a Query/Forecast filter (`and`, `or`, `dimensions`, `tags`; operator In). */
function passes(row: DayRow, filter: unknown): boolean {
  if (filter === undefined || filter === null) return true;
  const f = filter as { and?: unknown[]; or?: unknown[]; not?: unknown; dimensions?: { name?: string; operator?: string; values?: string[] }; tags?: { name?: string; operator?: string; values?: string[] } };
  if (f.and) return f.and.every((x) => passes(row, x));
  if (f.or) return f.or.some((x) => passes(row, x));
  if (f.dimensions) {
    const name = (f.dimensions.name ?? '').toLowerCase();
    const values = (f.dimensions.values ?? []).map((v) => v.toLowerCase());
    if (f.dimensions.operator !== undefined && f.dimensions.operator !== 'In') throw bad(`Invalid filter: operator ${f.dimensions.operator} is not supported`);
    const v = name === 'servicename' || name === 'metercategory' ? row.service : name === 'resourcegroupname' || name === 'resourcegroup' ? row.resourceGroup : undefined;
    if (v === undefined) throw bad(`Invalid filter: dimension ${f.dimensions.name ?? ''} is not served by the sandbox (ServiceName, ResourceGroupName)`);
    return values.includes(v.toLowerCase());
  }
  if (f.tags) {
    const key = Object.keys(row.tags).find((k) => k.toLowerCase() === (f.tags!.name ?? '').toLowerCase());
    return key !== undefined && (f.tags.values ?? []).includes(row.tags[key]!);
  }
  throw bad('Invalid filter: a filter needs and, or, dimensions or tags');
}

function dataset(body: Json): { grouping: { type: string; name: string }[]; filter: unknown; costName: string; daily: boolean } {
  const ds = body['dataset'] as Json | undefined;
  if (!ds) throw bad('Invalid query definition: dataset is required');
  const agg = Object.values((ds['aggregation'] ?? {}) as Record<string, { name?: string; function?: string }>);
  const costName = agg[0]?.name ?? 'Cost';
  if (!['Cost', 'PreTaxCost', 'CostUSD', 'PreTaxCostUSD'].includes(costName) || (agg[0]?.function ?? 'Sum') !== 'Sum') throw bad(`Invalid query definition: aggregation ${JSON.stringify(agg[0] ?? null)} is not served by the sandbox (Sum of Cost or PreTaxCost)`);
  const grouping = ((ds['grouping'] ?? []) as { type?: string; name?: string }[]).map((g) => ({ type: g.type ?? '', name: g.name ?? '' }));
  if (grouping.length > 2) throw bad('Invalid query definition: at most 2 groupings are allowed');
  for (const g of grouping) {
    if (g.type === 'TagKey') continue;
    if (g.type !== 'Dimension' || !['servicename', 'resourcegroupname', 'resourcegroup'].includes(g.name.toLowerCase())) throw bad(`Invalid query definition: grouping ${g.type} ${g.name} is not served by the sandbox (Dimension ServiceName or ResourceGroupName, TagKey)`);
  }
  const granularity = ds['granularity'];
  if (granularity !== undefined && granularity !== 'Daily' && granularity !== 'None') throw bad(`Invalid query definition: granularity ${String(granularity)} is not served by the sandbox (Daily)`);
  return { grouping, filter: ds['filter'], costName, daily: granularity === 'Daily' };
}

function query(ctx: ArmContext, costs: AzureCostState): ArmResponse {
  need(ctx, 'POST');
  const body = (ctx.body ?? {}) as Json;
  const type = String(body['type'] ?? '');
  if (!['ActualCost', 'AmortizedCost', 'Usage'].includes(type)) throw bad(`Invalid query definition: type ${JSON.stringify(type)}`);
  const { from, to } = period(body, ctx.now);
  const ds = dataset(body);
  // Cost Management reads daily data a month at a time.
  if (ds.daily && to - from > 31 * DAY_MS) throw bad('Invalid query definition: a Daily query spans at most one month (31 days)');
  const sub = subCosts(ctx, costs);
  const groups = new Map<string, { cost: number; cells: (string | number)[] }>();
  for (const r of sub.rows) {
    if (r.day < from || r.day > to || !passes(r, ds.filter)) continue;
    const cells: (string | number)[] = [];
    if (ds.daily) cells.push(Number(new Date(r.day).toISOString().slice(0, 10).replace(/-/g, '')));
    for (const g of ds.grouping) {
      if (g.type === 'TagKey') {
        const key = Object.keys(r.tags).find((k) => k.toLowerCase() === g.name.toLowerCase());
        cells.push(key === undefined ? '' : g.name, key === undefined ? '' : r.tags[key]!);
      } else {
        cells.push(g.name.toLowerCase() === 'servicename' ? r.service : r.resourceGroup);
      }
    }
    const k = JSON.stringify(cells);
    const hit = groups.get(k);
    if (hit) hit.cost += r.cost;
    else groups.set(k, { cost: r.cost, cells });
  }
  const rows = [...groups.values()]
    .sort((a, b) => JSON.stringify(a.cells).localeCompare(JSON.stringify(b.cells)))
    .map((g) => [Math.round(g.cost * 1e8) / 1e8, ...g.cells, sub.currency]);
  const columns = [
    { name: ds.costName, type: 'Number' },
    ...(ds.daily ? [{ name: 'UsageDate', type: 'Number' }] : []),
    ...ds.grouping.flatMap((g) => (g.type === 'TagKey' ? [{ name: 'TagKey', type: 'String' }, { name: 'TagValue', type: 'String' }] : [{ name: g.name, type: 'String' }])),
    { name: 'Currency', type: 'String' },
  ];
  const skip = Number(ctx.url.searchParams.get('$skiptoken') ?? '0');
  if (!Number.isInteger(skip) || skip < 0) throw bad('Invalid $skiptoken');
  const page = rows.slice(skip, skip + sub.rowsPerPage);
  const next = skip + sub.rowsPerPage < rows.length ? nextUrl(ctx, { $skiptoken: String(skip + sub.rowsPerPage) }) : null;
  return { status: 200, body: resultBody(ctx, 'query', columns, page, next) };
}

function forecast(ctx: ArmContext, costs: AzureCostState): ArmResponse {
  need(ctx, 'POST');
  const body = (ctx.body ?? {}) as Json;
  const { from, to } = period(body, ctx.now);
  const ds = dataset(body);
  if (ds.grouping.length > 0) throw bad('Invalid forecast definition: grouping is not supported by Forecast');
  const today = costs.today(ctx.now);
  if (to < today) throw new ArmError(400, 'BadRequest', 'CantForecastOnThePast: the forecast period ends before today');
  const sub = subCosts(ctx, costs);
  const matching = sub.rows.filter((r) => passes(r, ds.filter));
  const daily = costs.dailyForecast(matching, ctx.now);
  const rows: (string | number)[][] = [];
  const date = (d: number) => Number(new Date(d).toISOString().slice(0, 10).replace(/-/g, ''));
  if (body['includeActualCost'] === true) {
    for (let d = from; d < Math.min(today, to + DAY_MS); d += DAY_MS) {
      const c = matching.filter((r) => r.day === d).reduce((s, r) => s + r.cost, 0);
      rows.push([Math.round(c * 1e8) / 1e8, date(d), 'Actual', sub.currency]);
    }
  }
  if (daily !== undefined) for (let d = Math.max(from, today); d <= to; d += DAY_MS) rows.push([Math.round(daily * 1e8) / 1e8, date(d), 'Forecast', sub.currency]);
  const columns = [
    { name: ds.costName, type: 'Number' },
    { name: 'UsageDate', type: 'Number' },
    { name: 'CostStatus', type: 'String' },
    { name: 'Currency', type: 'String' },
  ];
  return { status: 200, body: resultBody(ctx, 'forecast', columns, rows, null) };
}

function resultBody(ctx: ArmContext, kind: 'query' | 'forecast', columns: unknown[], rows: unknown[][], nextLink: string | null): Json {
  const id = randomUUID();
  return { id: `subscriptions/${ctx.subscription}/providers/Microsoft.CostManagement/${kind}/${id}`, name: id, type: `Microsoft.CostManagement/${kind}`, location: null, sku: null, eTag: null, properties: { nextLink, columns, rows } };
}

function nextUrl(ctx: ArmContext, params: Record<string, string>): string {
  const u = new URL(`${ctx.base}${ctx.url.pathname}`);
  for (const [k, v] of ctx.url.searchParams) if (!(k in params)) u.searchParams.set(k, v);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

const GRAIN_MONTHS: Readonly<Record<string, number>> = { Monthly: 1, BillingMonth: 1, Quarterly: 3, BillingQuarter: 3, Annually: 12, BillingAnnual: 12 };

function budgetPeriod(grain: string, now: number): { start: number; end: number } {
  const d = new Date(now);
  const months = GRAIN_MONTHS[grain] ?? 1;
  const m = months === 12 ? 0 : Math.floor(d.getUTCMonth() / months) * months;
  return { start: Date.UTC(d.getUTCFullYear(), m, 1), end: Date.UTC(d.getUTCFullYear(), m + months, 1) };
}

function budgetFilter(b: AzureBudgetSpec): Json | undefined {
  const parts: Json[] = [];
  if (b.filter.services) parts.push({ dimensions: { name: 'MeterCategory', operator: 'In', values: b.filter.services } });
  if (b.filter.resourceGroups) parts.push({ dimensions: { name: 'ResourceGroupName', operator: 'In', values: b.filter.resourceGroups } });
  for (const [name, values] of Object.entries(b.filter.tags ?? {})) parts.push({ tags: { name, operator: 'In', values } });
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { and: parts };
}

function budgets(ctx: ArmContext, costs: AzureCostState): ArmResponse {
  need(ctx, 'GET');
  const sub = subCosts(ctx, costs);
  const today = costs.today(ctx.now);
  const value = sub.budgets.map((b) => {
    const p = budgetPeriod(b.timeGrain, ctx.now);
    const filter = budgetFilter(b);
    const matching = sub.rows.filter((r) => passes(r, filter));
    const current = b.currentSpend ?? matching.filter((r) => r.day >= p.start && r.day < Math.min(p.end, today + DAY_MS)).reduce((s, r) => s + r.cost, 0);
    const daily = costs.dailyForecast(matching, ctx.now);
    const rest = daily === undefined ? undefined : daily * Math.max(0, (p.end - today) / DAY_MS - 1);
    const forecastSpend = b.forecastSpend ?? (rest === undefined ? undefined : current + rest);
    const unit = b.currency ?? sub.currency;
    return {
      id: `/subscriptions/${ctx.subscription}/providers/Microsoft.Consumption/budgets/${b.name}`,
      name: b.name,
      type: 'Microsoft.Consumption/budgets',
      eTag: `"${randomUUID()}"`,
      properties: {
        category: b.category,
        amount: b.amount,
        timeGrain: b.timeGrain,
        timePeriod: { startDate: new Date(p.start).toISOString(), endDate: new Date(Date.UTC(new Date(p.start).getUTCFullYear() + 5, 0, 1)).toISOString() },
        ...(filter ? { filter } : {}),
        currentSpend: { amount: Math.round(current * 100) / 100, unit },
        ...(forecastSpend !== undefined ? { forecastSpend: { amount: Math.round(forecastSpend * 100) / 100, unit } } : {}),
        notifications: {},
      },
    };
  });
  const skip = Number(ctx.url.searchParams.get('$skiptoken') ?? '0');
  const page = value.slice(skip, skip + ctx.pageSize);
  const next = skip + ctx.pageSize < value.length ? nextUrl(ctx, { $skiptoken: String(skip + ctx.pageSize) }) : undefined;
  return { status: 200, body: { value: page, ...(next ? { nextLink: next } : {}) } };
}

/** The `$filter` clauses ReservationRecommendations_List takes: `properties/<name> eq '<value>'`, joined by `and`. */
const RECOMMENDATION_FILTERS: Readonly<Record<string, readonly string[]>> = {
  scope: ['Single', 'Shared'],
  resourceType: ['VirtualMachines', 'SQLDatabases', 'PostgreSQL', 'ManagedDisk', 'MySQL', 'RedHat', 'MariaDB', 'RedisCache', 'CosmosDB', 'SqlDataWarehouse', 'SUSELinux', 'AppService', 'BlockBlob', 'AzureDataExplorer', 'VMwareCloudSimple'],
  lookBackPeriod: ['Last7Days', 'Last30Days', 'Last60Days'],
};

/**
 * Answers ReservationRecommendations_List for a subscription (the `legacy` kind a pay-as-you-go or
 * EA subscription gets): the world's recommendations of the asked look-back period (default
 * Last7Days, as Azure's), single scope, virtual machines. Other scopes and resource types have none.
 */
function reservationRecommendations(ctx: ArmContext, costs: AzureCostState): ArmResponse {
  need(ctx, 'GET');
  const sub = subCosts(ctx, costs);
  const asked: Record<string, string> = { scope: 'Single', resourceType: 'VirtualMachines', lookBackPeriod: 'Last7Days' };
  const filter = (ctx.url.searchParams.get('$filter') ?? '').trim();
  if (filter !== '') {
    for (const clause of filter.split(/\s+and\s+/i)) {
      const m = /^properties\/(\w+)\s+eq\s+'([^']*)'$/i.exec(clause.trim());
      const name = m ? Object.keys(RECOMMENDATION_FILTERS).find((k) => k.toLowerCase() === m[1]!.toLowerCase()) : undefined;
      if (!m || !name) throw bad(`Invalid $filter clause ${JSON.stringify(clause)}: use properties/scope, properties/resourceType or properties/lookBackPeriod eq '<value>'`);
      const value = RECOMMENDATION_FILTERS[name]!.find((v) => v.toLowerCase() === m[2]!.toLowerCase());
      if (!value) throw bad(`Invalid value ${JSON.stringify(m[2])} for properties/${name}: one of ${RECOMMENDATION_FILTERS[name]!.join(', ')}`);
      asked[name] = value;
    }
  }
  const matching = asked['scope'] === 'Single' && asked['resourceType'] === 'VirtualMachines' ? sub.reservationRecommendations.filter((r) => r.lookBackPeriod === asked['lookBackPeriod']) : [];
  const value = matching.map((r) => {
    const id = randomUUID();
    return {
      id: `/subscriptions/${ctx.subscription}/providers/Microsoft.Consumption/reservationRecommendations/${id}`,
      name: id,
      type: 'Microsoft.Consumption/reservationRecommendations',
      location: r.location,
      sku: r.vmSize,
      kind: 'legacy',
      properties: {
        lookBackPeriod: r.lookBackPeriod,
        instanceFlexibilityRatio: 1,
        normalizedSize: r.vmSize,
        recommendedQuantityNormalized: r.recommendedQuantity,
        meterId: '00000000-0000-4000-8000-000000000000',
        resourceType: 'virtualmachines',
        term: r.term,
        costWithNoReservedInstances: r.costWithNoReservedInstances,
        recommendedQuantity: r.recommendedQuantity,
        totalCostWithReservedInstances: r.totalCostWithReservedInstances,
        netSavings: r.netSavings,
        firstUsageDate: new Date(resolveTime(r.firstUsageDate, costs.nowMs)).toISOString(),
        scope: 'Single',
        subscriptionId: ctx.subscription,
      },
    };
  });
  const skip = Number(ctx.url.searchParams.get('$skiptoken') ?? '0');
  const page = value.slice(skip, skip + ctx.pageSize);
  const next = skip + ctx.pageSize < value.length ? nextUrl(ctx, { $skiptoken: String(skip + ctx.pageSize) }) : undefined;
  return { status: 200, body: { value: page, ...(next ? { nextLink: next } : {}) } };
}

/** The fields a Retail Prices `$filter` may name, and how the sandbox reads them. */
const RETAIL_FIELDS = ['armRegionName', 'armSkuName', 'serviceName', 'priceType', 'currencyCode', 'skuName', 'productName', 'serviceFamily', 'meterName', 'type', 'location'] as const;

/** Answers `GET /api/retail/prices` (public: no credential) from the world's items. */
export function retailPrices(url: URL, base: string, spec: RetailPricesSpec, now: number): ArmResponse {
  const filter = url.searchParams.get('$filter') ?? '';
  const conditions: { field: string; value: string }[] = [];
  if (filter.trim() !== '') {
    for (const part of filter.split(/\s+and\s+/i)) {
      const m = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(part);
      if (!m) return { status: 400, body: { Error: { Code: 'InvalidFilter', Message: `The sandbox serves $filter as "<field> eq '<value>'" joined by and; got ${JSON.stringify(part)}` } } };
      const field = RETAIL_FIELDS.find((f) => f.toLowerCase() === m[1]!.toLowerCase());
      if (!field) return { status: 400, body: { Error: { Code: 'InvalidFilter', Message: `Unknown field ${m[1]!}` } } };
      conditions.push({ field, value: m[2]!.replace(/''/g, "'") });
    }
  }
  const items = spec.items.map((i) => {
    const series = /^Standard_([A-Z]+)/.exec(i.armSkuName)?.[1] ?? '';
    const sku = i.armSkuName.replace(/^(Standard|Basic)_/, '').replace(/_/g, ' ');
    return {
      currencyCode: i.currencyCode,
      tierMinimumUnits: 0,
      retailPrice: i.retailPrice,
      unitPrice: i.retailPrice,
      armRegionName: i.armRegionName,
      location: i.armRegionName,
      effectiveStartDate: new Date(resolveTime(i.effectiveStartDate, now)).toISOString().replace('.000Z', 'Z'),
      meterId: stableId(`${i.armSkuName}|${i.armRegionName}|${i.skuName ?? ''}|${i.productName ?? ''}|meter`),
      meterName: i.skuName ?? sku,
      productId: 'DZH318Z0BQPS',
      skuId: `DZH318Z0BQPS/${stableId(`${i.armSkuName}|${i.skuName ?? ''}`).slice(0, 4).toUpperCase()}`,
      productName: i.productName ?? `Virtual Machines ${series} Series`,
      skuName: i.skuName ?? sku,
      serviceName: 'Virtual Machines',
      serviceId: 'DZH313Z7MMC8',
      serviceFamily: 'Compute',
      unitOfMeasure: i.unitOfMeasure,
      type: i.type,
      priceType: i.type,
      isPrimaryMeterRegion: true,
      armSkuName: i.armSkuName,
    };
  });
  const matching = items.filter((it) => conditions.every((c) => String((it as Record<string, unknown>)[c.field] ?? '').toLowerCase() === c.value.toLowerCase()));
  const skip = Number(url.searchParams.get('$skip') ?? '0');
  if (!Number.isInteger(skip) || skip < 0) return { status: 400, body: { Error: { Code: 'InvalidSkip', Message: 'Invalid $skip' } } };
  const page = matching.slice(skip, skip + spec.pageSize).map(({ priceType: _p, ...rest }) => rest);
  let next: string | null = null;
  if (skip + spec.pageSize < matching.length) {
    const u = new URL(`${base}${url.pathname}`);
    for (const [k, v] of url.searchParams) if (k !== '$skip') u.searchParams.set(k, v);
    u.searchParams.set('$skip', String(skip + spec.pageSize));
    next = u.toString();
  }
  return { status: 200, body: { BillingCurrency: 'USD', CustomerEntityId: 'Default', CustomerEntityType: 'Retail', Items: page, NextPageLink: next, Count: page.length } };
}

function stableId(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(4, 7)}-${hex}${hex.slice(0, 4)}`;
}

function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
