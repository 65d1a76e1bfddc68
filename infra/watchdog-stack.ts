import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, CfnOutput, CfnRule, Duration, FileSystem, Fn, RemovalPolicy, Stack, Token, type StackProps } from 'aws-cdk-lib';
import { ComparisonOperator, TreatMissingData, type Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, FunctionUrlAuthType, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../functions/lib/contract.js';
import { POLICY_ARTIFACT_NAME, policyArtifact } from '../shared/config/artifact.js';
import { ConfigError, CostwatchError } from '../shared/errors.js';
import { SAGEMAKER_DETAIL_TYPES } from '../shared/events/sagemaker.js';
import { STATE_TABLE_SCHEMA } from '../shared/store/dynamo-store.js';
import { assumeRoleAccess, readAccess, remediatingRules, remediationAccess, type AccessGrant } from './aws-access.js';
import { assumedRoles, DIGEST_SCHEDULE, ownAccount, scanSchedules, type DeployPolicy } from './deploy-config.js';
import { constructIdOf, FUNCTIONS, functionsFor, type FunctionSpec, type QueueName, type SecretKey } from './function-table.js';
import { BUNDLING } from './bundling.js';
import { acknowledge, acknowledgeWildcards } from './nag.js';

/** The repository root: entries, lock file and tsconfig are resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the policy artifact lands in every function package (the Lambda task root): the policy
 * validated at synth, as JSON (shared/config/artifact.ts). A file rather than an environment
 * variable because Lambda caps all variables together at 4 KB and a policy with budgets,
 * exemptions and Slack routes passes that; a file in the package also changes the code hash, so
 * a policy change redeploys the functions that read it.
 */
export const BUNDLED_POLICY_PATH = `/var/task/${POLICY_ARTIFACT_NAME}`;

/** DynamoDB calls of the state store (shared/store/dynamo-store.ts), by access level. */
export const STATE_TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  'read-write': ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
} as const;

/** SageMaker and Cost Anomaly Detection events the events function receives: the detail-types its parser reads. */
export const EVENT_PATTERNS = {
  sagemaker: { source: ['aws.sagemaker'], detailType: Object.keys(SAGEMAKER_DETAIL_TYPES) },
  costAnomaly: { source: ['aws.ce'], detailType: ['Anomaly Detected'] },
} as const;

/** Thrown when the function table and the stack disagree (a programming error, caught by synth). */
export class FunctionTableError extends CostwatchError {}

/** Props of {@link WatchdogStack}. */
export interface WatchdogStackProps extends StackProps {
  readonly policy: DeployPolicy;
  /** The function table; default: FUNCTIONS. */
  readonly functions?: readonly FunctionSpec[];
  /** Write esbuild's metafile (`index.meta.json`) next to each bundle, for inspection. */
  readonly inspectBundles?: boolean;
}

const SECRET_DOCS: Readonly<Record<SecretKey, { id: string; output: string; shape: string }>> = {
  slackSecretArn: { id: 'SlackSecret', output: 'SlackSecretName', shape: '{"botToken":"xoxb-…","signingSecret":"…"}' },
  gcpSecretArn: { id: 'GcpSecret', output: 'GcpSecretName', shape: 'a Google service-account key JSON or workload identity federation credential configuration' },
  azureSecretArn: { id: 'AzureSecret', output: 'AzureSecretName', shape: '{"tenantId":"…","clientId":"…","certificate":"<PEM key and certificate>"} (or "clientSecret" instead of "certificate")' },
  webhookSecretArn: { id: 'WebhookSecret', output: 'WebhookSecretName', shape: '{"azureToken":"…","gcpAudience":"…","gcpServiceAccountEmail":"…"}' },
};

/**
 * The watchdog: functions from the function table with their triggers, the state table, the scan
 * and execution queues, the cost-events topic, secrets, dead-letter queues and alarms.
 */
export class WatchdogStack extends Stack {
  /** Deployed functions by table name (`scan-worker`). */
  readonly functions = new Map<string, NodejsFunction>();
  readonly table: Table;
  readonly costEventsTopic: Topic;
  readonly alarmTopic: Topic;
  readonly secrets = new Map<SecretKey, Secret>();
  readonly queues = new Map<QueueName, Queue>();
  /** Roles that reach into member accounts; the member stack trusts them. */
  readonly memberTrustedRoles: Role[] = [];

  private readonly policy: DeployPolicy;
  private readonly topicKey: Key;
  private readonly secretsKey: Key;
  private readonly inspectBundles: boolean;
  /** The policy artifact on this machine, copied into every bundle. */
  private readonly policyArtifactFile: string;
  private schedulerRoleOnce?: Role;

  constructor(scope: Construct, id: string, props: WatchdogStackProps) {
    super(scope, id, { description: 'costwatch: cost watchdog for AI workloads (functions, schedules, state, queues, secrets)', ...props });
    this.policy = props.policy;
    this.inspectBundles = props.inspectBundles ?? false;
    const specs = functionsFor(props.policy.policy, props.functions ?? FUNCTIONS);
    this.policyArtifactFile = join(FileSystem.mkdtemp('costwatch-policy-'), POLICY_ARTIFACT_NAME);
    writeFileSync(this.policyArtifactFile, policyArtifact(props.policy.policy, props.policy.file));

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'costwatch: encrypts the cost-events and alarm topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'costwatch: encrypts the Slack, cloud and webhook secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    this.checkOwnAccount();
    this.table = this.stateTable();
    this.costEventsTopic = this.costTopic();
    this.alarmTopic = this.opsAlarmTopic();
    this.createSecrets(specs);
    this.createQueues(specs);
    for (const spec of specs) this.addFunction(spec);
    this.outputs();
  }

  /**
   * The account the policy lists without a roleName is read with the functions' own credentials,
   * i.e. it must be the account deployed to. A CloudFormation rule checks it when the stack is
   * created or updated, before any resource changes (the synth runs without credentials, so only
   * the deploy knows the account); when the stack's account is known at synth, synth checks too.
   */
  private checkOwnAccount(): void {
    const own = ownAccount(this.policy.policy);
    if (!own) return;
    const index = (this.policy.policy.clouds.aws?.accounts ?? []).findIndex((a) => !a.roleName);
    const key = `clouds.aws.accounts[${index}]`;
    if (!Token.isUnresolved(this.account) && this.account !== own.accountId) {
      throw new ConfigError([{ file: this.policy.file, key, message: `${own.accountId} has no roleName, so it is read as the account costwatch runs in, but this stack deploys to ${this.account}: deploy to ${own.accountId}, or give the account a roleName (and deploy the member stack there)` }]);
    }
    new CfnRule(this, 'OwnAccountIsDeployAccount', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.ACCOUNT_ID, own.accountId),
          assertDescription: `costwatch.yml ${key} (${own.accountId}) has no roleName, so costwatch reads it as the account it runs in; this deployment targets another account. Deploy to ${own.accountId}, or give that account a roleName and deploy the member stack there (docs/deploy.md).`,
        },
      ],
    });
  }

  private stateTable(): Table {
    const table = new Table(this, 'StateTable', {
      partitionKey: { name: STATE_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: STATE_TABLE_SCHEMA.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Proposals, decisions and the audit log outlive the stack; docs/deploy.md says how to delete it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return table;
  }

  private costTopic(): Topic {
    const topic = new Topic(this, 'CostEventsTopic', {
      displayName: 'costwatch cost events (AWS Budgets, Cost Anomaly Detection)',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // Budgets and Cost Anomaly Detection publish as service principals, for this account only.
    for (const [sid, service] of [
      ['AWSBudgetsPublish', 'budgets.amazonaws.com'],
      ['CostAnomalyDetectionPublish', 'costalerts.amazonaws.com'],
    ] as const) {
      topic.addToResourcePolicy(
        new PolicyStatement({
          sid,
          principals: [new ServicePrincipal(service)],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
      // The topic is KMS-encrypted, so the publisher needs the key too.
      this.topicKey.addToResourcePolicy(
        new PolicyStatement({
          sid: `${sid}Key`,
          principals: [new ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          // Only on behalf of this account: the service principal is shared by every AWS customer.
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
    return topic;
  }

  private opsAlarmTopic(): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'costwatch alarms (function errors, dead letters)',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    return topic;
  }

  private createSecrets(specs: readonly FunctionSpec[]): void {
    const clouds = this.policy.policy.clouds;
    // Google Cloud's credentials are a secret unless the policy federates from the functions' AWS roles
    // (credentials.workloadIdentity): then there is nothing to store, and no secret is made.
    const gcpSecret = clouds.gcp !== undefined && clouds.gcp.credentials?.workloadIdentity === undefined;
    // The Azure (Google Cloud) secret is optional where a function lists it: it exists only where that cloud is configured.
    const needed = new Set(specs.flatMap((s) => s.access.secrets ?? []).filter((k) => (k !== 'azureSecretArn' || clouds.azure) && (k !== 'gcpSecretArn' || gcpSecret)));
    // A cloud's credentials exist when the cloud is configured, even before a function reads them,
    // so they can be filled in ahead of time.
    if (gcpSecret) needed.add('gcpSecretArn');
    if (clouds.azure) needed.add('azureSecretArn');
    for (const key of (['slackSecretArn', 'gcpSecretArn', 'azureSecretArn', 'webhookSecretArn'] as const).filter((k) => needed.has(k))) {
      const doc = SECRET_DOCS[key];
      const secret = new Secret(this, doc.id, {
        description: `costwatch: JSON ${doc.shape}; set it with aws secretsmanager put-secret-value (docs/deploy.md)`,
        encryptionKey: this.secretsKey,
      });
      acknowledge(secret, 'AwsSolutions-SMG4', 'Holds credentials issued by Slack, Google Cloud or Azure; they are rotated there and written here with put-secret-value, so Secrets Manager rotation has nothing to rotate.');
      this.secrets.set(key, secret);
    }
  }

  private createQueues(specs: readonly FunctionSpec[]): void {
    for (const name of ['scan', 'scan-azure', 'execution', 'scan-gcp', 'execution-gcp', 'execution-azure'] as const) {
      const consumer = specs.find((s) => s.trigger.kind === 'queue' && s.trigger.queue === name);
      const senders = specs.filter((s) => s.access.send?.includes(name));
      if (!consumer) {
        // The Azure and Google Cloud scan and execution queues are optional: each exists where its function is deployed.
        if (OPTIONAL_QUEUES.has(name)) continue;
        if (senders.length > 0) throw new FunctionTableError(`${senders.map((s) => s.name).join(', ')} send${senders.length === 1 ? 's' : ''} to the ${name} queue, which no function consumes`);
        continue;
      }
      const id = `${constructIdOf(name)}Queue`;
      // Execution jobs of one proposal (approve, then undo) must run in order: FIFO, grouped per proposal
      // (all jobs of a proposal go to its cloud's execution queue).
      const fifo = name.startsWith('execution');
      const dlq = this.deadLetterQueue(`${id}Dlq`, `the ${name} queue (messages that failed ${MAX_RECEIVES} times)`, fifo);
      const queue = new Queue(this, id, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(fifo ? { fifo: true } : {}),
        // AWS's advice for Lambda consumers: at least six times the function timeout.
        visibilityTimeout: Duration.seconds(consumer.timeoutSeconds * 6),
        deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVES },
      });
      this.queues.set(name, queue);
      // A message older than one visibility timeout has waited out a failed or timed-out attempt,
      // or the consumers cannot keep up: scans run late, approved actions wait.
      const maxAge = consumer.timeoutSeconds * 6;
      this.alarm(
        `${id}OldestMessageAge`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        `costwatch: the oldest message of the ${name} queue is over ${maxAge} s old (${name.startsWith('scan') ? 'scans run late' : 'approved actions and undos wait'}); see the ${consumer.name} logs and its errors`,
        maxAge,
      );
    }
  }

  /** An encrypted dead-letter queue with an alarm on its depth. */
  private deadLetterQueue(id: string, what: string, fifo = false): Queue {
    const dlq = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      ...(fifo ? { fifo: true } : {}),
      retentionPeriod: Duration.days(14),
    });
    acknowledge(dlq, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue.');
    this.alarm(`${id}Depth`, dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), `costwatch: dead letters from ${what}; read the messages for the reason`);
    return dlq;
  }

  private alarm(id: string, metric: Metric, description: string, threshold = 1): void {
    const alarm = metric.createAlarm(this, id, {
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
  }

  private addFunction(spec: FunctionSpec): void {
    const id = constructIdOf(spec.name);
    const entry = join(PROJECT_ROOT, 'functions', `${spec.name}.ts`);
    if (!existsSync(entry)) throw new FunctionTableError(`functions/${spec.name}.ts does not exist: remove ${spec.name} from the function table or write the handler`);
    const isAsync = ['scan-schedules', 'digest-schedule', 'cost-topic', 'event-rules'].includes(spec.trigger.kind);
    const dlq = isAsync ? this.deadLetterQueue(`${id}Dlq`, `${spec.name} (failed invocations and undeliverable events)`) : undefined;
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `costwatch ${spec.name}` });
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    logGroup.grantWrite(role);
    const policyFile = this.policyArtifactFile;

    const fn = new NodejsFunction(this, id, {
      entry,
      handler: 'handler',
      description: `costwatch: ${spec.description}`,
      runtime: Runtime.NODEJS_22_X,
      architecture: spec.architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      role,
      logGroup,
      environment: this.environmentOf(spec),
      ...(dlq ? { deadLetterQueue: dlq, retryAttempts: 2 } : {}),
      ...(spec.trigger.kind === 'url' ? { reservedConcurrentExecutions: spec.trigger.reservedConcurrency } : {}),
      bundling: {
        forceDockerBundling: false,
        // The same settings as the bundle bench and tests (infra/bundling.ts).
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // Native packages (the digest's chart renderer) stay external and are copied below.
        externalModules: [...BUNDLING.external, ...(spec.nativePackages ?? [])],
        banner: BUNDLING.banner,
        metafile: this.inspectBundles,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp ${shellQuote(policyFile)} ${shellQuote(join(outputDir, POLICY_ARTIFACT_NAME))}`,
            // Native packages as installed (no install step at synth), and asset folders such as fonts.
            ...(spec.nativePackages ?? []).flatMap((pkg) => [
              `mkdir -p ${shellQuote(join(outputDir, 'node_modules', dirname(pkg)))}`,
              `cp -RL ${shellQuote(join(PROJECT_ROOT, 'node_modules', pkg))} ${shellQuote(join(outputDir, 'node_modules', pkg))}`,
            ]),
            ...(spec.assetFolders ?? []).map((a) => `cp -R ${shellQuote(join(PROJECT_ROOT, a.from))} ${shellQuote(join(outputDir, a.to))}`),
          ],
        },
      },
    });
    this.functions.set(spec.name, fn);
    this.grant(spec, role);
    this.wireTrigger(spec, fn, dlq);
    this.alarm(`${id}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), `costwatch: ${spec.name} failed; see log group ${logGroup.logGroupName}`);
    acknowledge(fn, 'AwsSolutions-L1', 'costwatch targets the nodejs22.x runtime on purpose (the supported LTS its code and SDK v3 are tested on).');
  }

  /** The role EventBridge Scheduler invokes the scheduled functions with (one for all schedules). */
  private schedulerRole(fn: NodejsFunction): Role {
    this.schedulerRoleOnce ??= new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'costwatch: EventBridge Scheduler invokes the scan dispatcher and the digest',
    });
    // The Scheduler target grants InvokeFunction on the function and its versions (`:*`).
    acknowledgeWildcards(
      this.schedulerRoleOnce,
      [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn, `${fn.functionArn}:*`] })],
      'lambda:InvokeFunction on one scheduled function and its versions (:*), as the EventBridge Scheduler target grants it.',
    );
    return this.schedulerRoleOnce;
  }

  private environmentOf(spec: FunctionSpec): Record<string, string> {
    // Stack traces name the TypeScript sources (the bundles ship source maps).
    const env: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps' };
    for (const key of spec.env) {
      const name = ENV[key];
      switch (key) {
        case 'stateTable':
          env[name] = this.table.tableName;
          break;
        case 'policyFile':
          env[name] = BUNDLED_POLICY_PATH;
          break;
        case 'scanQueueUrl':
        case 'azureScanQueueUrl':
        case 'gcpScanQueueUrl':
        case 'executionQueueUrl':
        case 'gcpExecutionQueueUrl':
        case 'azureExecutionQueueUrl': {
          const queueName = QUEUE_OF_ENV[key];
          const queue = this.queues.get(queueName);
          if (!queue && OPTIONAL_QUEUES.has(queueName)) break;
          if (!queue) throw new FunctionTableError(`${spec.name} needs ${name} but no function consumes that queue`);
          env[name] = queue.queueUrl;
          break;
        }
        default: {
          const secret = this.secrets.get(key);
          if (!secret && (key === 'azureSecretArn' || key === 'gcpSecretArn')) break;
          if (!secret) throw new FunctionTableError(`${spec.name} needs ${name} but the secret is not in this stack`);
          // The ARN only: the value is read at run time, never placed in the environment.
          env[name] = secret.secretArn;
        }
      }
    }
    return env;
  }

  private grant(spec: FunctionSpec, role: Role): void {
    const { access } = spec;
    const policy = this.policy.policy;
    if (access.state) {
      role.addToPrincipalPolicy(new PolicyStatement({ sid: 'StateTable', actions: [...STATE_TABLE_ACTIONS[access.state]], resources: [this.table.tableArn] }));
    }
    for (const name of access.send ?? []) {
      const queue = this.queues.get(name);
      if (!queue && OPTIONAL_QUEUES.has(name)) continue;
      if (!queue) throw new FunctionTableError(`${spec.name} sends to the ${name} queue, which no function consumes`);
      role.addToPrincipalPolicy(new PolicyStatement({ sid: `Send${constructIdOf(name)}Queue`, actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    }
    for (const key of access.secrets ?? []) {
      const secret = this.secrets.get(key);
      if (!secret && (key === 'azureSecretArn' || key === 'gcpSecretArn')) continue;
      if (!secret) throw new FunctionTableError(`${spec.name} reads ${ENV[key]} but the secret is not in this stack`);
      role.addToPrincipalPolicy(new PolicyStatement({ sid: `Read${SECRET_DOCS[key].id}`, actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    }
    if (access.secrets?.length) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'DecryptSecrets',
          actions: ['kms:Decrypt'],
          resources: [this.secretsKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }

    const grants: AccessGrant[] = [];
    const own = ownAccount(policy);
    const roles = assumedRoles(policy);
    const remediating = access.awsRemediate ? remediatingRules(policy, access.awsRemediate.rules) : [];
    if (access.awsRead && own) grants.push(readAccess(policy, own));
    if (access.awsRemediate && own && remediating.length > 0) {
      const g = remediationAccess(policy, own, remediating, { undo: access.awsRemediate.undo });
      if (g) grants.push(g);
    }
    if ((access.awsRead || remediating.length > 0) && roles.length > 0) {
      const g = assumeRoleAccess(roles);
      if (g) grants.push(g);
      this.memberTrustedRoles.push(role);
    }
    for (const g of grants) {
      for (const s of g.statements) role.addToPrincipalPolicy(s);
      if (g.wildcardReason) acknowledgeWildcards(role, g.statements, g.wildcardReason);
    }
    // Azure workload identity federation: the functions that call Azure ask STS for a JWT for Entra, for that audience only.
    const federation = policy.clouds.azure?.credentials?.awsFederation;
    if (federation && spec.foreignSdks.includes('azure')) {
      const statement = new PolicyStatement({
        sid: 'AzureWorkloadIdentityToken',
        actions: ['sts:GetWebIdentityToken'],
        resources: ['*'],
        conditions: { 'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': federation.audience }, NumericLessThanEquals: { 'sts:DurationSeconds': 300 } },
      });
      role.addToPrincipalPolicy(statement);
      acknowledgeWildcards(role, [statement], 'sts:GetWebIdentityToken has no resource to name (it signs a token for the caller); the audience and lifetime are pinned by conditions');
    }
  }

  private wireTrigger(spec: FunctionSpec, fn: NodejsFunction, dlq: IQueue | undefined): void {
    const t = spec.trigger;
    const id = constructIdOf(spec.name);
    switch (t.kind) {
      case 'scan-schedules':
        scanSchedules(this.policy.policy).forEach((s, i) => {
          new Schedule(this, `ScanSchedule${i + 1}`, {
            description: `costwatch scan ${s.expression}${s.at === s.expression ? '' : ` as ${s.at}`}: ${s.rules.join(', ')}`,
            schedule: ScheduleExpression.expression(s.at),
            target: new LambdaInvoke(fn, {
              role: this.schedulerRole(fn),
              input: ScheduleTargetInput.fromObject({ rules: s.rules }),
              ...(dlq ? { deadLetterQueue: dlq } : {}),
              retryAttempts: 3,
              maxEventAge: Duration.hours(1),
            }),
          });
        });
        break;
      case 'digest-schedule':
        new Schedule(this, 'DigestSchedule', {
          description: 'costwatch weekly digest',
          schedule: ScheduleExpression.expression(DIGEST_SCHEDULE),
          target: new LambdaInvoke(fn, {
            role: this.schedulerRole(fn),
            input: ScheduleTargetInput.fromObject({ digest: 'weekly' }),
            ...(dlq ? { deadLetterQueue: dlq } : {}),
            retryAttempts: 3,
            maxEventAge: Duration.hours(6),
          }),
        });
        break;
      case 'queue': {
        const queue = this.queues.get(t.queue);
        if (!queue) throw new FunctionTableError(`no ${t.queue} queue for ${spec.name}`);
        fn.addEventSource(new SqsEventSource(queue, { batchSize: t.batchSize, maxConcurrency: t.maxConcurrency, reportBatchItemFailures: true }));
        break;
      }
      case 'url': {
        const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
        // Reserved concurrency exhausted: the URL answers 429 (a Slack click fails, a push is retried).
        this.alarm(
          `${id}Throttles`,
          fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
          `costwatch: ${spec.name} throttled requests (its reserved concurrency of ${t.reservedConcurrency} was exhausted; callers got 429); raise reservedConcurrency in infra/function-table.ts if this is real traffic`,
        );
        new CfnOutput(this, t.output, { value: url.url, description: t.outputDescription });
        break;
      }
      case 'cost-topic':
        this.costEventsTopic.addSubscription(new LambdaSubscription(fn, dlq ? { deadLetterQueue: dlq } : {}));
        break;
      case 'event-rules': {
        const target = new LambdaFunction(fn, { ...(dlq ? { deadLetterQueue: dlq } : {}), retryAttempts: 8, maxEventAge: Duration.hours(6) });
        new Rule(this, `${id}SageMakerRule`, {
          description: 'costwatch: SageMaker endpoint, deployment, notebook instance and training job state changes',
          eventPattern: { source: [...EVENT_PATTERNS.sagemaker.source], detailType: [...EVENT_PATTERNS.sagemaker.detailType] },
          targets: [target],
        });
        new Rule(this, `${id}CostAnomalyRule`, {
          description: 'costwatch: Cost Anomaly Detection anomalies',
          eventPattern: { source: [...EVENT_PATTERNS.costAnomaly.source], detailType: [...EVENT_PATTERNS.costAnomaly.detailType] },
          targets: [target],
        });
        break;
      }
    }
  }

  private outputs(): void {
    new CfnOutput(this, 'CostEventsTopicArn', {
      value: this.costEventsTopic.topicArn,
      description: 'SNS topic for AWS Budgets notifications and Cost Anomaly Detection subscriptions',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'SNS topic of costwatch alarms: subscribe your on-call address' });
    new CfnOutput(this, 'StateTableName', { value: this.table.tableName, description: 'DynamoDB table of proposals, decisions and the audit log' });
    for (const [key, secret] of this.secrets) {
      new CfnOutput(this, SECRET_DOCS[key].output, { value: secret.secretName, description: `Secret to fill in: ${SECRET_DOCS[key].shape}` });
    }
    // Workload identity federation: Google's pool provider must accept these roles (no secret exists).
    const federated = ['scan-worker-gcp', 'execute-gcp'].map((n) => this.functions.get(n)?.role).filter((r) => r !== undefined);
    if (this.policy.policy.clouds.gcp?.credentials?.workloadIdentity && federated.length > 0) {
      new CfnOutput(this, 'GcpFederatedRoleArns', {
        value: Fn.join(',', federated.map((r) => r.roleArn)),
        description: 'AWS roles Google Cloud workload identity federation must accept (the AWS provider of your pool, mapped to the costwatch service account)',
      });
    }
    if (this.memberTrustedRoles.length > 0) {
      new CfnOutput(this, 'MemberTrustedRoleArns', {
        value: Fn.join(',', this.memberTrustedRoles.map((r) => r.roleArn)),
        description: 'Roles the member-account stack must trust: pass as -c watchdogRoleArns=<value>',
      });
    }
  }
}

/** The queues of a cloud other than AWS: each exists only where its consumer is deployed (that cloud is configured). */
const OPTIONAL_QUEUES: ReadonlySet<QueueName> = new Set(['scan-azure', 'scan-gcp', 'execution-gcp', 'execution-azure']);

/** The queue whose URL an environment variable carries. */
const QUEUE_OF_ENV = {
  scanQueueUrl: 'scan',
  azureScanQueueUrl: 'scan-azure',
  gcpScanQueueUrl: 'scan-gcp',
  executionQueueUrl: 'execution',
  gcpExecutionQueueUrl: 'execution-gcp',
  azureExecutionQueueUrl: 'execution-azure',
} as const satisfies Partial<Record<string, QueueName>>;

/** Messages a queue consumer may fail before the message moves to the dead-letter queue. */
export const MAX_RECEIVES = 3;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
