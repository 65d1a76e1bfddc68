import { PRICE_USAGE_BY_KIND } from '../pricing/price-usage.js';
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
  /** AWS services whose spend is AI spend, as billed (FOCUS `ServiceName`). */
  readonly services: readonly string[];
  /** Google Cloud services whose spend is AI spend (the export's `service.description`); absent = the defaults. */
  readonly gcpServices?: readonly string[];
  /** Azure services whose spend is AI spend (Cost Management `ServiceName`); absent = the defaults. */
  readonly azureServices?: readonly string[];
  readonly tags: TagPolicy;
}

/** AI resource kinds and the price list each is billed from: every kind billed per instance-hour. */
export const TAGGED_KINDS: Readonly<Record<string, PriceUsage>> = PRICE_USAGE_BY_KIND;

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
 * The share of AI spend without a team tag in `rows` (rows grouped by service and the team tag: an
 * empty tag value is the untagged group), per currency, from `from` on. `breakdown` names the rows'
 * grouping (default `SERVICE,TAG:<key>`); `services` undefined = every row is AI spend (the query
 * already kept only AI spend: Google Cloud's `AI,TAG:<key>`).
 */
export function untaggedShares(rows: readonly CostRecord[], services: readonly string[] | undefined, from: Date, tagKey = TEAM_TAG, breakdown = `SERVICE,TAG:${tagKey}`): UntaggedShare[] {
  const wanted = services ? new Set(services) : undefined;
  const byCur = new Map<string, { total: number; untagged: number; svc: Map<string, number>; last: number }>();
  for (const r of rows) {
    if (r.x_Breakdown !== breakdown) continue;
    if (r.ChargePeriodStart < from || !r.ServiceName || (wanted && !wanted.has(r.ServiceName))) continue;
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
    byService: [...c.svc].filter(([, amount]) => amount !== 0).map(([service, amount]) => ({ service, amount })).sort((a, b) => b.amount - a.amount),
    from,
    to: new Date(c.last),
  }));
}

/** The default AI services of Google Cloud and Azure (`rules.untagged-spend.gcpServices`, `azureServices`). */
export const DEFAULT_GCP_AI_SERVICES: readonly string[] = ['Vertex AI', 'Notebooks'];
export const DEFAULT_AZURE_AI_SERVICES: readonly string[] = ['Azure Machine Learning'];

/** How one cloud's rows of the month's spend by team tag are found and described. */
interface CloudReading {
  readonly providers: readonly string[];
  readonly breakdown: string;
  /** Undefined: the query kept only AI spend. */
  readonly services: readonly string[] | undefined;
  readonly what: string;
  readonly source: string;
  readonly tagWord: string;
  readonly note: string;
}

function readingOf(cloud: string, settings: UntaggedSpendSettings): CloudReading | undefined {
  if (cloud === 'aws') {
    return {
      providers: ['AWS', 'Amazon Web Services'],
      breakdown: `SERVICE,TAG:${TEAM_TAG}`,
      services: settings.services,
      what: settings.services.join(', '),
      source: 'Cost Explorer grouped by the tag: the empty value is the untagged group',
      tagWord: 'tag',
      note: 'a resource tag counts once it is activated as a cost allocation tag (Billing console), and only for spend after that',
    };
  }
  if (cloud === 'gcp') {
    const services = settings.gcpServices ?? DEFAULT_GCP_AI_SERVICES;
    return {
      providers: ['Google Cloud'],
      breakdown: `AI,TAG:${TEAM_TAG}`,
      services: undefined,
      what: `${services.length > 0 ? `${services.join(', ')} and ` : ''}Workbench VMs' Compute Engine`,
      source: 'Cloud Billing export in BigQuery grouped by the label: rows without it are the untagged group',
      tagWord: 'label',
      note: 'a label counts for usage after it is set on the resource; the export does not relabel past rows',
    };
  }
  if (cloud === 'azure') {
    const services = settings.azureServices ?? DEFAULT_AZURE_AI_SERVICES;
    return {
      providers: ['Microsoft', 'Microsoft Azure'],
      breakdown: `SERVICE,TAG:${TEAM_TAG}`,
      services,
      what: services.join(', '),
      source: 'Cost Management Query grouped by the tag key: the empty tag value is the untagged group',
      tagWord: 'tag',
      note: 'Cost Management counts a tag for usage after it is set, and only on resources that emit tags with their usage (tag inheritance can apply subscription and resource group tags)',
    };
  }
  return undefined;
}

/** Whether a cost problem is about the rows this reading needs (a failure naming another grouping is not). */
function concerns(problem: string, breakdown: string): boolean {
  const named = /\((?:billing export, )?((?:SERVICE|AI)(?:,TAG:[^)]*)?)\)/.exec(problem)?.[1];
  return named === undefined || named === breakdown;
}

/**
 * `untagged-spend`, spend half: per scope, the share of the month's AI spend (`services`) carrying
 * no team tag, from Cost Explorer grouped by service and the tag; a finding when it passes
 * `tags.maxUntaggedShare`. AWS: Cost Explorer grouped by service and the tag; Google Cloud: the
 * billing export's AI spend (the `gcpServices` and Workbench VMs' rows) by the label; Azure: Cost
 * Management grouped by service and the tag key, of the `azureServices`.
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
      const reading = readingOf(s.scope.cloud, settings);
      if (!reading) continue;
      const id = `untagged-spend:${s.scope.cloud}:${s.scope.id}`;
      const scopeId = s.scope.id.toLowerCase();
      const rows = costs.filter((r) => r.SubAccountId?.toLowerCase() === scopeId && reading.providers.includes(r.ProviderName));
      const problems = s.costProblems.filter((p) => concerns(p, reading.breakdown));
      if (problems.length > 0) {
        out.push({ id, ruleId: 'untagged-spend', state: 'unknown', cloud: s.scope.cloud, scopeId: s.scope.id, title: `share of untagged AI spend in ${s.scope.name ?? s.scope.id} unknown: its costs could not be read`, evidence: [...problems], detectedAt: now });
        continue;
      }
      for (const share of untaggedShares(rows, reading.services, monthStart, TEAM_TAG, reading.breakdown)) {
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
          title: `${pct(ratio)} of AI spend in ${s.scope.name ?? s.scope.id} this month has no ${TEAM_TAG} ${reading.tagWord} (${money(share.untagged)} of ${money(share.total)})`,
          evidence: [
            `${money(share.untagged)} ÷ ${money(share.total)} = ${pct(ratio)} of ${reading.what} spend from ${day(share.from)} to ${day(lastDay)} carries no ${TEAM_TAG} ${reading.tagWord} (${reading.source})`,
            `above tags.maxUntaggedShare ${pct(settings.tags.maxUntaggedShare)}`,
            ...share.byService.slice(0, 5).map((x) => `untagged ${x.service}: ${money(x.amount)}`),
            reading.note,
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
