import { resolveTime } from '../time.js';
import type { World } from '../world.js';
import { serviceIdOf } from './billing-world.js';
import { defaultProjectNumber } from './world.js';

/*
 * Google Cloud billing of the sandbox: billing accounts (their export table and budgets), project
 * billing links (changed by updateBillingInfo), the rows the billing export holds, Catalog SKUs,
 * and the BigQuery query results kept for getQueryResults paging.
 */

type GcpWorld = World['gcp'];
type AccountSpec = GcpWorld['billing']['accounts'][number];

/** One row of the billing export (the standard export's columns the sandbox answers from). */
export interface BillingRow {
  readonly billingAccount: string;
  readonly projectId: string;
  readonly projectNumber: string;
  readonly serviceId: string;
  readonly service: string;
  /** usage_start_time, ms. */
  readonly usageStart: number;
  /** export_time (the ingestion-time partition), ms. */
  readonly exportTime: number;
  readonly cost: number;
  /** Credits applied (zero or negative). */
  readonly credits: number;
  readonly currency: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `project.ancestors[].resource_name`: the project itself, then its folders and organization. */
  readonly ancestors: readonly string[];
}

/** An export table: which account's rows it holds and in which schema. */
export interface ExportTableRecord {
  readonly account: string;
  readonly project: string;
  readonly dataset: string;
  readonly table: string;
  readonly kind: 'standard' | 'detailed' | 'focus';
  readonly location: string;
}

/** A project's billing link. */
export interface BillingLink {
  billingAccount: string;
  billingEnabled: boolean;
}

/** A query result kept for getQueryResults. */
export interface QueryResult {
  readonly jobId: string;
  readonly project: string;
  readonly location: string;
  readonly fields: readonly { name: string; type: string; mode: 'NULLABLE' }[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly bytesProcessed: number;
  readonly bytesBilled: number;
}

/** What a query asked and cost, for tests and benches. */
export interface QueryLogEntry {
  readonly sql: string;
  readonly params: Readonly<Record<string, string>>;
  readonly maximumBytesBilled?: string;
  readonly bytesProcessed: number;
  readonly bytesBilled: number;
  readonly refused?: string;
}

/** Google's name of an export table for an account. */
export function exportTableName(kind: ExportTableRecord['kind'], account: string): string {
  const id = account.replace(/-/g, '_');
  return kind === 'standard' ? `gcp_billing_export_v1_${id}` : kind === 'detailed' ? `gcp_billing_export_resource_v1_${id}` : `gcp_billing_export_focus_${id}`;
}

const DAY_MS = 86_400_000;

/** The billing side of the sandbox's Google Cloud. */
export class GcpBillingState {
  readonly accounts = new Map<string, AccountSpec>();
  readonly tables: ExportTableRecord[] = [];
  readonly links = new Map<string, BillingLink>();
  readonly rows: BillingRow[] = [];
  readonly skus: GcpWorld['billing']['skus'];
  readonly skusPerPage: number;
  readonly rowsPerPage: number;
  readonly results = new Map<string, QueryResult>();
  readonly queries: QueryLogEntry[] = [];
  private seq = 0;

  constructor(
    world: World,
    private readonly nowMs: number,
  ) {
    const g = world.gcp;
    this.skus = g.billing.skus;
    this.skusPerPage = g.billing.skusPerPage;
    this.rowsPerPage = g.billing.rowsPerPage;
    for (const a of g.billing.accounts) {
      this.accounts.set(a.id, a);
      if (a.export) {
        this.tables.push({ account: a.id, project: a.export.project, dataset: a.export.dataset, table: a.export.table ?? exportTableName(a.export.kind, a.id), kind: a.export.kind, location: a.export.location });
      }
    }
    const first = g.billing.accounts[0]?.id;
    for (const p of g.projects) {
      const account = p.billingAccount === 'none' ? '' : (p.billingAccount ?? first ?? '');
      this.links.set(p.id, { billingAccount: account, billingEnabled: account !== '' && p.billingEnabled });
      if (!account) continue;
      const currency = this.accounts.get(account)?.currency ?? 'USD';
      const number = p.number ?? defaultProjectNumber(p.id);
      const ancestors = [`projects/${number}`, ...p.ancestors];
      const add = (service: string, declared: string | undefined, at: number, cost: number, credits: number, labels: Record<string, string>, exported?: number) =>
        this.rows.push({ billingAccount: account, projectId: p.id, projectNumber: number, serviceId: serviceIdOf(service, declared), service, usageStart: at, exportTime: exported ?? at + 3_600_000, cost, credits, currency, labels: { ...labels }, ancestors });
      for (const r of p.costs.rows) add(r.service, r.serviceId, resolveTime(r.at, nowMs), r.cost, r.credits, r.labels, r.exportedAt ? resolveTime(r.exportedAt, nowMs) : undefined);
      for (const d of p.costs.daily) {
        const from = Math.floor(resolveTime(d.from, nowMs) / DAY_MS) * DAY_MS;
        const until = resolveTime(d.until, nowMs);
        for (let t = from; t < until; t += DAY_MS) add(d.service, d.serviceId, t, d.amount, d.credits, d.labels);
      }
    }
  }

  /** The export table a query names (`project.dataset.table`), if the world has it. */
  table(ref: string): ExportTableRecord | undefined {
    return this.tables.find((t) => `${t.project}.${t.dataset}.${t.table}` === ref);
  }

  /** Keeps a result for paging; returns its job id. */
  keep(result: Omit<QueryResult, 'jobId'>): QueryResult {
    const jobId = `job_costwatch_sandbox_${++this.seq}`;
    const r = { ...result, jobId };
    this.results.set(jobId, r);
    return r;
  }

  /** Rows the export holds up to now (rows are written an hour after their usage, or as declared). */
  visibleRows(now: number = this.nowMs): BillingRow[] {
    return this.rows.filter((r) => r.exportTime <= Math.max(now, this.nowMs));
  }
}
