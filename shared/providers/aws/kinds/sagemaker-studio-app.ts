import type { AppType } from '@aws-sdk/client-sagemaker';
import type { Resource } from '../../../domain/resource.js';
import { describeStudioAppByRef, listStudioApps, SAGEMAKER_STUDIO_APP } from '../sagemaker-studio.js';
import type { AwsKindModule } from './context.js';
import { resourceError } from './context.js';
import { sagemakerSdk } from '../sdk.js';

/** Deletes an idle Studio app (irreversible: the user starts a new one from Studio). */
export const AWS_DELETE_STUDIO_APP = 'aws.sagemaker.delete-studio-app';

function studioAppKeyOf(r: Resource): { domainId: string; appType: string; appName: string; spaceName: string | null; userProfileName: string | null } {
  const a = r.attributes;
  const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : null);
  const domainId = str('domainId');
  const appType = str('appType');
  const appName = str('appName');
  if (!domainId || !appType || !appName) throw resourceError(r, `Studio app ${r.name} lacks its domain, type or name`);
  return { domainId, appType, appName, spaceName: str('spaceName'), userProfileName: str('userProfileName') };
}

/** SageMaker Studio apps (JupyterLab, Code Editor, KernelGateway, JupyterServer). Judged without usage series. */
export const sagemakerStudioApp: AwsKindModule = {
  kind: SAGEMAKER_STUDIO_APP,
  inventoryOperation: 'sagemaker:ListDomains/ListApps/DescribeApp',
  list: (ctx, scope, region) => listStudioApps(ctx.clients.sagemaker, scope, region, ctx.concurrency),
  describe: (ctx, ref) => describeStudioAppByRef(ctx.clients.sagemaker, ctx.scope, ref.region, ref.id, ref.name),
  actions: [
    {
      id: AWS_DELETE_STUDIO_APP,
      // Nothing can bring the app back; this records what was deleted, for the audit log.
      capture: (_ctx, r) => Promise.resolve({ ...studioAppKeyOf(r), instanceType: r.components[0]?.instanceType ?? null }),
      async perform(ctx, r) {
        const k = studioAppKeyOf(r);
        const [{ DeleteAppCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        await sm.send(
          new DeleteAppCommand({ DomainId: k.domainId, AppType: k.appType as AppType, AppName: k.appName, ...(k.spaceName ? { SpaceName: k.spaceName } : { UserProfileName: k.userProfileName ?? undefined }) }),
        );
        return { summary: `deleted Studio app ${r.name}; the user's files stay in ${k.spaceName ? `space ${k.spaceName}'s storage` : 'their home directory'}, the app is not restored by Undo` };
      },
    },
  ],
};
