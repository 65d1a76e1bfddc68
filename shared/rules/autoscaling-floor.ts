import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { Resource, ResourceComponent } from '../domain/resource.js';
import type { UsagePoint, UsageSeries } from '../domain/usage.js';
import { INSTANCE_TABLE_SOURCE, instanceSpec } from '../pricing/instance-types.js';
import { rate, round2 } from './helpers.js';
import { PROVEN_COVERAGE, readWindow, seriesFor, type TimeWindow } from './series.js';
import type { ResourceRule, RuleResult } from './types.js';
import { gcpMachineShape } from './underused-endpoint.js';

/** Settings of the autoscaling-floor rule (`rules.autoscaling-floor`). */
export interface AutoscalingFloorSettings {
  /** Window whose busiest period sets the floor (7 days by default). */
  readonly windowHours: number;
  /** The share of each instance the peak may use: the floor keeps the busiest period at or below it. */
  readonly targetUtilizationPercent: number;
}

/** Endpoint kinds this rule judges: those whose components carry autoscaling bounds. */
export const AUTOSCALING_KINDS = ['aws.sagemaker.endpoint', 'gcp.vertex.endpoint', 'azure.ml.online-endpoint'] as const;

/**
 * How each cloud's endpoint kind counts the instances that served a period, and names things.
 * SageMaker: Invocations ÷ InvocationsPerInstance, utilization per vCPU / per GPU. Vertex AI:
 * the `replicas` series itself, CPU utilization divided by the machine's vCPUs (it is reported
 * per vCPU, summed) and the accelerators' duty cycle when it has some. Azure ML: the deployment's `DeploymentCapacity` series,
 * utilization of the whole instance (CPU, and GPU when the series is published).
 */
interface CloudTerms {
  readonly component: string;
  readonly instances: string;
  readonly requests: string;
  readonly instance: string;
  /** Whether CPU utilization is reported per vCPU, summed (so above 100% on several vCPUs). */
  readonly cpuPerVcpu?: boolean;
}

const CLOUD_TERMS: Readonly<Record<string, CloudTerms>> = {
  'aws.sagemaker.endpoint': { component: 'variant', instances: 'Invocations ÷ InvocationsPerInstance', requests: 'Invocations', instance: 'instance' },
  'gcp.vertex.endpoint': { component: 'deployed model', instances: 'prediction/online/replicas', requests: 'prediction_count', instance: 'replica', cpuPerVcpu: true },
  'azure.ml.online-endpoint': { component: 'deployment', instances: 'DeploymentCapacity', requests: 'RequestsPerMinute', instance: 'instance' },
};

/** The parameter a proposal carries per component: `min:<component>` = the floor to set. */
export function floorParameter(component: string): string {
  return `min:${component}`;
}

type Verdict =
  | { kind: 'skip'; why: string }
  | { kind: 'unknown'; why: string }
  | { kind: 'fits'; line: string; until: number | undefined }
  | { kind: 'over'; needed: number; lines: string[]; proven: boolean };

/**
 * `autoscaling-floor`: an autoscaled endpoint whose minimum instance count keeps more instances
 * running than the busiest period of the window needed. Per variant, for every period of the
 * window with requests:
 *
 *   instances(t) = Invocations(t) ÷ InvocationsPerInstance(t)  (the instances that served them)
 *   busy(t)      = instances(t) × utilization(t)              (instance-equivalents of work;
 *                  utilization is a share of the whole instance: SageMaker's per-vCPU CPU ÷ vCPUs,
 *                  or per-GPU GPU ÷ GPUs on GPU instances)
 *   needed(t)    = ⌈busy(t) ÷ targetUtilization⌉, at least 1
 *
 * and the floor needed is the largest needed(t). A floor above it is waste:
 * (floor − needed) × hourly price × 730 h. A period with requests but no utilization or
 * per-instance datapoint makes the variant unknown (its need cannot be proven); no request
 * datapoints at all is unknown, never zero; a variant that served nothing is idle-endpoint's.
 */
export const autoscalingFloor: ResourceRule<AutoscalingFloorSettings> = {
  id: 'autoscaling-floor',
  title: 'Autoscaling floor above the need',
  explanation: 'An autoscaling minimum above what the busiest hour needed keeps instances running, and billed, that no traffic uses.',
  severity: 'medium',
  kinds: AUTOSCALING_KINDS,
  signals: ['requests', 'requests-per-instance', 'cpu', 'gpu', 'instances'],
  facts: ['autoscaling'],
  actions: {
    'aws.sagemaker.endpoint': 'aws.sagemaker.lower-autoscaling-floor',
    'gcp.vertex.endpoint': 'gcp.vertex.lower-replica-floor',
    'azure.ml.online-endpoint': 'azure.ml.lower-instance-floor',
  },
  // Only a floor above one can be lowered: other endpoints need no usage read for this rule.
  judges: (r) => r.components.some(floorToJudge),
  // A floor raised (or an instance type changed) since the last read is judged again at once.
  basis: (r) =>
    r.components
      .filter(floorToJudge)
      .map((c) => `${c.name}:${c.instanceType ?? ''}:${c.scaling!.min}`)
      .join(','),
  evaluate({ resource: r, usage, settings, now, prices }): RuleResult {
    if (!(AUTOSCALING_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    const scaled = r.components.filter((c) => c.capacity === 'provisioned' && c.scaling !== undefined);
    if (scaled.length === 0) return { state: 'not-applicable', reason: `no autoscaling on its ${CLOUD_TERMS[r.kind]!.component}s` };
    const windowMs = settings.windowHours * 3_600_000;
    if (r.createdAt && now.getTime() - r.createdAt.getTime() < windowMs) {
      return { state: 'not-applicable', reason: `created less than the ${settings.windowHours} h window ago: its peak is not known yet` };
    }
    const window: TimeWindow = { start: new Date(now.getTime() - windowMs), end: now };
    const terms = CLOUD_TERMS[r.kind]!;
    const verdicts = scaled.map((c) => ({ c, v: r.kind === 'aws.sagemaker.endpoint' ? judge(c, usage.filter((u) => u.component === c.name), window, settings) : judgeCounted(c, usage.filter((u) => u.component === c.name), window, settings, terms) }));
    const over = verdicts.filter((x) => x.v.kind === 'over');
    if (over.length > 0) {
      const evidence: string[] = [];
      const parameters: Record<string, number> = {};
      const parts: string[] = [];
      const sources = new Set<string>();
      let total = 0;
      let currency: string | undefined;
      let priced = true;
      for (const { c, v } of over) {
        if (v.kind !== 'over') continue;
        const floor = c.scaling!.min;
        parameters[floorParameter(c.name)] = v.needed;
        evidence.push(...v.lines.map((l) => `${terms.component} ${c.name}: ${l}`));
        const p = perInstancePrice(c, r, prices);
        if (!p || (currency !== undefined && p.currency !== currency)) {
          priced = false;
          evidence.push(`${terms.component} ${c.name}: no hosting price known for ${c.instanceType ?? '?'}${c.accelerator ? ` + ${c.accelerator.count} × ${c.accelerator.type}` : ''}: set prices.${r.cloud} in costwatch.yml to see the waste`);
          continue;
        }
        currency = p.currency;
        for (const src of p.sources) sources.add(src);
        const surplus = floor - v.needed;
        total += surplus * p.amount * HOURS_PER_MONTH;
        parts.push(`(${floor} − ${v.needed}) × ${p.label}/h × ${HOURS_PER_MONTH} h`);
      }
      const amount = round2(total);
      const waste =
        priced && currency && amount > 0
          ? { monthly: { amount, currency }, arithmetic: `${parts.join(' + ')} = ${formatMoney({ amount, currency })}/month`, priceSource: [...sources].join('; ') }
          : undefined;
      const floors = over.map(({ c, v }) => `${c.scaling!.min} → ${v.kind === 'over' ? v.needed : '?'}`).join(', ');
      return {
        state: 'violation',
        title: `endpoint ${r.name}: autoscaling floor above what ${settings.windowHours} h of traffic needed (minimum ${floors})`,
        evidence,
        confidence: over.every((x) => x.v.kind === 'over' && x.v.proven) ? 'high' : 'medium',
        ...(waste ? { waste } : {}),
        parameters,
      };
    }
    const unknown = verdicts.filter((x) => x.v.kind === 'unknown');
    if (unknown.length > 0) {
      return {
        state: 'unknown',
        title: `endpoint ${r.name}: the traffic its autoscaling floor must carry is unknown — not judged`,
        evidence: [...unknown.map((x) => `${terms.component} ${x.c.name}: ${x.v.kind === 'unknown' ? x.v.why : ''}`), 'no data is never read as zero traffic'],
      };
    }
    const fits = verdicts.filter((x) => x.v.kind === 'fits');
    if (fits.length > 0) {
      // Each fitting floor holds until its last period that needed it ages out of the window; a floor of one never can be lowered.
      const bounds = verdicts.map((x) => (x.v.kind === 'fits' ? x.v.until : x.c.scaling!.min <= 1 ? Number.POSITIVE_INFINITY : undefined));
      const until = bounds.every((b) => b !== undefined) ? Math.min(...(bounds as number[])) : undefined;
      return {
        state: 'ok',
        evidence: fits.map((x) => `${terms.component} ${x.c.name}: ${x.v.kind === 'fits' ? x.v.line : ''}`),
        ...(until !== undefined && Number.isFinite(until) && until > now.getTime() ? { activeUntil: new Date(until) } : {}),
      };
    }
    return { state: 'not-applicable', reason: verdicts.map((x) => `${terms.component} ${x.c.name}: ${x.v.kind === 'skip' ? x.v.why : ''}`).join('; ') };
  },
};

function judge(c: ResourceComponent, series: readonly UsageSeries[], window: TimeWindow, settings: AutoscalingFloorSettings): Verdict {
  const scaling = c.scaling!;
  if (scaling.min <= 1) return { kind: 'skip', why: `its autoscaling minimum is ${scaling.min}: nothing to lower` };
  if (!c.instanceType) return { kind: 'skip', why: 'no instance type' };
  const spec = instanceSpec(c.instanceType);
  if (!spec) return { kind: 'unknown', why: `${c.instanceType} is not in the ${INSTANCE_TABLE_SOURCE}: its vCPU and GPU counts are unknown` };
  const gpu = (spec.gpus ?? 0) > 0;
  const units = gpu ? (spec.gpus ?? 1) : spec.vcpu;
  // SageMaker reports utilization per vCPU / per GPU (0–100 × units); some tables mark a whole-instance percent.
  const divisor = spec.wholeInstancePercent === true ? 1 : units;
  const metric = gpu ? 'GPUUtilization' : 'CPUUtilization';

  const requests = seriesFor(series, { signal: 'requests' }, window);
  if (requests?.status === 'error') return { kind: 'unknown', why: `Invocations could not be read (${requests.error ?? 'error'})` };
  const req = readWindow(requests, window);
  if (req.points.length === 0) return { kind: 'unknown', why: 'no Invocations datapoints in the window' };
  if (req.points.every((p) => p.value === 0)) return { kind: 'skip', why: 'no requests in the window: idle rather than over its floor (see idle-endpoint)' };

  const perInstance = readWindow(seriesFor(series, { signal: 'requests-per-instance' }, window), window);
  const utilSeries = seriesFor(series, { signal: gpu ? 'gpu' : 'cpu' }, window);
  if (utilSeries?.status === 'error') return { kind: 'unknown', why: `${metric} could not be read (${utilSeries.error ?? 'error'})` };
  const util = readWindow(utilSeries, window);
  const at = (pts: readonly UsagePoint[]) => new Map(pts.map((p) => [p.at.getTime(), p.value]));
  const perAt = at(perInstance.points);
  const utilAt = at(util.points);

  const target = settings.targetUtilizationPercent / 100;
  let needed = 1;
  let peak: { at: Date; requests: number; instances: number; used: number; needed: number } | undefined;
  let missing = 0;
  let lastAtFloor: number | undefined;
  for (const p of req.points) {
    if (p.value <= 0) continue;
    const per = perAt.get(p.at.getTime());
    const u = utilAt.get(p.at.getTime());
    if (per === undefined || per <= 0 || u === undefined) {
      missing++;
      continue;
    }
    const instances = p.value / per;
    const used = Math.min(1, Math.max(0, u / divisor / 100));
    // A hair under an integer is that integer: floating point must not add an instance.
    const n = Math.max(1, Math.ceil((instances * used) / target - 1e-9));
    if (!peak || n > peak.needed || (n === peak.needed && instances * used > peak.instances * peak.used)) peak = { at: p.at, requests: p.value, instances, used, needed: n };
    if (n >= scaling.min) lastAtFloor = Math.max(lastAtFloor ?? 0, p.at.getTime());
    needed = Math.max(needed, n);
  }
  if (missing > 0) {
    return {
      kind: 'unknown',
      why: `${missing} period${missing === 1 ? '' : 's'} with requests ha${missing === 1 ? 's' : 've'} no ${perInstance.points.length === 0 ? 'InvocationsPerInstance' : util.points.length === 0 ? metric : `InvocationsPerInstance or ${metric}`} datapoint: the peak's need cannot be proven`,
    };
  }
  const period = requests?.periodSeconds ?? 3600;
  const peakLine = peak
    ? `busiest ${period >= 3600 ? `${period / 3600}-hour` : `${period / 60}-minute`} period ${peak.at.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${round2(peak.requests)} invocations on ${round2(peak.instances)} instance${peak.instances === 1 ? '' : 's'} (Invocations ÷ InvocationsPerInstance) at ${pct(peak.used * 100)} ${metric} of each instance${divisor > 1 ? ` (reported per ${gpu ? 'GPU' : 'vCPU'}, divided by ${units})` : ''}`
    : 'no period with requests';
  const formula = peak ? `needed = ⌈${round2(peak.instances)} × ${pct(peak.used * 100)} ÷ ${settings.targetUtilizationPercent}% target⌉ = ${needed}` : `needed = ${needed}`;
  if (needed >= scaling.min) return { kind: 'fits', line: `the peak needed ${needed} instance${needed === 1 ? '' : 's'}, not fewer than its floor of ${scaling.min} (${peakLine})`, until: fitsUntil(lastAtFloor, window) };
  const proven = req.coverage >= PROVEN_COVERAGE;
  const lines = [
    `${scaling.source}: minimum ${scaling.min}, maximum ${scaling.max}${scaling.scaleInSuspended ? ' (scale-in suspended)' : ''}; ${c.instanceType} × ${c.instanceCount} running now`,
    peakLine,
    `${formula}: a floor of ${needed} carries the peak at or below ${settings.targetUtilizationPercent}% utilization; ${scaling.min - needed} instance${scaling.min - needed === 1 ? '' : 's'} of the floor served no need in ${settings.windowHours} h`,
  ];
  if (!proven) lines.push(`Invocations datapoints cover only ${Math.floor(req.coverage * 100)}% of the window (${req.points.length} of its ${req.periods} periods): a busier hour may be missing`);
  return { kind: 'over', needed, lines, proven };
}

/** A component whose floor this rule can lower: provisioned, autoscaled, with a minimum above one. */
function floorToJudge(c: ResourceComponent): boolean {
  return c.capacity === 'provisioned' && c.scaling !== undefined && c.scaling.min > 1;
}

/**
 * Until when a floor that fits stays needed: the last period whose need reached the floor keeps it
 * so until that period leaves the window (its start plus the window: the earliest moment it can,
 * so a read then never comes late). Undefined when no period is known to have.
 */
function fitsUntil(lastAtFloor: number | undefined, window: TimeWindow): number | undefined {
  if (lastAtFloor === undefined) return undefined;
  return lastAtFloor + (window.end.getTime() - window.start.getTime());
}

function pct(v: number): string {
  return `${Math.round(v * 10) / 10}%`;
}

/**
 * Vertex AI deployed models and Azure ML deployments: the cloud publishes the instance count, so
 * per period with requests
 *
 *   needed(t) = ⌈instances(t) × utilization(t) ÷ target⌉, at least 1
 *
 * where utilization is the whole instance's, the busier of CPU and accelerator (GPU) when both
 * are published. A period with requests but no instance count or CPU datapoint (or, on a
 * component with accelerators, no accelerator datapoint) makes the component unknown.
 */
function judgeCounted(c: ResourceComponent, series: readonly UsageSeries[], window: TimeWindow, settings: AutoscalingFloorSettings, terms: CloudTerms): Verdict {
  const scaling = c.scaling!;
  if (scaling.min <= 1) return { kind: 'skip', why: `its minimum is ${scaling.min}: nothing to lower` };
  const requests = seriesFor(series, { signal: 'requests' }, window);
  if (requests?.status === 'error') return { kind: 'unknown', why: `${terms.requests} could not be read (${requests.error ?? 'error'})` };
  const req = readWindow(requests, window);
  if (req.points.length === 0) return { kind: 'unknown', why: `no ${terms.requests} datapoints in the window` };
  if (req.points.every((p) => p.value === 0)) return { kind: 'skip', why: 'no requests in the window: idle rather than over its floor (see idle-endpoint)' };

  const read = (signal: 'instances' | 'cpu' | 'gpu') => {
    const s = seriesFor(series, { signal }, window);
    return { failed: s?.status === 'error' ? (s.error ?? 'error') : undefined, at: new Map(readWindow(s, window).points.map((p) => [p.at.getTime(), p.value])) };
  };
  const inst = read('instances');
  if (inst.failed) return { kind: 'unknown', why: `${terms.instances} could not be read (${inst.failed})` };
  const cpu = read('cpu');
  if (cpu.failed) return { kind: 'unknown', why: `CPU utilization could not be read (${cpu.failed})` };
  const gpu = read('gpu');
  const needsGpu = c.accelerator !== undefined && c.accelerator.count > 0;
  if (gpu.failed && needsGpu) return { kind: 'unknown', why: `accelerator utilization could not be read (${gpu.failed})` };

  // Vertex AI's cpu/utilization exceeds 100% on several vCPUs (a share per vCPU, summed): divided by the
  // vCPU count of the machine type's name. Azure ML's CpuUtilizationPercentage is of the whole instance.
  let cpuDivisor = 1;
  if (terms.cpuPerVcpu) {
    const shape = c.instanceType ? gcpMachineShape(c.instanceType) : undefined;
    if (!shape) return { kind: 'unknown', why: `the vCPU count of ${c.instanceType ?? '?'} cannot be read from its name: its CPU utilization cannot be read as a share of the replica` };
    cpuDivisor = shape.vcpu;
  }
  const target = settings.targetUtilizationPercent / 100;
  let needed = 1;
  let peak: { at: Date; requests: number; instances: number; used: number; needed: number; by: string } | undefined;
  let missing = 0;
  let lastAtFloor: number | undefined;
  for (const p of req.points) {
    if (p.value <= 0) continue;
    const n = inst.at.get(p.at.getTime());
    const u = cpu.at.get(p.at.getTime());
    const g = gpu.failed ? undefined : gpu.at.get(p.at.getTime());
    if (n === undefined || n <= 0 || u === undefined || (needsGpu && g === undefined)) {
      missing++;
      continue;
    }
    const cpuShare = u / cpuDivisor;
    const busiest = g !== undefined && g > cpuShare ? g : cpuShare;
    const used = Math.min(1, Math.max(0, busiest / 100));
    const k = Math.max(1, Math.ceil((n * used) / target - 1e-9));
    if (!peak || k > peak.needed || (k === peak.needed && n * used > peak.instances * peak.used)) peak = { at: p.at, requests: p.value, instances: n, used, needed: k, by: g !== undefined && g > cpuShare ? 'accelerator' : `CPU${cpuDivisor > 1 ? `, reported per vCPU and divided by ${cpuDivisor}` : ''}` };
    if (k >= scaling.min) lastAtFloor = Math.max(lastAtFloor ?? 0, p.at.getTime());
    needed = Math.max(needed, k);
  }
  if (missing > 0) {
    return {
      kind: 'unknown',
      why: `${missing} period${missing === 1 ? '' : 's'} with requests ha${missing === 1 ? 's' : 've'} no ${terms.instances}, CPU${needsGpu ? ' or accelerator' : ''} utilization datapoint: the peak's need cannot be proven`,
    };
  }
  const noun = terms.instance;
  const period = requests?.periodSeconds ?? 3600;
  const peakLine = peak
    ? `busiest ${period >= 3600 ? `${period / 3600}-hour` : `${period / 60}-minute`} period ${peak.at.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${round2(peak.requests)} requests (${terms.requests}) on ${round2(peak.instances)} ${noun}${peak.instances === 1 ? '' : 's'} (${terms.instances}) at ${pct(peak.used * 100)} utilization of each (${peak.by})`
    : 'no period with requests';
  const formula = peak ? `needed = ⌈${round2(peak.instances)} × ${pct(peak.used * 100)} ÷ ${settings.targetUtilizationPercent}% target⌉ = ${needed}` : `needed = ${needed}`;
  if (needed >= scaling.min) return { kind: 'fits', line: `the peak needed ${needed} ${noun}${needed === 1 ? '' : 's'}, not fewer than its floor of ${scaling.min} (${peakLine})`, until: fitsUntil(lastAtFloor, window) };
  const proven = req.coverage >= PROVEN_COVERAGE;
  const surplus = scaling.min - needed;
  const lines = [
    `${scaling.source}: minimum ${scaling.min}, maximum ${scaling.max}; ${c.instanceType ?? '?'}${c.accelerator ? ` + ${c.accelerator.count} × ${c.accelerator.type}` : ''} per ${noun}`,
    peakLine,
    `${formula}: a floor of ${needed} carries the peak at or below ${settings.targetUtilizationPercent}% utilization; ${surplus} ${noun}${surplus === 1 ? '' : 's'} of the floor served no need in ${settings.windowHours} h`,
  ];
  if (!proven) lines.push(`${terms.requests} datapoints cover only ${Math.floor(req.coverage * 100)}% of the window (${req.points.length} of its ${req.periods} periods): a busier hour may be missing`);
  return { kind: 'over', needed, lines, proven };
}

/** One instance's hosting price (machine, plus its accelerators where the cloud bills them apart), with its label. */
function perInstancePrice(c: ResourceComponent, r: { cloud: Resource['cloud']; region: string }, prices: Parameters<ResourceRule['evaluate']>[0]['prices']): { amount: number; currency: string; label: string; sources: string[] } | undefined {
  if (!c.instanceType) return undefined;
  const p = prices.hourlyFor('hosting', r.cloud, c.instanceType, r.region);
  if (!p) return undefined;
  if (!c.accelerator || c.accelerator.count <= 0) return { amount: p.price.amount, currency: p.price.currency, label: `${c.instanceType} ${rate(p.price.amount, p.price.currency)}`, sources: [p.source] };
  const a = prices.acceleratorHourly('hosting', r.cloud, c.accelerator.type, r.region);
  if (!a || a.price.currency !== p.price.currency) return undefined;
  return {
    amount: p.price.amount + a.price.amount * c.accelerator.count,
    currency: p.price.currency,
    label: `(${c.instanceType} ${rate(p.price.amount, p.price.currency)} + ${c.accelerator.count} × ${c.accelerator.type} ${rate(a.price.amount, a.price.currency)})`,
    sources: [p.source, a.source],
  };
}
