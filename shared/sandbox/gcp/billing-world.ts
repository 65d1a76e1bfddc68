import { z } from 'zod';

/*
 * Google Cloud billing in the world file (docs/world-file.md, "Google Cloud billing"): billing
 * accounts with their BigQuery billing export and budgets, Catalog SKUs, and per project the
 * billing link and the cost rows the export holds. Built over the world's time schema by a
 * factory, like the rest of the `gcp` section.
 */

/** A Cloud Billing account id: three groups of six upper-case hex digits. */
export const billingAccountId = z.string().regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, 'a billing account id looks like 01A2B3-C4D5E6-F7A8B9');

const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code in upper case, like USD');
const labelKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a label key is lower-case letters, digits, _ and -, starting with a letter');
const labelValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .pipe(z.string().regex(/^[a-z0-9_-]{0,63}$/, 'a label value is lower-case letters, digits, _ and -'));
const labels = z.record(labelKey, labelValue).default({});
const serviceId = z.string().regex(/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/, 'a Cloud Billing service id looks like C7E2-9256-1C43');
const bqName = z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'letters, digits and underscores');
const projectRef = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a project id of this world');

/** Service ids of the services the sandbox knows by name (Cloud Billing Catalog ids). */
export const KNOWN_SERVICE_IDS: Readonly<Record<string, string>> = {
  'Vertex AI': 'C7E2-9256-1C43',
  'Compute Engine': '6F81-5844-456A',
  'Cloud Storage': '95FF-2EF5-5EA1',
  BigQuery: '24E6-581D-38E5',
  'Cloud Monitoring': '58CD-E7C3-72CA',
  Notebooks: '2062-016F-44A2',
  'Cloud Logging': '5490-F7B7-8DF6',
  Networking: 'E505-1604-58F8',
};

/** The service id of a service: declared, known by name, or derived stably from the name. */
export function serviceIdOf(name: string, declared?: string): string {
  if (declared) return declared;
  const known = KNOWN_SERVICE_IDS[name];
  if (known) return known;
  let h = 17;
  for (const ch of name) h = (h * 131 + ch.charCodeAt(0)) >>> 0;
  const hex = (h.toString(16).toUpperCase() + 'A1B2C3D4E5F6').slice(0, 12);
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`;
}

/** Builds the billing parts of the `gcp` section over the world's time schema. */
export function gcpBillingWorld<T extends z.ZodType<string, unknown>>(time: T) {
  const requiredTime = z.preprocess((v, ctx) => {
    if (v === undefined) ctx.addIssue({ code: 'custom', message: 'is required: a time such as 2025-06-01T00:00:00Z, now or -30d' });
    return v;
  }, time);

  /** One export row: a service's cost in a project over one hour (usage_start_time), with credits and labels. */
  const row = z.strictObject({
    service: z.string().min(1),
    serviceId: serviceId.optional(),
    at: requiredTime,
    cost: z.number().finite(),
    /** Credits applied (zero or negative), e.g. free-tier or committed-use credits. */
    credits: z.number().finite().max(0, 'credits are zero or negative amounts').default(0),
    labels,
    /** When the row reached the export (its partition); default: an hour after `at`. */
    exportedAt: time.optional(),
  });

  /** One row per UTC day from `from` until `until`, each costing `amount` (and `credits`). */
  const daily = z.strictObject({
    service: z.string().min(1),
    serviceId: serviceId.optional(),
    amount: z.number().finite(),
    credits: z.number().finite().max(0, 'credits are zero or negative amounts').default(0),
    from: requiredTime,
    until: time.default('now' as never),
    labels,
  });

  /** What a project's rows in the billing export are. */
  const costs = z.strictObject({ rows: z.array(row).default([]), daily: z.array(daily).default([]) }).prefault({});

  const threshold = z.strictObject({
    /** A fraction of the amount: 0.5 = 50 %, 1.0 = 100 %. */
    percent: z.number().positive().max(10),
    basis: z.enum(['CURRENT_SPEND', 'FORECASTED_SPEND']).default('CURRENT_SPEND'),
  });

  const budget = z
    .strictObject({
      /** The budget id (the last part of its name). */
      id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a budget id is letters, digits and hyphens'),
      displayName: z.string().min(1).max(60),
      /** The specified amount, in `currency` (default the account's). */
      amount: z.number().positive().optional(),
      currency: currency.optional(),
      /** Budget on last period's spend instead of an amount. */
      lastPeriodAmount: z.boolean().default(false),
      period: z.enum(['MONTH', 'QUARTER', 'YEAR']).default('MONTH'),
      /** A custom period instead of a calendar one (dates, YYYY-MM-DD). */
      customPeriod: z.strictObject({ start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional() }).optional(),
      /** Project ids of this world (served as `projects/<number>`); empty = every project of the account. */
      projects: z.array(projectRef).default([]),
      /** Service ids (served as `services/<id>`). */
      services: z.array(serviceId).default([]),
      labels: z.record(labelKey, z.array(labelValue).min(1)).default({}),
      creditTypesTreatment: z.enum(['INCLUDE_ALL_CREDITS', 'EXCLUDE_ALL_CREDITS', 'INCLUDE_SPECIFIED_CREDITS']).default('INCLUDE_ALL_CREDITS'),
      creditTypes: z.array(z.string().min(1)).default([]),
      /** `folders/<id>` or `organizations/<id>`. */
      resourceAncestors: z.array(z.string().regex(/^(folders|organizations)\/\d+$/, 'folders/<id> or organizations/<id>')).default([]),
      subaccounts: z.array(z.string().min(1)).default([]),
      thresholds: z.array(threshold).default([{ percent: 0.5, basis: 'CURRENT_SPEND' }, { percent: 0.9, basis: 'CURRENT_SPEND' }, { percent: 1, basis: 'CURRENT_SPEND' }]),
    })
    .superRefine((b, ctx) => {
      if ((b.amount === undefined) === !b.lastPeriodAmount) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'a budget has exactly one of amount or lastPeriodAmount: true' });
    });

  const exportTable = z.strictObject({
    /** The project holding the export dataset (need not be a scanned project). */
    project: projectRef,
    dataset: bqName,
    /** Default: Google's name for the kind. */
    table: bqName.optional(),
    kind: z.enum(['standard', 'detailed', 'focus']).default('standard'),
    location: z.string().min(1).default('US'),
  });

  const account = z
    .strictObject({
      id: billingAccountId,
      displayName: z.string().min(1).optional(),
      currency: currency.default('USD'),
      /** The account's billing export to BigQuery; absent = queries find no table. */
      export: exportTable.optional(),
      budgets: z.array(budget).default([]),
    })
    .superRefine((a, ctx) => {
      const ids = new Set<string>();
      a.budgets.forEach((b, i) => {
        if (ids.has(b.id)) ctx.addIssue({ code: 'custom', path: ['budgets', i, 'id'], message: `budget ${b.id} is declared twice` });
        ids.add(b.id);
      });
    });

  /** A Catalog SKU with one on-demand price. */
  const sku = z.strictObject({
    /** The service id, e.g. C7E2-9256-1C43 (Vertex AI). */
    service: serviceId,
    id: serviceId,
    description: z.string().min(1),
    regions: z.array(z.string().min(1)).min(1),
    price: z.number().nonnegative(),
    currency: currency.default('USD'),
    /** Usage unit: h, GiBy.h, GiBy.mo… */
    unit: z.string().min(1).default('h'),
    effective: time.optional(),
  });

  const billing = z
    .strictObject({
      accounts: z.array(account).default([]),
      skus: z.array(sku).default([]),
      /** SKUs per Catalog page (paging is exercised with small values). */
      skusPerPage: z.number().int().min(1).max(5000).default(5000),
      /** Rows per BigQuery result page. */
      rowsPerPage: z.number().int().min(1).max(100_000).default(10_000),
    })
    .prefault({});

  const project = {
    /** The billing account the project is linked to; default the world's first account. `none`: not linked. */
    billingAccount: z.union([billingAccountId, z.literal('none')]).optional(),
    /** Whether billing is enabled (false: the account is closed or the link is suspended). */
    billingEnabled: z.boolean().default(true),
    /** The folders and organization above the project, nearest first (`folders/123`, `organizations/456`): the export's `project.ancestors` after the project itself. */
    ancestors: z.array(z.string().regex(/^(folders|organizations)\/\d+$/, 'folders/<id> or organizations/<id>')).default([]),
    costs,
  };

  return { billing, project };
}
