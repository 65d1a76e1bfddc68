import type {
  DescribeProcessingJobCommandOutput,
  DescribeTrainingJobCommandOutput,
  ListProcessingJobsCommandOutput,
  ListTrainingJobsCommandOutput,
  ProcessingInstanceType,
  SecondaryStatus,
  StopProcessingJobCommandOutput,
  StopTrainingJobCommandOutput,
  TrainingInstanceType,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { maxResults, pageOf, sortBy } from './paging.js';
import { AwsApiError, fromWireTime, parseInput } from './protocol.js';
import type { AwsCallContext, AwsHandler } from './sagemaker.js';
import type { JobRecord } from './state-sagemaker.js';
import { JOB_STATUSES } from './world-jobs.js';

type Out<T> = Omit<T, '$metadata'>;

const name = z.string().min(1).max(63);

const listInput = z.object({
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  CreationTimeAfter: z.number().optional(),
  CreationTimeBefore: z.number().optional(),
  LastModifiedTimeAfter: z.number().optional(),
  LastModifiedTimeBefore: z.number().optional(),
  NameContains: z.string().optional(),
  StatusEquals: z.enum(JOB_STATUSES).optional(),
  SortBy: z.enum(['Name', 'CreationTime', 'Status']).default('CreationTime'),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
});

function list(ctx: AwsCallContext, kind: 'training' | 'processing', body: unknown): { page: JobRecord[]; next?: string } {
  const input = parseInput(listInput, body);
  const sm = ctx.region.sm;
  sm.settle(ctx.now);
  const contains = input.NameContains?.toLowerCase();
  const jobs = kind === 'training' ? sm.trainingJobs : sm.processingJobs;
  const matches = sortBy(
    [...jobs.values()].filter(
      (j) =>
        (contains === undefined || j.name.toLowerCase().includes(contains)) &&
        (input.StatusEquals === undefined || j.status === input.StatusEquals) &&
        (input.CreationTimeAfter === undefined || j.createdAt > fromWireTime(input.CreationTimeAfter)) &&
        (input.CreationTimeBefore === undefined || j.createdAt < fromWireTime(input.CreationTimeBefore)) &&
        (input.LastModifiedTimeAfter === undefined || j.lastModifiedAt > fromWireTime(input.LastModifiedTimeAfter)) &&
        (input.LastModifiedTimeBefore === undefined || j.lastModifiedAt < fromWireTime(input.LastModifiedTimeBefore)),
    ),
    (j) => (input.SortBy === 'Name' ? j.name : input.SortBy === 'Status' ? j.status : j.createdAt),
    input.SortOrder,
  );
  return pageOf(matches, input, input.MaxResults);
}

function mustJob(ctx: AwsCallContext, kind: 'training' | 'processing', jobName: string): JobRecord {
  ctx.region.sm.settle(ctx.now);
  const j = ctx.region.sm.job(kind, jobName);
  if (!j) throw new AwsApiError('validation', 'Requested resource not found.');
  return j;
}

function listTrainingJobs(ctx: AwsCallContext, body: unknown): Out<ListTrainingJobsCommandOutput> {
  const { page, next } = list(ctx, 'training', body);
  return {
    TrainingJobSummaries: page.map((j) => ({
      TrainingJobName: j.name,
      TrainingJobArn: j.arn,
      CreationTime: new Date(j.createdAt),
      ...(j.endedAt !== undefined ? { TrainingEndTime: new Date(j.endedAt) } : {}),
      LastModifiedTime: new Date(j.lastModifiedAt),
      TrainingJobStatus: j.status,
      ...(j.secondaryStatus ? { SecondaryStatus: j.secondaryStatus as SecondaryStatus } : {}),
    })),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListTrainingJobsCommandOutput>;
}

function describeTrainingJob(ctx: AwsCallContext, body: unknown): Out<DescribeTrainingJobCommandOutput> {
  const input = parseInput(z.object({ TrainingJobName: name }), body);
  const j = mustJob(ctx, 'training', input.TrainingJobName);
  const bucket = `s3://sagemaker-${ctx.region.region}-${ctx.region.accountId}`;
  return {
    TrainingJobName: j.name,
    TrainingJobArn: j.arn,
    ModelArtifacts: { S3ModelArtifacts: `${bucket}/${j.name}/output/model.tar.gz` },
    TrainingJobStatus: j.status,
    SecondaryStatus: (j.secondaryStatus ?? j.status) as SecondaryStatus,
    AlgorithmSpecification: { TrainingImage: `763104351884.dkr.ecr.${ctx.region.region}.amazonaws.com/pytorch-training:2.3-gpu-py311`, TrainingInputMode: 'File' },
    RoleArn: `arn:aws:iam::${ctx.region.accountId}:role/service-role/AmazonSageMaker-ExecutionRole`,
    OutputDataConfig: { S3OutputPath: `${bucket}/` },
    ResourceConfig: { InstanceType: j.instanceType as TrainingInstanceType, InstanceCount: j.instanceCount, VolumeSizeInGB: 30 },
    StoppingCondition: {
      MaxRuntimeInSeconds: j.maxRuntimeSeconds,
      // Managed spot training requires a wait limit at least as long as the runtime limit.
      ...(j.spot ? { MaxWaitTimeInSeconds: (j.maxRuntimeSeconds ?? 86_400) * 2 } : {}),
    },
    EnableManagedSpotTraining: j.spot,
    ...(j.checkpointS3Uri !== undefined ? { CheckpointConfig: { S3Uri: j.checkpointS3Uri } } : {}),
    CreationTime: new Date(j.createdAt),
    TrainingStartTime: new Date(j.startedAt),
    ...(j.endedAt !== undefined ? { TrainingEndTime: new Date(j.endedAt) } : {}),
    // SageMaker reports both once a job has run: billable below training time is what managed spot saved.
    ...(j.endedAt !== undefined
      ? (() => {
          const trained = Math.max(0, Math.round((j.endedAt - j.startedAt) / 1000));
          return { TrainingTimeInSeconds: trained, BillableTimeInSeconds: Math.min(trained, j.billableSeconds ?? trained) };
        })()
      : {}),
    LastModifiedTime: new Date(j.lastModifiedAt),
  } satisfies Out<DescribeTrainingJobCommandOutput>;
}

function stop(ctx: AwsCallContext, kind: 'training' | 'processing', jobName: string): void {
  const j = mustJob(ctx, kind, jobName);
  if (j.status !== 'InProgress') throw new AwsApiError('validation', `The request was rejected because the ${kind} job is in status ${j.status}.`);
  if (kind === 'training') j.secondaryStatus = 'Stopping';
  ctx.region.sm.begin(j, 'Stopping', 'Stopped', ctx.now, ctx.transitionMs ?? 0);
}

function stopTrainingJob(ctx: AwsCallContext, body: unknown): Out<StopTrainingJobCommandOutput> {
  const input = parseInput(z.object({ TrainingJobName: name }), body);
  stop(ctx, 'training', input.TrainingJobName);
  return {} satisfies Out<StopTrainingJobCommandOutput>;
}

function listProcessingJobs(ctx: AwsCallContext, body: unknown): Out<ListProcessingJobsCommandOutput> {
  const { page, next } = list(ctx, 'processing', body);
  return {
    ProcessingJobSummaries: page.map((j) => ({
      ProcessingJobName: j.name,
      ProcessingJobArn: j.arn,
      CreationTime: new Date(j.createdAt),
      ...(j.endedAt !== undefined ? { ProcessingEndTime: new Date(j.endedAt) } : {}),
      LastModifiedTime: new Date(j.lastModifiedAt),
      ProcessingJobStatus: j.status,
    })),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListProcessingJobsCommandOutput>;
}

function describeProcessingJob(ctx: AwsCallContext, body: unknown): Out<DescribeProcessingJobCommandOutput> {
  const input = parseInput(z.object({ ProcessingJobName: name }), body);
  const j = mustJob(ctx, 'processing', input.ProcessingJobName);
  return {
    ProcessingJobName: j.name,
    ProcessingJobArn: j.arn,
    ProcessingJobStatus: j.status,
    ProcessingResources: { ClusterConfig: { InstanceType: j.instanceType as ProcessingInstanceType, InstanceCount: j.instanceCount, VolumeSizeInGB: 30 } },
    ...(j.maxRuntimeSeconds !== undefined ? { StoppingCondition: { MaxRuntimeInSeconds: j.maxRuntimeSeconds } } : {}),
    AppSpecification: { ImageUri: `683313688378.dkr.ecr.${ctx.region.region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3` },
    RoleArn: `arn:aws:iam::${ctx.region.accountId}:role/service-role/AmazonSageMaker-ExecutionRole`,
    CreationTime: new Date(j.createdAt),
    ProcessingStartTime: new Date(j.startedAt),
    ...(j.endedAt !== undefined ? { ProcessingEndTime: new Date(j.endedAt) } : {}),
    LastModifiedTime: new Date(j.lastModifiedAt),
  } satisfies Out<DescribeProcessingJobCommandOutput>;
}

function stopProcessingJob(ctx: AwsCallContext, body: unknown): Out<StopProcessingJobCommandOutput> {
  const input = parseInput(z.object({ ProcessingJobName: name }), body);
  stop(ctx, 'processing', input.ProcessingJobName);
  return {} satisfies Out<StopProcessingJobCommandOutput>;
}

/** Training and processing job operations, by `X-Amz-Target` operation name. */
export const JOB_OPERATIONS = {
  ListTrainingJobs: listTrainingJobs,
  DescribeTrainingJob: describeTrainingJob,
  StopTrainingJob: stopTrainingJob,
  ListProcessingJobs: listProcessingJobs,
  DescribeProcessingJob: describeProcessingJob,
  StopProcessingJob: stopProcessingJob,
} as const satisfies Record<string, AwsHandler>;
