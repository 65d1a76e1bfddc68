import { activeExemptions, inQuietHours, policyScopes, RULE_IDS, ruleSettings, type Policy, type RuleId } from '../config/policy.js';
import type { ScanOptions } from '../pipeline/scan.js';
import { CostwatchError } from '../errors.js';
import type { Cloud } from '../domain/resource.js';
import type { ActiveRule } from '../pipeline/detect.js';
import type { PlannerPolicy } from '../planner/plan.js';
import { PriceBook } from '../pricing/price-book.js';
// The cloud providers (and with them every SDK client) are built in ./providers.ts, so a function
// that never reads a resource (budget and anomaly events, webhooks, Slack) does not load them.
import type { CloudProvider } from '../providers/port.js';
import { COST_RULES, RESOURCE_RULES } from '../rules/index.js';
import type { Budget } from '../domain/budget.js';
import { money } from '../domain/money.js';
import type { ActiveCostRule } from '../pipeline/detect.js';
import type { AwsBillingOptions } from '../providers/aws/billing.js';
import type { Clock } from '../clock.js';
import type { Notification } from '../notify/port.js';
import { slackWebClient, WebApiSlack, type SlackApi, type SlackClientOptions } from '../slack/api.js';
import { SlackNotifier } from '../slack/notifier.js';
import type { StateStore } from '../store/port.js';
import { TEAM_TAG_KEY } from '../savings/ledger.js';

/** Usage history read per resource: two weeks, so evidence can name a weekly job's last request. */
export const MIN_LOOKBACK_HOURS = 14 * 24;

/** How long an approve-mode proposal waits for a decision before it expires. */
export const PROPOSAL_TTL_HOURS = 72;

/** The rules the policy enables, each with its settings. */
export function activeRules(policy: Policy): ActiveRule[] {
  return RESOURCE_RULES.filter((r) => policy.rules[r.id as RuleId]?.enabled !== false).map((rule) => ({
    rule,
    // Idle rules for notebooks and Studio apps judge by night when no usage metric exists.
    settings: { ...ruleSettings(policy, rule.id as RuleId), quietHours: policy.quietHours, tags: policy.tags, ...(rule.id === 'launch-guard' ? { guard: policy.launchGuard } : {}) },
  }));
}

/** The cost rules (budgets, forecasts, anomalies) the policy enables, each with its settings. */
export function activeCostRules(policy: Policy): ActiveCostRule[] {
  return COST_RULES.filter((r) => policy.rules[r.id as RuleId]?.enabled !== false).map((rule) => ({ rule, settings: { ...ruleSettings(policy, rule.id as RuleId), tags: policy.tags } }));
}

/** The policy's budgets as the cost rules read them. */
export function policyBudgets(policy: Policy): Budget[] {
  return policy.budgets.map((b) => ({
    name: b.name,
    limit: money(b.amount, b.currency),
    period: b.period,
    scope: {
      ...(b.scope.clouds ? { clouds: b.scope.clouds } : {}),
      ...(b.scope.accounts ? { scopeIds: b.scope.accounts } : {}),
      ...(b.scope.services ? { services: b.scope.services } : {}),
      ...(b.scope.tags ? { tags: b.scope.tags } : {}),
    },
    actualThresholds: b.thresholds.actual,
    forecastThresholds: b.thresholds.forecast,
  }));
}

/** What the AWS provider reads about money for a policy: only what an enabled rule will use. */
export function awsBillingOptions(policy: Policy, now?: () => Date): AwsBillingOptions {
  const on = (id: RuleId) => policy.rules[id].enabled;
  const budgetsOn = on('budget-breach') || on('forecast-breach');
  const cold = policy.rules['cold-artifacts'];
  return {
    costAllocationTags: policy.clouds.aws?.costAllocationTags ?? [],
    budgets: budgetsOn ? policyBudgets(policy) : [],
    nativeBudgets: budgetsOn,
    anomalies: on('cost-anomaly'),
    ...(on('untagged-spend') ? { tagSpendKey: TEAM_TAG_KEY } : {}),
    ...(on('commitment-coverage') ? { commitments: commitmentQuery(policy) } : {}),
    ...(cold.enabled && cold.buckets.length > 0
      ? { coldArtifacts: { buckets: cold.buckets, olderThanDays: cold.olderThanDays, retrievalPercentPerMonth: cold.retrievalPercentPerMonth, prices: priceBook(policy).storage() } }
      : {}),
    ...(now ? { now } : {}),
  };
}

/** What the commitment-coverage rule asks Cost Explorer for. */
function commitmentQuery(policy: Policy): NonNullable<AwsBillingOptions['commitments']> {
  const c = policy.rules['commitment-coverage'];
  return { termYears: c.term, paymentOption: c.paymentOption, lookbackDays: c.lookbackDays };
}

/** Hours of usage history the active rules need. */
export function lookbackHours(rules: readonly ActiveRule[]): number {
  const windows = rules.map((r) => Number((r.settings as { windowHours?: number }).windowHours ?? 0));
  return Math.max(MIN_LOOKBACK_HOURS, ...windows);
}

/** The policy as the planner reads it. */
export function plannerPolicy(policy: Policy, at: () => Date): PlannerPolicy {
  return {
    modeOf: (ruleId) => policy.rules[ruleId as RuleId]?.mode ?? 'notify',
    exemptTagKey: policy.exemptions.tagKey,
    get exemptions() {
      return activeExemptions(policy, at());
    },
    inQuietHours: (when) => inQuietHours(policy.quietHours, when),
    limits: policy.limits,
    proposalTtlHours: PROPOSAL_TTL_HOURS,
    graceHoursOf: (ruleId) => (ruleId === 'launch-guard' ? policy.launchGuard.graceHours : undefined),
    autoRefused: (kind) =>
      kind === DISABLE_BILLING_ACTION && policy.clouds.gcp?.allowDisableBilling !== true
        ? 'unlinking billing runs automatically only with clouds.gcp.allowDisableBilling: true: approval required'
        : undefined,
  };
}

/** The billing cap's action kind (shared/actions/gcp.ts), named here without importing the Google provider. */
const DISABLE_BILLING_ACTION = 'gcp.billing.disable-billing';

/** Prices: the bundled tables with the policy's overrides on top. */
export function priceBook(policy: Policy): PriceBook {
  const { s3, gcs, ...instances } = policy.prices ?? {};
  return new PriceBook(instances, undefined, { ...(s3 ? { s3 } : {}), ...(gcs ? { gcs } : {}) });
}

/**
 * Scan options from a policy: its scopes (optionally one cloud only), rules (optionally only some:
 * one schedule's), planner view and dry-run. The scan derives from its rules what to read
 * (`collectionPlan`), so narrowing `rules` here, or afterwards, narrows what is read.
 */
export function scanOptionsFor(policy: Policy, opts: { now: () => Date; dryRun?: boolean; cloud?: Cloud; rules?: readonly string[] }): ScanOptions {
  const only = opts.rules ? selectedRules(policy, opts.rules) : undefined;
  const rules = activeRules(policy).filter((r) => !only || only.has(r.rule.id));
  const costRules = activeCostRules(policy).filter((r) => !only || only.has(r.rule.id));
  return {
    targets: policyScopes(policy).filter((t) => !opts.cloud || t.scope.cloud === opts.cloud),
    rules,
    policy: plannerPolicy(policy, opts.now),
    dryRun: opts.dryRun ?? policy.dryRun,
    lookbackHours: lookbackHours(rules),
    costRules,
    budgets: policyBudgets(policy),
  };
}

/** Rule ids that name no rule of the policy file, or a rule it disables. */
export class RuleSelectionError extends CostwatchError {}

/**
 * The rule ids of one schedule (`--rules`, a scan message's `rules`), checked against the policy:
 * an unknown or disabled rule is a `RuleSelectionError` naming it, never a silently empty scan.
 */
export function selectedRules(policy: Policy, ids: readonly string[]): Set<string> {
  if (ids.length === 0) throw new RuleSelectionError('no rule named: give at least one rule id');
  const known = new Set<string>(RULE_IDS);
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new RuleSelectionError(`unknown rule ${unknown.join(', ')}: the rules are ${RULE_IDS.join(', ')}`);
  const disabled = ids.filter((id) => policy.rules[id as RuleId]?.enabled === false);
  if (disabled.length > 0) throw new RuleSelectionError(`rule ${disabled.join(', ')} ${disabled.length > 1 ? 'are' : 'is'} disabled in the policy (rules.<id>.enabled: false)`);
  return new Set(ids);
}

/** What a Slack notifier is built from, besides the policy. */
export interface SlackNotifierDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  /** Used to read a resource's tags when a `slack.routes` entry matches on tags. */
  readonly providers: ReadonlyMap<Cloud, CloudProvider>;
  /** The bot token (`xoxb-…`), or a ready SlackApi (tests, `costwatch serve`). */
  readonly slack: { readonly botToken: string; readonly client?: SlackClientOptions } | { readonly api: SlackApi };
  readonly onError?: (error: unknown, notification: Notification) => void;
}

/** The Slack notifier of a policy that has a `slack` section; undefined when it has none. */
export function slackNotifier(policy: Policy, deps: SlackNotifierDeps): SlackNotifier | undefined {
  const slack = policy.slack;
  if (!slack) return undefined;
  const api = 'api' in deps.slack ? deps.slack.api : new WebApiSlack(slackWebClient(deps.slack.botToken, deps.slack.client));
  return new SlackNotifier({
    api,
    store: deps.store,
    clock: deps.clock,
    policy: { ...policy, slack },
    resourceTags: async (ref) => (await deps.providers.get(ref.cloud)?.describe(ref))?.tags,
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
}
