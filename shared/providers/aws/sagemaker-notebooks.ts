import { sagemakerLifecycle } from './lifecycle.js';
import type { DescribeNotebookInstanceCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { clientOf, sagemakerSdk, type ClientRef } from './sdk.js';
import type { Resource, Scope } from '../../domain/resource.js';
import { mapLimit } from '../../util/concurrency.js';
import { isSageMakerNotFound, readTags } from './tags.js';

/** Resource kind of SageMaker notebook instances. */
export const SAGEMAKER_NOTEBOOK = 'aws.sagemaker.notebook-instance' as const;


/** What a lifecycle configuration does about idleness, read from its scripts. */
export interface AutoStop {
  /** Minutes of idleness after which the script stops the notebook. */
  readonly idleMinutes: number;
}

/** Lifecycle configurations are shared by many notebooks: one read each per scan. */
export type LifecycleConfigCache = Map<string, Promise<AutoStop | null>>;

/**
 * Whether lifecycle scripts stop the notebook when idle: the aws-samples `auto-stop-idle`
 * script (autostop.py, `IDLE_TIME=<seconds>`, default one hour) or any script calling
 * StopNotebookInstance. Returns undefined when nothing stops it.
 */
export function detectAutoStop(scripts: readonly string[]): AutoStop | undefined {
  const text = scripts.join('\n');
  if (!/autostop|auto-stop-idle|stop[-_]notebook[-_]instance|StopNotebookInstance/i.test(text)) return undefined;
  const idle = /IDLE_TIME=["']?(\d+)/.exec(text) ?? /--time[= ](\d+)/.exec(text);
  return { idleMinutes: idle?.[1] ? Math.max(1, Math.round(Number(idle[1]) / 60)) : 60 };
}

/** Reads every notebook instance of one account/region with its lifecycle configuration and tags. */
export async function listNotebooks(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, concurrency = 8): Promise<Resource[]> {
  const [{ paginateListNotebookInstances }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const names: string[] = [];
  for await (const page of paginateListNotebookInstances({ client: sm, pageSize: 100 }, {})) {
    for (const n of page.NotebookInstances ?? []) if (n.NotebookInstanceName) names.push(n.NotebookInstanceName);
  }
  const configs: LifecycleConfigCache = new Map();
  const found = await mapLimit(names, concurrency, (name) => describeNotebook(sm, scope, region, name, configs));
  return found.filter((r): r is Resource => r !== undefined);
}

/** Reads one notebook instance; undefined when it does not exist (any more). */
export async function describeNotebook(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, name: string, configs: LifecycleConfigCache = new Map()): Promise<Resource | undefined> {
  const [{ DescribeNotebookInstanceCommand }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  let nb: DescribeNotebookInstanceCommandOutput;
  try {
    nb = await sm.send(new DescribeNotebookInstanceCommand({ NotebookInstanceName: name }));
  } catch (err) {
    if (isSageMakerNotFound(err)) return undefined;
    throw err;
  }
  const arn = nb.NotebookInstanceArn ?? `arn:aws:sagemaker:${region}:${scope.id}:notebook-instance/${name.toLowerCase()}`;
  const lccName = nb.NotebookInstanceLifecycleConfigName;
  const [tags, autoStop] = await Promise.all([readTags(sm, arn), lccName ? autoStopOf(sm, lccName, configs) : Promise.resolve(null)]);
  const status = nb.NotebookInstanceStatus ?? 'Unknown';
  const lifecycle = sagemakerLifecycle(SAGEMAKER_NOTEBOOK, status);
  return {
    cloud: 'aws',
    scope,
    region,
    kind: SAGEMAKER_NOTEBOOK,
    id: arn,
    name: nb.NotebookInstanceName ?? name,
    tags,
    state: status,
    lifecycle,
    ...(nb.CreationTime ? { createdAt: nb.CreationTime } : {}),
    ...(nb.LastModifiedTime ? { lastModifiedAt: nb.LastModifiedTime } : {}),
    components: nb.InstanceType
      ? [{ name: 'notebook', instanceType: nb.InstanceType, instanceCount: lifecycle === 'running' ? 1 : 0, capacity: 'provisioned' }]
      : [],
    attributes: {
      lifecycleConfigName: lccName ?? null,
      autoStopIdleMinutes: autoStop?.idleMinutes ?? null,
      directInternetAccess: nb.DirectInternetAccess === 'Enabled',
      rootAccess: nb.RootAccess === 'Enabled',
      volumeSizeInGb: nb.VolumeSizeInGB ?? null,
      // Status changes move LastModifiedTime, so an InService notebook has run at least since then.
      runningSince: lifecycle === 'running' && nb.LastModifiedTime ? nb.LastModifiedTime.toISOString() : null,
    },
  };
}

function autoStopOf(sm: SageMakerClient, name: string, cache: LifecycleConfigCache): Promise<AutoStop | null> {
  let p = cache.get(name);
  if (!p) {
    p = sagemakerSdk()
      .then(({ DescribeNotebookInstanceLifecycleConfigCommand }) => sm.send(new DescribeNotebookInstanceLifecycleConfigCommand({ NotebookInstanceLifecycleConfigName: name })))
      .then((c) => {
        const scripts = [...(c.OnStart ?? []), ...(c.OnCreate ?? [])].map((h) => Buffer.from(h.Content ?? '', 'base64').toString('utf8'));
        return detectAutoStop(scripts) ?? null;
      })
      .catch((err: unknown) => {
        // A deleted configuration stops nothing.
        if (isSageMakerNotFound(err)) return null;
        throw err;
      });
    cache.set(name, p);
  }
  return p;
}
