import type { ActionDefinition } from './index.js';

/** The AWS action kinds; each is performed by the `shared/providers/aws/kinds` module of its resource kind. */
export const AWS_ACTIONS: readonly ActionDefinition[] = [
  {
    kind: 'aws.sagemaker.delete-endpoint',
    resourceKind: 'aws.sagemaker.endpoint',
    label: 'Delete endpoint',
    appliesTo: ['running'],
    reversible: true,
    saves: 'endpoint name, endpoint config name, variant instance types and counts, tags',
    undo: 're-create the endpoint from its kept endpoint config, with its tags (the config is never deleted)',
    autoAllowed: true,
  },
  {
    kind: 'aws.sagemaker.stop-notebook-instance',
    resourceKind: 'aws.sagemaker.notebook-instance',
    label: 'Stop notebook',
    appliesTo: ['running'],
    reversible: true,
    saves: 'notebook instance name, instance type, status and tags (its ML storage volume and files stay with the stopped instance)',
    undo: 'start the notebook instance again (StartNotebookInstance), once it has finished stopping',
    autoAllowed: true,
  },
  {
    kind: 'aws.sagemaker.delete-studio-app',
    resourceKind: 'aws.sagemaker.studio-app',
    label: 'Delete Studio app',
    appliesTo: ['running'],
    reversible: false,
    saves: 'domain, space or user profile, app type, app name and instance type, for the audit log',
    undo: "none: a deleted app cannot be restored. The user's files stay in the space's storage (or their home directory), and they start a new app from Studio when they need one",
    // Unsaved kernel state is lost with the app: irreversible, so approval only.
    autoAllowed: false,
  },
  {
    kind: 'aws.sagemaker.stop-training-job',
    resourceKind: 'aws.sagemaker.training-job',
    label: 'Stop training job',
    appliesTo: ['running'],
    reversible: false,
    saves: 'job name, status, start time, instance types and counts, for the audit log',
    undo: 'none: a stopped training job cannot be resumed (SageMaker saves its model artifacts and checkpoints so far; a new job must be started)',
    autoAllowed: false,
  },
  {
    kind: 'aws.sagemaker.stop-processing-job',
    resourceKind: 'aws.sagemaker.processing-job',
    label: 'Stop processing job',
    appliesTo: ['running'],
    reversible: false,
    saves: 'job name, status, start time, instance type and count, for the audit log',
    undo: 'none: a stopped processing job cannot be resumed; a new job must be started',
    autoAllowed: false,
  },
  {
    kind: 'aws.s3.put-lifecycle-rule',
    resourceKind: 'aws.s3.prefix',
    label: 'Add lifecycle rule',
    // A bucket has no running state; `running` is how the collector marks one that exists.
    appliesTo: ['running'],
    reversible: true,
    saves: "the bucket's whole lifecycle configuration as it was (or that it had none), and the id of the rule added",
    undo: "restore that configuration exactly (delete it if there was none); if other rules changed since, remove only costwatch's rule. Objects S3 already moved stay in their new storage class",
    autoAllowed: true,
  },
];
