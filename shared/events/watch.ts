import { activeRules, lookbackHours } from '../app/compose.js';
import type { Policy } from '../config/policy.js';
import type { Finding } from '../domain/finding.js';
import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { Cloud, Resource } from '../domain/resource.js';
import type { UsageSeries } from '../domain/usage.js';
import { CostwatchError } from '../errors.js';
import { evaluateRule, usageWindowHours } from '../pipeline/detect.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { CloudProvider } from '../providers/port.js';
import type { ResourceStateEvent } from './event.js';
import { ADVICE_RULE_IDS } from '../rules/index.js';
import { kindLabel, NEW_RESOURCE, refOfEvent, trainingJobFindings, type Raised, type RaisedFinding } from './findings.js';

const DAY_MS = 86_400_000;

/** A resource younger than this when it comes into service is announced as new. */
export const NEW_RESOURCE_WINDOW_HOURS = 24;

/** What watching a resource needs. */
export interface WatchDeps {
  readonly policy: Policy;
  readonly providers: ReadonlyMap<Cloud, CloudProvider>;
  readonly prices: PriceBook;
}

/** The resource named by an event could not be re-read; the delivery should be retried. */
export class WatchError extends CostwatchError {}

/**
 * A SageMaker state change → findings. A training job is judged from the event itself. An
 * endpoint or notebook instance coming into service starts being watched at once: it is re-read
 * through the provider, its usage read, and every active resource rule run on it, so nothing
 * waits for the next scan. A young resource no rule can judge yet is announced as new.
 */
export async function watchResource(e: ResourceStateEvent, deps: WatchDeps, now: Date): Promise<Raised> {
  const outside = outsidePolicy(e, deps.policy);
  if (outside) return { findings: [], ignored: [outside] };
  if (e.kind === 'aws.sagemaker.training-job') {
    const judged = trainingJobFindings(e, deps.policy, now);
    const guarded = e.status === 'InProgress' ? await guardJob(e, deps, now) : undefined;
    return guarded ? { findings: [...judged.findings, ...guarded.findings], ignored: [...judged.ignored, ...guarded.ignored] } : judged;
  }
  const label = `${kindLabel(e.kind)} ${e.name}`;
  if (e.status !== 'InService') return { findings: [], ignored: [`${label} is ${e.status}: watched once it is InService`] };

  const provider = deps.providers.get('aws');
  if (!provider) throw new WatchError(`no AWS provider is configured: cannot re-read ${label}`);
  let resource: Resource | undefined;
  try {
    resource = await provider.describe(refOfEvent(e));
  } catch (err) {
    throw new WatchError(`could not re-read ${label} in ${e.scopeId} ${e.region}: ${(err as Error).message}`, { cause: err });
  }
  if (!resource) return { findings: [], ignored: [`${label} no longer exists`] };
  if (resource.lifecycle !== 'running') return { findings: [], ignored: [`${label} is ${resource.state} by now: nothing to watch`] };

  const all = activeRules(deps.policy);
  // As in a scan, each rule runs on the kinds it judges only. Advice rules (spot, tags) wait for the
  // daily scan: a new resource is announced, not advised on the minute it appears.
  const rules = all.filter((a) => a.rule.kinds.includes(resource.kind) && !ADVICE_RULE_IDS.includes(a.rule.id));
  let usage: UsageSeries[];
  try {
    usage = await provider.usageOf(resource, { now, lookbackHours: lookbackHours(all), usageWindowHours: usageWindowHours(all) });
  } catch (err) {
    throw new WatchError(`could not read the usage of ${label}: ${(err as Error).message}`, { cause: err });
  }
  const results = rules.map((active) => ({ id: active.rule.id, ...evaluateRule(active, resource, usage, now, deps.prices) }));
  const version = (resource.lastModifiedAt ?? resource.createdAt ?? e.lastModifiedAt ?? e.occurredAt).toISOString();
  const findings: RaisedFinding[] = results.flatMap((r) =>
    r.finding
      ? [{ finding: r.finding, dedupKey: `sagemaker|${resource.id}|${r.id}|${r.finding.state}|${version}`, until: new Date(now.getTime() + 7 * DAY_MS), resource }]
      : [],
  );
  const verdicts = results.map((r) => `${r.id}: ${r.result.state === 'not-applicable' ? `not judged yet (${r.result.reason})` : r.result.state === 'ok' ? `ok (${r.result.evidence.join('; ')})` : r.result.state}`);
  if (findings.length > 0) return { findings, ignored: [] };

  const created = resource.createdAt ?? e.createdAt;
  if (!created || now.getTime() - created.getTime() > NEW_RESOURCE_WINDOW_HOURS * 3_600_000) {
    return { findings: [], ignored: [`${label} is in service; rules ran: ${verdicts.join('; ') || 'none applies to it'}`] };
  }
  return { findings: [newResourceFinding(resource, created, verdicts, deps.prices, now)], ignored: [] };
}

/**
 * A training job starting is put before the launch guard (when it is enabled): the job is re-read
 * for its instances and tags, and judged as a scan would judge it.
 */
async function guardJob(e: ResourceStateEvent, deps: WatchDeps, now: Date): Promise<Raised | undefined> {
  const active = activeRules(deps.policy).find((a) => a.rule.id === LAUNCH_GUARD);
  if (!active) return undefined;
  const provider = deps.providers.get('aws');
  if (!provider) throw new WatchError(`no AWS provider is configured: cannot re-read training job ${e.name}`);
  let resource: Resource | undefined;
  try {
    resource = await provider.describe(refOfEvent(e));
  } catch (err) {
    throw new WatchError(`could not re-read training job ${e.name} in ${e.scopeId} ${e.region}: ${(err as Error).message}`, { cause: err });
  }
  if (!resource) return { findings: [], ignored: [`training job ${e.name} no longer exists`] };
  const { result, finding } = evaluateRule(active, resource, [], now, deps.prices);
  if (!finding) return { findings: [], ignored: [`launch-guard: ${result.state === 'not-applicable' ? result.reason : result.state}`] };
  return { findings: [{ finding, dedupKey: `sagemaker|${resource.id}|${LAUNCH_GUARD}|${finding.state}|${(resource.createdAt ?? e.occurredAt).toISOString()}`, until: new Date(now.getTime() + 7 * DAY_MS), resource }], ignored: [] };
}

/** Id of the launch guard rule. */
const LAUNCH_GUARD = 'launch-guard';

/** Why the policy does not watch the event's account or region, or undefined when it does. */
function outsidePolicy(e: ResourceStateEvent, policy: Policy): string | undefined {
  const account = policy.clouds.aws?.accounts.find((a) => a.id === e.scopeId);
  if (!account) return `account ${e.scopeId} is not in the policy (clouds.aws.accounts): ${kindLabel(e.kind)} ${e.name} not watched`;
  if (!account.regions.includes(e.region)) return `region ${e.region} is not among account ${e.scopeId}'s regions in the policy: ${kindLabel(e.kind)} ${e.name} not watched`;
  return undefined;
}

function newResourceFinding(r: Resource, created: Date, verdicts: readonly string[], prices: PriceBook, now: Date): RaisedFinding {
  const cost = runningCost(r, prices);
  const label = `${kindLabel(r.kind)} ${r.name}`;
  const sizing = r.components
    .filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0)
    .map((c) => `${c.instanceCount} × ${c.instanceType ?? '?'}`)
    .join(' + ');
  const finding: Finding = {
    id: `${NEW_RESOURCE}:${r.id}`,
    ruleId: NEW_RESOURCE,
    // Not a verdict: no rule can judge a resource this young. `unknown` findings are reported, never acted on.
    state: 'unknown',
    cloud: r.cloud,
    scopeId: r.scope.id,
    region: r.region,
    resource: { cloud: r.cloud, scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name },
    title: `new ${label} in service${sizing ? ` (${sizing})` : ''}${cost ? `, ~${formatMoney(cost.monthly)}/month while it runs` : ''}: watched from now`,
    evidence: [
      `created ${created.toISOString().slice(0, 16).replace('T', ' ')} UTC, in service now`,
      ...(cost ? [`${cost.arithmetic} (${cost.source})`] : []),
      ...verdicts,
    ],
    detectedAt: now,
  };
  return { finding, dedupKey: `sagemaker|${r.id}|${NEW_RESOURCE}|${created.toISOString()}`, until: new Date(now.getTime() + 400 * DAY_MS), resource: r };
}

function runningCost(r: Resource, prices: PriceBook): { monthly: { amount: number; currency: string }; arithmetic: string; source: string } | undefined {
  // The same instance type bills at a different rate per use: hosting for endpoints, notebook for notebooks.
  const use = r.kind === 'aws.sagemaker.endpoint' ? 'hosting' : r.kind === 'aws.sagemaker.notebook-instance' ? 'notebook' : undefined;
  if (!use) return undefined;
  const comps = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
  if (comps.length === 0) return undefined;
  let total = 0;
  let currency: string | undefined;
  const parts: string[] = [];
  const sources = new Set<string>();
  for (const c of comps) {
    const p = c.instanceType ? prices.hourlyFor(use, r.cloud, c.instanceType, r.region) : undefined;
    if (!p || (currency && p.price.currency !== currency)) return undefined;
    currency = p.price.currency;
    sources.add(p.source);
    total += p.price.amount * c.instanceCount * HOURS_PER_MONTH;
    parts.push(`${c.instanceType} ${formatMoney(p.price, 4)}/h × ${c.instanceCount} × ${HOURS_PER_MONTH} h`);
  }
  const monthly = { amount: Math.round(total * 100) / 100, currency: currency! };
  return { monthly, arithmetic: `${parts.join(' + ')} = ${formatMoney(monthly)}/month`, source: [...sources].join('; ') };
}
