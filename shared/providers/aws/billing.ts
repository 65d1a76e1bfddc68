import type { Budget } from '../../domain/budget.js';
import type { CostRecord } from '../../domain/cost.js';
import type { CommitmentCoverage, CostAnomaly, CostForecast } from '../../domain/cost-signals.js';
import type { Resource, Scope } from '../../domain/resource.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { dayOf, endOfPeriod, reviveForecast, reviveRecords, startOfPeriod } from '../billing-periods.js';
import { plansBilling, type CollectionFailure, type CollectOptions } from '../port.js';
import { readAnomalies } from './anomalies.js';
import { readBudgets } from './budgets.js';
import type { AwsClientFactory } from './clients.js';
import { cachedRead, endOfUtcDay } from './cost-cache.js';
import { forecastFilter, readCostAndUsage, readForecast, type Breakdown } from './cost-explorer.js';
import { fetchHostingPrices } from './price-list.js';
import { ColdArtifacts, type ColdArtifactsOptions } from './s3-artifacts.js';
import { readSageMakerCommitments, type SavingsPlansQuery } from './savings-plans.js';

/** What the AWS provider reads about money, from the policy. */
export interface AwsBillingOptions {
  /** Cost allocation tag keys Cost Explorer groups by (besides SERVICE), for drivers; budgets' own tag keys are added. */
  readonly costAllocationTags: readonly string[];
  /** Configured budgets: they decide how far back costs are read and which forecasts are asked. */
  readonly budgets: readonly Budget[];
  /** Read the account's AWS Budgets (the budget rules are on). */
  readonly nativeBudgets: boolean;
  /** Read Cost Anomaly Detection (the cost-anomaly rule is on). */
  readonly anomalies: boolean;
  /** Days of anomalies to read, ending today (default 14). */
  readonly anomalyDays?: number;
  /** Read SageMaker hosting prices from the Price List API (default true). */
  readonly priceList?: boolean;
  /** Watched buckets for cold-artifacts; absent or empty = no S3 reads. */
  readonly coldArtifacts?: ColdArtifactsOptions;
  /**
   * Read the month's spend grouped by service and this tag key (the untagged-spend rule is on): the
   * share of AI spend without a team tag. Absent = not read.
   */
  readonly tagSpendKey?: string;
  /** Read SageMaker Savings Plans coverage and purchase recommendation (the commitment-coverage rule is on). */
  readonly commitments?: Pick<SavingsPlansQuery, 'termYears' | 'paymentOption' | 'lookbackDays'>;
  /** The clock re-reads before acting use (the sandbox world's in local runs); default: the machine's. */
  readonly now?: () => Date;
}

/** Everything one scope's billing reads produced. */
export interface BillingCollection {
  readonly costs: CostRecord[];
  readonly budgets: Budget[];
  readonly forecasts: CostForecast[];
  readonly anomalies: CostAnomaly[];
  readonly commitments: CommitmentCoverage[];
  readonly prices: FetchedPrice[];
  readonly failures: CollectionFailure[];
}

const DAY_MS = 86_400_000;
/** Cost Explorer, Budgets and the Price List API answer from us-east-1 for every account. */
const GLOBAL_REGION = 'us-east-1';

/**
 * Reads one AWS account's costs (Cost Explorer, cached so a day costs one request per grouping),
 * forecasts, anomalies, AWS budgets and Price List prices. Each read fails alone: its failure is
 * reported and the others stand. It also holds the watched S3 buckets' side (`coldArtifacts`),
 * which the `aws.s3.prefix` kind module lists and acts through.
 */
export class AwsBilling {
  private readonly artifacts: ColdArtifacts | undefined;

  constructor(
    private readonly clients: AwsClientFactory,
    private readonly options: AwsBillingOptions,
  ) {
    this.artifacts = options.coldArtifacts && options.coldArtifacts.buckets.length > 0 ? new ColdArtifacts(clients, options.coldArtifacts) : undefined;
  }

  /** The S3 side (collector and lifecycle action), when buckets are watched. */
  get coldArtifacts(): ColdArtifacts | undefined {
    return this.artifacts;
  }

  /** The tag keys each day's cost reads group by: the configured ones and every single-tag budget's. */
  tagKeys(): string[] {
    const keys = new Set(this.options.costAllocationTags);
    for (const b of this.options.budgets) {
      const k = Object.keys(b.scope.tags ?? {});
      if (k.length === 1) keys.add(k[0]!);
    }
    return [...keys].sort();
  }

  /** Reads one account; `inventory` (the SageMaker resources, when read) names the instance types to price. */
  async collect(scope: Scope, inventory: Promise<readonly Resource[]>, opts: CollectOptions): Promise<BillingCollection> {
    const now = opts.now;
    const failures: CollectionFailure[] = [];
    const fail = (operation: string, err: unknown, region?: string) => failures.push({ scope, operation, message: describe(err), ...(region ? { region } : {}) });
    const { costExplorer, budgets: budgetsClient, pricing } = this.clients({ accountId: scope.id, region: GLOBAL_REGION });
    const today = dayOf(now);
    const expires = endOfUtcDay(now);

    // Only what the scan's cost rules read (its collection plan), of what the policy turns on.
    const nativeRead = (this.options.nativeBudgets && plansBilling(opts, 'budgets') ? readBudgets(budgetsClient, scope.id) : Promise.resolve({ budgets: [] as Budget[], skipped: [] as string[] })).catch((err: unknown) => {
      fail('budgets:DescribeBudgets', err);
      return { budgets: [] as Budget[], skipped: [] as string[] };
    });
    const prices =
      this.options.priceList === false
        ? Promise.resolve([] as FetchedPrice[])
        : inventory.then((found) => fetchHostingPrices(pricing, hostingKeys(found), opts.cache, now)).catch((err: unknown) => {
            fail('pricing:GetProducts', err);
            return [] as FetchedPrice[];
          });
    const native = await nativeRead;
    const applicable = plansBilling(opts, 'costs') || plansBilling(opts, 'forecasts') ? this.options.budgets.filter((b) => covers(b, scope)) : [];
    const costs: CostRecord[] = [];
    // Cost Explorer bills every request: read costs only when a budget will look at them.
    const budgetCosts = (applicable.length > 0 || native.budgets.length > 0) && plansBilling(opts, 'costs');
    const tagKey = plansBilling(opts, 'tag-spend') ? this.options.tagSpendKey : undefined;
    const reads: { start: string; breakdowns: Breakdown[] }[] = [];
    if (budgetCosts) {
      const start = dayOf(new Date(Math.min(startOfPeriod('monthly', now), ...[...applicable, ...native.budgets].map((b) => startOfPeriod(b.period, now)))));
      const keys = this.tagKeys();
      reads.push({ start, breakdowns: ['SERVICE', ...keys.map((k): Breakdown => `SERVICE,TAG:${k}`)] });
      // The budgets' read starts at the month's start or earlier: it already holds the month by this tag.
      if (tagKey !== undefined && !keys.includes(tagKey)) reads.push({ start, breakdowns: [`SERVICE,TAG:${tagKey}`] });
    } else if (tagKey !== undefined) {
      reads.push({ start: dayOf(new Date(startOfPeriod('monthly', now))), breakdowns: [`SERVICE,TAG:${tagKey}`] });
    }
    for (const { start, breakdowns } of reads) {
      if (start < today) {
        await Promise.all(
          breakdowns.map(async (breakdown) => {
            try {
              const records = await cachedRead(
                opts.cache,
                `ce:GetCostAndUsage:v1:${scope.id}:${breakdown}:${start}:${today}`,
                now,
                expires,
                async () => (await readCostAndUsage(costExplorer, { accountId: scope.id, start, end: today, breakdown })).records,
                { encode: (rs) => rs, decode: reviveRecords },
              );
              costs.push(...records);
            } catch (err) {
              fail(`ce:GetCostAndUsage (${breakdown})`, err);
            }
          }),
        );
      }
    }

    const forecasts: CostForecast[] = [];
    await Promise.all(
      (plansBilling(opts, 'forecasts') ? applicable : []).map(async (b) => {
        const end = dayOf(new Date(endOfPeriod(b.period, now)));
        const filter = forecastFilter(scope.id, { ...(b.scope.services ? { services: b.scope.services } : {}), ...(b.scope.tags ? { tags: b.scope.tags } : {}) });
        try {
          const f = await cachedRead(
            opts.cache,
            `ce:GetCostForecast:v1:${scope.id}:${JSON.stringify(filter)}:${today}:${end}`,
            now,
            expires,
            () => readForecast(costExplorer, { accountId: scope.id, start: today, end, filter, budgetName: b.name }),
            { encode: (v) => v ?? null, decode: (raw) => (raw === null ? undefined : reviveForecast(raw)) },
          );
          // The same filter may serve several budgets; the cached value names the first.
          if (f) forecasts.push({ ...f, budgetName: b.name });
        } catch (err) {
          fail(`ce:GetCostForecast (budget ${b.name})`, err);
        }
      }),
    );

    let anomalies: CostAnomaly[] = [];
    if (this.options.anomalies && plansBilling(opts, 'anomalies')) {
      // Cost Anomaly Detection gives impacts without a unit, in US dollars.
      const currency = 'USD';
      const from = dayOf(new Date(now.getTime() - (this.options.anomalyDays ?? 14) * DAY_MS));
      try {
        anomalies = await cachedRead(
          opts.cache,
          `ce:GetAnomalies:v1:${scope.id}:${from}:${today}`,
          now,
          expires,
          () => readAnomalies(costExplorer, { scopeId: scope.id, start: from, end: today, currency }),
          { encode: (as) => as, decode: reviveAnomalies },
        );
      } catch (err) {
        fail('ce:GetAnomalies', err);
      }
    }

    const commitments: CommitmentCoverage[] = [];
    const sp = this.options.commitments;
    if (sp && plansBilling(opts, 'commitments')) {
      // Coverage over the same days the recommendation looks back on, ending yesterday (cost data is daily).
      const from = dayOf(new Date(Date.parse(`${today}T00:00:00Z`) - sp.lookbackDays * DAY_MS));
      try {
        commitments.push(
          await cachedRead(
            opts.cache,
            `ce:SavingsPlans:SAGEMAKER_SP:v1:${scope.id}:${sp.termYears}:${sp.paymentOption}:${sp.lookbackDays}:${today}`,
            now,
            expires,
            () => readSageMakerCommitments(costExplorer, { accountId: scope.id, start: from, end: today, ...sp }),
            { encode: (c) => c, decode: reviveCommitment },
          ),
        );
      } catch (err) {
        fail('ce:GetSavingsPlansCoverage/GetSavingsPlansPurchaseRecommendation', err);
      }
    }

    return { costs, budgets: native.budgets, forecasts, anomalies, commitments, prices: await prices, failures };
  }
}

/** Whether a configured budget counts this AWS account's costs. */
function covers(b: Budget, scope: Scope): boolean {
  return (!b.scope.clouds || b.scope.clouds.includes('aws')) && (!b.scope.scopeIds || b.scope.scopeIds.some((id) => id === scope.id));
}

function hostingKeys(inventory: readonly Resource[]): { instanceType: string; region: string }[] {
  const out: { instanceType: string; region: string }[] = [];
  for (const r of inventory) {
    if (r.kind !== 'aws.sagemaker.endpoint') continue;
    for (const c of r.components) if (c.instanceType && c.capacity === 'provisioned') out.push({ instanceType: c.instanceType, region: r.region });
  }
  return out;
}

function reviveCommitment(raw: unknown): CommitmentCoverage {
  const c = raw as CommitmentCoverage & { period: { start: string; end: string }; recommendation?: { generatedAt?: string } };
  if (typeof c !== 'object' || c === null || typeof c.period !== 'object') throw new TypeError('cached commitment coverage is not one');
  const rec = c.recommendation ? { ...c.recommendation, ...(c.recommendation.generatedAt ? { generatedAt: new Date(c.recommendation.generatedAt) } : {}) } : undefined;
  return { ...c, period: { start: new Date(c.period.start), end: new Date(c.period.end) }, ...(rec ? { recommendation: rec as CommitmentCoverage['recommendation'] } : {}) } as CommitmentCoverage;
}

function reviveAnomalies(raw: unknown): CostAnomaly[] {
  if (!Array.isArray(raw)) throw new TypeError('cached anomalies are not a list');
  return (raw as (CostAnomaly & { start: string; end?: string })[]).map((a) => ({ ...a, start: new Date(a.start), ...(a.end ? { end: new Date(a.end) } : {}) }));
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}

