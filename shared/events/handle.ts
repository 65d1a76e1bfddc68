import { ACTIONS } from '../actions/index.js';
import { activeRules, lookbackHours, plannerPolicy } from '../app/compose.js';
import type { Clock } from '../clock.js';
import type { ProposedAction } from '../domain/action.js';
import type { Finding } from '../domain/finding.js';
import type { Resource } from '../domain/resource.js';
import { AlreadyDecidedError, ConditionFailedError } from '../errors.js';
import type { Notification, Notifier } from '../notify/port.js';
import { holdToDailyLimit } from '../pipeline/daily-limit.js';
import { executeProposal, type ExecutionOutcome } from '../pipeline/execute.js';
import { settledGuards } from '../pipeline/guards.js';
import { plan } from '../planner/plan.js';
import { RESOURCE_RULES } from '../rules/index.js';
import type { StateStore } from '../store/port.js';
import { AlertDedup } from './dedup.js';
import type { CloudEvent } from './event.js';
import { anomalyFindings, budgetFindings, eventSummary, type Raised, type RaisedFinding } from './findings.js';
import { watchResource, type WatchDeps } from './watch.js';

/** What handling a cloud event needs; all injected. */
export interface EventDeps extends WatchDeps {
  readonly store: StateStore;
  readonly notifier: Notifier;
  readonly clock: Clock;
  /** Overrides the policy's `dryRun`: plan and notify with `dryRun`, but write no state (no alert mark, no proposal) and change nothing. */
  readonly dryRun?: boolean;
  /** How long one delivery holds an alert while sending it (default 60 s). */
  readonly leaseMs?: number;
}

/** What one event led to. */
export interface EventOutcome {
  /** One line about the event. */
  readonly summary: string;
  /** Every finding the event raised, alerted now or not. */
  readonly findings: readonly Finding[];
  /** Ids of the findings published now. */
  readonly published: readonly string[];
  /** Ids of findings already alerted for this period (re-sent or duplicate deliveries). */
  readonly duplicates: readonly string[];
  /** Ids of findings another delivery is sending right now: the caller should have this one retried. */
  readonly inFlight: readonly string[];
  /** Why nothing was alerted where nothing was (status update, below threshold, rule disabled, ...). */
  readonly ignored: readonly string[];
  readonly proposals: readonly ProposedAction[];
  /** Ids of open proposals in a budget or anomaly finding's scope, listed with its alert. */
  readonly related: readonly string[];
}

/**
 * The event use-case: normalized event → findings (budget and forecast breaches per threshold,
 * anomalies over the impact threshold, resources to watch) → alert-once dedup → proposals where
 * the policy has an action → one publish through the Notifier. If publishing fails, the claims
 * are released and the error is thrown, so the delivery is retried and nothing is lost.
 */
export async function handleCloudEvent(event: CloudEvent, deps: EventDeps): Promise<EventOutcome> {
  const now = deps.clock.now();
  const raised = await raise(event, deps, now);
  const base = { summary: eventSummary(event), findings: raised.findings.map((r) => r.finding), ignored: raised.ignored };
  const dryRun = deps.dryRun ?? deps.policy.dryRun;
  if (dryRun) {
    // A dry run writes no state: no alert is marked sent (the notifier posts nothing in a dry run,
    // so marking would swallow the alert once dry run is turned off), no proposal is stored.
    if (raised.findings.length === 0) return { ...base, published: [], duplicates: [], inFlight: [], proposals: [], related: [] };
    const proposed = await propose(raised.findings, deps, now, true);
    await deps.notifier.publish(notifications(raised.findings, proposed), { dryRun, now });
    return { ...base, published: raised.findings.map((r) => r.finding.id), duplicates: [], inFlight: [], proposals: proposed.proposals, related: [] };
  }

  const dedup = new AlertDedup(deps.store, deps.leaseMs);
  const claimed: { raised: RaisedFinding; leaseEnd: Date }[] = [];
  const duplicates: string[] = [];
  const inFlight: string[] = [];
  try {
    for (const r of raised.findings) {
      const c = await dedup.claim(r.dedupKey, now);
      if (c.state === 'claimed') claimed.push({ raised: r, leaseEnd: c.leaseEnd });
      else (c.state === 'duplicate' ? duplicates : inFlight).push(r.finding.id);
    }
  } catch (err) {
    await releaseAll(dedup, claimed, deps.clock);
    throw err;
  }
  if (claimed.length === 0) return { ...base, published: [], duplicates, inFlight, proposals: [], related: [] };

  let proposals: ProposedAction[];
  let related: Notification[] = [];
  try {
    const proposed = await propose(claimed.map((c) => c.raised), deps, now, false);
    proposals = proposed.proposals;
    const batch = notifications(claimed.map((c) => c.raised), proposed);
    related = await relatedOpenProposals(batch, deps.store, now);
    await deps.notifier.publish([...batch, ...related], { dryRun, now });
  } catch (err) {
    await releaseAll(dedup, claimed, deps.clock);
    throw err;
  }
  for (const c of claimed) await dedup.confirm(c.raised.dedupKey, c.leaseEnd, deps.clock.now(), c.raised.until);
  return { ...base, published: claimed.map((c) => c.raised.finding.id), duplicates, inFlight, proposals, related: related.flatMap((n) => (n.proposal ? [n.proposal.id] : [])) };
}

/**
 * A budget or anomaly alert lists the actions already proposed in its cloud and scope (e.g. stop
 * an idle notebook there, waiting for approval), as a scan's alert does: the open proposals go
 * into the same publish, each with the finding its own message shows, so nothing is re-posted.
 */
async function relatedOpenProposals(batch: readonly Notification[], store: StateStore, now: Date): Promise<Notification[]> {
  const scopes = new Set(batch.filter((n) => n.finding.budget && !n.finding.resource).map((n) => `${n.finding.cloud}|${n.finding.scopeId}`));
  if (scopes.size === 0) return [];
  const inBatch = new Set(batch.flatMap((n) => (n.proposal ? [n.proposal.id] : [])));
  const open = (await store.listProposals({ status: ['proposed'] })).filter(
    (p) => p.expiresAt > now && !inBatch.has(p.id) && scopes.has(`${p.resource.cloud}|${p.resource.scopeId}`),
  );
  if (open.length === 0) return [];
  // The finding a proposal's message shows is kept with that message; without one there is nothing to list it by.
  // A proposal's message is posted (and so updated) no earlier than the proposal was made.
  const since = new Date(Math.min(...open.map((p) => p.createdAt.getTime())));
  const findingOf = new Map((await store.listSlackMessages({ since })).flatMap((m) => (m.proposalId ? [[m.proposalId, m.finding] as const] : [])));
  return open.flatMap((proposal) => {
    const finding = findingOf.get(proposal.id);
    return finding ? [{ finding, proposal }] : [];
  });
}

function notifications(raised: readonly RaisedFinding[], proposed: { proposals: readonly ProposedAction[]; outcomes: ReadonlyMap<string, ExecutionOutcome> }): Notification[] {
  const byFinding = new Map(proposed.proposals.map((p) => [p.findingId, p]));
  return raised.map(({ finding }) => {
    const proposal = byFinding.get(finding.id);
    const outcome = proposal ? proposed.outcomes.get(proposal.id) : undefined;
    return { finding, ...(proposal ? { proposal } : {}), ...(outcome ? { outcome } : {}) };
  });
}

async function raise(e: CloudEvent, deps: EventDeps, now: Date): Promise<Raised> {
  switch (e.type) {
    case 'budget':
      return budgetFindings(e, deps.policy, now);
    case 'anomaly':
      return anomalyFindings(e, deps.policy, now);
    case 'resource-state':
      return watchResource(e, deps, now);
  }
}

async function releaseAll(dedup: AlertDedup, claimed: readonly { raised: RaisedFinding; leaseEnd: Date }[], clock: Clock): Promise<void> {
  for (const c of claimed) {
    // Best effort: a lease that cannot be released expires by itself; the original error is what matters.
    await dedup.release(c.raised.dedupKey, c.leaseEnd, clock.now()).catch(() => undefined);
  }
}

/**
 * Plans the findings about a resource as a scan would (modes, exemptions, snoozes, limits), stores
 * the proposals and runs `auto` ones through the executor, which re-checks the resource first.
 * Budget and anomaly findings name no resource, so the planner proposes nothing for them.
 */
async function propose(
  raised: readonly RaisedFinding[],
  deps: EventDeps,
  now: Date,
  dryRun: boolean,
): Promise<{ proposals: ProposedAction[]; outcomes: Map<string, ExecutionOutcome> }> {
  const outcomes = new Map<string, ExecutionOutcome>();
  const resources = new Map<string, Resource>();
  for (const r of raised) if (r.resource && r.finding.state === 'violation') resources.set(r.resource.id, r.resource);
  if (resources.size === 0) return { proposals: [], outcomes };

  const { store } = deps;
  const policy = plannerPolicy(deps.policy, () => now);
  const rulesById = new Map(RESOURCE_RULES.map((r) => [r.id, r]));
  const open = await store.listProposals({ status: ['proposed', 'approved', 'executing'] });
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const executedToday = (await store.listAudit({ since: dayStart })).filter((e) => e.event === 'executed').length;
  const planned = plan({
    findings: raised.map((r) => r.finding),
    resources,
    // A rule may name an action kind that is not defined in this version: propose nothing then.
    actionKindFor: (ruleId, kind) => {
      const k = rulesById.get(ruleId)?.actions[kind];
      return k && ACTIONS.some((a) => a.kind === k) ? k : undefined;
    },
    policy,
    state: {
      openProposals: new Map(open.filter((p) => p.expiresAt > now).map((p) => [p.key, p])),
      snoozedUntil: new Map((await store.activeSnoozes(now)).map((s) => [s.resourceId, s.until])),
      chatExemptions: new Map((await store.activeExemptions(now)).map((e) => [e.resourceId, e.reason])),
      executedToday,
      settled: await settledGuards(store),
    },
    now,
  });
  if (dryRun) return { proposals: [...planned.proposals], outcomes };

  const proposals: ProposedAction[] = [];
  for (const p of await holdToDailyLimit(planned.proposals, store, now, policy.limits.maxActionsPerDay)) {
    const stored = await store.upsertProposal(p);
    // Audited once, when it is created: a proposal already stored (executed, decided) is not proposed again.
    if (stored.status === 'proposed' && !open.some((o) => o.id === p.id)) {
      await store.appendAudit({ at: now, actor: 'costwatch', event: 'proposed', proposalId: p.id, resourceId: p.resource.id, detail: `${p.kind} (${p.mode}${p.modeReason ? `: ${p.modeReason}` : ''}); raised by a cloud event` });
    }
    proposals.push(stored);
  }
  const rules = activeRules(deps.policy);
  for (const p of proposals) {
    // A guard asks first: the scan after its due time acts if nobody answered.
    if (p.mode !== 'auto' || p.status !== 'proposed' || p.dueAt !== undefined) continue;
    try {
      await store.decide({ proposalId: p.id, verdict: 'approve', by: 'policy', at: now, via: 'policy', note: 'auto mode' });
      await store.transitionProposal(p.id, ['proposed'], 'approved', { at: now });
    } catch (err) {
      if (err instanceof AlreadyDecidedError || err instanceof ConditionFailedError) continue;
      throw err;
    }
    const outcome = await executeProposal(p.id, 'policy', {
      store,
      providers: deps.providers,
      rules: new Map(rules.map((r) => [r.rule.id, r])),
      policy,
      prices: deps.prices,
      clock: deps.clock,
      lookbackHours: lookbackHours(rules),
    });
    outcomes.set(p.id, outcome);
  }
  return { proposals, outcomes };
}
