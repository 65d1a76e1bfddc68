import { describeTrainingJob, listFinishedTrainingJobs, SAGEMAKER_FINISHED_TRAINING_JOB } from '../sagemaker-jobs.js';
import type { AwsKindModule } from './context.js';

/**
 * SageMaker training jobs that completed or were stopped in the last 30 days, as they ran: read
 * for advice (spot-training), never acted on. Each on-demand job carries what managed spot saved
 * the finished spot jobs of the same account and region (`BillableTimeInSeconds` against
 * `TrainingTimeInSeconds`), when there are any.
 */
export const sagemakerFinishedTrainingJob: AwsKindModule = {
  kind: SAGEMAKER_FINISHED_TRAINING_JOB,
  inventoryOperation: 'sagemaker:ListTrainingJobs/DescribeTrainingJob (finished)',
  list: (ctx, scope, region) => listFinishedTrainingJobs(ctx.clients.sagemaker, scope, region, ctx.now, undefined, ctx.concurrency),
  describe: (ctx, ref) => describeTrainingJob(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name, undefined, { asRan: true }),
  actions: [],
};
