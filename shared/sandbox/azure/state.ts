import { compileSeries, type SeriesFn } from '../series.js';
import { AzureCostState } from './cost-management.js';
import { resolveTime } from '../time.js';
import type { AzureWorkspaceSpec, SeriesSpec, World } from '../world.js';
import { AzureStorageState } from './storage.js';

/*
 * The Azure side of the sandbox: ARM resources of Azure Machine Learning as mutable state, and
 * the Azure Monitor series behind them. Resource bodies are kept in ARM's wire shape (what a PUT
 * carried, plus what the service adds), so a GET returns what a PUT stored and an undo that
 * re-creates a deployment from a saved spec is checked against the real thing.
 */

/** ARM resource provider and types served. */
export const ML = 'Microsoft.MachineLearningServices';
export const WORKSPACE_TYPE = `${ML}/workspaces`;
export const ENDPOINT_TYPE = `${ML}/workspaces/onlineEndpoints`;
export const DEPLOYMENT_TYPE = `${ML}/workspaces/onlineEndpoints/deployments`;
export const COMPUTE_TYPE = `${ML}/workspaces/computes`;

type Json = Record<string, unknown>;

/** A deployment as stored: its ARM body. */
export interface DeploymentState {
  name: string;
  body: Json;
  createdAt: number;
}

export interface EndpointState {
  name: string;
  createdAt: number;
  lastModifiedAt: number;
  tags: Record<string, string>;
  authMode: string;
  traffic: Record<string, number>;
  deployments: Map<string, DeploymentState>;
}

export interface ComputeState {
  name: string;
  computeType: 'ComputeInstance' | 'AmlCompute';
  createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
  vmSize: string;
  // Compute instance
  state?: string;
  runningSince?: number;
  idleTimeBeforeShutdown?: string | undefined;
  schedules?: { action: string; cron: string; timeZone: string; status: string }[];
  // AmlCompute
  vmPriority?: string;
  minNodes?: number;
  maxNodes?: number;
  currentNodes?: number;
  nodeIdleTimeBeforeScaleDown?: string;
}

export interface WorkspaceState {
  name: string;
  resourceGroup: string;
  location: string;
  createdAt: number;
  tags: Record<string, string>;
  endpoints: Map<string, EndpointState>;
  computes: Map<string, ComputeState>;
}

export interface SubscriptionState {
  id: string;
  name: string;
  /** Workspaces by `<resource group>/<workspace>`, lower case. */
  workspaces: Map<string, WorkspaceState>;
}

/** One metric series of one resource, with its dimension values. */
export interface MetricSeries {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly series: SeriesFn;
}

/** Azure Monitor metric names the sandbox publishes for Azure ML. */
export const AZURE_METRICS = {
  requests: 'RequestsPerMinute',
  cpu: 'CpuUtilizationPercentage',
  gpu: 'GpuUtilizationPercentage',
  capacity: 'DeploymentCapacity',
  activeNodes: 'Active Nodes',
  idleNodes: 'Idle Nodes',
} as const;

/** `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>`. */
export function workspaceId(sub: string, ws: Pick<WorkspaceState, 'resourceGroup' | 'name'>): string {
  return `/subscriptions/${sub}/resourceGroups/${ws.resourceGroup}/providers/${WORKSPACE_TYPE}/${ws.name}`;
}

export class AzureState {
  readonly subscriptions = new Map<string, SubscriptionState>();
  /** Metric series by lower-case resource id, then metric name. */
  private readonly metrics = new Map<string, Map<string, MetricSeries[]>>();
  /** Where every resource id lives, for the Monitor API (lower-case id → location). */
  readonly locations = new Map<string, string>();
  /** Long-running operations by id; the sandbox finishes each one when it is accepted. */
  readonly operations = new Map<string, { status: 'Succeeded'; startTime: string; endTime: string }>();
  /** Storage accounts, their management policies, containers and blobs. */
  readonly storage: AzureStorageState;

  /** Cost rows, budgets and retail prices (Cost Management, Consumption, Retail Prices). */
  readonly costs: AzureCostState;

  constructor(world: World, worldNowMs: number) {
    this.costs = new AzureCostState(world, worldNowMs);
    this.storage = new AzureStorageState(world, worldNowMs);
    for (const s of world.azure.subscriptions) {
      const sub: SubscriptionState = { id: s.id, name: s.name, workspaces: new Map() };
      this.subscriptions.set(s.id, sub);
      for (const [rg, group] of Object.entries(s.resourceGroups)) {
        for (const w of group.workspaces) this.addWorkspace(sub, rg, w, worldNowMs);
      }
    }
  }

  private addWorkspace(sub: SubscriptionState, rg: string, w: AzureWorkspaceSpec, now: number): void {
    const at = (t: string) => resolveTime(t, now);
    const ws: WorkspaceState = { name: w.name, resourceGroup: rg, location: w.location, createdAt: at(w.createdAt), tags: { ...w.tags }, endpoints: new Map(), computes: new Map() };
    sub.workspaces.set(`${rg}/${w.name}`.toLowerCase(), ws);
    const wsId = workspaceId(sub.id, ws);
    this.locations.set(wsId.toLowerCase(), w.location);
    for (const e of w.onlineEndpoints) {
      const created = at(e.createdAt);
      const ep: EndpointState = { name: e.name, createdAt: created, lastModifiedAt: created, tags: { ...e.tags }, authMode: e.authMode, traffic: {}, deployments: new Map() };
      ws.endpoints.set(e.name.toLowerCase(), ep);
      const epId = `${wsId}/onlineEndpoints/${e.name}`;
      this.locations.set(epId.toLowerCase(), w.location);
      for (const d of e.deployments) {
        ep.traffic[d.name] = d.traffic;
        ep.deployments.set(d.name.toLowerCase(), {
          name: d.name,
          createdAt: created,
          body: {
            location: w.location,
            tags: { ...d.tags },
            kind: 'Managed',
            sku: { name: 'Default', capacity: d.instanceCount },
            properties: {
              endpointComputeType: 'Managed',
              instanceType: d.instanceType,
              scaleSettings: { ...d.scaleSettings },
              ...(d.model ? { model: d.model } : {}),
              provisioningState: d.provisioningState,
            },
          },
        });
        const dId = `${epId}/deployments/${d.name}`;
        this.locations.set(dId.toLowerCase(), w.location);
        this.addMetric(epId, AZURE_METRICS.requests, { deployment: d.name }, d.metrics.requests, now);
        this.addMetric(dId, AZURE_METRICS.cpu, {}, d.metrics.cpu, now);
        this.addMetric(dId, AZURE_METRICS.gpu, {}, d.metrics.gpu, now);
        this.addMetric(dId, AZURE_METRICS.capacity, {}, d.metrics.capacity, now);
      }
    }
    for (const c of w.computeInstances) {
      ws.computes.set(c.name.toLowerCase(), {
        name: c.name,
        computeType: 'ComputeInstance',
        createdAt: at(c.createdAt),
        modifiedAt: at(c.runningSince ?? c.createdAt),
        tags: { ...c.tags },
        vmSize: c.vmSize,
        state: c.state,
        runningSince: at(c.runningSince ?? c.createdAt),
        idleTimeBeforeShutdown: c.idleTimeBeforeShutdown,
        schedules: c.schedules.map((s) => ({ ...s })),
      });
      this.locations.set(`${wsId}/computes/${c.name}`.toLowerCase(), w.location);
    }
    for (const c of w.computeClusters) {
      ws.computes.set(c.name.toLowerCase(), {
        name: c.name,
        computeType: 'AmlCompute',
        createdAt: at(c.createdAt),
        modifiedAt: at(c.createdAt),
        tags: { ...c.tags },
        vmSize: c.vmSize,
        vmPriority: c.vmPriority,
        minNodes: c.minNodes,
        maxNodes: c.maxNodes,
        currentNodes: c.currentNodes ?? c.minNodes,
        nodeIdleTimeBeforeScaleDown: c.nodeIdleTimeBeforeScaleDown,
      });
      this.locations.set(`${wsId}/computes/${c.name}`.toLowerCase(), w.location);
      this.addMetric(wsId, AZURE_METRICS.activeNodes, { ClusterName: c.name }, c.metrics.activeNodes, now);
      this.addMetric(wsId, AZURE_METRICS.idleNodes, { ClusterName: c.name }, c.metrics.idleNodes, now);
    }
  }

  private addMetric(resourceId: string, metric: string, dimensions: Record<string, string>, spec: unknown, now: number): void {
    if (spec === undefined) return;
    const byMetric = this.metrics.get(resourceId.toLowerCase()) ?? new Map<string, MetricSeries[]>();
    this.metrics.set(resourceId.toLowerCase(), byMetric);
    const list = byMetric.get(metric) ?? [];
    list.push({ dimensions, series: compileSeries(spec as SeriesSpec, now) });
    byMetric.set(metric, list);
  }

  /** The series of one metric of a resource (every dimension combination); empty when none is published. */
  metricSeries(resourceId: string, metric: string): readonly MetricSeries[] {
    return this.metrics.get(resourceId.toLowerCase())?.get(metric) ?? [];
  }

  /** A workspace, by subscription, resource group and name (case-insensitive). */
  workspace(sub: string, rg: string, name: string): WorkspaceState | undefined {
    return this.subscriptions.get(sub.toLowerCase())?.workspaces.get(`${rg}/${name}`.toLowerCase());
  }

  hasSubscription(id: string): boolean {
    return this.subscriptions.has(id.toLowerCase());
  }
}
