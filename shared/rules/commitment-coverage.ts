import type { CommitmentCoverage } from '../domain/cost-signals.js';
import type { Finding } from '../domain/finding.js';
import { formatMoney, HOURS_PER_MONTH, type Money } from '../domain/money.js';
import { day } from './budget-status.js';
import { rate, round2 } from './helpers.js';
import type { CostRule } from './types.js';

/** Settings of commitment-coverage (`rules.commitment-coverage`). */
export interface CommitmentCoverageSettings {
  /** Term of the commitment asked about, in years. */
  readonly term: 1 | 3;
  readonly paymentOption: 'no-upfront' | 'partial-upfront' | 'all-upfront';
  /** Days of usage the cloud recommends from. */
  readonly lookbackDays: 7 | 30 | 60;
  /** Recommendations saving less than this a month are not reported. */
  readonly minMonthlySaving: number;
}

/**
 * `commitment-coverage`: steady AI compute that no commitment covers, with the cloud's own
 * purchase recommendation (AWS: SageMaker Savings Plans coverage and
 * `GetSavingsPlansPurchaseRecommendation`; Azure: Consumption's reservation recommendations for
 * the VM sizes Azure ML compute uses). Evidence: coverage over the window, the steady,
 * average and peak hourly on-demand spend, the recommended commitment per hour, the cloud's
 * estimated saving, and the break-even. Stated as the cloud's recommendation; no action.
 */
export const commitmentCoverage: CostRule<CommitmentCoverageSettings> = {
  id: 'commitment-coverage',
  reads: ['commitments'],
  // Azure reservation recommendations are kept for the VM sizes Azure ML compute uses: list it.
  lists: ['azure.ml.compute-instance', 'azure.ml.compute-cluster'],
  title: 'Steady AI compute not covered by a commitment',
  explanation: 'Compute that runs around the clock costs less under a Savings Plan or committed-use discount, for as long as it keeps running.',
  severity: 'low',
  evaluate({ commitments = [], settings, now }): Finding[] {
    const out: Finding[] = [];
    for (const c of commitments) {
      const f = judge(c, settings, now);
      if (f) out.push(f);
    }
    return out;
  },
};

function pct(x: number): string {
  return `${Math.round(x * 10) / 10}%`;
}

function perHour(m: Money): string {
  return `${rate(m.amount, m.currency)}/h`;
}

function judge(c: CommitmentCoverage, settings: CommitmentCoverageSettings, now: Date): Finding | undefined {
  const r = c.recommendation;
  // No recommendation: covered already, or too little steady usage for the cloud to advise one.
  if (!r || r.estimatedMonthlySavings.amount <= 0) return undefined;
  if (r.estimatedMonthlySavings.amount < settings.minMonthlySaving) return undefined;
  const lastDay = new Date(c.period.end.getTime() - 86_400_000);
  const evidence: string[] = [];
  if (c.totalSpend && c.coveredSpend && c.totalSpend.amount > 0) {
    const share = (c.coveredSpend.amount / c.totalSpend.amount) * 100;
    evidence.push(
      `coverage ${day(c.period.start)} to ${day(lastDay)}: ${c.program} covered ${formatMoney(c.coveredSpend)} of ${formatMoney(c.totalSpend)} eligible ${c.service} spend (${pct(share)})${c.onDemandSpend ? `; ${formatMoney(c.onDemandSpend)} ran at on-demand rates` : ''}`,
    );
  } else if (r.reservation) {
    evidence.push(`coverage ${day(c.period.start)} to ${day(lastDay)}: the cloud recommends from the usage no existing reservation covered; costwatch does not read reservation utilization`);
  } else {
    evidence.push(`coverage ${day(c.period.start)} to ${day(lastDay)}: no ${c.program} coverage data for ${c.service}`);
  }
  const h = r.hourlyOnDemand;
  if (h && (h.minimum || h.average || h.maximum)) {
    const parts = [h.minimum ? `steady floor ${perHour(h.minimum)}` : undefined, h.average ? `average ${perHour(h.average)}` : undefined, h.maximum ? `peak ${perHour(h.maximum)}` : undefined].filter(Boolean);
    evidence.push(`hourly on-demand ${c.service} spend over the last ${r.lookbackDays} days: ${parts.join(', ')}`);
  }
  const res = r.reservation;
  if (res) {
    // A reservation of instances (Azure): the cloud's costs over the look-back, divided into hours here.
    const hrs = res.hours;
    evidence.push(
      `the cloud recommends: ${res.quantity} × ${res.unit} reserved for ${r.term}; over the last ${r.lookbackDays} days (${hrs} h) the same usage cost ${formatMoney(res.costWithout)} on demand and would have cost ${formatMoney(res.costWith)} with it (${formatMoney(res.costWith)} ÷ ${hrs} h = ${perHour(r.hourlyCommitment)}, against ${formatMoney(res.costWithout)} ÷ ${hrs} h = ${r.hourlyOnDemand?.average ? perHour(r.hourlyOnDemand.average) : '?'} on demand)`,
    );
    evidence.push(
      `estimated saving (the cloud's estimate, not costwatch's): ${formatMoney(res.netSavings)} over the ${r.lookbackDays} days; ${formatMoney(res.netSavings)} ÷ ${hrs} h × ${HOURS_PER_MONTH} h = ${formatMoney(r.estimatedMonthlySavings)}/month${r.estimatedSavingsPercent !== undefined ? ` (${pct(r.estimatedSavingsPercent)} of the on-demand cost)` : ''}`,
    );
    const share = res.costWithout.amount > 0 ? (res.costWith.amount / res.costWithout.amount) * 100 : 100;
    evidence.push(
      `break-even: a reservation is billed every hour whether its VMs run or not; at the cloud's figures it costs less than on demand while usage of ${res.unit} stays above ${formatMoney(res.costWith)} ÷ ${formatMoney(res.costWithout)} = ${pct(share)} of the look-back's; no upfront payment is needed (monthly payments cost the same)`,
    );
  } else {
    const committed = { amount: round2(r.hourlyCommitment.amount * HOURS_PER_MONTH), currency: r.hourlyCommitment.currency };
    evidence.push(
      `the cloud recommends: a ${r.term}, ${r.paymentOption.toLowerCase().replace(/_/g, ' ')} ${c.program.replace(/s$/, '')} of ${perHour(r.hourlyCommitment)} (${perHour(r.hourlyCommitment)} × ${HOURS_PER_MONTH} h = ${formatMoney(committed)}/month committed${r.upfrontCost && r.upfrontCost.amount > 0 ? `, ${formatMoney(r.upfrontCost)} upfront` : ''})`,
    );
    evidence.push(
      `estimated saving (the cloud's estimate, not costwatch's): ${formatMoney(r.estimatedMonthlySavings)}/month${r.estimatedSavingsPercent !== undefined ? ` (${pct(r.estimatedSavingsPercent)} of the on-demand cost it covers)` : ''}${r.estimatedUtilizationPercent !== undefined ? `, at ${pct(r.estimatedUtilizationPercent)} expected use of the commitment` : ''}`,
    );
    const floor = h?.minimum;
    const breakEven = [`break-even: the commitment costs less than on demand in every hour the eligible on-demand spend is above ${perHour(r.hourlyCommitment)}`];
    if (floor) breakEven.push(floor.amount >= r.hourlyCommitment.amount ? `the steady floor (${perHour(floor)}) is above it` : `the steady floor (${perHour(floor)}) is below it: hours under it pay for unused commitment`);
    if (r.upfrontCost && r.upfrontCost.amount > 0) {
      const months = r.upfrontCost.amount / r.estimatedMonthlySavings.amount;
      breakEven.push(`the upfront ${formatMoney(r.upfrontCost)} is repaid by the estimated saving in ${formatMoney(r.upfrontCost)} ÷ ${formatMoney(r.estimatedMonthlySavings)} = ${Math.round(months * 10) / 10} months`);
    } else {
      breakEven.push('no upfront payment: it saves from the first month at this usage');
    }
    evidence.push(breakEven.join('; '));
  }
  evidence.push(`a ${r.term} commitment is owed whatever the usage: buy it only for compute that will keep running${r.generatedAt ? `; recommendation computed ${day(r.generatedAt)}` : ''}`);
  evidence.push(`source: ${c.source}${r.id ? `, recommendation ${r.id}` : ''}`);
  return {
    id: `commitment-coverage:${c.cloud}:${c.scopeId}:${c.program}`,
    ruleId: 'commitment-coverage',
    state: 'violation',
    cloud: c.cloud,
    scopeId: c.scopeId,
    title: res
      ? `${c.service} in ${c.scopeId}: the cloud recommends reserving ${res.quantity} × ${res.unit} for ${r.term}, saving ~${formatMoney(r.estimatedMonthlySavings)}/month`
      : `${c.service} in ${c.scopeId}: the cloud recommends a ${perHour(r.hourlyCommitment)} ${c.program.replace(/s$/, '')}, saving ~${formatMoney(r.estimatedMonthlySavings)}/month`,
    evidence,
    confidence: 'high',
    // No waste figure: the saving overlaps the waste of idle findings on the same spend, so it is
    // never added to their total; it is in the title and the evidence.
    notifyOnly: 'advice: buying a commitment is a financial decision for the account owner',
    detectedAt: now,
  };
}
