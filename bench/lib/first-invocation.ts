/**
 * What each function's first invocation loads beyond its import, for the bundle bench's second
 * figure ("import + first invocation"). Clients and provider code are loaded on first use, so a
 * function's import alone flatters it: the honest cold start is the import plus what the first
 * typical invocation cannot do without. Each entry names that invocation; the modules are what it
 * loads (AWS SDK packages, which Lambda's runtime provides, and our own modules that bundle a
 * cloud's clients behind a dynamic import). Calls themselves (network) are not timed.
 */
export interface FirstInvocation {
  /** The invocation measured, in words (printed by the bench). */
  readonly invocation: string;
  /** AWS SDK packages it loads on first use. */
  readonly awsPackages: readonly string[];
  /** Our own modules (from the project root) it loads behind a dynamic import. */
  readonly modules?: readonly string[];
}

const SECRETS = '@aws-sdk/client-secrets-manager';

export const FIRST_INVOCATIONS: Readonly<Record<string, FirstInvocation>> = {
  'scan-dispatch': { invocation: 'a schedule tick: one message per scope sent', awsPackages: [] },
  'scan-worker': {
    invocation: 'an hourly idle-endpoint scan of one account (collection plan: SageMaker endpoints, their CloudWatch metrics), Slack secret read',
    awsPackages: [SECRETS, '@aws-sdk/client-sagemaker', '@aws-sdk/client-cloudwatch'],
  },
  'scan-worker-azure': { invocation: 'a scan of one subscription for its compute rules: Slack and Azure secrets read (the Azure ML, metrics and identity clients are imported at start; Cost Management, Consumption, Storage and Blob load with the rules that read them)', awsPackages: [SECRETS] },
  'scan-worker-gcp': { invocation: 'a scan of one project: Slack and Google Cloud secrets read, the Google clients loaded', awsPackages: [SECRETS], modules: ['shared/app/compose-gcp.ts'] },
  'slack-interactions': { invocation: 'an Approve click: Slack secret read, the job sent to SQS', awsPackages: [SECRETS, '@aws-sdk/client-sqs'] },
  execute: { invocation: 'an approved AWS action: Slack secret read, the endpoint re-read (SageMaker) and its usage re-checked (CloudWatch)', awsPackages: [SECRETS, '@aws-sdk/client-sagemaker', '@aws-sdk/client-cloudwatch'] },
  digest: { invocation: 'the weekly digest: Slack secret read (the chart stack is imported at start)', awsPackages: [SECRETS] },
  'events-sns': { invocation: 'a budget notification: Slack secret read', awsPackages: [SECRETS] },
  'events-eventbridge': { invocation: 'a SageMaker endpoint InService event: Slack secret read, the endpoint described (SageMaker) and its usage read (CloudWatch)', awsPackages: [SECRETS, '@aws-sdk/client-sagemaker', '@aws-sdk/client-cloudwatch'] },
  'webhook-gcp': { invocation: 'a budget push: webhook and Slack secrets read', awsPackages: [SECRETS] },
  'webhook-azure': { invocation: 'a budget alert: webhook and Slack secrets read', awsPackages: [SECRETS] },
  'execute-gcp': { invocation: 'an approved Google Cloud action: Slack and Google Cloud secrets read, the Google clients loaded (the resource re-read and its usage re-checked)', awsPackages: [SECRETS], modules: ['shared/app/compose-gcp.ts'] },
  'execute-azure': { invocation: 'an approved Azure action: Slack and Azure secrets read, the Azure clients loaded (the resource re-read and its usage re-checked)', awsPackages: [SECRETS], modules: ['shared/app/compose-azure.ts'] },
};
