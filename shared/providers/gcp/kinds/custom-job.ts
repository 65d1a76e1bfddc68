import type { protos } from '@google-cloud/aiplatform';
import type { Lifecycle, Resource, ResourceRef, Scope } from '../../../domain/resource.js';
import type { KindAction } from '../../kind.js';
import { dateOf, enumName, labelsOf, parseName, type GcpCtx, type GcpKind } from '../context.js';
import { VERTEX_ACCELERATOR, VERTEX_JOB_STATE, VERTEX_SCHEDULING_STRATEGY } from '../enums.js';
import { isNotFound } from '../errors.js';

type CustomJob = protos.google.cloud.aiplatform.v1.ICustomJob;
const JOB_STATE = VERTEX_JOB_STATE;
const ACCEL = VERTEX_ACCELERATOR;

/** The kind id. */
export const VERTEX_CUSTOM_JOB = 'gcp.vertex.custom-job';
/** Custom jobs that finished in the last 30 days: read for advice (spot-training) only, never acted on. */
export const VERTEX_FINISHED_CUSTOM_JOB = 'gcp.vertex.finished-custom-job';
/** How far back finished custom jobs are read. */
export const FINISHED_JOB_DAYS = 30;
/** Terminal states of a custom job that ran. */
export const FINISHED_JOB_STATES = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED'] as const;
/** Cancels a custom job: irreversible. */
export const CANCEL_CUSTOM_JOB = 'gcp.vertex.cancel-custom-job';
/** Vertex AI stops a custom job after `scheduling.timeout`, 7 days when not set. */
export const DEFAULT_TIMEOUT_SECONDS = 7 * 24 * 3600;

const LIFECYCLE: Readonly<Record<string, Lifecycle>> = {
  JOB_STATE_RUNNING: 'running',
  JOB_STATE_QUEUED: 'starting',
  JOB_STATE_PENDING: 'starting',
  JOB_STATE_CANCELLING: 'stopping',
  JOB_STATE_SUCCEEDED: 'stopped',
  JOB_STATE_CANCELLED: 'stopped',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'stopped',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_EXPIRED: 'failed',
  JOB_STATE_PAUSED: 'other',
  JOB_STATE_UPDATING: 'other',
};

function seconds(d: { seconds?: unknown } | null | undefined): number | undefined {
  if (!d || d.seconds === undefined || d.seconds === null) return undefined;
  const n = Number(String(d.seconds));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * A custom job as a costwatch resource: one component per worker pool. `asRan` (a finished job)
 * keeps the replicas it ran with, under its own kind; otherwise a job not running holds none.
 */
export function jobResource(j: CustomJob, scope: Scope, region: string, asRan = false): Resource {
  const state = enumName(j.state, JOB_STATE);
  const lifecycle = LIFECYCLE[state] ?? 'other';
  const running = lifecycle === 'running' || asRan;
  const ended = dateOf(j.endTime);
  const timeout = seconds(j.jobSpec?.scheduling?.timeout);
  const started = dateOf(j.startTime);
  return {
    cloud: 'gcp',
    scope,
    region,
    kind: asRan ? VERTEX_FINISHED_CUSTOM_JOB : VERTEX_CUSTOM_JOB,
    id: j.name ?? '',
    name: j.displayName || parseName(j.name ?? '')?.id || (j.name ?? ''),
    tags: labelsOf(j.labels as Record<string, string> | null | undefined),
    state,
    lifecycle,
    ...(dateOf(j.createTime) ? { createdAt: dateOf(j.createTime) } : {}),
    ...(dateOf(j.updateTime) ? { lastModifiedAt: dateOf(j.updateTime) } : {}),
    components: (j.jobSpec?.workerPoolSpecs ?? []).flatMap((w, i) => {
      const m = w.machineSpec;
      if (!m?.machineType) return [];
      const accel = m.acceleratorType ? enumName(m.acceleratorType, ACCEL) : undefined;
      return [
        {
          name: `pool-${i}`,
          instanceType: m.machineType,
          instanceCount: running ? Number(String(w.replicaCount ?? 1)) || 1 : 0,
          capacity: 'provisioned' as const,
          ...(accel && accel !== 'ACCELERATOR_TYPE_UNSPECIFIED' ? { accelerator: { type: accel, count: m.acceleratorCount ?? 1 } } : {}),
        },
      ];
    }),
    attributes: {
      ...(started ? { startedAt: started.toISOString() } : {}),
      ...(ended ? { endedAt: ended.toISOString() } : {}),
      // long-training-job reads the runtime limit as `maxRuntimeSeconds` for every cloud.
      maxRuntimeSeconds: timeout ?? DEFAULT_TIMEOUT_SECONDS,
      runtimeLimit: timeout !== undefined ? 'scheduling.timeout' : 'scheduling.timeout (not set: Vertex AI default of 7 days)',
      // SPOT runs the job on Spot VMs (spot-training reads it); absent means on demand.
      schedulingStrategy: j.jobSpec?.scheduling?.strategy === undefined || j.jobSpec?.scheduling?.strategy === null ? 'STRATEGY_UNSPECIFIED' : enumName(j.jobSpec.scheduling.strategy, VERTEX_SCHEDULING_STRATEGY),
    },
  };
}

/** Running custom jobs of one region (the list is filtered to `JOB_STATE_RUNNING` by the API). */
async function list(ctx: GcpCtx, scope: Scope, region: string): Promise<Resource[]> {
  const [jobs] = await ctx.call(() => ctx.clients.jobs.listCustomJobs({ parent: `projects/${ctx.projectId}/locations/${region}`, filter: 'state="JOB_STATE_RUNNING"' }));
  return jobs.map((j) => jobResource(j, scope, region));
}

/**
 * The filter of the finished-jobs listing. Vertex AI filters custom jobs on `state` and
 * `create_time`, not on end time: the listing asks for the terminal states and jobs created within
 * the window plus the longest a job runs by default (its 7-day timeout), and the end time is
 * checked on what comes back.
 */
export function finishedJobsFilter(now: Date): string {
  const since = new Date(now.getTime() - (FINISHED_JOB_DAYS * 86_400 + DEFAULT_TIMEOUT_SECONDS) * 1000);
  return `(${FINISHED_JOB_STATES.map((s) => `state="${s}"`).join(' OR ')}) AND create_time>="${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}"`;
}

/** Custom jobs of one region that ended in the last 30 days, every page, as they ran. */
async function listFinished(ctx: GcpCtx, scope: Scope, region: string): Promise<Resource[]> {
  const [jobs] = await ctx.call(() => ctx.clients.jobs.listCustomJobs({ parent: `projects/${ctx.projectId}/locations/${region}`, filter: finishedJobsFilter(ctx.now) }));
  const from = ctx.now.getTime() - FINISHED_JOB_DAYS * 86_400_000;
  return jobs
    .filter((j) => (FINISHED_JOB_STATES as readonly string[]).includes(enumName(j.state, JOB_STATE)))
    .filter((j) => (dateOf(j.endTime)?.getTime() ?? -Infinity) >= from)
    .map((j) => jobResource(j, scope, region, true));
}

async function describeFinished(ctx: GcpCtx, ref: ResourceRef): Promise<Resource | undefined> {
  try {
    const [j] = await ctx.call(() => ctx.clients.jobs.getCustomJob({ name: ref.id }));
    return jobResource(j, { cloud: 'gcp', id: ref.scopeId }, ref.region, true);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function describe(ctx: GcpCtx, ref: ResourceRef): Promise<Resource | undefined> {
  try {
    const [j] = await ctx.call(() => ctx.clients.jobs.getCustomJob({ name: ref.id }));
    return jobResource(j, { cloud: 'gcp', id: ref.scopeId }, ref.region);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const cancel: KindAction<GcpCtx> = {
  id: CANCEL_CUSTOM_JOB,
  async capture(_ctx, r) {
    // Nothing brings a cancelled job back; this records what was cancelled and how far it got, for the audit log.
    return {
      jobName: r.id,
      displayName: r.name,
      state: r.state,
      startedAt: r.attributes['startedAt'] ?? null,
      workerPools: r.components.map((c) => ({ machineType: c.instanceType ?? null, replicas: c.instanceCount, accelerator: c.accelerator ?? null })),
    };
  },
  async perform(ctx, r) {
    await ctx.call(() => ctx.clients.jobs.cancelCustomJob({ name: r.id }), false);
    return { summary: `cancelled custom job ${r.name} (it cannot be resumed; checkpoints it wrote stay where it wrote them, and the time it ran is billed)` };
  },
};

/** Vertex AI custom training jobs. */
export const customJobKind: GcpKind = {
  kind: VERTEX_CUSTOM_JOB,
  inventoryOperation: 'aiplatform:ListCustomJobs',
  list,
  describe,
  actions: [cancel],
};

/** Vertex AI custom jobs that finished in the last 30 days: advice only (spot-training), no action. */
export const finishedCustomJobKind: GcpKind = {
  kind: VERTEX_FINISHED_CUSTOM_JOB,
  inventoryOperation: 'aiplatform:ListCustomJobs (finished)',
  list: listFinished,
  describe: describeFinished,
  actions: [],
};
