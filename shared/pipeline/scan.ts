import type { Clock } from '../clock.js';
import type { ProposedAction } from '../domain/action.js';
import { isMonthlyWaste, type Finding } from '../domain/finding.js';
import { totalsByCurrency, type Money } from '../domain/money.js';
import type { Cloud, Resource } from '../domain/resource.js';
import { AlreadyDecidedError, ConditionFailedError } from '../errors.js';
import { plan, type PlannerPolicy, type Skip } from '../planner/plan.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { CloudProvider, Collection, CollectionPlan, ScopeTarget } from '../providers/port.js';
import { collectionPlan } from './collection-plan.js';
import { runDueGuards, settledGuards } from './guards.js';
import { scopeKey, Watermarks } from './watermarks.js';
import type { RuleResult } from '../rules/types.js';
import type { Notifier } from '../notify/port.js';
import type { ExecutionQueue } from '../queue/port.js';
import type { StateStore } from '../store/port.js';
import { mapLimit } from '../util/concurrency.js';
import { detectCosts, judgeCollection, mergeVerdicts, usageWindowHours, type ActiveCostRule, type ActiveRule, type DetectHooks, type DetectStats } from './detect.js';
import type { Budget } from '../domain/budget.js';
import { executeProposal, INTERRUPTED_AFTER_MINUTES, recoverInterrupted, type ExecutionOutcome } from './execute.js';
import { priceCollections } from './price-resources.js';
import { holdToDailyLimit } from './daily-limit.js';
import { savingsToClose } from '../savings/reconcile.js';
import { recordSpend } from '../report/spend.js';

/** Progress events, for a TTY spinner or logs. */
export type ScanProgress =
  | { readonly type: 'collect-start'; readonly target: ScopeTarget }
  | { readonly type: 'collect-done'; readonly target: ScopeTarget; readonly resources: number; readonly failures: number; readonly ms: number }
  | { readonly type: 'phase'; readonly phase: 'detect' | 'plan' | 'execute' };

export interface ScanOptions {
  readonly targets: readonly ScopeTarget[];
  readonly rules: readonly ActiveRule[];
  readonly policy: PlannerPolicy;
  /** Nothing mutates: no cloud change, no state written. */
  readonly dryRun: boolean;
  readonly lookbackHours: number;
  /** How many scopes are collected at once. */
  readonly concurrency?: number;
  /** Budget, forecast and anomaly rules, run once over every scope's costs. */
  readonly costRules?: readonly ActiveCostRule[];
  /** The policy's budgets, for the cost rules. */
  readonly budgets?: readonly Budget[];
  /** What to read; default: what the rules and cost rules need (`collectionPlan`). */
  readonly plan?: CollectionPlan;
  /**
   * Activity watermarks (default on): a resource's usage is read only when a rule may find it
   * in violation (see `Watermarks`). A dry run neither reads nor writes them: it judges everything.
   */
  readonly usageWatermarks?: boolean;
  /** How often a flagged resource is re-read until acted on or recovered (default FLAGGED_RECHECK_HOURS). */
  readonly flaggedRecheckHours?: number;
}

export interface ScanDeps {
  readonly providers: ReadonlyMap<Cloud, CloudProvider>;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly prices: PriceBook;
  readonly onProgress?: (e: ScanProgress) => void;
  /** Told about every finding after planning and execution (Slack when configured). */
  readonly notifier?: Notifier;
  /**
   * The executor's queue. When given, approved proposals that were never executed (the approval
   * was recorded but its job was lost) are queued again after STALE_APPROVAL_MINUTES.
   */
  readonly executionQueue?: ExecutionQueue;
  /**
   * Recover first what an interrupted run left `approved` or `executing` (see recoverInterrupted):
   * for runs with no execution queue that are the only executor of their state (a local scan under
   * the state folder's lock).
   */
  readonly recoverInterrupted?: boolean;
}

/** Per scope: what was read. */
export interface ScopeSummary {
  readonly target: ScopeTarget;
  readonly resources: number;
  readonly failures: number;
}

/** Everything a scan found, proposed and did. */
export interface ScanReport {
  /** Scan time on the injected clock (the world's time in the sandbox). */
  readonly startedAt: Date;
  /** Wall-clock duration of the scan in milliseconds. */
  readonly durationMs: number;
  readonly dryRun: boolean;
  readonly scopes: readonly ScopeSummary[];
  readonly findings: readonly Finding[];
  readonly proposals: readonly ProposedAction[];
  readonly skipped: readonly Skip[];
  readonly executions: readonly (ExecutionOutcome | { proposalId: string; outcome: 'would-execute'; detail: string })[];
  /** Estimated monthly waste of the violations, one total per currency. */
  readonly wastePerMonth: readonly Money[];
  readonly stats: DetectStats;
  /** What the scan read: the kinds, usage signals and billing data its rules need. */
  readonly plan?: CollectionPlan;
}

/** The scan use-case: collect → detect → plan → persist → execute `auto` proposals. */
export async function runScan(opts: ScanOptions, deps: ScanDeps): Promise<ScanReport> {
  const { store, clock } = deps;
  const startedAt = clock.now();
  const t0 = performance.now();
  const toRead = opts.plan ?? collectionPlan(opts.rules, opts.costRules ?? []);
  const useWatermarks = (opts.usageWatermarks ?? true) && !opts.dryRun;
  const watermarks = new Map<string, Watermarks>();
  const results = new Map<string, Map<string, RuleResult>>();
  const hooks: DetectHooks = useWatermarks
    ? {
        notJudged: (r, ruleId) => watermarks.get(scopeKey(r))?.notJudged(r, ruleId),
        carried: (r, ruleId) => watermarks.get(scopeKey(r))?.carried(r, ruleId),
        onResult: (r, ruleId, result) => {
          const m = results.get(r.id) ?? new Map<string, RuleResult>();
          m.set(ruleId, result);
          results.set(r.id, m);
        },
      }
    : {};
  // Each scope is judged as soon as it is read, and its usage series are dropped then: memory
  // holds the datapoints of the scopes being read, not of every scope (the rest of the scan
  // needs resources, costs and verdicts, never datapoints).
  const judged = await mapLimit(opts.targets, opts.concurrency ?? 16, async (t) => {
    const marks = useWatermarks ? await readWatermarks(store, t, opts.rules, startedAt) : undefined;
    if (marks) watermarks.set(`${t.scope.cloud}:${t.scope.id}`, marks);
    const c = await collectOne(t, opts, deps, startedAt, toRead, marks);
    if (c.prices) deps.prices.addFetched(c.prices);
    if (c.storagePrices) deps.prices.gcsStorage().withFetched(c.storagePrices);
    const [priced] = priceCollections([c], deps.prices);
    const verdicts = judgeCollection(priced!, opts.rules, startedAt, deps.prices, hooks);
    return { collection: { ...priced!, usage: [] } as Collection, verdicts };
  });

  deps.onProgress?.({ type: 'phase', phase: 'detect' });
  const collections = judged.map((j) => j.collection);
  const { findings, stats } = mergeVerdicts(judged.map((j) => j.verdicts));
  findings.push(...detectCosts(collections, { rules: opts.costRules ?? [], budgets: opts.budgets ?? [] }, startedAt, deps.prices));
  const resources = new Map<string, Resource>();
  for (const c of collections) for (const r of c.resources) resources.set(r.id, r);

  deps.onProgress?.({ type: 'phase', phase: 'plan' });
  const executions: ScanReport['executions'][number][] = [];
  const active = new Map(opts.rules.map((r) => [r.rule.id, r]));
  const executor = { store, providers: deps.providers, rules: active, policy: opts.policy, prices: deps.prices, clock, lookbackHours: opts.lookbackHours };
  // Before planning: a recovered proposal is no longer open, so the plan sees the state as it is.
  if (deps.recoverInterrupted && !opts.dryRun) executions.push(...(await recoverInterrupted(executor)));
  const open = await store.listProposals({ status: ['proposed', 'approved', 'executing'] });
  // Savings stop counting once a stopped resource is seen running again (before this scan acts).
  if (!opts.dryRun) {
    for (const c of savingsToClose(await store.listSavings({ open: true }), resources, findings, startedAt)) await store.closeSavings(c.id, c.at, c.reason, c.detail);
  }
  const dayStart = new Date(Date.UTC(startedAt.getUTCFullYear(), startedAt.getUTCMonth(), startedAt.getUTCDate()));
  const executedToday = (await store.listAudit({ since: dayStart })).filter((e) => e.event === 'executed').length;
  const rulesById = new Map(opts.rules.map((r) => [r.rule.id, r.rule]));
  const planned = plan({
    findings,
    resources,
    actionKindFor: (ruleId, kind) => rulesById.get(ruleId)?.actions[kind],
    policy: opts.policy,
    state: {
      openProposals: new Map(open.filter((p) => p.expiresAt > startedAt).map((p) => [p.key, p])),
      snoozedUntil: new Map((await store.activeSnoozes(startedAt)).map((s) => [s.resourceId, s.until])),
      chatExemptions: new Map((await store.activeExemptions(startedAt)).map((e) => [e.resourceId, e.reason])),
      executedToday,
      settled: await settledGuards(store),
    },
    now: startedAt,
  });

  const proposals: ProposedAction[] = [];
  if (opts.dryRun) {
    proposals.push(...planned.proposals);
    for (const p of planned.proposals) if (p.mode === 'auto' && p.status === 'proposed') executions.push({ proposalId: p.id, outcome: 'would-execute', detail: 'dry run: nothing changed' });
  } else {
    await expireStale(open, store, startedAt);
    if (deps.executionQueue) {
      await requeueStaleApprovals(open, store, deps.executionQueue, startedAt);
      await requeueInterruptedUndos(store, deps.executionQueue, startedAt);
    }
    const held = await holdToDailyLimit(planned.proposals, store, startedAt, opts.policy.limits.maxActionsPerDay);
    for (const p of held) {
      const stored = await store.upsertProposal(p);
      // Audited once, when it is created: a proposal already stored (executed, decided) is not proposed again.
      if (stored.status === 'proposed' && !open.some((o) => o.id === p.id)) {
        await store.appendAudit({ at: startedAt, actor: 'costwatch', event: 'proposed', proposalId: p.id, resourceId: p.resource.id, detail: `${p.kind} (${p.mode}${p.modeReason ? `: ${p.modeReason}` : ''})` });
      }
      proposals.push(stored);
    }
    deps.onProgress?.({ type: 'phase', phase: 'execute' });
    for (const p of proposals) {
      // A guard asks first: its proposal waits for an answer until it is due (run below).
      if (p.mode !== 'auto' || p.status !== 'proposed' || p.dueAt !== undefined) continue;
      try {
        await store.decide({ proposalId: p.id, verdict: 'approve', by: 'policy', at: startedAt, via: 'policy', note: 'auto mode' });
        await store.transitionProposal(p.id, ['proposed'], 'approved', { at: clock.now() });
      } catch (err) {
        if (err instanceof AlreadyDecidedError || err instanceof ConditionFailedError) continue;
        throw err;
      }
      executions.push(await executeProposal(p.id, 'policy', executor));
    }
    // Guards nobody answered by their due time, in this scan's scopes (locally and on the schedule alike).
    const scopes = new Set(opts.targets.map((t) => `${t.scope.cloud}:${t.scope.id}`));
    const due = await runDueGuards(executor, startedAt, (p) => scopes.has(`${p.resource.cloud}:${p.resource.scopeId}`));
    executions.push(...due);
    // Their messages were posted when the guard asked: show them as they are now, not as planned.
    for (const o of due) {
      const i = proposals.findIndex((p) => p.id === o.proposalId);
      const fresh = i >= 0 ? await store.getProposal(o.proposalId) : undefined;
      if (fresh) proposals[i] = fresh;
    }
  }

  // The weekly digest reads spend from the store, not from the clouds.
  if (!opts.dryRun) await recordSpend(store, collections, opts.budgets ?? [], startedAt, deps.prices);

  if (deps.notifier) {
    const byFinding = new Map(proposals.map((p) => [p.findingId, p]));
    const outcomes = new Map(executions.map((e) => [e.proposalId, e]));
    await deps.notifier.publish(
      findings.map((finding) => {
        const proposal = byFinding.get(finding.id);
        const outcome = proposal ? outcomes.get(proposal.id) : undefined;
        return { finding, ...(proposal ? { proposal } : {}), ...(outcome ? { outcome } : {}) };
      }),
      { dryRun: opts.dryRun, now: startedAt },
    );
  }

  if (useWatermarks) {
    // Only proposals awaiting a person's decision make a resource "flagged"; auto ones were just acted on.
    const awaiting = proposals.filter((p) => p.mode === 'approve');
    const byId = new Map(findings.map((f) => [f.id, f]));
    for (const c of collections) {
      const marks = watermarks.get(`${c.scope.cloud}:${c.scope.id}`);
      if (!marks) continue;
      const changed = marks.next(c.resources, results, awaiting, opts.flaggedRecheckHours, byId);
      if (changed.length > 0) await store.putUsageWatermarks(changed);
    }
  }

  const wastePerMonth = totalsByCurrency(findings.filter((f) => f.state === 'violation' && f.waste && isMonthlyWaste(f.waste)).map((f) => f.waste!.monthly));
  return {
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    dryRun: opts.dryRun,
    scopes: collections.map((c, i) => ({ target: opts.targets[i]!, resources: c.resources.length, failures: c.failures.length })),
    findings,
    proposals,
    skipped: planned.skipped,
    executions,
    wastePerMonth,
    stats,
    plan: toRead,
  };
}

/** The watermarks of a scope; none (everything is read) when the store cannot give them. */
async function readWatermarks(store: StateStore, t: ScopeTarget, rules: readonly ActiveRule[], now: Date): Promise<Watermarks> {
  try {
    return new Watermarks(await store.usageWatermarks(`${t.scope.cloud}:${t.scope.id}`), rules, now);
  } catch {
    return new Watermarks([], rules, now);
  }
}

async function collectOne(target: ScopeTarget, opts: ScanOptions, deps: ScanDeps, now: Date, plan: CollectionPlan, marks?: Watermarks): Promise<Collection> {
  deps.onProgress?.({ type: 'collect-start', target });
  const t0 = Date.now();
  const provider = deps.providers.get(target.scope.cloud);
  let c: Collection;
  if (!provider) {
    c = emptyCollection(target, `${target.scope.cloud} collection is not available in this version of costwatch`, 'provider');
  } else {
    try {
      // A dry run may use what earlier scans cached, and caches nothing itself.
      const cache = opts.dryRun ? { getCached: deps.store.getCached.bind(deps.store), putCached: async () => undefined } : deps.store;
      c = await provider.collect(target, {
        now,
        lookbackHours: opts.lookbackHours,
        usageWindowHours: usageWindowHours(opts.rules),
        cache,
        plan,
        ...(marks ? { usageDue: (r: Resource) => marks.due(r) } : {}),
      });
    } catch (err) {
      c = emptyCollection(target, `${(err as Error).name}: ${(err as Error).message}`, 'collect');
    }
  }
  deps.onProgress?.({ type: 'collect-done', target, resources: c.resources.length, failures: c.failures.length, ms: Date.now() - t0 });
  return c;
}

function emptyCollection(target: ScopeTarget, message: string, operation: string): Collection {
  return { scope: target.scope, resources: [], usage: [], costs: [], budgets: [], failures: [{ scope: target.scope, operation, message }] };
}

/** Minutes after its decision an approved, unexecuted proposal is considered lost and queued again. */
export const STALE_APPROVAL_MINUTES = 15;

/**
 * An approval whose job never reached the executor (a crash between the decision and the enqueue)
 * would wait forever: queue it again. The executor claims a proposal with a conditional write, so a
 * job that was only slow is not executed twice. A proposal left `executing` by an executor that
 * crashed or timed out (longer than INTERRUPTED_AFTER_MINUTES, or since an unrecorded time) is
 * queued too: the executor takes it over with a conditional write and resumes it (re-read,
 * re-check, then run or cancel), see executeProposal.
 */
async function requeueStaleApprovals(open: readonly ProposedAction[], store: StateStore, queue: ExecutionQueue, now: Date): Promise<void> {
  for (const p of open) {
    if (p.status !== 'approved' && p.status !== 'executing') continue;
    const d = await store.getDecision(p.id);
    if (!d || d.verdict !== 'approve') continue;
    let detail: string;
    if (p.status === 'approved') {
      if (now.getTime() - d.at.getTime() < STALE_APPROVAL_MINUTES * 60_000) continue;
      detail = `approved by ${d.by} at ${d.at.toISOString()} but not executed: queued again`;
    } else {
      const since = p.statusChangedAt;
      if (since && now.getTime() - since.getTime() < INTERRUPTED_AFTER_MINUTES * 60_000) continue;
      detail = `executing since ${since?.toISOString() ?? 'an unrecorded time'}: the executor was interrupted; queued again to be resumed`;
    }
    await queue.enqueue({ type: 'execute', proposalId: p.id, actor: d.by, requestedAt: now.toISOString() });
    await store.appendAudit({ at: now, actor: 'costwatch', event: 'requeued', proposalId: p.id, resourceId: p.resource.id, detail });
  }
}

/**
 * An undo cut off by a crash or a timeout leaves its proposal `undoing`, where no button is
 * offered: once it has been undoing longer than INTERRUPTED_AFTER_MINUTES (or since an unrecorded
 * time) it is queued again; the executor takes it over with a conditional write and runs the undo
 * again (see undoProposal).
 */
async function requeueInterruptedUndos(store: StateStore, queue: ExecutionQueue, now: Date): Promise<void> {
  for (const p of await store.listProposals({ status: ['undoing'] })) {
    const since = p.statusChangedAt;
    if (since && now.getTime() - since.getTime() < INTERRUPTED_AFTER_MINUTES * 60_000) continue;
    await queue.enqueue({ type: 'undo', proposalId: p.id, actor: 'costwatch', requestedAt: now.toISOString() });
    const detail = `undoing since ${since?.toISOString() ?? 'an unrecorded time'}: the undo was interrupted; queued again to be finished`;
    await store.appendAudit({ at: now, actor: 'costwatch', event: 'requeued', proposalId: p.id, resourceId: p.resource.id, detail });
  }
}

async function expireStale(open: readonly ProposedAction[], store: StateStore, now: Date): Promise<void> {
  for (const p of open) {
    if (p.status !== 'proposed' || p.expiresAt > now) continue;
    try {
      await store.transitionProposal(p.id, ['proposed'], 'cancelled', { at: now });
      await store.appendAudit({ at: now, actor: 'costwatch', event: 'expired', proposalId: p.id, resourceId: p.resource.id, detail: `no decision by ${p.expiresAt.toISOString()}` });
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
}
