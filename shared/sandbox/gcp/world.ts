import { z } from 'zod';
import { gcpBillingWorld } from './billing-world.js';

/*
 * The `gcp` section of the world file (docs/world-file.md): Google Cloud projects with their
 * Vertex AI endpoints (deployed models and their Cloud Monitoring series), custom training jobs
 * and Vertex AI Workbench instances, and Cloud Storage buckets (`buckets`, beside `regions`: their
 * objects and lifecycle rules). The section is built by a factory taking the world's series and
 * time schemas, so this file does not import world.ts.
 */

/** Project ids as Google validates them: 6–30 lower-case letters, digits and hyphens. */
export const gcpProjectId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a Google Cloud project id is 6–30 lower-case letters, digits and hyphens, starting with a letter');

const gcpRegionName = z.string().regex(/^[a-z]+-[a-z]+\d{1,2}$/, 'a Google Cloud region looks like us-central1 (zones are not regions)');
const zoneSuffix = z.string().regex(/^[a-z]$/, 'a zone suffix is one letter, e.g. a for us-central1-a');
const numericId = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^[1-9]\d{0,18}$/, 'a numeric id, e.g. "1234567890"'));
const labelKey = z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/, 'a label key is lower-case letters, digits, _ and -, starting with a letter');
const labelValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform(String)
  .pipe(z.string().regex(/^[a-z0-9_-]{0,63}$/, 'a label value is lower-case letters, digits, _ and -'));
const labels = z.record(labelKey, labelValue).default({});
const machineType = z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'a machine type looks like n1-standard-4');
const acceleratorType = z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'an accelerator type looks like NVIDIA_TESLA_T4');

/** Accelerator enum values that mean "none". */
const NO_ACCELERATOR = 'ACCELERATOR_TYPE_UNSPECIFIED';

/** Builds the `gcp` world section over the world's series and time schemas. */
export function gcpWorldSection<S extends z.ZodType, T extends z.ZodType<string, unknown>>(series: S, time: T) {
  const money = gcpBillingWorld(time);
  const machine = {
    machineType,
    acceleratorType: acceleratorType.optional(),
    acceleratorCount: z.number().int().min(1).max(16).optional(),
  };
  const checkAccelerator = (m: { acceleratorType?: string | undefined; acceleratorCount?: number | undefined }, ctx: z.RefinementCtx) => {
    if (m.acceleratorCount !== undefined && (m.acceleratorType === undefined || m.acceleratorType === NO_ACCELERATOR)) {
      ctx.addIssue({ code: 'custom', path: ['acceleratorType'], message: 'acceleratorCount needs an acceleratorType' });
    }
  };

  const deployedModel = z
    .strictObject({
      id: numericId,
      displayName: z.string().min(1).max(128).optional(),
      model: z.string().min(1).optional(),
      /** Dedicated resources: a machine type (and accelerators) on min…max replicas. */
      dedicated: z
        .strictObject({
          ...machine,
          minReplicas: z.number().int().min(1).default(1),
          maxReplicas: z.number().int().min(1).optional(),
          /** Replicas running now (default minReplicas). */
          replicas: z.number().int().min(0).optional(),
          /** `autoscalingMetricSpecs`: the metrics it scales on, each with a target percent (absent: Vertex AI's default 60% CPU). */
          autoscalingMetricSpecs: z.array(z.strictObject({ metricName: z.string().min(1), target: z.number().int().min(1).max(100).optional() })).optional(),
        })
        .superRefine((d, ctx) => {
          checkAccelerator(d, ctx);
          if (d.maxReplicas !== undefined && d.maxReplicas < d.minReplicas) ctx.addIssue({ code: 'custom', path: ['maxReplicas'], message: 'maxReplicas is below minReplicas' });
        })
        .optional(),
      /** Automatic resources: Vertex AI sizes the machines. */
      automatic: z.strictObject({ minReplicas: z.number().int().min(0).default(1), maxReplicas: z.number().int().min(0).optional() }).optional(),
      /** Shared resources: the name of a deployment resource pool, billed on its own. */
      sharedPool: z.string().min(1).optional(),
      trafficPercent: z.number().int().min(0).max(100).default(0),
      createdAt: time.optional(),
      metrics: z
        .strictObject({
          /** `prediction/online/prediction_count` (per minute). */
          predictions: series.optional(),
          /** `prediction/online/replicas` (the heartbeat). */
          replicas: series.optional(),
          /** `prediction/online/cpu/utilization`, in percent. */
          cpu: series.optional(),
          /** `prediction/online/accelerator/duty_cycle`, in percent. */
          accelerator: series.optional(),
        })
        .default({}),
    })
    .superRefine((m, ctx) => {
      const kinds = [m.dedicated, m.automatic, m.sharedPool].filter((x) => x !== undefined).length;
      if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'a deployed model has exactly one of dedicated, automatic or sharedPool' });
    });

  const endpoint = z
    .strictObject({
      id: numericId,
      displayName: z.string().min(1).max(128),
      createdAt: time.default('-30d' as never),
      labels,
      deployedModels: z.array(deployedModel).default([]),
    })
    .superRefine((e, ctx) => {
      const ids = new Set<string>();
      e.deployedModels.forEach((m, i) => {
        if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['deployedModels', i, 'id'], message: `deployed model ${m.id} appears twice` });
        ids.add(m.id);
      });
      const total = e.deployedModels.reduce((s, m) => s + m.trafficPercent, 0);
      if (e.deployedModels.length > 0 && total !== 100) {
        ctx.addIssue({ code: 'custom', path: ['deployedModels'], message: `trafficPercent of the deployed models adds up to ${total}, not 100` });
      }
    });

  const JOB_STATES = ['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLING', 'JOB_STATE_CANCELLED', 'JOB_STATE_PAUSED'] as const;
  const customJob = z.strictObject({
    id: numericId,
    displayName: z.string().min(1).max(128),
    state: z.enum(JOB_STATES).default('JOB_STATE_RUNNING'),
    createdAt: time.default('-1h' as never),
    startedAt: time.optional(),
    /** When a finished job (SUCCEEDED, FAILED, CANCELLED) ended; default one hour after it started. */
    endedAt: time.optional(),
    /** `scheduling.timeout`, in seconds; absent = not set (Vertex AI then applies its default of 7 days). */
    timeoutSeconds: z.number().int().min(1).optional(),
    /** `scheduling.strategy`, e.g. SPOT; absent = not set (on demand). */
    strategy: z.enum(['ON_DEMAND', 'LOW_COST', 'STANDARD', 'SPOT', 'FLEX_START']).optional(),
    labels,
    workerPools: z
      .array(z.strictObject({ ...machine, replicaCount: z.number().int().min(1).default(1) }).superRefine(checkAccelerator))
      .min(1),
  });

  const INSTANCE_STATES = ['PROVISIONING', 'STARTING', 'ACTIVE', 'STOPPING', 'STOPPED', 'SUSPENDED', 'UPGRADING', 'INITIALIZING'] as const;
  const workbenchInstance = z
    .strictObject({
      name: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Workbench instance name is lower-case letters, digits and hyphens'),
      zone: zoneSuffix.default('a'),
      /** Compute Engine instance id, used by the VM's Cloud Monitoring series. */
      instanceId: numericId.optional(),
      state: z.enum(INSTANCE_STATES).default('ACTIVE'),
      createdAt: time.default('-30d' as never),
      /** When it last started; default createdAt. */
      startedAt: time.optional(),
      creator: z.string().min(1).optional(),
      labels,
      ...machine,
      /** The `idle-timeout-seconds` metadata: Workbench stops the instance after this much idleness. Absent = no idle shutdown. */
      idleTimeoutSeconds: z.number().int().min(600).max(604800).optional(),
      metrics: z.strictObject({ /** `compute.googleapis.com/instance/cpu/utilization`, in percent. */ cpu: series.optional() }).default({}),
    })
    .superRefine(checkAccelerator);

  const STORAGE_CLASSES = ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'] as const;
  /** Objects of a bucket: one, or `count` of them named `<name>00001`, `<name>00002`… with the same size and times. */
  const gcsObject = z.strictObject({
    name: z.string().min(1).max(1024),
    count: z.number().int().min(1).max(1_000_000).default(1),
    sizeBytes: z.number().int().min(0),
    storageClass: z.enum(STORAGE_CLASSES).optional(),
    createdAt: time.default('-1d' as never),
    /** Last metadata change; default createdAt. */
    updatedAt: time.optional(),
    customTime: time.optional(),
  });
  /** A lifecycle rule as the JSON API takes it; the sandbox keeps it as written. */
  const lifecycleRule = z.strictObject({
    action: z.strictObject({ type: z.enum(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']), storageClass: z.enum(STORAGE_CLASSES).optional() }),
    condition: z.record(z.string(), z.unknown()).default({}),
  });
  const bucket = z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, 'a bucket name is 3–63 lower-case letters, digits, dots, hyphens and underscores'),
    /** `US-CENTRAL1`, `US`, `EU`… as Cloud Storage spells it; default the project's first region. */
    location: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    storageClass: z.enum(STORAGE_CLASSES).default('STANDARD'),
    createdAt: time.default('-365d' as never),
    labels,
    autoclass: z.boolean().default(false),
    /** `lifecycle.rule[]`; absent = no lifecycle configuration. */
    lifecycle: z.array(lifecycleRule).max(100).optional(),
    objects: z.array(gcsObject).default([]),
  });

  const region = z.strictObject({
    endpoints: z.array(endpoint).default([]),
    customJobs: z.array(customJob).default([]),
    workbench: z.array(workbenchInstance).default([]),
  });

  const project = z
    .strictObject({
      id: gcpProjectId,
      /** The project number; default derived from the id. */
      number: numericId.optional(),
      name: z.string().min(1).optional(),
      regions: z.record(gcpRegionName, region).default({}),
      /** Cloud Storage buckets (global names, each with its location). */
      buckets: z.array(bucket).default([]),
      ...money.project,
    })
    .superRefine((p, ctx) => {
      const endpoints = new Set<string>();
      const jobs = new Set<string>();
      const instances = new Set<string>();
      for (const [name, r] of Object.entries(p.regions)) {
        r.endpoints.forEach((e, i) => {
          if (endpoints.has(e.id)) ctx.addIssue({ code: 'custom', path: ['regions', name, 'endpoints', i, 'id'], message: `endpoint ${e.id} is declared twice in this project` });
          endpoints.add(e.id);
        });
        r.customJobs.forEach((j, i) => {
          if (jobs.has(j.id)) ctx.addIssue({ code: 'custom', path: ['regions', name, 'customJobs', i, 'id'], message: `custom job ${j.id} is declared twice in this project` });
          jobs.add(j.id);
        });
        r.workbench.forEach((w, i) => {
          const key = `${name}-${w.zone}/${w.name}`;
          if (instances.has(key)) ctx.addIssue({ code: 'custom', path: ['regions', name, 'workbench', i, 'name'], message: `Workbench instance ${w.name} is declared twice in zone ${name}-${w.zone}` });
          instances.add(key);
        });
      }
    });

  return z
    .strictObject({ projects: z.array(project).default([]), billing: money.billing })
    .superRefine((g, ctx) => {
      const ids = new Set<string>();
      g.projects.forEach((p, i) => {
        if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['projects', i, 'id'], message: `project ${p.id} is declared twice` });
        ids.add(p.id);
      });
      // Bucket names are global: one name, one bucket, whatever the project.
      const buckets = new Set<string>();
      g.projects.forEach((p, i) =>
        p.buckets.forEach((b, j) => {
          if (buckets.has(b.name)) ctx.addIssue({ code: 'custom', path: ['projects', i, 'buckets', j, 'name'], message: `bucket ${b.name} is declared twice (bucket names are global)` });
          buckets.add(b.name);
        }),
      );
      const accounts = new Set(g.billing.accounts.map((a) => a.id));
      g.projects.forEach((p, i) => {
        if (p.billingAccount !== undefined && p.billingAccount !== 'none' && !accounts.has(p.billingAccount)) {
          ctx.addIssue({ code: 'custom', path: ['projects', i, 'billingAccount'], message: `billing account ${p.billingAccount} is not in gcp.billing.accounts` });
        }
      });
      g.billing.accounts.forEach((a, i) =>
        a.budgets.forEach((b, j) =>
          b.projects.forEach((id, k) => {
            if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['billing', 'accounts', i, 'budgets', j, 'projects', k], message: `project ${id} is not in gcp.projects` });
          }),
        ),
      );
    })
    .prefault({});
}

/** The project number the sandbox gives a project without one: stable digits derived from its id. */
export function defaultProjectNumber(id: string): string {
  let h = 7;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_000;
  return String(100_000_000_000 + h);
}
