import type { ComputeResource } from '@azure/arm-machinelearning';
import type { Resource, Scope } from '../../../domain/resource.js';
import { computeBase, getCompute, idleMinutesOf, instanceLifecycle, updateIdleShutdown, workspaceOf, type InstanceProps } from './computes.js';
import { lroOptions, parseMlId, resourceError, type AzureKindModule, type WorkspaceRef } from './context.js';

/** Resource kind of Azure ML compute instances. */
export const AZURE_COMPUTE_INSTANCE = 'azure.ml.compute-instance' as const;
/** Stops a running compute instance; Undo starts it. */
export const AZURE_STOP_COMPUTE_INSTANCE = 'azure.ml.stop-compute-instance';
/** Sets `idleTimeBeforeShutdown` (parameter `minutes`, default 60); Undo restores the old value. */
export const AZURE_SET_IDLE_SHUTDOWN = 'azure.ml.set-idle-shutdown';

/** Idle shutdown set by the action when the proposal names no other. */
export const DEFAULT_IDLE_SHUTDOWN_MINUTES = 60;

function toResource(scope: Scope, ws: WorkspaceRef, c: ComputeResource): Resource {
  const p = ((c.properties as { properties?: InstanceProps } | undefined)?.properties ?? {}) as InstanceProps;
  const state = p.state ?? 'Unknown';
  const lifecycle = instanceLifecycle(state);
  const schedules = p.schedules?.computeStartStop ?? [];
  const stops = schedules.filter((s) => s.action === 'Stop' && s.status !== 'Disabled');
  const last = p.lastOperation;
  const lastAt = last?.operationTime ? new Date(last.operationTime) : undefined;
  return {
    ...computeBase(scope, ws, c),
    kind: AZURE_COMPUTE_INSTANCE,
    state,
    lifecycle,
    components: p.vmSize ? [{ name: 'instance', instanceType: p.vmSize, instanceCount: lifecycle === 'running' ? 1 : 0, capacity: 'provisioned' }] : [],
    attributes: {
      resourceGroup: ws.resourceGroup,
      workspace: ws.name,
      idleTimeBeforeShutdown: p.idleTimeBeforeShutdown ?? null,
      idleShutdownMinutes: idleMinutesOf(p) ?? null,
      stopSchedules: stops.length,
      stopScheduleCrons: stops.map((s) => `${s.cron?.expression ?? 'recurrence'}${s.cron?.timeZone ? ` ${s.cron.timeZone}` : ''}`).join('; ') || null,
      // A Start (or Create) is the last operation of a running instance: it has run since then.
      runningSince: lifecycle === 'running' && lastAt && (last?.operationName === 'Start' || last?.operationName === 'Create' || last?.operationName === 'Restart') ? lastAt.toISOString() : null,
    },
  };
}

/**
 * Azure ML compute instances: state, `idleTimeBeforeShutdown` and start/stop schedules. Azure
 * Monitor publishes no per-instance utilization metric, so the kind names no usage query
 * (docs/azure.md "Reading usage").
 */
export const computeInstance: AzureKindModule = {
  kind: AZURE_COMPUTE_INSTANCE,
  inventoryOperation: 'machinelearning:Compute_List',
  async list(ctx, scope, region) {
    const out: Resource[] = [];
    for (const ws of (await ctx.workspaces()).filter((w) => w.location === region)) {
      for (const c of await ctx.computes(ws)) if (c.properties?.computeType === 'ComputeInstance') out.push(toResource(scope, ws, c));
    }
    return out;
  },
  async describe(ctx, ref) {
    const c = await getCompute(ctx.clients, ref.id, ref.name);
    return c && c.properties?.computeType === 'ComputeInstance' ? toResource({ cloud: 'azure', id: ref.scopeId }, workspaceOf(ref.id, ref.region), c) : undefined;
  },
  actions: [
    {
      id: AZURE_STOP_COMPUTE_INSTANCE,
      capture: (_ctx, r) => Promise.resolve({ computeName: r.name, vmSize: r.components[0]?.instanceType ?? null, state: r.state, idleTimeBeforeShutdown: r.attributes['idleTimeBeforeShutdown'] ?? null }),
      async perform(ctx, r) {
        const p = parseMlId(r.id);
        await ctx.clients.ml.computeOperations.beginStopAndWait(p.resourceGroup, p.workspace, r.name, lroOptions(ctx.clients));
        return { summary: `stopped compute instance ${r.name}; its disk and files are kept, Undo starts it again` };
      },
      async undo(ctx, ref) {
        const now = await getCompute(ctx.clients, ref.id, ref.name);
        const where = { scope: { cloud: 'azure' as const, id: ref.scopeId }, region: ref.region, id: ref.id };
        if (!now) throw resourceError(where, `compute instance ${ref.name} no longer exists; nothing to start`, 'Compute_Get');
        const state = (now.properties as { properties?: InstanceProps } | undefined)?.properties?.state;
        if (state === 'Running' || state === 'Starting' || state === 'JobRunning') return { summary: `compute instance ${ref.name} is already ${state}; nothing to undo` };
        if (state !== 'Stopped') throw resourceError(where, `cannot start ${ref.name} while it is ${state ?? 'in an unknown state'}; try Undo again once it has stopped`, 'Compute_Start');
        const p = parseMlId(ref.id);
        await ctx.clients.ml.computeOperations.beginStartAndWait(p.resourceGroup, p.workspace, ref.name, lroOptions(ctx.clients));
        return { summary: `started compute instance ${ref.name} again` };
      },
    },
    {
      id: AZURE_SET_IDLE_SHUTDOWN,
      capture: (_ctx, r) => Promise.resolve({ computeName: r.name, idleTimeBeforeShutdown: r.attributes['idleTimeBeforeShutdown'] ?? null }),
      async perform(ctx, r, parameters) {
        const minutes = typeof parameters['minutes'] === 'number' && Number.isInteger(parameters['minutes']) && parameters['minutes'] >= 15 ? parameters['minutes'] : DEFAULT_IDLE_SHUTDOWN_MINUTES;
        const value = `PT${Math.floor(minutes / 60) > 0 ? `${Math.floor(minutes / 60)}H` : ''}${minutes % 60 > 0 ? `${minutes % 60}M` : ''}`;
        await updateIdleShutdown(ctx, r, value);
        return { summary: `compute instance ${r.name} now shuts down after ${minutes} min idle (idleTimeBeforeShutdown ${value}); Undo restores ${String(r.attributes['idleTimeBeforeShutdown'] ?? 'no idle shutdown')}` };
      },
      async undo(ctx, ref, saved) {
        const previous = typeof saved['idleTimeBeforeShutdown'] === 'string' ? saved['idleTimeBeforeShutdown'] : null;
        await updateIdleShutdown(ctx, { id: ref.id, name: ref.name, scope: { cloud: 'azure', id: ref.scopeId }, region: ref.region }, previous);
        return { summary: `restored the idle shutdown of compute instance ${ref.name} to ${previous ?? 'none'}` };
      },
    },
  ],
};
