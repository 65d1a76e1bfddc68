import type { Cloud } from './resource.js';

/**
 * One cost row with FinOps FOCUS column names (FOCUS 1.0+). Amounts are in BillingCurrency.
 * Optional columns are absent when the source has them as NULL.
 */
export interface CostRecord {
  readonly ProviderName: string;
  readonly BillingCurrency: string;
  readonly BilledCost: number;
  readonly EffectiveCost: number;
  readonly ListCost?: number;
  readonly ChargePeriodStart: Date;
  readonly ChargePeriodEnd: Date;
  readonly ServiceName?: string;
  readonly SubAccountId?: string;
  readonly RegionId?: string;
  readonly ResourceId?: string;
  readonly Tags: Readonly<Record<string, string>>;
  /**
   * FOCUS custom column. Pre-aggregated sources (AWS Cost Explorer) return the same spend once per
   * grouping; this names the grouping the row belongs to, e.g. `SERVICE` or `SERVICE,TAG:team`.
   * Rows of different breakdowns overlap and are never added together; absent for line items.
   */
  readonly x_Breakdown?: string;
  /** FOCUS custom column (Microsoft's export names it so): the Azure resource group, lower case. */
  readonly x_ResourceGroupName?: string;
  /** FOCUS custom column: credits applied to the row (zero or negative), already counted in BilledCost (Google Cloud export). */
  readonly x_Credits?: number;
}

/** Maps a FOCUS ProviderName to the cloud costwatch knows it as. */
export function cloudOfProvider(providerName: string): Cloud | undefined {
  const p = providerName.toLowerCase();
  if (p === 'aws' || p.startsWith('amazon')) return 'aws';
  if (p === 'google cloud' || p.startsWith('google')) return 'gcp';
  if (p === 'microsoft' || p.startsWith('azure') || p.startsWith('microsoft')) return 'azure';
  return undefined;
}
