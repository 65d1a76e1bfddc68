import { VERTEX_ACCELERATOR } from '../../providers/gcp/enums.js';
import type { GcpCall, GcpRoute } from './context.js';
import { GoogleApiError, fingerprintOf, invalid, pageOf, parseDuration, rfc3339 } from './protocol.js';
import type { CustomJobRecord, DeployedModelRecord, DeployedResources, EndpointRecord, GcpProjectState } from './state.js';

/*
 * Vertex AI (aiplatform.googleapis.com v1) as the sandbox serves it: endpoints with their
 * deployed models and traffic split (list, get, deployModel, undeployModel, mutateDeployedModel as long-running
 * operations) and custom jobs (list, get, cancel). Field names and rules follow the REST
 * reference: https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.endpoints
 */

const V1 = 'type.googleapis.com/google.cloud.aiplatform.v1';
const PAGE = 100;
const RUNNING_JOB = new Set(['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_PAUSED']);

function location(call: GcpCall): string {
  const loc = call.params['location'] ?? '';
  if (!call.project.regions.has(loc)) {
    // Vertex AI answers for any supported region; a region the world does not hold has nothing in it.
    if (!/^[a-z]+-[a-z]+\d{1,2}$/.test(loc)) invalid(`Location ${loc} is not a valid Vertex AI region`);
  }
  return loc;
}

function endpointOf(call: GcpCall): EndpointRecord {
  const loc = location(call);
  const e = call.project.endpoints.get(call.params['endpoint'] ?? '');
  if (!e || e.region !== loc) throw new GoogleApiError('NOT_FOUND', `Endpoint projects/${call.project.number}/locations/${loc}/endpoints/${call.params['endpoint'] ?? ''} not found.`);
  return e;
}

/** An endpoint as Vertex AI returns it (names carry the project number). */
export function endpointJson(p: GcpProjectState, e: EndpointRecord): Record<string, unknown> {
  return {
    name: `projects/${p.number}/locations/${e.region}/endpoints/${e.id}`,
    displayName: e.displayName,
    deployedModels: e.deployedModels.map((m) => deployedModelJson(m)),
    trafficSplit: { ...e.trafficSplit },
    etag: `"${e.etag}"`,
    labels: { ...e.labels },
    createTime: rfc3339(e.createTime),
    updateTime: rfc3339(e.updateTime),
  };
}

function deployedModelJson(m: DeployedModelRecord): Record<string, unknown> {
  const r = m.resources;
  const resources =
    r.kind === 'dedicated'
      ? {
          dedicatedResources: {
            machineSpec: { machineType: r.machineType, ...(r.acceleratorType ? { acceleratorType: r.acceleratorType, acceleratorCount: r.acceleratorCount ?? 1 } : {}) },
            minReplicaCount: r.minReplicas,
            maxReplicaCount: r.maxReplicas,
            ...(r.autoscalingMetricSpecs && r.autoscalingMetricSpecs.length > 0 ? { autoscalingMetricSpecs: r.autoscalingMetricSpecs.map((m) => ({ ...m })) } : {}),
          },
        }
      : r.kind === 'automatic'
        ? { automaticResources: { minReplicaCount: r.minReplicas, maxReplicaCount: r.maxReplicas } }
        : { sharedResources: r.pool };
  return {
    ...m.extra,
    id: m.id,
    model: m.model,
    displayName: m.displayName,
    createTime: rfc3339(m.createTime),
    ...resources,
    ...(r.kind === 'dedicated' ? { status: { availableReplicaCount: r.replicas } } : {}),
  };
}

function listEndpoints(call: GcpCall) {
  const loc = location(call);
  if (call.query.get('filter')) invalid('The sandbox cloud does not evaluate endpoint list filters; list without one');
  const all = [...call.project.endpoints.values()].filter((e) => e.region === loc).sort((a, b) => (a.id < b.id ? -1 : 1));
  const { page, nextPageToken } = pageOf(all, call.query, PAGE, 1000, fingerprintOf(call.path, call.query));
  return { endpoints: page.map((e) => endpointJson(call.project, e)), ...(nextPageToken ? { nextPageToken } : {}) };
}

function getEndpoint(call: GcpCall) {
  return endpointJson(call.project, endpointOf(call));
}

/** Parses a traffic split: deployed model id → percent, summing to 100 (or empty). */
function trafficSplitOf(value: unknown, field: string): Record<string, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) invalid(`${field} must be a map of deployed model id to percent`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 100) invalid(`${field}[${k}] must be an integer percent from 0 to 100`);
    out[k] = n;
  }
  return out;
}

function checkSplit(split: Record<string, number>, ids: ReadonlySet<string>, field: string): Record<string, number> {
  const kept: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(split)) {
    if (!ids.has(k)) invalid(`${field} refers to deployed model ${k}, which is not deployed on the endpoint`);
    total += v;
    if (v > 0) kept[k] = v;
  }
  if (ids.size > 0 && Object.keys(split).length > 0 && total !== 100) invalid(`${field} must add up to 100, not ${total}`);
  return kept;
}

function resourcesOf(dm: Record<string, unknown>): DeployedResources {
  const dedicated = dm['dedicatedResources'] as Record<string, unknown> | undefined;
  const automatic = dm['automaticResources'] as Record<string, unknown> | undefined;
  const shared = dm['sharedResources'];
  const given = [dedicated, automatic, shared].filter((x) => x !== undefined && x !== null && x !== '').length;
  if (given !== 1) invalid('deployedModel needs exactly one of dedicatedResources, automaticResources or sharedResources');
  const int = (v: unknown, field: string, min: number) => {
    const n = typeof v === 'string' ? Number(v) : (v ?? 0);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) invalid(`${field} must be an integer of at least ${min}`);
    return n;
  };
  if (dedicated) {
    const spec = (dedicated['machineSpec'] ?? {}) as Record<string, unknown>;
    const machineType = spec['machineType'];
    if (typeof machineType !== 'string' || machineType === '') invalid('deployedModel.dedicatedResources.machineSpec.machineType is required');
    const min = int(dedicated['minReplicaCount'], 'deployedModel.dedicatedResources.minReplicaCount', 1);
    const max = dedicated['maxReplicaCount'] === undefined || dedicated['maxReplicaCount'] === 0 ? min : int(dedicated['maxReplicaCount'], 'deployedModel.dedicatedResources.maxReplicaCount', min);
    // Clients that ask for `enum-encoding=int` send enums as numbers; the API's enum names them.
    const rawAccel = spec['acceleratorType'];
    const accel = typeof rawAccel === 'number' ? VERTEX_ACCELERATOR[rawAccel] : rawAccel;
    if (accel !== undefined && accel !== null && typeof accel !== 'string') invalid(`deployedModel.dedicatedResources.machineSpec.acceleratorType ${String(rawAccel)} is not an accelerator type`);
    const hasAccel = typeof accel === 'string' && accel !== '' && accel !== 'ACCELERATOR_TYPE_UNSPECIFIED';
    const specs = metricSpecsOf(dedicated['autoscalingMetricSpecs'], 'deployedModel.dedicatedResources.autoscalingMetricSpecs');
    return {
      ...(specs.length > 0 ? { autoscalingMetricSpecs: specs } : {}),
      kind: 'dedicated',
      machineType,
      ...(hasAccel ? { acceleratorType: accel, acceleratorCount: int(spec['acceleratorCount'] ?? 1, 'deployedModel.dedicatedResources.machineSpec.acceleratorCount', 1) } : {}),
      minReplicas: min,
      maxReplicas: max,
      replicas: min,
    };
  }
  if (automatic) {
    const min = int(automatic['minReplicaCount'] ?? 1, 'deployedModel.automaticResources.minReplicaCount', 0);
    return { kind: 'automatic', minReplicas: min, maxReplicas: int(automatic['maxReplicaCount'] ?? min, 'deployedModel.automaticResources.maxReplicaCount', 0) };
  }
  if (typeof shared !== 'string') invalid('deployedModel.sharedResources must be a deployment resource pool name');
  return { kind: 'shared', pool: shared };
}

/** `autoscalingMetricSpecs`: each a metric name Vertex AI scales on and an optional target (1–100). */
function metricSpecsOf(value: unknown, field: string): { metricName: string; target?: number }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(`${field} must be a list`);
  return value.map((v: unknown, i) => {
    const o = (v ?? {}) as Record<string, unknown>;
    const name = o['metricName'];
    if (typeof name !== 'string' || !/^[a-z][a-z0-9.-]*\.googleapis\.com\/\S+$/.test(name)) invalid(`${field}[${i}].metricName must be a Cloud Monitoring metric type such as ${AUTOSCALING_METRICS[0]}`);
    const target = o['target'] === undefined || o['target'] === null ? undefined : Number(o['target']);
    if (target !== undefined && (!Number.isInteger(target) || target < 1 || target > 100)) invalid(`${field}[${i}].target must be an integer percent from 1 to 100`);
    return { metricName: name, ...(target !== undefined && target !== 0 ? { target } : {}) };
  });
}

/** Metrics a dedicated deployed model autoscales on (REST reference, AutoscalingMetricSpec); the sandbox takes any metric type. */
const AUTOSCALING_METRICS = [
  'aiplatform.googleapis.com/prediction/online/cpu/utilization',
  'aiplatform.googleapis.com/prediction/online/accelerator/duty_cycle',
  'aiplatform.googleapis.com/prediction/online/request_count',
] as const;

/** The paths of an update mask, as a FieldMask JSON string (`a.b,c`) or `{ paths }`, in lowerCamel form. */
function maskPaths(value: unknown): string[] {
  const raw = typeof value === 'string' ? value.split(',') : Array.isArray((value as { paths?: unknown } | null)?.paths) ? ((value as { paths: unknown[] }).paths.map(String)) : [];
  return raw.map((p) => p.trim()).filter((p) => p !== '').map((p) => p.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
}

const MUTABLE_PATHS = new Set(['dedicatedResources.minReplicaCount', 'dedicatedResources.maxReplicaCount', 'dedicatedResources.autoscalingMetricSpecs']);

/**
 * `endpoints.mutateDeployedModel`: changes the bounds of a deployed model in place. Only the fields
 * the update mask names change; the sandbox serves the dedicated-resources ones costwatch uses.
 */
function mutateDeployedModel(call: GcpCall) {
  const e = endpointOf(call);
  const dm = call.body['deployedModel'];
  if (!dm || typeof dm !== 'object' || Array.isArray(dm)) invalid('deployedModel is required');
  const spec = dm as Record<string, unknown>;
  const id = spec['id'];
  if (typeof id !== 'string' || id === '') invalid('deployedModel.id is required');
  const paths = maskPaths(call.body['updateMask'] ?? call.query.get('updateMask'));
  if (paths.length === 0) invalid('updateMask is required');
  for (const p of paths) if (!MUTABLE_PATHS.has(p)) invalid(`updateMask path ${p} cannot be mutated (the sandbox serves ${[...MUTABLE_PATHS].join(', ')})`);
  const index = e.deployedModels.findIndex((m) => m.id === id);
  if (index < 0) throw new GoogleApiError('NOT_FOUND', `DeployedModel ${id} not found on Endpoint ${e.id}.`);
  const m = e.deployedModels[index]!;
  if (m.resources.kind !== 'dedicated') throw new GoogleApiError('FAILED_PRECONDITION', `DeployedModel ${id} does not use dedicated resources.`);
  const d = (spec['dedicatedResources'] ?? {}) as Record<string, unknown>;
  const int = (v: unknown, field: string) => {
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) invalid(`${field} must be an integer of at least 1`);
    return n;
  };
  const min = paths.includes('dedicatedResources.minReplicaCount') ? int(d['minReplicaCount'], 'deployedModel.dedicatedResources.minReplicaCount') : m.resources.minReplicas;
  const max = paths.includes('dedicatedResources.maxReplicaCount') ? int(d['maxReplicaCount'], 'deployedModel.dedicatedResources.maxReplicaCount') : m.resources.maxReplicas;
  if (max < min) invalid(`maxReplicaCount ${max} is below minReplicaCount ${min}`);
  const specs = paths.includes('dedicatedResources.autoscalingMetricSpecs') ? metricSpecsOf(d['autoscalingMetricSpecs'], 'deployedModel.dedicatedResources.autoscalingMetricSpecs') : (m.resources.autoscalingMetricSpecs ?? []);
  const { autoscalingMetricSpecs: _old, ...rest } = m.resources;
  void _old;
  const resources: DeployedResources = { ...rest, minReplicas: min, maxReplicas: max, replicas: Math.min(max, Math.max(min, m.resources.replicas)), ...(specs.length > 0 ? { autoscalingMetricSpecs: specs } : {}) };
  e.deployedModels[index] = { ...m, resources };
  e.updateTime = call.now;
  e.etag++;
  call.project.version++;
  return operation(call, e.region, 'MutateDeployedModelResponse', { deployedModel: deployedModelJson(e.deployedModels[index]) });
}

function deployModel(call: GcpCall) {
  const e = endpointOf(call);
  const dm = call.body['deployedModel'];
  if (!dm || typeof dm !== 'object' || Array.isArray(dm)) invalid('deployedModel is required');
  const spec = dm as Record<string, unknown>;
  if (typeof spec['model'] !== 'string' || spec['model'] === '') invalid('deployedModel.model is required');
  const resources = resourcesOf(spec);
  let id = typeof spec['id'] === 'string' && spec['id'] !== '' ? spec['id'] : undefined;
  if (id !== undefined) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$|^\d{1,19}$/.test(id)) invalid(`deployedModel.id ${id} is not a valid deployed model id`);
    if (e.deployedModels.some((m) => m.id === id)) throw new GoogleApiError('ALREADY_EXISTS', `DeployedModel with ID ${id} already exists on Endpoint ${e.id}.`);
  } else {
    let n = BigInt(e.id) % 1_000_000_000n * 1000n;
    do id = String(++n);
    while (e.deployedModels.some((m) => m.id === id));
  }
  const split = trafficSplitOf(call.body['trafficSplit'], 'trafficSplit');
  const ids = new Set([...e.deployedModels.map((m) => m.id), id]);
  let nextSplit = e.trafficSplit;
  if (split && Object.keys(split).length > 0) {
    const resolved: Record<string, number> = {};
    for (const [k, v] of Object.entries(split)) resolved[k === '0' ? id : k] = (resolved[k === '0' ? id : k] ?? 0) + v;
    nextSplit = checkSplit(resolved, ids, 'trafficSplit');
  } else if (e.deployedModels.length === 0) {
    nextSplit = { [id]: 100 };
  }
  const { id: _ignored, model, displayName, createTime: _c, dedicatedResources: _d, automaticResources: _a, sharedResources: _s, status: _st, ...extra } = spec;
  void _ignored;
  void _c;
  void _d;
  void _a;
  void _s;
  void _st;
  const record: DeployedModelRecord = {
    id,
    model: model as string,
    displayName: typeof displayName === 'string' && displayName !== '' ? displayName : id,
    createTime: call.now,
    resources,
    extra,
  };
  e.deployedModels.push(record);
  e.trafficSplit = nextSplit;
  e.updateTime = call.now;
  e.etag++;
  call.project.version++;
  const alive = call.project.open(`endpoint/${e.id}/${id}`, call.now);
  // World series of a model deployed again under its id resume; they share the reopened lifetime.
  void alive;
  return operation(call, e.region, 'DeployModelResponse', { deployedModel: deployedModelJson(record) });
}

function undeployModel(call: GcpCall) {
  const e = endpointOf(call);
  const id = call.body['deployedModelId'];
  if (typeof id !== 'string' || id === '') invalid('deployedModelId is required');
  const index = e.deployedModels.findIndex((m) => m.id === id);
  if (index < 0) throw new GoogleApiError('NOT_FOUND', `DeployedModel ${id} not found on Endpoint ${e.id}.`);
  const remaining = new Set(e.deployedModels.filter((m) => m.id !== id).map((m) => m.id));
  const split = trafficSplitOf(call.body['trafficSplit'], 'trafficSplit');
  let nextSplit: Record<string, number>;
  if (remaining.size === 0) {
    nextSplit = {};
  } else if (split && Object.keys(split).length > 0) {
    if ((split[id] ?? 0) > 0) invalid(`trafficSplit still sends ${split[id]}% to deployed model ${id}, which is being undeployed`);
    const { [id]: _gone, ...rest } = split;
    void _gone;
    nextSplit = checkSplit(rest, remaining, 'trafficSplit');
  } else {
    if ((e.trafficSplit[id] ?? 0) > 0) {
      throw new GoogleApiError('FAILED_PRECONDITION', `Model ${id} has ${e.trafficSplit[id]}% of the Endpoint's traffic: undeploy it with a trafficSplit that moves its traffic to the other deployed models.`);
    }
    nextSplit = { ...e.trafficSplit };
  }
  e.deployedModels.splice(index, 1);
  e.trafficSplit = nextSplit;
  e.updateTime = call.now;
  e.etag++;
  call.project.version++;
  call.project.close(`endpoint/${e.id}/${id}`, call.now);
  return operation(call, e.region, 'UndeployModelResponse', {});
}

function operation(call: GcpCall, region: string, responseType: string, response: Record<string, unknown>) {
  const op = call.state.operation(`projects/${call.project.number}/locations/${region}`, {
    done: false,
    metadataType: `${V1}.GenericOperationMetadata`,
    responseType: `${V1}.${responseType}`,
    response,
  });
  // The change is made; the operation reports done on its first read.
  call.state.operations.set(op.name, { ...op, done: true });
  return { name: op.name, done: false };
}

function getOperation(call: GcpCall) {
  const name = `projects/${call.params['project'] ?? ''}/locations/${call.params['location'] ?? ''}/${call.params['rest'] ?? ''}`;
  const op = call.state.operations.get(name) ?? call.state.operations.get(name.replace(`projects/${call.project.id}/`, `projects/${call.project.number}/`));
  if (!op) throw new GoogleApiError('NOT_FOUND', `Operation ${name} not found.`);
  return {
    name: op.name,
    done: op.done,
    ...(op.done ? (op.error ? { error: op.error } : { response: { '@type': op.responseType, ...op.response } }) : {}),
  };
}

/** A custom job as Vertex AI returns it. */
function jobJson(p: GcpProjectState, j: CustomJobRecord): Record<string, unknown> {
  return {
    name: `projects/${p.number}/locations/${j.region}/customJobs/${j.id}`,
    displayName: j.displayName,
    jobSpec: {
      workerPoolSpecs: j.workerPools.map((w) => ({
        machineSpec: { machineType: w.machineType, ...(w.acceleratorType ? { acceleratorType: w.acceleratorType, acceleratorCount: w.acceleratorCount ?? 1 } : {}) },
        replicaCount: String(w.replicaCount),
        containerSpec: { imageUri: 'us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-1:latest' },
      })),
      ...(j.timeoutSeconds || j.strategy ? { scheduling: { ...(j.timeoutSeconds ? { timeout: `${j.timeoutSeconds}s` } : {}), ...(j.strategy ? { strategy: j.strategy } : {}) } } : {}),
    },
    state: j.state,
    createTime: rfc3339(j.createTime),
    ...(j.startTime !== undefined ? { startTime: rfc3339(j.startTime) } : {}),
    ...(j.endTime !== undefined ? { endTime: rfc3339(j.endTime) } : {}),
    updateTime: rfc3339(j.updateTime),
    labels: { ...j.labels },
  };
}

function settleJob(j: CustomJobRecord, now: number): void {
  if (j.state === 'JOB_STATE_CANCELLING' && j.settleAt !== undefined && now >= j.settleAt) {
    j.state = 'JOB_STATE_CANCELLED';
    j.endTime = j.settleAt;
    j.updateTime = j.settleAt;
    delete j.settleAt;
  }
}

const STATE_TERM = /^state\s*(=|!=)\s*"?(JOB_STATE_[A-Z_]+)"?$/;
const CREATE_TERM = /^create_time\s*(>=|<=|>|<|=|!=)\s*"([^"]+)"$/;

/**
 * The list filters the sandbox evaluates: AND of terms, each `state="…"` (or `!=`), a parenthesized
 * OR of state equalities, or `create_time <op> "<RFC 3339>"` — the fields Vertex AI documents for
 * custom jobs. Anything else is refused, so a filter costwatch sends wrong fails loudly.
 */
function jobFilter(filter: string): (j: CustomJobRecord) => boolean {
  const tests: ((j: CustomJobRecord) => boolean)[] = [];
  for (const raw of filter.split(/\s+AND\s+/)) {
    const term = raw.trim();
    const group = /^\((.*)\)$/.exec(term);
    if (group) {
      const states = group[1]!.split(/\s+OR\s+/).map((t) => STATE_TERM.exec(t.trim()));
      if (states.some((m) => !m || m[1] !== '=')) invalid(`The sandbox cloud evaluates only state equalities inside parentheses, not: ${term}`);
      const want = new Set(states.map((m) => m![2]!));
      tests.push((j) => want.has(j.state));
      continue;
    }
    const st = STATE_TERM.exec(term);
    if (st) {
      tests.push(st[1] === '=' ? (j) => j.state === st[2] : (j) => j.state !== st[2]);
      continue;
    }
    const ct = CREATE_TERM.exec(term);
    if (ct) {
      const t = Date.parse(ct[2]!);
      if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}T/.test(ct[2]!)) invalid(`create_time must be in RFC 3339 format: ${ct[2]!}`);
      const op = ct[1]!;
      tests.push((j) => (op === '>=' ? j.createTime >= t : op === '<=' ? j.createTime <= t : op === '>' ? j.createTime > t : op === '<' ? j.createTime < t : op === '=' ? j.createTime === t : j.createTime !== t));
      continue;
    }
    invalid(`The sandbox cloud evaluates only state and create_time filters (joined by AND), not: ${filter}`);
  }
  return (j) => tests.every((t) => t(j));
}

function listCustomJobs(call: GcpCall) {
  const loc = location(call);
  const filter = call.query.get('filter') ?? '';
  const keep = filter.trim() !== '' ? jobFilter(filter) : () => true;
  const all = [...call.project.jobs.values()]
    .filter((j) => j.region === loc)
    .map((j) => (settleJob(j, call.now), j))
    .filter(keep)
    .sort((a, b) => b.createTime - a.createTime || (a.id < b.id ? -1 : 1));
  const { page, nextPageToken } = pageOf(all, call.query, PAGE, 1000, fingerprintOf(call.path, call.query));
  return { customJobs: page.map((j) => jobJson(call.project, j)), ...(nextPageToken ? { nextPageToken } : {}) };
}

function jobOf(call: GcpCall): CustomJobRecord {
  const loc = location(call);
  const j = call.project.jobs.get(call.params['job'] ?? '');
  if (!j || j.region !== loc) throw new GoogleApiError('NOT_FOUND', `CustomJob projects/${call.project.number}/locations/${loc}/customJobs/${call.params['job'] ?? ''} not found.`);
  settleJob(j, call.now);
  return j;
}

function getCustomJob(call: GcpCall) {
  return jobJson(call.project, jobOf(call));
}

function cancelCustomJob(call: GcpCall) {
  const j = jobOf(call);
  if (!RUNNING_JOB.has(j.state)) throw new GoogleApiError('FAILED_PRECONDITION', `CustomJob ${j.id} is in state ${j.state} and cannot be cancelled.`);
  j.state = 'JOB_STATE_CANCELLING';
  j.settleAt = call.now + call.transitionMs;
  j.updateTime = call.now;
  call.project.version++;
  if (call.transitionMs === 0) settleJob(j, call.now);
  return {};
}

/** Timeouts as jobs carry them, for tests: `scheduling.timeout` in seconds. */
export function timeoutOf(job: Record<string, unknown>): number | undefined {
  const s = (job['jobSpec'] as { scheduling?: { timeout?: string } } | undefined)?.scheduling?.timeout;
  return parseDuration(s, 'jobSpec.scheduling.timeout');
}

const P = '(?<project>[^/]+)';
const L = '(?<location>[^/]+)';

/** Regions Vertex AI serves (a fixed list standing in for Google's), for projects read without configured regions. */
export const VERTEX_LOCATIONS: readonly string[] = ['us-central1', 'us-east1', 'us-east4', 'us-west1', 'europe-west1', 'europe-west2', 'europe-west4', 'asia-east1', 'asia-northeast1', 'asia-southeast1'];

/** `projects.locations.list`: the fixed Vertex AI regions and the project's own, as `google.cloud.location.Location`s. */
function listLocations(call: GcpCall) {
  const ids = [...new Set([...VERTEX_LOCATIONS, ...call.project.regions])].sort();
  const { page, nextPageToken } = pageOf(ids, call.query, 100, 1000, fingerprintOf(call.path, call.query));
  return { locations: page.map((id) => ({ name: `projects/${call.project.id}/locations/${id}`, locationId: id, displayName: id })), ...(nextPageToken ? { nextPageToken } : {}) };
}

/** The Vertex AI routes. */
export const AIPLATFORM_ROUTES: readonly GcpRoute[] = [
  { service: 'aiplatform', operation: 'ListLocations', method: 'GET', pattern: new RegExp(`^/(?:ui|v1)/projects/${P}/locations$`), handler: listLocations },
  { service: 'aiplatform', operation: 'ListEndpoints', method: 'GET', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/endpoints$`), handler: listEndpoints },
  { service: 'aiplatform', operation: 'GetEndpoint', method: 'GET', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/endpoints/(?<endpoint>[^/:]+)$`), handler: getEndpoint },
  { service: 'aiplatform', operation: 'DeployModel', method: 'POST', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/endpoints/(?<endpoint>[^/:]+):deployModel$`), handler: deployModel },
  { service: 'aiplatform', operation: 'UndeployModel', method: 'POST', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/endpoints/(?<endpoint>[^/:]+):undeployModel$`), handler: undeployModel },
  { service: 'aiplatform', operation: 'MutateDeployedModel', method: 'POST', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/endpoints/(?<endpoint>[^/:]+):mutateDeployedModel$`), handler: mutateDeployedModel },
  { service: 'aiplatform', operation: 'GetOperation', method: 'GET', pattern: new RegExp(`^/(?:ui|v1)/projects/${P}/locations/${L}/(?<rest>(?:[^/]+/[^/]+/)*operations/[^/:]+)$`), handler: getOperation },
  { service: 'aiplatform', operation: 'ListCustomJobs', method: 'GET', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/customJobs$`), handler: listCustomJobs },
  { service: 'aiplatform', operation: 'GetCustomJob', method: 'GET', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/customJobs/(?<job>[^/:]+)$`), handler: getCustomJob },
  { service: 'aiplatform', operation: 'CancelCustomJob', method: 'POST', pattern: new RegExp(`^/v1/projects/${P}/locations/${L}/customJobs/(?<job>[^/:]+):cancel$`), handler: cancelCustomJob },
];
