import type { CostExplorerClient, GetSavingsPlansCoverageResponse, GetSavingsPlansPurchaseRecommendationResponse, LookbackPeriodInDays, PaymentOption, TermInYears } from '@aws-sdk/client-cost-explorer';
import { clientOf, costExplorerSdk, type ClientRef } from './sdk.js';
import type { CommitmentCoverage, CommitmentRecommendation } from '../../domain/cost-signals.js';
import { money, type Money } from '../../domain/money.js';
import { ProviderError } from '../../errors.js';

/** The service SageMaker Savings Plans cover, as Cost Explorer names it. */
export const SAGEMAKER_SERVICE = 'Amazon SageMaker';

/** What to ask Cost Explorer for: the policy's commitment-coverage settings. */
export interface SavingsPlansQuery {
  readonly accountId: string;
  /** YYYY-MM-DD, inclusive: the coverage window. */
  readonly start: string;
  /** YYYY-MM-DD, exclusive. */
  readonly end: string;
  readonly termYears: 1 | 3;
  readonly paymentOption: 'no-upfront' | 'partial-upfront' | 'all-upfront';
  readonly lookbackDays: 7 | 30 | 60;
}

const TERMS: Record<1 | 3, TermInYears> = { 1: 'ONE_YEAR', 3: 'THREE_YEARS' };
const PAYMENTS: Record<SavingsPlansQuery['paymentOption'], PaymentOption> = { 'no-upfront': 'NO_UPFRONT', 'partial-upfront': 'PARTIAL_UPFRONT', 'all-upfront': 'ALL_UPFRONT' };
const LOOKBACKS: Record<7 | 30 | 60, LookbackPeriodInDays> = { 7: 'SEVEN_DAYS', 30: 'THIRTY_DAYS', 60: 'SIXTY_DAYS' };

/**
 * Reads SageMaker Savings Plans coverage of one account over [start, end) (`GetSavingsPlansCoverage`,
 * every page) and the SageMaker Savings Plans purchase recommendation
 * (`GetSavingsPlansPurchaseRecommendation`). Each request is billed ($0.01): the caller caches.
 */
export async function readSageMakerCommitments(ref: ClientRef<CostExplorerClient>, q: SavingsPlansQuery): Promise<CommitmentCoverage> {
  const [{ GetSavingsPlansCoverageCommand, GetSavingsPlansPurchaseRecommendationCommand }, ce] = await Promise.all([costExplorerSdk(), clientOf(ref)]);
  const account = { Dimensions: { Key: 'LINKED_ACCOUNT' as const, Values: [q.accountId] } };
  const pages: GetSavingsPlansCoverageResponse[] = [];
  let token: string | undefined;
  do {
    const out = await ce.send(
      new GetSavingsPlansCoverageCommand({
        TimePeriod: { Start: q.start, End: q.end },
        Granularity: 'MONTHLY',
        Filter: { And: [account, { Dimensions: { Key: 'SERVICE', Values: [SAGEMAKER_SERVICE] } }] },
        NextToken: token,
      }),
    );
    pages.push(out);
    token = out.NextToken;
  } while (token);
  let rec: GetSavingsPlansPurchaseRecommendationResponse;
  try {
    rec = await ce.send(
      new GetSavingsPlansPurchaseRecommendationCommand({
        SavingsPlansType: 'SAGEMAKER_SP',
        TermInYears: TERMS[q.termYears],
        PaymentOption: PAYMENTS[q.paymentOption],
        LookbackPeriodInDays: LOOKBACKS[q.lookbackDays],
        AccountScope: 'LINKED',
        Filter: account,
      }),
    );
  } catch (err) {
    // Too little usage history for a recommendation is an answer, not a failure.
    if ((err as { name?: string }).name !== 'DataUnavailableException') throw err;
    rec = {};
  }
  return commitmentsFromResponses(pages, rec, { accountId: q.accountId, start: q.start, end: q.end });
}

/** Coverage pages and a recommendation as a domain coverage (exported for tests with recorded payloads). */
export function commitmentsFromResponses(
  coverage: readonly Pick<GetSavingsPlansCoverageResponse, 'SavingsPlansCoverages'>[],
  rec: Pick<GetSavingsPlansPurchaseRecommendationResponse, 'Metadata' | 'SavingsPlansPurchaseRecommendation'>,
  opts: { accountId: string; start: string; end: string },
): CommitmentCoverage {
  const items = coverage.flatMap((p) => p.SavingsPlansCoverages ?? []).filter((c) => c.Coverage);
  // Coverage amounts carry no unit: Cost Explorer answers in the payer's currency, US dollars.
  const currency = 'USD';
  const sum = (pick: (c: NonNullable<(typeof items)[number]['Coverage']>) => string | undefined, what: string) =>
    items.reduce((s, c) => s + amount(pick(c.Coverage!), what), 0);
  const recommendation = recommendationOf(rec);
  return {
    cloud: 'aws',
    scopeId: opts.accountId,
    program: 'SageMaker Savings Plans',
    service: SAGEMAKER_SERVICE,
    period: { start: day(opts.start), end: day(opts.end) },
    ...(items.length > 0
      ? {
          totalSpend: money(sum((c) => c.TotalCost, 'TotalCost'), currency),
          coveredSpend: money(sum((c) => c.SpendCoveredBySavingsPlans, 'SpendCoveredBySavingsPlans'), currency),
          onDemandSpend: money(sum((c) => c.OnDemandCost, 'OnDemandCost'), currency),
        }
      : {}),
    ...(recommendation ? { recommendation } : {}),
    source: 'AWS Cost Explorer GetSavingsPlansCoverage and GetSavingsPlansPurchaseRecommendation (SAGEMAKER_SP)',
  };
}

function recommendationOf(rec: Pick<GetSavingsPlansPurchaseRecommendationResponse, 'Metadata' | 'SavingsPlansPurchaseRecommendation'>): CommitmentRecommendation | undefined {
  const r = rec.SavingsPlansPurchaseRecommendation;
  // One account asked: its detail is the recommendation; the summary is the fallback.
  const d = r?.SavingsPlansPurchaseRecommendationDetails?.[0];
  const s = r?.SavingsPlansPurchaseRecommendationSummary;
  const hourly = d?.HourlyCommitmentToPurchase ?? s?.HourlyCommitmentToPurchase;
  const monthly = d?.EstimatedMonthlySavingsAmount ?? s?.EstimatedMonthlySavingsAmount;
  if (!r || hourly === undefined || monthly === undefined || amount(hourly, 'HourlyCommitmentToPurchase') <= 0) return undefined;
  const currency = d?.CurrencyCode ?? s?.CurrencyCode ?? 'USD';
  const m = (x: string | undefined, what: string): Money | undefined => (x === undefined || x.trim() === '' ? undefined : money(amount(x, what), currency));
  const pct = (x: string | undefined, what: string) => (x === undefined || x.trim() === '' ? undefined : amount(x, what));
  const min = m(d?.CurrentMinimumHourlyOnDemandSpend, 'CurrentMinimumHourlyOnDemandSpend');
  const avg = m(d?.CurrentAverageHourlyOnDemandSpend, 'CurrentAverageHourlyOnDemandSpend');
  const max = m(d?.CurrentMaximumHourlyOnDemandSpend, 'CurrentMaximumHourlyOnDemandSpend');
  const upfront = m(d?.UpfrontCost, 'UpfrontCost');
  const savingsPct = pct(d?.EstimatedSavingsPercentage ?? s?.EstimatedSavingsPercentage, 'EstimatedSavingsPercentage');
  const utilization = pct(d?.EstimatedAverageUtilization, 'EstimatedAverageUtilization');
  const generated = rec.Metadata?.GenerationTimestamp ? new Date(rec.Metadata.GenerationTimestamp) : undefined;
  return {
    term: r.TermInYears === 'THREE_YEARS' ? '3 years' : '1 year',
    paymentOption: r.PaymentOption ?? 'NO_UPFRONT',
    lookbackDays: r.LookbackPeriodInDays === 'SEVEN_DAYS' ? 7 : r.LookbackPeriodInDays === 'SIXTY_DAYS' ? 60 : 30,
    hourlyCommitment: money(amount(hourly, 'HourlyCommitmentToPurchase'), currency),
    ...(upfront ? { upfrontCost: upfront } : {}),
    estimatedMonthlySavings: money(amount(monthly, 'EstimatedMonthlySavingsAmount'), currency),
    ...(savingsPct !== undefined ? { estimatedSavingsPercent: savingsPct } : {}),
    ...(utilization !== undefined ? { estimatedUtilizationPercent: utilization } : {}),
    ...(min || avg || max ? { hourlyOnDemand: { ...(min ? { minimum: min } : {}), ...(avg ? { average: avg } : {}), ...(max ? { maximum: max } : {}) } } : {}),
    ...(generated && !Number.isNaN(generated.getTime()) ? { generatedAt: generated } : {}),
    ...(rec.Metadata?.RecommendationId ? { id: rec.Metadata.RecommendationId } : {}),
  };
}

function amount(text: string | undefined, what: string): number {
  const x = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(x)) throw new ProviderError(`Cost Explorer answered a ${what} that is not a number: ${JSON.stringify(text)}`, { cloud: 'aws' });
  return x;
}

function day(text: string): Date {
  return new Date(`${text}T00:00:00Z`);
}
