import { z } from 'zod';
import { mlInstanceType, reportDuplicateNames, sageMakerName, worldTags, worldTime } from './world-common.js';

/* World-file sections `sagemaker.trainingJobs` and `sagemaker.processingJobs` (docs/world-file.md "SageMaker jobs"). */

/** `TrainingJobStatus` / `ProcessingJobStatus` values. */
export const JOB_STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'] as const;

/** SageMaker's default `MaxRuntimeInSeconds` for training: one day. */
export const DEFAULT_TRAINING_MAX_RUNTIME_S = 86_400;

const common = {
  name: sageMakerName,
  status: z.enum(JOB_STATUSES).default('InProgress'),
  createdAt: worldTime.default('-2h'),
  /** When the instances started; default `createdAt`. */
  startedAt: worldTime.optional(),
  /** When a finished job ended; default one hour after it started. */
  endedAt: worldTime.optional(),
  instanceType: mlInstanceType,
  instanceCount: z.number().int().min(1).max(512).default(1),
  tags: worldTags,
};

const trainingJobSchema = z.strictObject({
  ...common,
  maxRuntimeSeconds: z.number().int().min(1).max(2_419_200).default(DEFAULT_TRAINING_MAX_RUNTIME_S),
  spot: z.boolean().default(false),
  secondaryStatus: z.string().min(1).optional(),
  /** `CheckpointConfig.S3Uri`; absent = no checkpoints configured. */
  checkpointS3Uri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'an S3 URI like s3://bucket/checkpoints/').optional(),
  /** `BillableTimeInSeconds` of a finished job; default its training time (what a managed spot job saved is the difference). */
  billableSeconds: z.number().int().min(0).optional(),
});

const processingJobSchema = z.strictObject({
  ...common,
  /** Processing jobs have no stopping condition unless given. */
  maxRuntimeSeconds: z.number().int().min(1).max(777_600).optional(),
});

/** `sagemaker.trainingJobs`. */
export const trainingJobsSchema = z
  .array(trainingJobSchema)
  .default([])
  .superRefine((list, ctx) => reportDuplicateNames(list.map((j) => j.name), ctx, (i) => [i, 'name'], 'training job'));

/** `sagemaker.processingJobs`. */
export const processingJobsSchema = z
  .array(processingJobSchema)
  .default([])
  .superRefine((list, ctx) => reportDuplicateNames(list.map((j) => j.name), ctx, (i) => [i, 'name'], 'processing job'));

/** A training job as declared. */
export type TrainingJobSpec = z.output<typeof trainingJobSchema>;
/** A processing job as declared. */
export type ProcessingJobSpec = z.output<typeof processingJobSchema>;
