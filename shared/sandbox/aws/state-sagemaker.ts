import { createHash } from 'node:crypto';
import { compileSeries, type Interval, type Run, type SeriesFn } from '../series.js';
import { resolveTime } from '../time.js';
import { metricKey, type RegionSpec } from '../world.js';
import { DEFAULT_TRAINING_MAX_RUNTIME_S, type JOB_STATUSES } from './world-jobs.js';
import { autoStopScript, NOTEBOOK_CPU_METRIC, type NOTEBOOK_STATUSES } from './world-notebooks.js';
import { domainIdOf, type STUDIO_APP_STATUSES, type STUDIO_APP_TYPES } from './world-studio.js';
import type { MetricRecord } from './state.js';

/*
 * Notebook instances, Studio domains / spaces / apps and training / processing jobs of one
 * account × region. Transitional states (Stopping, Pending, Deleting) last `transitionMs` of
 * world time, then settle on the next read, as endpoints do with `endpointCreationMs`.
 */

export type NotebookStatus = (typeof NOTEBOOK_STATUSES)[number];
export type AppStatus = (typeof STUDIO_APP_STATUSES)[number];
export type AppType = (typeof STUDIO_APP_TYPES)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A pending transition: the state a record reaches at `at`. */
interface Transition<S> {
  readonly at: number;
  readonly to: S;
}

export interface NotebookRecord {
  readonly name: string;
  readonly arn: string;
  status: NotebookStatus;
  readonly instanceType: string;
  readonly createdAt: number;
  lastModifiedAt: number;
  readonly lifecycleConfigName?: string;
  readonly directInternetAccess: boolean;
  readonly rootAccess: boolean;
  readonly volumeSizeInGb: number;
  readonly tags: Map<string, string>;
  /** When the instance ran: its CPU metric publishes only inside these. */
  readonly running: Interval[];
  transition?: Transition<NotebookStatus>;
}

export interface LifecycleConfigRecord {
  readonly name: string;
  readonly arn: string;
  readonly onStart?: string;
  readonly createdAt: number;
}

export interface DomainRecord {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly idleShutdownMinutes?: number;
  readonly userProfiles: readonly string[];
  readonly tags: Map<string, string>;
}

export interface SpaceRecord {
  readonly domainId: string;
  readonly name: string;
  readonly arn: string;
  readonly owner?: string;
  readonly appType: 'JupyterLab' | 'CodeEditor';
  readonly idleShutdownMinutes?: number;
  readonly storageGb: number;
  readonly createdAt: number;
  readonly tags: Map<string, string>;
}

export interface AppRecord {
  readonly domainId: string;
  readonly name: string;
  readonly type: AppType;
  readonly space?: string;
  readonly userProfile?: string;
  readonly arn: string;
  readonly instanceType: string;
  status: AppStatus;
  readonly createdAt: number;
  /** Set when the world declares user activity; otherwise it reads as the last health check. */
  readonly lastUserActivity?: number;
  readonly tags: Map<string, string>;
  transition?: Transition<AppStatus>;
}

export interface JobRecord {
  readonly kind: 'training' | 'processing';
  readonly name: string;
  readonly arn: string;
  status: JobStatus;
  secondaryStatus?: string;
  readonly createdAt: number;
  readonly startedAt: number;
  endedAt?: number;
  lastModifiedAt: number;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxRuntimeSeconds?: number;
  readonly spot: boolean;
  readonly checkpointS3Uri?: string;
  readonly billableSeconds?: number;
  readonly tags: Map<string, string>;
  transition?: Transition<JobStatus>;
}

/** The SageMaker resources besides endpoints in one account × region. */
export class SageMakerRegionState {
  readonly notebooks = new Map<string, NotebookRecord>();
  readonly lifecycleConfigs = new Map<string, LifecycleConfigRecord>();
  readonly domains = new Map<string, DomainRecord>();
  /** By `<domainId>/<lowercased space name>`. */
  readonly spaces = new Map<string, SpaceRecord>();
  readonly apps: AppRecord[] = [];
  readonly trainingJobs = new Map<string, JobRecord>();
  readonly processingJobs = new Map<string, JobRecord>();
  /** Records in a transitional state, so settling does not scan everything. */
  private readonly pending = new Set<NotebookRecord | AppRecord | JobRecord>();
  /** Bumped on every mutation, so sorted listings can be cached. */
  version = 0;

  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {}

  /** ARN of a SageMaker resource (names lowercased, as SageMaker writes them). */
  arn(path: string): string {
    return `arn:aws:sagemaker:${this.region}:${this.accountId}:${path.toLowerCase()}`;
  }

  notebook(name: string): NotebookRecord | undefined {
    return this.notebooks.get(name.toLowerCase());
  }

  space(domainId: string, name: string): SpaceRecord | undefined {
    return this.spaces.get(`${domainId}/${name.toLowerCase()}`);
  }

  /** The live (not Deleted) app with this identity, else the latest Deleted one. */
  app(domainId: string, owner: { space?: string; userProfile?: string }, type: string, name: string): AppRecord | undefined {
    const matches = this.apps.filter(
      (a) =>
        a.domainId === domainId &&
        a.type === type &&
        a.name.toLowerCase() === name.toLowerCase() &&
        (owner.space !== undefined ? a.space?.toLowerCase() === owner.space.toLowerCase() : a.userProfile?.toLowerCase() === owner.userProfile?.toLowerCase()),
    );
    return matches.find((a) => a.status !== 'Deleted') ?? matches[matches.length - 1];
  }

  job(kind: 'training' | 'processing', name: string): JobRecord | undefined {
    return (kind === 'training' ? this.trainingJobs : this.processingJobs).get(name.toLowerCase());
  }

  /** Tags of a resource by its ARN resource part (`notebook-instance/x`, `app/...`), if it is one of these. */
  tagsOf(resource: string): Map<string, string> | undefined {
    const slash = resource.indexOf('/');
    const kind = resource.slice(0, slash);
    const rest = resource.slice(slash + 1);
    switch (kind) {
      case 'notebook-instance':
        return this.notebook(rest)?.tags;
      case 'training-job':
        return this.job('training', rest)?.tags;
      case 'processing-job':
        return this.job('processing', rest)?.tags;
      case 'domain':
        return this.domains.get(rest)?.tags;
      case 'space': {
        const [domainId = '', name = ''] = rest.split('/');
        return this.space(domainId, name)?.tags;
      }
      case 'app':
        return this.apps.find((a) => a.arn.endsWith(`:${resource.toLowerCase()}`) && a.status !== 'Deleted')?.tags;
      default:
        return undefined;
    }
  }

  /** Puts a record in a transitional state that becomes `to` after `ms` of world time (at once for 0). */
  begin<R extends NotebookRecord | AppRecord | JobRecord>(record: R, via: R['status'], to: R['status'], now: number, ms: number): void {
    const r = record as { status: string; transition?: Transition<string>; lastModifiedAt?: number };
    if ('lastModifiedAt' in r) r.lastModifiedAt = now;
    if (ms > 0) {
      r.status = via;
      r.transition = { at: now + ms, to };
      this.pending.add(record);
    } else {
      r.status = to;
      delete r.transition;
      this.pending.delete(record);
      this.onSettled(record, now);
    }
    this.version++;
  }

  /** Completes the transitions whose time has come. */
  settle(now: number): void {
    for (const r of this.pending) {
      if (!r.transition || now < r.transition.at) continue;
      const at = r.transition.at;
      (r as { status: string }).status = r.transition.to;
      delete r.transition;
      this.pending.delete(r);
      this.onSettled(r, at);
      this.version++;
    }
  }

  private onSettled(r: NotebookRecord | AppRecord | JobRecord, at: number): void {
    if ('running' in r) {
      r.lastModifiedAt = at;
      const last = r.running[r.running.length - 1];
      if (r.status === 'Stopped' && last && last.end === Infinity) last.end = at;
      if (r.status === 'InService' && (!last || last.end !== Infinity)) r.running.push({ start: at, end: Infinity });
    } else if ('kind' in r && (r.status === 'Stopped' || r.status === 'Completed' || r.status === 'Failed')) {
      r.endedAt = at;
      r.lastModifiedAt = at;
      r.secondaryStatus = r.status;
    }
  }
}

/** Builds the SageMaker resources a region declares; notebook CPU metrics go into `metrics`. */
export function loadSageMakerWorld(state: SageMakerRegionState, spec: RegionSpec['sagemaker'], metrics: Map<string, MetricRecord>, worldNowMs: number): void {
  const at = (t: string) => resolveTime(t, worldNowMs);
  for (const c of spec.notebookLifecycleConfigs) {
    const onStart = c.autoStopIdleMinutes !== undefined ? autoStopScript(c.autoStopIdleMinutes) : c.onStart;
    state.lifecycleConfigs.set(c.name.toLowerCase(), {
      name: c.name,
      arn: state.arn(`notebook-instance-lifecycle-config/${c.name}`),
      ...(onStart !== undefined ? { onStart } : {}),
      createdAt: at(c.createdAt),
    });
  }
  for (const n of spec.notebookInstances) {
    const createdAt = at(n.createdAt);
    const lastModifiedAt = n.lastModifiedAt === undefined ? createdAt : at(n.lastModifiedAt);
    // An InService notebook has run since its last status change; a stopped one ran from creation until then.
    const running: Interval[] =
      n.status === 'InService' || n.status === 'Stopping' ? [{ start: lastModifiedAt, end: Infinity }] : n.status === 'Stopped' ? [{ start: createdAt, end: lastModifiedAt }] : [];
    const record: NotebookRecord = {
      name: n.name,
      arn: state.arn(`notebook-instance/${n.name}`),
      status: n.status,
      instanceType: n.instanceType,
      createdAt,
      lastModifiedAt,
      ...(n.lifecycleConfig !== undefined ? { lifecycleConfigName: state.lifecycleConfigs.get(n.lifecycleConfig.toLowerCase())?.name ?? n.lifecycleConfig } : {}),
      directInternetAccess: n.directInternetAccess,
      rootAccess: n.rootAccess,
      volumeSizeInGb: n.volumeSizeInGb,
      tags: new Map(Object.entries(n.tags)),
      running,
    };
    state.notebooks.set(n.name.toLowerCase(), record);
    if (n.metrics.cpu !== undefined) {
      const dimensions = { notebook_instance_name: n.name, cpu: 'cpu-total', host: hostOf(state, n.name) };
      const busy = compileSeries(n.metrics.cpu as Parameters<typeof compileSeries>[0], worldNowMs);
      metrics.set(metricKey(NOTEBOOK_CPU_METRIC.namespace, NOTEBOOK_CPU_METRIC.name, dimensions), {
        namespace: NOTEBOOK_CPU_METRIC.namespace,
        name: NOTEBOOK_CPU_METRIC.name,
        dimensions,
        unit: NOTEBOOK_CPU_METRIC.unit,
        // The world gives CPU in use; the CloudWatch agent publishes the idle share.
        series: idleOf(busy),
        alive: running,
      });
    }
  }
  for (const d of spec.studioDomains) {
    const id = domainIdOf(d);
    state.domains.set(id, {
      id,
      name: d.name,
      arn: state.arn(`domain/${id}`),
      createdAt: at(d.createdAt),
      ...(d.idleShutdownMinutes !== undefined ? { idleShutdownMinutes: d.idleShutdownMinutes } : {}),
      userProfiles: d.userProfiles,
      tags: new Map(Object.entries(d.tags)),
    });
    for (const s of d.spaces) {
      state.spaces.set(`${id}/${s.name.toLowerCase()}`, {
        domainId: id,
        name: s.name,
        arn: state.arn(`space/${id}/${s.name}`),
        ...(s.owner !== undefined ? { owner: s.owner } : {}),
        appType: s.appType,
        ...(s.idleShutdownMinutes !== undefined ? { idleShutdownMinutes: s.idleShutdownMinutes } : {}),
        storageGb: s.storageGb,
        createdAt: at(s.createdAt),
        tags: new Map(Object.entries(s.tags)),
      });
    }
    for (const a of d.apps) {
      const owner = a.space ?? a.userProfile ?? '';
      state.apps.push({
        domainId: id,
        name: a.name,
        type: a.type,
        ...(a.space !== undefined ? { space: a.space } : {}),
        ...(a.userProfile !== undefined ? { userProfile: a.userProfile } : {}),
        arn: state.arn(`app/${id}/${owner}/${a.type}/${a.name}`),
        instanceType: a.instanceType ?? (a.type === 'JupyterServer' ? 'system' : 'ml.t3.medium'),
        status: a.status,
        createdAt: at(a.createdAt),
        ...(a.lastUserActivity !== undefined ? { lastUserActivity: at(a.lastUserActivity) } : {}),
        tags: new Map(Object.entries(a.tags)),
      });
    }
  }
  const jobs = [
    ...spec.trainingJobs.map((j) => ({ kind: 'training' as const, ...j })),
    ...spec.processingJobs.map((j) => ({ kind: 'processing' as const, spot: false, secondaryStatus: undefined, checkpointS3Uri: undefined, billableSeconds: undefined, ...j })),
  ];
  for (const j of jobs) {
    const createdAt = at(j.createdAt);
    const startedAt = j.startedAt === undefined ? createdAt : at(j.startedAt);
    const finished = j.status !== 'InProgress' && j.status !== 'Stopping';
    const endedAt = finished ? (j.endedAt === undefined ? startedAt + 3_600_000 : at(j.endedAt)) : undefined;
    const record: JobRecord = {
      kind: j.kind,
      name: j.name,
      arn: state.arn(`${j.kind}-job/${j.name}`),
      status: j.status,
      ...(j.kind === 'training' ? { secondaryStatus: j.secondaryStatus ?? (j.status === 'InProgress' ? 'Training' : j.status) } : {}),
      createdAt,
      startedAt,
      ...(endedAt !== undefined ? { endedAt } : {}),
      lastModifiedAt: endedAt ?? startedAt,
      instanceType: j.instanceType,
      instanceCount: j.instanceCount,
      ...(j.maxRuntimeSeconds !== undefined ? { maxRuntimeSeconds: j.maxRuntimeSeconds } : j.kind === 'training' ? { maxRuntimeSeconds: DEFAULT_TRAINING_MAX_RUNTIME_S } : {}),
      spot: j.spot,
      ...(j.checkpointS3Uri !== undefined ? { checkpointS3Uri: j.checkpointS3Uri } : {}),
      ...(j.billableSeconds !== undefined ? { billableSeconds: j.billableSeconds } : {}),
      tags: new Map(Object.entries(j.tags)),
    };
    (j.kind === 'training' ? state.trainingJobs : state.processingJobs).set(j.name.toLowerCase(), record);
  }
}

/** A stable private host name per notebook, the CloudWatch agent's `host` dimension. */
function hostOf(state: SageMakerRegionState, name: string): string {
  const h = createHash('sha256').update(`${state.accountId}/${state.region}/${name}`).digest();
  return `ip-10-${h[0] ?? 0}-${h[1] ?? 0}-${h[2] ?? 0}.ec2.internal`;
}

function idleOf(busy: SeriesFn): SeriesFn {
  return (from, to) => busy(from, to).map((r: Run) => ({ start: r.start, end: r.end, value: Math.max(0, Math.min(100, 100 - r.value)) }));
}
