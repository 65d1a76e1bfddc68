import { sagemakerLifecycle } from './lifecycle.js';
import type { DescribeProcessingJobCommandOutput, DescribeTrainingJobCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { clientOf, sagemakerSdk, type ClientRef } from './sdk.js';
import type { Resource, ResourceComponent, Scope } from '../../domain/resource.js';
import { mapLimit } from '../../util/concurrency.js';
import { isSageMakerNotFound, listTagsReader, readTags, searchedTagsReader, type TagReader } from './tags.js';

/** Resource kind of SageMaker training jobs. */
export const SAGEMAKER_TRAINING_JOB = 'aws.sagemaker.training-job' as const;
/** Resource kind of SageMaker processing jobs. */
export const SAGEMAKER_PROCESSING_JOB = 'aws.sagemaker.processing-job' as const;


/** Reads the training jobs in progress in one account/region (every page), each described with its tags (in batches: `searchedTagsReader`). */
export async function listTrainingJobs(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, concurrency = 8): Promise<Resource[]> {
  const [{ paginateListTrainingJobs }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const names: string[] = [];
  for await (const page of paginateListTrainingJobs({ client: sm, pageSize: 100 }, { StatusEquals: 'InProgress' })) {
    for (const j of page.TrainingJobSummaries ?? []) if (j.TrainingJobName) names.push(j.TrainingJobName);
  }
  const tags = searchedTagsReader(sm, 'training-job');
  const found = await mapLimit(names, concurrency, (name) => describeTrainingJob(sm, scope, region, name, tags));
  return found.filter((r): r is Resource => r !== undefined);
}

/** Reads the processing jobs in progress in one account/region. */
export async function listProcessingJobs(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, concurrency = 8): Promise<Resource[]> {
  const [{ paginateListProcessingJobs }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const names: string[] = [];
  for await (const page of paginateListProcessingJobs({ client: sm, pageSize: 100 }, { StatusEquals: 'InProgress' })) {
    for (const j of page.ProcessingJobSummaries ?? []) if (j.ProcessingJobName) names.push(j.ProcessingJobName);
  }
  const found = await mapLimit(names, concurrency, (name) => describeProcessingJob(sm, scope, region, name));
  return found.filter((r): r is Resource => r !== undefined);
}

/** Resource kind of SageMaker training jobs that finished recently (read for the spot-training advice). */
export const SAGEMAKER_FINISHED_TRAINING_JOB = 'aws.sagemaker.finished-training-job' as const;

/** Days back finished training jobs are read. */
export const FINISHED_TRAINING_DAYS = 30;

/**
 * Reads the training jobs that completed or were stopped in the last `days` days in one
 * account/region, each described as it ran (its configured instances, not zero). Failed jobs are
 * left out: their time is not a price a spot run would have paid.
 */
export async function listFinishedTrainingJobs(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, now: Date, days = FINISHED_TRAINING_DAYS, concurrency = 8): Promise<Resource[]> {
  const [{ paginateListTrainingJobs }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const since = new Date(now.getTime() - days * 86_400_000);
  const names: string[] = [];
  for (const status of ['Completed', 'Stopped'] as const) {
    // A job's last modification is its end (or later): every job that ended since `since` is listed.
    for await (const page of paginateListTrainingJobs({ client: sm, pageSize: 100 }, { StatusEquals: status, LastModifiedTimeAfter: since })) {
      for (const j of page.TrainingJobSummaries ?? []) {
        if (!j.TrainingJobName) continue;
        if (j.TrainingEndTime && j.TrainingEndTime < since) continue;
        names.push(j.TrainingJobName);
      }
    }
  }
  const tags = searchedTagsReader(sm, 'training-job');
  const found = (await mapLimit(names, concurrency, (name) => describeTrainingJob(sm, scope, region, name, tags, { asRan: true }))).filter((r): r is Resource => r !== undefined);
  // What managed spot saved this account's finished spot jobs here, as SageMaker reports it.
  let billable = 0;
  let trained = 0;
  let jobs = 0;
  for (const r of found) {
    const b = r.attributes['billableSeconds'];
    const t = r.attributes['trainingSeconds'];
    if (r.attributes['managedSpot'] === true && typeof b === 'number' && typeof t === 'number' && t > 0) {
      billable += b;
      trained += t;
      jobs++;
    }
  }
  if (jobs === 0) return found;
  return found.map((r) => (r.attributes['managedSpot'] === true ? r : { ...r, attributes: { ...r.attributes, spotJobsSeen: jobs, spotBillableSeconds: billable, spotTrainingSeconds: trained } }));
}

/** Reads one training job; undefined when it does not exist. `asRan`: a finished job's kind and instances (for advice on how it ran). */
export async function describeTrainingJob(
  ref: ClientRef<SageMakerClient>,
  scope: Scope,
  region: string,
  name: string,
  tagReader?: TagReader,
  opts: { asRan?: boolean } = {},
): Promise<Resource | undefined> {
  const [{ DescribeTrainingJobCommand }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const tagsOf = tagReader ?? listTagsReader(sm);
  let j: DescribeTrainingJobCommandOutput;
  try {
    j = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
  } catch (err) {
    if (isSageMakerNotFound(err)) return undefined;
    throw err;
  }
  const arn = j.TrainingJobArn ?? `arn:aws:sagemaker:${region}:${scope.id}:training-job/${name.toLowerCase()}`;
  const status = j.TrainingJobStatus ?? 'Unknown';
  const lifecycle = sagemakerLifecycle(SAGEMAKER_TRAINING_JOB, status);
  const running = lifecycle === 'running' || opts.asRan === true;
  const rc = j.ResourceConfig;
  // Heterogeneous clusters describe instance groups instead of one type and count.
  const components: ResourceComponent[] = rc?.InstanceGroups?.length
    ? rc.InstanceGroups.map((g) => ({ name: g.InstanceGroupName ?? 'group', instanceCount: running ? (g.InstanceCount ?? 0) : 0, capacity: 'provisioned' as const, ...(g.InstanceType ? { instanceType: g.InstanceType } : {}) }))
    : [{ name: 'training', instanceCount: running ? (rc?.InstanceCount ?? 0) : 0, capacity: 'provisioned', ...(rc?.InstanceType ? { instanceType: rc.InstanceType } : {}) }];
  return {
    cloud: 'aws',
    scope,
    region,
    kind: opts.asRan ? SAGEMAKER_FINISHED_TRAINING_JOB : SAGEMAKER_TRAINING_JOB,
    id: arn,
    name: j.TrainingJobName ?? name,
    tags: await tagsOf(arn),
    state: status,
    lifecycle,
    ...(j.CreationTime ? { createdAt: j.CreationTime } : {}),
    ...(j.LastModifiedTime ? { lastModifiedAt: j.LastModifiedTime } : {}),
    components,
    attributes: {
      startedAt: j.TrainingStartTime?.toISOString() ?? null,
      maxRuntimeSeconds: j.StoppingCondition?.MaxRuntimeInSeconds ?? null,
      managedSpot: j.EnableManagedSpotTraining === true,
      secondaryStatus: j.SecondaryStatus ?? null,
      endedAt: j.TrainingEndTime?.toISOString() ?? null,
      checkpointS3Uri: j.CheckpointConfig?.S3Uri ?? null,
      trainingSeconds: j.TrainingTimeInSeconds ?? null,
      billableSeconds: j.BillableTimeInSeconds ?? null,
    },
  };
}

/** Reads one processing job; undefined when it does not exist. */
export async function describeProcessingJob(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, name: string): Promise<Resource | undefined> {
  const [{ DescribeProcessingJobCommand }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  let j: DescribeProcessingJobCommandOutput;
  try {
    j = await sm.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
  } catch (err) {
    if (isSageMakerNotFound(err)) return undefined;
    throw err;
  }
  const arn = j.ProcessingJobArn ?? `arn:aws:sagemaker:${region}:${scope.id}:processing-job/${name.toLowerCase()}`;
  const status = j.ProcessingJobStatus ?? 'Unknown';
  const lifecycle = sagemakerLifecycle(SAGEMAKER_PROCESSING_JOB, status);
  const cc = j.ProcessingResources?.ClusterConfig;
  return {
    cloud: 'aws',
    scope,
    region,
    kind: SAGEMAKER_PROCESSING_JOB,
    id: arn,
    name: j.ProcessingJobName ?? name,
    tags: await readTags(sm, arn),
    state: status,
    lifecycle,
    ...(j.CreationTime ? { createdAt: j.CreationTime } : {}),
    ...(j.LastModifiedTime ? { lastModifiedAt: j.LastModifiedTime } : {}),
    components: [{ name: 'processing', instanceCount: lifecycle === 'running' ? (cc?.InstanceCount ?? 0) : 0, capacity: 'provisioned', ...(cc?.InstanceType ? { instanceType: cc.InstanceType } : {}) }],
    attributes: {
      startedAt: j.ProcessingStartTime?.toISOString() ?? null,
      maxRuntimeSeconds: j.StoppingCondition?.MaxRuntimeInSeconds ?? null,
      managedSpot: false,
    },
  };
}
