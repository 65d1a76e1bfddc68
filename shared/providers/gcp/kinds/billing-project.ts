import type { Resource, ResourceRef, Scope } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import type { KindAction } from '../../kind.js';
import type { BillingCapState } from '../billing.js';
import type { GcpCtx, GcpKind } from '../context.js';

/*
 * A project's billing link (Cloud Billing `projects.getBillingInfo`) as a resource, with the
 * Google budgets that count the project judged from the billing export. Its one action is the
 * billing cap: unlink billing from the project (`updateBillingInfo` with an empty billing account
 * name), the strongest stop there is; Undo links the saved billing account again. Listed only for
 * the projects of the policy, so it never acts on another.
 */

/** The kind id. */
export const BILLING_PROJECT = 'gcp.billing.project';
/** Unlinks billing from a project whose budget is exceeded; Undo relinks the saved account. */
export const DISABLE_BILLING = 'gcp.billing.disable-billing';

/** What unlinking billing does, said plainly wherever it is proposed. */
export const DISABLE_BILLING_WARNING =
  'Unlinking billing stops every paid service of the project at once: VMs, Vertex AI endpoints and Workbench instances shut down, and APIs that need billing stop answering. Free-tier services may keep running. Google may delete the project’s resources and data (disks, buckets, databases) if billing is not re-enabled within its grace period.';

/** The resource id of a project's billing link. */
export function billingResourceId(projectId: string): string {
  return `//cloudbilling.googleapis.com/projects/${projectId}/billingInfo`;
}

/** A project's billing link and budget state as a resource. */
export function billingResource(scope: Scope, s: BillingCapState): Resource {
  const linked = s.info.billingAccountName !== '';
  const on = linked && s.info.billingEnabled;
  const e = s.exceeded;
  return {
    cloud: 'gcp',
    scope,
    region: 'global',
    kind: BILLING_PROJECT,
    id: billingResourceId(scope.id),
    name: scope.id,
    tags: {},
    state: on ? 'BILLING_ENABLED' : linked ? 'BILLING_DISABLED' : 'NO_BILLING_ACCOUNT',
    lifecycle: on ? 'running' : 'stopped',
    components: [],
    attributes: {
      billingAccountName: s.info.billingAccountName,
      billingEnabled: s.info.billingEnabled,
      listed: s.listed,
      budgetsChecked: s.budgets.length,
      budgetsUnknown: s.budgets.filter((b) => b.problem).map((b) => b.name).join(', ') || null,
      exceededBudget: e?.budget.name ?? null,
      budgetActual: e?.budget.actual?.amount ?? null,
      budgetLimit: e?.budget.limit.amount ?? null,
      budgetCurrency: e?.budget.limit.currency ?? null,
      budgetBasis: e?.budget.basis?.join(' | ') ?? null,
      dailySpend: e?.perDay ?? null,
      daysLeft: e?.daysLeft ?? null,
    },
  };
}

async function state(ctx: GcpCtx, projectId: string): Promise<BillingCapState> {
  if (!ctx.billing) throw new ProviderError('the billing cap needs clouds.gcp.billingAccount and clouds.gcp.billingExport', { cloud: 'gcp', scopeId: projectId, operation: DISABLE_BILLING });
  return ctx.billing.capState(projectId, ctx.now ?? new Date(), ctx.cache);
}

const disableBilling: KindAction<GcpCtx> = {
  id: DISABLE_BILLING,
  precondition(r) {
    if (r.attributes['listed'] !== true) return `${r.scope.id} is not listed in clouds.gcp.projects: costwatch never unlinks billing from a project the policy does not name`;
    if (r.attributes['billingAccountName'] === '' || r.attributes['billingEnabled'] !== true) return `${r.scope.id} has no billing enabled`;
    if (r.attributes['exceededBudget'] === null || r.attributes['exceededBudget'] === undefined) return `no Google budget of ${r.scope.id} is exceeded`;
    return undefined;
  },
  async capture(ctx, r) {
    const s = await state(ctx, r.scope.id);
    if (!s.listed) throw new ProviderError(`${r.scope.id} is not listed in clouds.gcp.projects`, { cloud: 'gcp', scopeId: r.scope.id, operation: DISABLE_BILLING });
    return { projectId: r.scope.id, billingAccountName: s.info.billingAccountName, billingEnabled: s.info.billingEnabled, budget: s.exceeded?.budget.name ?? null };
  },
  async perform(ctx, r) {
    // Re-checked on fresh reads: still listed, still linked, a budget still exceeded.
    const s = await state(ctx, r.scope.id);
    const why = disableBilling.precondition!(billingResource(r.scope, s));
    if (why) throw new ProviderError(why, { cloud: 'gcp', scopeId: r.scope.id, operation: DISABLE_BILLING });
    const after = await ctx.billing!.setBillingAccount(r.scope.id, '');
    if (after.billingAccountName !== '' || after.billingEnabled) throw new ProviderError(`Cloud Billing still shows ${r.scope.id} linked to ${after.billingAccountName}`, { cloud: 'gcp', scopeId: r.scope.id, operation: DISABLE_BILLING });
    return { summary: `unlinked billing account ${s.info.billingAccountName} from project ${r.scope.id} (Google budget ${s.exceeded!.budget.name} exceeded): its paid services stop` };
  },
  async undo(ctx, ref, saved) {
    const account = saved['billingAccountName'];
    if (typeof account !== 'string' || !/^billingAccounts\/[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/.test(account)) {
      throw new ProviderError('no billing account was saved to relink', { cloud: 'gcp', scopeId: ref.scopeId, operation: DISABLE_BILLING });
    }
    if (!ctx.billing) throw new ProviderError('the billing cap needs clouds.gcp.billingAccount', { cloud: 'gcp', scopeId: ref.scopeId, operation: DISABLE_BILLING });
    const after = await ctx.billing.setBillingAccount(ref.scopeId, account);
    return { summary: `linked project ${ref.scopeId} to ${after.billingAccountName || account} again${after.billingEnabled ? '' : ' (billing is not enabled yet: check the account in the console)'}; services stopped by the unlink must be started again` };
  },
};

/** Project billing: the billing cap. */
export const billingProjectKind: GcpKind = {
  kind: BILLING_PROJECT,
  inventoryOperation: 'cloudbilling:projects.getBillingInfo',
  listedPer: 'scope',
  async list(ctx, scope) {
    // Without a billing account there are no Google budgets to cap billing by.
    if (!ctx.billing?.readsBudgets) return [];
    return [billingResource(scope, await state(ctx, scope.id))];
  },
  async describe(ctx, ref: ResourceRef) {
    return billingResource({ cloud: 'gcp', id: ref.scopeId }, await state(ctx, ref.scopeId));
  },
  actions: [disableBilling],
};
