import { aggregate, intersect, type Statistic } from '../series.js';
import { MINUTE_MS } from '../time.js';
import type { GcpCall, GcpRoute } from './context.js';
import { decodePageToken, encodePageToken, fingerprintOf, GoogleApiError, invalid, parseDuration, parseTimestamp, rfc3339 } from './protocol.js';
import { KNOWN_METRICS, type SeriesRecord } from './state.js';

/*
 * Cloud Monitoring `projects.timeSeries.list` (monitoring.googleapis.com v3) over the series the
 * sandbox's services write. Honoured: a filter of `=` comparisons joined by AND on metric.type,
 * resource.type and their labels; interval; aggregation.alignmentPeriod with a per-series aligner
 * (SUM, MEAN, MAX, MIN, COUNT, DELTA); paging by points (pageSize, nextPageToken); points newest
 * first, as the API returns them. A series with no point in the interval is not returned: that is
 * how "no data" looks. Reference:
 * https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list
 */

/** Aligner enum values (google.monitoring.v3.Aggregation.Aligner) by number, as `enum-encoding=int` sends them. */
const ALIGNERS: Readonly<Record<string, string>> = {
  '0': 'ALIGN_NONE',
  '1': 'ALIGN_DELTA',
  '2': 'ALIGN_RATE',
  '3': 'ALIGN_INTERPOLATE',
  '4': 'ALIGN_NEXT_OLDER',
  '10': 'ALIGN_MIN',
  '11': 'ALIGN_MAX',
  '12': 'ALIGN_MEAN',
  '13': 'ALIGN_COUNT',
  '14': 'ALIGN_SUM',
  '15': 'ALIGN_STDDEV',
};
const SUPPORTED: Readonly<Record<string, Statistic>> = { ALIGN_SUM: 'Sum', ALIGN_DELTA: 'Sum', ALIGN_MEAN: 'Average', ALIGN_MAX: 'Maximum', ALIGN_MIN: 'Minimum', ALIGN_COUNT: 'SampleCount' };

/** The API's cap on points per page. */
export const MAX_POINTS_PER_PAGE = 100_000;

interface Filter {
  readonly metricType: string;
  readonly resourceType?: string;
  readonly resourceLabels: Record<string, string>;
  readonly metricLabels: Record<string, string>;
}

const CLAUSE = /^\s*(metric\.type|resource\.type|resource\.labels?\.[a-z_][a-z0-9_]*|metric\.labels?\.[a-z_][a-z0-9_]*)\s*=\s*"([^"]*)"\s*$/;

/** Parses the filter subset the sandbox evaluates; anything else is refused, never guessed. */
export function parseFilter(text: string): Filter {
  if (text.trim() === '') invalid('filter is required and must name exactly one metric.type');
  const out: { metricType?: string; resourceType?: string; resourceLabels: Record<string, string>; metricLabels: Record<string, string> } = { resourceLabels: {}, metricLabels: {} };
  for (const clause of text.split(/\s+AND\s+/)) {
    const m = CLAUSE.exec(clause);
    if (!m) invalid(`The sandbox cloud evaluates filters of field = "value" clauses joined by AND (metric.type, resource.type, resource.labels.*, metric.labels.*); it cannot evaluate: ${clause.trim()}`);
    const [, field = '', value = ''] = m;
    if (field === 'metric.type') {
      if (out.metricType !== undefined && out.metricType !== value) invalid('A filter names exactly one metric.type');
      out.metricType = value;
    } else if (field === 'resource.type') out.resourceType = value;
    else if (field.startsWith('resource.')) out.resourceLabels[field.replace(/^resource\.labels?\./, '')] = value;
    else out.metricLabels[field.replace(/^metric\.labels?\./, '')] = value;
  }
  if (out.metricType === undefined) invalid('filter must name exactly one metric.type');
  return { metricType: out.metricType, ...(out.resourceType !== undefined ? { resourceType: out.resourceType } : {}), resourceLabels: out.resourceLabels, metricLabels: out.metricLabels };
}

function matches(s: SeriesRecord, f: Filter): boolean {
  if (s.metricType !== f.metricType) return false;
  if (f.resourceType !== undefined && s.resourceType !== f.resourceType) return false;
  for (const [k, v] of Object.entries(f.resourceLabels)) if (s.resourceLabels[k] !== v) return false;
  for (const [k, v] of Object.entries(f.metricLabels)) if (s.metricLabels[k] !== v) return false;
  return true;
}

interface Point {
  interval: { startTime: string; endTime: string };
  value: { int64Value: string } | { doubleValue: number };
}

function listTimeSeries(call: GcpCall) {
  const q = call.query;
  const filter = parseFilter(q.get('filter') ?? '');
  const known = KNOWN_METRICS.get(filter.metricType);
  const end = Math.floor(parseTimestamp(q.get('interval.endTime'), 'interval.endTime') / MINUTE_MS) * MINUTE_MS;
  const startText = q.get('interval.startTime');
  const start = startText ? Math.floor(parseTimestamp(startText, 'interval.startTime') / MINUTE_MS) * MINUTE_MS : end;
  if (start > end) invalid('interval.startTime must not be later than interval.endTime');
  const alignerRaw = q.get('aggregation.perSeriesAligner') ?? '';
  const aligner = ALIGNERS[alignerRaw] ?? (alignerRaw === '' ? 'ALIGN_NONE' : alignerRaw);
  const reducer = q.get('aggregation.crossSeriesReducer');
  if (reducer && reducer !== '0' && reducer !== 'REDUCE_NONE') invalid('The sandbox cloud does not reduce across series (aggregation.crossSeriesReducer); read the series and combine them');
  const periodSeconds = parseDuration(q.get('aggregation.alignmentPeriod'), 'aggregation.alignmentPeriod');
  const view = q.get('view');
  if (view === 'HEADERS' || view === '1') invalid('The sandbox cloud serves view FULL only');

  let periodMs = MINUTE_MS;
  let stat: Statistic | undefined;
  if (aligner !== 'ALIGN_NONE') {
    stat = SUPPORTED[aligner];
    if (!stat) invalid(`The sandbox cloud does not implement aligner ${aligner}; use ALIGN_SUM, ALIGN_MEAN, ALIGN_MAX, ALIGN_MIN, ALIGN_COUNT or ALIGN_DELTA`);
    if (periodSeconds === undefined || periodSeconds < 60 || !Number.isInteger(periodSeconds)) {
      invalid('The alignment period must be at least 60 seconds and a whole number of seconds when an aligner is given');
    }
    if (aligner === 'ALIGN_DELTA' && known?.kind === 'GAUGE') invalid(`The aligner ALIGN_DELTA is not valid for the GAUGE metric ${filter.metricType}`);
    periodMs = periodSeconds * 1000;
  }
  if (known && filter.resourceType !== undefined && filter.resourceType !== known.resourceType) {
    // Google answers an impossible combination with no series, not an error.
    return {};
  }

  const n = Math.max(1, Math.ceil((end - start) / periodMs));
  const base = end - n * periodMs;
  const pageSizeRaw = q.get('pageSize');
  const pageSize = Math.min(MAX_POINTS_PER_PAGE, pageSizeRaw && pageSizeRaw !== '0' ? Number(pageSizeRaw) : MAX_POINTS_PER_PAGE);
  if (!Number.isInteger(pageSize) || pageSize < 1) invalid(`Invalid value for pageSize: ${pageSizeRaw ?? ''}`);
  const fingerprint = fingerprintOf(call.path, q);
  const token = q.get('pageToken');
  const offset = token ? decodePageToken(token, fingerprint) : 0;
  // The matching series are aggregated once per query (and world version and time), then each page
  // is cut from that: paging through a project's series stays linear, not quadratic.
  const memoKey = `${fingerprint}|${call.now}|${call.project.version}`;
  let matched = aggregated.get(call.project)?.get(memoKey);
  if (!matched) {
    matched = [];
    for (const s of call.project.series) {
      if (!matches(s, filter)) continue;
      const agg = aggregate(intersect(s.series(base, end), s.alive), base, periodMs, stat ?? 'Average');
      if (agg.timestamps.length > 0) matched.push({ s, agg });
    }
    const memo = aggregated.get(call.project) ?? new Map<string, Matched[]>();
    if (memo.size >= 16) memo.delete(memo.keys().next().value as string);
    memo.set(memoKey, matched);
    aggregated.set(call.project, memo);
  }
  if (offset > matched.length) throw new GoogleApiError('INVALID_ARGUMENT', 'Invalid page token');
  const page: Record<string, unknown>[] = [];
  let points = 0;
  let more = false;
  for (let k = offset; k < matched.length; k++) {
    const { s, agg } = matched[k]!;
    if (page.length > 0 && points + agg.timestamps.length > pageSize) {
      more = true;
      break;
    }
    const int = stat === 'SampleCount' || (s.valueType === 'INT64' && stat !== 'Average');
    const pts: Point[] = [];
    for (let i = agg.timestamps.length - 1; i >= 0; i--) {
      const t = agg.timestamps[i] ?? 0;
      const raw = agg.values[i] ?? 0;
      const v = stat === 'SampleCount' ? raw : raw * s.scale;
      const endTime = rfc3339(t + periodMs);
      pts.push({
        interval: { startTime: s.metricKind === 'DELTA' ? rfc3339(t) : endTime, endTime },
        value: int ? { int64Value: String(Math.round(v)) } : { doubleValue: v },
      });
    }
    page.push({
      metric: { type: s.metricType, labels: { ...s.metricLabels } },
      resource: { type: s.resourceType, labels: { ...s.resourceLabels } },
      metricKind: s.metricKind,
      valueType: int ? 'INT64' : 'DOUBLE',
      points: pts,
      unit: s.scale === 1 ? '1' : '10^2.%',
    });
    points += pts.length;
  }
  // A page holds whole series, at least one, up to pageSize points.
  return { ...(page.length > 0 ? { timeSeries: page } : {}), ...(more ? { nextPageToken: encodePageToken(offset + page.length, fingerprint) } : {}), unit: page.length > 0 ? (page[0] as { unit: string }).unit : '' };
}

type Matched = { s: SeriesRecord; agg: ReturnType<typeof aggregate> };
const aggregated = new WeakMap<GcpCall['project'], Map<string, Matched[]>>();

/** The Cloud Monitoring routes. */
export const MONITORING_ROUTES: readonly GcpRoute[] = [
  { service: 'monitoring', operation: 'ListTimeSeries', method: 'GET', pattern: /^\/v3\/projects\/(?<project>[^/]+)\/timeSeries$/, handler: listTimeSeries },
];
