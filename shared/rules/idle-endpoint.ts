import type { UsageSeries } from '../domain/usage.js';
import { monthlyWaste, rateOf } from './helpers.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Settings of the idle-endpoint rule. */
export interface IdleEndpointSettings {
  /** Window over which zero requests makes an endpoint idle. */
  readonly windowHours: number;
  /** Endpoints younger than this are not judged. */
  readonly minAgeHours: number;
}

/** Endpoint kinds this rule judges, one per cloud as they are added. */
export const ENDPOINT_KINDS = ['aws.sagemaker.endpoint'] as const;

type Verdict =
  | { kind: 'busy'; requests: number }
  | { kind: 'zeros'; coverage: number }
  | { kind: 'heartbeat-only' }
  | { kind: 'unknown'; why: string };

/** Share of the window's periods that must carry zero datapoints for zeros to prove idleness. */
export const FULL_COVERAGE = 0.9;

/**
 * `idle-endpoint`: a provisioned inference endpoint that served no request over the window.
 * Zero requests proven by zero datapoints is high confidence; no request datapoints while the
 * heartbeat is present is medium; no data at all is unknown and never acted on.
 */
export const idleEndpoint: ResourceRule<IdleEndpointSettings> = {
  id: 'idle-endpoint',
  title: 'Idle inference endpoint',
  explanation: 'A provisioned endpoint bills every instance-hour whether or not it serves requests.',
  severity: 'high',
  kinds: ENDPOINT_KINDS,
  signals: ['requests', 'heartbeat'],
  actions: { 'aws.sagemaker.endpoint': 'aws.sagemaker.delete-endpoint' },
  evaluate({ resource: r, usage, settings, now, prices }): RuleResult {
    if (!(ENDPOINT_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    if (r.attributes['asynchronous'] === true) {
      return { state: 'not-applicable', reason: 'asynchronous endpoints publish no Invocations; judged by their own metrics' };
    }
    const provisioned = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
    if (provisioned.length === 0) return { state: 'not-applicable', reason: 'serverless or scaled to zero: costs nothing idle' };
    if (r.createdAt && now.getTime() - r.createdAt.getTime() < settings.minAgeHours * 3600_000) {
      return { state: 'not-applicable', reason: `created ${hoursAgo(r.createdAt, now)} ago, younger than ${settings.minAgeHours} h` };
    }

    const windowStart = new Date(now.getTime() - settings.windowHours * 3600_000);
    const verdicts = provisioned.map((c) => ({ name: c.name, v: judge(c.name, usage, windowStart, now, settings.windowHours) }));
    const lastActivity = lastRequest(usage);
    const lastLine = lastActivity
      ? `last request seen ${fmtTime(lastActivity)} (${hoursAgo(lastActivity, now)} ago)`
      : `no request seen in the ${historyHours(usage)} h of history read`;

    const busy = verdicts.filter((x) => x.v.kind === 'busy');
    if (busy.length > 0) {
      const total = busy.reduce((s, x) => s + (x.v.kind === 'busy' ? x.v.requests : 0), 0);
      const until = lastRequestEnd(usage);
      return {
        state: 'ok',
        evidence: [`${total} invocations in ${settings.windowHours} h`],
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
          ...unknown.map((x) => `variant ${x.name}: ${x.v.kind === 'unknown' ? x.v.why : ''}`),
          'missing metrics, permissions or wrong dimensions; no data is never read as zero usage',
        ],
      };
    }
    const proven = verdicts.filter((x) => x.v.kind === 'zeros' && x.v.coverage >= FULL_COVERAGE).length;
    const confidence = proven === verdicts.length ? 'high' : 'medium';
    const variantsText = `${verdicts.length} variant${verdicts.length > 1 ? 's' : ''}`;
    const evidence = [
      `0 invocations in ${settings.windowHours} h across ${variantsText}`,
      ...verdicts.map((x) =>
        x.v.kind === 'zeros'
          ? x.v.coverage >= FULL_COVERAGE
            ? `variant ${x.name}: Invocations datapoints present, all zero`
            : `variant ${x.name}: Invocations all zero, but datapoints cover only ${Math.round(x.v.coverage * 100)}% of the window`
          : `variant ${x.name}: no Invocations datapoints, but the instance heartbeat (CPUUtilization) is present — zero traffic, not proven by zeros`,
      ),
      lastLine,
    ];
    const rate = rateOf(r, 'hosting', prices);
    const waste = rate ? monthlyWaste(rate) : undefined;
    if (!waste) evidence.push(`no price known for ${provisioned.map((c) => c.instanceType ?? '?').join(', ')}: set prices.${r.cloud} in costwatch.yml`);
    return {
      state: 'violation',
      title: `endpoint ${r.name} had 0 invocations in ${settings.windowHours} h`,
      evidence,
      confidence,
      ...(waste ? { waste } : {}),
      ...(lastActivity ? { lastActivity } : {}),
    };
  },
};

function judge(component: string, usage: readonly UsageSeries[], start: Date, end: Date, windowHours: number): Verdict {
  const of = (signal: string) => usage.find((u) => u.component === component && u.signal === signal);
  const req = of('requests');
  const hb = of('heartbeat');
  const inWindow = (s: UsageSeries | undefined) =>
    s && s.status === 'present' ? s.points.filter((p) => p.at.getTime() + periodMs(s) > start.getTime() && p.at.getTime() <= end.getTime()) : [];
  const reqPoints = inWindow(req);
  if (reqPoints.length > 0) {
    const total = reqPoints.reduce((s, p) => s + p.value, 0);
    if (total > 0) return { kind: 'busy', requests: total };
    const periods = (windowHours * 3600_000) / periodMs(req!);
    return { kind: 'zeros', coverage: Math.min(1, reqPoints.length / periods) };
  }
  const hbPoints = inWindow(hb).filter((p) => p.value > 0);
  if (hbPoints.length > 0) return { kind: 'heartbeat-only' };
  const errors = [req, hb].filter((s) => s?.status === 'error').map((s) => s?.error);
  if (errors.length > 0) return { kind: 'unknown', why: `metrics could not be read (${errors.join('; ')})` };
  return { kind: 'unknown', why: 'no Invocations and no CPUUtilization datapoints in the window' };
}

/** Spacing of the series' datapoints (hourly by default), to tell which period overlaps the window. */
function periodMs(s: UsageSeries): number {
  const [a, b] = s.points;
  return a && b ? b.at.getTime() - a.at.getTime() : 3600_000;
}

/** The end of the last period that carried a request, of any variant. */
function lastRequestEnd(usage: readonly UsageSeries[]): Date | undefined {
  let last: number | undefined;
  for (const u of usage) {
    if (u.signal !== 'requests' || u.status !== 'present') continue;
    for (const p of u.points) if (p.value > 0) last = Math.max(last ?? -Infinity, p.at.getTime() + periodMs(u));
  }
  return last === undefined ? undefined : new Date(last);
}

function lastRequest(usage: readonly UsageSeries[]): Date | undefined {
  let last: Date | undefined;
  for (const u of usage) {
    if (u.signal !== 'requests') continue;
    for (const p of u.points) if (p.value > 0 && (!last || p.at > last)) last = p.at;
  }
  return last;
}

function historyHours(usage: readonly UsageSeries[]): number {
  const w = usage[0]?.window;
  return w ? Math.round((w.end.getTime() - w.start.getTime()) / 3600_000) : 0;
}

function hoursAgo(t: Date, now: Date): string {
  const h = (now.getTime() - t.getTime()) / 3600_000;
  return h >= 48 ? `${Math.round(h / 24)} d` : `${Math.round(h)} h`;
}

function fmtTime(t: Date): string {
  return `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
