import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CostRecord } from '../../domain/cost.js';
import { readFocusCsv } from '../../focus/focus-csv.js';
import { resolveTime } from '../time.js';
import type { World } from '../world.js';
import type { AnomalySpec, BudgetSpec, PriceListSpec, SavingsPlansSpec } from './world-cost.js';

const DAY_MS = 86_400_000;

/** An anomaly with its times resolved. */
export interface AnomalyRecord {
  readonly id: string;
  readonly start: number;
  readonly end?: number;
  readonly spec: AnomalySpec;
}

/** One account's billing data: cost rows (Cost Explorer), budgets and anomalies. */
export interface BillingAccount {
  readonly accountId: string;
  readonly name: string;
  readonly currency: string;
  /** Sorted by ChargePeriodStart. */
  readonly rows: readonly CostRecord[];
  readonly groupsPerPage: number;
  readonly budgets: readonly BudgetSpec[];
  readonly anomalies: readonly AnomalyRecord[];
  readonly savingsPlans: SavingsPlansSpec;
}

/** Cost Explorer, Budgets, Anomaly Detection and Price List data of the sandbox, built once from the world. */
export class AwsBillingState {
  private readonly accounts = new Map<string, BillingAccount>();
  /** Price List products as the API returns them: JSON text per product, by service code. */
  readonly products: ReadonlyMap<string, readonly { readonly json: string; readonly attributes: Readonly<Record<string, string>> }[]>;

  constructor(world: World, worldNowMs: number) {
    for (const a of world.aws.accounts) {
      const rows: CostRecord[] = [];
      const c = a.costs;
      const base = { ProviderName: 'AWS', BillingCurrency: c.currency, SubAccountId: a.id };
      for (const r of c.rows) {
        const start = resolveTime(r.ChargePeriodStart, worldNowMs);
        rows.push({
          ...base,
          BilledCost: r.BilledCost,
          EffectiveCost: r.EffectiveCost ?? r.BilledCost,
          ...(r.ListCost !== undefined ? { ListCost: r.ListCost } : {}),
          ChargePeriodStart: new Date(start),
          ChargePeriodEnd: new Date(r.ChargePeriodEnd === undefined ? start + DAY_MS : resolveTime(r.ChargePeriodEnd, worldNowMs)),
          ServiceName: r.ServiceName,
          ...(r.RegionId ? { RegionId: r.RegionId } : {}),
          ...(r.ResourceId ? { ResourceId: r.ResourceId } : {}),
          Tags: r.Tags,
        });
      }
      for (const d of c.daily) {
        const until = resolveTime(d.until, worldNowMs);
        for (let t = Math.floor(resolveTime(d.from, worldNowMs) / DAY_MS) * DAY_MS; t < until; t += DAY_MS) {
          rows.push({
            ...base,
            BilledCost: d.amount,
            EffectiveCost: d.effectiveAmount ?? d.amount,
            ChargePeriodStart: new Date(t),
            ChargePeriodEnd: new Date(t + DAY_MS),
            ServiceName: d.service,
            ...(d.region ? { RegionId: d.region } : {}),
            Tags: d.tags,
          });
        }
      }
      if (c.focusCsv) {
        const csv = readFocusCsv(readFileSync(resolve(c.focusCsv.path), 'utf8'), { providerName: c.focusCsv.providerName, file: c.focusCsv.path });
        const latest = Math.max(...csv.map((r) => r.ChargePeriodEnd.getTime()));
        const shift = c.focusCsv.shiftEndTo === undefined ? 0 : resolveTime(c.focusCsv.shiftEndTo, worldNowMs) - latest;
        for (const r of csv) {
          // The rows are billed to this account whatever linked account the file names.
          rows.push({ ...r, SubAccountId: a.id, ChargePeriodStart: new Date(r.ChargePeriodStart.getTime() + shift), ChargePeriodEnd: new Date(r.ChargePeriodEnd.getTime() + shift) });
        }
      }
      rows.sort((x, y) => x.ChargePeriodStart.getTime() - y.ChargePeriodStart.getTime());
      this.accounts.set(a.id, {
        accountId: a.id,
        name: a.name,
        currency: c.currency,
        rows,
        groupsPerPage: c.groupsPerPage,
        budgets: a.budgets,
        savingsPlans: a.savingsPlans,
        anomalies: a.anomalies.map((x, i) => ({
          id: x.id ?? uuidOf(`${a.id}:anomaly:${i}`),
          start: resolveTime(x.start, worldNowMs),
          ...(x.end !== undefined ? { end: resolveTime(x.end, worldNowMs) } : {}),
          spec: x,
        })),
      });
    }
    this.products = new Map([['AmazonSageMaker', sageMakerProducts(world.aws.priceList)]]);
  }

  /** An account's billing data; an account without any is empty, not missing. */
  account(accountId: string): BillingAccount {
    const a = this.accounts.get(accountId);
    if (!a) throw new RangeError(`account ${accountId} is not in the world`);
    return a;
  }
}

/** A stable UUID-shaped id from a seed text. */
export function uuidOf(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const LOCATIONS: Record<string, [prefix: string, location: string]> = {
  'us-east-1': ['USE1', 'US East (N. Virginia)'],
  'us-east-2': ['USE2', 'US East (Ohio)'],
  'us-west-1': ['USW1', 'US West (N. California)'],
  'us-west-2': ['USW2', 'US West (Oregon)'],
  'eu-west-1': ['EU', 'EU (Ireland)'],
  'eu-west-2': ['EUW2', 'EU (London)'],
  'eu-central-1': ['EUC1', 'EU (Frankfurt)'],
  'ap-northeast-1': ['APN1', 'Asia Pacific (Tokyo)'],
  'ap-southeast-1': ['APS1', 'Asia Pacific (Singapore)'],
  'ap-southeast-2': ['APS2', 'Asia Pacific (Sydney)'],
};

const USAGE_WORD: Record<string, string> = { Hosting: 'Host', Notebook: 'Notebk', Training: 'Train', Processing: 'Processing', Studio: 'Studio' };

function sageMakerProducts(list: PriceListSpec): { json: string; attributes: Record<string, string> }[] {
  return list.sagemaker.map((p) => {
    const [prefix, location] = LOCATIONS[p.region] ?? [p.region.toUpperCase(), p.region];
    const sku = createHash('sha1').update(`${p.region}:${p.instanceType}:${p.component}`).digest('hex').slice(0, 16).toUpperCase();
    const attributes: Record<string, string> = {
      servicecode: 'AmazonSageMaker',
      servicename: 'Amazon SageMaker',
      productFamily: 'ML Instance',
      instanceName: p.instanceType,
      instanceType: `${p.instanceType}-${p.component}`,
      component: p.component,
      regionCode: p.region,
      location,
      locationType: 'AWS Region',
      usagetype: `${prefix}-${USAGE_WORD[p.component] ?? p.component}:${p.instanceType}`,
      operation: `RunInstance`,
    };
    const term = `${sku}.JRTCKXETXF`;
    const rate = `${term}.6YS6EN2CT7`;
    const product = {
      product: { productFamily: 'ML Instance', attributes, sku },
      serviceCode: 'AmazonSageMaker',
      terms: {
        OnDemand: {
          [term]: {
            priceDimensions: {
              [rate]: {
                unit: 'Hrs',
                endRange: 'Inf',
                description: `$${p.hourly} per On Demand ${p.component} ${p.instanceType} hour in ${location}`,
                appliesTo: [],
                rateCode: rate,
                beginRange: '0',
                pricePerUnit: { [p.currency]: p.hourly.toFixed(10) },
              },
            },
            sku,
            effectiveDate: '2025-06-01T00:00:00Z',
            offerTermCode: 'JRTCKXETXF',
            termAttributes: {},
          },
        },
      },
      version: '20250601000000',
      publicationDate: '2025-06-01T00:00:00Z',
    };
    return { json: JSON.stringify(product), attributes };
  });
}
