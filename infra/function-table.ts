import type { Policy } from '../shared/config/schema.js';
import type { Cloud } from '../shared/domain/resource.js';
import type { ENV } from '../functions/lib/contract.js';
import type { RemediationSet } from './aws-access.js';

/** A key of the environment contract (functions/lib/contract.ts). */
export type EnvKey = keyof typeof ENV;

/** What invokes a function. */
export type Trigger =
  /** The scan schedules derived from the policy (EventBridge Scheduler, one per cadence). */
  | { readonly kind: 'scan-schedules' }
  /** The weekly digest schedule. */
  | { readonly kind: 'digest-schedule' }
  /** An SQS queue of the stack, through an event source mapping with bounded concurrency. */
  | { readonly kind: 'queue'; readonly queue: QueueName; readonly batchSize: number; readonly maxConcurrency: number }
  /** A Function URL (auth NONE: the handler verifies each request), throttled by reserved concurrency. */
  | { readonly kind: 'url'; readonly reservedConcurrency: number; readonly output: string; readonly outputDescription: string }
  /** The cost-events SNS topic (AWS Budgets, Cost Anomaly Detection). */
  | { readonly kind: 'cost-topic' }
  /** EventBridge rules: SageMaker state changes and Cost Anomaly Detection. */
  | { readonly kind: 'event-rules' };

/** The stack's queues. */
export type QueueName = 'scan' | 'scan-azure' | 'execution' | 'scan-gcp' | 'execution-gcp' | 'execution-azure';

/**
 * Execution jobs go to the queue of their proposal's cloud (shared/queue/cloud-routed-queue.ts): every function that
 * enqueues them may send to each; the Google Cloud and Azure ones exist only where that cloud is configured.
 */
const EXECUTION_QUEUES = ['execution', 'execution-gcp', 'execution-azure'] as const satisfies readonly QueueName[];
const EXECUTION_QUEUE_ENV = ['executionQueueUrl', 'gcpExecutionQueueUrl', 'azureExecutionQueueUrl'] as const satisfies readonly EnvKey[];

/** A secret of the stack, by the contract key of its ARN variable. */
export type SecretKey = 'slackSecretArn' | 'gcpSecretArn' | 'azureSecretArn' | 'webhookSecretArn';

/** What a function may touch beyond its own logs and dead-letter queue. */
export interface Access {
  readonly state?: 'read' | 'read-write';
  readonly send?: readonly QueueName[];
  readonly secrets?: readonly SecretKey[];
  /** Reads in watched AWS accounts (own account directly, member accounts through their role). */
  readonly awsRead?: boolean;
  /** Remediation calls in watched AWS accounts, for the rules of this set (see aws-access.ts). */
  readonly awsRemediate?: { readonly rules: RemediationSet; readonly undo: boolean };
}

/** One Lambda function of the watchdog: where its code is, what calls it, what it may do. */
export interface FunctionSpec {
  /** File name under functions/ without `.ts`; also the base of the construct id. */
  readonly name: string;
  readonly description: string;
  readonly trigger: Trigger;
  /** Environment variables, by contract key; values are filled in by the stack. */
  readonly env: readonly EnvKey[];
  readonly access: Access;
  /** Google Cloud / Azure SDKs the bundle may contain (the AWS SDK v3 is external, never bundled). */
  readonly foreignSdks: readonly Exclude<Cloud, 'aws'>[];
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /**
   * Most the bundle (`index.mjs`, minified, source map aside) may weigh, in KiB; the template
   * test fails past it. Measured sizes and the reasons for each budget: docs/deploy.md.
   */
  readonly bundleBudgetKib: number;
  /** Deployed only when the policy needs it (e.g. a webhook for a cloud that is configured). */
  readonly when?: (policy: Policy) => boolean;
  /** Lambda architecture; default arm64. */
  readonly architecture?: 'arm64' | 'x86_64';
  /**
   * Packages with native binaries esbuild cannot bundle: left external and copied, as installed,
   * into the bundle's node_modules (their prebuilt binary must match `architecture`).
   */
  readonly nativePackages?: readonly string[];
  /** Project folders copied next to the bundle's index.mjs under the same name (e.g. fonts). */
  readonly assetFolders?: readonly { readonly from: string; readonly to: string }[];
}

/**
 * The chart renderer's native package for Linux x64 (glibc). The digest function runs on x86_64
 * because this is the prebuilt binary installed with the project's lock file; the arm64 one
 * (`@resvg/resvg-js-linux-arm64-gnu`) is not, and bundling must not install packages.
 */
export const RESVG_NATIVE_PACKAGES = ['@resvg/resvg-js', '@resvg/resvg-js-linux-x64-gnu'] as const;

/**
 * Every function of the watchdog, in one place. Handler files that do not exist yet are not
 * listed: nothing deploys a placeholder.
 */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'scan-dispatch',
    description: 'Scheduled: enqueues one scan message per configured account, project and subscription',
    trigger: { kind: 'scan-schedules' },
    // The Azure (Google Cloud) scan queue exists only where clouds.azure (clouds.gcp) is configured; its variable is set then.
    env: ['policyFile', 'scanQueueUrl', 'azureScanQueueUrl', 'gcpScanQueueUrl'],
    access: { send: ['scan', 'scan-azure', 'scan-gcp'] },
    foreignSdks: [],
    timeoutSeconds: 60,
    memoryMb: 256,
    bundleBudgetKib: 60,
  },
  {
    name: 'scan-worker',
    description: 'Scans one account, project or subscription per message: collect, detect, plan, persist',
    trigger: { kind: 'queue', queue: 'scan', batchSize: 1, maxConcurrency: 20 },
    env: ['stateTable', 'policyFile', ...EXECUTION_QUEUE_ENV, 'slackSecretArn'],
    access: { state: 'read-write', send: EXECUTION_QUEUES, secrets: ['slackSecretArn'], awsRead: true, awsRemediate: { rules: 'auto', undo: false } },
    foreignSdks: [],
    timeoutSeconds: 600,
    memoryMb: 1024,
    bundleBudgetKib: 380,
  },
  {
    name: 'scan-worker-azure',
    description: 'Scans one Azure subscription per message (Azure ML, Azure Monitor): collect, detect, plan, persist',
    trigger: { kind: 'queue', queue: 'scan-azure', batchSize: 1, maxConcurrency: 10 },
    env: ['stateTable', 'policyFile', ...EXECUTION_QUEUE_ENV, 'slackSecretArn', 'azureSecretArn'],
    access: { state: 'read-write', send: EXECUTION_QUEUES, secrets: ['slackSecretArn', 'azureSecretArn'] },
    foreignSdks: ['azure'],
    timeoutSeconds: 600,
    memoryMb: 1024,
    // The Azure clients (arm-machinelearning, arm-costmanagement, arm-consumption, arm-storage, storage-blob, identity with msal-node) weigh about 1.4 MiB.
    bundleBudgetKib: 2100,
    when: (p) => p.clouds.azure !== undefined,
  },
  {
    name: 'slack-interactions',
    description: 'Slack interactivity endpoint: verify, authorize, decide once, enqueue the work, answer within 3 s',
    trigger: { kind: 'url', reservedConcurrency: 10, output: 'InteractivityUrl', outputDescription: 'Interactivity request URL for the Slack app (costwatch slack manifest --url <this>)' },
    env: ['stateTable', 'policyFile', ...EXECUTION_QUEUE_ENV, 'slackSecretArn'],
    access: { state: 'read-write', send: EXECUTION_QUEUES, secrets: ['slackSecretArn'] },
    foreignSdks: [],
    timeoutSeconds: 10,
    memoryMb: 512,
    bundleBudgetKib: 150,
  },
  {
    name: 'execute',
    description: 'AWS executor: re-checks, acts, undoes and updates Slack messages for each queued job of an AWS proposal (and replies, App Home)',
    trigger: { kind: 'queue', queue: 'execution', batchSize: 1, maxConcurrency: 5 },
    env: ['stateTable', 'policyFile', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn'], awsRead: true, awsRemediate: { rules: 'approved', undo: true } },
    // AWS only: Google Cloud and Azure proposals run in execute-gcp and execute-azure.
    foreignSdks: [],
    timeoutSeconds: 120,
    memoryMb: 512,
    // Carries the AWS provider, the savings ledger and the App Home jobs (341.3 KiB measured; 8.3 MiB when it held the Google and Azure clients).
    bundleBudgetKib: 360,
  },
  {
    name: 'digest',
    description: 'Weekly digest of spend, budgets and realized savings with charts, posted to Slack',
    trigger: { kind: 'digest-schedule' },
    env: ['stateTable', 'policyFile', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn'] },
    foreignSdks: [],
    timeoutSeconds: 120,
    memoryMb: 1024,
    // Vega-Lite and Vega are most of it (the other functions carry neither, see test/infra/digest-bundle.test.ts).
    bundleBudgetKib: 1100,
    // Charts: Vega-Lite and Vega are bundled; resvg is native (see RESVG_NATIVE_PACKAGES), its font copied.
    architecture: 'x86_64',
    nativePackages: RESVG_NATIVE_PACKAGES,
    assetFolders: [{ from: 'shared/report/fonts', to: 'fonts' }],
  },
  {
    name: 'events-sns',
    description: 'AWS Budgets notifications and Cost Anomaly Detection alerts from the cost-events topic',
    trigger: { kind: 'cost-topic' },
    env: ['stateTable', 'policyFile', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn'] },
    foreignSdks: [],
    timeoutSeconds: 60,
    memoryMb: 512,
    bundleBudgetKib: 320,
  },
  {
    name: 'events-eventbridge',
    description: 'SageMaker state changes (watch new endpoints and notebooks, flag training jobs) and Cost Anomaly Detection events',
    trigger: { kind: 'event-rules' },
    env: ['stateTable', 'policyFile', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn'], awsRead: true, awsRemediate: { rules: 'auto', undo: false } },
    foreignSdks: [],
    timeoutSeconds: 120,
    memoryMb: 512,
    bundleBudgetKib: 385,
  },
  {
    name: 'webhook-gcp',
    description: 'Google Cloud budget notifications pushed by Pub/Sub (OIDC token verified in code)',
    trigger: { kind: 'url', reservedConcurrency: 5, output: 'GcpWebhookUrl', outputDescription: 'Pub/Sub push endpoint for Cloud Billing budget notifications' },
    env: ['stateTable', 'policyFile', 'webhookSecretArn', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['webhookSecretArn', 'slackSecretArn'] },
    foreignSdks: [],
    timeoutSeconds: 30,
    memoryMb: 512,
    bundleBudgetKib: 340,
    when: (p) => p.clouds.gcp !== undefined,
  },
  {
    name: 'webhook-azure',
    description: 'Azure budget alerts from an action group webhook (token verified in code)',
    trigger: { kind: 'url', reservedConcurrency: 5, output: 'AzureWebhookUrl', outputDescription: 'Action group webhook endpoint for Azure budget alerts (append ?token=<azureToken>)' },
    env: ['stateTable', 'policyFile', 'webhookSecretArn', 'slackSecretArn'],
    access: { state: 'read-write', secrets: ['webhookSecretArn', 'slackSecretArn'] },
    foreignSdks: [],
    timeoutSeconds: 30,
    memoryMb: 512,
    bundleBudgetKib: 340,
    when: (p) => p.clouds.azure !== undefined,
  },
  {
    name: 'scan-worker-gcp',
    description: 'Scans one Google Cloud project per message (Vertex AI, Workbench, Cloud Monitoring, Cloud Storage): collect, detect, plan, persist',
    trigger: { kind: 'queue', queue: 'scan-gcp', batchSize: 1, maxConcurrency: 10 },
    // GCP_SECRET_ARN only where the credentials are a secret (no workloadIdentity in the policy).
    env: ['stateTable', 'policyFile', ...EXECUTION_QUEUE_ENV, 'slackSecretArn', 'gcpSecretArn'],
    access: { state: 'read-write', send: EXECUTION_QUEUES, secrets: ['slackSecretArn', 'gcpSecretArn'] },
    foreignSdks: ['gcp'],
    timeoutSeconds: 600,
    memoryMb: 1024,
    // The Google clients (the Vertex AI, Monitoring and Notebooks clients with their proto descriptors, google-gax,
    // Cloud Storage) are about 6 MB of it; measured sizes in docs/deploy.md.
    bundleBudgetKib: 7000,
    when: (p) => p.clouds.gcp !== undefined,
  },
  {
    name: 'execute-gcp',
    description: 'Google Cloud executor: re-checks, acts, undoes and updates Slack messages for each queued job of a Google Cloud proposal',
    trigger: { kind: 'queue', queue: 'execution-gcp', batchSize: 1, maxConcurrency: 5 },
    // GCP_SECRET_ARN only where the credentials are a secret (no workloadIdentity in the policy).
    env: ['stateTable', 'policyFile', 'slackSecretArn', 'gcpSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn', 'gcpSecretArn'] },
    foreignSdks: ['gcp'],
    timeoutSeconds: 120,
    memoryMb: 512,
    // The Google clients (Vertex AI, Notebooks, Monitoring, Cloud Storage, google-gax) are about 6 MB of it, evaluated by the first job.
    bundleBudgetKib: 7000,
    when: (p) => p.clouds.gcp !== undefined,
  },
  {
    name: 'execute-azure',
    description: 'Azure executor: re-checks, acts, undoes and updates Slack messages for each queued job of an Azure proposal',
    trigger: { kind: 'queue', queue: 'execution-azure', batchSize: 1, maxConcurrency: 5 },
    env: ['stateTable', 'policyFile', 'slackSecretArn', 'azureSecretArn'],
    access: { state: 'read-write', secrets: ['slackSecretArn', 'azureSecretArn'] },
    foreignSdks: ['azure'],
    timeoutSeconds: 120,
    memoryMb: 512,
    // The Azure clients (about 1.7 MiB with Storage and Blob), evaluated by the first job.
    bundleBudgetKib: 2100,
    when: (p) => p.clouds.azure !== undefined,
  },
];

/** The functions the policy needs. */
export function functionsFor(policy: Policy, table: readonly FunctionSpec[] = FUNCTIONS): FunctionSpec[] {
  return table.filter((f) => !f.when || f.when(policy));
}

/** Construct id of a function: `scan-worker` → `ScanWorker`. */
export function constructIdOf(name: string): string {
  return name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
