import type { UsageSeries } from '../domain/usage.js';
import { duration, monthlyWaste, noPriceLine, numberAttribute, pointsIn, rateOf, utc } from './helpers.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Settings of the idle-cluster rule (`rules.idle-cluster`). */
export interface IdleClusterSettings {
  /** Window over which no node running a job makes a cluster idle. */
  readonly windowHours: number;
}

/** Cluster kinds this rule judges. */
export const CLUSTER_KINDS = ['azure.ml.compute-cluster'] as const;

/** Share of the window's hours that must carry zero `Active Nodes` for zeros to prove idleness. */
const FULL_COVERAGE = 0.9;

/**
 * `idle-cluster`: a training cluster kept at a minimum of nodes above zero that ran no job over
 * the window — those nodes bill every hour for nothing. Node activity is the workspace's
 * `Active Nodes` (nodes running a job, split by ClusterName); `Idle Nodes` is the heartbeat:
 * - Active Nodes datapoints all zero over the window: idle, high confidence;
 * - no Active Nodes datapoints, Idle Nodes present: idle, medium;
 * - neither: unknown, never acted on.
 * The waste is the minimum nodes × the VM's hourly price × 730 h: what setting the minimum to 0
 * saves (jobs still scale the cluster up).
 */
export const idleCluster: ResourceRule<IdleClusterSettings> = {
  id: 'idle-cluster',
  title: 'Idle compute cluster',
  explanation: 'A cluster with a minimum node count above zero keeps those nodes, and bills them, while no job runs.',
  kinds: CLUSTER_KINDS,
  severity: 'medium',
  actions: { 'azure.ml.compute-cluster': 'azure.ml.set-cluster-min-nodes-zero' },
  evaluate({ resource: r, usage, settings, now, prices }): RuleResult {
    if (!(CLUSTER_KINDS as readonly string[]).includes(r.kind)) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    const minNodes = numberAttribute(r, 'minNodes') ?? 0;
    if (minNodes === 0) return { state: 'not-applicable', reason: 'minimum node count 0: the cluster releases idle nodes by itself' };
    const windowMs = settings.windowHours * 3_600_000;
    if (r.createdAt && now.getTime() - r.createdAt.getTime() < windowMs) {
      return { state: 'not-applicable', reason: `created ${duration(now.getTime() - r.createdAt.getTime())} ago, younger than the ${settings.windowHours} h window` };
    }
    const start = new Date(now.getTime() - windowMs);
    const active = usage.filter((u) => u.signal === 'requests');
    const idle = usage.filter((u) => u.signal === 'heartbeat');
    const activePts = pointsIn(active, start, now);
    const busy = activePts.filter((p) => p.value > 0);
    const lastBusy = lastActive(active);
    if (busy.length > 0) return { state: 'ok', evidence: [`nodes ran jobs in ${busy.length} of the last ${settings.windowHours} h (Active Nodes up to ${Math.max(...busy.map((p) => p.value))})`] };

    const type = r.components[0]?.instanceType ?? '?';
    const head = `min ${minNodes} node${minNodes > 1 ? 's' : ''} of ${type} (${String(r.attributes['vmPriority'] ?? 'Dedicated')}), max ${String(r.attributes['maxNodes'] ?? '?')}, ${String(r.attributes['currentNodes'] ?? '?')} allocated now`;
    const lastLine = lastBusy ? `last job seen on a node ${utc(lastBusy)} (${duration(now.getTime() - lastBusy.getTime())} ago)` : `no job seen on a node in the ${historyHours(usage)} h of history read`;
    let confidence: 'high' | 'medium';
    let signalLine: string;
    if (activePts.length > 0) {
      const coverage = Math.min(1, activePts.length / settings.windowHours);
      confidence = coverage >= FULL_COVERAGE ? 'high' : 'medium';
      signalLine = coverage >= FULL_COVERAGE ? 'Active Nodes datapoints present, all zero' : `Active Nodes all zero, but datapoints cover only ${Math.round(coverage * 100)}% of the window`;
    } else if (pointsIn(idle, start, now).some((p) => p.value > 0)) {
      confidence = 'medium';
      signalLine = 'no Active Nodes datapoints, but Idle Nodes shows nodes allocated — no job, not proven by zeros';
    } else {
      const failed = [...active, ...idle].find((s) => s.status === 'error');
      return {
        state: 'unknown',
        title: `compute cluster ${r.name}: node activity unknown (no Active Nodes and no Idle Nodes data) — not acted on`,
        evidence: [head, failed ? `its metrics could not be read (${failed.error ?? 'error'})` : 'no Active Nodes and no Idle Nodes datapoints in the window', 'missing metrics, permissions or wrong dimensions; no data is never read as zero usage'],
      };
    }
    const evidence = [head, `no node ran a job in ${settings.windowHours} h: ${signalLine}`, lastLine];
    // The saving is the minimum nodes kept for nothing, priced at the dedicated rate.
    const kept = { ...r, components: r.components.map((c) => ({ ...c, instanceCount: minNodes })) };
    const lowPriority = r.attributes['vmPriority'] === 'LowPriority';
    const rate = lowPriority ? undefined : rateOf(kept, 'training', prices);
    if (lowPriority) evidence.push('low-priority nodes are billed below the bundled dedicated price: no dollar figure is given (set prices.azure "training:<VM size>" to price them)');
    else if (!rate) evidence.push(noPriceLine(kept, 'training'));
    return {
      state: 'violation',
      title: `compute cluster ${r.name} kept ${minNodes} node${minNodes > 1 ? 's' : ''} with no job for ${settings.windowHours} h`,
      evidence,
      confidence,
      ...(rate ? { waste: monthlyWaste(rate) } : {}),
      ...(lastBusy ? { lastActivity: lastBusy } : {}),
    };
  },
};

function lastActive(series: readonly UsageSeries[]): Date | undefined {
  let last: Date | undefined;
  for (const s of series) for (const p of s.points) if (p.value > 0 && (!last || p.at > last)) last = p.at;
  return last;
}

function historyHours(usage: readonly UsageSeries[]): number {
  const w = usage[0]?.window;
  return w ? Math.round((w.end.getTime() - w.start.getTime()) / 3_600_000) : 0;
}
