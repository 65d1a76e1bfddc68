import { KindRegistry } from '../../kind.js';
import type { MetricRequest } from '../metrics.js';
import type { AwsKindContext, AwsKindModule } from './context.js';
import { s3Prefix } from './s3-prefix.js';
import { sagemakerEndpoint } from './sagemaker-endpoint.js';
import { sagemakerNotebookInstance } from './sagemaker-notebook-instance.js';
import { sagemakerProcessingJob } from './sagemaker-processing-job.js';
import { sagemakerStudioApp } from './sagemaker-studio-app.js';
import { sagemakerTrainingJob } from './sagemaker-training-job.js';
import { sagemakerFinishedTrainingJob } from './sagemaker-finished-training-job.js';

/**
 * Every AWS resource kind costwatch watches, in the order they are listed and reported. Adding a
 * kind is one module in this folder plus one line here (and its actions in `shared/actions/aws.ts`).
 */
export const AWS_KINDS: readonly AwsKindModule[] = [
  sagemakerEndpoint,
  sagemakerNotebookInstance,
  sagemakerStudioApp,
  sagemakerTrainingJob,
  sagemakerProcessingJob,
  s3Prefix,
  sagemakerFinishedTrainingJob,
];

/** The AWS kind registry the provider dispatches over. */
export function awsKindRegistry(modules: readonly AwsKindModule[] = AWS_KINDS): KindRegistry<AwsKindContext, MetricRequest> {
  return new KindRegistry('aws', modules);
}

export type { AwsKindContext, AwsKindModule } from './context.js';
