import type { protos } from '@google-cloud/notebooks';
import type { Lifecycle, Resource, ResourceRef, Scope } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import type { KindAction } from '../../kind.js';
import { dateOf, enumName, labelsOf, type GcpCtx, type GcpKind, type GcpMetricQuery } from '../context.js';
import { WORKBENCH_ACCELERATOR, WORKBENCH_STATE } from '../enums.js';
import { isNotFound } from '../errors.js';

type Instance = protos.google.cloud.notebooks.v2.IInstance;
const STATE = WORKBENCH_STATE;
const ACCEL = WORKBENCH_ACCELERATOR;

/** The kind id. */
export const WORKBENCH_INSTANCE = 'gcp.workbench.instance';
/** Stops a Workbench instance; Undo starts it. */
export const STOP_WORKBENCH = 'gcp.workbench.stop-instance';
/** Sets a Workbench instance's idle shutdown; Undo restores the previous setting. */
export const SET_IDLE_SHUTDOWN = 'gcp.workbench.set-idle-shutdown';
/** The metadata key Workbench reads its idle shutdown from, in seconds. */
export const IDLE_TIMEOUT_KEY = 'idle-timeout-seconds';
/** The idle shutdown set when the action gives none: 3 hours, Workbench's own default. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 10_800;

/** Compute Engine CPU utilization of the instance's VM (a fraction): Workbench's activity signal. */
export const GCE_CPU_METRIC = 'compute.googleapis.com/instance/cpu/utilization';

const LIFECYCLE: Readonly<Record<string, Lifecycle>> = {
  ACTIVE: 'running',
  STARTING: 'starting',
  PROVISIONING: 'starting',
  INITIALIZING: 'starting',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  STOPPED: 'stopped',
  SUSPENDED: 'stopped',
  DELETED: 'deleting',
  UPGRADING: 'other',
};

/** `projects/p/locations/us-central1-a/instances/nb` → zone and short name. */
function partsOf(name: string): { zone: string; short: string } {
  const m = /\/locations\/([^/]+)\/instances\/([^/]+)$/.exec(name);
  return { zone: m?.[1] ?? '', short: m?.[2] ?? name };
}

/** A Workbench instance as a costwatch resource. */
export function instanceResource(i: Instance, scope: Scope): Resource {
  const state = enumName(i.state, STATE);
  const lifecycle = LIFECYCLE[state] ?? 'other';
  const { zone, short } = partsOf(i.name ?? '');
  const setup = i.gceSetup ?? {};
  const accel = (setup.acceleratorConfigs ?? [])[0];
  const accelType = accel ? enumName(accel.type, ACCEL) : undefined;
  const metadata = (setup.metadata ?? {}) as Record<string, string>;
  const idle = metadata[IDLE_TIMEOUT_KEY];
  const idleSeconds = idle !== undefined && /^\d+$/.test(idle) ? Number(idle) : undefined;
  const updated = dateOf(i.updateTime);
  return {
    cloud: 'gcp',
    scope,
    region: zone.replace(/-[a-z]$/, ''),
    kind: WORKBENCH_INSTANCE,
    id: i.name ?? '',
    name: short,
    tags: labelsOf(i.labels as Record<string, string> | null | undefined),
    state,
    lifecycle,
    ...(dateOf(i.createTime) ? { createdAt: dateOf(i.createTime) } : {}),
    ...(updated ? { lastModifiedAt: updated } : {}),
    components: setup.machineType
      ? [
          {
            name: 'vm',
            instanceType: setup.machineType.split('/').pop() ?? setup.machineType,
            instanceCount: lifecycle === 'running' ? 1 : 0,
            capacity: 'provisioned',
            ...(accelType && accelType !== 'ACCELERATOR_TYPE_UNSPECIFIED' ? { accelerator: { type: accelType, count: Number(accel?.coreCount ?? 1) || 1 } } : {}),
          },
        ]
      : [],
    attributes: {
      zone,
      creator: i.creator ?? null,
      // The idle-notebook rule reads `autoStopIdleMinutes` for every cloud.
      ...(idleSeconds !== undefined && idleSeconds > 0 ? { autoStopIdleMinutes: Math.round(idleSeconds / 60), idleTimeoutSeconds: idleSeconds } : {}),
      idleShutdown: idleSeconds !== undefined && idleSeconds > 0,
      // Workbench's updateTime moves on start and stop: the best "running since" the API gives.
      ...(lifecycle === 'running' && updated ? { runningSince: updated.toISOString() } : {}),
    },
  };
}

/** Instances of one region: one listing over every zone (`locations/-`), kept to the region's zones. */
async function list(ctx: GcpCtx, scope: Scope, region: string): Promise<Resource[]> {
  // Every zone at once: the regions of one project's collection share the one listing.
  const [instances] = await ctx.once(`notebooks:ListInstances:${ctx.projectId}`, () => ctx.call(() => ctx.clients.notebooks.listInstances({ parent: `projects/${ctx.projectId}/locations/-` })));
  return instances.map((i) => instanceResource(i, scope)).filter((r) => r.region === region);
}

async function get(ctx: GcpCtx, name: string): Promise<Instance | undefined> {
  try {
    const [i] = await ctx.call(() => ctx.clients.notebooks.getInstance({ name }));
    return i;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function describe(ctx: GcpCtx, ref: ResourceRef): Promise<Resource | undefined> {
  const i = await get(ctx, ref.id);
  return i ? instanceResource(i, { cloud: 'gcp', id: ref.scopeId }) : undefined;
}

/** CPU of each running instance's VM, matched by the VM's name (Workbench names the VM after the instance) and zone. */
function usageQueries(_ctx: GcpCtx, resources: readonly Resource[]): GcpMetricQuery[] {
  return resources.map((r) => ({
    metricType: GCE_CPU_METRIC,
    resourceType: 'gce_instance',
    aligner: 'ALIGN_MEAN' as const,
    labels: { 'metric.instance_name': r.name, 'resource.zone': String(r.attributes['zone'] ?? '') },
    resourceId: r.id,
    signal: 'cpu' as const,
    unit: 'Percent',
    scale: 100,
  }));
}

const where = (ref: ResourceRef, operation: string) => ({ cloud: 'gcp' as const, scopeId: ref.scopeId, region: ref.region, resourceId: ref.id, operation });

const stop: KindAction<GcpCtx> = {
  id: STOP_WORKBENCH,
  async capture(_ctx, r) {
    return { name: r.id, state: r.state, machineType: r.components[0]?.instanceType ?? null, idleTimeoutSeconds: r.attributes['idleTimeoutSeconds'] ?? null, labels: { ...r.tags } };
  },
  async perform(ctx, r) {
    const [op] = await ctx.call(() => ctx.clients.notebooks.stopInstance({ name: r.id }), false);
    await op.promise();
    return { summary: `stopped Workbench instance ${r.name}; its boot and data disks and files are kept, Undo starts it again` };
  },
  async undo(ctx, ref, saved) {
    const name = typeof saved['name'] === 'string' ? saved['name'] : ref.id;
    const now = await get(ctx, name);
    if (!now) throw new ProviderError(`cannot start ${ref.name}: the Workbench instance was deleted`, where(ref, 'GetInstance'));
    const state = enumName(now.state, STATE);
    if (state === 'ACTIVE' || state === 'STARTING' || state === 'PROVISIONING') return { summary: `Workbench instance ${ref.name} is already ${state}; nothing to undo` };
    if (state !== 'STOPPED' && state !== 'SUSPENDED') throw new ProviderError(`cannot start ${ref.name} while it is ${state}; try Undo again once it has stopped`, where(ref, 'StartInstance'));
    const [op] = await ctx.call(() => ctx.clients.notebooks.startInstance({ name }), false);
    await op.promise();
    return { summary: `started Workbench instance ${ref.name} again` };
  },
};

/** Replaces the instance's metadata map (the update mask replaces the whole map) with one key changed. */
async function putIdleTimeout(ctx: GcpCtx, name: string, ref: ResourceRef, value: string | null): Promise<void> {
  const i = await get(ctx, name);
  if (!i) throw new ProviderError(`Workbench instance ${ref.name} no longer exists`, where(ref, 'GetInstance'));
  const metadata = { ...((i.gceSetup?.metadata ?? {}) as Record<string, string>) };
  if (value === null) delete metadata[IDLE_TIMEOUT_KEY];
  else metadata[IDLE_TIMEOUT_KEY] = value;
  const [op] = await ctx.call(() => ctx.clients.notebooks.updateInstance({ instance: { name, gceSetup: { metadata } }, updateMask: { paths: ['gce_setup.metadata'] } }), false);
  await op.promise();
}

const setIdleShutdown: KindAction<GcpCtx> = {
  id: SET_IDLE_SHUTDOWN,
  async capture(ctx, r) {
    const i = await get(ctx, r.id);
    if (!i) throw new ProviderError(`Workbench instance ${r.name} no longer exists`, where({ cloud: 'gcp', scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name }, 'GetInstance'));
    const previous = ((i.gceSetup?.metadata ?? {}) as Record<string, string>)[IDLE_TIMEOUT_KEY];
    return { name: r.id, previous: previous ?? null };
  },
  async perform(ctx, r, parameters) {
    const seconds = typeof parameters['idleTimeoutSeconds'] === 'number' ? parameters['idleTimeoutSeconds'] : DEFAULT_IDLE_TIMEOUT_SECONDS;
    if (!Number.isInteger(seconds) || seconds < 600 || seconds > 604_800) throw new ProviderError(`idle shutdown must be 600 to 604800 seconds, not ${seconds}`, { cloud: 'gcp', resourceId: r.id, operation: SET_IDLE_SHUTDOWN });
    await putIdleTimeout(ctx, r.id, { cloud: 'gcp', scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name }, String(seconds));
    return { summary: `set idle shutdown of Workbench instance ${r.name} to ${Math.round(seconds / 60)} min (metadata ${IDLE_TIMEOUT_KEY}=${seconds}); Undo restores the previous setting` };
  },
  async undo(ctx, ref, saved) {
    const name = typeof saved['name'] === 'string' ? saved['name'] : ref.id;
    const previous = typeof saved['previous'] === 'string' ? saved['previous'] : null;
    await putIdleTimeout(ctx, name, ref, previous);
    return { summary: previous === null ? `removed the idle shutdown of Workbench instance ${ref.name}, as before` : `restored idle shutdown of Workbench instance ${ref.name} to ${previous} s` };
  },
};

/** Vertex AI Workbench instances (Notebooks API v2). */
export const workbenchInstanceKind: GcpKind = {
  kind: WORKBENCH_INSTANCE,
  inventoryOperation: 'notebooks:ListInstances',
  list,
  describe,
  usageQueries,
  actions: [stop, setIdleShutdown],
};
