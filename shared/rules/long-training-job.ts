import { formatMoney, HOURS_PER_MONTH } from '../domain/money.js';
import type { PriceUsage } from '../pricing/price-book.js';
import type { ResourceRule, RuleResult } from './types.js';
import { dateAttribute, duration, noPriceLine, numberAttribute, rateOf, round2, utc } from './helpers.js';

/** Settings of the long-training-job rule (`rules.long-training-job`). */
export interface LongTrainingJobSettings {
  /** Flag jobs running longer than this. */
  readonly maxHours: number;
  /** Flag jobs past this share (0–1] of their own MaxRuntimeInSeconds. */
  readonly maxRuntimeShare: number;
}

/** Job kinds this rule judges, with the price list each is billed from. */
export const JOB_KINDS: Readonly<Record<string, PriceUsage>> = {
  'aws.sagemaker.training-job': 'training',
  'aws.sagemaker.processing-job': 'processing',
  'gcp.vertex.custom-job': 'training',
};

/**
 * `long-training-job`: a training (or processing) job running longer than `maxHours`, or past
 * `maxRuntimeShare` of its own `MaxRuntimeInSeconds`. The evidence shows the cost so far
 * (price × instances × hours running); the waste is what it can still cost until its runtime
 * limit stops it (at most a month), which is what stopping it now saves.
 */
export const longTrainingJob: ResourceRule<LongTrainingJobSettings> = {
  id: 'long-training-job',
  title: 'Long-running training job',
  explanation: 'A training job bills every instance for every hour it runs; a stuck or forgotten one runs until its time limit.',
  kinds: Object.keys(JOB_KINDS),
  signals: [],
  severity: 'high',
  actions: {
    'aws.sagemaker.training-job': 'aws.sagemaker.stop-training-job',
    'aws.sagemaker.processing-job': 'aws.sagemaker.stop-processing-job',
    'gcp.vertex.custom-job': 'gcp.vertex.cancel-custom-job',
  },
  evaluate({ resource: r, settings, now, prices }): RuleResult {
    const usage = JOB_KINDS[r.kind];
    if (!usage) return { state: 'not-applicable', reason: `kind ${r.kind}` };
    if (r.lifecycle !== 'running') return { state: 'not-applicable', reason: `state ${r.state}` };
    const started = dateAttribute(r, 'startedAt') ?? r.createdAt;
    if (!started) return { state: 'not-applicable', reason: 'start time unknown' };
    const ranMs = Math.max(0, now.getTime() - started.getTime());
    const hours = ranMs / 3_600_000;
    const maxRuntime = numberAttribute(r, 'maxRuntimeSeconds');
    const share = maxRuntime ? ranMs / 1000 / maxRuntime : undefined;
    const overHours = hours > settings.maxHours;
    const overShare = share !== undefined && share > settings.maxRuntimeShare;
    const what = r.kind === 'gcp.vertex.custom-job' ? 'custom training job' : usage === 'training' ? 'training job' : 'processing job';
    // The cloud's name for the limit: MaxRuntimeInSeconds (SageMaker), scheduling.timeout (Vertex AI).
    const limit = typeof r.attributes['runtimeLimit'] === 'string' ? r.attributes['runtimeLimit'] : 'MaxRuntimeInSeconds';
    const limitShort = limit.split(' ')[0] ?? limit;
    const limitLine = maxRuntime ? `${limit} ${maxRuntime} (${duration(maxRuntime * 1000)}): ${Math.round((share ?? 0) * 100)}% used` : `no ${limitShort}: nothing stops it`;
    if (!overHours && !overShare) {
      return { state: 'ok', evidence: [`running ${duration(ranMs)} of the ${settings.maxHours} h limit`, limitLine] };
    }
    const why = [
      ...(overHours ? [`longer than ${settings.maxHours} h`] : []),
      ...(overShare ? [`past ${Math.round(settings.maxRuntimeShare * 100)}% of its ${limitShort}`] : []),
    ].join(' and ');
    const evidence = [`${what} running since ${utc(started)}: ${duration(ranMs)} (${why})`, limitLine];
    if (r.attributes['managedSpot'] === true) evidence.push('managed spot training: billed below the on-demand prices used here');
    const rate = rateOf(r, usage, prices);
    if (!rate) {
      evidence.push(noPriceLine(r, usage));
      return { state: 'violation', title: `${what} ${r.name} has run ${duration(ranMs)}`, evidence, confidence: 'high' };
    }
    const soFar = { amount: round2(rate.hourly * hours), currency: rate.currency };
    evidence.splice(1, 0, `cost so far: ${rate.parts} × ${round1(hours)} h = ${formatMoney(soFar)}`);
    const leftHours = maxRuntime ? Math.max(0, maxRuntime / 3600 - hours) : HOURS_PER_MONTH;
    const billable = Math.min(HOURS_PER_MONTH, leftHours);
    const monthly = { amount: round2(rate.hourly * billable), currency: rate.currency };
    const until = maxRuntime && leftHours <= HOURS_PER_MONTH ? `h left before ${limitShort} stops it` : 'h (a month of running on)';
    return {
      state: 'violation',
      title: `${what} ${r.name} has run ${duration(ranMs)} (${formatMoney(soFar)} so far)`,
      evidence,
      confidence: 'high',
      waste: { basis: 'until-stopped', monthly, arithmetic: `${rate.parts} × ${round1(billable)} ${until} = ${formatMoney(monthly)}`, priceSource: rate.source },
    };
  },
};

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
