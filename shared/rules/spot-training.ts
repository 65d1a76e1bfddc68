import { formatMoney, HOURS_PER_MONTH, type Money } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import type { PriceBook } from '../pricing/price-book.js';
import type { ResourceRule, RuleResult } from './types.js';
import { dateAttribute, duration, noPriceLine, numberAttribute, rate, round2, utc } from './helpers.js';
import { TEAM_TAG } from './untagged-spend.js';

/** Settings of the spot-training rule (`rules.spot-training`). */
export interface SpotTrainingSettings {
  /** The spot discount assumed for the estimate, in percent; absent = {@link SPOT_DISCOUNT_ASSUMPTION}. */
  readonly discountPercent?: number;
  /** Jobs (or clusters) whose estimated saving is below this amount are not reported. */
  readonly minSaving: number;
}

/**
 * The spot discount costwatch assumes when the policy names none: a conservative figure under
 * what the clouds advertise (SageMaker managed spot training "up to 90%", Google Cloud Spot VMs
 * 60–91%, Azure low-priority VMs "up to 80%"), as read on their pricing pages in June 2025. Real
 * discounts vary by instance type, region and hour; interrupted work is billed again.
 */
export const SPOT_DISCOUNT_ASSUMPTION = { percent: 60, asOf: '2025-06' } as const;

/** Kinds this rule judges. */
export const SPOT_TRAINING_KINDS = ['aws.sagemaker.training-job', 'aws.sagemaker.finished-training-job', 'gcp.vertex.custom-job', 'azure.ml.compute-cluster', 'gcp.vertex.finished-custom-job'] as const;

/**
 * `spot-training`: training that ran on demand and could have run on spot capacity — SageMaker
 * training jobs without managed spot training (running, or finished in the last 30 days), Vertex AI
 * custom jobs without the SPOT scheduling strategy, Azure ML compute clusters on dedicated VMs.
 * Evidence: the on-demand cost (price × instances × hours), whether checkpoints are configured
 * (spot without them is advised against: an interruption starts the work over), the saving at the
 * assumed discount, and for SageMaker what the account's own finished spot jobs saved. Advice only:
 * no action, routed by the job's team tag.
 */
export const spotTraining: ResourceRule<SpotTrainingSettings> = {
  id: 'spot-training',
  title: 'Training on demand that could use spot capacity',
  explanation: 'Spot (preemptible, low-priority) capacity bills the same machines at a steep discount; training that checkpoints can resume after an interruption.',
  kinds: [...SPOT_TRAINING_KINDS],
  signals: [],
  severity: 'low',
  actions: {},
  evaluate({ resource: r, settings, now, prices }): RuleResult {
    const discount = settings.discountPercent ?? SPOT_DISCOUNT_ASSUMPTION.percent;
    const assumption =
      settings.discountPercent !== undefined
        ? `${discount}% spot discount (rules.spot-training.discountPercent)`
        : `${discount}% spot discount (costwatch's assumption as of ${SPOT_DISCOUNT_ASSUMPTION.asOf}, below the clouds' advertised "up to 80–90%"; set rules.spot-training.discountPercent)`;
    switch (r.kind) {
      case 'aws.sagemaker.training-job':
      case 'aws.sagemaker.finished-training-job':
        return sageMaker(r, settings, now, prices, discount, assumption);
      case 'gcp.vertex.custom-job':
      case 'gcp.vertex.finished-custom-job':
        return vertex(r, settings, now, prices, discount, assumption);
      case 'azure.ml.compute-cluster':
        return azureCluster(r, settings, prices, discount, assumption);
      default:
        return { state: 'not-applicable', reason: `kind ${r.kind}` };
    }
  },
};

/** The on-demand cost of a job's instances over `hours`, with its arithmetic; undefined without a price. */
function costOver(r: Resource, hours: number, prices: PriceBook): { cost: Money; arithmetic: string; source: string } | undefined {
  const comps = r.components.filter((c) => c.capacity === 'provisioned' && c.instanceCount > 0);
  if (comps.length === 0) return undefined;
  let hourly = 0;
  let currency: string | undefined;
  const parts: string[] = [];
  const sources = new Set<string>();
  for (const c of comps) {
    if (!c.instanceType) return undefined;
    const p = prices.hourlyFor('training', r.cloud, c.instanceType, r.region);
    if (!p || (currency && p.price.currency !== currency)) return undefined;
    currency = p.price.currency;
    sources.add(p.source);
    let each = p.price.amount;
    let label = `${c.instanceType} ${rate(p.price.amount, currency)}/h`;
    if (c.accelerator && c.accelerator.count > 0) {
      const a = prices.acceleratorHourly('training', r.cloud, c.accelerator.type, r.region);
      if (!a || a.price.currency !== currency) return undefined;
      sources.add(a.source);
      each += a.price.amount * c.accelerator.count;
      label = `(${label} + ${c.accelerator.count} × ${c.accelerator.type} ${rate(a.price.amount, currency)}/h)`;
    }
    hourly += each * c.instanceCount;
    parts.push(`${label} × ${c.instanceCount}`);
  }
  if (!currency) return undefined;
  const cost = { amount: round2(hourly * hours), currency };
  const body = parts.length > 1 ? `(${parts.join(' + ')})` : parts[0]!;
  return { cost, arithmetic: `${body} × ${round1(hours)} h = ${formatMoney(cost)}`, source: [...sources].join('; ') };
}

function ownerLine(r: Resource): string {
  const key = Object.keys(r.tags).find((k) => k.toLowerCase() === TEAM_TAG);
  const team = key ? r.tags[key] : undefined;
  return team ? `owner: team ${team} (tag ${key}); advice for the team, no action` : 'no team tag: the advice goes to the default channel; no action';
}

function savingLine(cost: Money, percent: number, what: string): { saving: Money; line: string } {
  const saving = { amount: round2((cost.amount * percent) / 100), currency: cost.currency };
  return { saving, line: `estimated saving at ${what}: ${formatMoney(cost)} × ${round1(percent)}% = ${formatMoney(saving)}` };
}

function sageMaker(r: Resource, settings: SpotTrainingSettings, now: Date, prices: PriceBook, discount: number, assumption: string): RuleResult {
  if (r.attributes['managedSpot'] === true) return { state: 'ok', evidence: ['managed spot training is on (EnableManagedSpotTraining)'] };
  const finished = r.kind === 'aws.sagemaker.finished-training-job';
  if (!finished && r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
  const started = dateAttribute(r, 'startedAt') ?? r.createdAt;
  if (!started) return { state: 'not-applicable', reason: 'start time unknown' };
  const ended = finished ? (dateAttribute(r, 'endedAt') ?? r.lastModifiedAt) : now;
  if (!ended) return { state: 'not-applicable', reason: 'end time unknown' };
  // SageMaker's own count of training seconds when it gives one, else the wall clock.
  const seconds = (finished ? numberAttribute(r, 'trainingSeconds') : undefined) ?? Math.max(0, (ended.getTime() - started.getTime()) / 1000);
  const hours = seconds / 3600;
  const ran = finished ? `ran on demand from ${utc(started)} to ${utc(ended)} (${duration(seconds * 1000)}, ${r.state})` : `running on demand since ${utc(started)} (${duration(seconds * 1000)})`;
  const checkpoint = typeof r.attributes['checkpointS3Uri'] === 'string' ? r.attributes['checkpointS3Uri'] : undefined;
  const evidence = [
    `training job ${ran}: EnableManagedSpotTraining is off`,
    checkpoint
      ? `checkpoints: CheckpointConfig ${checkpoint} — managed spot resumes from them after an interruption`
      : 'no CheckpointConfig: on spot an interruption restarts the job from the beginning; spot without checkpoints is advised against — configure checkpoints first',
  ];
  const cost = costOver(r, hours, prices);
  if (!cost) {
    evidence.push(noPriceLine(r, 'training'));
    evidence.push(ownerLine(r));
    return { state: 'violation', title: `training job ${r.name} ran on demand: managed spot training could cost less`, evidence, confidence: checkpoint ? 'high' : 'medium', notifyOnly: 'advice: switching a job to spot is a change to how it is launched' };
  }
  evidence.splice(1, 0, `on-demand cost${finished ? '' : ' so far'}: ${cost.arithmetic}`);
  const assumed = savingLine(cost.cost, discount, assumption);
  evidence.push(assumed.line);
  const jobs = numberAttribute(r, 'spotJobsSeen');
  const billable = numberAttribute(r, 'spotBillableSeconds');
  const trained = numberAttribute(r, 'spotTrainingSeconds');
  let best = assumed.saving;
  if (jobs && billable !== undefined && trained) {
    const observed = Math.max(0, Math.min(100, (1 - billable / trained) * 100));
    const seen = savingLine(cost.cost, observed, `the ${round1(observed)}% managed spot saved this account's ${jobs} finished spot job${jobs === 1 ? '' : 's'} in ${r.region} (BillableTimeInSeconds ${Math.round(billable)} of TrainingTimeInSeconds ${Math.round(trained)})`);
    evidence.push(seen.line);
    best = seen.saving;
  }
  evidence.push(ownerLine(r));
  if (best.amount < settings.minSaving && assumed.saving.amount < settings.minSaving) {
    return { state: 'ok', evidence: [...evidence, `below rules.spot-training.minSaving (${settings.minSaving})`] };
  }
  return {
    state: 'violation',
    title: `training job ${r.name} ${finished ? 'ran' : 'runs'} on demand (${formatMoney(cost.cost)}): managed spot training could save ~${formatMoney(assumed.saving)}`,
    evidence,
    confidence: checkpoint ? 'high' : 'medium',
    notifyOnly: 'advice: switching a job to spot is a change to how it is launched',
  };
}

function vertex(r: Resource, settings: SpotTrainingSettings, now: Date, prices: PriceBook, discount: number, assumption: string): RuleResult {
  const strategy = typeof r.attributes['schedulingStrategy'] === 'string' ? r.attributes['schedulingStrategy'] : 'STRATEGY_UNSPECIFIED';
  if (strategy === 'SPOT') return { state: 'ok', evidence: ['scheduling.strategy is SPOT'] };
  const finished = r.kind === 'gcp.vertex.finished-custom-job';
  if (!finished && r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
  const started = dateAttribute(r, 'startedAt') ?? r.createdAt;
  if (!started) return { state: 'not-applicable', reason: 'start time unknown' };
  const ended = finished ? dateAttribute(r, 'endedAt') : now;
  if (!ended) return { state: 'not-applicable', reason: 'end time unknown' };
  const ms = Math.max(0, ended.getTime() - started.getTime());
  const evidence = [
    finished
      ? `custom job ran on demand from ${utc(started)} to ${utc(ended)} (${duration(ms)}, ${r.state}): scheduling.strategy ${strategy}, not SPOT`
      : `custom job running on demand since ${utc(started)} (${duration(ms)}): scheduling.strategy ${strategy}, not SPOT`,
    'checkpointing unknown: Vertex AI has no checkpoint setting on the job; on Spot VMs a preempted job restarts, so the training code must save and resume checkpoints (e.g. under baseOutputDirectory) — spot without checkpoints is advised against',
  ];
  const cost = costOver(r, ms / 3_600_000, prices);
  if (!cost) {
    evidence.push(noPriceLine(r, 'training'), ownerLine(r));
    return { state: 'violation', title: `custom job ${r.name} ${finished ? 'ran' : 'runs'} on demand: Spot VMs could cost less`, evidence, confidence: 'medium', notifyOnly: 'advice: the scheduling strategy is set when a job is created' };
  }
  evidence.splice(1, 0, `on-demand cost${finished ? '' : ' so far'}: ${cost.arithmetic}`);
  const assumed = savingLine(cost.cost, discount, assumption);
  evidence.push(assumed.line, ownerLine(r));
  if (assumed.saving.amount < settings.minSaving) return { state: 'ok', evidence: [...evidence, `below rules.spot-training.minSaving (${settings.minSaving})`] };
  return {
    state: 'violation',
    title: finished
      ? `custom job ${r.name} ran on demand (${formatMoney(cost.cost)}): Spot VMs could have saved ~${formatMoney(assumed.saving)}`
      : `custom job ${r.name} runs on demand (${formatMoney(cost.cost)} so far): Spot VMs could save ~${formatMoney(assumed.saving)}`,
    evidence,
    confidence: 'medium',
    notifyOnly: 'advice: the scheduling strategy is set when a job is created',
  };
}

function azureCluster(r: Resource, settings: SpotTrainingSettings, prices: PriceBook, discount: number, assumption: string): RuleResult {
  const priority = typeof r.attributes['vmPriority'] === 'string' ? r.attributes['vmPriority'] : 'Dedicated';
  if (priority.toLowerCase() === 'lowpriority') return { state: 'ok', evidence: ['vmPriority is LowPriority'] };
  if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
  const nodes = r.components.reduce((s, c) => s + c.instanceCount, 0);
  // Job history is not read: the cluster is judged on the nodes it holds now, a month of them.
  if (nodes === 0) return { state: 'not-applicable', reason: 'no nodes allocated now (job history is not read)' };
  const evidence = [
    `compute cluster on ${priority} VMs with ${nodes} node${nodes === 1 ? '' : 's'} allocated now (min ${String(r.attributes['minNodes'] ?? 0)}, max ${String(r.attributes['maxNodes'] ?? '?')})`,
    'checkpointing unknown: checkpoints are written by the jobs, not set on the cluster; low-priority nodes can be preempted, so only jobs that save and resume checkpoints belong on them — spot without checkpoints is advised against',
  ];
  const cost = costOver(r, HOURS_PER_MONTH, prices);
  if (!cost) {
    evidence.push(noPriceLine(r, 'training'), ownerLine(r));
    return { state: 'violation', title: `cluster ${r.name} runs on dedicated VMs: low priority could cost less`, evidence, confidence: 'medium', notifyOnly: 'advice: a cluster’s VM priority is set when it is created' };
  }
  evidence.splice(1, 0, `on-demand cost at its current nodes: ${cost.arithmetic}/month`);
  const assumed = savingLine(cost.cost, discount, assumption);
  evidence.push(`${assumed.line}/month`, ownerLine(r));
  if (assumed.saving.amount < settings.minSaving) return { state: 'ok', evidence: [...evidence, `below rules.spot-training.minSaving (${settings.minSaving})`] };
  return {
    state: 'violation',
    title: `cluster ${r.name} runs on dedicated VMs (${formatMoney(cost.cost)}/month): low-priority VMs could save ~${formatMoney(assumed.saving)}/month`,
    evidence,
    confidence: 'medium',
    notifyOnly: 'advice: a cluster’s VM priority is set when it is created',
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
