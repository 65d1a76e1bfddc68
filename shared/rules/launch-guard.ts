import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import type { PriceUsage } from '../pricing/price-book.js';
import { duration, rate, round2 } from './helpers.js';
import type { ResourceRule, RuleResult } from './types.js';

/** The launch guard's settings, from the policy's `launchGuard`. */
export interface LaunchGuardSettings {
  readonly monthlyThreshold: number;
  readonly currency: string;
  /** Per workload class, the instance types (or globs) it may use; a class not listed allows any. */
  readonly allowedInstanceTypes: Readonly<Partial<Record<string, readonly string[]>>>;
  readonly workloadTagKey: string;
  readonly graceHours: number;
  /** A resource created longer ago than this is not new. */
  readonly newWithinHours: number;
}

/** What the rule receives: the guard settings beside the rule's own. */
export interface LaunchGuardRuleSettings {
  readonly guard: LaunchGuardSettings;
}

/** The kinds a launch guard watches, with the price use each bills at. */
const GUARDED: Readonly<Record<string, { use: PriceUsage; noun: string }>> = {
  'aws.sagemaker.endpoint': { use: 'hosting', noun: 'endpoint' },
  'aws.sagemaker.notebook-instance': { use: 'notebook', noun: 'notebook instance' },
  'aws.sagemaker.training-job': { use: 'training', noun: 'training job' },
  'gcp.vertex.endpoint': { use: 'hosting', noun: 'Vertex AI endpoint' },
  'gcp.workbench.instance': { use: 'notebook', noun: 'Workbench instance' },
  'gcp.vertex.custom-job': { use: 'training', noun: 'custom job' },
  'azure.ml.online-endpoint': { use: 'hosting', noun: 'online endpoint' },
  'azure.ml.compute-instance': { use: 'notebook', noun: 'compute instance' },
  'azure.ml.compute-cluster': { use: 'training', noun: 'compute cluster' },
};

/** Resource kinds the launch guard watches. */
export const GUARDED_KINDS = Object.keys(GUARDED);

/**
 * `launch-guard`: a new endpoint, notebook or training job — SageMaker endpoints, notebook
 * instances and training jobs; Vertex AI endpoints, Workbench instances and custom jobs; Azure ML
 * online endpoints, compute instances and compute clusters — (created within
 * `newWithinHours`) whose monthly running cost (hourly price × instances × 730 h) exceeds
 * `monthlyThreshold`, or whose instance type is not among those its workload class (the
 * `workload` tag: experimental, training, inference) allows. The proposal asks its team "keep
 * it?": Approve keeps it, Stop stops (or deletes) it; in `auto` mode an unanswered guard acts
 * after `graceHours`. A resource whose price is unknown is judged by its instance types only.
 */
export const launchGuard: ResourceRule<LaunchGuardRuleSettings> = {
  id: 'launch-guard',
  title: 'New expensive or off-policy resource',
  explanation: 'A resource launched above the cost threshold, or on an instance type its workload class does not allow, runs up its bill until someone notices.',
  severity: 'high',
  kinds: GUARDED_KINDS,
  signals: [],
  actions: {
    'aws.sagemaker.endpoint': 'aws.sagemaker.guard-delete-endpoint',
    'aws.sagemaker.notebook-instance': 'aws.sagemaker.guard-stop-notebook-instance',
    'aws.sagemaker.training-job': 'aws.sagemaker.guard-stop-training-job',
    'gcp.vertex.endpoint': 'gcp.vertex.guard-undeploy-models',
    'gcp.workbench.instance': 'gcp.workbench.guard-stop-instance',
    'gcp.vertex.custom-job': 'gcp.vertex.guard-cancel-custom-job',
    'azure.ml.online-endpoint': 'azure.ml.guard-delete-online-deployments',
    'azure.ml.compute-instance': 'azure.ml.guard-stop-compute-instance',
    'azure.ml.compute-cluster': 'azure.ml.guard-set-cluster-min-nodes-zero',
  },
  evaluate({ resource: r, settings, now, prices }): RuleResult {
    const g = settings.guard;
    const kind = GUARDED[r.kind];
    if (!kind) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    if (!r.createdAt) return { state: 'not-applicable', reason: 'creation time unknown: cannot tell whether it is new' };
    const age = now.getTime() - r.createdAt.getTime();
    if (age > g.newWithinHours * 3_600_000) return { state: 'not-applicable', reason: `created ${duration(age)} ago: not new (launchGuard.newWithinHours is ${g.newWithinHours})` };

    const running = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
    if (running.length === 0) return { state: 'not-applicable', reason: 'no provisioned instances: serverless or scaled to zero' };
    const reasons: string[] = [];
    const evidence = [`created ${duration(age)} ago (${r.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`];

    const workload = (r.tags[g.workloadTagKey] ?? '').trim().toLowerCase();
    const allowed = workload ? g.allowedInstanceTypes[workload] : undefined;
    if (!workload) evidence.push(`no ${g.workloadTagKey} tag: its instance types are not checked (tag it experimental, training or inference)`);
    else if (!allowed) evidence.push(`${g.workloadTagKey}: ${workload} has no allowed instance types in launchGuard.allowedInstanceTypes: any type is allowed`);
    else {
      const outside = running.filter((c) => !c.instanceType || !allowed.some((p) => globMatch(p, c.instanceType!)));
      if (outside.length > 0) {
        reasons.push(`${outside.map((c) => c.instanceType ?? '?').join(', ')} not allowed for ${workload}`);
        evidence.push(`${g.workloadTagKey}: ${workload} allows ${allowed.join(', ')}; it runs ${outside.map((c) => `${c.instanceType ?? 'an unknown type'} × ${c.instanceCount}`).join(', ')}`);
      } else evidence.push(`${g.workloadTagKey}: ${workload}, instance types within ${allowed.join(', ')}`);
    }

    const cost = monthlyCost(r, kind.use, prices);
    if (!cost) evidence.push(`no ${kind.use} price known for ${running.map((c) => c.instanceType ?? '?').join(', ')}: its cost is not checked (set prices.${r.cloud} in costwatch.yml)`);
    else if (cost.currency !== g.currency) evidence.push(`priced in ${cost.currency}, the threshold is in ${g.currency}: its cost is not checked`);
    else {
      const over = cost.amount > g.monthlyThreshold;
      evidence.push(`${cost.arithmetic} (${cost.source}): ${over ? 'over' : 'within'} launchGuard.monthlyThreshold of ${formatMoney({ amount: g.monthlyThreshold, currency: g.currency })}`);
      if (over) reasons.push(`~${formatMoney({ amount: cost.amount, currency: cost.currency })}/month, over ${formatMoney({ amount: g.monthlyThreshold, currency: g.currency })}`);
    }
    if (reasons.length === 0) return { state: 'ok', evidence };
    return {
      state: 'violation',
      title: `new ${kind.noun} ${r.name}: ${reasons.join('; ')} — keep it?`,
      evidence,
      // Facts read from the resource and the price table, not usage: nothing to be unsure about.
      confidence: 'high',
      ...(cost
        ? {
            waste: {
              monthly: { amount: cost.amount, currency: cost.currency },
              arithmetic: cost.arithmetic,
              priceSource: cost.source,
              // What it costs if kept, not waste: the team may well want it.
              basis: 'if-kept' as const,
            },
          }
        : {}),
    };
  },
};

function monthlyCost(r: Resource, use: PriceUsage, prices: Parameters<ResourceRule['evaluate']>[0]['prices']): { amount: number; currency: string; arithmetic: string; source: string } | undefined {
  let total = 0;
  let currency: string | undefined;
  const parts: string[] = [];
  const sources = new Set<string>();
  for (const c of r.components) {
    if (c.capacity !== 'provisioned' || c.instanceCount <= 0) continue;
    const p = c.instanceType ? prices.hourlyFor(use, r.cloud, c.instanceType, r.region) : undefined;
    if (!p || (currency !== undefined && p.price.currency !== currency)) return undefined;
    currency = p.price.currency;
    sources.add(p.source);
    if (c.accelerator && c.accelerator.count > 0) {
      // Google Cloud bills accelerators apart from the machine: (machine + n × accelerator) per instance.
      const a = prices.acceleratorHourly(use, r.cloud, c.accelerator.type, r.region);
      if (!a || a.price.currency !== currency) return undefined;
      sources.add(a.source);
      total += (p.price.amount + a.price.amount * c.accelerator.count) * c.instanceCount * HOURS_PER_MONTH;
      parts.push(`(${c.instanceType} ${rate(p.price.amount, currency)}/h + ${c.accelerator.count} × ${c.accelerator.type} ${rate(a.price.amount, currency)}/h) × ${c.instanceCount} × ${HOURS_PER_MONTH} h`);
      continue;
    }
    total += p.price.amount * c.instanceCount * HOURS_PER_MONTH;
    parts.push(`${c.instanceType} ${rate(p.price.amount, p.price.currency)}/h × ${c.instanceCount} × ${HOURS_PER_MONTH} h`);
  }
  if (!currency) return undefined;
  const amount = round2(total);
  return { amount, currency, arithmetic: `${parts.join(' + ')} = ${formatMoney({ amount, currency })}/month`, source: [...sources].join('; ') };
}

/** `*` any run of characters, `?` one; case-insensitive, as instance types are lower case. */
function globMatch(glob: string, s: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(s);
}
