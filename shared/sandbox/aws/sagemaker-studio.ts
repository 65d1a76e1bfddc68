import type {
  AppDetails,
  AppInstanceType,
  DeleteAppCommandOutput,
  DescribeAppCommandOutput,
  DescribeDomainCommandOutput,
  DescribeSpaceCommandOutput,
  ListAppsCommandOutput,
  ListDomainsCommandOutput,
  ListSpacesCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { maxResults, pageOf, sortBy } from './paging.js';
import { AwsApiError, parseInput } from './protocol.js';
import type { AwsCallContext, AwsHandler } from './sagemaker.js';
import type { AppRecord, DomainRecord, SpaceRecord } from './state-sagemaker.js';
import { STUDIO_APP_TYPES } from './world-studio.js';

type Out<T> = Omit<T, '$metadata'>;

const name = z.string().max(63);
const domainId = z.string().regex(/^d-(-*[a-z0-9]){1,61}$/, 'Member must satisfy regular expression pattern: d-(-*[a-z0-9]){1,61}');
/** Studio runs health checks every few minutes; the last one is the latest 5-minute mark on the world clock. */
const HEALTH_CHECK_MS = 5 * 60_000;

function mustDomain(ctx: AwsCallContext, id: string): DomainRecord {
  const d = ctx.region.sm.domains.get(id);
  if (!d) throw new AwsApiError('resource-not-found', `Domain ${ctx.region.sm.arn(`domain/${id}`)} not found`);
  return d;
}

function idleSettings(minutes: number | undefined) {
  return minutes === undefined ? undefined : { AppLifecycleManagement: { IdleSettings: { LifecycleManagement: 'ENABLED' as const, IdleTimeoutInMinutes: minutes } } };
}

function listDomains(ctx: AwsCallContext, body: unknown): Out<ListDomainsCommandOutput> {
  const input = parseInput(z.object({ NextToken: z.string().max(8192).optional(), MaxResults: maxResults(100).default(10) }), body);
  const all = sortBy(ctx.region.sm.domains.values(), (d) => d.createdAt, 'Descending');
  const { page, next } = pageOf(all, input, input.MaxResults);
  return {
    Domains: page.map((d) => ({
      DomainArn: d.arn,
      DomainId: d.id,
      DomainName: d.name,
      Status: 'InService',
      CreationTime: new Date(d.createdAt),
      LastModifiedTime: new Date(d.createdAt),
      Url: `https://${d.id}.studio.${ctx.region.region}.sagemaker.aws`,
    })),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListDomainsCommandOutput>;
}

function describeDomain(ctx: AwsCallContext, body: unknown): Out<DescribeDomainCommandOutput> {
  const input = parseInput(z.object({ DomainId: domainId }), body);
  const d = mustDomain(ctx, input.DomainId);
  const idle = idleSettings(d.idleShutdownMinutes);
  return {
    DomainArn: d.arn,
    DomainId: d.id,
    DomainName: d.name,
    Status: 'InService',
    AuthMode: 'IAM',
    CreationTime: new Date(d.createdAt),
    LastModifiedTime: new Date(d.createdAt),
    Url: `https://${d.id}.studio.${ctx.region.region}.sagemaker.aws`,
    DefaultUserSettings: {
      ExecutionRole: `arn:aws:iam::${ctx.region.accountId}:role/service-role/AmazonSageMaker-ExecutionRole`,
      ...(idle ? { JupyterLabAppSettings: idle, CodeEditorAppSettings: idle } : {}),
    },
  } satisfies Out<DescribeDomainCommandOutput>;
}

const listSpacesInput = z.object({
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  SortBy: z.enum(['CreationTime', 'LastModifiedTime']).default('CreationTime'),
  DomainIdEquals: domainId.optional(),
  SpaceNameContains: z.string().optional(),
});

function spaceSettingsSummary(s: SpaceRecord) {
  return { AppType: s.appType, SpaceStorageSettings: { EbsStorageSettings: { EbsVolumeSizeInGb: s.storageGb } } };
}

function listSpaces(ctx: AwsCallContext, body: unknown): Out<ListSpacesCommandOutput> {
  const input = parseInput(listSpacesInput, body);
  const contains = input.SpaceNameContains?.toLowerCase();
  const all = sortBy(
    [...ctx.region.sm.spaces.values()].filter(
      (s) => (input.DomainIdEquals === undefined || s.domainId === input.DomainIdEquals) && (contains === undefined || s.name.toLowerCase().includes(contains)),
    ),
    (s) => s.createdAt,
    input.SortOrder,
  );
  const { page, next } = pageOf(all, input, input.MaxResults);
  return {
    Spaces: page.map((s) => ({
      DomainId: s.domainId,
      SpaceName: s.name,
      Status: 'InService',
      CreationTime: new Date(s.createdAt),
      LastModifiedTime: new Date(s.createdAt),
      SpaceSettingsSummary: spaceSettingsSummary(s),
      SpaceSharingSettingsSummary: { SharingType: s.owner ? 'Private' : 'Shared' },
      ...(s.owner ? { OwnershipSettingsSummary: { OwnerUserProfileName: s.owner } } : {}),
    })),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListSpacesCommandOutput>;
}

function describeSpace(ctx: AwsCallContext, body: unknown): Out<DescribeSpaceCommandOutput> {
  const input = parseInput(z.object({ DomainId: domainId, SpaceName: name }), body);
  mustDomain(ctx, input.DomainId);
  const s = ctx.region.sm.space(input.DomainId, input.SpaceName);
  if (!s) throw new AwsApiError('resource-not-found', `Space ${ctx.region.sm.arn(`space/${input.DomainId}/${input.SpaceName}`)} not found`);
  const idle = s.idleShutdownMinutes === undefined ? undefined : { AppLifecycleManagement: { IdleSettings: { IdleTimeoutInMinutes: s.idleShutdownMinutes } } };
  return {
    DomainId: s.domainId,
    SpaceArn: s.arn,
    SpaceName: s.name,
    Status: 'InService',
    CreationTime: new Date(s.createdAt),
    LastModifiedTime: new Date(s.createdAt),
    SpaceSettings: {
      ...spaceSettingsSummary(s),
      ...(idle ? (s.appType === 'JupyterLab' ? { JupyterLabAppSettings: idle } : { CodeEditorAppSettings: idle }) : {}),
    },
    SpaceSharingSettings: { SharingType: s.owner ? 'Private' : 'Shared' },
    ...(s.owner ? { OwnershipSettings: { OwnerUserProfileName: s.owner } } : {}),
  } satisfies Out<DescribeSpaceCommandOutput>;
}

const listAppsInput = z.object({
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  SortBy: z.enum(['CreationTime']).default('CreationTime'),
  DomainIdEquals: domainId.optional(),
  UserProfileNameEquals: name.optional(),
  SpaceNameEquals: name.optional(),
});

function appDetails(a: AppRecord): AppDetails {
  return {
    DomainId: a.domainId,
    ...(a.userProfile !== undefined ? { UserProfileName: a.userProfile } : {}),
    ...(a.space !== undefined ? { SpaceName: a.space } : {}),
    AppType: a.type,
    AppName: a.name,
    Status: a.status,
    CreationTime: new Date(a.createdAt),
    ResourceSpec: { InstanceType: a.instanceType as AppInstanceType },
  };
}

function listApps(ctx: AwsCallContext, body: unknown): Out<ListAppsCommandOutput> {
  const input = parseInput(listAppsInput, body);
  if (input.UserProfileNameEquals !== undefined && input.SpaceNameEquals !== undefined) {
    throw new AwsApiError('validation', 'Only one of UserProfileNameEquals and SpaceNameEquals may be specified.');
  }
  const sm = ctx.region.sm;
  sm.settle(ctx.now);
  const all = sortBy(
    sm.apps.filter(
      (a) =>
        (input.DomainIdEquals === undefined || a.domainId === input.DomainIdEquals) &&
        (input.UserProfileNameEquals === undefined || a.userProfile?.toLowerCase() === input.UserProfileNameEquals.toLowerCase()) &&
        (input.SpaceNameEquals === undefined || a.space?.toLowerCase() === input.SpaceNameEquals.toLowerCase()),
    ),
    (a) => a.createdAt,
    input.SortOrder,
  );
  const { page, next } = pageOf(all, input, input.MaxResults);
  return { Apps: page.map(appDetails), ...(next ? { NextToken: next } : {}) } satisfies Out<ListAppsCommandOutput>;
}

const appKey = z
  .object({ DomainId: domainId, AppType: z.enum(STUDIO_APP_TYPES), AppName: name, UserProfileName: name.optional(), SpaceName: name.optional() })
  .refine((k) => (k.UserProfileName === undefined) !== (k.SpaceName === undefined), 'exactly one of UserProfileName and SpaceName must be specified');

function mustApp(ctx: AwsCallContext, body: unknown): AppRecord {
  const input = parseInput(appKey, body);
  mustDomain(ctx, input.DomainId);
  ctx.region.sm.settle(ctx.now);
  const owner = input.SpaceName !== undefined ? { space: input.SpaceName } : { userProfile: input.UserProfileName ?? '' };
  const a = ctx.region.sm.app(input.DomainId, owner, input.AppType, input.AppName);
  if (!a) {
    const arn = ctx.region.sm.arn(`app/${input.DomainId}/${input.SpaceName ?? input.UserProfileName ?? ''}/${input.AppType}/${input.AppName}`);
    throw new AwsApiError('resource-not-found', `App ${arn} does not exist.`);
  }
  return a;
}

function describeApp(ctx: AwsCallContext, body: unknown): Out<DescribeAppCommandOutput> {
  const a = mustApp(ctx, body);
  const live = a.status === 'InService';
  const healthCheck = Math.floor(ctx.now / HEALTH_CHECK_MS) * HEALTH_CHECK_MS;
  return {
    AppArn: a.arn,
    AppType: a.type,
    AppName: a.name,
    DomainId: a.domainId,
    ...(a.userProfile !== undefined ? { UserProfileName: a.userProfile } : {}),
    ...(a.space !== undefined ? { SpaceName: a.space } : {}),
    Status: a.status,
    CreationTime: new Date(a.createdAt),
    ResourceSpec: { InstanceType: a.instanceType as AppInstanceType },
    // AWS documents that health checks also set LastUserActivityTimestamp, to the same value.
    ...(live ? { LastHealthCheckTimestamp: new Date(healthCheck), LastUserActivityTimestamp: new Date(a.lastUserActivity ?? healthCheck) } : {}),
  } satisfies Out<DescribeAppCommandOutput>;
}

function deleteApp(ctx: AwsCallContext, body: unknown): Out<DeleteAppCommandOutput> {
  const a = mustApp(ctx, body);
  if (a.status === 'Deleted') throw new AwsApiError('resource-not-found', `App ${a.arn} does not exist.`);
  if (a.status !== 'InService' && a.status !== 'Failed') throw new AwsApiError('validation', `App ${a.arn} is in status ${a.status} and cannot be deleted.`);
  ctx.region.sm.begin(a, 'Deleting', 'Deleted', ctx.now, ctx.transitionMs ?? 0);
  return {} satisfies Out<DeleteAppCommandOutput>;
}

/** Studio domain, space and app operations, by `X-Amz-Target` operation name. */
export const STUDIO_OPERATIONS = {
  ListDomains: listDomains,
  DescribeDomain: describeDomain,
  ListSpaces: listSpaces,
  DescribeSpace: describeSpace,
  ListApps: listApps,
  DescribeApp: describeApp,
  DeleteApp: deleteApp,
} as const satisfies Record<string, AwsHandler>;
