import type {
  DescribeNotebookInstanceCommandOutput,
  DescribeNotebookInstanceLifecycleConfigCommandOutput,
  ListNotebookInstancesCommandOutput,
  NotebookInstanceSummary,
  StartNotebookInstanceCommandOutput,
  StopNotebookInstanceCommandOutput,
  _InstanceType,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { maxResults, pageOf, sortBy } from './paging.js';
import { AwsApiError, fromWireTime, parseInput } from './protocol.js';
import type { AwsCallContext, AwsHandler } from './sagemaker.js';
import type { NotebookRecord } from './state-sagemaker.js';
import { NOTEBOOK_STATUSES } from './world-notebooks.js';

type Out<T> = Omit<T, '$metadata'>;

const name = z.string().min(1).max(63);

const listInput = z.object({
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  SortBy: z.enum(['Name', 'CreationTime', 'Status']).default('Name'),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  NameContains: z.string().optional(),
  CreationTimeBefore: z.number().optional(),
  CreationTimeAfter: z.number().optional(),
  LastModifiedTimeBefore: z.number().optional(),
  LastModifiedTimeAfter: z.number().optional(),
  StatusEquals: z.enum(NOTEBOOK_STATUSES).optional(),
  NotebookInstanceLifecycleConfigNameContains: z.string().optional(),
});

function urlOf(ctx: AwsCallContext, n: NotebookRecord): string {
  return `${n.name.toLowerCase()}.notebook.${ctx.region.region}.sagemaker.aws`;
}

function listNotebookInstances(ctx: AwsCallContext, body: unknown): Out<ListNotebookInstancesCommandOutput> {
  const input = parseInput(listInput, body);
  const sm = ctx.region.sm;
  sm.settle(ctx.now);
  const contains = input.NameContains?.toLowerCase();
  const lcc = input.NotebookInstanceLifecycleConfigNameContains?.toLowerCase();
  const matches = sortBy(
    [...sm.notebooks.values()].filter(
      (n) =>
        (contains === undefined || n.name.toLowerCase().includes(contains)) &&
        (input.StatusEquals === undefined || n.status === input.StatusEquals) &&
        (lcc === undefined || (n.lifecycleConfigName ?? '').toLowerCase().includes(lcc)) &&
        (input.CreationTimeBefore === undefined || n.createdAt < fromWireTime(input.CreationTimeBefore)) &&
        (input.CreationTimeAfter === undefined || n.createdAt > fromWireTime(input.CreationTimeAfter)) &&
        (input.LastModifiedTimeBefore === undefined || n.lastModifiedAt < fromWireTime(input.LastModifiedTimeBefore)) &&
        (input.LastModifiedTimeAfter === undefined || n.lastModifiedAt > fromWireTime(input.LastModifiedTimeAfter)),
    ),
    (n) => (input.SortBy === 'Name' ? n.name : input.SortBy === 'Status' ? n.status : n.createdAt),
    input.SortOrder,
  );
  const { page, next } = pageOf(matches, input, input.MaxResults);
  return {
    NotebookInstances: page.map(
      (n): NotebookInstanceSummary => ({
        NotebookInstanceName: n.name,
        NotebookInstanceArn: n.arn,
        NotebookInstanceStatus: n.status,
        Url: urlOf(ctx, n),
        InstanceType: n.instanceType as _InstanceType,
        CreationTime: new Date(n.createdAt),
        LastModifiedTime: new Date(n.lastModifiedAt),
        ...(n.lifecycleConfigName !== undefined ? { NotebookInstanceLifecycleConfigName: n.lifecycleConfigName } : {}),
      }),
    ),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListNotebookInstancesCommandOutput>;
}

function mustFind(ctx: AwsCallContext, notebookName: string): NotebookRecord {
  ctx.region.sm.settle(ctx.now);
  const n = ctx.region.sm.notebook(notebookName);
  // SageMaker answers a missing notebook instance with this terse message.
  if (!n) throw new AwsApiError('validation', 'RecordNotFound');
  return n;
}

function describeNotebookInstance(ctx: AwsCallContext, body: unknown): Out<DescribeNotebookInstanceCommandOutput> {
  const input = parseInput(z.object({ NotebookInstanceName: name }), body);
  const n = mustFind(ctx, input.NotebookInstanceName);
  const { accountId } = ctx.region;
  return {
    NotebookInstanceArn: n.arn,
    NotebookInstanceName: n.name,
    NotebookInstanceStatus: n.status,
    Url: urlOf(ctx, n),
    InstanceType: n.instanceType as _InstanceType,
    RoleArn: `arn:aws:iam::${accountId}:role/service-role/AmazonSageMaker-ExecutionRole`,
    CreationTime: new Date(n.createdAt),
    LastModifiedTime: new Date(n.lastModifiedAt),
    ...(n.lifecycleConfigName !== undefined ? { NotebookInstanceLifecycleConfigName: n.lifecycleConfigName } : {}),
    DirectInternetAccess: n.directInternetAccess ? 'Enabled' : 'Disabled',
    VolumeSizeInGB: n.volumeSizeInGb,
    RootAccess: n.rootAccess ? 'Enabled' : 'Disabled',
    PlatformIdentifier: 'notebook-al2-v2',
  } satisfies Out<DescribeNotebookInstanceCommandOutput>;
}

function describeLifecycleConfig(ctx: AwsCallContext, body: unknown): Out<DescribeNotebookInstanceLifecycleConfigCommandOutput> {
  const input = parseInput(z.object({ NotebookInstanceLifecycleConfigName: name }), body);
  const c = ctx.region.sm.lifecycleConfigs.get(input.NotebookInstanceLifecycleConfigName.toLowerCase());
  if (!c) throw new AwsApiError('validation', `Unable to describe Notebook Instance Lifecycle Config '${input.NotebookInstanceLifecycleConfigName}'. (Reason: RecordNotFound)`);
  return {
    NotebookInstanceLifecycleConfigArn: c.arn,
    NotebookInstanceLifecycleConfigName: c.name,
    OnCreate: [],
    OnStart: c.onStart !== undefined ? [{ Content: Buffer.from(c.onStart, 'utf8').toString('base64') }] : [],
    CreationTime: new Date(c.createdAt),
    LastModifiedTime: new Date(c.createdAt),
  } satisfies Out<DescribeNotebookInstanceLifecycleConfigCommandOutput>;
}

function stopNotebookInstance(ctx: AwsCallContext, body: unknown): Out<StopNotebookInstanceCommandOutput> {
  const input = parseInput(z.object({ NotebookInstanceName: name }), body);
  const n = mustFind(ctx, input.NotebookInstanceName);
  if (n.status !== 'InService') throw new AwsApiError('validation', `Status (${n.status}) not in ([InService]). Unable to transition to (Stopping) for Notebook Instance (${n.arn}).`);
  ctx.region.sm.begin(n, 'Stopping', 'Stopped', ctx.now, ctx.transitionMs ?? 0);
  return {} satisfies Out<StopNotebookInstanceCommandOutput>;
}

function startNotebookInstance(ctx: AwsCallContext, body: unknown): Out<StartNotebookInstanceCommandOutput> {
  const input = parseInput(z.object({ NotebookInstanceName: name }), body);
  const n = mustFind(ctx, input.NotebookInstanceName);
  if (n.status !== 'Stopped' && n.status !== 'Failed') {
    throw new AwsApiError('validation', `Status (${n.status}) not in ([Stopped, Failed]). Unable to transition to (Pending) for Notebook Instance (${n.arn}).`);
  }
  ctx.region.sm.begin(n, 'Pending', 'InService', ctx.now, ctx.transitionMs ?? 0);
  return {} satisfies Out<StartNotebookInstanceCommandOutput>;
}

/** Notebook instance operations, by `X-Amz-Target` operation name. */
export const NOTEBOOK_OPERATIONS = {
  ListNotebookInstances: listNotebookInstances,
  DescribeNotebookInstance: describeNotebookInstance,
  DescribeNotebookInstanceLifecycleConfig: describeLifecycleConfig,
  StopNotebookInstance: stopNotebookInstance,
  StartNotebookInstance: startNotebookInstance,
} as const satisfies Record<string, AwsHandler>;
