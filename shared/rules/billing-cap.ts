import { formatMoney, money } from '../domain/money.js';
import type { ResourceRule, RuleResult } from './types.js';

/** Settings of billing-cap: the common rule settings only. */
export type BillingCapSettings = Record<string, unknown>;

/** What unlinking billing stops and risks, said plainly in every billing-cap finding. */
export const BILLING_CAP_CONSEQUENCES = [
  'what stops: unlinking billing shuts down every paid service of the project at once — Compute Engine VMs, Vertex AI endpoints and Workbench instances stop, and APIs that need billing refuse calls; only free-tier use goes on',
  'what may be lost: Google may delete the project’s resources and data (disks, buckets, databases) if billing is not re-enabled within its grace period; Undo relinks the billing account, but stopped services must be started again',
];

/**
 * `billing-cap`: a listed Google Cloud project whose Google budget (filtered to the project, its
 * spend computed from the billing export) is exceeded, while billing is still linked. The
 * remedy is the strongest stop there is — unlinking billing — so it is proposed for approval
 * unless the policy sets `clouds.gcp.allowDisableBilling: true`.
 */
export const billingCap: ResourceRule<BillingCapSettings> = {
  id: 'billing-cap',
  title: 'Google Cloud budget exceeded: billing cap',
  explanation: 'A project has spent past its Google budget; unlinking billing stops all of its spend (and its services).',
  kinds: ['gcp.billing.project'],
  signals: [],
  severity: 'high',
  actions: { 'gcp.billing.project': 'gcp.billing.disable-billing' },
  evaluate({ resource: r }): RuleResult {
    if (r.attributes['listed'] !== true) return { state: 'not-applicable', reason: `${r.scope.id} is not listed in clouds.gcp.projects` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `billing of ${r.scope.id} is ${r.state}` };
    const name = r.attributes['exceededBudget'];
    const checked = Number(r.attributes['budgetsChecked'] ?? 0);
    const unknown = typeof r.attributes['budgetsUnknown'] === 'string' ? r.attributes['budgetsUnknown'] : undefined;
    if (typeof name !== 'string') {
      if (checked === 0) return { state: 'not-applicable', reason: `no Google budget counts ${r.scope.id}` };
      return { state: 'ok', evidence: [`${checked} Google budget${checked === 1 ? '' : 's'} of ${r.scope.id} checked: none exceeded${unknown ? ` (not judged: ${unknown})` : ''}`] };
    }
    const currency = String(r.attributes['budgetCurrency'] ?? 'USD');
    const actual = money(Number(r.attributes['budgetActual']), currency);
    const limit = money(Number(r.attributes['budgetLimit']), currency);
    const pct = Math.round((actual.amount / limit.amount) * 1000) / 10;
    const perDay = Number(r.attributes['dailySpend'] ?? 0);
    const daysLeft = Number(r.attributes['daysLeft'] ?? 0);
    const account = String(r.attributes['billingAccountName'] ?? '');
    const evidence = [
      `Google budget ${name}: ${formatMoney(actual)} of ${formatMoney(limit)} spent (${pct}%)`,
      ...BILLING_CAP_CONSEQUENCES,
      `project ${r.scope.id} is billed to ${account}`,
      ...(typeof r.attributes['budgetBasis'] === 'string' ? r.attributes['budgetBasis'].split(' | ') : []),
    ];
    return {
      state: 'violation',
      title: `project ${r.scope.id} is past its Google budget ${name} (${formatMoney(actual)} of ${formatMoney(limit)}, ${pct}%): unlinking billing stops all its spend`,
      evidence,
      confidence: 'high',
      // What the project would still spend this period: what unlinking saves. Not a monthly figure, so never added to monthly totals.
      ...(perDay > 0 && daysLeft > 0
        ? {
            waste: {
              monthly: money(Math.round(perDay * daysLeft * 100) / 100, currency),
              arithmetic: `${formatMoney(money(perDay, currency))}/day (the project's recent daily spend under the budget) × ${daysLeft} days left in the budget period`,
              priceSource: 'Google Cloud billing export',
              basis: 'until-stopped' as const,
            },
          }
        : {}),
    };
  },
};
