import { describeProcessingJob, listProcessingJobs, SAGEMAKER_PROCESSING_JOB } from '../sagemaker-jobs.js';
import type { AwsKindModule } from './context.js';
import { jobRecord } from './job-record.js';
import { sagemakerSdk } from '../sdk.js';

/** Stops a runaway processing job (irreversible). */
export const AWS_STOP_PROCESSING_JOB = 'aws.sagemaker.stop-processing-job';

/** SageMaker processing jobs in progress. Judged on their run time, without usage series. */
export const sagemakerProcessingJob: AwsKindModule = {
  kind: SAGEMAKER_PROCESSING_JOB,
  inventoryOperation: 'sagemaker:ListProcessingJobs/DescribeProcessingJob',
  list: (ctx, scope, region) => listProcessingJobs(ctx.clients.sagemaker, scope, region, ctx.concurrency),
  describe: (ctx, ref) => describeProcessingJob(ctx.clients.sagemaker, ctx.scope, ref.region, ref.name),
  actions: [
    {
      id: AWS_STOP_PROCESSING_JOB,
      capture: (_ctx, r) => jobRecord(r),
      async perform(ctx, r) {
        const [{ StopProcessingJobCommand }, sm] = await Promise.all([sagemakerSdk(), ctx.clients.sagemaker()]);
        await sm.send(new StopProcessingJobCommand({ ProcessingJobName: r.name }));
        return { summary: `stopped processing job ${r.name} (it cannot be resumed; a new job must be started)` };
      },
    },
  ],
};
