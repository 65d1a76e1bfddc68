import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ScopeTarget } from '../providers/port.js';
import { loadFileWithSchema, parseWithSchema } from '../config/parse-file.js';
import { ConfigError, type FileProblem } from '../errors.js';
import { timeProblem } from './time.js';
import { checkSageMakerWorld, sageMakerWorldSections } from './aws/world-sagemaker.js';
import { rolesSchema } from './aws/world-sts.js';
import { anomaliesSchema, budgetsSchema, costsSchema, priceListSchema, savingsPlansSchema } from './aws/world-cost.js';
import { checkBucketNames, s3Schema } from './aws/world-s3.js';
import { worldPolicySchema } from './world-policy.js';
import { gcpProjectId, gcpWorldSection } from './gcp/world.js';
import { azureWorldSchema, subscriptionId } from './azure/world-azure.js';

/*
 * The world file seeds the sandbox cloud. Its format is documented in docs/world-file.md;
 * keep the two in step. Times stay strings here (ISO, `now` or `-2h`) and are resolved against
 * `now` when the sandbox starts, so a parsed world can be written back out unchanged.
 */

const time = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .superRefine((v, ctx) => {
    const problem = timeProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const absoluteTime = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .superRefine((v, ctx) => {
    const problem = timeProblem(v);
    if (problem || v === 'now' || /^[+-]/.test(v)) {
      ctx.addIssue({ code: 'custom', message: problem ?? `"${v}" must be an absolute ISO 8601 time with a zone, e.g. 2025-06-15T12:00:00Z` });
    }
  });

const accountId = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML when it starts with 0)'));

const tagValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const hour = z.number().int().min(0).max(23);
const value = z.number();
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Names of the days of the week a `weekly` series accepts, in JavaScript `getUTCDay()` order. */
export const WEEK_DAYS = DAYS;

const GENERATORS = ['constant', 'daily', 'weekly', 'bursts', 'random', 'points', 'absent'] as const;

const seriesObject = z
  .strictObject({
    constant: value.optional(),
    daily: z.strictObject({ hours: z.array(hour).min(1), value, otherwise: value.optional() }).optional(),
    weekly: z
      .strictObject({ days: z.array(z.enum(DAYS)).min(1), hours: z.array(hour).min(1).optional(), value, otherwise: value.optional() })
      .optional(),
    bursts: z
      .strictObject({
        everyHours: z.number().positive(),
        durationMinutes: z.number().int().positive(),
        offsetMinutes: z.number().int().min(0).default(0),
        value,
        otherwise: value.optional(),
      })
      .superRefine((b, ctx) => {
        if (b.durationMinutes > b.everyHours * 60) {
          ctx.addIssue({ code: 'custom', path: ['durationMinutes'], message: 'a burst cannot last longer than everyHours' });
        }
      })
      .optional(),
    random: z
      .strictObject({
        share: z.number().min(0).max(1),
        value,
        otherwise: value.optional(),
        seed: z.number().int().min(0).default(0),
      })
      .optional(),
    points: z.array(z.tuple([time, value])).optional(),
    absent: z.literal(true).optional(),
    from: time.optional(),
    until: time.optional(),
    gaps: z.array(z.strictObject({ from: time, to: time })).optional(),
  })
  .superRefine((s, ctx) => {
    const given = GENERATORS.filter((g) => s[g] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          given.length === 0
            ? `a series needs one of ${GENERATORS.join(', ')}`
            : `a series has exactly one generator, found ${given.join(' and ')}`,
      });
    }
  });

/** A metric's values over time, generated on demand at 1-minute resolution. `absent` publishes nothing. */
export const seriesSchema = z.preprocess((v) => (v === 'absent' ? { absent: true } : v), seriesObject);

const ENDPOINT_STATUSES = [
  'OutOfService',
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
  'InService',
  'Deleting',
  'Failed',
  'UpdateRollbackFailed',
] as const;

const sagemakerName = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'letters, digits and hyphens, at most 63, starting with a letter or digit');

const variantSchema = z
  .strictObject({
    name: sagemakerName.default('AllTraffic'),
    instanceType: z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'an instance type looks like ml.g5.xlarge').optional(),
    instanceCount: z.number().int().min(1).optional(),
    currentInstanceCount: z.number().int().min(0).optional(),
    serverless: z
      .strictObject({
        memorySizeInMB: z
          .number()
          .int()
          .refine((n) => n >= 1024 && n <= 6144 && n % 1024 === 0, 'memorySizeInMB is 1024, 2048, 3072, 4096, 5120 or 6144'),
        maxConcurrency: z.number().int().min(1).max(200),
        provisionedConcurrency: z.number().int().min(1).max(200).optional(),
      })
      .optional(),
    modelName: z.string().min(1).optional(),
    weight: z.number().min(0).default(1),
    metrics: z
      .strictObject({ invocations: seriesSchema.optional(), cpu: seriesSchema.optional(), gpu: seriesSchema.optional(), invocationsPerInstance: seriesSchema.optional() })
      .default({}),
    /** An Application Auto Scaling scalable target on the variant's instance count. */
    autoscaling: z
      .strictObject({
        min: z.number().int().min(0),
        max: z.number().int().min(1),
        scaleInSuspended: z.boolean().default(false),
      })
      .superRefine((a, ctx) => {
        if (a.min > a.max) ctx.addIssue({ code: 'custom', path: ['min'], message: 'min cannot be larger than max' });
      })
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.autoscaling && v.serverless) ctx.addIssue({ code: 'custom', path: ['autoscaling'], message: 'a serverless variant has no scalable instance count' });
    if ((v.instanceType === undefined) === (v.serverless === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a variant has either instanceType (with instanceCount) or serverless, not both or neither' });
    }
    if (v.serverless && (v.instanceCount !== undefined || v.currentInstanceCount !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['instanceCount'], message: 'a serverless variant has no instance count' });
    }
  });

const endpointSchema = z
  .strictObject({
    name: sagemakerName,
    status: z.enum(ENDPOINT_STATUSES).default('InService'),
    createdAt: time.default('-30d'),
    lastModifiedAt: time.optional(),
    tags: z.record(z.string().min(1).max(128), tagValue).default({}),
    configName: sagemakerName.optional(),
    async: z.boolean().default(false),
    variants: z.array(variantSchema).min(1),
  })
  .superRefine((e, ctx) => {
    const seen = new Set<string>();
    e.variants.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `variant "${v.name}" appears twice; name each variant` });
      seen.add(v.name);
    });
  });

const metricSchema = z.strictObject({
  namespace: z.string().min(1),
  name: z.string().min(1),
  dimensions: z.record(z.string().min(1), z.union([z.string(), z.number()]).transform(String)).default({}),
  unit: z.string().default('None'),
  series: seriesSchema,
});

const regionSchema = z
  .strictObject({
    sagemaker: z.strictObject({ endpoints: z.array(endpointSchema).default([]), ...sageMakerWorldSections(seriesSchema) }).prefault({}),
    cloudwatch: z.strictObject({ metrics: z.array(metricSchema).default([]) }).default({ metrics: [] }),
  })
  .superRefine((r, ctx) => {
    checkSageMakerWorld(r, ctx);
    const names = new Set<string>();
    const configs = new Set<string>();
    const metrics = new Set<string>();
    r.sagemaker.endpoints.forEach((e, i) => {
      const lower = e.name.toLowerCase();
      if (names.has(lower)) ctx.addIssue({ code: 'custom', path: ['sagemaker', 'endpoints', i, 'name'], message: `endpoint "${e.name}" is declared twice in this region` });
      names.add(lower);
      const config = (e.configName ?? `${e.name}-config`).toLowerCase();
      if (configs.has(config)) ctx.addIssue({ code: 'custom', path: ['sagemaker', 'endpoints', i, 'configName'], message: `endpoint config "${config}" is used twice in this region` });
      configs.add(config);
      for (const v of e.variants) {
        for (const m of Object.keys(v.metrics) as (keyof typeof SHORTCUT_METRICS)[]) {
          const s = SHORTCUT_METRICS[m];
          metrics.add(metricKey(s.namespace, s.name, { EndpointName: e.name, VariantName: v.name }));
        }
      }
    });
    r.cloudwatch.metrics.forEach((m, i) => {
      const key = metricKey(m.namespace, m.name, m.dimensions);
      if (metrics.has(key)) ctx.addIssue({ code: 'custom', path: ['cloudwatch', 'metrics', i], message: `metric ${m.namespace} ${m.name} with these dimensions is declared twice (perhaps also by an endpoint variant)` });
      metrics.add(key);
    });
  });

const regionName = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'a region looks like us-east-1');

const accountSchema = z.strictObject({
  id: accountId,
  name: z.string().min(1),
  regions: z.record(regionName, regionSchema).default({}),
  roles: rolesSchema,
  costs: costsSchema,
  budgets: budgetsSchema,
  anomalies: anomaliesSchema,
  s3: s3Schema,
  savingsPlans: savingsPlansSchema,
});

/** An injected failure: throttling, a 5xx, added latency or access denied, at a seeded rate. */
export const faultSchema = z
  .strictObject({
    service: z.enum(['sagemaker', 'cloudwatch', 'sts', 'ce', 'budgets', 'pricing', 's3', 'aiplatform', 'notebooks', 'monitoring', 'machinelearning', 'monitor', 'costmanagement', 'consumption', 'retailprices', 'storage', 'blob', 'application-autoscaling', 'bigquery', 'cloudbilling', 'billingbudgets', '*']).default('*'),
    operation: z.string().min(1).default('*'),
    kind: z.enum(['throttle', 'server-error', 'latency', 'access-denied']),
    rate: z.number().min(0).max(1).default(1),
    latencyMs: z.number().int().min(0).optional(),
    status: z.union([z.literal(500), z.literal(503)]).optional(),
    times: z.number().int().min(1).optional(),
    account: accountId.optional(),
    /** A Google Cloud project id: the fault fires only for calls into that project. */
    project: gcpProjectId.optional(),
    region: z.union([regionName, z.string().regex(/^[a-z]+-[a-z]+\d{1,2}$/, 'a region looks like us-east-1 or us-central1')]).optional(),
    /** Azure: only calls into this subscription. */
    subscription: subscriptionId.optional(),
    /** Azure: seconds the 429 of a `throttle` fault asks the client to wait (`Retry-After`). */
    retryAfterSeconds: z.number().int().min(0).max(60).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.kind === 'latency' && f.latencyMs === undefined) ctx.addIssue({ code: 'custom', path: ['latencyMs'], message: 'a latency fault needs latencyMs' });
    if (f.kind !== 'latency' && f.latencyMs !== undefined) ctx.addIssue({ code: 'custom', path: ['latencyMs'], message: 'latencyMs applies to kind: latency only' });
    if (f.kind !== 'server-error' && f.status !== undefined) ctx.addIssue({ code: 'custom', path: ['status'], message: 'status applies to kind: server-error only' });
  });

/** The whole world file, version 1. */
export const worldSchema = z
  .strictObject({
    version: z.literal(1, { error: 'version must be 1, the only world-file version' }),
    now: absoluteTime,
    seed: z.number().int().default(1),
    aws: z.strictObject({ accounts: z.array(accountSchema).default([]), priceList: priceListSchema }).prefault({}),
    gcp: gcpWorldSection(seriesSchema, time),
    azure: azureWorldSchema(seriesSchema),
    faults: z.array(faultSchema).default([]),
    policy: worldPolicySchema,
  })
  .superRefine((w, ctx) => {
    const ids = new Set<string>();
    w.aws.accounts.forEach((a, i) => {
      if (ids.has(a.id)) ctx.addIssue({ code: 'custom', path: ['aws', 'accounts', i, 'id'], message: `account ${a.id} is declared twice` });
      ids.add(a.id);
    });
    checkBucketNames(w.aws.accounts, ctx);
  });

/** A validated world, defaults applied. */
export type World = z.output<typeof worldSchema>;
/** A world as written (before defaults). */
export type WorldInput = z.input<typeof worldSchema>;
/** One account of the world. */
export type AccountSpec = World['aws']['accounts'][number];
/** One region of an account. */
export type RegionSpec = AccountSpec['regions'][string];
/** A SageMaker endpoint as declared. */
export type EndpointSpec = RegionSpec['sagemaker']['endpoints'][number];
/** An endpoint as written (before defaults). */
export type EndpointInput = z.input<typeof endpointSchema>;
/** A production variant as declared. */
export type VariantSpec = EndpointSpec['variants'][number];
/** The `gcp` section: Google Cloud projects. */
export type GcpWorldSpec = World['gcp'];
/** One Google Cloud project of the world. */
export type GcpProjectSpec = GcpWorldSpec['projects'][number];
/** One region of a Google Cloud project. */
export type GcpRegionSpec = GcpProjectSpec['regions'][string];
/** A generic CloudWatch metric as declared. */
export type MetricSpec = RegionSpec['cloudwatch']['metrics'][number];
/** A series generator, validated. */
export type SeriesSpec = z.output<typeof seriesSchema>;
/** A fault, validated. */
export type Fault = z.output<typeof faultSchema>;
/** A fault as written, e.g. in `sandbox.faults.add(...)`. */
export type FaultInput = z.input<typeof faultSchema>;

/** What the per-variant `metrics` shortcuts expand to. */
export const SHORTCUT_METRICS = {
  invocations: { namespace: 'AWS/SageMaker', name: 'Invocations', unit: 'None' },
  cpu: { namespace: '/aws/sagemaker/Endpoints', name: 'CPUUtilization', unit: 'Percent' },
  gpu: { namespace: '/aws/sagemaker/Endpoints', name: 'GPUUtilization', unit: 'Percent' },
  invocationsPerInstance: { namespace: 'AWS/SageMaker', name: 'InvocationsPerInstance', unit: 'None' },
} as const;

/** Identity of a metric: namespace, name and the exact set of dimensions (order-insensitive). */
export function metricKey(namespace: string, name: string, dimensions: Readonly<Record<string, string>>): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\u0001');
  return `${namespace}\u0000${name}\u0000${dims}`;
}

/** Parses a world file's text (YAML or JSON); problems are reported with file:line:col. */
export function parseWorld(text: string, file = 'world.yml'): World {
  return parseWithSchema(text, file, worldSchema);
}

/** Loads and validates a world file. */
export function loadWorld(path: string): Promise<World> {
  return loadFileWithSchema(path, worldSchema);
}

/** Validates a world built in code (tests, generators); problems are reported by key path. */
export function defineWorld(input: WorldInput, source = '<world object>'): World {
  return validate(worldSchema, input, source);
}

/** Validates a fault given in code. */
export function defineFault(input: FaultInput): Fault {
  return validate(faultSchema, input, '<fault>');
}

function validate<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: FileProblem[] = result.error.issues.map((issue) => ({
    file: source,
    key: issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '['),
    message: issue.message,
  }));
  throw new ConfigError(problems);
}

/** The bundled sample world: two AWS accounts and one endpoint per idle/busy/unknown case. */
export const SAMPLE_WORLD_PATH = fileURLToPath(new URL('./worlds/sample.yml', import.meta.url));

/** The accounts and regions a world holds, as scan targets (e.g. to build a default policy). */
export function worldScopes(world: World): ScopeTarget[] {
  return [
    ...world.aws.accounts.map((a): ScopeTarget => ({ scope: { cloud: 'aws', id: a.id, name: a.name }, regions: Object.keys(a.regions) })),
    ...world.gcp.projects.map((p): ScopeTarget => ({ scope: { cloud: 'gcp', id: p.id, ...(p.name ? { name: p.name } : {}) }, regions: Object.keys(p.regions) })),
    ...world.azure.subscriptions.map((s): ScopeTarget => ({ scope: { cloud: 'azure', id: s.id, name: s.name }, regions: azureLocations(s) })),
  ];
}

/** The locations of a subscription's workspaces, sorted. */
export function azureLocations(s: AzureSubscriptionSpec): string[] {
  return [...new Set(Object.values(s.resourceGroups).flatMap((g) => g.workspaces.map((w) => w.location)))].sort();
}

/** One Azure subscription of the world. */
export type AzureSubscriptionSpec = World['azure']['subscriptions'][number];
/** An Azure ML workspace as declared. */
export type AzureWorkspaceSpec = AzureSubscriptionSpec['resourceGroups'][string]['workspaces'][number];
