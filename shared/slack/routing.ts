import type { Policy, RuleId } from '../config/policy.js';
import type { Finding } from '../domain/finding.js';

/** The `slack` section of a policy. */
export type SlackPolicy = NonNullable<Policy['slack']>;

/** Tags a finding is routed by: the resource's, or for a budget finding the budget's scope tags. */
export function routingTags(f: Finding, policy: Pick<Policy, 'budgets'>, resourceTags?: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (f.budget) return policy.budgets.find((b) => b.name === f.budget!.budgetName)?.scope.tags ?? {};
  return resourceTags ?? {};
}

/**
 * The channel of a finding, in the order docs/policy-file.md documents: the budget's own
 * `channel`, else the first route whose conditions all hold (rules, tags, clouds), else the
 * rule's `channel`, else `slack.channel`.
 */
export function routeChannel(f: Finding, tags: Readonly<Record<string, string>>, policy: Pick<Policy, 'budgets' | 'rules'> & { slack: SlackPolicy }): string {
  if (f.budget) {
    const own = policy.budgets.find((b) => b.name === f.budget!.budgetName)?.channel;
    if (own) return own;
  }
  for (const route of policy.slack.routes) {
    if (route.rules && !(route.rules as readonly string[]).includes(f.ruleId)) continue;
    if (route.clouds && !route.clouds.includes(f.cloud)) continue;
    if (route.tags && !Object.entries(route.tags).every(([k, v]) => tags[k] === v)) continue;
    return route.channel;
  }
  const ruleChannel = Object.hasOwn(policy.rules, f.ruleId) ? policy.rules[f.ruleId as RuleId].channel : undefined;
  return ruleChannel ?? policy.slack.channel;
}

/** Whether any route looks at tags, so resource tags must be read before routing. */
export function routesUseTags(slack: SlackPolicy): boolean {
  return slack.routes.some((r) => r.tags !== undefined && Object.keys(r.tags).length > 0);
}
