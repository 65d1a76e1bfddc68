import type { GetMetricDataCommandOutput, ListMetricsCommandOutput, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { aggregate, hasData, intersect, type Run, type Statistic } from '../series.js';
import { floorMinute, MINUTE_MS } from '../time.js';
import { metricKey } from '../world.js';
import { AwsApiError, decodeToken, encodeToken, fromWireTime } from './protocol.js';
import type { AwsCallContext, AwsHandler } from './sagemaker.js';
import type { AwsRegionState, MetricRecord } from './state.js';

type Out<T> = Omit<T, '$metadata'>;

/** GetMetricData's documented limits. */
export const MAX_METRIC_DATA_QUERIES = 500;
/** Datapoints one GetMetricData call returns before paginating. */
export const MAX_DATAPOINTS_PER_CALL = 100_800;
const LIST_METRICS_PAGE = 500;
const STATS: readonly Statistic[] = ['Sum', 'Average', 'Maximum', 'Minimum', 'SampleCount'];

const dimension = z.object({ Name: z.string(), Value: z.string() });
const query = z.object({
  Id: z.string(),
  MetricStat: z
    .object({
      Metric: z.object({ Namespace: z.string().optional(), MetricName: z.string().optional(), Dimensions: z.array(dimension).optional() }),
      Period: z.number().optional(),
      Stat: z.string().optional(),
      Unit: z.string().optional(),
    })
    .optional(),
  Expression: z.string().optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().optional(),
  AccountId: z.string().optional(),
});
const getMetricDataInput = z.object({
  MetricDataQueries: z.array(query).optional(),
  StartTime: z.number().optional(),
  EndTime: z.number().optional(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).default('TimestampDescending'),
  MaxDatapoints: z.number().int().optional(),
});

function bad(kind: 'validation' | 'invalid-parameter' | 'missing-parameter', message: string): never {
  throw new AwsApiError(kind, message);
}

function getMetricData(ctx: AwsCallContext, body: unknown): Out<GetMetricDataCommandOutput> {
  const parsed = getMetricDataInput.safeParse(body);
  if (!parsed.success) bad('invalid-parameter', `Invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const input = parsed.data;
  if (!input.MetricDataQueries) bad('missing-parameter', 'The parameter MetricDataQueries is required.');
  if (input.StartTime === undefined) bad('missing-parameter', 'The parameter StartTime is required.');
  if (input.EndTime === undefined) bad('missing-parameter', 'The parameter EndTime is required.');
  const queries = input.MetricDataQueries;
  if (queries.length === 0) bad('validation', 'The collection MetricDataQueries must not be empty.');
  if (queries.length > MAX_METRIC_DATA_QUERIES) {
    bad('validation', `The collection MetricDataQueries must not have a size greater than ${MAX_METRIC_DATA_QUERIES}.`);
  }
  const start = fromWireTime(input.StartTime);
  const end = fromWireTime(input.EndTime);
  if (start >= end) bad('validation', 'The parameter StartTime must be less than the parameter EndTime.');
  if (input.MaxDatapoints !== undefined && input.MaxDatapoints < 1) bad('invalid-parameter', 'The parameter MaxDatapoints must be greater than 0.');

  const ids = new Set<string>();
  queries.forEach((q, i) => {
    const at = `MetricDataQueries.member.${i + 1}`;
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) bad('validation', `The value ${q.Id} for parameter ${at}.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.`);
    if (ids.has(q.Id)) bad('validation', `The values for parameter Id in MetricDataQueries are not unique: ${q.Id}.`);
    ids.add(q.Id);
    if (q.Expression !== undefined) bad('validation', `${at}.Expression: the sandbox cloud does not evaluate metric math; use MetricStat.`);
    if (!q.MetricStat) bad('validation', `${at}: exactly one of MetricStat or Expression must be specified.`);
    const { Metric, Period, Stat } = q.MetricStat;
    if (!Metric.Namespace || !Metric.MetricName) bad('missing-parameter', `The parameters ${at}.MetricStat.Metric.Namespace and MetricName are required.`);
    if (Period === undefined || !Number.isInteger(Period) || !(Period % 60 === 0 ? Period > 0 : [1, 5, 10, 20, 30].includes(Period))) {
      bad('invalid-parameter', `The parameter ${at}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60.`);
    }
    if (!Stat || !(STATS as readonly string[]).includes(Stat)) {
      bad('invalid-parameter', `The parameter ${at}.MetricStat.Stat "${Stat ?? ''}" is not supported by the sandbox cloud; use one of ${STATS.join(', ')}.`);
    }
  });

  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ q: queries, s: input.StartTime, e: input.EndTime, b: input.ScanBy }))
    .digest('base64url');
  let offset = 0;
  if (input.NextToken !== undefined) {
    const decoded = decodeToken(input.NextToken, fingerprint);
    if (decoded === undefined) throw new AwsApiError('invalid-next-token', 'The service couldn\u2019t process your request because of an invalid NextToken.');
    offset = decoded;
  }

  const coarsest = periodCloudWatchKeeps(ctx.now - start);
  // Data exists only for whole minutes already past on the world clock.
  const from = floorMinute(start);
  const to = Math.min(Math.ceil(end / MINUTE_MS) * MINUTE_MS, floorMinute(ctx.now));
  const series = queries
    .filter((q) => q.ReturnData !== false)
    .map((q) => {
      const stat = q.MetricStat as NonNullable<typeof q.MetricStat>;
      const metric = findMetric(ctx.region, stat.Metric);
      const data =
        metric && (stat.Unit === undefined || stat.Unit === metric.unit) && to > from && (stat.Period as number) % coarsest === 0
          ? aggregate(runsOf(metric, from, to), from, (stat.Period as number) * 1000, stat.Stat as Statistic)
          : { timestamps: [], values: [] };
      if (input.ScanBy === 'TimestampDescending') {
        data.timestamps.reverse();
        data.values.reverse();
      }
      return { id: q.Id, label: q.Label ?? stat.Metric.MetricName ?? q.Id, ...data };
    });

  const limit = Math.min(input.MaxDatapoints ?? MAX_DATAPOINTS_PER_CALL, MAX_DATAPOINTS_PER_CALL);
  const total = series.reduce((n, s) => n + s.timestamps.length, 0);
  const pageEnd = Math.min(offset + limit, total);
  const results: MetricDataResult[] = [];
  let position = 0;
  for (const s of series) {
    const a = position;
    const b = position + s.timestamps.length;
    position = b;
    // A series appears on each page holding some of its datapoints; an empty one on the page where it falls.
    const onPage = a === b ? a >= offset && (a < pageEnd || pageEnd === total) : a < pageEnd && b > offset;
    if (!onPage) continue;
    const lo = Math.max(a, offset) - a;
    const hi = Math.min(b, pageEnd) - a;
    results.push({
      Id: s.id,
      Label: s.label,
      Timestamps: s.timestamps.slice(lo, hi).map((t) => new Date(t)),
      Values: s.values.slice(lo, hi),
      StatusCode: b > pageEnd ? 'PartialData' : 'Complete',
    });
  }
  return {
    MetricDataResults: results,
    ...(pageEnd < total ? { NextToken: encodeToken(pageEnd, fingerprint) } : {}),
    Messages: [],
  } satisfies Out<GetMetricDataCommandOutput>;
}

const DAY_MS = 86_400_000;

/**
 * The period a query must be a multiple of for CloudWatch to return data from a start this long
 * ago (GetMetricData `StartTime`): data older than 3 hours is kept per minute, older than 15 days
 * per 5 minutes, older than 63 days per hour. A finer period returns no datapoints, as in AWS.
 */
export function periodCloudWatchKeeps(startAgeMs: number): number {
  if (startAgeMs > 63 * DAY_MS) return 3600;
  if (startAgeMs > 15 * DAY_MS) return 300;
  if (startAgeMs > 3 * 3_600_000) return 60;
  return 1;
}

/** Exact match on namespace, name and the whole set of dimensions, as CloudWatch matches. */
function findMetric(
  region: AwsRegionState,
  m: { Namespace?: string | undefined; MetricName?: string | undefined; Dimensions?: { Name: string; Value: string }[] | undefined },
): MetricRecord | undefined {
  const dims = m.Dimensions ?? [];
  const record: Record<string, string> = {};
  for (const d of dims) record[d.Name] = d.Value;
  if (Object.keys(record).length !== dims.length) return undefined;
  return region.metrics.get(metricKey(m.Namespace ?? '', m.MetricName ?? '', record));
}

function runsOf(metric: MetricRecord, from: number, to: number): Run[] {
  const runs = metric.series(from, to);
  return metric.alive ? intersect(runs, metric.alive) : runs;
}

const listMetricsInput = z.object({
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Dimensions: z.array(z.object({ Name: z.string(), Value: z.string().optional() })).max(10).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.literal('PT3H').optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().optional(),
});

/** CloudWatch lists a metric while it has had datapoints in the past two weeks. */
const LIST_METRICS_LOOKBACK_MS = 14 * 86_400_000;

function listMetrics(ctx: AwsCallContext, body: unknown): Out<ListMetricsCommandOutput> {
  const parsed = listMetricsInput.safeParse(body);
  if (!parsed.success) bad('invalid-parameter', `Invalid request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const input = parsed.data;
  const to = floorMinute(ctx.now);
  const from = to - (input.RecentlyActive ? 3 * 3_600_000 : LIST_METRICS_LOOKBACK_MS);
  const matches = [...ctx.region.metrics.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, m]) => m)
    .filter(
      (m) =>
        (input.Namespace === undefined || m.namespace === input.Namespace) &&
        (input.MetricName === undefined || m.name === input.MetricName) &&
        (input.Dimensions ?? []).every((d) => d.Name in m.dimensions && (d.Value === undefined || m.dimensions[d.Name] === d.Value)) &&
        hasData(runsOf(m, from, to)),
    );
  const fingerprint = JSON.stringify({ n: input.Namespace, m: input.MetricName, d: input.Dimensions, r: input.RecentlyActive });
  let offset = 0;
  if (input.NextToken !== undefined) {
    const decoded = decodeToken(input.NextToken, fingerprint);
    if (decoded === undefined) throw new AwsApiError('invalid-next-token', 'The service couldn\u2019t process your request because of an invalid NextToken.');
    offset = decoded;
  }
  const page = matches.slice(offset, offset + LIST_METRICS_PAGE);
  const next = offset + page.length;
  return {
    Metrics: page.map((m) => ({
      Namespace: m.namespace,
      MetricName: m.name,
      Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
    })),
    ...(next < matches.length ? { NextToken: encodeToken(next, fingerprint) } : {}),
  } satisfies Out<ListMetricsCommandOutput>;
}

/** The CloudWatch operations the sandbox implements, by `X-Amz-Target` operation name. */
export const CLOUDWATCH_OPERATIONS = {
  GetMetricData: getMetricData,
  ListMetrics: listMetrics,
} as const satisfies Record<string, AwsHandler>;
