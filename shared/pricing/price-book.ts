import { createRequire } from 'node:module';
import type { Money } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';

/** A bundled price table: dated, sourced, one currency, one reference region. */
export interface PriceTable {
  readonly cloud: Cloud;
  readonly service: string;
  readonly currency: string;
  readonly unit: string;
  readonly region: string;
  readonly asOf: string;
  readonly source: string;
  readonly prices: Readonly<Record<string, number>>;
}

/** An hourly price and where it came from. */
export interface HourlyPrice {
  readonly price: Money;
  readonly source: string;
}

const require = createRequire(import.meta.url);
const BUNDLED: readonly PriceTable[] = [require('./aws-sagemaker-hosting.json') as PriceTable];

/**
 * Looks up hourly instance prices: config overrides first, then the bundled tables. Returns
 * undefined for an unknown instance type, so no estimate is ever invented.
 */
export class PriceBook {
  constructor(
    private readonly overrides: Partial<Record<Cloud, Readonly<Record<string, number>>>> = {},
    private readonly tables: readonly PriceTable[] = BUNDLED,
  ) {}

  /** Hourly on-demand price of an instance type in a region. */
  hourly(cloud: Cloud, instanceType: string, region: string): HourlyPrice | undefined {
    const override = this.overrides[cloud]?.[instanceType];
    if (override !== undefined) {
      return { price: { amount: override, currency: 'USD' }, source: 'costwatch.yml prices override' };
    }
    for (const t of this.tables) {
      if (t.cloud !== cloud) continue;
      const p = t.prices[instanceType];
      if (p === undefined) continue;
      const regionNote = region === t.region ? t.region : `${t.region} price used for ${region}`;
      return { price: { amount: p, currency: t.currency }, source: `bundled price table ${t.asOf} (${regionNote})` };
    }
    return undefined;
  }
}
