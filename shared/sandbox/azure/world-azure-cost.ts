import { z } from 'zod';
import { worldTags, worldTime } from '../aws/world-common.js';

/*
 * World-file sections for Azure money (docs/world-file.md "Azure costs, budgets and prices"):
 * a subscription's cost rows as Cost Management's Query and Forecast serve them, its Azure
 * budgets as Consumption serves them, and the Retail Prices API's items.
 */

/** A required time: a missing one says so rather than "Invalid input". */
const requiredTime = z.preprocess((v, ctx) => {
  if (v === undefined) ctx.addIssue({ code: 'custom', message: 'is required: a time such as 2025-06-01T00:00:00Z, now or -30d' });
  return v;
}, worldTime);

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code in upper case, like USD');
const resourceGroupName = z.string().regex(/^[-\w._()]{1,90}$/, 'a resource group name is 1–90 letters, digits, underscores, hyphens, periods and parentheses');

/** One day's cost of one service (and resource group), written inline. */
const costRowSchema = z.strictObject({
  /** Cost Management's ServiceName, e.g. "Azure Machine Learning", "Virtual Machines". */
  service: z.string().min(1),
  resourceGroup: resourceGroupName.optional(),
  cost: z.number().finite(),
  /** The day (its UTC date counts). */
  date: requiredTime,
  tags: worldTags,
});

/** Generates one row per UTC day from `from` until `until` (exclusive of the day of `until` when it is `now`), each costing `amount`. */
const dailySchema = z.strictObject({
  service: z.string().min(1),
  resourceGroup: resourceGroupName.optional(),
  amount: z.number().finite(),
  from: requiredTime,
  until: worldTime.default('now'),
  tags: worldTags,
});

/** A subscription's costs as Cost Management serves them. */
export const azureCostsSchema = z
  .strictObject({
    /** The billing currency; every row is in it. */
    currency: currency.default('USD'),
    rows: z.array(costRowSchema).default([]),
    daily: z.array(dailySchema).default([]),
    /** Rows a Query answers before a `nextLink`. */
    rowsPerPage: z.number().int().min(1).max(100_000).default(1000),
  })
  .prefault({});

const TIME_GRAINS = ['Monthly', 'Quarterly', 'Annually', 'BillingMonth', 'BillingQuarter', 'BillingAnnual'] as const;

/** An Azure budget (Consumption). Current and forecast spend default to what the cost rows say. */
const budgetSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'a budget name is 1–63 letters, digits, hyphens and underscores'),
  amount: z.number().positive(),
  category: z.enum(['Cost', 'Usage']).default('Cost'),
  timeGrain: z.enum(TIME_GRAINS).default('Monthly'),
  /** Default: the subscription's cost currency. */
  currency: currency.optional(),
  /** Narrows the spend: services (ServiceName, as MeterCategory), resource groups, tags (key → values). */
  filter: z
    .strictObject({
      services: z.array(z.string().min(1)).min(1).optional(),
      resourceGroups: z.array(resourceGroupName).min(1).optional(),
      tags: z.record(z.string().min(1), z.array(z.string()).min(1)).optional(),
    })
    .default({}),
  /** Spend so far this period; default: the matching cost rows. */
  currentSpend: z.number().min(0).optional(),
  /** Spend expected by the end of the period; default: current + the sandbox's forecast of the rest. */
  forecastSpend: z.number().min(0).optional(),
});

export const azureBudgetsSchema = z
  .array(budgetSchema)
  .default([])
  .superRefine((bs, ctx) => {
    const seen = new Set<string>();
    bs.forEach((b, i) => {
      if (seen.has(b.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `budget "${b.name}" is declared twice in this subscription` });
      seen.add(b.name.toLowerCase());
    });
  });

/** One Retail Prices item; the fields not given are derived (Linux pay-as-you-go, 1 Hour). */
const retailPriceSchema = z.strictObject({
  armSkuName: z.string().regex(/^(Standard|Basic)_[A-Za-z0-9_]+$/, 'a VM size looks like Standard_DS3_v2'),
  armRegionName: z.string().regex(/^[a-z][a-z0-9]*$/, 'an Azure region looks like eastus'),
  retailPrice: z.number().positive(),
  currencyCode: currency.default('USD'),
  /** Default: "Virtual Machines <series> Series". Put "Windows" in it for a Windows meter. */
  productName: z.string().min(1).optional(),
  /** Default: the size without "Standard_"; add " Spot" or " Low Priority" for those meters. */
  skuName: z.string().min(1).optional(),
  type: z.enum(['Consumption', 'Reservation', 'DevTestConsumption']).default('Consumption'),
  unitOfMeasure: z.string().min(1).default('1 Hour'),
  effectiveStartDate: worldTime.default('-365d'),
});

/** The Retail Prices API's items, and its page size. */
export const retailPricesSchema = z
  .strictObject({
    items: z.array(retailPriceSchema).default([]),
    /** Items per page before a `NextPageLink` (the real API pages by 100, or 1000 in newer versions). */
    pageSize: z.number().int().min(1).max(1000).default(100),
  })
  .prefault({});

/** A subscription's costs, validated. */
export type AzureCostsSpec = z.output<typeof azureCostsSchema>;
/** One Azure budget, validated. */
export type AzureBudgetSpec = z.output<typeof budgetSchema>;
/** The Retail Prices section, validated. */
export type RetailPricesSpec = z.output<typeof retailPricesSchema>;

/**
 * One reservation purchase recommendation of a subscription, as Consumption's
 * ReservationRecommendations_List serves it (`kind: legacy`, single scope, virtual machines). The
 * costs are over the look-back period, in the subscription's currency.
 */
const reservationRecommendationSchema = z
  .strictObject({
    vmSize: z.string().regex(/^(Standard|Basic)_[A-Za-z0-9_]+$/, 'a VM size looks like Standard_NC6s_v3'),
    location: z.string().regex(/^[a-z][a-z0-9]*$/, 'an Azure region looks like eastus'),
    term: z.enum(['P1Y', 'P3Y']).default('P1Y'),
    lookBackPeriod: z.enum(['Last7Days', 'Last30Days', 'Last60Days']).default('Last30Days'),
    recommendedQuantity: z.number().positive(),
    /** On-demand cost of the usage over the look-back period. */
    costWithNoReservedInstances: z.number().min(0),
    /** What the same usage would have cost with the recommended reservation. */
    totalCostWithReservedInstances: z.number().min(0),
    /** Default: the difference of the two. */
    netSavings: z.number().optional(),
    firstUsageDate: worldTime.default('-30d'),
  })
  .transform((r) => ({ ...r, netSavings: r.netSavings ?? Math.round((r.costWithNoReservedInstances - r.totalCostWithReservedInstances) * 1e6) / 1e6 }));

export const reservationRecommendationsSchema = z.array(reservationRecommendationSchema).default([]);

export type ReservationRecommendationSpec = z.output<typeof reservationRecommendationSchema>;

