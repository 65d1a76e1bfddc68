import { describe, expect, it } from 'vitest';
import type { CommitmentCoverage } from '../../shared/domain/cost-signals.js';
import { money } from '../../shared/domain/money.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { commitmentsFromResponses } from '../../shared/providers/aws/savings-plans.js';
import { commitmentCoverage } from '../../shared/rules/commitment-coverage.js';

const now = new Date('2025-06-18T12:00:00Z');
const settings = { term: 1 as const, paymentOption: 'no-upfront' as const, lookbackDays: 30 as const, minMonthlySaving: 50 };

/*
 * Shaped per the Cost Explorer API reference (GetSavingsPlansCoverage: SavingsPlansCoverages[{
 * TimePeriod, Coverage{SpendCoveredBySavingsPlans, OnDemandCost, TotalCost, CoveragePercentage}}];
 * GetSavingsPlansPurchaseRecommendation: Metadata, SavingsPlansPurchaseRecommendation{…Details[],
 * …Summary}); amounts are decimal strings as the API sends them. No recorded payload is in the
 * shared fixtures.
 */
const COVERAGE = [
  { SavingsPlansCoverages: [{ TimePeriod: { Start: '2025-05-19', End: '2025-06-01' }, Coverage: { SpendCoveredBySavingsPlans: '1200', OnDemandCost: '6600', TotalCost: '7800', CoveragePercentage: '15.38' } }] },
  { SavingsPlansCoverages: [{ TimePeriod: { Start: '2025-06-01', End: '2025-06-18' }, Coverage: { SpendCoveredBySavingsPlans: '1700', OnDemandCost: '8500', TotalCost: '10200', CoveragePercentage: '16.67' } }] },
];
const RECOMMENDATION = {
  Metadata: { RecommendationId: 'rec-1', GenerationTimestamp: '2025-06-17T08:00:00Z' },
  SavingsPlansPurchaseRecommendation: {
    SavingsPlansType: 'SAGEMAKER_SP' as const,
    TermInYears: 'ONE_YEAR' as const,
    PaymentOption: 'PARTIAL_UPFRONT' as const,
    LookbackPeriodInDays: 'THIRTY_DAYS' as const,
    SavingsPlansPurchaseRecommendationDetails: [
      {
        AccountId: '111111111111',
        CurrencyCode: 'USD',
        HourlyCommitmentToPurchase: '12.5',
        UpfrontCost: '54750',
        EstimatedMonthlySavingsAmount: '4100.5',
        EstimatedSavingsPercentage: '30.2',
        EstimatedAverageUtilization: '98.5',
        CurrentMinimumHourlyOnDemandSpend: '19.8',
        CurrentAverageHourlyOnDemandSpend: '24.6',
        CurrentMaximumHourlyOnDemandSpend: '33.1',
      },
    ],
  },
};

const run = (commitments: CommitmentCoverage[], s = settings) =>
  commitmentCoverage.evaluate({ costs: [], cloudBudgets: [], budgets: [], forecasts: [], anomalies: [], commitments, scopes: [], settings: s, now, prices: new PriceBook() });

describe('commitment-coverage rule', () => {
  it("reads Cost Explorer's coverage pages and recommendation into one coverage", () => {
    const c = commitmentsFromResponses(COVERAGE, RECOMMENDATION, { accountId: '111111111111', start: '2025-05-19', end: '2025-06-18' });

    expect(c).toMatchObject({ totalSpend: money(18_000), coveredSpend: money(2900), onDemandSpend: money(15_100), program: 'SageMaker Savings Plans', service: 'Amazon SageMaker' });
    expect(c.recommendation).toMatchObject({ term: '1 year', paymentOption: 'PARTIAL_UPFRONT', hourlyCommitment: money(12.5), upfrontCost: money(54_750), estimatedMonthlySavings: money(4100.5), estimatedSavingsPercent: 30.2 });
    expect(c.recommendation?.hourlyOnDemand).toEqual({ minimum: money(19.8), average: money(24.6), maximum: money(33.1) });
    expect(c.recommendation?.generatedAt).toEqual(new Date('2025-06-17T08:00:00Z'));
  });

  it('refuses an amount that is not a number', () => {
    const bad = [{ SavingsPlansCoverages: [{ Coverage: { TotalCost: 'n/a', SpendCoveredBySavingsPlans: '0', OnDemandCost: '0' } }] }];
    expect(() => commitmentsFromResponses(bad, {}, { accountId: '1', start: '2025-06-01', end: '2025-06-18' })).toThrow(/TotalCost that is not a number/);
  });

  it("reports the cloud's recommendation with coverage, steady spend, commitment, saving and break-even", () => {
    const c = commitmentsFromResponses(COVERAGE, RECOMMENDATION, { accountId: '111111111111', start: '2025-05-19', end: '2025-06-18' });

    const [f, ...rest] = run([c]);

    expect(rest).toEqual([]);
    expect(f?.title).toBe('Amazon SageMaker in 111111111111: the cloud recommends a $12.50/h SageMaker Savings Plan, saving ~$4,100.50/month');
    expect(f?.evidence).toEqual([
      'coverage 2025-05-19 to 2025-06-17: SageMaker Savings Plans covered $2,900.00 of $18,000.00 eligible Amazon SageMaker spend (16.1%); $15,100.00 ran at on-demand rates',
      'hourly on-demand Amazon SageMaker spend over the last 30 days: steady floor $19.80/h, average $24.60/h, peak $33.10/h',
      'the cloud recommends: a 1 year, partial upfront SageMaker Savings Plan of $12.50/h ($12.50/h × 730 h = $9,125.00/month committed, $54,750.00 upfront)',
      "estimated saving (the cloud's estimate, not costwatch's): $4,100.50/month (30.2% of the on-demand cost it covers), at 98.5% expected use of the commitment",
      'break-even: the commitment costs less than on demand in every hour the eligible on-demand spend is above $12.50/h; the steady floor ($19.80/h) is above it; the upfront $54,750.00 is repaid by the estimated saving in $54,750.00 ÷ $4,100.50 = 13.4 months',
      'a 1 year commitment is owed whatever the usage: buy it only for compute that will keep running; recommendation computed 2025-06-17',
      'source: AWS Cost Explorer GetSavingsPlansCoverage and GetSavingsPlansPurchaseRecommendation (SAGEMAKER_SP), recommendation rec-1',
    ]);
    // Not added to the waste totals: the same spend is counted by the idle findings.
    expect(f?.waste).toBeUndefined();
    expect(f?.notifyOnly).toMatch(/^advice/);
  });

  it('does not report without a recommendation, or below minMonthlySaving', () => {
    const none = commitmentsFromResponses(COVERAGE, { SavingsPlansPurchaseRecommendation: { SavingsPlansPurchaseRecommendationDetails: [], SavingsPlansPurchaseRecommendationSummary: { TotalRecommendationCount: '0' } } }, { accountId: '1', start: '2025-05-19', end: '2025-06-18' });
    expect(none.recommendation).toBeUndefined();
    expect(run([none])).toEqual([]);
    const c = commitmentsFromResponses(COVERAGE, RECOMMENDATION, { accountId: '1', start: '2025-05-19', end: '2025-06-18' });
    expect(run([c], { ...settings, minMonthlySaving: 5000 })).toEqual([]);
    expect(run([])).toEqual([]);
  });
});
