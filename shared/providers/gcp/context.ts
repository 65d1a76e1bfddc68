import type { UsageSignal } from '../../domain/usage.js';
import type { GcsPriceBook } from '../../pricing/gcs-prices.js';
import type { StateStore } from '../../store/port.js';
import type { KindModule } from '../kind.js';
import type { CollectionFailure } from '../port.js';
import type { GcpBilling } from './billing.js';
import type { GcpClients } from './clients.js';
import type { GcpRetryOptions } from './retry.js';

/** What the gcp provider hands its kinds for one project and region. */
export interface GcpCtx {
  readonly clients: GcpClients;
  readonly projectId: string;
  readonly region: string;
  readonly retry: GcpRetryOptions;
  /** Runs a call with the provider's retry policy. */
  call<T>(fn: () => Promise<T>, idempotent?: boolean): Promise<T>;
  /** The scan's time (the world clock in the sandbox): object ages are counted to it. */
  readonly now: Date;
  /** The money side (billing export, budgets, project billing); absent when the policy reads none. */
  readonly billing?: GcpBilling;
  /** Where paid reads are cached (the store), when the caller has one. */
  readonly cache?: Pick<StateStore, 'getCached' | 'putCached'>;
  /** Cloud Storage cold-artifacts settings; absent when the cold-artifacts rule is off. */
  readonly coldArtifacts?: GcsColdArtifactsOptions;
  /** Records a failure that leaves the rest of the listing standing (one bucket of many). */
  reportFailure(f: CollectionFailure): void;
  /** Runs `fn` once per key for the regions of one project's collection (a listing every region shares). */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** What the Cloud Storage kind needs from the policy. */
export interface GcsColdArtifactsOptions {
  readonly olderThanDays: number;
  readonly retrievalPercentPerMonth: number;
  /** Objects listed per bucket or prefix at most. */
  readonly maxObjectsPerBucket: number;
  /** Watched prefixes per bucket name (`rules.cold-artifacts.buckets`); a bucket not named is read whole. */
  readonly prefixes: ReadonlyMap<string, readonly string[]>;
  readonly prices: GcsPriceBook;
}

/**
 * One Cloud Monitoring series a kind needs: the metric (read for the whole project in one paged
 * listTimeSeries with its aligner, never per resource) and the labels that pick this resource's
 * series out of the answer.
 */
export interface GcpMetricQuery {
  readonly metricType: string;
  readonly resourceType: string;
  readonly aligner: 'ALIGN_SUM' | 'ALIGN_MEAN' | 'ALIGN_MAX';
  /** `resource.<label>` and `metric.<label>` values the series must carry. */
  readonly labels: Readonly<Record<string, string>>;
  readonly resourceId: string;
  readonly component?: string;
  readonly signal: UsageSignal;
  /** The same series read a second time as another signal (e.g. replicas as the heartbeat). */
  readonly alsoAs?: UsageSignal;
  readonly unit: string;
  /** Multiplies the values (Cloud Monitoring writes utilization as a fraction: 100 gives percent). */
  readonly scale: number;
}

/** A Google Cloud resource kind. */
export type GcpKind = KindModule<GcpCtx, GcpMetricQuery>;

/** Labels as tags (Google labels are lower-case keys and values). */
export function labelsOf(labels: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  return { ...(labels ?? {}) };
}

/** A protobuf Timestamp (`{ seconds, nanos }`, seconds as a string or Long) as a Date. */
export function dateOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined {
  if (!t || t.seconds === undefined || t.seconds === null) return undefined;
  const s = Number(typeof t.seconds === 'object' ? String(t.seconds) : t.seconds);
  if (!Number.isFinite(s) || s <= 0) return undefined;
  return new Date(s * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}

/** An enum field as its name, whether the client decoded it as a name or a number. */
export function enumName(value: unknown, names: Readonly<Record<number, string>>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return names[value] ?? String(value);
  return 'UNSPECIFIED';
}

/** `projects/<p>/locations/<l>/<collection>/<id>` split into its parts. */
export function parseName(name: string): { project: string; location: string; id: string } | undefined {
  const m = /^projects\/([^/]+)\/locations\/([^/]+)\/[^/]+\/([^/]+)$/.exec(name);
  return m ? { project: m[1] ?? '', location: m[2] ?? '', id: m[3] ?? '' } : undefined;
}
