import { activeRules, lookbackHours, plannerPolicy, priceBook } from '../app/compose.js';
import type { Clock } from '../clock.js';
import { policyScopes, type Policy } from '../config/policy.js';
import type { Cloud } from '../domain/resource.js';
import type { CloudProvider } from '../providers/port.js';
import type { StateStore } from '../store/port.js';
import type { SlackApi } from './api.js';
import { approverCheck } from './approvers.js';
import type { JobDeps } from './jobs.js';
import { SlackMessenger } from './messenger.js';

/** The executor's dependencies for a policy: its rules, planner view and prices, with the store, providers, clock and Slack given. */
export function jobDepsFor(policy: Policy, deps: { store: StateStore; providers: ReadonlyMap<Cloud, CloudProvider>; clock: Clock; api: SlackApi }): JobDeps {
  const rules = activeRules(policy);
  return {
    store: deps.store,
    clock: deps.clock,
    api: deps.api,
    messenger: new SlackMessenger({ api: deps.api, store: deps.store, clock: deps.clock }),
    scopeNames: new Map(policyScopes(policy).flatMap((t) => (t.scope.name ? [[t.scope.id, t.scope.name] as const] : []))),
    home: { approvers: approverCheck(policy.slack?.approvers ?? { users: [], userGroups: [] }, deps.api), scopes: policyScopes(policy).map((t) => t.scope) },
    executor: {
      store: deps.store,
      providers: deps.providers,
      rules: new Map(rules.map((r) => [r.rule.id, r])),
      policy: plannerPolicy(policy, () => deps.clock.now()),
      prices: priceBook(policy),
      clock: deps.clock,
      lookbackHours: lookbackHours(rules),
      // Jobs may run beside other executors (deployed): take over and resume interrupted actions.
      resumeInterrupted: true,
    },
  };
}
