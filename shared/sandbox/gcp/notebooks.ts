import type { GcpCall, GcpRoute } from './context.js';
import { GoogleApiError, fingerprintOf, invalid, pageOf, rfc3339 } from './protocol.js';
import type { GcpProjectState, InstanceRecord } from './state.js';

/*
 * Vertex AI Workbench instances (Notebooks API v2, notebooks.googleapis.com) as the sandbox
 * serves them: list (one zone, or `locations/-` for all), get, stop, start, and patch of
 * `gce_setup.metadata` (how the idle shutdown, `idle-timeout-seconds`, is set). Stop, start and
 * patch are long-running operations. Reference:
 * https://cloud.google.com/vertex-ai/docs/workbench/reference/rest/v2/projects.locations.instances
 */

const V2 = 'type.googleapis.com/google.cloud.notebooks.v2';
const PAGE = 100;

function settle(i: InstanceRecord, p: GcpProjectState, now: number): void {
  if (i.pending && now >= i.pending.at) {
    i.state = i.pending.state;
    i.updateTime = i.pending.at;
    if (i.state === 'ACTIVE') p.open(`instance/${i.name}`, i.pending.at);
    delete i.pending;
  }
}

/** An instance as the Notebooks API v2 returns it. */
function instanceJson(i: InstanceRecord): Record<string, unknown> {
  return {
    name: i.name,
    gceSetup: {
      machineType: i.machineType,
      ...(i.acceleratorType ? { acceleratorConfigs: [{ type: i.acceleratorType, coreCount: String(i.acceleratorCount ?? 1) }] } : {}),
      metadata: { ...i.metadata },
      bootDisk: { diskSizeGb: '150', diskType: 'PD_BALANCED' },
    },
    proxyUri: `${i.id}-dot-${i.zone.replace(/-[a-z]$/, '')}.notebooks.googleusercontent.com`,
    creator: i.creator,
    state: i.state,
    id: i.id,
    healthState: i.state === 'ACTIVE' ? 'HEALTHY' : 'HEALTH_STATE_UNSPECIFIED',
    createTime: rfc3339(i.createTime),
    updateTime: rfc3339(i.updateTime),
    labels: { ...i.labels },
  };
}

function listInstances(call: GcpCall) {
  const loc = call.params['location'] ?? '';
  if (loc !== '-' && !/^[a-z]+-[a-z]+\d{1,2}-[a-z]$/.test(loc)) invalid(`Location ${loc} is not a zone (like us-central1-a) or "-"`);
  if (call.query.get('filter')) invalid('The sandbox cloud does not evaluate instance list filters; list without one');
  const all = [...call.project.instances.values()]
    .filter((i) => loc === '-' || i.zone === loc)
    .map((i) => (settle(i, call.project, call.now), i))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const { page, nextPageToken } = pageOf(all, call.query, PAGE, 1000, fingerprintOf(call.path, call.query));
  return { instances: page.map(instanceJson), ...(nextPageToken ? { nextPageToken } : {}) };
}

function instanceOf(call: GcpCall): InstanceRecord {
  const name = `projects/${call.project.id}/locations/${call.params['location'] ?? ''}/instances/${call.params['instance'] ?? ''}`;
  const i = call.project.instances.get(name);
  if (!i) throw new GoogleApiError('NOT_FOUND', `Resource '${name}' was not found`);
  settle(i, call.project, call.now);
  return i;
}

function getInstance(call: GcpCall) {
  return instanceJson(instanceOf(call));
}

function transition(call: GcpCall, i: InstanceRecord, from: readonly string[], via: string, to: string) {
  if (!from.includes(i.state)) throw new GoogleApiError('FAILED_PRECONDITION', `Instance ${i.name} is ${i.state}; it must be ${from.join(' or ')}.`);
  i.state = via;
  i.updateTime = call.now;
  i.pending = { at: call.now + call.transitionMs, state: to };
  if (to !== 'ACTIVE') call.project.close(`instance/${i.name}`, call.now);
  call.project.version++;
  if (call.transitionMs === 0) settle(i, call.project, call.now);
  return operation(call, i);
}

function stopInstance(call: GcpCall) {
  return transition(call, instanceOf(call), ['ACTIVE'], 'STOPPING', 'STOPPED');
}

function startInstance(call: GcpCall) {
  return transition(call, instanceOf(call), ['STOPPED', 'SUSPENDED'], 'STARTING', 'ACTIVE');
}

const METADATA_MASKS = new Set(['gce_setup.metadata', 'gceSetup.metadata']);

function updateInstance(call: GcpCall) {
  const i = instanceOf(call);
  const mask = (call.query.get('updateMask') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (mask.length === 0) invalid('updateMask is required');
  const unsupported = mask.filter((m) => !METADATA_MASKS.has(m));
  if (unsupported.length > 0) invalid(`The sandbox cloud updates only gce_setup.metadata, not ${unsupported.join(', ')}`);
  const setup = call.body['gceSetup'];
  const metadata = setup && typeof setup === 'object' ? (setup as Record<string, unknown>)['metadata'] : undefined;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) invalid('gceSetup.metadata must be a map of strings');
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries((metadata ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') invalid(`gceSetup.metadata.${k} must be a string`);
    if (k === 'idle-timeout-seconds' && !/^\d+$/.test(v)) invalid(`gceSetup.metadata.idle-timeout-seconds must be a whole number of seconds, not "${v}"`);
    next[k] = v;
  }
  // A field mask replaces the whole map.
  i.metadata = next;
  i.updateTime = call.now;
  call.project.version++;
  return operation(call, i);
}

function operation(call: GcpCall, i: InstanceRecord) {
  const op = call.state.operation(`projects/${call.project.id}/locations/${i.zone}`, {
    done: true,
    metadataType: `${V2}.OperationMetadata`,
    responseType: `${V2}.Instance`,
    response: instanceJson(i),
  });
  return { name: op.name, done: false };
}

function getOperation(call: GcpCall) {
  const name = `projects/${call.params['project'] ?? ''}/locations/${call.params['location'] ?? ''}/operations/${call.params['op'] ?? ''}`;
  const op = call.state.operations.get(name);
  if (!op) throw new GoogleApiError('NOT_FOUND', `Operation ${name} not found.`);
  return { name: op.name, done: op.done, response: { '@type': op.responseType, ...op.response } };
}

const P = '(?<project>[^/]+)';
const L = '(?<location>[^/]+)';

/** The Notebooks API v2 routes. */
export const NOTEBOOKS_ROUTES: readonly GcpRoute[] = [
  { service: 'notebooks', operation: 'ListInstances', method: 'GET', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/instances$`), handler: listInstances },
  { service: 'notebooks', operation: 'GetInstance', method: 'GET', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/instances/(?<instance>[^/:]+)$`), handler: getInstance },
  { service: 'notebooks', operation: 'UpdateInstance', method: 'PATCH', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/instances/(?<instance>[^/:]+)$`), handler: updateInstance },
  { service: 'notebooks', operation: 'StopInstance', method: 'POST', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/instances/(?<instance>[^/:]+):stop$`), handler: stopInstance },
  { service: 'notebooks', operation: 'StartInstance', method: 'POST', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/instances/(?<instance>[^/:]+):start$`), handler: startInstance },
  { service: 'notebooks', operation: 'GetOperation', method: 'GET', pattern: new RegExp(`^/v2/projects/${P}/locations/${L}/operations/(?<op>[^/:]+)$`), handler: getOperation },
];
