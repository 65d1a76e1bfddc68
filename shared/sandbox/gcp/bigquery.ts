import type { GcpGlobalCall, GcpRoute } from './context.js';
import { GoogleApiError, decodePageToken, encodePageToken, invalid } from './protocol.js';
import type { BillingRow, ExportTableRecord, GcpBillingState } from './billing-state.js';

/*
 * BigQuery (bigquery.googleapis.com v2) as the sandbox serves it: `jobs.query` and
 * `jobs.getQueryResults` for costwatch's own billing-export queries only — daily cost by service
 * (and one label) of one project over a time range, optionally only its AI spend (services named by
 * `@ai_services`, and rows carrying a label key of `@ai_label_keys`), on the standard, detailed or
 * FOCUS export schema — answered from the world's cost rows. Any other SQL is refused with a clear error.
 * Bytes processed are counted honestly: every row of the partitions the query reads (the
 * standard and detailed exports are pruned by `_PARTITIONTIME`; FOCUS is not) times the size of
 * the columns it references, by BigQuery's data-size rules (STRING 2 + UTF-8 bytes, FLOAT64 and
 * TIMESTAMP 8); bytes billed are rounded up to a MiB with BigQuery's 10 MiB minimum per query,
 * and a query over `maximumBytesBilled` fails as BigQuery fails it. Reference:
 * https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query
 */

const MIB = 1024 * 1024;
const MIN_BILLED = 10 * MIB;

function norm(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim();
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const words = (s: string) => esc(norm(s)).replace(/ /g, '\\s*');

/** The standard and detailed export query shape; groups: label, table, partition filter, AI filter, label grouping. */
const EXPORT_SHAPE = new RegExp(
  '^' +
    words('SELECT FORMAT_DATE("%F", DATE(usage_start_time)) AS day, project.id AS project_id, ANY_VALUE(project.number) AS project_number,') +
    `(\\s*${words('(SELECT l.value FROM UNNEST(labels) AS l WHERE l.key = @label_key LIMIT 1) AS label_value,')})?\\s*` +
    words('service.id AS service_id, service.description AS service, currency, SUM(cost) AS cost, SUM(IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) AS c), 0)) AS credits FROM') +
    '\\s*`([^`]+)`\\s*' +
    words('WHERE') +
    `\\s*(?:${words('project.id = @project_id')}|(${words('EXISTS(SELECT 1 FROM UNNEST(project.ancestors) AS a WHERE a.resource_name IN UNNEST(@ancestors))')}))\\s*` +
    words('AND usage_start_time >= @start AND usage_start_time < @end') +
    `(\\s*${words('AND _PARTITIONTIME >= @start')})?\\s*` +
    `(${words('AND (service.description IN UNNEST(@ai_services) OR EXISTS(SELECT 1 FROM UNNEST(labels) AS w WHERE w.key IN UNNEST(@ai_label_keys)))')}\\s*)?` +
    words('GROUP BY day, project_id,') +
    `(\\s*label_value,)?\\s*` +
    words('service_id, service, currency') +
    `(\\s*${words('ORDER BY day, service_id')})?$`,
  'i',
);

/** The FOCUS export query shape; groups: label, table, AI filter, label grouping. */
const FOCUS_SHAPE = new RegExp(
  '^' +
    words('SELECT FORMAT_DATE("%F", DATE(ChargePeriodStart)) AS day, SubAccountId AS project_id,') +
    `(\\s*${words('(SELECT t.value FROM UNNEST(Tags) AS t WHERE t.key = @label_key LIMIT 1) AS label_value,')})?\\s*` +
    words("ServiceName AS service, BillingCurrency AS currency, SUM(IF(ChargeCategory = 'Credit', 0, BilledCost)) AS cost, SUM(IF(ChargeCategory = 'Credit', BilledCost, 0)) AS credits FROM") +
    '\\s*`([^`]+)`\\s*' +
    words('WHERE SubAccountId = @project_id AND ChargePeriodStart >= @start AND ChargePeriodStart < @end') +
    '\\s*' +
    `(${words('AND (ServiceName IN UNNEST(@ai_services) OR EXISTS(SELECT 1 FROM UNNEST(Tags) AS w WHERE w.key IN UNNEST(@ai_label_keys)))')}\\s*)?` +
    words('GROUP BY day, project_id,') +
    `(\\s*label_value,)?\\s*` +
    words('service, currency') +
    `(\\s*${words('ORDER BY day, service')})?$`,
  'i',
);

interface Parsed {
  readonly shape: 'export' | 'focus';
  /** Rows of every project with one of `@ancestors` in `project.ancestors` (standard and detailed exports), not of `@project_id`. */
  readonly byAncestors: boolean;
  readonly table: string;
  readonly labelled: boolean;
  readonly pruned: boolean;
  /** Only AI spend: rows of `@ai_services` or carrying a key of `@ai_label_keys`. */
  readonly ai: boolean;
}

/** Which of costwatch's query shapes the SQL is; refuses anything else. */
export function parseExportQuery(sql: string): Parsed {
  const q = norm(sql);
  const e = EXPORT_SHAPE.exec(q);
  if (e) {
    if (Boolean(e[1]) !== Boolean(e[6])) invalid('SELECT list expression references column label_value which is neither grouped nor aggregated');
    return { shape: 'export', table: e[2]!, byAncestors: Boolean(e[3]), labelled: Boolean(e[1]), pruned: Boolean(e[4]), ai: Boolean(e[5]) };
  }
  const f = FOCUS_SHAPE.exec(q);
  if (f) {
    if (Boolean(f[1]) !== Boolean(f[4])) invalid('SELECT list expression references column label_value which is neither grouped nor aggregated');
    return { shape: 'focus', table: f[2]!, byAncestors: false, labelled: Boolean(f[1]), pruned: false, ai: Boolean(f[3]) };
  }
  invalid(
    `The sandbox cloud answers only costwatch's billing-export queries (daily cost and credits by service, and optionally one label, of one project — or of the projects under some folders or organizations — over a time range, optionally only AI services and Workbench-labelled rows, on the standard, detailed or FOCUS export); this query is not one: ${q.slice(0, 120)}${q.length > 120 ? '…' : ''}`,
  );
}

/** A named query parameter: a scalar's type and value, or an ARRAY's element type and values. */
interface Param {
  readonly type: string;
  readonly value: string;
  readonly arrayType?: string;
  readonly values?: readonly string[];
}

/** Named query parameters by name: `{ name: { type, value } }`, arrays as `{ type: 'ARRAY', arrayType, values }`. */
function paramsOf(body: Readonly<Record<string, unknown>>): Record<string, Param> {
  const out: Record<string, Param> = {};
  const list = body['queryParameters'];
  if (list !== undefined && !Array.isArray(list)) invalid('queryParameters must be a list');
  if (Array.isArray(list) && list.length > 0 && body['parameterMode'] !== undefined && String(body['parameterMode']).toUpperCase() !== 'NAMED') invalid('costwatch queries use named parameters (parameterMode NAMED)');
  for (const p of (list ?? []) as { name?: unknown; parameterType?: { type?: unknown; arrayType?: { type?: unknown } }; parameterValue?: { value?: unknown; arrayValues?: unknown } }[]) {
    if (typeof p.name === 'string' && p.parameterType?.type === 'ARRAY') {
      const elem = p.parameterType.arrayType?.type;
      const vals = p.parameterValue?.arrayValues ?? [];
      if (typeof elem !== 'string' || !Array.isArray(vals) || vals.some((v) => typeof (v as { value?: unknown })?.value !== 'string')) invalid(`array parameter ${p.name} needs parameterType.arrayType.type and parameterValue.arrayValues[].value`);
      out[p.name] = { type: 'ARRAY', value: '', arrayType: elem, values: (vals as { value: string }[]).map((v) => v.value) };
      continue;
    }
    if (typeof p.name !== 'string' || typeof p.parameterType?.type !== 'string' || typeof p.parameterValue?.value !== 'string') invalid('a query parameter needs a name, parameterType.type and parameterValue.value');
    out[p.name] = { type: p.parameterType.type, value: p.parameterValue.value };
  }
  return out;
}

function need(params: Record<string, Param>, name: string, type: string): string {
  const p = params[name];
  if (!p) invalid(`Query parameter '${name}' not found`);
  if (p.type !== type) invalid(`Query parameter '${name}' has type ${p.type}; the query compares it with a ${type}`);
  return p.value;
}

function needArray(params: Record<string, Param>, name: string): readonly string[] {
  const p = params[name];
  if (!p) invalid(`Query parameter '${name}' not found`);
  if (p.type !== 'ARRAY' || p.arrayType !== 'STRING') invalid(`Query parameter '${name}' has type ${p.type}${p.arrayType ? `<${p.arrayType}>` : ''}; IN UNNEST needs an ARRAY<STRING>`);
  return p.values ?? [];
}

/** A TIMESTAMP parameter value (`2026-12-01 00:00:00+00`, RFC 3339…), in ms. */
function timestampOf(text: string, name: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?))?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (!m) invalid(`Invalid TIMESTAMP value for parameter ${name}: ${text}`);
  let zone = m[3] ?? 'Z';
  if (/^utc$/i.test(zone)) zone = 'Z';
  else if (/^[+-]\d{2}$/.test(zone)) zone = `${zone}:00`;
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
  if (Number.isNaN(t)) invalid(`Invalid TIMESTAMP value for parameter ${name}: ${text}`);
  return t;
}

const str = (s: string) => 2 + Buffer.byteLength(s, 'utf8');

/** Bytes a row contributes for the columns a query shape references. */
function rowBytes(r: BillingRow, shape: 'export' | 'focus', labelled: boolean, byAncestors = false): number {
  const labelBytes = Object.entries(r.labels).reduce((s, [k, v]) => s + str(k) + str(v), 0);
  if (shape === 'export') {
    // usage_start_time, project.id, project.number, service.id, service.description, currency, cost, credits.amount (labels.key/value when grouped by a label).
    return 8 + str(r.projectId) + str(r.projectNumber) + str(r.serviceId) + str(r.service) + str(r.currency) + 8 + (r.credits !== 0 ? 8 : 0) + (labelled ? labelBytes : 0) + (byAncestors ? r.ancestors.reduce((s, a) => s + str(a), 0) : 0);
  }
  // ChargePeriodStart, SubAccountId, ServiceName, BillingCurrency, ChargeCategory, BilledCost (Tags when grouped by a label); a credit is a row of its own.
  const one = 8 + str(r.projectId) + str(r.service) + str(r.currency) + 8 + (labelled ? labelBytes : 0);
  return one + str('Usage') + (r.credits !== 0 ? one + str('Credit') : 0);
}

/** `day, project_id, …` result rows of one query. */
function answer(b: GcpBillingState, t: ExportTableRecord, p: Parsed, params: Record<string, Param>, now: number) {
  const project = p.byAncestors ? undefined : need(params, 'project_id', 'STRING');
  const ancestors = new Set(p.byAncestors ? needArray(params, 'ancestors') : []);
  const start = timestampOf(need(params, 'start', 'TIMESTAMP'), 'start');
  const end = timestampOf(need(params, 'end', 'TIMESTAMP'), 'end');
  const label = p.labelled ? need(params, 'label_key', 'STRING') : undefined;
  const aiServices = p.ai ? new Set(needArray(params, 'ai_services')) : undefined;
  const aiLabels = p.ai ? needArray(params, 'ai_label_keys') : [];
  const inTable = b.rows.filter((r) => r.billingAccount === t.account && r.exportTime <= now);
  // The standard and detailed exports are partitioned by export day: `_PARTITIONTIME >= @start` reads only those partitions.
  const startDay = Math.floor(start / 86_400_000) * 86_400_000;
  const scanned = p.pruned ? inTable.filter((r) => Math.floor(r.exportTime / 86_400_000) * 86_400_000 >= startDay) : inTable;
  const bytesProcessed = scanned.reduce((s, r) => s + rowBytes(r, p.shape, p.labelled || p.ai, p.byAncestors), 0);
  const groups = new Map<string, { day: string; project: string; number: string; serviceId: string; service: string; label: string | null; currency: string; cost: number; credits: number }>();
  for (const r of scanned) {
    if (project !== undefined ? r.projectId !== project : !r.ancestors.some((a) => ancestors.has(a))) continue;
    if (r.usageStart < start || r.usageStart >= end) continue;
    if (aiServices && !aiServices.has(r.service) && !aiLabels.some((k) => k in r.labels)) continue;
    const day = new Date(r.usageStart).toISOString().slice(0, 10);
    const value = label !== undefined ? (r.labels[label] ?? null) : null;
    const key = [day, r.projectId, value ?? '\u0000', p.shape === 'export' ? r.serviceId : '', r.service, r.currency].join('\u0001');
    const g = groups.get(key) ?? { day, project: r.projectId, number: r.projectNumber, serviceId: r.serviceId, service: r.service, label: value, currency: r.currency, cost: 0, credits: 0 };
    g.cost += r.cost;
    g.credits += r.credits;
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((a, c) => (a.day < c.day ? -1 : a.day > c.day ? 1 : (p.shape === 'export' ? a.serviceId : a.service) < (p.shape === 'export' ? c.serviceId : c.service) ? -1 : 1));
  const fields =
    p.shape === 'export'
      ? ['day', 'project_id', 'project_number', ...(p.labelled ? ['label_value'] : []), 'service_id', 'service', 'currency', 'cost', 'credits']
      : ['day', 'project_id', ...(p.labelled ? ['label_value'] : []), 'service', 'currency', 'cost', 'credits'];
  const rows = sorted.map((g) => {
    const v: Record<string, string | null> = {
      day: g.day,
      project_id: g.project,
      project_number: g.number,
      label_value: g.label,
      service_id: g.serviceId,
      service: g.service,
      currency: g.currency,
      cost: String(round(g.cost)),
      credits: String(round(g.credits)),
    };
    return fields.map((f) => v[f] ?? null);
  });
  return { fields: fields.map((name) => ({ name, type: name === 'cost' || name === 'credits' ? 'FLOAT' : 'STRING', mode: 'NULLABLE' as const })), rows, bytesProcessed };
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

function page(b: GcpBillingState, jobId: string, offset: number, maxResults: number) {
  const r = b.results.get(jobId);
  if (!r) throw new GoogleApiError('NOT_FOUND', `Not found: Job ${jobId}`);
  const size = Math.min(Math.max(1, maxResults), b.rowsPerPage);
  const slice = r.rows.slice(offset, offset + size);
  const next = offset + slice.length < r.rows.length ? encodePageToken(offset + slice.length, jobId) : undefined;
  return {
    kind: 'bigquery#getQueryResultsResponse',
    jobReference: { projectId: r.project, jobId: r.jobId, location: r.location },
    schema: { fields: r.fields },
    totalRows: String(r.rows.length),
    rows: slice.map((row) => ({ f: row.map((v) => ({ v })) })),
    ...(next ? { pageToken: next } : {}),
    totalBytesProcessed: String(r.bytesProcessed),
    jobComplete: true,
    cacheHit: false,
  };
}

function maxResultsOf(v: unknown, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) invalid(`Invalid value for maxResults: ${String(v)}`);
  return n === 0 ? fallback : n;
}

function query(call: GcpGlobalCall) {
  const b = call.state.billing;
  const body = call.body;
  if (typeof body['query'] !== 'string' || body['query'].trim() === '') invalid('Required parameter is missing: query');
  if (body['useLegacySql'] === true) invalid('costwatch queries are GoogleSQL: useLegacySql must be false');
  const sql = body['query'];
  const log = (entry: Omit<Parameters<GcpBillingState['queries']['push']>[0], 'sql'>) => b.queries.push({ sql, ...entry });
  const maxBilled = body['maximumBytesBilled'] === undefined ? undefined : String(body['maximumBytesBilled']);
  let parsed: Parsed;
  let params: Record<string, Param>;
  try {
    parsed = parseExportQuery(sql);
    params = paramsOf(body);
  } catch (err) {
    log({ params: {}, ...(maxBilled ? { maximumBytesBilled: maxBilled } : {}), bytesProcessed: 0, bytesBilled: 0, refused: (err as Error).message });
    throw err;
  }
  const flat = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.values ? v.values.join(',') : v.value]));
  const jobProject = call.params['project'] ?? '';
  const table = b.table(parsed.table) ?? b.table(`${jobProject}.${parsed.table}`);
  if (!table) throw new GoogleApiError('NOT_FOUND', `Not found: Table ${parsed.table.replace(/^([^.]+)\./, '$1:')} was not found in location ${String(body['location'] ?? 'US')}`);
  if ((parsed.shape === 'focus') !== (table.kind === 'focus')) {
    invalid(`Unrecognized name: ${parsed.shape === 'focus' ? 'ChargePeriodStart' : 'usage_start_time'} (the table is the ${table.kind} export)`);
  }
  if (body['location'] !== undefined && String(body['location']).toLowerCase() !== table.location.toLowerCase()) {
    throw new GoogleApiError('NOT_FOUND', `Not found: Dataset ${table.project}:${table.dataset} was not found in location ${String(body['location'])}`);
  }
  const { fields, rows, bytesProcessed } = answer(b, table, parsed, params, call.now);
  const bytesBilled = Math.max(MIN_BILLED, Math.ceil(bytesProcessed / MIB) * MIB);
  if (maxBilled !== undefined) {
    const cap = Number(maxBilled);
    if (!Number.isFinite(cap) || cap < 0) invalid(`Invalid value for maximumBytesBilled: ${maxBilled}`);
    if (bytesBilled > cap) {
      log({ params: flat, maximumBytesBilled: maxBilled, bytesProcessed, bytesBilled: 0, refused: 'bytesBilledLimitExceeded' });
      invalid(`Query exceeded limit for bytes billed: ${cap}. ${bytesBilled} or higher required.`);
    }
  }
  log({ params: flat, ...(maxBilled ? { maximumBytesBilled: maxBilled } : {}), bytesProcessed, bytesBilled });
  const kept = b.keep({ project: jobProject, location: table.location, fields, rows, bytesProcessed, bytesBilled });
  return { ...page(b, kept.jobId, 0, maxResultsOf(body['maxResults'], b.rowsPerPage)), kind: 'bigquery#queryResponse', totalBytesBilled: String(bytesBilled) };
}

function getQueryResults(call: GcpGlobalCall) {
  const jobId = call.params['job'] ?? '';
  const token = call.query.get('pageToken');
  const offset = token ? decodePageToken(token, jobId) : Number(call.query.get('startIndex') ?? 0);
  if (!Number.isInteger(offset) || offset < 0) invalid('Invalid startIndex');
  return page(call.state.billing, jobId, offset, maxResultsOf(call.query.get('maxResults'), call.state.billing.rowsPerPage));
}

/** BigQuery routes (global: the export's project need not be a scanned project). */
export const BIGQUERY_ROUTES: readonly GcpRoute[] = [
  { service: 'bigquery', operation: 'jobs.query', method: 'POST', pattern: /^\/bigquery\/v2\/projects\/(?<project>[^/]+)\/queries$/, global: true, handler: query },
  { service: 'bigquery', operation: 'jobs.getQueryResults', method: 'GET', pattern: /^\/bigquery\/v2\/projects\/(?<project>[^/]+)\/queries\/(?<job>[^/]+)$/, global: true, handler: getQueryResults },
];
