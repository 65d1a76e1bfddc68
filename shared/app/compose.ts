import type { AwsCredentialIdentity } from '@smithy/types';
import { activeExemptions, inQuietHours, policyScopes, ruleSettings, type Policy, type RuleId } from '../config/schema.js';
import type { ScanOptions } from '../pipeline/scan.js';
import type { Cloud } from '../domain/resource.js';
import type { ActiveRule } from '../pipeline/detect.js';
import type { PlannerPolicy } from '../planner/plan.js';
import { PriceBook } from '../pricing/price-book.js';
import { awsClientFactory } from '../providers/aws/clients.js';
import { AwsProvider } from '../providers/aws/provider.js';
import type { CloudProvider } from '../providers/port.js';
import { RESOURCE_RULES } from '../rules/index.js';

/** Usage history read per resource: two weeks, so evidence can name a weekly job's last request. */
export const MIN_LOOKBACK_HOURS = 14 * 24;

/** How long an approve-mode proposal waits for a decision before it expires. */
export const PROPOSAL_TTL_HOURS = 72;

/** The rules the policy enables, each with its settings. */
export function activeRules(policy: Policy): ActiveRule[] {
  return RESOURCE_RULES.filter((r) => policy.rules[r.id as RuleId]?.enabled !== false).map((rule) => ({
    rule,
    settings: ruleSettings(policy, rule.id as RuleId),
  }));
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
  };
}

/** Prices: the bundled tables with the policy's overrides on top. */
export function priceBook(policy: Policy): PriceBook {
  return new PriceBook(policy.prices ?? {});
}

/** Where the providers' SDK clients point: the real clouds, or the sandbox cloud. */
export interface ProviderEndpoints {
  readonly aws?: { endpoint: string; credentials: (accountId: string) => AwsCredentialIdentity };
}

/** One provider per configured cloud; clouds without a provider yet are reported by the scan. */
export function buildProviders(policy: Policy, endpoints: ProviderEndpoints = {}): Map<Cloud, CloudProvider> {
  const providers = new Map<Cloud, CloudProvider>();
  const aws = policy.clouds.aws;
  if (aws && aws.accounts.length > 0) {
    const factory = awsClientFactory(
      aws.accounts.map((a) => ({ accountId: a.id, ...(a.roleName ? { roleName: a.roleName } : {}), ...(a.externalId ? { externalId: a.externalId } : {}) })),
      endpoints.aws ? { endpoint: endpoints.aws.endpoint, credentials: endpoints.aws.credentials } : {},
    );
    providers.set('aws', new AwsProvider(factory));
  }
  return providers;
}

/** Scan options from a policy: its scopes (optionally one cloud only), rules, planner view and dry-run. */
export function scanOptionsFor(policy: Policy, opts: { now: () => Date; dryRun?: boolean; cloud?: Cloud }): ScanOptions {
  const rules = activeRules(policy);
  return {
    targets: policyScopes(policy).filter((t) => !opts.cloud || t.scope.cloud === opts.cloud),
    rules,
    policy: plannerPolicy(policy, opts.now),
    dryRun: opts.dryRun ?? policy.dryRun,
    lookbackHours: lookbackHours(rules),
  };
}
