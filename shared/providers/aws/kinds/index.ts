import { KindRegistry, withGuardAction } from '../../kind.js';
import type { MetricRequest } from '../metrics.js';
import type { AwsKindContext, AwsKindModule } from './context.js';
import { s3Prefix } from './s3-prefix.js';
import { AWS_DELETE_ENDPOINT, sagemakerEndpoint } from './sagemaker-endpoint.js';
import { AWS_STOP_NOTEBOOK, sagemakerNotebookInstance } from './sagemaker-notebook-instance.js';
import { sagemakerProcessingJob } from './sagemaker-processing-job.js';
import { sagemakerStudioApp } from './sagemaker-studio-app.js';
import { AWS_STOP_TRAINING_JOB, sagemakerTrainingJob } from './sagemaker-training-job.js';
import { sagemakerFinishedTrainingJob } from './sagemaker-finished-training-job.js';

/**
 * Every AWS resource kind costwatch watches, in the order they are listed and reported. Adding a
 * kind is one module in this folder plus one line here (and its actions in `shared/actions/aws.ts`).
 */
export const AWS_KINDS: readonly AwsKindModule[] = [
  withGuardAction(sagemakerEndpoint, AWS_DELETE_ENDPOINT, 'aws.sagemaker.guard-delete-endpoint'),
  withGuardAction(sagemakerNotebookInstance, AWS_STOP_NOTEBOOK, 'aws.sagemaker.guard-stop-notebook-instance'),
  sagemakerStudioApp,
  withGuardAction(sagemakerTrainingJob, AWS_STOP_TRAINING_JOB, 'aws.sagemaker.guard-stop-training-job'),
  sagemakerProcessingJob,
  s3Prefix,
  sagemakerFinishedTrainingJob,
];

/** The AWS kind registry the provider dispatches over. */
export function awsKindRegistry(modules: readonly AwsKindModule[] = AWS_KINDS): KindRegistry<AwsKindContext, MetricRequest> {
  return new KindRegistry('aws', modules);
}

export type { AwsKindContext, AwsKindModule } from './context.js';
