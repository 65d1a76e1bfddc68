import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { ResourceComponent } from '../domain/resource.js';
import type { UsagePoint, UsageSeries } from '../domain/usage.js';
import { INSTANCE_TABLE_SOURCE, instanceSpec } from '../pricing/instance-types.js';
import type { ResourceRule, RuleResult } from './types.js';
import { duration, rate, round2 } from './helpers.js';
import { periodMs, pointsIn, PROVEN_COVERAGE, readWindow, seriesFor, type TimeWindow } from './series.js';

/** Settings of the underused-endpoint rule (`rules.underused-endpoint`). */
export interface UnderusedEndpointSettings {
  /** Window the utilization is averaged over. */
  readonly windowHours: number;
  /** Average CPU, in percent of all the instance's vCPUs, below which a CPU instance is underused. */
  readonly cpuBelowPercent: number;
  /** Average GPU, in percent of all the instance's GPUs, below which a GPU instance is underused. */
  readonly gpuBelowPercent: number;
}

/** The smaller type must still run the observed peak at or below this share of its capacity. */
export const HEADROOM_PERCENT = 80;

/** Endpoint kinds this rule judges. */
export const UNDERUSED_KINDS = ['aws.sagemaker.endpoint', 'gcp.vertex.endpoint', 'azure.ml.online-endpoint'] as const;

type VariantVerdict =
  | { kind: 'skip'; why: string }
  | { kind: 'unknown'; why: string }
  | { kind: 'fits'; line: string; until?: number }
  | { kind: 'underused'; lines: string[]; proven: boolean; saving?: { amount: number; currency: string; arithmetic: string; source: string } };

/**
 * `underused-endpoint` (notify only): an endpoint serving requests on far more capacity than it
 * uses. SageMaker reports CPUUtilization and GPUUtilization per variant as 0–100 % per vCPU / per
 * GPU (so 0–400 % on four vCPUs), averaged over its instances; they are divided by the instance's
 * vCPU / GPU count to give a share of the whole instance. GPU instances are judged by GPU, the
 * others by CPU. Below the threshold on average over the window, the rule suggests the next size
 * down in the same family with the same accelerators (the family ladder in
 * shared/pricing/aws-sagemaker-instances.json) when the observed peak would still fit within
 * 80 % of it, with the monthly price difference. Variants without requests are left to
 * idle-endpoint; missing utilization is unknown, never zero. Utilization datapoints covering
 * less than 90% of the window's periods (at the period the collector asked for) give medium
 * confidence, not high.
 */
export const underusedEndpoint: ResourceRule<UnderusedEndpointSettings> = {
  id: 'underused-endpoint',
  title: 'Underused inference endpoint',
  explanation: 'An endpoint on a larger instance than its load needs pays for idle capacity every hour.',
  kinds: UNDERUSED_KINDS,
  signals: ['requests', 'cpu', 'gpu'],
  severity: 'low',
  actions: {},
  // A busy verdict is about these machines: an endpoint moved to other instance types is judged again at once.
  basis: (r) => r.components.map((c) => `${c.name}:${c.instanceType ?? ''}:${c.accelerator ? `${c.accelerator.count}x${c.accelerator.type}` : ''}`).join(','),
  evaluate({ resource: r, usage, settings, now, prices }): RuleResult {
    if (!(UNDERUSED_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    const windowMs = settings.windowHours * 3_600_000;
    if (r.createdAt && now.getTime() - r.createdAt.getTime() < windowMs) {
      return { state: 'not-applicable', reason: `created ${duration(now.getTime() - r.createdAt.getTime())} ago, younger than the ${settings.windowHours} h window` };
    }
    const start = new Date(now.getTime() - windowMs);
    const variants = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
    if (variants.length === 0) {
      return { state: 'not-applicable', reason: r.components.some((c) => c.capacity === 'shared') ? 'only shared or automatic resources: not judged per model' : 'serverless or scaled to zero' };
    }

    const verdicts = variants.map((c) => ({
      c,
      v:
        r.kind === 'gcp.vertex.endpoint'
          ? judgeVertex(c, usage.filter((u) => u.component === c.name), start, now, settings, {
              machine: (type) => prices.hourly(r.cloud, type, r.region),
              accelerator: (type) => prices.acceleratorHourly('hosting', r.cloud, type, r.region),
            })
          : judge(c, usage.filter((u) => u.component === c.name), start, now, settings, (type) => prices.hourly(r.cloud, type, r.region), r.cloud),
    }));
    const part = r.kind === 'gcp.vertex.endpoint' ? 'deployed model' : r.cloud === 'azure' ? 'deployment' : 'variant';
    const under = verdicts.filter((x) => x.v.kind === 'underused');
    if (under.length > 0) {
      const evidence = under.flatMap((x) => (x.v.kind === 'underused' ? x.v.lines.map((l) => `${part} ${x.c.name}: ${l}`) : []));
      const savings = under.flatMap((x) => (x.v.kind === 'underused' && x.v.saving ? [x.v.saving] : []));
      const currency = savings[0]?.currency;
      const consistent = currency !== undefined && savings.every((s) => s.currency === currency);
      const total = consistent ? round2(savings.reduce((s, x) => s + x.amount, 0)) : undefined;
      const waste =
        total !== undefined && total > 0 && currency
          ? {
              monthly: { amount: total, currency },
              arithmetic: `${savings.map((s) => s.arithmetic).join(' + ')}${savings.length > 1 ? ` = ${formatMoney({ amount: total, currency })}/month` : ''}`,
              priceSource: [...new Set(savings.map((s) => s.source))].join('; '),
            }
          : undefined;
      const what = under.map((x) => x.c.instanceType ?? '?').join(', ');
      return {
        state: 'violation',
        title: `endpoint ${r.name} is underused on ${what} over ${settings.windowHours} h${waste ? ': a smaller instance type would do' : ''}`,
        evidence,
        confidence: under.every((x) => x.v.kind === 'underused' && x.v.proven) ? 'high' : 'medium',
        ...(waste ? { waste } : {}),
      };
    }
    const unknown = verdicts.filter((x) => x.v.kind === 'unknown');
    const fits = verdicts.filter((x) => x.v.kind === 'fits');
    if (unknown.length > 0 && fits.length === 0) {
      return {
        state: 'unknown',
        title: `endpoint ${r.name}: utilization unknown — not judged`,
        evidence: [...unknown.map((x) => `${part} ${x.c.name}: ${x.v.kind === 'unknown' ? x.v.why : ''}`), 'no data is never read as zero utilization'],
      };
    }
    if (fits.length > 0) {
      // Busy until every variant could turn underused: only when each one that is judged fits with a bound.
      const bounds = verdicts.filter((x) => x.v.kind !== 'skip').map((x) => (x.v.kind === 'fits' ? x.v.until : undefined));
      const until = bounds.every((b) => b !== undefined) ? Math.min(...(bounds as number[])) : undefined;
      return {
        state: 'ok',
        evidence: fits.map((x) => `${part} ${x.c.name}: ${x.v.kind === 'fits' ? x.v.line : ''}`),
        ...(until !== undefined && until > now.getTime() ? { activeUntil: new Date(until) } : {}),
      };
    }
    return { state: 'not-applicable', reason: verdicts.map((x) => `${part} ${x.c.name}: ${x.v.kind === 'skip' ? x.v.why : ''}`).join('; ') };
  },
};

function judge(
  c: ResourceComponent,
  series: readonly UsageSeries[],
  start: Date,
  now: Date,
  settings: UnderusedEndpointSettings,
  hosting: (type: string) => { price: { amount: number; currency: string }; source: string } | undefined,
  cloud: string,
): VariantVerdict {
  const window: TimeWindow = { start, end: now };
  const of = (signal: string) => series.filter((s) => s.signal === signal);
  const requests = pointsIn(of('requests'), window);
  // Idle, not underused: that is idle-endpoint's finding, and nothing this rule should repeat.
  if (requests.length === 0 || requests.every((p) => p.value === 0)) return { kind: 'fits', line: 'no requests in the window: idle rather than underused (see idle-endpoint)' };
  if (!c.instanceType) return { kind: 'skip', why: 'no instance type' };
  const spec = instanceSpec(c.instanceType);
  if (!spec) return { kind: 'unknown', why: `${c.instanceType} is not in the ${INSTANCE_TABLE_SOURCE}: its vCPU and GPU counts are unknown` };
  if ((spec.neuron ?? 0) > 0) return { kind: 'skip', why: `${c.instanceType} runs on AWS Inferentia, which publishes no GPUUtilization` };
  const gpu = (spec.gpus ?? 0) > 0;
  const signal = gpu ? 'gpu' : 'cpu';
  const whole = spec.wholeInstancePercent === true;
  const metric = whole ? (gpu ? 'GpuUtilizationPercentage' : 'CpuUtilizationPercentage') : gpu ? 'GPUUtilization' : 'CPUUtilization';
  const units = gpu ? (spec.gpus ?? 1) : spec.vcpu;
  // SageMaker reports per core / per GPU (0–100 × units); Azure ML a share of the whole instance.
  const divisor = whole ? 1 : units;
  const pts = pointsIn(of(signal), window);
  if (pts.length === 0) {
    const failed = of(signal).find((s) => s.status === 'error');
    return { kind: 'unknown', why: failed ? `${metric} could not be read (${failed.error ?? 'error'})` : `no ${metric} datapoints in the window` };
  }
  const avg = pts.reduce((s, p) => s + p.value, 0) / pts.length / divisor;
  const peak = Math.max(...pts.map((p) => p.value)) / divisor;
  const threshold = gpu ? settings.gpuBelowPercent : settings.cpuBelowPercent;
  const usedLine = `${metric} averaged ${pct(avg)} of its ${units} ${gpu ? 'GPU' : 'vCPU'}${units === 1 ? '' : 's'} over ${settings.windowHours} h (peak ${pct(peak)}${divisor > 1 ? `; ${metric} is reported per ${gpu ? 'GPU' : 'vCPU'}, so it was divided by ${units}` : ''})`;
  if (avg >= threshold) {
    const until = busyUntil(pts, of(signal), start, now, threshold * divisor);
    return { kind: 'fits', line: `${metric} averaged ${pct(avg)} of the instance, not below ${threshold}%`, ...(until !== undefined ? { until } : {}) };
  }
  const lines = [`${c.instanceType} × ${c.instanceCount}: ${usedLine}, below ${threshold}%`];
  const reading = readWindow(seriesFor(series, { signal }, window), window);
  const proven = reading.coverage >= PROVEN_COVERAGE;
  if (!proven) lines.push(`${metric} datapoints cover only ${Math.floor(reading.coverage * 100)}% of the window (${reading.points.length} of its ${reading.periods} periods): the average may miss busier hours`);
  const smaller = spec.smaller ? instanceSpec(spec.smaller) : undefined;
  if (!spec.smaller || !smaller) {
    lines.push(
      cloud === 'azure'
        ? `already the smallest size of its series with ${gpu ? `${units} GPU${units === 1 ? '' : 's'}` : 'this family'}: consider a smaller VM series`
        : `already the smallest ${c.instanceType.split('.').slice(0, 2).join('.')} size with ${gpu ? `${units} GPU${units === 1 ? '' : 's'}` : 'this family'}: consider serverless or asynchronous inference, or a cheaper family`,
    );
    return { kind: 'underused', lines, proven };
  }
  // The next size keeps the accelerators; what shrinks is the vCPU count (and GPUs, were they to differ).
  const cpuPeak = Math.max(...pointsIn(of('cpu'), window).map((p) => p.value), 0) / (whole ? 1 : spec.vcpu);
  const projectedCpu = cpuPeak * (spec.vcpu / smaller.vcpu);
  const projectedGpu = gpu ? peak * (units / (smaller.gpus ?? units)) : 0;
  if (projectedCpu > HEADROOM_PERCENT || projectedGpu > HEADROOM_PERCENT) {
    return { kind: 'fits', line: `${usedLine}, but its peak would run ${pct(Math.max(projectedCpu, projectedGpu))} of a ${spec.smaller}, over the ${HEADROOM_PERCENT}% headroom` };
  }
  lines.push(`${spec.smaller} (${smaller.vcpu} vCPUs${gpu ? `, ${smaller.gpus ?? 0} GPU${smaller.gpus === 1 ? '' : 's'}` : ''}) would run its CPU peak at ${pct(projectedCpu)}${gpu ? ` and its GPU peak at ${pct(projectedGpu)}` : ''}`);
  const priceNow = hosting(c.instanceType);
  const priceNext = hosting(spec.smaller);
  if (!priceNow || !priceNext || priceNow.price.currency !== priceNext.price.currency) {
    lines.push(`no hosting price known for ${!priceNow ? c.instanceType : spec.smaller}: set prices.${cloud} in costwatch.yml to see the saving`);
    return { kind: 'underused', lines, proven };
  }
  const diff = priceNow.price.amount - priceNext.price.amount;
  if (diff <= 0) {
    lines.push(`${spec.smaller} is not cheaper (${rate(priceNext.price.amount, priceNext.price.currency)}/h): no saving from a smaller size`);
    return { kind: 'underused', lines, proven };
  }
  const amount = round2(diff * c.instanceCount * HOURS_PER_MONTH);
  const arithmetic = `(${c.instanceType} ${rate(priceNow.price.amount, priceNow.price.currency)}/h − ${spec.smaller} ${rate(priceNext.price.amount, priceNext.price.currency)}/h) × ${c.instanceCount} × ${HOURS_PER_MONTH} h = ${formatMoney({ amount, currency: priceNow.price.currency })}/month`;
  return { kind: 'underused', lines, proven, saving: { amount, currency: priceNow.price.currency, arithmetic, source: priceNow.source === priceNext.source ? priceNow.source : `${priceNow.source}; ${priceNext.source}` } };
}

/**
 * The latest time until which the window's average cannot fall below `threshold` (raw units),
 * whatever the usage does from now on: the window slides, its oldest points leave it, and every
 * new period could be 0. At each step of one period, a lower bound of the average is the sum of
 * the points still in the window one period later (values are never negative, so dropping more
 * points only lowers the sum) over the most points it could hold (those one period earlier, plus
 * a zero for every new period). The bound holds up to the last step where it is not below the
 * threshold; undefined when that is now (read again next scan).
 */
function busyUntil(pts: readonly UsagePoint[], series: readonly UsageSeries[], start: Date, now: Date, threshold: number): number | undefined {
  const periods = series.filter((s) => s.status === 'present').map((s) => periodMs(s));
  if (periods.length === 0 || pts.length === 0) return undefined;
  const p = Math.min(...periods);
  const sorted = pts.map((x) => ({ t: x.at.getTime(), v: x.value })).sort((a, b) => a.t - b.t);
  const n = sorted.length;
  // suffix[i]: the sum of the points from i on.
  const suffix = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + sorted[i]!.v;
  const t0 = start.getTime();
  const windowMs = now.getTime() - t0;
  let counted = 0; // first point at or after t0 + k - p
  let summed = 0; // first point at or after t0 + k + p
  let last: number | undefined;
  for (let k = p; k <= windowMs; k += p) {
    while (counted < n && sorted[counted]!.t < t0 + k - p) counted++;
    while (summed < n && sorted[summed]!.t < t0 + k + p) summed++;
    if (suffix[summed]! / (n - counted + Math.ceil(k / p)) < threshold) break;
    last = now.getTime() + k;
  }
  return last;
}

function pct(v: number): string {
  return `${Math.round(v * 10) / 10}%`;
}

type Priced = { price: { amount: number; currency: string }; source: string } | undefined;

/** `n1-standard-8` → family `n1-standard`, 8 vCPUs; undefined for shapes without a vCPU suffix. */
export function gcpMachineShape(type: string): { family: string; vcpu: number } | undefined {
  const m = /^([a-z][a-z0-9]*-(?:standard|highmem|highcpu))-(\d+)$/.exec(type);
  return m ? { family: m[1] ?? '', vcpu: Number(m[2]) } : undefined;
}

/**
 * Vertex AI deployed models: judged by accelerator duty cycle (`prediction/online/accelerator/
 * duty_cycle`, the share of time the accelerators were busy) when they have accelerators, else
 * by CPU (`prediction/online/cpu/utilization`, which exceeds 100 % on several vCPUs, so it is
 * divided by the vCPU count of the machine type's name). The suggestion keeps the peak within
 * 80 %: fewer accelerators per replica, or the next size down in the same machine family.
 */
function judgeVertex(
  c: ResourceComponent,
  series: readonly UsageSeries[],
  start: Date,
  now: Date,
  settings: UnderusedEndpointSettings,
  price: { machine: (type: string) => Priced; accelerator: (type: string) => Priced },
): VariantVerdict {
  const window: TimeWindow = { start, end: now };
  const of = (signal: string) => series.filter((s) => s.signal === signal);
  const requests = pointsIn(of('requests'), window);
  if (requests.length === 0 || requests.every((p) => p.value === 0)) return { kind: 'fits', line: 'no predictions in the window: idle rather than underused (see idle-endpoint)' };
  if (!c.instanceType) return { kind: 'skip', why: 'no machine type' };
  const accel = c.accelerator;
  if (accel) {
    const pts = pointsIn(of('gpu'), window);
    if (pts.length === 0) {
      const failed = of('gpu').find((s) => s.status === 'error');
      return { kind: 'unknown', why: failed ? `accelerator duty cycle could not be read (${failed.error ?? 'error'})` : 'no accelerator/duty_cycle datapoints in the window' };
    }
    const avg = pts.reduce((s, p) => s + p.value, 0) / pts.length;
    const peak = Math.max(...pts.map((p) => p.value));
    const proven = readWindow(seriesFor(series, { signal: 'gpu' }, window), window).coverage >= PROVEN_COVERAGE;
    if (avg >= settings.gpuBelowPercent) return { kind: 'fits', line: `accelerator duty cycle averaged ${pct(avg)}, not below ${settings.gpuBelowPercent}%` };
    const lines = [`${c.instanceType} + ${accel.count} × ${accel.type}, ${c.instanceCount} replica${c.instanceCount === 1 ? '' : 's'}: accelerator duty cycle averaged ${pct(avg)} over ${settings.windowHours} h (peak ${pct(peak)}), below ${settings.gpuBelowPercent}%`];
    const needed = Math.max(1, Math.ceil((accel.count * peak) / HEADROOM_PERCENT));
    if (needed >= accel.count) {
      lines.push(`already ${accel.count === 1 ? 'one accelerator per replica' : `the fewest ${accel.type} that keep the peak within ${HEADROOM_PERCENT}%`}: consider a smaller accelerator type or CPU-only serving`);
      return { kind: 'underused', lines, proven };
    }
    lines.push(`${needed} × ${accel.type} per replica would run its peak at ${pct((peak * accel.count) / needed)}`);
    const p = price.accelerator(accel.type);
    if (!p) {
      lines.push(`no price known for ${accel.type}: set prices.gcp "accelerator:${accel.type}" in costwatch.yml to see the saving`);
      return { kind: 'underused', lines, proven };
    }
    const amount = round2((accel.count - needed) * p.price.amount * c.instanceCount * HOURS_PER_MONTH);
    const arithmetic = `(${accel.count} − ${needed}) × ${accel.type} ${rate(p.price.amount, p.price.currency)}/h × ${c.instanceCount} × ${HOURS_PER_MONTH} h = ${formatMoney({ amount, currency: p.price.currency })}/month`;
    return { kind: 'underused', lines, proven, saving: { amount, currency: p.price.currency, arithmetic, source: p.source } };
  }
  const shape = gcpMachineShape(c.instanceType);
  if (!shape) return { kind: 'unknown', why: `the vCPU count of ${c.instanceType} cannot be read from its name` };
  const pts = pointsIn(of('cpu'), window);
  if (pts.length === 0) {
    const failed = of('cpu').find((s) => s.status === 'error');
    return { kind: 'unknown', why: failed ? `CPU utilization could not be read (${failed.error ?? 'error'})` : 'no cpu/utilization datapoints in the window' };
  }
  const proven = readWindow(seriesFor(series, { signal: 'cpu' }, window), window).coverage >= PROVEN_COVERAGE;
  const avg = pts.reduce((s, p) => s + p.value, 0) / pts.length / shape.vcpu;
  const peak = Math.max(...pts.map((p) => p.value)) / shape.vcpu;
  if (avg >= settings.cpuBelowPercent) return { kind: 'fits', line: `CPU averaged ${pct(avg)} of the machine, not below ${settings.cpuBelowPercent}%` };
  const lines = [`${c.instanceType} × ${c.instanceCount}: CPU averaged ${pct(avg)} of its ${shape.vcpu} vCPUs over ${settings.windowHours} h (peak ${pct(peak)}), below ${settings.cpuBelowPercent}%`];
  if (shape.vcpu <= 2) {
    lines.push(`already the smallest ${shape.family} size: consider a cheaper machine family`);
    return { kind: 'underused', lines, proven };
  }
  const smaller = `${shape.family}-${shape.vcpu / 2}`;
  const projected = peak * 2;
  if (projected > HEADROOM_PERCENT) return { kind: 'fits', line: `CPU averaged ${pct(avg)}, but its peak would run ${pct(projected)} of a ${smaller}, over the ${HEADROOM_PERCENT}% headroom` };
  lines.push(`${smaller} (${shape.vcpu / 2} vCPUs) would run its CPU peak at ${pct(projected)}`);
  const now$ = price.machine(c.instanceType);
  const next$ = price.machine(smaller);
  if (!now$ || !next$ || now$.price.currency !== next$.price.currency) {
    lines.push(`no price known for ${!now$ ? c.instanceType : smaller}: set prices.gcp in costwatch.yml to see the saving`);
    return { kind: 'underused', lines, proven };
  }
  const diff = now$.price.amount - next$.price.amount;
  if (diff <= 0) return { kind: 'underused', lines, proven };
  const amount = round2(diff * c.instanceCount * HOURS_PER_MONTH);
  const arithmetic = `(${c.instanceType} ${rate(now$.price.amount, now$.price.currency)}/h − ${smaller} ${rate(next$.price.amount, next$.price.currency)}/h) × ${c.instanceCount} × ${HOURS_PER_MONTH} h = ${formatMoney({ amount, currency: now$.price.currency })}/month`;
  return { kind: 'underused', lines, proven, saving: { amount, currency: now$.price.currency, arithmetic, source: now$.source === next$.source ? now$.source : `${now$.source}; ${next$.source}` } };
}
