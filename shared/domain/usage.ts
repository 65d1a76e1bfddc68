/**
 * What a usage series measures, cloud-neutral:
 * - `requests`: requests served (SageMaker `Invocations`, Vertex prediction count, Azure ML requests);
 * - `heartbeat`: a metric published for as long as instances run (e.g. SageMaker per-variant
 *   CPUUtilization), which tells "no requests" from "no data";
 * - `cpu` / `gpu`: utilization in percent;
 * - `requests-per-instance`: requests served per instance in each period (SageMaker
 *   `InvocationsPerInstance`), which with `requests` tells how many instances served them;
 * - `instances`: the instances (replicas) running in each period, where the cloud publishes the
 *   count itself (Vertex AI `prediction/online/replicas`, Azure ML `DeploymentCapacity`).
 */
export type UsageSignal = 'requests' | 'heartbeat' | 'cpu' | 'gpu' | 'requests-per-instance' | 'instances';

/** Every usage signal. */
export const USAGE_SIGNALS: readonly UsageSignal[] = ['requests', 'heartbeat', 'cpu', 'gpu', 'requests-per-instance', 'instances'];

/**
 * Facts about a resource that a rule reads besides its usage series, read only when a scan's
 * rules need them: `autoscaling`, the autoscaling bounds of its components (`ResourceComponent.scaling`).
 */
export type ResourceFact = 'autoscaling';

/** Every resource fact. */
export const RESOURCE_FACTS: readonly ResourceFact[] = ['autoscaling'];

export interface UsagePoint {
  readonly at: Date;
  readonly value: number;
}

/**
 * A metric over a window for one resource component, as the cloud was asked for it: over
 * `window`, in periods of `periodSeconds` counted from `window.start`. Each datapoint summarises
 * the period that starts at its `at`, so a datapoint says "somewhere in [at, at + period)" and
 * never more. `points` holds only what the cloud returned: an empty array is "no data", never
 * zero. `status` says why. Rules never guess a period from the spacing of the datapoints; they
 * read series through `shared/rules/series.ts`.
 */
export interface UsageSeries {
  readonly resourceId: string;
  /** Component (variant / deployed model) the series belongs to; absent for the whole resource. */
  readonly component?: string;
  readonly signal: UsageSignal;
  /** Native metric, e.g. `AWS/SageMaker:Invocations`. */
  readonly metric: string;
  readonly unit: string;
  /** The window the collector asked for; its periods start at `window.start`. */
  readonly window: { readonly start: Date; readonly end: Date };
  /** The resolution the collector asked for (e.g. GetMetricData `Period`), in seconds. */
  readonly periodSeconds: number;
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
