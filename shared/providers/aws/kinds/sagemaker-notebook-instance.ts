import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

import type { Resource } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import type { MetricRequest } from '../metrics.js';
import { clientOf, cloudwatchSdk, sagemakerSdk, type ClientRef } from '../sdk.js';
import { describeNotebook, listNotebooks, SAGEMAKER_NOTEBOOK } from '../sagemaker-notebooks.js';
import type { AwsKindModule } from './context.js';

/** Stops an idle notebook instance; Undo starts it again. */
export const AWS_STOP_NOTEBOOK = 'aws.sagemaker.stop-notebook-instance';

/**
 * AWS publishes no CloudWatch metric for notebook instances. The aws-samples lifecycle
 * configuration `publish-instance-metrics` runs the CloudWatch agent, which publishes
 * `cpu_usage_idle` with the notebook's name; when it is there, it is read as CPU in use.
 */
export const NOTEBOOK_CPU = { namespace: 'SageMakerNotebookInstances', metricName: 'cpu_usage_idle', nameDimension: 'notebook_instance_name' } as const;

/** Finds the published CPU metrics of running notebooks (one ListMetrics listing per region) and asks for them. */
export async function notebookCpuRequests(ref: ClientRef<CloudWatchClient>, notebooks: readonly Resource[]): Promise<MetricRequest[]> {
  const [{ ListMetricsCommand }, cw] = await Promise.all([cloudwatchSdk(), clientOf(ref)]);
  const byName = new Map(notebooks.map((n) => [n.name, n]));
  const only = notebooks.length === 1 ? notebooks[0] : undefined;
  const out: MetricRequest[] = [];
  let token: string | undefined;
  do {
    const page = await cw.send(
      new ListMetricsCommand({
        Namespace: NOTEBOOK_CPU.namespace,
        MetricName: NOTEBOOK_CPU.metricName,
        Dimensions: [{ Name: 'cpu', Value: 'cpu-total' }, ...(only ? [{ Name: NOTEBOOK_CPU.nameDimension, Value: only.name }] : [])],
        NextToken: token,
      }),
    );
    for (const m of page.Metrics ?? []) {
      const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
      const nb = byName.get(dims[NOTEBOOK_CPU.nameDimension] ?? '');
      if (!nb) continue;
      out.push({
        resourceId: nb.id,
        signal: 'cpu',
        namespace: NOTEBOOK_CPU.namespace,
        metricName: NOTEBOOK_CPU.metricName,
        dimensions: dims,
        stat: 'Average',
        unit: 'Percent',
        invert: true,
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

/** SageMaker notebook instances. */
export const sagemakerNotebookInstance: AwsKindModule = {
  kind: SAGEMAKER_NOTEBOOK,
  inventoryOperation: 'sagemaker:ListNotebookInstances/DescribeNotebookInstance',
  usageOperation: 'cloudwatch:ListMetrics',
  list: (ctx, scope, region) => listNotebooks(ctx.clients.sagemaker, scope, region, ctx.concurrency),
  describe: (ctx, ref) => describeNotebook(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name),
  usageQueries(ctx, resources, signals) {
    // Only a running notebook can publish CPU; a ListMetrics call for none is not made.
    const running = resources.filter((r) => r.lifecycle === 'running');
    if (signals && !signals.includes('cpu')) return [];
    return running.length > 0 ? notebookCpuRequests(ctx.clients.cloudwatch, running) : [];
  },
  actions: [
    {
      id: AWS_STOP_NOTEBOOK,
      capture: (_ctx, r) =>
        Promise.resolve({ notebookInstanceName: r.name, instanceType: r.components[0]?.instanceType ?? null, status: r.state, tags: { ...r.tags } }),
      async perform(ctx, r) {
        const [{ StopNotebookInstanceCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        await sm.send(new StopNotebookInstanceCommand({ NotebookInstanceName: r.name }));
        return { summary: `stopped notebook instance ${r.name}; its ML storage volume and files are kept, Undo starts it again` };
      },
      async undo(ctx, ref, saved) {
        const [{ StartNotebookInstanceCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        const where = { cloud: 'aws' as const, scopeId: ref.scopeId, region: ref.region, resourceId: ref.id };
        const name = typeof saved['notebookInstanceName'] === 'string' ? saved['notebookInstanceName'] : ref.name;
        const now = await describeNotebook(sm, ctx.scope, ref.region, name);
        if (!now) throw new ProviderError(`cannot start ${name}: the notebook instance was deleted`, { ...where, operation: 'DescribeNotebookInstance' });
        if (now.state === 'InService' || now.state === 'Pending') return { summary: `notebook instance ${name} is already ${now.state}; nothing to undo` };
        if (now.state !== 'Stopped' && now.state !== 'Failed') {
          throw new ProviderError(`cannot start ${name} while it is ${now.state}; try Undo again once it has stopped`, { ...where, operation: 'StartNotebookInstance' });
        }
        await sm.send(new StartNotebookInstanceCommand({ NotebookInstanceName: name }));
        return { summary: `started notebook instance ${name} again` };
      },
    },
  ],
};
