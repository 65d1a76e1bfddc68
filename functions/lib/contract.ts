/**
 * The contract between the CDK stack and the Lambda handlers: environment variable names and
 * secret shapes. The stack sets exactly these; each handler reads them through `loadEnv`.
 */
export const ENV = {
  /** DynamoDB state table name. */
  stateTable: 'STATE_TABLE',
  /** Path of the policy artifact bundled next to the handler (`policy.json`: costwatch.yml validated at synth, as JSON). */
  policyFile: 'POLICY_FILE',
  /** SQS queue of approved actions to execute: the AWS executor's (and jobs that carry no proposal: replies, App Home). */
  executionQueueUrl: 'EXECUTION_QUEUE_URL',
  /** SQS queue of Google Cloud proposals' jobs, consumed by the Google Cloud executor (only when clouds.gcp is set). */
  gcpExecutionQueueUrl: 'GCP_EXECUTION_QUEUE_URL',
  /** SQS queue of Azure proposals' jobs, consumed by the Azure executor (only when clouds.azure is set). */
  azureExecutionQueueUrl: 'AZURE_EXECUTION_QUEUE_URL',
  /** SQS queue of scopes to scan (fan-out). */
  scanQueueUrl: 'SCAN_QUEUE_URL',
  /** SQS queue of Azure subscriptions to scan, consumed by the Azure scan function (only when clouds.azure is set). */
  azureScanQueueUrl: 'AZURE_SCAN_QUEUE_URL',
  /** SQS queue of Google Cloud projects to scan, consumed by the Google Cloud scan function (only when clouds.gcp is set). */
  gcpScanQueueUrl: 'GCP_SCAN_QUEUE_URL',
  /** Secrets Manager ARN of the Slack secret (SlackSecret JSON). */
  slackSecretArn: 'SLACK_SECRET_ARN',
  /**
   * Secrets Manager ARN of the Google Cloud credentials secret (a service-account key, or an
   * external-account configuration); set only where clouds.gcp is configured without workloadIdentity.
   */
  gcpSecretArn: 'GCP_SECRET_ARN',
  /** Secrets Manager ARN of the Azure client credentials secret (AzureSecret JSON). */
  azureSecretArn: 'AZURE_SECRET_ARN',
  /** Secrets Manager ARN of the webhook tokens secret (WebhookSecret JSON). */
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
} as const;

/** JSON stored in the Slack secret. */
export interface SlackSecret {
  readonly botToken: string;
  readonly signingSecret: string;
  /** App-level token, for Socket Mode only. */
  readonly appToken?: string;
}

/** JSON stored in the Azure secret: a service principal with a certificate (preferred) or a client secret. */
export interface AzureSecret {
  readonly tenantId: string;
  readonly clientId: string;
  /** PEM holding the private key and the certificate. */
  readonly certificate?: string;
  readonly clientSecret?: string;
}

/** JSON stored in the webhook secret: shared tokens and expected identities of pushers. */
export interface WebhookSecret {
  /** Token in the Azure action-group webhook URL (`?token=`). */
  readonly azureToken: string;
  /** Audience the Google Pub/Sub push OIDC token must carry. */
  readonly gcpAudience: string;
  /** Service-account email the Google push token must be issued to. */
  readonly gcpServiceAccountEmail: string;
}
