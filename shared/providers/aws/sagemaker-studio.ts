import { sagemakerLifecycle } from './lifecycle.js';
import type { AppDetails, AppType, DescribeAppCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { clientOf, sagemakerSdk, type ClientRef } from './sdk.js';
import type { Resource, Scope } from '../../domain/resource.js';
import { mapLimit } from '../../util/concurrency.js';
import { isSageMakerNotFound, readTags } from './tags.js';

/** Resource kind of SageMaker Studio apps (JupyterLab, Code Editor, KernelGateway, JupyterServer). */
export const SAGEMAKER_STUDIO_APP = 'aws.sagemaker.studio-app' as const;


/** Where an app lives: a space (JupyterLab, Code Editor, shared Classic apps) or a user profile (Studio Classic). */
export interface StudioAppKey {
  readonly domainId: string;
  readonly appType: string;
  readonly appName: string;
  readonly spaceName?: string;
  readonly userProfileName?: string;
}

/** What the apps of a domain inherit: the domain's default idle shutdown. */
interface DomainFacts {
  readonly idleShutdownMinutes?: number;
}

/** What an app in a space reads from it: idle shutdown, storage, tags. */
interface SpaceFacts {
  readonly idleShutdownMinutes?: number;
  readonly storageGb?: number;
  readonly tags: Record<string, string>;
}

type Cache<T> = Map<string, Promise<T>>;

/** Display name of an app: `<space or user profile>/<type>/<name>`, also how `describe` finds it again. */
export function studioAppName(k: StudioAppKey): string {
  return `${k.spaceName ?? k.userProfileName ?? '?'}/${k.appType}/${k.appName}`;
}

/**
 * Reads the Studio apps of one account/region that may cost money (`InService`, `Pending`),
 * through every domain; Deleted and Failed apps are listed by SageMaker but not described.
 */
export async function listStudioApps(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, concurrency = 8): Promise<Resource[]> {
  const [{ paginateListApps, paginateListDomains }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const domainIds: string[] = [];
  for await (const page of paginateListDomains({ client: sm, pageSize: 100 }, {})) {
    for (const d of page.Domains ?? []) if (d.DomainId) domainIds.push(d.DomainId);
  }
  const apps: AppDetails[] = [];
  for (const domainId of domainIds) {
    for await (const page of paginateListApps({ client: sm, pageSize: 100 }, { DomainIdEquals: domainId })) {
      for (const a of page.Apps ?? []) if (a.Status === 'InService' || a.Status === 'Pending') apps.push(a);
    }
  }
  const domains: Cache<DomainFacts> = new Map();
  const spaces: Cache<SpaceFacts> = new Map();
  const found = await mapLimit(apps, concurrency, (a) =>
    describeStudioApp(
      sm,
      scope,
      region,
      {
        domainId: a.DomainId ?? '',
        appType: a.AppType ?? '',
        appName: a.AppName ?? '',
        ...(a.SpaceName ? { spaceName: a.SpaceName } : {}),
        ...(a.UserProfileName && !a.SpaceName ? { userProfileName: a.UserProfileName } : {}),
      },
      domains,
      spaces,
    ),
  );
  return found.filter((r): r is Resource => r !== undefined);
}

/** Reads one app; undefined when it does not exist. */
export async function describeStudioApp(
  ref: ClientRef<SageMakerClient>,
  scope: Scope,
  region: string,
  key: StudioAppKey,
  domains: Cache<DomainFacts> = new Map(),
  spaces: Cache<SpaceFacts> = new Map(),
): Promise<Resource | undefined> {
  const [{ DescribeAppCommand }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  let app: DescribeAppCommandOutput;
  try {
    app = await sm.send(
      new DescribeAppCommand({
        DomainId: key.domainId,
        AppType: key.appType as AppType,
        AppName: key.appName,
        ...(key.spaceName ? { SpaceName: key.spaceName } : { UserProfileName: key.userProfileName }),
      }),
    );
  } catch (err) {
    if (isSageMakerNotFound(err)) return undefined;
    throw err;
  }
  const arn = app.AppArn ?? `arn:aws:sagemaker:${region}:${scope.id}:app/${key.domainId}/${(key.spaceName ?? key.userProfileName ?? '').toLowerCase()}/${key.appType.toLowerCase()}/${key.appName.toLowerCase()}`;
  const [appTags, domain, space] = await Promise.all([
    readTags(sm, arn),
    once(domains, key.domainId, () => domainFacts(sm, key.domainId)),
    key.spaceName ? once(spaces, `${key.domainId}/${key.spaceName}`, () => spaceFacts(sm, key.domainId, key.spaceName ?? '')) : Promise.resolve(undefined),
  ]);
  const status = app.Status ?? 'Unknown';
  const lifecycle = sagemakerLifecycle(SAGEMAKER_STUDIO_APP, status);
  const instanceType = app.ResourceSpec?.InstanceType;
  // JupyterServer apps run on the free `system` instance: nothing to bill.
  const billable = instanceType !== undefined && instanceType !== 'system';
  const health = app.LastHealthCheckTimestamp;
  const activity = app.LastUserActivityTimestamp;
  // AWS documents that health checks also set LastUserActivityTimestamp, to the health check's time:
  // only a value that differs from it reflects a user.
  const userActivity = activity && (!health || activity.getTime() !== health.getTime()) ? activity : undefined;
  const idleShutdown = isIdleShutdownType(key.appType) ? (space?.idleShutdownMinutes ?? domain.idleShutdownMinutes) : undefined;
  return {
    cloud: 'aws',
    scope,
    region,
    kind: SAGEMAKER_STUDIO_APP,
    id: arn,
    name: studioAppName(key),
    tags: { ...(space?.tags ?? {}), ...appTags },
    state: status,
    lifecycle,
    ...(app.CreationTime ? { createdAt: app.CreationTime } : {}),
    components: billable ? [{ name: key.appName, instanceType, instanceCount: lifecycle === 'running' ? 1 : 0, capacity: 'provisioned' }] : [],
    attributes: {
      domainId: key.domainId,
      appType: key.appType,
      appName: key.appName,
      spaceName: key.spaceName ?? null,
      userProfileName: key.userProfileName ?? null,
      lastUserActivity: userActivity ? userActivity.toISOString() : null,
      lastHealthCheck: health ? health.toISOString() : null,
      idleShutdownMinutes: idleShutdown ?? null,
      spaceStorageGb: space?.storageGb ?? null,
    },
  };
}

/** Finds an app again from its resource reference (`describe` before acting). */
export async function describeStudioAppByRef(sm: ClientRef<SageMakerClient>, scope: Scope, region: string, arn: string, name: string): Promise<Resource | undefined> {
  const domainId = /:app\/(d-[a-z0-9-]+)\//.exec(arn)?.[1];
  const [owner, appType, appName] = name.split('/');
  if (!domainId || !owner || !appType || !appName) return undefined;
  const base = { domainId, appType, appName };
  if (isIdleShutdownType(appType)) return describeStudioApp(sm, scope, region, { ...base, spaceName: owner });
  // Classic apps belong to a user profile, or to a shared space.
  return (await describeStudioApp(sm, scope, region, { ...base, userProfileName: owner })) ?? describeStudioApp(sm, scope, region, { ...base, spaceName: owner });
}

/** App types whose spaces take Studio's built-in idle shutdown. */
function isIdleShutdownType(appType: string): boolean {
  return appType === 'JupyterLab' || appType === 'CodeEditor';
}

async function domainFacts(sm: SageMakerClient, domainId: string): Promise<DomainFacts> {
  const { DescribeDomainCommand } = await sagemakerSdk();
  const d = await sm.send(new DescribeDomainCommand({ DomainId: domainId }));
  const settings = d.DefaultUserSettings;
  const idle = settings?.JupyterLabAppSettings?.AppLifecycleManagement?.IdleSettings ?? settings?.CodeEditorAppSettings?.AppLifecycleManagement?.IdleSettings;
  return idle?.LifecycleManagement === 'ENABLED' && idle.IdleTimeoutInMinutes ? { idleShutdownMinutes: idle.IdleTimeoutInMinutes } : {};
}

async function spaceFacts(sm: SageMakerClient, domainId: string, spaceName: string): Promise<SpaceFacts> {
  const { DescribeSpaceCommand } = await sagemakerSdk();
  let s;
  try {
    s = await sm.send(new DescribeSpaceCommand({ DomainId: domainId, SpaceName: spaceName }));
  } catch (err) {
    if (isSageMakerNotFound(err)) return { tags: {} };
    throw err;
  }
  const settings = s.SpaceSettings;
  const idle = (settings?.JupyterLabAppSettings ?? settings?.CodeEditorAppSettings)?.AppLifecycleManagement?.IdleSettings?.IdleTimeoutInMinutes;
  const storageGb = settings?.SpaceStorageSettings?.EbsStorageSettings?.EbsVolumeSizeInGb;
  const tags = s.SpaceArn ? await readTags(sm, s.SpaceArn) : {};
  return { ...(idle ? { idleShutdownMinutes: idle } : {}), ...(storageGb ? { storageGb } : {}), tags };
}

function once<T>(cache: Cache<T>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
  }
  return p;
}
