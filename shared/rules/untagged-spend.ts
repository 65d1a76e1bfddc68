import type { CostRecord } from '../domain/cost.js';
import type { Finding } from '../domain/finding.js';
import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { PriceUsage } from '../pricing/price-book.js';
import { day } from './budget-status.js';
import { noPriceLine, rateOf, round2 } from './helpers.js';
import type { CostRule, ResourceRule, RuleResult } from './types.js';

/** The tag key that names a resource's owning team (routing, the digest, the untagged share). */
export const TEAM_TAG = 'team';

/** The policy's `tags` section, as the rule reads it. */
export interface TagPolicy {
  /** Tag keys every AI resource must carry (with a non-empty value). */
  readonly required: readonly string[];
  /** Share (0–1) of the month's AI spend allowed to carry no team tag. */
  readonly maxUntaggedShare: number;
}

/** Settings of untagged-spend (`rules.untagged-spend` plus the policy's `tags`). */
export interface UntaggedSpendSettings {
  /** Services whose spend is AI spend, as billed (FOCUS `ServiceName`). */
  readonly services: readonly string[];
  readonly tags: TagPolicy;
}

/** AI resource kinds and the price list each is billed from. */
export const TAGGED_KINDS: Readonly<Record<string, PriceUsage>> = {
  'aws.sagemaker.endpoint': 'hosting',
  'aws.sagemaker.notebook-instance': 'notebook',
  'aws.sagemaker.studio-app': 'studio',
  'aws.sagemaker.training-job': 'training',
  'aws.sagemaker.processing-job': 'processing',
  'gcp.vertex.endpoint': 'hosting',
  'gcp.workbench.instance': 'notebook',
  'gcp.vertex.custom-job': 'training',
  'azure.ml.online-endpoint': 'hosting',
  'azure.ml.compute-instance': 'notebook',
  'azure.ml.compute-cluster': 'training',
};

const ADVICE = 'tag hygiene: costwatch reports it; tagging is for the owner';

/** The value of a tag, matched on the exact key as cost allocation does; empty counts as missing. */
function tagValue(tags: Readonly<Record<string, string>>, key: string): string | undefined {
  const v = tags[key];
  return v !== undefined && v.trim() !== '' ? v : undefined;
}

/**
 * `untagged-spend`, resource half: a running AI resource (endpoint, notebook, Studio app, job,
 * cluster) missing a tag of `tags.required`, with what it costs a month (price × instances × 730 h).
 * Stopped resources cost no compute and are not judged.
 */
export const untaggedResources: ResourceRule<UntaggedSpendSettings> = {
  id: 'untagged-spend',
  title: 'AI resource missing required tags',
  explanation: 'Spend without an owner tag cannot be shown back to a team, budgeted per team or routed to the people who can act on it.',
  kinds: Object.keys(TAGGED_KINDS),
  signals: [],
  severity: 'low',
  actions: {},
  evaluate({ resource: r, settings, prices }): RuleResult {
    const usage = TAGGED_KINDS[r.kind];
    if (!usage) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    const required = settings.tags.required;
    if (required.length === 0) return { state: 'not-applicable', reason: 'tags.required is empty' };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}: no compute cost` };
    const missing = required.filter((k) => tagValue(r.tags, k) === undefined);
    if (missing.length === 0) return { state: 'ok', evidence: [`carries ${required.join(', ')}`] };
    const present = Object.entries(r.tags).filter(([k]) => !k.startsWith('aws:'));
    const evidence = [
      `missing required tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (tags.required: ${required.join(', ')}; keys match exactly, as cost allocation tags do)`,
      present.length > 0 ? `tags it has: ${present.map(([k, v]) => `${k}=${v}`).join(', ')}` : 'it has no tags',
    ];
    const rate = rateOf(r, usage, prices);
    if (!rate) {
      evidence.push(noPriceLine(r, usage));
      return { state: 'violation', title: `${r.name} is missing tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`, evidence, confidence: 'high', notifyOnly: ADVICE };
    }
    const monthly = { amount: round2(rate.hourly * HOURS_PER_MONTH), currency: rate.currency };
    const body = rate.parts.includes(' + ') ? `(${rate.parts})` : rate.parts;
    evidence.push(`monthly cost: ${body} × ${HOURS_PER_MONTH} h = ${formatMoney(monthly)}/month without an owner${missing.includes(TEAM_TAG) ? '' : ' tag set'}`);
    return {
      state: 'violation',
      title: `${r.name} is missing tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (${formatMoney(monthly)}/month)`,
      evidence,
      confidence: 'high',
      notifyOnly: ADVICE,
    };
  },
};

/** Month-to-date AI spend of one scope from its service × team tag rows: total and untagged per service. */
export interface UntaggedShare {
  readonly currency: string;
  readonly total: number;
  readonly untagged: number;
  /** Untagged spend per service, largest first. */
  readonly byService: readonly { readonly service: string; readonly amount: number }[];
  readonly from: Date;
  readonly to: Date;
}

/**
 * The share of AI spend without a team tag in `rows` (Cost Explorer rows grouped by service and
 * the team tag: an empty tag value is the untagged group), per currency, from `from` on.
 */
export function untaggedShares(rows: readonly CostRecord[], services: readonly string[], from: Date, tagKey = TEAM_TAG): UntaggedShare[] {
  const wanted = new Set(services);
  const byCur = new Map<string, { total: number; untagged: number; svc: Map<string, number>; last: number }>();
  for (const r of rows) {
    if (r.x_Breakdown !== `SERVICE,TAG:${tagKey}`) continue;
    if (r.ChargePeriodStart < from || !r.ServiceName || !wanted.has(r.ServiceName)) continue;
    const c = byCur.get(r.BillingCurrency) ?? { total: 0, untagged: 0, svc: new Map<string, number>(), last: 0 };
    c.total += r.BilledCost;
    if (tagValue(r.Tags, tagKey) === undefined) {
      c.untagged += r.BilledCost;
      c.svc.set(r.ServiceName, (c.svc.get(r.ServiceName) ?? 0) + r.BilledCost);
    }
    c.last = Math.max(c.last, r.ChargePeriodEnd.getTime());
    byCur.set(r.BillingCurrency, c);
  }
  return [...byCur].map(([currency, c]) => ({
    currency,
    total: c.total,
    untagged: c.untagged,
    byService: [...c.svc].map(([service, amount]) => ({ service, amount })).sort((a, b) => b.amount - a.amount),
    from,
    to: new Date(c.last),
  }));
}

/**
 * `untagged-spend`, spend half: per scope, the share of the month's AI spend (`services`) carrying
 * no team tag, from Cost Explorer grouped by service and the tag; a finding when it passes
 * `tags.maxUntaggedShare`. Scopes whose cost data is not read (Google Cloud, Azure in this version)
 * are not judged.
 */
export const untaggedShare: CostRule<UntaggedSpendSettings> = {
  id: 'untagged-spend',
  reads: ['tag-spend'],
  title: 'AI spend without a team tag',
  explanation: 'Spend without a team tag cannot be shown back to a team or budgeted per team.',
  severity: 'low',
  evaluate({ costs, scopes, settings, now }): Finding[] {
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const out: Finding[] = [];
    for (const s of scopes) {
      if (s.scope.cloud !== 'aws') continue;
      const id = `untagged-spend:${s.scope.cloud}:${s.scope.id}`;
      const rows = costs.filter((r) => r.SubAccountId === s.scope.id && (r.ProviderName === 'AWS' || r.ProviderName === 'Amazon Web Services'));
      if (s.costProblems.length > 0) {
        out.push({ id, ruleId: 'untagged-spend', state: 'unknown', cloud: s.scope.cloud, scopeId: s.scope.id, title: `share of untagged AI spend in ${s.scope.name ?? s.scope.id} unknown: its costs could not be read`, evidence: [...s.costProblems], detectedAt: now });
        continue;
      }
      for (const share of untaggedShares(rows, settings.services, monthStart)) {
        if (share.total <= 0) continue;
        const ratio = share.untagged / share.total;
        if (ratio <= settings.tags.maxUntaggedShare) continue;
        const money = (x: number) => formatMoney({ amount: round2(x), currency: share.currency });
        const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
        const lastDay = new Date(share.to.getTime() - 86_400_000);
        out.push({
          id: share.currency === 'USD' ? id : `${id}:${share.currency}`,
          ruleId: 'untagged-spend',
          state: 'violation',
          cloud: s.scope.cloud,
          scopeId: s.scope.id,
          title: `${pct(ratio)} of AI spend in ${s.scope.name ?? s.scope.id} this month has no ${TEAM_TAG} tag (${money(share.untagged)} of ${money(share.total)})`,
          evidence: [
            `${money(share.untagged)} ÷ ${money(share.total)} = ${pct(ratio)} of ${settings.services.join(', ')} spend from ${day(share.from)} to ${day(lastDay)} carries no ${TEAM_TAG} tag (Cost Explorer grouped by the tag: the empty value is the untagged group)`,
            `above tags.maxUntaggedShare ${pct(settings.tags.maxUntaggedShare)}`,
            ...share.byService.slice(0, 5).map((x) => `untagged ${x.service}: ${money(x.amount)}`),
            'a resource tag counts once it is activated as a cost allocation tag (Billing console), and only for spend after that',
          ],
          confidence: 'high',
          notifyOnly: ADVICE,
          detectedAt: now,
        });
      }
    }
    return out;
  },
};
