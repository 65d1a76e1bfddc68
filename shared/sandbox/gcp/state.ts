import { compileSeries, type Interval, type SeriesFn } from '../series.js';
import { resolveTime } from '../time.js';
import type { GcpProjectSpec, SeriesSpec, World } from '../world.js';
import { defaultProjectNumber } from './world.js';
import { GcpBillingState } from './billing-state.js';

/*
 * The mutable Google Cloud of the sandbox: projects with Vertex AI endpoints (deployed models and
 * traffic splits), custom jobs, Workbench instances, long-running operations, and the Cloud
 * Monitoring series the services write. Handlers (one file per API) read and change it.
 */

/** How a deployed model gets its machines. */
export type DeployedResources =
  | {
      readonly kind: 'dedicated';
      readonly machineType: string;
      readonly acceleratorType?: string;
      readonly acceleratorCount?: number;
      readonly minReplicas: number;
      readonly maxReplicas: number;
      readonly replicas: number;
      /** `dedicatedResources.autoscalingMetricSpecs` as the caller set them (absent: Vertex AI's default 60% CPU target). */
      readonly autoscalingMetricSpecs?: readonly { metricName: string; target?: number }[];
    }
  | { readonly kind: 'automatic'; readonly minReplicas: number; readonly maxReplicas: number }
  | { readonly kind: 'shared'; readonly pool: string };

/** A model deployed on an endpoint, as Vertex AI returns it (wire JSON, camelCase). */
export interface DeployedModelRecord {
  readonly id: string;
  readonly displayName: string;
  readonly model: string;
  readonly createTime: number;
  readonly resources: DeployedResources;
  /** Every other field the caller sent on deployModel, kept and returned as is. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** A Vertex AI endpoint. */
export interface EndpointRecord {
  readonly id: string;
  readonly region: string;
  readonly displayName: string;
  readonly createTime: number;
  updateTime: number;
  readonly labels: Record<string, string>;
  deployedModels: DeployedModelRecord[];
  trafficSplit: Record<string, number>;
  etag: number;
}

/** A Vertex AI custom job. */
export interface CustomJobRecord {
  readonly id: string;
  readonly region: string;
  readonly displayName: string;
  state: string;
  readonly createTime: number;
  readonly startTime?: number;
  endTime?: number;
  updateTime: number;
  readonly timeoutSeconds?: number;
  readonly strategy?: string;
  readonly labels: Record<string, string>;
  readonly workerPools: readonly { machineType: string; acceleratorType?: string; acceleratorCount?: number; replicaCount: number }[];
  /** When a `JOB_STATE_CANCELLING` job becomes `JOB_STATE_CANCELLED`. */
  settleAt?: number;
}

/** A Vertex AI Workbench instance (Notebooks API v2). */
export interface InstanceRecord {
  readonly name: string;
  readonly zone: string;
  readonly id: string;
  readonly vmId: string;
  state: string;
  readonly createTime: number;
  updateTime: number;
  readonly creator: string;
  readonly labels: Record<string, string>;
  readonly machineType: string;
  readonly acceleratorType?: string;
  readonly acceleratorCount?: number;
  metadata: Record<string, string>;
  /** Where a transitional state (`STOPPING`, `STARTING`) ends, and in which state. */
  pending?: { at: number; state: string };
}

/** A Cloud Monitoring time series the sandbox writes. */
export interface SeriesRecord {
  readonly metricType: string;
  readonly metricKind: 'GAUGE' | 'DELTA';
  readonly valueType: 'INT64' | 'DOUBLE';
  readonly resourceType: string;
  readonly resourceLabels: Readonly<Record<string, string>>;
  readonly metricLabels: Readonly<Record<string, string>>;
  /** Values as written in the world; multiplied by `scale` on the wire (percent → fraction). */
  readonly series: SeriesFn;
  readonly scale: number;
  /** When the series is written; shared with the resource that writes it. */
  readonly alive: Interval[];
}

/** A long-running operation. */
export interface OperationRecord {
  readonly name: string;
  readonly done: boolean;
  readonly metadataType: string;
  readonly responseType: string;
  readonly response: Record<string, unknown>;
  readonly error?: { code: number; message: string };
}

/** A Cloud Storage object (live; the sandbox keeps no noncurrent versions). */
export interface StorageObjectRecord {
  readonly name: string;
  readonly size: number;
  readonly storageClass: string;
  readonly timeCreated: number;
  readonly updated: number;
  readonly customTime?: number;
  readonly generation: string;
}

/** A Cloud Storage bucket: metadata as the JSON API returns it, and its objects sorted by name. */
export interface BucketRecord {
  readonly name: string;
  readonly projectNumber: string;
  readonly location: string;
  readonly locationType: 'region' | 'dual-region' | 'multi-region';
  storageClass: string;
  readonly timeCreated: number;
  updated: number;
  metageneration: number;
  labels: Record<string, string>;
  autoclass: boolean;
  /** `lifecycle.rule[]` exactly as last written; undefined = no lifecycle configuration. */
  lifecycle: unknown[] | undefined;
  readonly objects: StorageObjectRecord[];
}

/** One project of the sandbox. */
export class GcpProjectState {
  /** Cloud Storage buckets by name. */
  readonly buckets = new Map<string, BucketRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly jobs = new Map<string, CustomJobRecord>();
  /** Workbench instances by full resource name. */
  readonly instances = new Map<string, InstanceRecord>();
  readonly series: SeriesRecord[] = [];
  /** World series of deployed models by `<endpoint>/<deployed model>`: they resume when the model is deployed again. */
  readonly modelSeries = new Map<string, SeriesRecord[]>();
  /** Lifetimes of deployed models and instances, shared with their series. */
  readonly lifetimes = new Map<string, Interval[]>();
  readonly regions: ReadonlySet<string>;
  version = 0;

  constructor(
    readonly id: string,
    readonly number: string,
    regions: Iterable<string>,
  ) {
    this.regions = new Set(regions);
  }

  /** Opens (or re-opens) the lifetime of a deployed model or instance at `at`. */
  open(key: string, at: number): Interval[] {
    let l = this.lifetimes.get(key);
    if (!l) {
      l = [];
      this.lifetimes.set(key, l);
    }
    const last = l[l.length - 1];
    if (!last || last.end !== Infinity) l.push({ start: at, end: Infinity });
    return l;
  }

  /** Closes the lifetime at `at`: its series stop being written. */
  close(key: string, at: number): void {
    const last = this.lifetimes.get(key)?.at(-1);
    if (last && last.end === Infinity) last.end = Math.max(at, last.start);
  }
}

/** Prediction metrics of a deployed model: world key → metric type, kind, value type, scale. */
export const DEPLOYED_MODEL_METRICS = {
  predictions: { type: 'aiplatform.googleapis.com/prediction/online/prediction_count', kind: 'DELTA', valueType: 'INT64', scale: 1 },
  replicas: { type: 'aiplatform.googleapis.com/prediction/online/replicas', kind: 'GAUGE', valueType: 'INT64', scale: 1 },
  cpu: { type: 'aiplatform.googleapis.com/prediction/online/cpu/utilization', kind: 'GAUGE', valueType: 'DOUBLE', scale: 0.01 },
  accelerator: { type: 'aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle', kind: 'GAUGE', valueType: 'DOUBLE', scale: 0.01 },
} as const;

/** The Compute Engine CPU utilization of a Workbench instance's VM (a fraction on the wire). */
export const GCE_CPU = { type: 'compute.googleapis.com/instance/cpu/utilization', kind: 'GAUGE', valueType: 'DOUBLE', scale: 0.01 } as const;

/** Every metric the sandbox can write, for listTimeSeries to tell unknown types apart. */
type MetricInfo = { kind: 'GAUGE' | 'DELTA'; valueType: 'INT64' | 'DOUBLE'; resourceType: string };
export const KNOWN_METRICS: ReadonlyMap<string, MetricInfo> = new Map<string, MetricInfo>([
  ...Object.values(DEPLOYED_MODEL_METRICS).map((m): [string, MetricInfo] => [m.type, { kind: m.kind, valueType: m.valueType, resourceType: 'aiplatform.googleapis.com/Endpoint' }]),
  [GCE_CPU.type, { kind: GCE_CPU.kind, valueType: GCE_CPU.valueType, resourceType: 'gce_instance' }],
]);

/** Google Cloud of the sandbox, seeded from the world's `gcp` section. */
export class GcpState {
  readonly projects = new Map<string, GcpProjectState>();
  readonly operations = new Map<string, OperationRecord>();
  /** Billing accounts, project billing links, the billing export's rows, budgets and Catalog SKUs. */
  readonly billing: GcpBillingState;
  private opSeq = 0;

  constructor(world: World, nowMs: number) {
    for (const p of world.gcp.projects) this.projects.set(p.id, seedProject(p, nowMs));
    this.billing = new GcpBillingState(world, nowMs);
  }

  /** The project owning a bucket, by bucket name (bucket names are global). */
  bucketOwner(name: string): GcpProjectState | undefined {
    for (const p of this.projects.values()) if (p.buckets.has(name)) return p;
    return undefined;
  }

  /** The project by id or number. */
  project(idOrNumber: string): GcpProjectState | undefined {
    const hit = this.projects.get(idOrNumber);
    if (hit) return hit;
    for (const p of this.projects.values()) if (p.number === idOrNumber) return p;
    return undefined;
  }

  /** Records a long-running operation; `done` at once unless the change takes time. */
  operation(parent: string, op: Omit<OperationRecord, 'name'>): OperationRecord {
    const name = `${parent}/operations/${++this.opSeq}`;
    const record = { name, ...op };
    this.operations.set(name, record);
    return record;
  }
}

const MULTI_REGIONS = new Set(['US', 'EU', 'ASIA']);
const DUAL_REGIONS = new Set(['NAM4', 'EUR4', 'ASIA1', 'EUR5', 'EUR7', 'EUR8']);

function seedBuckets(state: GcpProjectState, p: GcpProjectSpec, nowMs: number): void {
  const at = (t: string | undefined, fallback: number) => (t === undefined ? fallback : resolveTime(t, nowMs));
  let generation = 1_700_000_000_000_000;
  for (const b of p.buckets) {
    const location = (b.location ?? Object.keys(p.regions)[0] ?? 'us-central1').toUpperCase();
    const created = at(b.createdAt, nowMs);
    const objects: StorageObjectRecord[] = [];
    for (const o of b.objects) {
      const t = at(o.createdAt, nowMs);
      const updated = at(o.updatedAt, t);
      const custom = o.customTime !== undefined ? resolveTime(o.customTime, nowMs) : undefined;
      for (let i = 1; i <= o.count; i++) {
        objects.push({
          name: o.count === 1 ? o.name : `${o.name}${String(i).padStart(5, '0')}`,
          size: o.sizeBytes,
          storageClass: o.storageClass ?? b.storageClass,
          timeCreated: t,
          updated,
          ...(custom !== undefined ? { customTime: custom } : {}),
          generation: String(generation++),
        });
      }
    }
    objects.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    state.buckets.set(b.name, {
      name: b.name,
      projectNumber: state.number,
      location,
      locationType: MULTI_REGIONS.has(location) ? 'multi-region' : DUAL_REGIONS.has(location) ? 'dual-region' : 'region',
      storageClass: b.storageClass,
      timeCreated: created,
      updated: created,
      metageneration: 1,
      labels: { ...b.labels },
      autoclass: b.autoclass,
      lifecycle: b.lifecycle ? (JSON.parse(JSON.stringify(b.lifecycle)) as unknown[]) : undefined,
      objects,
    });
  }
}

function seedProject(p: GcpProjectSpec, nowMs: number): GcpProjectState {
  const state = new GcpProjectState(p.id, p.number ?? defaultProjectNumber(p.id), Object.keys(p.regions));
  seedBuckets(state, p, nowMs);
  const at = (t: string | undefined, fallback: number) => (t === undefined ? fallback : resolveTime(t, nowMs));
  for (const [region, r] of Object.entries(p.regions)) {
    for (const e of r.endpoints) {
      const created = at(e.createdAt, nowMs);
      const endpoint: EndpointRecord = {
        id: e.id,
        region,
        displayName: e.displayName,
        createTime: created,
        updateTime: created,
        labels: { ...e.labels },
        deployedModels: [],
        trafficSplit: {},
        etag: 1,
      };
      for (const m of e.deployedModels) {
        const deployedAt = at(m.createdAt, created);
        const resources: DeployedResources = m.dedicated
          ? {
              kind: 'dedicated',
              machineType: m.dedicated.machineType,
              ...(m.dedicated.acceleratorType ? { acceleratorType: m.dedicated.acceleratorType } : {}),
              ...(m.dedicated.acceleratorCount ? { acceleratorCount: m.dedicated.acceleratorCount } : {}),
              minReplicas: m.dedicated.minReplicas,
              maxReplicas: m.dedicated.maxReplicas ?? m.dedicated.minReplicas,
              replicas: m.dedicated.replicas ?? m.dedicated.minReplicas,
              ...(m.dedicated.autoscalingMetricSpecs ? { autoscalingMetricSpecs: m.dedicated.autoscalingMetricSpecs.map((x) => ({ metricName: x.metricName, ...(x.target !== undefined ? { target: x.target } : {}) })) } : {}),
            }
          : m.automatic
            ? { kind: 'automatic', minReplicas: m.automatic.minReplicas, maxReplicas: m.automatic.maxReplicas ?? m.automatic.minReplicas }
            : { kind: 'shared', pool: m.sharedPool ?? '' };
        endpoint.deployedModels.push({
          id: m.id,
          displayName: m.displayName ?? `model-${m.id}`,
          model: m.model ?? `projects/${state.number}/locations/${region}/models/${m.id}`,
          createTime: deployedAt,
          resources,
          extra: {},
        });
        if (m.trafficPercent > 0) endpoint.trafficSplit[m.id] = m.trafficPercent;
        const alive = state.open(`endpoint/${e.id}/${m.id}`, deployedAt);
        const records: SeriesRecord[] = [];
        for (const [key, spec] of Object.entries(m.metrics) as [keyof typeof DEPLOYED_MODEL_METRICS, SeriesSpec | undefined][]) {
          if (!spec) continue;
          const d = DEPLOYED_MODEL_METRICS[key];
          records.push({
            metricType: d.type,
            metricKind: d.kind,
            valueType: d.valueType,
            resourceType: 'aiplatform.googleapis.com/Endpoint',
            resourceLabels: { resource_container: p.id, location: region, endpoint_id: e.id },
            metricLabels: { deployed_model_id: m.id },
            series: compileSeries(spec, nowMs),
            scale: d.scale,
            alive,
          });
        }
        state.modelSeries.set(`${e.id}/${m.id}`, records);
        state.series.push(...records);
      }
      state.endpoints.set(e.id, endpoint);
    }
    for (const j of r.customJobs) {
      const created = at(j.createdAt, nowMs);
      const started = j.startedAt !== undefined ? resolveTime(j.startedAt, nowMs) : j.state === 'JOB_STATE_QUEUED' || j.state === 'JOB_STATE_PENDING' ? undefined : created;
      const finished = j.state === 'JOB_STATE_SUCCEEDED' || j.state === 'JOB_STATE_FAILED' || j.state === 'JOB_STATE_CANCELLED';
      const ended = finished ? (j.endedAt !== undefined ? resolveTime(j.endedAt, nowMs) : (started ?? created) + 3_600_000) : undefined;
      state.jobs.set(j.id, {
        id: j.id,
        region,
        displayName: j.displayName,
        state: j.state,
        createTime: created,
        ...(started !== undefined ? { startTime: started } : {}),
        ...(ended !== undefined ? { endTime: ended } : {}),
        updateTime: ended ?? started ?? created,
        ...(j.timeoutSeconds ? { timeoutSeconds: j.timeoutSeconds } : {}),
        ...(j.strategy ? { strategy: j.strategy } : {}),
        labels: { ...j.labels },
        workerPools: j.workerPools.map((w) => ({ ...w })),
      });
    }
    for (const w of r.workbench) {
      const zone = `${region}-${w.zone}`;
      const name = `projects/${p.id}/locations/${zone}/instances/${w.name}`;
      const created = at(w.createdAt, nowMs);
      const started = at(w.startedAt, created);
      const vmId = w.instanceId ?? String(BigInt(state.number) * 1000n + BigInt(state.instances.size + 1));
      const record: InstanceRecord = {
        name,
        zone,
        id: `${w.name}-${vmId.slice(-6)}`,
        vmId,
        state: w.state,
        createTime: created,
        updateTime: started,
        creator: w.creator ?? `owner@${p.id}.iam.gserviceaccount.com`,
        labels: { ...w.labels },
        machineType: w.machineType,
        ...(w.acceleratorType ? { acceleratorType: w.acceleratorType } : {}),
        ...(w.acceleratorCount ? { acceleratorCount: w.acceleratorCount } : {}),
        metadata: w.idleTimeoutSeconds !== undefined ? { 'idle-timeout-seconds': String(w.idleTimeoutSeconds) } : {},
      };
      state.instances.set(name, record);
      const key = `instance/${name}`;
      const alive = w.state === 'ACTIVE' ? state.open(key, started) : (state.lifetimes.set(key, []), state.lifetimes.get(key) ?? []);
      if (w.metrics.cpu) {
        state.series.push({
          metricType: GCE_CPU.type,
          metricKind: GCE_CPU.kind,
          valueType: GCE_CPU.valueType,
          resourceType: 'gce_instance',
          resourceLabels: { project_id: p.id, instance_id: vmId, zone },
          metricLabels: { instance_name: w.name },
          series: compileSeries(w.metrics.cpu, nowMs),
          scale: GCE_CPU.scale,
          alive,
        });
      }
    }
  }
  return state;
}
