import type { Clock } from '../clock.js';
import { executeProposal, undoProposal, type ExecutionOutcome, type ExecutorDeps } from '../pipeline/execute.js';
import type { ExecutionJob } from '../queue/port.js';
import type { StateStore } from '../store/port.js';
import type { SlackApi } from './api.js';
import { REPLIES } from './blocks.js';
import { latestEvent } from './events.js';
import { publishHome, type HomeDeps } from './home.js';
import { isPosted, type SlackMessenger, type SyncResult } from './messenger.js';
import type { AlertEvent } from './view.js';

/** What the executor needs to run jobs and update their messages. */
export interface JobDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly executor: ExecutorDeps;
  readonly messenger: SlackMessenger;
  readonly api: SlackApi;
  /** Display names of accounts, projects and subscriptions, by id. */
  readonly scopeNames?: ReadonlyMap<string, string>;
  /** What App Homes need besides the store; without it, `home` jobs publish nothing. */
  readonly home?: Pick<HomeDeps, 'approvers' | 'scopes'>;
}

/** What running one job did. */
export interface JobResult {
  readonly job: ExecutionJob['type'];
  readonly outcome?: ExecutionOutcome;
  readonly message?: SyncResult | 'no-message' | 'moved-on';
}

/**
 * Runs one job from the execution queue. `execute` and `undo` go through executeProposal /
 * undoProposal (re-check, undo data first, exactly-once claims); then the finding's message is
 * brought up to date. Store and Slack errors propagate so the queue retries the job; a retry
 * finds the proposal already moved on and only updates the message.
 */
export async function runJob(job: ExecutionJob, deps: JobDeps): Promise<JobResult> {
  switch (job.type) {
    case 'reply':
      await deps.api.postEphemeral({ channel: job.channel, user: job.user, text: job.text });
      return { job: job.type };
    case 'refresh':
      return { job: job.type, message: await syncProposalMessage(job.proposalId, deps) };
    case 'home':
      if (deps.home) await publishHome(job.user, { ...deps.home, store: deps.store, clock: deps.clock, api: deps.api }, job.notice);
      return { job: job.type };
    case 'execute': {
      // Show "approved, in progress" before the cloud call, which can take a while.
      await syncProposalMessage(job.proposalId, deps);
      const outcome = await executeProposal(job.proposalId, job.actor, deps.executor);
      const event = outcome.outcome === 'skipped' ? undefined : toEvent(outcome, job.actor, deps.clock.now());
      return { job: job.type, outcome, message: await syncProposalMessage(job.proposalId, deps, event) };
    }
    case 'undo': {
      const outcome = await undoProposal(job.proposalId, job.actor, deps.executor);
      if (job.replyTo && (outcome.outcome === 'skipped' || outcome.outcome === 'failed')) {
        const text = outcome.outcome === 'failed' ? REPLIES.undoFailed(outcome.detail) : REPLIES.cannotUndo(outcome.detail);
        await deps.api.postEphemeral({ channel: job.replyTo.channel, user: job.replyTo.user, text });
      }
      const event = outcome.outcome === 'skipped' ? undefined : toEvent(outcome, job.actor, deps.clock.now());
      return { job: job.type, outcome, message: await syncProposalMessage(job.proposalId, deps, event) };
    }
  }
}

function toEvent(o: ExecutionOutcome, actor: string, at: Date): AlertEvent {
  return { kind: o.outcome as AlertEvent['kind'], detail: o.detail, by: actor, at };
}

/**
 * Re-renders the message of a proposal's finding from stored state. Nothing happens when the
 * finding has no message, or when the message has moved on to a newer proposal.
 */
export async function syncProposalMessage(proposalId: string, deps: JobDeps, event?: AlertEvent): Promise<SyncResult | 'no-message' | 'moved-on'> {
  const { store } = deps;
  const p = await store.getProposal(proposalId);
  if (!p) return 'no-message';
  const rec = await store.getSlackMessage(p.findingId);
  // A message claimed but not (or not known to be) in Slack has nothing to update yet.
  if (!rec?.finding || !isPosted(rec)) return 'no-message';
  if (rec.proposalId && rec.proposalId !== p.id) return 'moved-on';
  const decision = p.status === 'proposed' ? undefined : await store.getDecision(p.id);
  const ev = event ?? (await latestEvent(store, p));
  const scopeName = deps.scopeNames?.get(rec.finding.scopeId);
  return deps.messenger.sync(
    {
      finding: rec.finding,
      proposal: p,
      ...(decision ? { decision } : {}),
      ...(ev ? { event: ev } : {}),
      ...(scopeName ? { scopeName } : {}),
      now: deps.clock.now(),
    },
    { channel: () => rec.channel, known: rec },
  );
}
