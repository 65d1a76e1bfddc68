import type { Lifecycle } from '../../domain/resource.js';

const JOBS: Readonly<Record<string, Lifecycle>> = {
  InProgress: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
  Completed: 'stopped',
  Failed: 'failed',
};

/**
 * SageMaker statuses in cloud-neutral terms, per resource kind: one table for the collectors and
 * the event parsers, so a status means the same whether it was read or pushed.
 */
export const SAGEMAKER_LIFECYCLES: Readonly<Record<string, Readonly<Record<string, Lifecycle>>>> = {
  'aws.sagemaker.endpoint': {
    InService: 'running',
    Creating: 'starting',
    Updating: 'running',
    SystemUpdating: 'running',
    RollingBack: 'running',
    UpdateRollbackFailed: 'running',
    Deleting: 'deleting',
    Failed: 'failed',
    OutOfService: 'stopped',
  },
  // An instance is stopped while it is updated (UpdateNotebookInstance needs Stopped).
  'aws.sagemaker.notebook-instance': {
    InService: 'running',
    Pending: 'starting',
    Updating: 'other',
    Stopping: 'stopping',
    Stopped: 'stopped',
    Failed: 'failed',
    Deleting: 'deleting',
  },
  'aws.sagemaker.studio-app': {
    InService: 'running',
    Pending: 'starting',
    Deleting: 'deleting',
    Deleted: 'stopped',
    Failed: 'failed',
  },
  'aws.sagemaker.training-job': JOBS,
  'aws.sagemaker.processing-job': JOBS,
};

/** The lifecycle of a SageMaker status (API spelling); `other` for one this version does not know. */
export function sagemakerLifecycle(kind: string, status: string): Lifecycle {
  return SAGEMAKER_LIFECYCLES[kind]?.[status] ?? 'other';
}
