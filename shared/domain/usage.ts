/**
 * What a usage series measures, cloud-neutral:
 * - `requests`: requests served (SageMaker `Invocations`, Vertex prediction count, Azure ML requests);
 * - `heartbeat`: a metric published for as long as instances run (e.g. SageMaker per-variant
 *   CPUUtilization), which tells "no requests" from "no data";
 * - `cpu` / `gpu`: utilization in percent.
 */
export type UsageSignal = 'requests' | 'heartbeat' | 'cpu' | 'gpu';

/** Every usage signal. */
export const USAGE_SIGNALS: readonly UsageSignal[] = ['requests', 'heartbeat', 'cpu', 'gpu'];

export interface UsagePoint {
  readonly at: Date;
  readonly value: number;
}

/**
 * A metric over a window for one resource component. `points` holds only what the cloud
 * returned: an empty array is "no data", never zero. `status` says why.
 */
export interface UsageSeries {
  readonly resourceId: string;
  /** Component (variant / deployed model) the series belongs to; absent for the whole resource. */
  readonly component?: string;
  readonly signal: UsageSignal;
  /** Native metric, e.g. `AWS/SageMaker:Invocations`. */
  readonly metric: string;
  readonly unit: string;
  readonly window: { readonly start: Date; readonly end: Date };
  /** `present`: datapoints returned; `absent`: the query succeeded with none; `error`: it failed. */
  readonly status: 'present' | 'absent' | 'error';
  readonly points: readonly UsagePoint[];
  /** Why the series is `error`, when it is. */
  readonly error?: string;
}

/** Sum of the points, or undefined when there is no data (never 0 for no data). */
export function sumOf(series: UsageSeries): number | undefined {
  if (series.status !== 'present' || series.points.length === 0) return undefined;
  return series.points.reduce((s, p) => s + p.value, 0);
}
