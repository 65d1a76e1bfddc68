import { describeTrainingJob, listTrainingJobs, SAGEMAKER_TRAINING_JOB } from '../sagemaker-jobs.js';
import type { AwsKindModule } from './context.js';
import { jobRecord } from './job-record.js';
import { sagemakerSdk } from '../sdk.js';

/** Stops a runaway training job (irreversible). */
export const AWS_STOP_TRAINING_JOB = 'aws.sagemaker.stop-training-job';

/** SageMaker training jobs in progress. Judged on their run time, without usage series. */
export const sagemakerTrainingJob: AwsKindModule = {
  kind: SAGEMAKER_TRAINING_JOB,
  inventoryOperation: 'sagemaker:ListTrainingJobs/DescribeTrainingJob',
  list: (ctx, scope, region) => listTrainingJobs(ctx.clients.sagemaker, scope, region, ctx.concurrency),
  describe: (ctx, ref) => describeTrainingJob(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name),
  actions: [
    {
      id: AWS_STOP_TRAINING_JOB,
      capture: (_ctx, r) => jobRecord(r),
      async perform(ctx, r) {
        const [{ StopTrainingJobCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        await sm.send(new StopTrainingJobCommand({ TrainingJobName: r.name }));
        return { summary: `stopped training job ${r.name} (it cannot be resumed; a new job must be started)` };
      },
    },
  ],
};

