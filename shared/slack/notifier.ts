import type { Clock } from '../clock.js';
import type { Policy, RuleId } from '../config/policy.js';
import { policyScopes } from '../config/policy.js';
import type { ProposedAction } from '../domain/action.js';
import type { ResourceRef } from '../domain/resource.js';
import type { Notification, Notifier } from '../notify/port.js';
import type { StateStore } from '../store/port.js';
import type { SlackApi } from './api.js';
import { relatedProposals } from './blocks.js';
import { latestEvent } from './events.js';
import { SlackMessenger, type SyncResult } from './messenger.js';
import { routeChannel, routesUseTags, routingTags, type SlackPolicy } from './routing.js';
import { alertStateKey, messageKey, type AlertEvent, type AlertView } from './view.js';

/** Options of {@link SlackNotifier}. */
export interface SlackNotifierOptions {
  readonly api: SlackApi;
  readonly store: StateStore;
  readonly clock: Clock;
  /** The policy; its `slack` section must be set. */
  readonly policy: Policy & { slack: SlackPolicy };
  /**
   * Reads a resource's tags when a route matches on tags (findings carry a reference, not the
   * tags). Called only for a finding's first message. Without it, tag routes never match.
   */
  readonly resourceTags?: (ref: ResourceRef) => Promise<Readonly<Record<string, string>> | undefined>;
  /** Told about each finding whose message could not be delivered; it is tried again at the next publish. */
  readonly onError?: (error: unknown, notification: Notification) => void;
}

/** What one publish did, per finding. */
export interface DeliveryReport {
  readonly posted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: number;
  readonly failed: readonly { readonly findingId: string; readonly error: unknown }[];
}

/**
 * The Notifier on Slack: one message per finding, routed by budget, rule, tags and cloud; edited in
 * place when its state changes, with the change in its thread; nothing posted when the state is
 * the same (so a scan every hour does not repeat itself). Dry runs post nothing.
 */
export class SlackNotifier implements Notifier {
  readonly #messenger: SlackMessenger;
  readonly #scopeNames: ReadonlyMap<string, string>;

  constructor(private readonly options: SlackNotifierOptions) {
    this.#messenger = new SlackMessenger({ api: options.api, store: options.store, clock: options.clock });
    this.#scopeNames = new Map(policyScopes(options.policy).flatMap((t) => (t.scope.name ? [[t.scope.id, t.scope.name] as const] : [])));
  }

  async publish(batch: readonly Notification[], context: { readonly dryRun: boolean; readonly now: Date }): Promise<void> {
    await this.deliver(batch, context);
  }

  /** Publishes and says what happened; failures are reported through `onError`, never thrown, so a Slack outage never fails a scan. */
  async deliver(batch: readonly Notification[], context: { readonly dryRun: boolean; readonly now: Date }): Promise<DeliveryReport> {
    const counts = { posted: 0, updated: 0, unchanged: 0, skipped: 0 };
    const failed: { findingId: string; error: unknown }[] = [];
    if (context.dryRun) return { ...counts, skipped: batch.length, failed };
    const { store } = this.options;
    const [snoozes, exemptions] = await Promise.all([store.activeSnoozes(context.now), store.activeExemptions(context.now)]);
    const snoozeOf = new Map(snoozes.map((s) => [s.resourceId, s]));
    const exemptionOf = new Map(exemptions.map((e) => [e.resourceId, e]));
    const proposals = batch.flatMap((n) => (n.proposal ? [n.proposal] : []));
    // One at a time, in order: messages arrive in the order of the report, and Slack's per-channel rate limit is one a second anyway.
    for (const n of batch) {
      try {
        const r = await this.#deliverOne(n, context.now, { snoozeOf, exemptionOf, proposals });
        counts[r]++;
      } catch (error) {
        failed.push({ findingId: n.finding.id, error });
        this.options.onError?.(error, n);
      }
    }
    return { ...counts, failed };
  }

  async #deliverOne(
    n: Notification,
    now: Date,
    ctx: {
      snoozeOf: ReadonlyMap<string, { until: Date; by: string }>;
      exemptionOf: ReadonlyMap<string, { reason: string; by: string }>;
      proposals: readonly ProposedAction[];
    },
  ): Promise<SyncResult> {
    const { store, policy } = this.options;
    const f = n.finding;
    const rec = await store.getSlackMessage(messageKey(f));
    // Without a proposal this run (snoozed, exempt, undone recently), the message keeps showing the one it was about.
    let proposal = n.proposal ?? (rec?.proposalId ? await store.getProposal(rec.proposalId) : undefined);
    const resourceId = f.resource?.id;
    const base: AlertView = {
      finding: f,
      ...(proposal ? { proposal } : {}),
      ...(resourceId && !proposal && ctx.snoozeOf.get(resourceId) ? { snooze: ctx.snoozeOf.get(resourceId)! } : {}),
      ...(resourceId && !proposal && ctx.exemptionOf.get(resourceId) ? { exemption: ctx.exemptionOf.get(resourceId)! } : {}),
      ...(Object.hasOwn(policy.rules, f.ruleId) ? { ruleMode: policy.rules[f.ruleId as RuleId].mode } : {}),
      ...(this.#scopeNames.get(f.scopeId) ? { scopeName: this.#scopeNames.get(f.scopeId)! } : {}),
      ...(f.budget ? { related: relatedProposals(f, ctx.proposals) } : {}),
      now,
    };
    if (rec && rec.state === alertStateKey(base)) return 'unchanged';
    // The state changed: read what the message will show fresh, since a click may have moved the proposal since the scan planned.
    if (proposal) proposal = (await store.getProposal(proposal.id)) ?? proposal;
    const decision = proposal && proposal.status !== 'proposed' ? await store.getDecision(proposal.id) : undefined;
    const event: AlertEvent | undefined = n.outcome ? outcomeEvent(n.outcome, now) : proposal ? await latestEvent(store, proposal) : undefined;
    const view: AlertView = { ...base, ...(proposal ? { proposal } : {}), ...(decision ? { decision } : {}), ...(event ? { event } : {}) };
    return this.#messenger.sync(view, { channel: () => this.#channelFor(n), known: rec ?? null });
  }

  async #channelFor(n: Notification): Promise<string> {
    const { policy, resourceTags } = this.options;
    const f = n.finding;
    let tags: Readonly<Record<string, string>> | undefined;
    if (!f.budget && f.resource && resourceTags && routesUseTags(policy.slack)) {
      // A failed read routes without tags (to the rule's or default channel) rather than not at all.
      tags = await resourceTags(f.resource).catch(() => undefined);
    }
    return routeChannel(f, routingTags(f, policy, tags), policy);
  }
}

function outcomeEvent(o: { readonly outcome: string; readonly detail: string }, at: Date): AlertEvent | undefined {
  const kinds: readonly string[] = ['executed', 'cancelled', 'failed', 'undone', 'skipped'];
  return kinds.includes(o.outcome) ? { kind: o.outcome as AlertEvent['kind'], detail: o.detail, by: 'policy', at } : undefined;
}
