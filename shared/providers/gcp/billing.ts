import type { Budget } from '../../domain/budget.js';
import type { CostRecord } from '../../domain/cost.js';
import type { CostForecast } from '../../domain/cost-signals.js';
import { money } from '../../domain/money.js';
import type { Resource, Scope } from '../../domain/resource.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { cachedRead, endOfUtcDay, type CostCache } from '../aws/cost-cache.js';
import { plansBilling, type CollectionFailure, type CollectOptions } from '../port.js';
import { costRecordsOf, readExport, type AiSpend, type BillingExportTable, type ExportGrouping, type ExportMeter, type ExportQuery, type ExportRow } from './billing-export.js';
import { budgetSpecOf, calendarPeriod, groupingOf, judgeBudget, runRate, type BudgetSpec, type KnownProject } from './budgets.js';
import type { GcpBillingClients } from './clients.js';
import { fetchCatalogPrices, listSkus, type CatalogPrices } from './catalog.js';
import type { FetchedGcsPrice } from '../../pricing/gcs-prices.js';
import { describeGoogleError } from './errors.js';

/** What the gcp provider reads about money, from the policy. */
export interface GcpBillingOptions {
  /** The Cloud Billing account (`01A2B3-C4D5E6-F7A8B9`): its budgets are read. */
  readonly billingAccount?: string;
  /** The billing export; absent = no costs (and Google budgets are reported unknown). */
  readonly export?: BillingExportTable & { readonly labels: readonly string[] };
  /** The projects costwatch reads, in the policy's order, with their numbers when configured. */
  readonly projects: readonly KnownProject[];
  /** Configured budgets (costwatch.yml): they widen the period read and get run-rate forecasts. */
  readonly budgets: readonly Budget[];
  /**
   * Read the month's AI spend grouped by service and this label (the untagged-spend rule is on): the
   * share of AI spend without a team label. Absent = not read.
   */
  readonly tagSpend?: { readonly labelKey: string; readonly ai: AiSpend };
  /** Read the Cloud Billing Catalog API for prices (default true). */
  readonly catalog?: boolean;
  /** Calls `fn` with the provider's retry policy. */
  readonly call: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Everything one project's billing reads produced. */
export interface GcpBillingCollection {
  readonly costs: CostRecord[];
  readonly budgets: Budget[];
  readonly forecasts: CostForecast[];
  readonly prices: FetchedPrice[];
  /** Cloud Storage class figures from the Catalog, for the cold-artifacts rule. */
  readonly storagePrices: FetchedGcsPrice[];
  readonly failures: CollectionFailure[];
}

/** One project's billing link (Cloud Billing `projects.getBillingInfo`). */
export interface ProjectBilling {
  readonly projectId: string;
  /** `billingAccounts/<id>`, or '' when the project has no billing account. */
  readonly billingAccountName: string;
  readonly billingEnabled: boolean;
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function utcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * Reads Google Cloud money for one project at a time: costs from the billing export (one query
 * per project, grouping and day, cached in the store until the day ends), the billing account's
 * budgets with their spend computed from the export, run-rate forecasts for configured budgets,
 * Catalog prices, and project billing info. Reads shared by several projects in one scan (the
 * budget list, another project's rows a budget counts) are made once per scan.
 */
export class GcpBilling {
  /** BigQuery queries, pages and bytes since this provider was made. */
  readonly meter: ExportMeter = { queries: 0, pages: 0, bytesProcessed: 0, bytesBilled: 0 };
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly clients: () => GcpBillingClients,
    private readonly options: GcpBillingOptions,
  ) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      // A failed read is tried again by the next caller, not remembered.
      p.catch(() => this.memo.delete(key));
      this.memo.set(key, p);
      if (this.memo.size > 10_000) this.memo.delete(this.memo.keys().next().value as string);
    }
    return p;
  }

  /** Whether a billing account is configured, so Google budgets are read. */
  get readsBudgets(): boolean {
    return this.options.billingAccount !== undefined;
  }

  /** Label keys costs are grouped by: the configured ones and every budget's own. */
  private groupings(specs: readonly BudgetSpec[]): ExportGrouping[] {
    const keys = new Set(this.options.export?.labels ?? []);
    for (const b of this.options.budgets) {
      const k = Object.keys(b.scope.tags ?? {});
      if (k.length === 1) keys.add(k[0]!);
    }
    for (const s of specs) if (s.label) keys.add(s.label.key);
    return ['SERVICE', ...[...keys].sort().map((k): ExportGrouping => `SERVICE,TAG:${k}`)];
  }

  /** The first day read: the start of the longest budget period in force (at least this month). */
  readFrom(now: Date, specs: readonly BudgetSpec[] = []): Date {
    const periods = [calendarPeriod('monthly', now).start, ...this.options.budgets.map((b) => calendarPeriod(b.period, now).start), ...specs.map((s) => calendarPeriod(s.period, now).start)];
    return new Date(Math.min(...periods.map((d) => d.getTime())));
  }

  /** One project's rows of one grouping in [from, today): at most one query per project·grouping·day, cached in the store. */
  rows(projectId: string, grouping: ExportGrouping, from: Date, now: Date, cache: CostCache | undefined, ai?: AiSpend): Promise<ExportRow[]> {
    // What counts as AI is part of an AI query: another policy's services are another query.
    const what = ai ? `:${JSON.stringify([ai.services, ai.labelKeys])}` : '';
    return this.cachedQuery(`${projectId}:${grouping}${what}`, { projectId, grouping, ...(ai ? { ai } : {}) }, from, now, cache);
  }

  /** The rows of every project under folders or organizations (`project.ancestors`), one grouping, [from, today): one query per set·grouping·day, cached. */
  ancestorRows(ancestors: readonly string[], grouping: ExportGrouping, from: Date, now: Date, cache: CostCache | undefined): Promise<ExportRow[]> {
    const set = [...ancestors].sort();
    return this.cachedQuery(`ancestors=${set.join('+')}:${grouping}`, { ancestors: set, grouping }, from, now, cache);
  }

  /** One export query over [from, today), run at most once per key and day (in this scan, and in the store's cache). */
  private cachedQuery(what: string, query: Omit<ExportQuery, 'start' | 'end'>, from: Date, now: Date, cache: CostCache | undefined): Promise<ExportRow[]> {
    const table = this.options.export;
    if (!table) return Promise.reject(new Error('no billing export configured'));
    const start = dayOf(from);
    const end = dayOf(utcDay(now));
    const key = `bq:billing-export:v1:${table.project}.${table.dataset}.${table.table}:${what}:${start}:${end}`;
    return this.once(key, () =>
      start >= end
        ? Promise.resolve([])
        : cachedRead(
            cache,
            key,
            now,
            endOfUtcDay(now),
            () => this.options.call(() => readExport(this.clients().bigquery(table.project), table, { ...query, start, end }, this.meter)),
            { encode: (rs) => rs, decode: reviveRows },
          ),
    );
  }

  /** The billing account's budgets as the Budget API returns them (every page), once per scan. */
  private rawBudgets(now: Date): Promise<unknown[]> {
    const account = this.options.billingAccount;
    if (!account) return Promise.resolve([]);
    return this.once(`budgets:${account}:${now.toISOString()}`, async () => {
      const client = this.clients().budgets;
      const all: unknown[] = [];
      let pageToken: string | undefined;
      do {
        const [page, , response] = await this.options.call(() => client.listBudgets({ parent: `billingAccounts/${account}`, pageSize: 100, ...(pageToken ? { pageToken } : {}) }, { autoPaginate: false }));
        all.push(...page);
        pageToken = response?.nextPageToken || undefined;
      } while (pageToken);
      return all;
    });
  }

  /** The budgets' filters read with what is known now of the projects' numbers. */
  private async googleBudgets(now: Date): Promise<BudgetSpec[]> {
    return (await this.rawBudgets(now)).map((b) => budgetSpecOf(b as never, this.knownProjects(), this.options.export?.kind ?? 'standard'));
  }

  private readonly numbers = new Map<string, string>();

  /** Remembers the project numbers export rows carry. */
  private learn(rows: readonly ExportRow[]): void {
    for (const r of rows) if (r.projectNumber && !this.numbers.has(r.projectId)) this.numbers.set(r.projectId, r.projectNumber);
  }

  private knownProjects(): KnownProject[] {
    return this.options.projects.map((p) => ({ id: p.id, ...(p.number ?? this.numbers.get(p.id) ? { number: p.number ?? this.numbers.get(p.id)! } : {}) }));
  }

  /** A project's billing link. */
  billingInfo(projectId: string): Promise<ProjectBilling> {
    return this.options.call(async () => {
      const [info] = await this.clients().billing.getProjectBillingInfo({ name: `projects/${projectId}` });
      return { projectId, billingAccountName: info.billingAccountName ?? '', billingEnabled: info.billingEnabled === true };
    });
  }

  /** Links a project to a billing account, or unlinks it (`''`). */
  async setBillingAccount(projectId: string, billingAccountName: string): Promise<ProjectBilling> {
    // Not retried on 5xx: an update that may have happened is re-read, not repeated blindly.
    const [info] = await this.clients().billing.updateProjectBillingInfo({ name: `projects/${projectId}`, projectBillingInfo: { billingAccountName } });
    return { projectId, billingAccountName: info.billingAccountName ?? '', billingEnabled: info.billingEnabled === true };
  }

  /**
   * The Google budgets whose filter names this project, judged from the export (used before
   * unlinking billing, so the budget is re-checked from fresh reads of the day's cache).
   */
  async budgetsOf(projectId: string, now: Date, cache?: CostCache): Promise<Budget[]> {
    // The project's own rows tell its number, which budget filters name it by.
    if (this.options.export && !this.knownProjects().find((p) => p.id === projectId)?.number) {
      this.learn(await this.rows(projectId, 'SERVICE', this.readFrom(now), now, cache));
    }
    const specs = await this.googleBudgets(now);
    const mine = specs.filter((s) => s.projects.includes(projectId));
    return Promise.all(mine.map((s) => this.judge(s, specs, now, cache)));
  }

  /** A project's billing link and its Google budgets, for the billing cap (read fresh before acting). */
  async capState(projectId: string, now: Date, cache?: CostCache): Promise<BillingCapState> {
    const [info, budgets] = await Promise.all([this.billingInfo(projectId), this.budgetsOf(projectId, now, cache)]);
    const listed = this.options.projects.some((p) => p.id === projectId);
    const over = budgets.find((b) => !b.problem && b.actual && b.actual.currency === b.limit.currency && b.actual.amount >= b.limit.amount);
    if (!over) return { info, listed, budgets };
    // The spend the unlink stops: the mean of the budget's last days, from its forecast basis.
    const days = Math.max(1, Math.round((calendarPeriod(over.period, now).end.getTime() - utcDay(now).getTime()) / 86_400_000));
    const perDay = over.forecast && over.actual ? Math.max(0, (over.forecast.amount - over.actual.amount) / days) : 0;
    return { info, listed, budgets, exceeded: { budget: over, perDay: Math.round(perDay * 100) / 100, daysLeft: days } };
  }

  private async judge(spec: BudgetSpec, specs: readonly BudgetSpec[], now: Date, cache: CostCache | undefined): Promise<Budget> {
    const table = this.options.export;
    const opts = { now, readFrom: this.readFrom(now, specs), table: table ? `${table.project}.${table.dataset}.${table.table}` : '(none)', billingAccount: this.options.billingAccount ?? '?' };
    if (!table || spec.problem) return judgeBudget(spec, undefined, { ...opts, missing: 'no billing export is configured (clouds.gcp.billingExport): the Budget API holds no spend' });
    try {
      const rows =
        (spec.ancestors ?? []).length > 0
          ? await this.ancestorRows(spec.ancestors!, groupingOf(spec), opts.readFrom, now, cache)
          : (await Promise.all(spec.projects.map((p) => this.rows(p, groupingOf(spec), opts.readFrom, now, cache)))).flat();
      return judgeBudget(spec, rows, opts);
    } catch (err) {
      return judgeBudget(spec, undefined, { ...opts, missing: `the billing export could not be read: ${describe(err)}` });
    }
  }

  /** Reads one project. `inventory` names the machine and accelerator types to price. */
  async collect(scope: Scope, inventory: Promise<readonly Resource[]>, opts: CollectOptions): Promise<GcpBillingCollection> {
    const now = opts.now;
    const failures: CollectionFailure[] = [];
    const fail = (operation: string, err: unknown) => failures.push({ scope, operation, message: describe(err) });
    const table = this.options.export;
    const none: CatalogPrices = { prices: [], storage: [] };
    const prices =
      this.options.catalog === false
        ? Promise.resolve(none)
        : inventory
            .then((found) =>
              // One listing per service and UTC day, shared by the projects scanned at once (each price is then cached 7 days).
              fetchCatalogPrices(this.clients().catalog, found, opts.cache, now, this.options.call, undefined, (service) =>
                this.once(`skus:${service}:${now.toISOString().slice(0, 10)}`, () => listSkus(this.clients().catalog, service, this.options.call)),
              ),
            )
            .catch((err: unknown) => {
              fail('cloudbilling:services.skus.list', err);
              return none;
            });
    let specs: BudgetSpec[] = [];
    const wantBudgets = plansBilling(opts, 'budgets') && this.options.billingAccount !== undefined;
    if (wantBudgets) {
      try {
        specs = await this.googleBudgets(now);
      } catch (err) {
        fail('billingbudgets:budgets.list', err);
      }
    }
    const readCosts = table !== undefined && (plansBilling(opts, 'costs') || plansBilling(opts, 'forecasts') || specs.length > 0);
    const from = this.readFrom(now, specs);
    if (specs.length > 0 && table) {
      // Budget filters name projects by number: every listed project's rows (read once per day for its own scan too) tell it.
      await Promise.all(this.options.projects.map((p) => this.rows(p.id, 'SERVICE', from, now, opts.cache).then((rs) => this.learn(rs), () => undefined)));
      specs = await this.googleBudgets(now);
    }
    const costs: CostRecord[] = [];
    const rowsBy = new Map<ExportGrouping, ExportRow[]>();
    if (readCosts) {
      await Promise.all(
        this.groupings(specs).map(async (g) => {
          try {
            const rows = await this.rows(scope.id, g, from, now, opts.cache);
            rowsBy.set(g, rows);
            this.learn(rows);
            if (plansBilling(opts, 'costs')) costs.push(...costRecordsOf(rows, g));
          } catch (err) {
            fail(`bigquery:jobs.query (billing export, ${g})`, err);
          }
        }),
      );
    }

    // The month's AI spend by team label (untagged-spend): its own query, one per project·day.
    const tagSpend = this.options.tagSpend;
    if (table && tagSpend && plansBilling(opts, 'tag-spend')) {
      const g: ExportGrouping = `AI,TAG:${tagSpend.labelKey}`;
      try {
        costs.push(...costRecordsOf(await this.rows(scope.id, g, calendarPeriod('monthly', now).start, now, opts.cache, tagSpend.ai), g));
      } catch (err) {
        fail(`bigquery:jobs.query (billing export, ${g})`, err);
      }
    }

    // A Google budget is reported once, by the first listed project it counts (or the first listed project).
    const budgets: Budget[] = [];
    if (wantBudgets) {
      const first = this.options.projects[0]?.id;
      const home = specs.filter((s) => (s.projects[0] ?? first) === scope.id);
      budgets.push(...(await Promise.all(home.map((s) => this.judge(s, specs, now, opts.cache)))));
    }

    const forecasts: CostForecast[] = [];
    if (plansBilling(opts, 'forecasts') && readCosts) {
      const today = utcDay(now);
      for (const b of this.options.budgets) {
        if ((b.scope.clouds && !b.scope.clouds.includes('gcp')) || (b.scope.scopeIds && !b.scope.scopeIds.some((id) => id.toLowerCase() === scope.id))) continue;
        const tagKeys = Object.keys(b.scope.tags ?? {});
        if (tagKeys.length > 1) continue;
        const g: ExportGrouping = tagKeys.length === 1 ? `SERVICE,TAG:${tagKeys[0]}` : 'SERVICE';
        const rows = rowsBy.get(g);
        if (!rows) continue;
        const want = tagKeys.length === 1 ? b.scope.tags![tagKeys[0]!] : undefined;
        const byDay = new Map<string, number>();
        for (const r of rows) {
          if (r.currency !== b.limit.currency) continue;
          if (b.scope.services && !b.scope.services.includes(r.service)) continue;
          if (want !== undefined && r.label !== want) continue;
          byDay.set(r.day, (byDay.get(r.day) ?? 0) + r.cost + r.credits);
        }
        const end = calendarPeriod(b.period, now).end;
        const rate = runRate((d) => byDay.get(d) ?? 0, from, today, end);
        forecasts.push({
          cloud: 'gcp',
          scopeId: scope.id,
          budgetName: b.name,
          period: { start: today, end },
          amount: money(Math.round(rate.rest * 100) / 100, b.limit.currency),
          source: `Google Cloud billing export run rate: ${rate.perDay.toFixed(2)}/day (mean of the last ${rate.days} days) × ${rate.left} days left`,
        });
      }
    }
    const catalog = await prices;
    return { costs, budgets, forecasts, prices: catalog.prices, storagePrices: catalog.storage, failures };
  }

}

/** A project's billing link, and the first of its Google budgets found exceeded. */
export interface BillingCapState {
  readonly info: ProjectBilling;
  /** Whether the policy lists the project (the billing cap never acts on another). */
  readonly listed: boolean;
  readonly budgets: readonly Budget[];
  readonly exceeded?: { readonly budget: Budget; readonly perDay: number; readonly daysLeft: number };
}

function reviveRows(raw: unknown): ExportRow[] {
  if (!Array.isArray(raw)) throw new TypeError('cached export rows are not a list');
  return raw as ExportRow[];
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ProviderError') return e.message ?? String(err);
  return describeGoogleError(err);
}

