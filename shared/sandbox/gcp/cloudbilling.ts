import { resolveTime } from '../time.js';
import type { GcpCall, GcpGlobalCall, GcpRoute } from './context.js';
import { GoogleApiError, fingerprintOf, invalid, pageOf, rfc3339 } from './protocol.js';

/*
 * Cloud Billing (cloudbilling.googleapis.com v1) as the sandbox serves it: a project's billing
 * info (get, and update — linking a project to an account, or unlinking it with an empty
 * `billingAccountName`) and the Catalog's `services.skus.list`, paged. References:
 * https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo
 * https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list
 */

function billingInfoJson(call: GcpCall) {
  const link = call.state.billing.links.get(call.project.id) ?? { billingAccount: '', billingEnabled: false };
  return {
    name: `projects/${call.project.id}/billingInfo`,
    projectId: call.project.id,
    billingAccountName: link.billingAccount ? `billingAccounts/${link.billingAccount}` : '',
    billingEnabled: link.billingAccount !== '' && link.billingEnabled,
  };
}

function updateBillingInfo(call: GcpCall) {
  const raw = call.body['billingAccountName'];
  if (raw !== undefined && typeof raw !== 'string') invalid('billingAccountName must be a string');
  const name = raw ?? '';
  const b = call.state.billing;
  let account = '';
  if (name !== '') {
    const m = /^billingAccounts\/([0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6})$/.exec(name);
    if (!m) invalid(`Invalid billing account name: ${name}`);
    if (!b.accounts.has(m[1]!)) throw new GoogleApiError('PERMISSION_DENIED', `The caller does not have permission billing.resourceAssociations.create on ${name}`);
    account = m[1]!;
  }
  const link = b.links.get(call.project.id) ?? { billingAccount: '', billingEnabled: false };
  link.billingAccount = account;
  // Linking enables billing; unlinking disables it (Google then stops the project's paid services).
  link.billingEnabled = account !== '';
  b.links.set(call.project.id, link);
  call.project.version++;
  return billingInfoJson(call);
}

function listSkus(call: GcpGlobalCall) {
  const service = call.params['service'] ?? '';
  if (!/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/.test(service)) throw new GoogleApiError('NOT_FOUND', `Service services/${service} not found`);
  const b = call.state.billing;
  const all = b.skus.filter((s) => s.service === service);
  const raw = call.query.get('pageSize');
  const q = new URLSearchParams(call.query);
  if (raw && Number(raw) > b.skusPerPage) q.set('pageSize', String(b.skusPerPage));
  const { page, nextPageToken } = pageOf(all, q, b.skusPerPage, b.skusPerPage, fingerprintOf(call.path, call.query));
  return {
    skus: page.map((s) => {
      const units = Math.floor(s.price);
      const nanos = Math.round((s.price - units) * 1e9);
      return {
        name: `services/${s.service}/skus/${s.id}`,
        skuId: s.id,
        description: s.description,
        category: { serviceDisplayName: s.service, resourceFamily: 'Compute', resourceGroup: 'Sandbox', usageType: 'OnDemand' },
        serviceRegions: [...s.regions],
        pricingInfo: [
          {
            effectiveTime: rfc3339(s.effective ? resolveTime(s.effective, call.now) : call.now),
            pricingExpression: {
              usageUnit: s.unit,
              usageUnitDescription: s.unit,
              baseUnit: s.unit,
              displayQuantity: 1,
              tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: s.currency, units: String(units), nanos } }],
            },
            currencyConversionRate: 1,
          },
        ],
        serviceProviderName: 'Google',
      };
    }),
    ...(nextPageToken ? { nextPageToken } : {}),
  };
}

/** Cloud Billing routes. */
export const CLOUDBILLING_ROUTES: readonly GcpRoute[] = [
  { service: 'cloudbilling', operation: 'projects.getBillingInfo', method: 'GET', pattern: /^\/v1\/projects\/(?<project>[^/]+)\/billingInfo$/, handler: billingInfoJson },
  { service: 'cloudbilling', operation: 'projects.updateBillingInfo', method: 'PUT', pattern: /^\/v1\/projects\/(?<project>[^/]+)\/billingInfo$/, handler: updateBillingInfo },
  { service: 'cloudbilling', operation: 'services.skus.list', method: 'GET', pattern: /^\/v1\/services\/(?<service>[^/]+)\/skus$/, global: true, handler: listSkus },
];
