import { z } from 'zod';
import type { Mode } from '../domain/action.js';
import type { Cloud } from '../domain/resource.js';
import { S3_STORAGE_CLASSES, type S3PriceOverrides } from '../pricing/storage-prices.js';
import { GCS_STORAGE_CLASSES, type GcsPriceOverrides } from '../pricing/gcs-prices.js';
import { closestMatch, idKeyedObjects } from './parse-file.js';
import { DEFAULT_EXEMPT_TAG_KEY, DEFAULT_RULE_MODES, expiryInstant, minutesOf, NOTIFY_ONLY_RULES, RULE_IDS, WEEKDAYS, WORKLOAD_CLASSES, type RuleId } from './policy.js';

// The run-time half of the policy (types, defaults, pure helpers) lives in policy.ts; the CLI and
// the synth keep importing it from here.
export * from './policy.js';


const MODES = ['notify', 'approve', 'auto'] as const satisfies readonly Mode[];
const CLOUD_IDS = ['aws', 'gcp', 'azure'] as const satisfies readonly Cloud[];

// ---------------------------------------------------------------------------------------------
// Scalars

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const awsAccountId = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `must be a quoted string: a YAML number loses leading zeros; write "${String(iss.input).padStart(12, '0')}"`
        : undefined,
  })
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id, e.g. "123456789012"');

/** An id of any cloud's scope, referenced from elsewhere (budgets). */
const scopeIdRef = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? `must be a quoted string: a YAML number loses leading zeros; write "${String(iss.input).padStart(12, '0')}"` : undefined) })
  .trim()
  .min(1, 'must not be empty');

const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+){1,2}-\d{1,2}$/, 'not an AWS region name (like us-east-1 or eu-central-1)');
const gcpRegion = z
  .string()
  .regex(/^[a-z]+-[a-z]+\d{1,2}$/, 'not a Google Cloud region name (like us-central1 or europe-west4; zones are not regions)');
const azureRegion = z
  .string()
  .regex(/^[a-z][a-z0-9]*$/, 'not an Azure region name (lower case, no spaces, like westeurope or eastus2)');

const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID like 00000000-0000-0000-0000-000000000000')
  // Azure compares ids case-insensitively; one spelling keeps lookups and dedup simple.
  .transform((s) => s.toLowerCase());

const gcpProjectId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'not a Google Cloud project id (6–30 lower-case letters, digits, hyphens; the id, not the name or number)');

const gcpBillingAccount = z
  .string()
  .regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, 'must be a billing account id like 01A2B3-C4D5E6-F7A8B9');

const ISO_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const currency = z
  .string()
  .refine((c) => ISO_CURRENCIES.has(c), { error: (iss) => `not an ISO 4217 currency code (upper case, like USD or EUR): ${JSON.stringify(iss.input)}` });

const positiveAmount = z.number().positive('must be greater than 0').finite();

const slackChannel = z
  .string({
    // `channel: #costs` is a YAML comment, so the value arrives as null: the commonest Slack typo.
    error: (iss) => (iss.input === null ? 'is empty: an unquoted # starts a YAML comment; quote the channel, e.g. "#ml-costs"' : undefined),
  })
  .regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{6,})$/, 'must be a channel name like #ml-costs or a channel id like C0123456789');

const tagMap = z.record(
  nonEmpty,
  z.string({ error: (iss) => (iss.input !== undefined && iss.input !== null ? 'tag values are strings: quote it, e.g. "true" or "42"' : undefined) }),
);

const hhmm = z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM, like 07:00');

const timezone = z.string().refine(isTimeZone, { error: (iss) => `unknown IANA time zone ${JSON.stringify(iss.input)} (like Europe/Berlin or America/New_York)` });

const isoDate = z
  .string()
  .refine((s) => expiryInstant(s) !== undefined, 'must be an ISO date like 2025-12-31 or a date-time with offset like 2025-12-31T18:00:00Z');

const schedule = z.string().superRefine((s, ctx) => {
  const problem = scheduleProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function modeFor(id: RuleId) {
  const mode = z.enum(MODES);
  if (!NOTIFY_ONLY_RULES.includes(id)) return mode.default(DEFAULT_RULE_MODES[id]);
  return mode
    .refine((m): boolean => m === 'notify', `${id} is notify-only in this version: it reports but has no action to approve or run; use mode: notify`)
    .default(DEFAULT_RULE_MODES[id]);
}

const percent = (dflt: number) => z.number().min(0).max(100).default(dflt);
const windowHours = (dflt: number) => z.number().int().min(1).max(720).default(dflt);

// ---------------------------------------------------------------------------------------------
// Clouds

const AwsAccountSchema = z
  .strictObject({
    id: awsAccountId,
    name: nonEmpty.optional(),
    regions: z.array(awsRegion).min(1, 'list at least one region to scan'),
    roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'not an IAM role name (the name, not the ARN)').optional(),
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'not a valid external id (2–1224 characters of A–Z a–z 0–9 +=,.@:/-)').optional(),
  })
  .superRefine((a, ctx) => {
    if (a.externalId !== undefined && a.roleName === undefined) {
      ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'externalId is only used when assuming a role: set roleName too' });
    }
  });

const GcpProjectSchema = z.strictObject({
  id: gcpProjectId,
  /** The project number: Google budgets name projects by number (default: read from the billing export's rows). */
  number: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^[1-9]\d{5,18}$/, 'a project number is digits, like "123456789012"'))
    .optional(),
  name: nonEmpty.optional(),
  regions: z.array(gcpRegion).min(1).optional(),
});

/**
 * How costwatch authenticates to Google Cloud: Workload Identity Federation from its AWS role
 * (an external-account configuration, no key: the documented default), or a service-account key
 * kept in AWS Secrets Manager (the fallback, used when no workloadIdentity is set). Absent:
 * Application Default Credentials.
 */
const GcpCredentialsSchema = z
  .strictObject({
    workloadIdentity: z
      .strictObject({
        audience: z
          .string()
          .regex(
            /^\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\/providers\/[a-z0-9-]+$/,
            'must be //iam.googleapis.com/projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
          ),
        serviceAccount: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/, 'must be a service account email like costwatch@my-project.iam.gserviceaccount.com'),
      })
      .optional(),
    serviceAccountKeySecret: z.string().trim().min(1, 'name or ARN of the Secrets Manager secret holding the key JSON').optional(),
  })
  .refine((c) => c.workloadIdentity !== undefined || c.serviceAccountKeySecret !== undefined, {
    message: 'set workloadIdentity (the default, no key) or serviceAccountKeySecret (a key in Secrets Manager)',
  });

/** A BigQuery project, dataset or table name as the billing export uses them (validated: they are written into SQL as identifiers). */
const bqDataset = z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'a BigQuery dataset name is letters, digits and underscores');
const bqTable = z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'a BigQuery table name is letters, digits and underscores');

/**
 * Where the Cloud Billing export to BigQuery is: the standard usage cost table (default), the
 * detailed (resource-level) table or the FOCUS table. Every query is parameterized and capped by
 * `maximumBytesBilled`.
 */
const GcpBillingExportSchema = z.strictObject({
  /** The project holding the export dataset (queries run, and are billed, there). */
  project: gcpProjectId,
  dataset: bqDataset,
  /** Default: Google's name for the kind, from clouds.gcp.billingAccount (gcp_billing_export_v1_<ACCOUNT> and so on). */
  table: bqTable.optional(),
  kind: z.enum(['standard', 'detailed', 'focus']).default('standard'),
  /** The dataset's location (US, EU, us-central1…); default: BigQuery finds it. */
  location: z.string().regex(/^[A-Za-z]+[A-Za-z0-9-]*$/, 'a BigQuery location like US, EU or us-central1').optional(),
  /** Bytes one query may bill, at most; a query that would bill more fails instead (default 10 GiB, about $0.06 at on-demand prices). */
  maximumBytesBilled: z.number().int().min(10 * 1024 * 1024, 'at least 10485760 (10 MiB, the least BigQuery bills a query)').default(10 * 1024 * 1024 * 1024),
  /** Label keys costs are grouped by besides service (one more query per project and day each); budgets' own label keys are added. */
  labels: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a label key is lower-case letters, digits, _ and -')).max(10, 'at most 10 label keys: each is one more query per project and day').default([]),
});

const AzureSubscriptionSchema = z.strictObject({
  id: guid,
  name: nonEmpty.optional(),
  regions: z.array(azureRegion).min(1).optional(),
  // Narrows the scan to these resource groups; absent = every resource group of the subscription.
  resourceGroups: z.array(z.string().regex(/^[-\w._()]{1,90}$/, 'not a resource group name (1–90 letters, digits, underscores, hyphens, periods, parentheses)')).min(1).optional(),
});

const CloudsSchema = z
  .strictObject({
    aws: z
      .strictObject({
        accounts: z.array(AwsAccountSchema).min(1, 'list at least one account, or remove the aws section'),
        // Each key is one more Cost Explorer request per account and day ($0.01 each).
        costAllocationTags: z.array(z.string().trim().min(1).max(128)).max(10, 'at most 10 tag keys: each costs a Cost Explorer request per account and day').default([]),
      })
      .optional(),
    gcp: z
      .strictObject({
        billingAccount: gcpBillingAccount.optional(),
        credentials: GcpCredentialsSchema.optional(),
        projects: z.array(GcpProjectSchema).min(1, 'list at least one project, or remove the gcp section'),
        /** The Cloud Billing export to BigQuery: costs, and the spend of Google budgets. Absent: no costs are read. */
        billingExport: GcpBillingExportSchema.optional(),
        /** Read prices from the Cloud Billing Catalog API (default true); false: the bundled, dated table only. */
        catalogPrices: z.boolean().default(true),
        /** Let `auto` mode unlink billing from a listed project whose budget is exceeded (billing-cap); default false: approval only. */
        allowDisableBilling: z.boolean().default(false),
      })
      .superRefine((g, ctx) => {
        if (g.billingExport && !g.billingExport.table && !g.billingAccount) {
          ctx.addIssue({ code: 'custom', path: ['billingExport', 'table'], message: 'name the export table, or set clouds.gcp.billingAccount so costwatch can use Google\'s table name' });
        }
      })
      .optional(),
    azure: z
      .strictObject({
        tenantId: guid.optional(),
        subscriptions: z.array(AzureSubscriptionSchema).min(1, 'list at least one subscription, or remove the azure section'),
        // Workload identity federation from costwatch's AWS role (AWS outbound identity federation); absent = a service principal secret.
        credentials: z
          .strictObject({
            awsFederation: z.strictObject({ tenantId: guid, clientId: guid, audience: z.string().min(1).default('api://AzureADTokenExchange') }),
          })
          .optional(),
        // Each key is one more Cost Management Query per subscription and day (Cost Management throttles per scope).
        costTagKeys: z.array(z.string().trim().min(1).max(512)).max(10, 'at most 10 tag keys: each costs a Cost Management query per subscription and day').default([]),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const lists: [string, string, readonly { id: string }[]][] = [
      ['aws', 'accounts', c.aws?.accounts ?? []],
      ['gcp', 'projects', c.gcp?.projects ?? []],
      ['azure', 'subscriptions', c.azure?.subscriptions ?? []],
    ];
    for (const [cloud, key, items] of lists) {
      reportDuplicates(items.map((i) => i.id), (index, first) =>
        ctx.addIssue({ code: 'custom', path: [cloud, key, index, 'id'], message: `duplicate id: already listed as ${cloud}.${key}[${first}]` }),
      );
    }
  });

// ---------------------------------------------------------------------------------------------
// Budgets

const thresholds = (dflt: number[]) =>
  z
    .array(z.number().min(1, 'thresholds are percent of the budget, 1 to 1000').max(1000, 'thresholds are percent of the budget, 1 to 1000'))
    .default(dflt)
    // Order and repeats carry no meaning; normalising keeps alert dedup keys stable.
    .transform((xs) => [...new Set(xs)].sort((a, b) => a - b));

const BudgetSchema = z.strictObject({
  name: nonEmpty,
  amount: positiveAmount,
  currency: currency.default('USD'),
  period: z.enum(['monthly', 'quarterly', 'yearly']).default('monthly'),
  scope: z
    .strictObject({
      clouds: z.array(z.enum(CLOUD_IDS)).min(1).optional(),
      accounts: z.array(scopeIdRef).min(1).optional(),
      services: z.array(nonEmpty).min(1).optional(),
      tags: tagMap.optional(),
    })
    .prefault({}),
  thresholds: z.strictObject({ actual: thresholds([50, 80, 100]), forecast: thresholds([100]) }).prefault({}),
  channel: slackChannel.optional(),
});

const BudgetsSchema = z
  .array(BudgetSchema)
  .default([])
  .superRefine((budgets, ctx) => {
    reportDuplicates(budgets.map((b) => b.name), (index, first) =>
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate budget name: already used by budgets[${first}]` }),
    );
  });

// ---------------------------------------------------------------------------------------------
// Rules

function rule<S extends z.core.$ZodLooseShape>(id: RuleId, specific: S) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    mode: modeFor(id),
    schedule: schedule.optional(),
    channel: slackChannel.optional(),
    ...specific,
  });
}

const IdleEndpointRule = rule('idle-endpoint', {
  windowHours: windowHours(24),
  minAgeHours: z.number().int().min(0).max(8760).optional(),
}).transform((r) => ({ ...r, minAgeHours: r.minAgeHours ?? r.windowHours }));

const RulesSchema = z
  .strictObject({
    'idle-endpoint': IdleEndpointRule.prefault({}),
    'underused-endpoint': rule('underused-endpoint', {
      windowHours: windowHours(168),
      cpuBelowPercent: percent(10),
      gpuBelowPercent: percent(10),
    }).prefault({}),
    'idle-notebook': rule('idle-notebook', { windowHours: windowHours(2), cpuBelowPercent: percent(5) }).prefault({}),
    'idle-studio-app': rule('idle-studio-app', { windowHours: windowHours(2) }).prefault({}),
    'long-training-job': rule('long-training-job', {
      maxHours: z.number().positive().max(8760).default(72),
      maxRuntimeShare: z.number().gt(0).max(1).default(0.9),
    }).prefault({}),
    'idle-cluster': rule('idle-cluster', { windowHours: windowHours(24) }).prefault({}),
    'cold-artifacts': rule('cold-artifacts', {
      buckets: z
        .array(
          z.strictObject({
            bucket: nonEmpty.refine((b) => !/^[a-z0-9]+:\/\//.test(b), 'give the bucket name without a scheme (no s3:// or gs://)'),
            prefixes: z.array(nonEmpty).min(1).optional(),
          }),
        )
        .default([]),
      olderThanDays: z.number().int().min(1).max(3650).default(30),
      retrievalPercentPerMonth: z.number().min(0).max(1000).default(10),
      /** Azure: blobs listed per storage account at most (all its containers together). */
      maxBlobsPerAccount: z.number().int().min(1).max(10_000_000).default(100_000),
      // Google Cloud Storage: objects listed per bucket (or prefix) at most, so one huge bucket cannot stall a scan.
      maxObjectsPerBucket: z.number().int().min(1000).max(10_000_000).default(100_000),
    }).prefault({}),
    'budget-breach': rule('budget-breach', {}).prefault({}),
    'forecast-breach': rule('forecast-breach', {}).prefault({}),
    'cost-anomaly': rule('cost-anomaly', { minImpact: z.number().min(0).default(100) }).prefault({}),
    'spot-training': rule('spot-training', {
      discountPercent: z.number().gt(0, 'must be greater than 0').max(95).optional(),
      minSaving: z.number().min(0).finite().default(10),
    }).prefault({}),
    'untagged-spend': rule('untagged-spend', {
      services: z.array(nonEmpty).min(1, 'list at least one service name as billed, e.g. Amazon SageMaker').default(['Amazon SageMaker', 'Amazon Bedrock']),
      /** Google Cloud: services whose spend is AI spend (billing export service.description); rows of Workbench VMs count too. */
      gcpServices: z.array(nonEmpty).default(['Vertex AI', 'Notebooks']),
      /** Azure: services whose spend is AI spend (Cost Management ServiceName). */
      azureServices: z.array(nonEmpty).default(['Azure Machine Learning']),
    }).prefault({}),
    'commitment-coverage': rule('commitment-coverage', {
      term: z.union([z.literal(1), z.literal(3)], { error: 'must be 1 or 3 (years)' }).default(1),
      paymentOption: z.enum(['no-upfront', 'partial-upfront', 'all-upfront']).default('no-upfront'),
      lookbackDays: z.union([z.literal(7), z.literal(30), z.literal(60)], { error: 'must be 7, 30 or 60 (the look-back periods Cost Explorer recommends from)' }).default(30),
      minMonthlySaving: z.number().min(0).finite().default(50),
    }).prefault({}),
    'autoscaling-floor': rule('autoscaling-floor', {
      windowHours: windowHours(168),
      targetUtilizationPercent: z.number().gt(0, 'must be greater than 0').max(100).default(70),
    }).prefault({}),
    // Opt-in: its thresholds are the organisation's own (see launchGuard). It asks "keep it?", so it never only notifies.
    'launch-guard': z
      .strictObject({
        enabled: z.boolean().default(false),
        mode: z
          .enum(MODES)
          .refine((m): boolean => m !== 'notify', 'launch-guard asks "keep it?" with Approve / Stop buttons: use mode: approve or auto')
          .default(DEFAULT_RULE_MODES['launch-guard']),
        schedule: schedule.optional(),
        channel: slackChannel.optional(),
      })
      .prefault({}),
    'billing-cap': rule('billing-cap', {}).prefault({}),
  })
  .register(idKeyedObjects, { noun: 'rule id' });

// ---------------------------------------------------------------------------------------------
// Exemptions, quiet hours, Slack, limits, prices

const ExemptionSchema = z
  .strictObject({
    tags: tagMap.optional(),
    resourceIds: z.array(nonEmpty).min(1).optional(),
    names: z.array(nonEmpty).min(1).optional(),
    reason: nonEmpty,
    expires: isoDate.optional(),
  })
  .superRefine((e, ctx) => {
    // An empty tag map would match every resource: an exemption of everything is never meant.
    if (e.tags !== undefined && Object.keys(e.tags).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tags'], message: 'an empty tag map would exempt every resource; list at least one tag' });
    }
    if (e.tags === undefined && e.resourceIds === undefined && e.names === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'an exemption needs tags, resourceIds or names to match resources' });
    }
  });

const QuietHoursSchema = z
  .strictObject({
    start: hhmm,
    end: hhmm,
    timezone,
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
  })
  .superRefine((q, ctx) => {
    if (minutesOf(q.start) === minutesOf(q.end)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'start and end are equal: the window would be empty (or all day); remove quietHours or pick an end' });
    }
  });

const SlackSchema = z.strictObject({
  channel: slackChannel,
  routes: z
    .array(
      z.strictObject({
        rules: z
          .array(
            z.enum(RULE_IDS, {
              error: (iss) => {
                const near = typeof iss.input === 'string' ? closestMatch(iss.input, RULE_IDS) : undefined;
                return `unknown rule id ${JSON.stringify(iss.input)}${near ? `; did you mean ${near}?` : ''} Known rule ids: ${RULE_IDS.join(', ')}`;
              },
            }),
          )
          .min(1)
          .optional(),
        tags: tagMap.optional(),
        clouds: z.array(z.enum(CLOUD_IDS)).min(1).optional(),
        channel: slackChannel,
      }),
    )
    .default([]),
  approvers: z
    .strictObject({
      users: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U024BE7LH (not a name or @handle)')).default([]),
      userGroups: z.array(z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id like S0614TZR7 (not a @handle)')).default([]),
    })
    .prefault({}),
});

/** `tags`: the tags every AI resource must carry, and the share of AI spend allowed without a team tag. */
const TagsSchema = z.strictObject({
  required: z
    .array(nonEmpty)
    .default(['team', 'env'])
    .superRefine((keys, ctx) => {
      reportDuplicates(keys, (index, first) => ctx.addIssue({ code: 'custom', path: [index], message: `duplicate tag key: already listed as required[${first}]` }));
    }),
  maxUntaggedShare: z.number().min(0, 'a share from 0 to 1 (0.1 = 10%)').max(1, 'a share from 0 to 1 (0.1 = 10%)').default(0.1),
});
/** An instance type pattern: a type (`ml.g5.xlarge`) or a glob (`ml.t3.*`, `ml.g5.?xlarge`). */
const instanceTypePattern = z.string().trim().regex(/^[A-Za-z0-9._*?-]{1,64}$/, 'an instance type or a glob of one, like ml.g5.xlarge or ml.t3.*');

const LaunchGuardSchema = z
  .strictObject({
    // Monthly running cost (hourly price × instances × 730 h) above which a new resource is guarded.
    monthlyThreshold: z.number().min(0).finite().default(1000),
    currency: currency.default('USD'),
    // Per workload class (the resource's workload tag): the instance types it may use. A class not listed allows any.
    allowedInstanceTypes: z.partialRecord(z.enum(WORKLOAD_CLASSES), z.array(instanceTypePattern).min(1)).default({}),
    workloadTagKey: nonEmpty.default('workload'),
    graceHours: z.number().positive().max(168).default(4),
    newWithinHours: z.number().int().min(1).max(720).default(24),
  })
  .superRefine((g, ctx) => {
    if (g.graceHours >= g.newWithinHours) {
      ctx.addIssue({ code: 'custom', path: ['graceHours'], message: `must be shorter than newWithinHours (${g.newWithinHours}): a guard acts only on a resource still new when its grace ends` });
    }
  });

const LimitsSchema = z.strictObject({
  maxActionsPerRun: z.number().int().min(0).default(10),
  maxActionsPerDay: z.number().int().min(0).default(50),
  maxAutoMonthlyImpact: z.strictObject({ amount: z.number().min(0).finite().default(5000), currency: currency.default('USD') }).prefault({}),
});

const priceMap = z.record(nonEmpty, positiveAmount);

const fee = z.number().min(0, 'must be 0 or more').finite();

/** `prices.s3`: per storage class, any of the bundled table's figures. */
const S3PriceOverridesSchema = z.partialRecord(
  z.enum(S3_STORAGE_CLASSES),
  z.strictObject({
    storageGbMonth: fee.optional(),
    transitionPer1000: fee.optional(),
    retrievalPerGb: fee.optional(),
    minimumDays: z.number().int().min(0).max(3650).optional(),
    monitoringPer1000Objects: fee.optional(),
  }),
) satisfies z.ZodType<S3PriceOverrides>;

const GcsPriceOverridesSchema = z.partialRecord(
  z.enum(GCS_STORAGE_CLASSES),
  z.strictObject({
    storageGbMonth: fee.optional(),
    retrievalPerGb: fee.optional(),
    classAPer1000: fee.optional(),
    classBPer1000: fee.optional(),
    minimumDays: z.number().int().min(0).max(3650).optional(),
  }),
) satisfies z.ZodType<GcsPriceOverrides>;

// ---------------------------------------------------------------------------------------------
// The policy

/** The `costwatch.yml` policy file: strict (unknown keys are errors), defaults applied on parse. */
export const PolicySchema = z
  .strictObject({
    version: z.literal(1, {
      error: (iss) => (iss.input === undefined ? 'is required: start the file with version: 1' : `unsupported version ${JSON.stringify(iss.input)}: this costwatch reads version: 1`),
    }),
    dryRun: z.boolean().default(false),
    clouds: CloudsSchema.prefault({}),
    budgets: BudgetsSchema,
    rules: RulesSchema.prefault({}),
    exemptions: z.strictObject({ tagKey: nonEmpty.default(DEFAULT_EXEMPT_TAG_KEY), items: z.array(ExemptionSchema).default([]) }).prefault({}),
    quietHours: QuietHoursSchema.optional(),
    slack: SlackSchema.optional(),
    limits: LimitsSchema.prefault({}),
    tags: TagsSchema.prefault({}),
    launchGuard: LaunchGuardSchema.prefault({}),
    prices: z.strictObject({ aws: priceMap.optional(), gcp: priceMap.optional(), azure: priceMap.optional(), s3: S3PriceOverridesSchema.optional(), gcs: GcsPriceOverridesSchema.optional() }).optional(),
  })
  .superRefine(
    (p, ctx) => {
      // Approvals arrive only through Slack buttons and invariant 6 admits configured approvers
      // only, so without any an approve-mode proposal could never be decided. `auto` counts too:
      // over the limits or at medium confidence its actions fall back to approval.
      if (!p.slack) return;
      const { users, userGroups } = p.slack.approvers;
      if (users.length > 0 || userGroups.length > 0) return;
      const needing = RULE_IDS.filter((id) => p.rules[id].enabled && p.rules[id].mode !== 'notify');
      if (needing.length === 0) return;
      ctx.addIssue({
        code: 'custom',
        path: ['slack', 'approvers'],
        message: `no approvers: ${needing.join(', ')} ${needing.length === 1 ? 'needs' : 'need'} someone to approve (list slack.approvers.users or userGroups, or set those rules to mode: notify)`,
      });
    },
    // Checked as soon as slack and rules themselves are valid, so it is reported with the rest.
    { when: (payload) => payload.issues.every((i) => i.path?.[0] !== 'slack' && i.path?.[0] !== 'rules') },
  );


// ---------------------------------------------------------------------------------------------
// Helpers

function reportDuplicates(values: readonly string[], report: (index: number, firstIndex: number) => void): void {
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const first = seen.get(v);
    if (first === undefined) seen.set(v, i);
    else report(i, first);
  });
}


function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}


const RATE_UNITS = ['minute', 'hour', 'day'];

/** What is wrong with an EventBridge schedule expression, or undefined when it is well formed. */
function scheduleProblem(s: string): string | undefined {
  const rate = /^rate\((.*)\)$/.exec(s);
  if (rate) {
    const m = /^(\d+) ([a-z]+)$/.exec(rate[1]!.trim());
    if (!m) return 'rate must be rate(<n> minutes|hours|days), e.g. rate(1 hour) or rate(15 minutes)';
    const n = Number(m[1]);
    const unit = m[2]!;
    const singular = unit.replace(/s$/, '');
    if (!RATE_UNITS.includes(singular)) return `unknown rate unit "${unit}": use minutes, hours or days`;
    if (n < 1) return 'rate must be at least 1';
    // EventBridge rejects rate(1 hours) and rate(5 hour).
    if (n === 1 && unit !== singular) return `write rate(1 ${singular}): EventBridge wants the singular unit for 1`;
    if (n > 1 && unit === singular) return `write rate(${n} ${singular}s): EventBridge wants the plural unit above 1`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(s);
  if (cron) return cronProblem(cron[1]!.trim());
  return 'must be rate(<n> minutes|hours|days) or cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)';
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}
const CRON_FIELDS: CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

/** EventBridge cron: six fields, and exactly one of day-of-month / day-of-week must be `?`. */
function cronProblem(expr: string): string | undefined {
  const fields = expr.split(/\s+/);
  if (fields.length !== 6) {
    return `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}${fields.length === 5 ? ': add the year, e.g. *' : ''}`;
  }
  const [, , dom, , dow] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    return 'cron: exactly one of day-of-month and day-of-week must be ?, e.g. cron(0 8 ? * MON-FRI *) or cron(0 8 1 * ? *)';
  }
  for (let i = 0; i < 6; i++) {
    const problem = cronFieldProblem(fields[i]!, CRON_FIELDS[i]!, i);
    if (problem) return `cron ${CRON_FIELDS[i]!.name} "${fields[i]}": ${problem}`;
  }
  return undefined;
}

function cronFieldProblem(field: string, spec: CronField, index: number): string | undefined {
  if (field === '?') return index === 2 || index === 4 ? undefined : '? is only allowed in day-of-month or day-of-week';
  // Special forms: L / LW / 15W in day-of-month; 5L / FRIL / 6#3 in day-of-week.
  if (index === 2 && /^(L|LW|\d{1,2}W)$/.test(field)) return field.endsWith('W') && field !== 'LW' ? rangeProblem(Number(field.slice(0, -1)), spec) : undefined;
  if (index === 4) {
    const hash = /^([A-Za-z]{3}|\d)#([1-5])$/.exec(field);
    if (hash) return valueProblem(hash[1]!, spec);
    const last = /^([A-Za-z]{3}|\d)?L$/.exec(field);
    if (last) return last[1] ? valueProblem(last[1], spec) : undefined;
  }
  for (const part of field.split(',')) {
    const [base = '', step, extra] = part.split('/');
    if (extra !== undefined) return 'more than one /';
    if (step !== undefined && !/^\d+$/.test(step)) return `step "${step}" is not a number`;
    if (step !== undefined && Number(step) < 1) return 'step must be at least 1';
    if (base === '*') continue;
    const range = base.split('-');
    if (range.length > 2) return `"${base}" is not a value or a range`;
    for (const v of range) {
      const problem = valueProblem(v, spec);
      if (problem) return problem;
    }
  }
  return undefined;
}

function valueProblem(v: string, spec: CronField): string | undefined {
  if (/^\d+$/.test(v)) return rangeProblem(Number(v), spec);
  if (spec.names?.includes(v.toUpperCase())) return undefined;
  return spec.names ? `"${v}" is not ${spec.min}-${spec.max} or one of ${spec.names.join(',')}` : `"${v}" is not a number ${spec.min}-${spec.max}`;
}

function rangeProblem(n: number, spec: CronField): string | undefined {
  return n < spec.min || n > spec.max ? `${n} is outside ${spec.min}-${spec.max}` : undefined;
}
