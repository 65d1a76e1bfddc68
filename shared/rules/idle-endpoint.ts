import type { UsageSeries } from '../domain/usage.js';
import { monthlyWaste, rateOf } from './helpers.js';
import { agoText, hoursRead, lastAboveZero, periodText, pointsIn, PROVEN_COVERAGE, readWindow, seriesFor, type TimeWindow } from './series.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Settings of the idle-endpoint rule. */
export interface IdleEndpointSettings {
  /** Window over which zero requests makes an endpoint idle. */
  readonly windowHours: number;
  /** Endpoints younger than this are not judged. */
  readonly minAgeHours: number;
}

/** Endpoint kinds this rule judges, one per cloud as they are added. */
export const ENDPOINT_KINDS = ['aws.sagemaker.endpoint', 'gcp.vertex.endpoint'] as const;

interface Words {
  readonly part: string;
  readonly requests: string;
  readonly heartbeat: string;
  readonly calls: string;
  readonly neither: string;
}

/** How each cloud names the parts of an endpoint and its metrics, for the evidence. */
const WORDS: Readonly<Record<string, Words>> = {
  'aws.sagemaker.endpoint': { part: 'variant', requests: 'Invocations', heartbeat: 'the instance heartbeat (CPUUtilization)', calls: 'invocations', neither: 'no Invocations and no CPUUtilization datapoints in the window' },
  'gcp.vertex.endpoint': {
    part: 'deployed model',
    requests: 'prediction_count',
    heartbeat: 'the replica heartbeat (prediction/online/replicas)',
    calls: 'predictions',
    neither: 'no prediction_count and no prediction/online/replicas datapoints in the window',
  },
};
const OTHER_WORDS: Words = { part: 'variant', requests: 'requests', heartbeat: 'the heartbeat', calls: 'requests', neither: 'no request and no heartbeat datapoints in the window' };

type Verdict =
  | { kind: 'busy'; requests: number }
  | { kind: 'zeros'; coverage: number; datapoints: number; periods: number; periodSeconds: number }
  | { kind: 'heartbeat-only' }
  | { kind: 'unknown'; why: string };

/** Share of the window's periods that must carry zero datapoints for zeros to prove idleness. */
export const FULL_COVERAGE = PROVEN_COVERAGE;

/**
 * `idle-endpoint`: a provisioned inference endpoint that served no request over the window.
 * Zero requests proven by zero datapoints in at least 90% of the window's periods (at the period
 * the collector asked for) is high confidence; fewer zeros, or no request datapoints while the
 * heartbeat is present, is medium; no data at all is unknown and never acted on.
 */
export const idleEndpoint: ResourceRule<IdleEndpointSettings> = {
  id: 'idle-endpoint',
  title: 'Idle inference endpoint',
  explanation: 'A provisioned endpoint bills every instance-hour whether or not it serves requests.',
  severity: 'high',
  kinds: ENDPOINT_KINDS,
  signals: ['requests', 'heartbeat'],
  actions: { 'aws.sagemaker.endpoint': 'aws.sagemaker.delete-endpoint', 'gcp.vertex.endpoint': 'gcp.vertex.undeploy-models' },
  evaluate({ resource: r, usage, settings, now, prices }): RuleResult {
    if (!(ENDPOINT_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    if (r.attributes['asynchronous'] === true) {
      return { state: 'not-applicable', reason: 'asynchronous endpoints publish no Invocations; judged by their own metrics' };
    }
    const words = WORDS[r.kind] ?? OTHER_WORDS;
    // Only dedicated capacity is judged: an endpoint is idle when every dedicated part of it is.
    const provisioned = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
    const shared = r.components.filter((c) => c.capacity === 'shared');
    if (provisioned.length === 0) {
      return {
        state: 'not-applicable',
        reason: shared.length > 0 ? 'only shared or automatic resources (billed on their deployment resource pool, or sized by Vertex AI): not judged per model' : 'serverless or scaled to zero: costs nothing idle',
      };
    }
    if (r.createdAt && now.getTime() - r.createdAt.getTime() < settings.minAgeHours * 3600_000) {
      return { state: 'not-applicable', reason: `created ${hoursAgo(r.createdAt, now)} ago, younger than ${settings.minAgeHours} h` };
    }

    const window = { start: new Date(now.getTime() - settings.windowHours * 3600_000), end: now };
    const verdicts = provisioned.map((c) => ({ name: c.name, v: judge(c.name, usage, window, words) }));
    const requestSeries = usage.filter((u) => u.signal === 'requests');
    const last = lastAboveZero(requestSeries);
    const lastLine = last
      ? `last request seen ${periodText(last)} (${agoText(last, now)} ago)`
      : `no request seen in the ${hoursRead(requestSeries, now)} h of history read`;
    const lastActivity = last?.end;

    const busy = verdicts.filter((x) => x.v.kind === 'busy');
    if (busy.length > 0) {
      const total = busy.reduce((s, x) => s + (x.v.kind === 'busy' ? x.v.requests : 0), 0);
      const until = lastActivity;
      return {
        state: 'ok',
        evidence: [`${total} ${words.calls} in ${settings.windowHours} h`],
        // The last request's period stays in the window for windowHours after it ends.
        ...(until ? { activeUntil: new Date(until.getTime() + settings.windowHours * 3600_000) } : {}),
      };
    }
    const unknown = verdicts.filter((x) => x.v.kind === 'unknown');
    if (unknown.length > 0) {
      return {
        state: 'unknown',
        title: `endpoint ${r.name}: usage unknown (no request metric and no heartbeat) — not acted on`,
        evidence: [
          ...unknown.map((x) => `${words.part} ${x.name}: ${x.v.kind === 'unknown' ? x.v.why : ''}`),
          'missing metrics, permissions or wrong dimensions; no data is never read as zero usage',
        ],
      };
    }
    const proven = verdicts.filter((x) => x.v.kind === 'zeros' && x.v.coverage >= FULL_COVERAGE).length;
    const confidence = proven === verdicts.length ? 'high' : 'medium';
    const variantsText = `${verdicts.length} ${words.part}${verdicts.length > 1 ? 's' : ''}`;
    const evidence = [
      `0 ${words.calls} in ${settings.windowHours} h across ${variantsText}`,
      ...verdicts.map((x) =>
        x.v.kind === 'zeros'
          ? x.v.coverage >= FULL_COVERAGE
            ? `${words.part} ${x.name}: ${words.requests} datapoints present, all zero (${x.v.datapoints} of the window's ${x.v.periods} ${periodName(x.v.periodSeconds)} periods)`
            : `${words.part} ${x.name}: ${words.requests} all zero, but datapoints cover only ${Math.floor(x.v.coverage * 100)}% of the window (${x.v.datapoints} of its ${x.v.periods} ${periodName(x.v.periodSeconds)} periods): not proven idle`
          : `${words.part} ${x.name}: no ${words.requests} datapoints, but ${words.heartbeat} is present — zero traffic, not proven by zeros`,
      ),
      ...(shared.length > 0 ? [`${shared.map((c) => c.name).join(', ')}: shared or automatic resources, not judged and left deployed`] : []),
      lastLine,
    ];
    const rate = rateOf(r, 'hosting', prices);
    const waste = rate ? monthlyWaste(rate) : undefined;
    if (!waste) evidence.push(`no price known for ${provisioned.map((c) => `${c.instanceType ?? '?'}${c.accelerator ? ` + ${c.accelerator.count} × ${c.accelerator.type}` : ''}`).join(', ')}: set prices.${r.cloud} in costwatch.yml`);
    return {
      state: 'violation',
      title: `endpoint ${r.name} had 0 ${words.calls} in ${settings.windowHours} h`,
      evidence,
      confidence,
      ...(waste ? { waste } : {}),
      ...(lastActivity ? { lastActivity } : {}),
    };
  },
};

function judge(component: string, usage: readonly UsageSeries[], window: TimeWindow, words: Words): Verdict {
  const requests = usage.filter((u) => u.component === component && u.signal === 'requests');
  // Any request in the window, whichever series saw it, makes the variant busy.
  const seen = pointsIn(requests, window);
  const total = seen.reduce((s, p) => s + p.value, 0);
  if (total > 0) return { kind: 'busy', requests: total };
  const req = seriesFor(usage, { component, signal: 'requests' }, window);
  // A request metric that could not be read is no evidence of zero traffic, whatever the heartbeat says.
  if (req?.status === 'error') return { kind: 'unknown', why: `${words.requests} could not be read (${req.error ?? 'error'})` };
  const reading = readWindow(req, window);
  if (reading.points.length > 0) {
    return { kind: 'zeros', coverage: reading.coverage, datapoints: reading.points.length, periods: reading.periods, periodSeconds: reading.periodSeconds ?? 0 };
  }
  const hb = seriesFor(usage, { component, signal: 'heartbeat' }, window);
  const beat = readWindow(hb, window);
  if (beat.points.some((p) => p.value > 0)) return { kind: 'heartbeat-only' };
  const errors = [req, hb].filter((s) => s?.status === 'error').map((s) => s?.error);
  if (errors.length > 0) return { kind: 'unknown', why: `metrics could not be read (${errors.join('; ')})` };
  return { kind: 'unknown', why: words.neither };
}

/** `hourly`, `5-minute`, `2-hour`. */
function periodName(seconds: number): string {
  if (seconds === 3600) return 'hourly';
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  if (seconds % 60 === 0) return `${seconds / 60}-minute`;
  return `${seconds}-second`;
}

function hoursAgo(t: Date, now: Date): string {
  const h = (now.getTime() - t.getTime()) / 3600_000;
  return h >= 48 ? `${Math.round(h / 24)} d` : `${Math.round(h)} h`;
}
