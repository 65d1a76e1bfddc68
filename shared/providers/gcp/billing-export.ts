import type { BigQuery } from '@google-cloud/bigquery';
import type { CostRecord } from '../../domain/cost.js';
import { ProviderError } from '../../errors.js';

/*
 * Costs from the Cloud Billing export to BigQuery. One query per project, grouping and day, always
 * parameterized (the project, the dates and the label key are query parameters; the table name,
 * validated by the policy schema, is the only identifier written into the SQL) and always capped
 * with `maximumBytesBilled`. Columns are Google's documented export schemas:
 * - standard usage cost (`gcp_billing_export_v1_<ACCOUNT>`) and detailed usage cost
 *   (`gcp_billing_export_resource_v1_<ACCOUNT>`): `cost`, `credits[].amount`, `currency`,
 *   `usage_start_time`, `project.id`, `project.number`, `service.id`, `service.description`,
 *   `labels[].key/value`; ingestion-time partitioned, so `_PARTITIONTIME` prunes older days;
 * - FOCUS (`gcp_billing_export_focus_<ACCOUNT>`): `BilledCost`, `ChargeCategory`,
 *   `ChargePeriodStart`, `SubAccountId`, `ServiceName`, `BillingCurrency`, `Tags[].key/value`.
 */

/** Which export table is read. */
export type ExportKind = 'standard' | 'detailed' | 'focus';

/** Where the export is and how far one query may bill. */
export interface BillingExportTable {
  readonly project: string;
  readonly dataset: string;
  readonly table: string;
  readonly kind: ExportKind;
  readonly location?: string;
  readonly maximumBytesBilled: number;
}

/** Google's table name of an export kind for a billing account (`01A2B3-C4D5E6-F7A8B9` → `01A2B3_C4D5E6_F7A8B9`). */
export function defaultExportTable(kind: ExportKind, billingAccount: string): string {
  const id = billingAccount.replace(/-/g, '_');
  return kind === 'standard' ? `gcp_billing_export_v1_${id}` : kind === 'detailed' ? `gcp_billing_export_resource_v1_${id}` : `gcp_billing_export_focus_${id}`;
}

/**
 * How one query groups a project's spend: by service, or by service and one label (the AWS side's
 * breakdown names, so budget rules read both alike); `AI,TAG:<key>` is the AI spend only (the
 * query's {@link AiSpend} services, and rows carrying a Workbench VM's label), by service and one label.
 */
export type ExportGrouping = 'SERVICE' | `SERVICE,TAG:${string}` | `AI,TAG:${string}`;

/** What an `AI,TAG:<key>` query counts as AI spend. */
export interface AiSpend {
  /** Services whose every row is AI spend, as billed (`service.description`, FOCUS `ServiceName`). */
  readonly services: readonly string[];
  /** Label keys that make any row AI spend (the labels Google puts on Workbench VMs and their disks). */
  readonly labelKeys: readonly string[];
}

/**
 * Label keys Google puts on the Compute Engine VMs (and disks) of Vertex AI Workbench and
 * user-managed notebooks: `goog-caip-notebook` and `goog-caip-notebook-volume` (Notebooks release
 * notes, 2021-03-04), `goog-workbench-instance` on Workbench instances. A VM's labels reach its
 * billing export rows, so its Compute Engine spend counts as AI spend.
 */
export const WORKBENCH_LABEL_KEYS: readonly string[] = ['goog-caip-notebook', 'goog-caip-notebook-volume', 'goog-workbench-instance'];

/** One row of a grouped export query: a project's spend on one service (and label value) on one day. */
export interface ExportRow {
  /** YYYY-MM-DD (UTC day of usage_start_time). */
  readonly day: string;
  readonly projectId: string;
  /** Absent from the FOCUS export. */
  readonly projectNumber?: string;
  /** e.g. `6F81-5844-456A` (Compute Engine); absent from the FOCUS export. */
  readonly serviceId?: string;
  readonly service: string;
  /** The value of the grouping's label; null when the row has no such label. */
  readonly label?: string | null;
  readonly currency: string;
  /** Cost before credits. */
  readonly cost: number;
  /** Credits applied (zero or negative). */
  readonly credits: number;
}

/**
 * One query: a project's rows in [start, end) under a grouping, or (standard and detailed exports)
 * the rows of every project under some folders or organizations, by `project.ancestors`.
 */
export interface ExportQuery {
  readonly projectId?: string;
  /** `folders/<id>`, `organizations/<id>`: rows whose project has one of them among its ancestors. */
  readonly ancestors?: readonly string[];
  /** YYYY-MM-DD inclusive. */
  readonly start: string;
  /** YYYY-MM-DD exclusive. */
  readonly end: string;
  readonly grouping: ExportGrouping;
  /** What counts as AI spend; required by an `AI,TAG:<key>` grouping. */
  readonly ai?: AiSpend;
}

/** Bytes and calls the export queries cost, for benches and tests. */
export interface ExportMeter {
  queries: number;
  pages: number;
  bytesProcessed: number;
  bytesBilled: number;
}

/** The label key of a grouping, or undefined for `SERVICE`. */
export function labelOf(grouping: ExportGrouping): string | undefined {
  return /^(?:SERVICE|AI),TAG:(.+)$/.exec(grouping)?.[1];
}

/** The SQL and parameters of one query. */
export function buildExportQuery(table: BillingExportTable, q: ExportQuery): { query: string; params: Record<string, unknown>; types: Record<string, string | string[]> } {
  const label = labelOf(q.grouping);
  const ref = `\`${table.project}.${table.dataset}.${table.table}\``;
  // Dates go as Date objects: the client sends a TIMESTAMP parameter's value only for a Date or BigQueryTimestamp.
  const byAncestors = q.ancestors !== undefined;
  if (byAncestors === (q.projectId !== undefined)) throw new Error('an export query names either a project or ancestors');
  if (byAncestors && table.kind === 'focus') throw new Error('the FOCUS export carries no project ancestry');
  const params: Record<string, unknown> = { ...(byAncestors ? { ancestors: [...q.ancestors!] } : { project_id: q.projectId }), start: new Date(`${q.start}T00:00:00Z`), end: new Date(`${q.end}T00:00:00Z`) };
  const types: Record<string, string | string[]> = { ...(byAncestors ? { ancestors: ['STRING'] } : { project_id: 'STRING' }), start: 'TIMESTAMP', end: 'TIMESTAMP' };
  if (label !== undefined) {
    params['label_key'] = label;
    types['label_key'] = 'STRING';
  }
  const ai = q.grouping.startsWith('AI,');
  if (ai) {
    if (!q.ai || (q.ai.services.length === 0 && q.ai.labelKeys.length === 0)) throw new ProviderError('an AI spend query needs the AI services or label keys', { cloud: 'gcp', operation: 'bigquery:jobs.query' });
    params['ai_services'] = [...q.ai.services];
    types['ai_services'] = ['STRING'];
    params['ai_label_keys'] = [...q.ai.labelKeys];
    types['ai_label_keys'] = ['STRING'];
  }
  let query: string;
  if (table.kind === 'focus') {
    query = [
      'SELECT FORMAT_DATE("%F", DATE(ChargePeriodStart)) AS day, SubAccountId AS project_id,',
      ...(label !== undefined ? ['(SELECT t.value FROM UNNEST(Tags) AS t WHERE t.key = @label_key LIMIT 1) AS label_value,'] : []),
      'ServiceName AS service, BillingCurrency AS currency,',
      "SUM(IF(ChargeCategory = 'Credit', 0, BilledCost)) AS cost, SUM(IF(ChargeCategory = 'Credit', BilledCost, 0)) AS credits",
      `FROM ${ref}`,
      'WHERE SubAccountId = @project_id AND ChargePeriodStart >= @start AND ChargePeriodStart < @end',
      ...(ai ? ['AND (ServiceName IN UNNEST(@ai_services) OR EXISTS(SELECT 1 FROM UNNEST(Tags) AS w WHERE w.key IN UNNEST(@ai_label_keys)))'] : []),
      `GROUP BY day, project_id, ${label !== undefined ? 'label_value, ' : ''}service, currency`,
      'ORDER BY day, service',
    ].join('\n');
  } else {
    query = [
      'SELECT FORMAT_DATE("%F", DATE(usage_start_time)) AS day, project.id AS project_id, ANY_VALUE(project.number) AS project_number,',
      ...(label !== undefined ? ['(SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = @label_key LIMIT 1) AS label_value,'] : []),
      'service.id AS service_id, service.description AS service, currency,',
      'SUM(cost) AS cost, SUM(IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0)) AS credits',
      `FROM ${ref}`,
      // The export is partitioned by the time rows were written, never before their usage: this prunes older partitions.
      byAncestors
        ? // project.ancestors[].resource_name: the project, its folders and its organization (standard and detailed exports).
          'WHERE EXISTS(SELECT 1 FROM UNNEST(project.ancestors) AS a WHERE a.resource_name IN UNNEST(@ancestors)) AND usage_start_time >= @start AND usage_start_time < @end AND _PARTITIONTIME >= @start'
        : 'WHERE project.id = @project_id AND usage_start_time >= @start AND usage_start_time < @end AND _PARTITIONTIME >= @start',
      ...(ai ? ['AND (service.description IN UNNEST(@ai_services) OR EXISTS(SELECT 1 FROM UNNEST(labels) AS w WHERE w.key IN UNNEST(@ai_label_keys)))'] : []),
      `GROUP BY day, project_id, ${label !== undefined ? 'label_value, ' : ''}service_id, service, currency`,
      'ORDER BY day, service_id',
    ].join('\n');
  }
  return { query, params, types };
}

/** Rows per page asked of BigQuery. */
const PAGE_ROWS = 10_000;

/**
 * Runs one export query (jobs.query, then getQueryResults for further pages) with its bytes cap,
 * and reads its rows. A query BigQuery refuses for the cap fails with that reason.
 */
export async function readExport(bigquery: BigQuery, table: BillingExportTable, q: ExportQuery, meter?: ExportMeter): Promise<ExportRow[]> {
  const { query, params, types } = buildExportQuery(table, q);
  type Response = { totalBytesProcessed?: string; totalBytesBilled?: string };
  type Next = { pageToken?: string; job?: { getQueryResults(o: unknown): Promise<[unknown[], Next | null, Response]> } } | null;
  const [first, firstNext, firstResponse] = (await bigquery.query(
    { query, params, types, maximumBytesBilled: String(table.maximumBytesBilled), useLegacySql: false, ...(table.location ? { location: table.location } : {}), maxResults: PAGE_ROWS },
    { autoPaginate: false },
  )) as unknown as [unknown[], Next, Response];
  if (meter) {
    meter.queries++;
    meter.pages++;
    meter.bytesProcessed += Number(firstResponse?.totalBytesProcessed ?? 0) || 0;
    meter.bytesBilled += Number(firstResponse?.totalBytesBilled ?? 0) || 0;
  }
  const raw: unknown[] = [...first];
  let next = firstNext;
  while (next?.pageToken && next.job) {
    const [rows, after] = await next.job.getQueryResults({ ...next, autoPaginate: false });
    if (meter) meter.pages++;
    raw.push(...rows);
    next = after;
  }
  const label = labelOf(q.grouping);
  return raw.map((r) => exportRowOf(r, label !== undefined));
}

/** One result row as an ExportRow; a row without a day, project, service, currency or numeric cost is an error, never a zero. */
export function exportRowOf(raw: unknown, labelled: boolean): ExportRow {
  const r = (raw ?? {}) as Record<string, unknown>;
  const text = (k: string): string | undefined => (typeof r[k] === 'string' && r[k] !== '' ? (r[k] as string) : undefined);
  const day = text('day');
  const projectId = text('project_id');
  const service = text('service');
  const currency = text('currency');
  const cost = num(r['cost']);
  const credits = r['credits'] === null || r['credits'] === undefined ? 0 : num(r['credits']);
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day) || !projectId || !service || !currency || cost === undefined || credits === undefined) {
    throw new ProviderError(`the billing export answered a row costwatch cannot read: ${JSON.stringify(raw).slice(0, 200)}`, { cloud: 'gcp', operation: 'bigquery:jobs.query' });
  }
  const projectNumber = text('project_number');
  const serviceId = text('service_id');
  return {
    day,
    projectId,
    ...(projectNumber ? { projectNumber } : {}),
    ...(serviceId ? { serviceId } : {}),
    service,
    ...(labelled ? { label: text('label_value') ?? null } : {}),
    currency,
    cost,
    credits,
  };
}

function num(v: unknown): number | undefined {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'object' && v !== null && 'value' in v ? Number((v as { value: unknown }).value) : NaN;
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Export rows as FOCUS cost records: BilledCost and EffectiveCost are the cost net of credits
 * (what Google budgets count by default), `x_Credits` the credits applied; one grouping's rows
 * carry its `x_Breakdown`, labels become Tags.
 */
export function costRecordsOf(rows: readonly ExportRow[], grouping: ExportGrouping): CostRecord[] {
  const label = labelOf(grouping);
  return rows.map((r) => {
    const start = new Date(`${r.day}T00:00:00Z`);
    const net = r.cost + r.credits;
    return {
      ProviderName: 'Google Cloud',
      BillingCurrency: r.currency,
      BilledCost: net,
      EffectiveCost: net,
      ChargePeriodStart: start,
      ChargePeriodEnd: new Date(start.getTime() + 86_400_000),
      ServiceName: r.service,
      SubAccountId: r.projectId,
      Tags: label !== undefined && r.label ? { [label]: r.label } : {},
      x_Breakdown: grouping,
      x_Credits: r.credits,
    };
  });
}
