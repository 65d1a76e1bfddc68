import { z } from 'zod';
import { worldTags, worldTime } from '../aws/world-common.js';
import { azureBudgetsSchema, azureCostsSchema, retailPricesSchema, reservationRecommendationsSchema } from './world-azure-cost.js';
import { worldStorageAccount } from './world-storage.js';

/*
 * The `azure` section of the world file (docs/world-file.md "Azure"): subscriptions, their
 * resource groups, Azure Machine Learning workspaces with managed online endpoints and their
 * deployments, compute instances and compute clusters, and the Azure Monitor metric series behind
 * them. Subscriptions are the place for later per-subscription sections (`costs`, `budgets`,
 * `storageAccounts`); resource groups hold what ARM holds in resource groups.
 */

/** A subscription id: a GUID, compared case-insensitively (kept lower case). */
export const subscriptionId = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'a subscription id is a GUID like 00000000-0000-0000-0000-000000000000')
  .transform((s) => s.toLowerCase());

/** An Azure location name: lower case, no spaces (eastus, westeurope). */
export const azureLocation = z.string().regex(/^[a-z][a-z0-9]*$/, 'an Azure location is lower case without spaces, like eastus or westeurope');

/** Names of Azure ML workspaces, endpoints, deployments and computes. */
const mlName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/, 'letters, digits, hyphens and underscores, at most 63, starting with a letter or digit');
const resourceGroupName = z.string().regex(/^[-\w._()]{1,90}$/, 'a resource group name is 1–90 letters, digits, underscores, hyphens, periods and parentheses');
/** An Azure VM size, e.g. Standard_DS3_v2, Standard_NC6s_v3. */
const vmSize = z.string().regex(/^(Standard|Basic)_[A-Za-z0-9_]+$/, 'a VM size looks like Standard_DS3_v2');
/** ISO 8601 duration such as PT30M or PT1H. */
const isoDuration = z.string().regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/, 'an ISO 8601 duration such as PT30M or PT1H');

const DEPLOYMENT_STATES = ['Succeeded', 'Creating', 'Updating', 'Deleting', 'Scaling', 'Failed', 'Canceled'] as const;
const INSTANCE_STATES = ['Running', 'Stopped', 'Starting', 'Stopping', 'Creating', 'CreateFailed', 'Deleting', 'JobRunning', 'Restarting', 'SettingUp', 'SetupFailed', 'Unusable', 'UserSettingUp', 'UserSetupFailed', 'Unknown'] as const;

/** The sections that need the world's series schema (passed in: world.ts defines it and imports this file). */
export function azureWorldSchema<S extends z.ZodType>(series: S) {
  const deployment = z.strictObject({
    name: mlName,
    instanceType: vmSize,
    instanceCount: z.number().int().min(1).default(1),
    /** Percent of the endpoint's traffic this deployment receives. */
    traffic: z.number().int().min(0).max(100).default(0),
    scaleSettings: z
      .discriminatedUnion('scaleType', [
        z.strictObject({ scaleType: z.literal('Default') }),
        z.strictObject({ scaleType: z.literal('TargetUtilization'), minInstances: z.number().int().min(0).default(1), maxInstances: z.number().int().min(1).default(1), targetUtilizationPercentage: z.number().int().min(1).max(100).default(70), pollingInterval: isoDuration.default('PT1S') }),
      ])
      .default({ scaleType: 'Default' }),
    provisioningState: z.enum(DEPLOYMENT_STATES).default('Succeeded'),
    model: z.string().min(1).optional(),
    tags: worldTags,
    /** Azure Monitor series: RequestsPerMinute (endpoint, per deployment), CpuUtilizationPercentage, GpuUtilizationPercentage, DeploymentCapacity (deployment). */
    metrics: z.strictObject({ requests: series.optional(), cpu: series.optional(), gpu: series.optional(), capacity: series.optional() }).default({}),
  });

  const onlineEndpoint = z
    .strictObject({
      name: mlName,
      createdAt: worldTime.default('-30d'),
      authMode: z.enum(['Key', 'AMLToken', 'AADToken']).default('Key'),
      tags: worldTags,
      deployments: z.array(deployment).default([]),
    })
    .superRefine((e, ctx) => {
      const seen = new Set<string>();
      e.deployments.forEach((d, i) => {
        if (seen.has(d.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'name'], message: `deployment "${d.name}" appears twice` });
        seen.add(d.name.toLowerCase());
      });
      const total = e.deployments.reduce((s, d) => s + d.traffic, 0);
      if (e.deployments.length > 0 && total !== 0 && total !== 100) ctx.addIssue({ code: 'custom', path: ['deployments'], message: `traffic of the deployments adds up to ${total}; Azure requires 0 or 100` });
    });

  const schedule = z.strictObject({
    action: z.enum(['Start', 'Stop']),
    /** A cron expression as Azure ML takes it, e.g. "0 20 * * 1-5". */
    cron: z.string().min(1),
    timeZone: z.string().default('UTC'),
    status: z.enum(['Enabled', 'Disabled']).default('Enabled'),
  });

  const computeInstance = z.strictObject({
    name: mlName,
    vmSize,
    state: z.enum(INSTANCE_STATES).default('Running'),
    createdAt: worldTime.default('-30d'),
    /** When the instance last started (the time of its last Start or Create operation). */
    runningSince: worldTime.optional(),
    idleTimeBeforeShutdown: isoDuration.optional(),
    schedules: z.array(schedule).default([]),
    tags: worldTags,
  });

  const computeCluster = z
    .strictObject({
      name: mlName,
      vmSize,
      vmPriority: z.enum(['Dedicated', 'LowPriority']).default('Dedicated'),
      minNodes: z.number().int().min(0).default(0),
      maxNodes: z.number().int().min(1).default(4),
      /** Nodes allocated now; default the minimum. */
      currentNodes: z.number().int().min(0).optional(),
      nodeIdleTimeBeforeScaleDown: isoDuration.default('PT120S'),
      createdAt: worldTime.default('-30d'),
      tags: worldTags,
      /** Workspace metrics with ClusterName = this cluster: `Active Nodes` (running jobs) and `Idle Nodes`. */
      metrics: z.strictObject({ activeNodes: series.optional(), idleNodes: series.optional() }).default({}),
    })
    .superRefine((c, ctx) => {
      if (c.minNodes > c.maxNodes) ctx.addIssue({ code: 'custom', path: ['minNodes'], message: `minNodes ${c.minNodes} is above maxNodes ${c.maxNodes}` });
    });

  const workspace = z
    .strictObject({
      name: mlName,
      location: azureLocation,
      createdAt: worldTime.default('-90d'),
      tags: worldTags,
      onlineEndpoints: z.array(onlineEndpoint).default([]),
      computeInstances: z.array(computeInstance).default([]),
      computeClusters: z.array(computeCluster).default([]),
    })
    .superRefine((w, ctx) => {
      const names = new Map<string, string>();
      const check = (key: 'computeInstances' | 'computeClusters', list: readonly { name: string }[]) =>
        list.forEach((c, i) => {
          const lower = c.name.toLowerCase();
          if (names.has(lower)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `compute "${c.name}" is already declared in ${names.get(lower) ?? ''}; compute names are unique in a workspace` });
          names.set(lower, key);
        });
      check('computeInstances', w.computeInstances);
      check('computeClusters', w.computeClusters);
      const eps = new Set<string>();
      w.onlineEndpoints.forEach((e, i) => {
        if (eps.has(e.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['onlineEndpoints', i, 'name'], message: `online endpoint "${e.name}" is declared twice` });
        eps.add(e.name.toLowerCase());
      });
    });

  const resourceGroup = z.strictObject({
    workspaces: z.array(workspace).default([]),
  });

  const subscription = z
    .strictObject({
      id: subscriptionId,
      name: z.string().min(1),
      resourceGroups: z.record(resourceGroupName, resourceGroup).default({}),
      /** Cost rows Cost Management's Query and Forecast answer from (world-file.md "Azure costs, budgets and prices"). */
      costs: azureCostsSchema,
      /** Azure budgets (Consumption). */
      budgets: azureBudgetsSchema,
      /** Reservation purchase recommendations (Consumption ReservationRecommendations_List): commitment-coverage on Azure. */
      reservationRecommendations: reservationRecommendationsSchema,
      /** Storage accounts with their containers and blobs (cold-artifacts on Azure). */
      storageAccounts: z.array(worldStorageAccount).default([]),
    })
    .superRefine((s, ctx) => {
      const ws = new Set<string>();
      for (const [rg, group] of Object.entries(s.resourceGroups)) {
        group.workspaces.forEach((w, i) => {
          const key = `${rg.toLowerCase()}/${w.name.toLowerCase()}`;
          if (ws.has(key)) ctx.addIssue({ code: 'custom', path: ['resourceGroups', rg, 'workspaces', i, 'name'], message: `workspace "${w.name}" is declared twice in resource group ${rg}` });
          ws.add(key);
        });
      }
      const accounts = new Set<string>();
      s.storageAccounts.forEach((a, i) => {
        if (accounts.has(a.name)) ctx.addIssue({ code: 'custom', path: ['storageAccounts', i, 'name'], message: `storage account "${a.name}" is declared twice` });
        accounts.add(a.name);
      });
    });

  return z
    .strictObject({ subscriptions: z.array(subscription).default([]), retailPrices: retailPricesSchema })
    .superRefine((a, ctx) => {
      const ids = new Set<string>();
      a.subscriptions.forEach((s, i) => {
        if (ids.has(s.id)) ctx.addIssue({ code: 'custom', path: ['subscriptions', i, 'id'], message: `subscription ${s.id} is declared twice` });
        ids.add(s.id);
      });
    })
    .prefault({});
}
