import { defaultProjectNumber } from './world.js';
import type { GcpGlobalCall, GcpRoute } from './context.js';
import { GoogleApiError, fingerprintOf, pageOf } from './protocol.js';

/*
 * The Budget API (billingbudgets.googleapis.com v1) as the sandbox serves it: `budgets.list` of
 * a billing account, paged. Budgets hold amounts, thresholds and filters, never spend (as in
 * Google's API). Reference:
 * https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets
 */

const PAGE = 100;

function listBudgets(call: GcpGlobalCall) {
  const id = call.params['account'] ?? '';
  const account = call.state.billing.accounts.get(id);
  if (!account) throw new GoogleApiError('PERMISSION_DENIED', `The caller does not have permission billing.budgets.list on billingAccounts/${id}`);
  const numberOf = (projectId: string) => call.state.project(projectId)?.number ?? defaultProjectNumber(projectId);
  const all = account.budgets.map((b) => ({
    name: `billingAccounts/${id}/budgets/${b.id}`,
    displayName: b.displayName,
    budgetFilter: {
      ...(b.projects.length > 0 ? { projects: b.projects.map((p) => `projects/${numberOf(p)}`) } : {}),
      ...(b.resourceAncestors.length > 0 ? { resourceAncestors: [...b.resourceAncestors] } : {}),
      ...(b.services.length > 0 ? { services: b.services.map((s) => `services/${s}`) } : {}),
      ...(b.subaccounts.length > 0 ? { subaccounts: [...b.subaccounts] } : {}),
      ...(Object.keys(b.labels).length > 0 ? { labels: Object.fromEntries(Object.entries(b.labels).map(([k, v]) => [k, [...v]])) } : {}),
      creditTypesTreatment: b.creditTypesTreatment,
      ...(b.creditTypes.length > 0 ? { creditTypes: [...b.creditTypes] } : {}),
      ...(b.customPeriod
        ? {
            customPeriod: {
              startDate: dateJson(b.customPeriod.start),
              ...(b.customPeriod.end ? { endDate: dateJson(b.customPeriod.end) } : {}),
            },
          }
        : { calendarPeriod: b.period }),
    },
    amount: b.lastPeriodAmount
      ? { lastPeriodAmount: {} }
      : { specifiedAmount: { currencyCode: b.currency ?? account.currency, units: String(Math.floor(b.amount ?? 0)), nanos: Math.round(((b.amount ?? 0) % 1) * 1e9) } },
    thresholdRules: b.thresholds.map((t) => ({ thresholdPercent: t.percent, spendBasis: t.basis })),
    etag: `"${b.id}-1"`,
    ownershipScope: 'ALL_USERS',
  }));
  const { page, nextPageToken } = pageOf(all, call.query, PAGE, PAGE, fingerprintOf(call.path, call.query));
  return { budgets: page, ...(nextPageToken ? { nextPageToken } : {}) };
}

function dateJson(text: string) {
  const [year, month, day] = text.split('-').map(Number);
  return { year, month, day };
}

/** Budget API routes. */
export const BUDGETS_ROUTES: readonly GcpRoute[] = [
  { service: 'billingbudgets', operation: 'budgets.list', method: 'GET', pattern: /^\/v1\/billingAccounts\/(?<account>[^/]+)\/budgets$/, global: true, handler: listBudgets },
];
