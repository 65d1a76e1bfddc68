import type { QuietHours } from '../config/policy.js';
import type { UsageSeries } from '../domain/usage.js';
import type { ResourceRule, RuleResult } from './types.js';
import { dateAttribute, duration, lastQuietStretch, monthlyWaste, noPriceLine, numberAttribute, quietHoursText, rateOf, utc } from './helpers.js';
import { pointsIn, PROVEN_COVERAGE, readWindow, seriesFor } from './series.js';

/** Settings of the idle-notebook rule (`rules.idle-notebook` plus the policy's quiet hours). */
export interface IdleNotebookSettings {
  /** Hours of idleness that make a notebook idle. */
  readonly windowHours: number;
  /** CPU in use (percent of the instance) below which it counts as idle, where a CPU metric is published. */
  readonly cpuBelowPercent: number;
  /** The policy's quiet hours: a notebook running through them, with no CPU metric, is idle by night. */
  readonly quietHours?: QuietHours | undefined;
}

/** Notebook kinds this rule judges. */
export const NOTEBOOK_KINDS = ['aws.sagemaker.notebook-instance', 'gcp.workbench.instance'] as const;

const WORKBENCH = 'gcp.workbench.instance';

/** Why a Workbench instance with no idle shutdown is reported even when it is busy. */
export const NO_IDLE_SHUTDOWN = 'running with no idle shutdown configured: a notify finding, no action is proposed for it';

/**
 * `idle-notebook`: a running notebook instance nobody uses.
 * - Where a CPU metric is published (AWS publishes none for notebook instances; the aws-samples
 *   `publish-instance-metrics` lifecycle configuration does), CPU below the threshold for the
 *   whole window is idle: high confidence when its datapoints cover at least 90% of the
 *   window's periods (at the period the collector asked for), medium when they cover less.
 * - Without one, a notebook that ran through the last quiet hours is idle by night, medium
 *   confidence — unless a lifecycle configuration stops it when idle, which is then trusted.
 * - Without either signal and with nothing that stops it when idle, usage is unknown: reported,
 *   never acted on.
 */
export const idleNotebook: ResourceRule<IdleNotebookSettings> = {
  id: 'idle-notebook',
  title: 'Idle notebook instance',
  explanation: 'A notebook instance bills every hour it is InService, whether or not anyone has it open.',
  kinds: NOTEBOOK_KINDS,
  signals: ['cpu'],
  severity: 'medium',
  actions: { 'aws.sagemaker.notebook-instance': 'aws.sagemaker.stop-notebook-instance', 'gcp.workbench.instance': 'gcp.workbench.stop-instance' },
  evaluate(input): RuleResult {
    const verdict = judgeNotebook(input);
    if (input.resource.kind !== WORKBENCH) return verdict;
    return withIdleShutdownCheck(input, verdict);
  },
};

/**
 * Workbench instances: a running instance with no idle shutdown (`idle-timeout-seconds`) is
 * reported whatever its usage, as a notify finding; an idle one gets the usual violation, whose
 * evidence says so.
 */
function withIdleShutdownCheck({ resource: r, now, prices }: Parameters<typeof idleNotebook.evaluate>[0], verdict: RuleResult): RuleResult {
  if (r.lifecycle !== 'running' || r.attributes['idleShutdown'] === true) return verdict;
  if (verdict.state === 'violation') return verdict;
  const since = dateAttribute(r, 'runningSince') ?? r.lastModifiedAt ?? r.createdAt;
  const rate = rateOf(r, 'notebook', prices);
  const type = r.components[0]?.instanceType ?? '?';
  const evidence = [
    `ACTIVE${since ? ` since ${utc(since)} (${duration(now.getTime() - since.getTime())})` : ''} on ${type}${rate ? ` (${rate.parts.replace(/ × 1$/, '')})` : ''}`,
    'no idle shutdown: the idle-timeout-seconds metadata is not set, so nothing stops it when nobody uses it',
    verdict.state === 'ok' ? `in use now (${verdict.evidence.join('; ')})` : verdict.state === 'unknown' ? `usage: ${verdict.evidence.slice(1, 2).join('')}` : `not judged idle: ${verdict.reason}`,
    'set one in the console (Workbench → instance → Software and security → Idle shutdown) or with gcp.workbench.set-idle-shutdown',
  ];
  return { state: 'violation', title: `Workbench instance ${r.name} runs with no idle shutdown`, evidence, confidence: 'high', notifyOnly: NO_IDLE_SHUTDOWN };
}

function judgeNotebook({ resource: r, usage, settings, now, prices }: Parameters<typeof idleNotebook.evaluate>[0]): RuleResult {
  {
    if (!(NOTEBOOK_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    const gcp = r.kind === WORKBENCH;
    const since = dateAttribute(r, 'runningSince') ?? r.lastModifiedAt ?? r.createdAt;
    const windowMs = settings.windowHours * 3_600_000;
    if (since && now.getTime() - since.getTime() < windowMs) {
      return { state: 'not-applicable', reason: `running for ${duration(now.getTime() - since.getTime())}, less than the ${settings.windowHours} h window` };
    }
    const type = r.components[0]?.instanceType ?? '?';
    const autoStop = numberAttribute(r, 'autoStopIdleMinutes');
    const lcc = typeof r.attributes['lifecycleConfigName'] === 'string' ? r.attributes['lifecycleConfigName'] : undefined;
    const runningLine = `${gcp ? 'ACTIVE' : 'InService'}${since ? ` since ${utc(since)} (${duration(now.getTime() - since.getTime())})` : ''} on ${type}`;
    const stopLine = gcp
      ? autoStop !== undefined
        ? `its idle shutdown (idle-timeout-seconds ${numberAttribute(r, 'idleTimeoutSeconds') ?? autoStop * 60}) should stop it after ${autoStop} min idle, yet it is still running (Workbench counts open kernels and terminals as activity)`
        : 'no idle shutdown: the idle-timeout-seconds metadata is not set'
      : undefined;
    const rate = rateOf(r, 'notebook', prices);
    const priced = (evidence: string[]) => {
      if (rate) return { waste: monthlyWaste(rate) };
      evidence.push(noPriceLine(r, 'notebook'));
      return {};
    };

    const cpuSeries = usage.filter((u) => u.signal === 'cpu');
    const window = { start: new Date(now.getTime() - windowMs), end: now };
    const cpu = pointsIn(cpuSeries, window);
    if (cpu.length > 0) {
      const peak = Math.max(...cpu.map((p) => p.value));
      if (peak >= settings.cpuBelowPercent) {
        // The busy period stays in the window, so the notebook stays judged busy, until windowHours after it ends.
        const until = lastBusyEnd(cpuSeries, settings.cpuBelowPercent);
        return { state: 'ok', evidence: [`CPU up to ${pct(peak)} in the last ${settings.windowHours} h`], ...(until ? { activeUntil: new Date(until + windowMs) } : {}) };
      }
      const evidence = [
        runningLine,
        `CPU in use below ${settings.cpuBelowPercent}% for all of the last ${settings.windowHours} h (peak ${pct(peak)}, from ${cpuSeries[0]?.metric ?? 'CPU'})`,
        stopLine ??
          (autoStop !== undefined
            ? `its lifecycle configuration ${lcc ?? ''} should stop it after ${autoStop} min idle, yet it is still running`
            : lcc
              ? `lifecycle configuration ${lcc} does not stop it when idle`
              : 'no lifecycle configuration stops it when idle'),
      ];
      const reading = readWindow(seriesFor(cpuSeries, { signal: 'cpu' }, window), window);
      const proven = reading.coverage >= PROVEN_COVERAGE;
      if (!proven) {
        evidence.splice(2, 0, `but CPU datapoints cover only ${Math.floor(reading.coverage * 100)}% of the window (${reading.points.length} of its ${reading.periods} periods of ${(reading.periodSeconds ?? 0) / 60} min): not proven idle`);
      }
      const confidence = proven ? 'high' : 'medium';
      return { state: 'violation', title: `${gcp ? 'Workbench' : 'notebook'} instance ${r.name} idle for ${settings.windowHours} h (CPU below ${settings.cpuBelowPercent}%)`, evidence, confidence, ...priced(evidence) };
    }
    const failed = cpuSeries.find((s) => s.status === 'error');
    if (autoStop !== undefined && !failed) {
      return { state: 'not-applicable', reason: gcp ? `its idle shutdown stops it after ${autoStop} min idle` : `lifecycle configuration ${lcc ?? ''} stops it after ${autoStop} min idle` };
    }
    const quiet = settings.quietHours ? lastQuietStretch(settings.quietHours, now, settings.windowHours) : undefined;
    if (settings.quietHours && quiet && since && since.getTime() <= quiet.start.getTime()) {
      const evidence = [
        runningLine,
        `ran through the quiet hours ${quietHoursText(settings.quietHours)}: ${utc(quiet.start)} to ${quiet.ongoing ? 'now' : utc(quiet.end)}, when nobody is around to use it`,
        failed
          ? `its CPU metric could not be read (${failed.error ?? 'error'})`
          : gcp
            ? 'no CPU utilization was written for its VM in the window, so idleness is inferred from the hour'
            : 'no CPU metric is published for it (AWS publishes none for notebook instances), so idleness is inferred from the hour',
        stopLine ?? (lcc ? `lifecycle configuration ${lcc} does not stop it when idle` : 'no lifecycle configuration stops it when idle'),
      ];
      return { state: 'violation', title: `${gcp ? 'Workbench' : 'notebook'} instance ${r.name} ran through the quiet hours`, evidence, confidence: 'medium', ...priced(evidence) };
    }
    if (settings.quietHours && quiet && since) {
      return { state: 'not-applicable', reason: `started ${utc(since)}, after the last quiet hours began; judged again after the next` };
    }
    return {
      state: 'unknown',
      title: `${gcp ? 'Workbench' : 'notebook'} instance ${r.name}: usage unknown and nothing stops it when idle — not acted on`,
      evidence: [
        runningLine,
        failed
          ? `its CPU metric could not be read (${failed.error ?? 'error'})`
          : gcp
            ? 'no CPU utilization (compute.googleapis.com/instance/cpu/utilization) was written for its VM in the window'
            : 'no CPU metric is published for it (AWS publishes none for notebook instances; the aws-samples publish-instance-metrics lifecycle configuration adds one)',
        settings.quietHours ? `no quiet hours ${quietHoursText(settings.quietHours)} in the last 8 days to judge it by` : 'no quietHours in costwatch.yml to judge it by night',
        gcp ? 'no idle shutdown stops it when idle: set idle-timeout-seconds' : `${lcc ? `lifecycle configuration ${lcc} does not stop it` : 'no lifecycle configuration stops it'} when idle: attach an auto-stop one (aws-samples auto-stop-idle)`,
      ],
    };
  }
}

/** End (epoch ms) of the last period whose CPU was at or above the threshold. */
function lastBusyEnd(series: readonly UsageSeries[], threshold: number): number | undefined {
  let last: number | undefined;
  for (const s of series) {
    if (s.status !== 'present') continue;
    const [a, b] = s.points;
    const period = a && b ? b.at.getTime() - a.at.getTime() : 3_600_000;
    for (const p of s.points) if (p.value >= threshold) last = Math.max(last ?? -Infinity, p.at.getTime() + period);
  }
  return last;
}

function pct(v: number): string {
  return `${Math.round(v * 10) / 10}%`;
}
