import { duration, monthlyWaste, noPriceLine, numberAttribute, rateOf } from './helpers.js';
import { agoText, hoursRead, lastAboveZero, periodText, pointsIn, PROVEN_COVERAGE, readWindow, seriesFor } from './series.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Settings of the idle-cluster rule (`rules.idle-cluster`). */
export interface IdleClusterSettings {
  /** Window over which no node running a job makes a cluster idle. */
  readonly windowHours: number;
}

/** Cluster kinds this rule judges. */
export const CLUSTER_KINDS = ['azure.ml.compute-cluster'] as const;

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
  // Active Nodes is read as `requests`, Idle Nodes as `heartbeat`.
  signals: ['requests', 'heartbeat'],
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
    const window = { start: new Date(now.getTime() - windowMs), end: now };
    const active = usage.filter((u) => u.signal === 'requests');
    const idle = usage.filter((u) => u.signal === 'heartbeat');
    const busy = pointsIn(active, window).filter((p) => p.value > 0);
    const last = lastAboveZero(active);
    const lastBusy = last?.end;
    if (busy.length > 0) {
      return {
        state: 'ok',
        evidence: [`nodes ran jobs in ${busy.length} of the last ${settings.windowHours} h (Active Nodes up to ${Math.max(...busy.map((p) => p.value))})`],
        // The last busy period stays in the window, so the cluster stays judged busy, until windowHours after it ends.
        ...(lastBusy ? { activeUntil: new Date(lastBusy.getTime() + windowMs) } : {}),
      };
    }

    const type = r.components[0]?.instanceType ?? '?';
    const head = `min ${minNodes} node${minNodes > 1 ? 's' : ''} of ${type} (${String(r.attributes['vmPriority'] ?? 'Dedicated')}), max ${String(r.attributes['maxNodes'] ?? '?')}, ${String(r.attributes['currentNodes'] ?? '?')} allocated now`;
    const lastLine = last ? `last job seen on a node ${periodText(last)} (${agoText(last, now)} ago)` : `no job seen on a node in the ${hoursRead(active, now)} h of history read`;
    const reading = readWindow(seriesFor(active, { signal: 'requests' }, window), window);
    let confidence: 'high' | 'medium';
    let signalLine: string;
    if (reading.points.length > 0) {
      confidence = reading.coverage >= PROVEN_COVERAGE ? 'high' : 'medium';
      signalLine =
        reading.coverage >= PROVEN_COVERAGE
          ? `Active Nodes datapoints present, all zero (${reading.points.length} of the window's ${reading.periods} periods)`
          : `Active Nodes all zero, but datapoints cover only ${Math.floor(reading.coverage * 100)}% of the window (${reading.points.length} of its ${reading.periods} periods)`;
    } else if (pointsIn(idle, window).some((p) => p.value > 0)) {
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
