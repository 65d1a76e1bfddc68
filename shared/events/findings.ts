import type { Policy } from '../config/policy.js';
import type { BudgetEvidence, CostDriver, Finding } from '../domain/finding.js';
import { formatMoney, type Money } from '../domain/money.js';
import type { Resource, ResourceRef } from '../domain/resource.js';
import type { AnomalyEvent, BudgetCrossing, BudgetEvent, CloudEvent, ResourceStateEvent } from './event.js';

/** Rule ids of the findings cloud events raise (the first three are policy rules). */
export const BUDGET_BREACH = 'budget-breach';
export const FORECAST_BREACH = 'forecast-breach';
export const COST_ANOMALY = 'cost-anomaly';
export const LONG_TRAINING_JOB = 'long-training-job';
/** A resource just came into service: reported so its cost is seen at once; no rule can judge it yet. */
export const NEW_RESOURCE = 'new-resource';

const DAY_MS = 86_400_000;

/** A finding an event raised, with how it is deduplicated. */
export interface RaisedFinding {
  readonly finding: Finding;
  /** Alerts with the same key are sent once (see dedup.ts). */
  readonly dedupKey: string;
  /** How long the key stays marked: past the end of the period it is about. */
  readonly until: Date;
  /** The resource, when the finding is about one (for the planner). */
  readonly resource?: Resource;
}

/** What an event raised, and why it raised nothing where it did not. */
export interface Raised {
  readonly findings: readonly RaisedFinding[];
  /** One reason per thing not alerted (status update, below a threshold, rule disabled, ...). */
  readonly ignored: readonly string[];
}

const CLOUD_NAMES = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' } as const;
const SOURCE_NAMES = {
  'aws-budgets': 'AWS Budgets',
  'aws-anomaly': 'AWS Cost Anomaly Detection',
  sagemaker: 'SageMaker',
  'gcp-budget': 'Cloud Billing budget',
  'azure-budget': 'Cost Management budget',
} as const;

/** One line describing an event, for logs and the CLI. */
export function eventSummary(e: CloudEvent): string {
  switch (e.type) {
    case 'budget': {
      const crossed = e.crossings.map((c) => `${c.kind} ${thresholdLabel(c)}`).join(', ') || 'no threshold exceeded';
      return `${SOURCE_NAMES[e.source]} "${e.budgetName}" (${e.scopeId}, period ${e.period.key}): ${crossed}`;
    }
    case 'anomaly':
      return `${SOURCE_NAMES[e.source]} anomaly ${e.anomalyId} in ${e.dimension ?? e.scopeId}: impact ${formatMoney(e.impact.total)}`;
    case 'resource-state':
      return `SageMaker ${kindLabel(e.kind)} ${e.name} (${e.scopeId} ${e.region}) is ${e.status}`;
  }
}

/** `90%` when the percent is known, else the threshold amount. */
export function thresholdLabel(c: BudgetCrossing): string {
  if (c.thresholdPercent !== undefined) return `${c.thresholdPercent}%`;
  return c.thresholdAmount ? formatMoney(c.thresholdAmount) : 'threshold';
}

/** Human name of a resource kind. */
export function kindLabel(kind: string): string {
  return kind === 'aws.sagemaker.notebook-instance' ? 'notebook instance' : kind === 'aws.sagemaker.training-job' ? 'training job' : 'endpoint';
}

/** Budget notification → one `budget-breach` / `forecast-breach` finding per threshold crossed. */
export function budgetFindings(e: BudgetEvent, policy: Policy, now: Date): Raised {
  const findings: RaisedFinding[] = [];
  const ignored: string[] = [];
  if (e.crossings.length === 0) ignored.push(`${SOURCE_NAMES[e.source]} "${e.budgetName}": status update, no threshold exceeded`);
  for (const c of e.crossings) {
    const ruleId = c.kind === 'actual' ? BUDGET_BREACH : FORECAST_BREACH;
    if (!policy.rules[ruleId].enabled) {
      ignored.push(`${ruleId} is disabled in the policy: ${c.kind} ${thresholdLabel(c)} of "${e.budgetName}" not alerted`);
      continue;
    }
    const label = thresholdLabel(c);
    const forecast = e.forecast ?? (c.kind === 'forecast' ? c.amount : undefined);
    const budget: BudgetEvidence = {
      budgetName: e.budgetName,
      source: e.source,
      kind: c.kind,
      ...(e.period.start && e.period.end ? { period: { start: e.period.start, end: e.period.end } } : {}),
      ...(e.limit ? { limit: e.limit } : {}),
      ...(e.spent ? { actual: e.spent } : {}),
      ...(forecast ? { forecast } : {}),
      ...(c.thresholdPercent !== undefined ? { thresholdPercent: c.thresholdPercent } : {}),
      drivers: [],
    };
    const of = e.limit ? ` of ${formatMoney(e.limit)}` : '';
    const title =
      c.kind === 'actual'
        ? `budget "${e.budgetName}" crossed ${label}${e.spent ? `: ${formatMoney(e.spent)} spent${of}` : of}`
        : `budget "${e.budgetName}" is forecast to cross ${label}${forecast ? `: ${formatMoney(forecast)} forecast${of}` : of}`;
    const evidence = [
      `${SOURCE_NAMES[e.source]} notification for ${CLOUD_NAMES[e.cloud]} ${e.cloud === 'gcp' ? 'billing account' : e.cloud === 'azure' ? 'scope' : 'account'} ${e.scopeId}`,
      ...(e.spent && e.limit && e.limit.amount > 0 && e.spent.currency === e.limit.currency
        ? [`spent ${formatMoney(e.spent)}${of} (${Math.round((e.spent.amount / e.limit.amount) * 1000) / 10}%)`]
        : e.spent
          ? [`spent ${formatMoney(e.spent)}`]
          : []),
      `${c.kind === 'actual' ? 'actual' : 'forecast'} threshold ${label}${c.thresholdAmount && c.thresholdPercent !== undefined ? ` (${formatMoney(c.thresholdAmount)})` : ''} crossed`,
      periodLine(e),
      ...e.notes,
    ];
    findings.push({
      finding: {
        id: `${ruleId}:${e.source}:${e.budgetId}:${e.period.key}:${label}`,
        ruleId,
        state: 'violation',
        cloud: e.cloud,
        scopeId: e.scopeId,
        title,
        evidence,
        budget,
        detectedAt: now,
      },
      dedupKey: `${e.source}|${e.budgetId}|${e.period.key}|${label}|${c.kind}`,
      until: markUntil(e, now),
    });
  }
  return { findings, ignored };
}

function periodLine(e: BudgetEvent): string {
  const p = e.period;
  const d = (t: Date) => t.toISOString().slice(0, 10);
  if (p.start && p.end) return `period ${d(p.start)} to ${d(new Date(p.end.getTime() - 1))} (${p.granularity === 'unknown' ? 'budget period' : p.granularity})`;
  if (p.start) return `period starting ${p.start.toISOString()}`;
  return `period ${p.key}`;
}

/**
 * A crossing's mark must outlive its period, since the cloud keeps re-sending it until the period
 * ends. Google gives only the period's start: keep the mark for a year past it, the longest
 * standard budget period (the key holds the start, so a new period is a new key anyway).
 */
function markUntil(e: BudgetEvent, now: Date): Date {
  const end = e.period.end ?? (e.period.start ? new Date(e.period.start.getTime() + 400 * DAY_MS) : new Date(now.getTime() + 400 * DAY_MS));
  return new Date(Math.max(end.getTime() + 7 * DAY_MS, now.getTime() + DAY_MS));
}

/** Cost anomaly → a `cost-anomaly` finding when its impact reaches `rules.cost-anomaly.minImpact`. */
export function anomalyFindings(e: AnomalyEvent, policy: Policy, now: Date): Raised {
  const rule = policy.rules[COST_ANOMALY];
  if (!rule.enabled) return { findings: [], ignored: [`cost-anomaly is disabled in the policy: anomaly ${e.anomalyId} not alerted`] };
  if (e.impact.total.amount < rule.minImpact) {
    return {
      findings: [],
      ignored: [`anomaly ${e.anomalyId} impact ${formatMoney(e.impact.total)} is below rules.cost-anomaly.minImpact (${rule.minImpact})`],
    };
  }
  const what = e.dimension ?? e.rootCauses[0]?.service ?? 'spend';
  const pct = e.impact.percent !== undefined ? ` (${Math.round(e.impact.percent * 10) / 10}% over expected)` : '';
  const drivers: CostDriver[] = e.rootCauses.flatMap((c) => (c.contribution && c.service ? [{ by: 'service' as const, key: c.service, amount: c.contribution }] : []));
  const budget: BudgetEvidence = {
    budgetName: e.monitorName ?? 'Cost Anomaly Detection',
    source: 'aws-anomaly',
    kind: 'anomaly',
    ...(e.end ? { period: { start: e.start, end: e.end } } : {}),
    ...(e.impact.actualSpend ? { actual: e.impact.actualSpend } : {}),
    drivers,
  };
  const money = (m: Money | undefined) => (m ? formatMoney(m) : '?');
  const evidence = [
    `AWS Cost Anomaly Detection${e.monitorName ? ` monitor ${e.monitorName}` : ''}, account ${e.scopeId}${e.accountName ? ` (${e.accountName})` : ''}`,
    `total impact ${formatMoney(e.impact.total)}: spent ${money(e.impact.actualSpend)} where ${money(e.impact.expectedSpend)} was expected`,
    `from ${e.start.toISOString().slice(0, 10)}${e.end ? ` to ${e.end.toISOString().slice(0, 10)}` : ''}`,
    ...(e.impact.max ? [`largest daily impact ${formatMoney(e.impact.max)}`] : []),
    ...(e.score ? [`anomaly score ${e.score.current} (max ${e.score.max})`] : []),
    ...e.rootCauses.slice(0, 5).map(
      (c) =>
        `root cause: ${[c.service, c.usageType, c.region, c.linkedAccountName ?? c.linkedAccount].filter(Boolean).join(', ') || 'unnamed'}${c.contribution ? ` (${formatMoney(c.contribution)})` : ''}`,
    ),
    ...(e.link ? [`details: ${e.link}`] : []),
  ];
  return {
    findings: [
      {
        finding: {
          id: `${COST_ANOMALY}:aws:${e.anomalyId}`,
          ruleId: COST_ANOMALY,
          state: 'violation',
          cloud: 'aws',
          scopeId: e.scopeId,
          title: `cost anomaly in ${what}: ${formatMoney(e.impact.total)} more than expected${pct}`,
          evidence,
          budget,
          detectedAt: now,
        },
        // AWS re-notifies while an anomaly grows: one alert per anomaly (and per threshold, if it changes).
        dedupKey: `aws-anomaly|${e.anomalyId}|${e.start.toISOString().slice(0, 10)}|min ${rule.minImpact}|anomaly`,
        until: new Date(now.getTime() + 90 * DAY_MS),
      },
    ],
    ignored: [],
  };
}

/** The reference of the resource a SageMaker event is about. */
export function refOfEvent(e: ResourceStateEvent): ResourceRef {
  return { cloud: 'aws', scopeId: e.scopeId, region: e.region, kind: e.kind, id: e.arn, name: e.name };
}

/** The resource as the event describes it (used where the event alone is the evidence). */
export function resourceOfEvent(e: ResourceStateEvent): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: e.scopeId },
    region: e.region,
    kind: e.kind,
    id: e.arn,
    name: e.name,
    tags: e.tags,
    state: e.status,
    lifecycle: e.lifecycle,
    ...(e.createdAt ? { createdAt: e.createdAt } : {}),
    ...(e.lastModifiedAt ? { lastModifiedAt: e.lastModifiedAt } : {}),
    components:
      e.training?.instanceType || e.instanceType
        ? [{ name: e.kind === 'aws.sagemaker.training-job' ? 'training' : 'instance', instanceType: (e.training?.instanceType ?? e.instanceType)!, instanceCount: e.training?.instanceCount ?? 1, capacity: 'provisioned' }]
        : [],
    attributes: {},
  };
}

/**
 * Training job state change → `long-training-job` when the job is in progress and has no
 * stopping condition, may run longer than `maxHours`, or already has.
 */
export function trainingJobFindings(e: ResourceStateEvent, policy: Policy, now: Date): Raised {
  const rule = policy.rules[LONG_TRAINING_JOB];
  if (!rule.enabled) return { findings: [], ignored: [`long-training-job is disabled in the policy: training job ${e.name} not checked`] };
  if (e.lifecycle !== 'running') return { findings: [], ignored: [`training job ${e.name} is ${e.status}: it no longer runs`] };
  const t = e.training ?? {};
  const started = t.startedAt ?? e.createdAt;
  const elapsedH = started ? (now.getTime() - started.getTime()) / 3_600_000 : undefined;
  const hours = (h: number) => `${Math.round(h * 10) / 10} h`;
  const reasons: { code: string; text: string }[] = [];
  if (t.maxRuntimeSeconds === undefined) {
    reasons.push({ code: 'no-stopping-condition', text: 'no stopping condition: StoppingCondition.MaxRuntimeInSeconds is not set, so nothing stops it' });
  } else if (t.maxRuntimeSeconds > rule.maxHours * 3600) {
    reasons.push({
      code: 'limit-over-max-hours',
      text: `its stopping condition lets it run ${hours(t.maxRuntimeSeconds / 3600)}, more than rules.long-training-job.maxHours (${rule.maxHours} h)`,
    });
  }
  if (elapsedH !== undefined && elapsedH > rule.maxHours) {
    reasons.push({ code: 'running-over-max-hours', text: `running for ${hours(elapsedH)}, longer than rules.long-training-job.maxHours (${rule.maxHours} h)` });
  }
  if (reasons.length === 0) {
    return {
      findings: [],
      ignored: [`training job ${e.name}: stopping condition ${hours((t.maxRuntimeSeconds ?? 0) / 3600)} is within maxHours (${rule.maxHours} h)`],
    };
  }
  const resource = resourceOfEvent(e);
  const evidence = [
    ...reasons.map((r) => r.text),
    ...(t.instanceType ? [`${t.instanceCount ?? 1} × ${t.instanceType}`] : []),
    ...(started ? [`started ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${elapsedH !== undefined ? ` (${hours(Math.max(0, elapsedH))} ago)` : ''}`] : []),
    `reported by a SageMaker state-change event (${e.statusAsSent})`,
  ];
  return {
    findings: [
      {
        finding: {
          id: `${LONG_TRAINING_JOB}:${e.arn}`,
          ruleId: LONG_TRAINING_JOB,
          state: 'violation',
          cloud: 'aws',
          scopeId: e.scopeId,
          region: e.region,
          resource: refOfEvent(e),
          title: `training job ${e.name}: ${reasons[0]!.code === 'no-stopping-condition' ? 'no stopping condition' : reasons[0]!.text.split(',')[0]!}`,
          evidence,
          confidence: 'high',
          detectedAt: now,
        },
        dedupKey: `sagemaker|${e.arn}|${LONG_TRAINING_JOB}|${reasons.map((r) => r.code).join('+')}`,
        until: new Date(now.getTime() + 30 * DAY_MS),
        resource,
      },
    ],
    ignored: [],
  };
}
