import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/lib/contract.js';
import { bundledPackages, externalImports, forbiddenSdkPackages, startupImports, type Metafile } from '../../infra/bundle-inspect.js';
import { FORBIDDEN_IN_BUNDLES } from '../../infra/bundling.js';
import { constructIdOf, FUNCTIONS, type FunctionSpec } from '../../infra/function-table.js';
import { loadDeployPolicy } from '../../infra/deploy-config.js';
import { PROJECT_ROOT, WatchdogStack } from '../../infra/watchdog-stack.js';
import { ConfigError } from '../../shared/errors.js';
import { parsePolicyArtifact } from '../../shared/config/artifact.js';
import { loadPolicy } from '../../shared/config/load.js';
import { SAGEMAKER_DETAIL_TYPES } from '../../shared/events/sagemaker.js';
import { loadWorld, SAMPLE_WORLD_PATH, sandboxAwsCredentials, startSandbox } from '../../shared/sandbox/index.js';
import { STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';
import { startAwsJsonStub } from './aws-json-stub.js';
import { synthCostwatch, type Synthesized } from './synth.js';
import {
  allowedActions,
  documentStatements,
  functionId,
  functionStatements,
  ofType,
  refOf,
  resourcesOf,
  withoutCode,
  type CfnTemplate,
  type Statement,
} from './template.js';

const FIXTURE = 'test/infra/fixtures/deploy.yml';
const OWN = '111111111111';
const MEMBER_WITH_EXTERNAL_ID = '222222222222';
const MEMBER = '333333333333';

let s: Synthesized;
let t: CfnTemplate;
/** Functions of the table, as deployed for the fixture (every cloud configured, so every `when` holds). */
let deployed: FunctionSpec[];

beforeAll(async () => {
  s = await synthCostwatch({ config: FIXTURE, inspectBundles: true });
  t = s.template('costwatch') as CfnTemplate;
  deployed = FUNCTIONS.filter((f) => s.built.watchdog.functions.has(f.name));
}, 120_000);

afterAll(async () => {
  await s?.cleanup();
});

const fnOf = (name: string) => functionId(t, constructIdOf(name));
const statementsOf = (name: string) => functionStatements(t, fnOf(name));
const ALL = (name: string) => allowedActions(statementsOf(name));
const arn = (account: string, region: string, type: string) => `arn:<AWS::Partition>:sagemaker:${region}:${account}:${type}/*`;

/** Actions every function has: its own log stream. */
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SQS_CONSUME = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
const STATE_RW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
const SECRET = ['kms:Decrypt', 'secretsmanager:GetSecretValue'];
const AWS_READ = [
  'application-autoscaling:DescribeScalableTargets',
  'budgets:ViewBudget',
  'ce:GetAnomalies',
  'ce:GetCostAndUsage',
  'ce:GetCostForecast',
  'ce:GetSavingsPlansCoverage',
  'ce:GetSavingsPlansPurchaseRecommendation',
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'pricing:GetProducts',
  's3:GetLifecycleConfiguration',
  's3:ListAllMyBuckets',
  's3:ListBucket',
  'sagemaker:DescribeApp',
  'sagemaker:DescribeDomain',
  'sagemaker:DescribeEndpoint',
  'sagemaker:DescribeEndpointConfig',
  'sagemaker:DescribeNotebookInstance',
  'sagemaker:DescribeNotebookInstanceLifecycleConfig',
  'sagemaker:DescribeProcessingJob',
  'sagemaker:DescribeSpace',
  'sagemaker:DescribeTrainingJob',
  'sagemaker:ListApps',
  'sagemaker:ListDomains',
  'sagemaker:ListEndpoints',
  'sagemaker:ListNotebookInstances',
  'sagemaker:ListProcessingJobs',
  'sagemaker:ListTags',
  'sagemaker:ListTrainingJobs',
  'sagemaker:Search',
];

/**
 * The exact allowed actions of every function for the fixture policy. A function added to the
 * table without a line here fails `every deployed function has its expected permissions`.
 */
const EXPECTED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'scan-dispatch': [...LOGS, 'sqs:SendMessage'],
  // idle-endpoint is the fixture's only `auto` rule: the scanner may delete endpoints, nothing else.
  // sqs:SendMessage: approvals whose execution job was lost are queued again.
  'scan-worker': [...LOGS, ...SQS_CONSUME, ...STATE_RW, ...SECRET, ...AWS_READ, 'sagemaker:DeleteEndpoint', 'sqs:SendMessage', 'sts:AssumeRole'],
  'events-sns': [...LOGS, 'sqs:SendMessage', ...STATE_RW, ...SECRET],
  'events-eventbridge': [...LOGS, 'sqs:SendMessage', ...STATE_RW, ...SECRET, ...AWS_READ, 'sagemaker:DeleteEndpoint', 'sts:AssumeRole'],
  'webhook-gcp': [...LOGS, ...STATE_RW, ...SECRET],
  'webhook-azure': [...LOGS, ...STATE_RW, ...SECRET],
  'slack-interactions': [...LOGS, ...STATE_RW, ...SECRET, 'sqs:SendMessage'],
  // AWS proposals only: approve and auto rules of the fixture: idle-endpoint (+ undo), idle-notebook (+ undo), cold-artifacts (+ undo).
  execute: [
    ...LOGS,
    ...SQS_CONSUME,
    ...STATE_RW,
    ...SECRET,
    ...AWS_READ,
    'sagemaker:AddTags',
    'sagemaker:CreateEndpoint',
    'sagemaker:DeleteEndpoint',
    'sagemaker:StartNotebookInstance',
    'sagemaker:StopNotebookInstance',
    's3:PutLifecycleConfiguration',
    'sts:AssumeRole',
  ],
  // Google Cloud proposals only: no AWS resource is read or changed (the Google credentials are a secret in the fixture).
  'execute-gcp': [...LOGS, ...SQS_CONSUME, ...STATE_RW, ...SECRET],
  // Azure proposals only; sts:GetWebIdentityToken: the fixture signs in to Entra by workload identity federation from the AWS role.
  'execute-azure': [...LOGS, ...SQS_CONSUME, ...STATE_RW, ...SECRET, 'sts:GetWebIdentityToken'],
  digest: [...LOGS, 'sqs:SendMessage', ...STATE_RW, ...SECRET],
  // Azure subscriptions only: no AWS resource is read or changed; approvals lost in flight are queued again.
  // sts:GetWebIdentityToken: the fixture signs in to Entra by workload identity federation from the AWS role.
  'scan-worker-azure': [...LOGS, ...SQS_CONSUME, ...STATE_RW, ...SECRET, 'sqs:SendMessage', 'sts:GetWebIdentityToken'],
  // Google Cloud projects only: likewise.
  'scan-worker-gcp': [...LOGS, ...SQS_CONSUME, ...STATE_RW, ...SECRET, 'sqs:SendMessage'],
};

const MUTATIONS = /^sagemaker:(Create|Delete|Stop|Start|Add|Update)|^s3:Put/;

describe('the function table', () => {
  it('deploys a function for every handler file, and every entry has its file', () => {
    const handlers = readdirSync(join(PROJECT_ROOT, 'functions'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    expect(FUNCTIONS.map((f) => f.name).sort()).toEqual(handlers);
    expect([...s.built.watchdog.functions.keys()].sort()).toEqual(handlers);
  });

  it('sets exactly the contract variables each handler reads', () => {
    const names = Object.values(ENV) as string[];
    for (const f of deployed) {
      const source = readFileSync(join(PROJECT_ROOT, 'functions', `${f.name}.ts`), 'utf8');
      const read = new Set<string>();
      for (const [key, name] of Object.entries(ENV)) if (source.includes(`ENV.${key}`) || source.includes(`'${name}'`)) read.add(name);
      const vars = Object.keys((t.Resources[fnOf(f.name)]!.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables);
      expect({ [f.name]: vars.filter((v) => names.includes(v)).sort() }).toEqual({ [f.name]: [...read].sort() });
    }
  });

  it('never puts a secret value in the environment: secrets are passed by ARN', () => {
    for (const f of deployed) {
      const vars = (t.Resources[fnOf(f.name)]!.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
      for (const [k, v] of Object.entries(vars)) {
        if (k.endsWith('_SECRET_ARN')) expect(ofType(t, 'AWS::SecretsManager::Secret').map(([id]) => id)).toContain(refOf(v));
      }
    }
    const secrets = ofType(t, 'AWS::SecretsManager::Secret');
    expect(secrets.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['AzureSecret', 'GcpSecret', 'SlackSecret', 'WebhookSecret']);
    for (const [, r] of secrets) expect(r.Properties?.['SecretString']).toBeUndefined();
  });

  it('builds arm64 nodejs22.x functions (x86_64 where the table says why) with source maps and the policy validated at synth, as JSON', async () => {
    const expected = (await loadPolicy(join(PROJECT_ROOT, FIXTURE))).policy;
    for (const f of deployed) {
      const p = t.Resources[fnOf(f.name)]!.Properties!;
      expect(p['Runtime']).toBe('nodejs22.x');
      expect(p['Architectures']).toEqual([f.architecture ?? 'arm64']);
      const vars = (p['Environment'] as { Variables: Record<string, string> }).Variables;
      expect(vars['NODE_OPTIONS']).toBe('--enable-source-maps');
      expect(vars[ENV.policyFile]).toBe('/var/task/policy.json');
      const dir = assetDir(f.name);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['index.mjs', 'index.mjs.map', 'policy.json']));
      expect(readdirSync(dir)).not.toContain('costwatch.yml');
      // The policy as validated at synth, every default applied: what the CLI reads from the same file.
      const { policy } = parsePolicyArtifact(readFileSync(join(dir, 'policy.json'), 'utf8'), 'policy.json');
      expect(policy).toEqual(expected);
      expect(policy.rules['idle-endpoint'].windowHours).toBeGreaterThan(0);
    }
  });
});

describe('least privilege', () => {
  it('every deployed function has its expected permissions, and no other', () => {
    for (const f of deployed) {
      expect(EXPECTED_ACTIONS[f.name], `no expected permissions written for ${f.name}`).toBeDefined();
      expect({ [f.name]: ALL(f.name) }).toEqual({ [f.name]: [...new Set(EXPECTED_ACTIONS[f.name])].sort() });
    }
  });

  it('grants no wildcard action, and no "*" resource to any mutating call', () => {
    for (const f of deployed) {
      for (const st of statementsOf(f.name).filter((x) => x.effect === 'Allow')) {
        for (const a of st.actions) expect(a, `${f.name}: ${a}`).not.toContain('*');
        // sts:GetWebIdentityToken names no resource (it signs a token for the caller): allowed on "*" only with its audience pinned.
        if (st.actions.length === 1 && st.actions[0] === 'sts:GetWebIdentityToken') {
          expect(st.conditions, `${f.name}: sts:GetWebIdentityToken without an audience condition`).toMatchObject({ 'ForAllValues:StringEquals': { 'sts:IdentityTokenAudience': 'api://AzureADTokenExchange' } });
          continue;
        }
        if (st.actions.some((a) => MUTATIONS.test(a) || /^(dynamodb:(Put|Update)|sqs:Send|sts:)/.test(a))) {
          expect(st.resources, `${f.name}: ${st.actions.join(',')}`).not.toContain('*');
        }
      }
    }
  });

  it('gives remediation calls only to the executor, plus the deletes of `auto` rules to what runs them', () => {
    for (const f of deployed) {
      const mutations = ALL(f.name).filter((a) => MUTATIONS.test(a));
      if (f.name === 'execute') continue;
      // The Google Cloud and Azure executors act on their clouds alone: no AWS mutation at all (checked below).
      // idle-endpoint is the fixture's only auto rule; its action runs inside the scan and event use-cases.
      expect({ [f.name]: mutations }).toEqual({ [f.name]: ['scan-worker', 'events-eventbridge'].includes(f.name) ? ['sagemaker:DeleteEndpoint'] : [] });
    }
  });

  it('scopes SageMaker calls to the own account and its configured regions', () => {
    const worker = statementsOf('scan-worker');
    expect(resourcesOf(worker, 'sagemaker:DeleteEndpoint')).toEqual([arn(OWN, 'us-east-1', 'endpoint')]);
    const executor = statementsOf('execute');
    expect(resourcesOf(executor, 'sagemaker:CreateEndpoint')).toEqual([arn(OWN, 'us-east-1', 'endpoint-config'), arn(OWN, 'us-east-1', 'endpoint')]);
    expect(resourcesOf(executor, 'sagemaker:StopNotebookInstance')).toEqual([arn(OWN, 'us-east-1', 'notebook-instance')]);
    expect(resourcesOf(worker, 'sagemaker:DescribeEndpoint')).toContain(arn(OWN, 'us-east-1', 'endpoint'));
    for (const r of resourcesOf(worker, 'sagemaker:DescribeEndpoint')) expect(r).toMatch(new RegExp(`:us-east-1:${OWN}:`));
    expect(resourcesOf(worker, 'sagemaker:ListEndpoints')).toEqual(['*']);
    expect(resourcesOf(worker, 's3:ListBucket')).toEqual(['arn:<AWS::Partition>:s3:::ml-artifacts-prod']);
    expect(resourcesOf(worker, 'budgets:ViewBudget')).toEqual([`arn:<AWS::Partition>:budgets::${OWN}:budget/*`]);
  });

  it('denies stopping or deleting a resource tagged exempt, whatever else allows it', () => {
    for (const name of ['scan-worker', 'events-eventbridge', 'execute'].filter((n) => deployed.some((f) => f.name === n))) {
      const deny = statementsOf(name).find((x) => x.effect === 'Deny');
      expect(deny, name).toMatchObject({ resources: ['*'], conditions: { StringEqualsIgnoreCase: { 'aws:ResourceTag/costwatch:exempt': 'true' } } });
      const mutations = ALL(name).filter((a) => /^sagemaker:(Delete|Stop)/.test(a));
      expect(deny!.actions).toEqual(expect.arrayContaining(mutations));
    }
  });

  it('assumes exactly the configured member roles, with the external id where one is set', () => {
    const assume = statementsOf('scan-worker').filter((x) => x.actions.includes('sts:AssumeRole'));
    expect(assume.map(({ resources, conditions }) => ({ resources, conditions })).sort((a, b) => a.resources[0]!.localeCompare(b.resources[0]!))).toEqual([
      { resources: [`arn:<AWS::Partition>:iam::${MEMBER_WITH_EXTERNAL_ID}:role/CostwatchReadAndAct`], conditions: { StringEquals: { 'sts:ExternalId': 'costwatch-ml-prod' } } },
      { resources: [`arn:<AWS::Partition>:iam::${MEMBER}:role/CostwatchReadAndAct`], conditions: undefined },
    ]);
  });

  it('lets each function read only the secrets it uses', () => {
    const secretIds = new Map(ofType(t, 'AWS::SecretsManager::Secret').map(([id]) => [id, id.replace(/[0-9A-F]{8}$/, '')]));
    const expected: Record<string, string[]> = { 'webhook-gcp': ['SlackSecret', 'WebhookSecret'], 'webhook-azure': ['SlackSecret', 'WebhookSecret'], 'scan-worker-azure': ['AzureSecret', 'SlackSecret'], 'scan-worker-gcp': ['GcpSecret', 'SlackSecret'], 'execute-gcp': ['GcpSecret', 'SlackSecret'], 'execute-azure': ['AzureSecret', 'SlackSecret'] };
    for (const f of deployed) {
      const read = resourcesOf(statementsOf(f.name), 'secretsmanager:GetSecretValue').map((r) => secretIds.get(r.replace(/^<|>$/g, '')));
      const want = expected[f.name] ?? (f.access.secrets?.includes('slackSecretArn') ? ['SlackSecret'] : []);
      expect({ [f.name]: read.sort() }).toEqual({ [f.name]: want });
      const decrypt = statementsOf(f.name).find((x) => x.actions.includes('kms:Decrypt'));
      if (want.length > 0) expect(decrypt?.conditions).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
    }
  });

  it('grants the calls of every AWS SDK client a bundle imports (at start or on first use): no bundle carries a client its function may not call', () => {
    const service: Record<string, string> = {
      '@aws-sdk/client-dynamodb': 'dynamodb',
      '@aws-sdk/lib-dynamodb': 'dynamodb',
      '@aws-sdk/client-sqs': 'sqs',
      '@aws-sdk/client-secrets-manager': 'secretsmanager',
      '@aws-sdk/client-sagemaker': 'sagemaker',
      '@aws-sdk/client-application-auto-scaling': 'application-autoscaling',
      '@aws-sdk/client-cloudwatch': 'cloudwatch',
      '@aws-sdk/client-cost-explorer': 'ce',
      '@aws-sdk/client-budgets': 'budgets',
      '@aws-sdk/client-s3': 's3',
      '@aws-sdk/client-pricing': 'pricing',
      '@aws-sdk/client-sts': 'sts',
      '@aws-sdk/credential-providers': 'sts',
    };
    for (const f of deployed) {
      const granted = new Set(ALL(f.name).map((a) => a.split(':')[0]));
      const clients = externalImports(metafile(f.name)).filter((p) => p.startsWith('@aws-sdk/') && p !== '@aws-sdk/util-dynamodb');
      expect(clients.length, `${f.name} imports no AWS SDK client: is the metafile read?`).toBeGreaterThan(0);
      for (const c of clients) {
        expect(service[c], `${f.name}: unknown client ${c}`).toBeDefined();
        expect(granted.has(service[c]!), `${f.name} imports ${c} but may not call ${service[c]}`).toBe(true);
      }
    }
  });
});

describe('bundles', () => {
  it('keep the AWS SDK external and contain no Google Cloud or Azure SDK where none is allowed', () => {
    for (const f of deployed) {
      const meta = metafile(f.name);
      expect(Object.keys(meta.inputs).some((p) => p.startsWith(`functions/${f.name}.ts`)), `${f.name}: metafile of another bundle`).toBe(true);
      expect({ [f.name]: forbiddenSdkPackages(meta, f.foreignSdks) }).toEqual({ [f.name]: [] });
    }
  });

  it('keep every Google client in the Google Cloud scan function and executor: none in the AWS executor or scanner, the Slack handler or the webhooks', () => {
    const google = (name: string) => [...bundledPackages(metafile(name)).keys()].filter((p) => /^@google-cloud\/|^google-gax$|^google-auth-library$|^gaxios$|^protobufjs$/.test(p));
    for (const name of ['execute', 'execute-azure', 'scan-worker', 'slack-interactions', 'webhook-gcp', 'webhook-azure', 'scan-dispatch', 'scan-worker-azure']) expect({ [name]: google(name) }).toEqual({ [name]: [] });
    // The ones that scan and act on Google Cloud do carry them: the assertion above is not vacuous.
    for (const name of ['scan-worker-gcp', 'execute-gcp']) expect(google(name), name).toEqual(expect.arrayContaining(['@google-cloud/aiplatform', '@google-cloud/storage', 'google-gax']));
    expect(deployed.find((f) => f.name === 'scan-worker-gcp')?.foreignSdks).toEqual(['gcp']);
  });

  it('keep every Azure client in the Azure scan function and executor: none in the AWS or Google Cloud executor', () => {
    const azure = (name: string) => [...bundledPackages(metafile(name)).keys()].filter((p) => /^@azure\/|^@azure-rest\//.test(p));
    for (const name of ['execute', 'execute-gcp', 'scan-worker', 'slack-interactions', 'scan-worker-gcp']) expect({ [name]: azure(name) }).toEqual({ [name]: [] });
    // The Azure executor carries them (the check above can fail).
    for (const name of ['scan-worker-azure', 'execute-azure']) expect(azure(name), name).toEqual(expect.arrayContaining(['@azure/arm-machinelearning', '@azure/identity']));
    expect(deployed.find((f) => f.name === 'execute')?.foreignSdks).toEqual([]);
  });

  it('contain no schema library or YAML parser, and stay within their budget', () => {
    for (const f of deployed) {
      const meta = metafile(f.name);
      const packages = [...bundledPackages(meta).keys()];
      expect({ [f.name]: packages.filter((p) => FORBIDDEN_IN_BUNDLES.some((re) => re.test(p))) }).toEqual({ [f.name]: [] });
      const kib = statSync(join(assetDir(f.name), 'index.mjs')).size / 1024;
      expect(kib, `${f.name}: bundle ${kib.toFixed(1)} KiB, budget ${f.bundleBudgetKib} KiB (infra/function-table.ts)`).toBeLessThanOrEqual(f.bundleBudgetKib);
    }
  });

  it('load no AWS SDK client at start but the state table\'s (the dispatcher: SQS): every other client is loaded by its first call', () => {
    const atStart: Readonly<Record<string, readonly string[]>> = { 'scan-dispatch': ['@aws-sdk/client-sqs'] };
    const stateTable = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/util-dynamodb'];
    for (const f of deployed) {
      const meta = metafile(f.name);
      const aws = startupImports(meta).filter((p) => p.startsWith('@aws-sdk/'));
      expect({ [f.name]: aws }).toEqual({ [f.name]: atStart[f.name] ?? stateTable });
    }
    // The clients the scanner calls are still in its bundle, loaded on first use: the assertion above is not vacuous.
    expect(externalImports(metafile('scan-worker'))).toEqual(expect.arrayContaining(['@aws-sdk/client-sagemaker', '@aws-sdk/client-cloudwatch', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager']));
  });

  it('load in Node.js with their environment, bundled files and secrets, exporting a handler', async () => {
    const run = promisify(execFile);
    const stub = await startAwsJsonStub();
    try {
      const secretArn = (k: string) => `arn:aws:secretsmanager:us-east-1:${OWN}:secret:${k.toLowerCase()}`;
      stub.secrets.set(secretArn(ENV.slackSecretArn), JSON.stringify({ botToken: 'xoxb-test', signingSecret: 'test' }));
      stub.secrets.set(secretArn(ENV.webhookSecretArn), JSON.stringify({ azureToken: 't', gcpAudience: 'a', gcpServiceAccountEmail: 'x@example.iam.gserviceaccount.com' }));
      // One process imports every bundle in turn, each with its own environment (read at import).
      const plan = deployed.map((f) => {
        const dir = assetDir(f.name);
        const vars = (t.Resources[fnOf(f.name)]!.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(vars)) env[k] = typeof v === 'string' ? v : k.endsWith('_SECRET_ARN') ? secretArn(k) : `https://sqs.us-east-1.amazonaws.com/${OWN}/${k.toLowerCase()}`;
        env[ENV.policyFile] = join(dir, 'policy.json');
        return { name: f.name, bundle: join(dir, 'index.mjs'), env };
      });
      const script = `
        const out = {};
        for (const p of ${JSON.stringify(plan)}) {
          for (const k of ${JSON.stringify(Object.values(ENV))}) delete process.env[k];
          Object.assign(process.env, p.env);
          const m = await import(p.bundle);
          out[p.name] = typeof m.handler;
        }
        console.log('RESULT ' + JSON.stringify(out));
        process.exit(0);`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env['PATH'] ?? '',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: stub.url,
        },
        timeout: 30_000,
      });
      const results = Object.entries(JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as Record<string, string>);
      // Secrets are read by the first invocation that needs them, never at import.
      expect(stub.calls).not.toContain('secretsmanager.GetSecretValue');
      expect(Object.fromEntries(results)).toEqual(Object.fromEntries(deployed.map((f) => [f.name, 'function'])));
    } finally {
      await stub.close();
    }
  });
});

describe('the deployed scan functions', () => {
  it('dispatch and scan from their bundles: SQS, SageMaker, CloudWatch and DynamoDB through the real SDK', async () => {
    const run = promisify(execFile);
    const require = createRequire(import.meta.url);
    const dynalite = (require('dynalite') as (o: Record<string, number>) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    // The deployed worker reads the system clock, so the sample world is moved to now.
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const [stub, sb] = await Promise.all([startAwsJsonStub(), loadWorld(SAMPLE_WORLD_PATH).then((world) => startSandbox({ world: { ...world, now } }))]);
    await new Promise<void>((ok) => dynalite.listen(0, '127.0.0.1', ok));
    const dynamoUrl = `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`;
    try {
      const ddb = new DynamoDBClient({ endpoint: dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      await ddb.send(new CreateTableCommand({ TableName: 'state', KeySchema: STATE_TABLE_SCHEMA.keySchema, AttributeDefinitions: STATE_TABLE_SCHEMA.attributeDefinitions, BillingMode: STATE_TABLE_SCHEMA.billingMode }));
      const invoke = async (name: string, event: unknown, env: Record<string, string>) => {
        const dir = assetDir(name);
        const context = { functionName: name, functionVersion: '$LATEST', invokedFunctionArn: 'arn', memoryLimitInMB: '512', awsRequestId: 'r1', getRemainingTimeInMillis: () => 60_000 };
        const script = `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); const ctx = ${JSON.stringify(context).replace('"getRemainingTimeInMillis":null', '')}; ctx.getRemainingTimeInMillis = () => 60000; console.log('RESULT ' + JSON.stringify(await m.handler(${JSON.stringify(event)}, ctx))); process.exit(0);`;
        const base = { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', [ENV.policyFile]: join(dir, 'policy.json') };
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...base, ...env }, cwd: dir, timeout: 30_000 });
        return JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length)) as unknown;
      };

      // The dispatcher, as the schedule invokes it: one message per scope of the bundled policy.
      // The SQS client sends to the queue URL's host, so the queue URL names the local endpoint.
      const queueUrl = `${stub.url}/${OWN}/scan`;
      const dispatched = await invoke('scan-dispatch', { rules: ['idle-endpoint'] }, { [ENV.scanQueueUrl]: queueUrl, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
      expect(dispatched).toMatchObject({ rules: ['idle-endpoint'], scopes: [`aws:${OWN}`, `aws:${MEMBER_WITH_EXTERNAL_ID}`, `aws:${MEMBER}`, 'gcp:ml-research-prod', 'azure:3f2504e0-4f89-11d3-9a0c-0305e82c3301'] });
      const own = stub.messages.map((m) => m.body).find((b) => b.includes(OWN))!;

      // The worker, as the queue invokes it, on the own account (read with the function's credentials).
      const creds = sandboxAwsCredentials(OWN);
      const scanned = await invoke('scan-worker', { Records: [{ messageId: 'm1', body: own, attributes: { ApproximateReceiveCount: '1' }, eventSourceARN: 'arn:aws:sqs:us-east-1:1:scan' }] }, {
        [ENV.stateTable]: 'state',
        [ENV.executionQueueUrl]: `${stub.url}/${OWN}/execution`,
        AWS_ENDPOINT_URL: sb.awsEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      });
      expect(scanned).toEqual({ batchItemFailures: [] });
      const items = await ddb.send(new ScanCommand({ TableName: 'state' }));
      const proposals = (items.Items ?? []).map((i) => unmarshall(i)).filter((i) => i['pk'] === 'PROPOSAL');
      const fraud = proposals.map((p) => p['doc'] as { resource: { name: string }; status: string }).find((p) => p.resource.name === 'fraud-v3');
      // idle-endpoint is `auto` in the bundled policy: the worker deleted the idle endpoint itself.
      expect(fraud?.status).toBe('executed');
      const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: creds });
      await expect(sm.send(new DescribeEndpointCommand({ EndpointName: 'fraud-v3' }))).rejects.toThrow(/fraud-v3/);
    } finally {
      await Promise.all([stub.close(), sb.close(), new Promise((ok) => dynalite.close(ok))]);
    }
  });
});

describe('asynchronous paths', () => {
  const dlqIds = () => new Set(ofType(t, 'AWS::SQS::Queue').filter(([id]) => /Dlq/.test(id)).map(([id]) => id));

  it('give every asynchronously invoked function a dead-letter queue, and every SQS queue a redrive policy', () => {
    const dlqs = dlqIds();
    for (const f of deployed.filter((x) => ['scan-schedules', 'digest-schedule', 'cost-topic', 'event-rules'].includes(x.trigger.kind))) {
      const target = refOf((t.Resources[fnOf(f.name)]!.Properties!['DeadLetterConfig'] as { TargetArn: unknown } | undefined)?.TargetArn);
      expect(dlqs.has(target ?? ''), `${f.name} has no dead-letter queue`).toBe(true);
    }
    const queues = ofType(t, 'AWS::SQS::Queue').filter(([id]) => !dlqs.has(id));
    expect(queues.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([...(deployed.some((f) => f.name === 'execute-azure') ? ['ExecutionAzureQueue'] : []), ...(deployed.some((f) => f.name === 'execute-gcp') ? ['ExecutionGcpQueue'] : []), ...(deployed.some((f) => f.name === 'execute') ? ['ExecutionQueue'] : []), ...(deployed.some((f) => f.name === 'scan-worker-azure') ? ['ScanAzureQueue'] : []), ...(deployed.some((f) => f.name === 'scan-worker-gcp') ? ['ScanGcpQueue'] : []), 'ScanQueue']);
    for (const [id, q] of queues) {
      const redrive = q.Properties?.['RedrivePolicy'] as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      expect(dlqs.has(refOf(redrive?.deadLetterTargetArn) ?? ''), id).toBe(true);
      expect(redrive.maxReceiveCount).toBe(3);
    }
  });

  it('give each cloud its own FIFO execution queue, and every producer of execution jobs the URL of and a send grant on each', () => {
    const queueId = (name: string) => ofType(t, 'AWS::SQS::Queue').find(([id]) => id.replace(/[0-9A-F]{8}$/, '') === name)![0];
    const ids = ['ExecutionQueue', 'ExecutionGcpQueue', 'ExecutionAzureQueue'].map(queueId);
    for (const id of ids) expect(t.Resources[id]!.Properties!['FifoQueue'], id).toBe(true);
    const vars = { EXECUTION_QUEUE_URL: ids[0], GCP_EXECUTION_QUEUE_URL: ids[1], AZURE_EXECUTION_QUEUE_URL: ids[2] };
    // Every function that enqueues execution jobs (Slack clicks, scans requeueing approvals and undos of any cloud).
    for (const name of ['slack-interactions', 'scan-worker', 'scan-worker-gcp', 'scan-worker-azure']) {
      const env = (t.Resources[fnOf(name)]!.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(Object.fromEntries(Object.keys(vars).map((v) => [v, refOf(env[v])])), name).toEqual(vars);
      const sendTo = resourcesOf(statementsOf(name), 'sqs:SendMessage').map((r) => r.replace(/^<|>$/g, '').replace(/\.Arn$/, ''));
      expect(sendTo.sort(), name).toEqual([...ids].sort());
    }
    // The executors consume their own queue and send to none.
    for (const [name, id] of [['execute', ids[0]], ['execute-gcp', ids[1]], ['execute-azure', ids[2]]] as const) {
      const mapping = ofType(t, 'AWS::Lambda::EventSourceMapping').find(([, m]) => refOf(m.Properties!['FunctionName']) === fnOf(name))![1].Properties!;
      expect(refOf(mapping['EventSourceArn']), name).toBe(id);
      expect(ALL(name).filter((a) => a === 'sqs:SendMessage'), name).toEqual([]);
    }
  });

  it('dead-letters undeliverable schedule, event-rule and topic deliveries too', () => {
    const dlqs = dlqIds();
    for (const [id, r] of ofType(t, 'AWS::Scheduler::Schedule')) {
      expect(dlqs.has(refOf((r.Properties!['Target'] as { DeadLetterConfig?: { Arn: unknown } }).DeadLetterConfig?.Arn) ?? ''), id).toBe(true);
    }
    const rules = ofType(t, 'AWS::Events::Rule');
    expect(rules.length).toBe(2);
    for (const [id, r] of rules) {
      for (const target of r.Properties!['Targets'] as { DeadLetterConfig?: { Arn: unknown } }[]) expect(dlqs.has(refOf(target.DeadLetterConfig?.Arn) ?? ''), id).toBe(true);
    }
    const subs = ofType(t, 'AWS::SNS::Subscription');
    expect(subs.length).toBeGreaterThan(0);
    for (const [id, r] of subs) expect(dlqs.has(refOf((r.Properties!['RedrivePolicy'] as { deadLetterTargetArn: unknown }).deadLetterTargetArn) ?? ''), id).toBe(true);
  });

  it('alarms on every dead-letter queue depth and every function error, to the alarm topic', () => {
    const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const alarmTopic = ofType(t, 'AWS::SNS::Topic').find(([id]) => id.startsWith('AlarmTopic'))![0];
    for (const a of alarms) expect((a['AlarmActions'] as unknown[]).map(refOf)).toEqual([alarmTopic]);
    const watched = (metric: string) =>
      alarms.filter((a) => a['MetricName'] === metric).map((a) => refOf((a['Dimensions'] as { Value: unknown }[])[0]!.Value));
    expect(watched('ApproximateNumberOfMessagesVisible').sort()).toEqual([...dlqIds()].sort());
    const depth = alarms.find((a) => a['MetricName'] === 'ApproximateNumberOfMessagesVisible')!;
    expect(depth).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(watched('Errors').sort()).toEqual(deployed.map((f) => fnOf(f.name)).sort());
  });

  it('alarms when a Function URL throttles (reserved concurrency exhausted: callers get 429)', () => {
    const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const throttles = alarms.filter((a) => a['MetricName'] === 'Throttles');
    const urlFunctions = deployed.filter((f) => f.trigger.kind === 'url');
    expect(urlFunctions.length).toBeGreaterThan(0);
    expect(throttles.map((a) => refOf((a['Dimensions'] as { Value: unknown }[])[0]!.Value)).sort()).toEqual(urlFunctions.map((f) => fnOf(f.name)).sort());
    for (const a of throttles) expect(a).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('alarms when the oldest message of the scan or execution queue has waited longer than one visibility timeout', () => {
    const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const age = alarms.filter((a) => a['MetricName'] === 'ApproximateAgeOfOldestMessage');
    const queueOf = (a: Record<string, unknown>) => refOf((a['Dimensions'] as { Value: unknown }[])[0]!.Value)!;
    const byQueue = Object.fromEntries(age.map((a) => [queueOf(a).replace(/[0-9A-F]{8}$/, ''), a]));
    // The fixture policy scans and acts on Azure and Google Cloud too: their scan and execution queues are watched like the AWS ones.
    expect(Object.keys(byQueue).sort()).toEqual(['ExecutionAzureQueue', 'ExecutionGcpQueue', 'ExecutionQueue', 'ScanAzureQueue', 'ScanGcpQueue', 'ScanQueue']);
    for (const [queue, consumer] of [['ScanQueue', 'scan-worker'], ['ScanAzureQueue', 'scan-worker-azure'], ['ScanGcpQueue', 'scan-worker-gcp'], ['ExecutionQueue', 'execute'], ['ExecutionGcpQueue', 'execute-gcp'], ['ExecutionAzureQueue', 'execute-azure']] as const) {
      const timeout = deployed.find((f) => f.name === consumer)!.timeoutSeconds;
      const visibility = t.Resources[queueOf(byQueue[queue]!)]!.Properties!['VisibilityTimeout'];
      expect(visibility).toBe(timeout * 6);
      expect(byQueue[queue]).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: timeout * 6, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('bounds the scan workers with the event source mapping, and gives the queue time for six attempts', () => {
    const worker = deployed.find((f) => f.name === 'scan-worker')!;
    const mapping = ofType(t, 'AWS::Lambda::EventSourceMapping').find(([, m]) => refOf(m.Properties!['FunctionName']) === fnOf('scan-worker'))![1].Properties!;
    expect(mapping).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: 20 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const queue = t.Resources[refOf(mapping['EventSourceArn'])!]!;
    expect(queue.Properties!['VisibilityTimeout']).toBe(worker.timeoutSeconds * 6);
  });
});

describe('schedules', () => {
  it('scan on the cadences the policy file asks for, each with its rules', () => {
    const schedules = ofType(t, 'AWS::Scheduler::Schedule')
      .map(([, r]) => r.Properties!)
      .filter((p) => refOf((p['Target'] as { Arn: unknown }).Arn) === fnOf('scan-dispatch'))
      .map((p) => ({ expression: p['ScheduleExpression'], rules: JSON.parse((p['Target'] as { Input: string }).Input).rules }));
    // Rates become crons at their own minute; the policy's own cron is kept as written.
    expect(schedules.sort((a, b) => String(a.expression).localeCompare(String(b.expression)))).toEqual([
      { expression: 'cron(0 19 ? * MON-FRI *)', rules: ['idle-notebook'] },
      { expression: 'cron(22 2 * * ? *)', rules: ['cold-artifacts', 'budget-breach', 'forecast-breach', 'cost-anomaly', 'spot-training', 'untagged-spend', 'commitment-coverage', 'billing-cap'] },
      { expression: 'cron(37 * * * ? *)', rules: ['idle-endpoint'] },
      { expression: 'cron(52 3/6 * * ? *)', rules: ['underused-endpoint', 'long-training-job', 'idle-cluster', 'autoscaling-floor'] },
    ]);
    const minutes = schedules.map((x) => String(x.expression).split(/[( ]/)[1]);
    expect(new Set(minutes).size).toBe(minutes.length);
  });

  it('refuses at deploy (CloudFormation rule) an account other than the one the policy reads without a roleName', () => {
    const rules = (t as { Rules?: Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }> }).Rules ?? {};
    expect(rules['OwnAccountIsDeployAccount']?.Assertions).toEqual([
      { Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, OWN] }, AssertDescription: expect.stringMatching(/clouds\.aws\.accounts\[0\] \(111111111111\) has no roleName/) },
    ]);
  });

  it('refuses at synth a stack whose account is known and is not that account', async () => {
    const policy = await loadDeployPolicy(FIXTURE);
    expect(() => new WatchdogStack(new App(), 'costwatch', { policy, env: { account: '999999999999', region: 'us-east-1' } })).toThrow(ConfigError);
    expect(() => new WatchdogStack(new App(), 'costwatch', { policy, env: { account: '999999999999', region: 'us-east-1' } })).toThrow(/111111111111 has no roleName.*deploys to 999999999999/);
  });

  it('runs the weekly digest on Monday mornings when the digest function is deployed', () => {
    const digest = ofType(t, 'AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('DigestSchedule'));
    if (!deployed.some((f) => f.name === 'digest')) {
      expect(digest).toEqual([]);
      return;
    }
    expect(digest.map(([, r]) => r.Properties!['ScheduleExpression'])).toEqual(['cron(0 9 ? * MON *)']);
  });

  it('lets EventBridge Scheduler invoke only the scheduled functions', () => {
    const role = ofType(t, 'AWS::IAM::Role').find(([id]) => id.startsWith('SchedulerRole'))!;
    expect((role[1].Properties!['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    const scheduled = deployed.filter((f) => f.trigger.kind.endsWith('schedule') || f.trigger.kind === 'scan-schedules').map((f) => `<${fnOf(f.name)}.Arn>`);
    const invoke = resourcesOf(functionStatementsOfRole(role[0]), 'lambda:InvokeFunction');
    expect(invoke.sort()).toEqual(scheduled.flatMap((a) => [a, `${a}:*`]).sort());
  });

  it('routes SageMaker state changes and Cost Anomaly Detection events to the events function', () => {
    const rules = ofType(t, 'AWS::Events::Rule').map(([, r]) => r.Properties!);
    // Exactly what the events parser reads, so no event type is matched only to be refused.
    expect(rules.map((r) => r['EventPattern'])).toEqual([
      { source: ['aws.sagemaker'], 'detail-type': Object.keys(SAGEMAKER_DETAIL_TYPES) },
      { source: ['aws.ce'], 'detail-type': ['Anomaly Detected'] },
    ]);
    expect(Object.keys(SAGEMAKER_DETAIL_TYPES)).toContain('SageMaker Training Job State Change');
    for (const r of rules) expect((r['Targets'] as { Arn: unknown }[]).map((x) => refOf(x.Arn))).toEqual([fnOf('events-eventbridge')]);
  });
});

describe('function URLs', () => {
  it('are auth NONE (requests are verified in code) and throttled by reserved concurrency', () => {
    const urls = ofType(t, 'AWS::Lambda::Url').map(([, u]) => u.Properties!);
    const urlFunctions = deployed.filter((f) => f.trigger.kind === 'url');
    expect(urlFunctions.length).toBeGreaterThanOrEqual(2);
    expect(urls.map((u) => refOf(u['TargetFunctionArn'])).sort()).toEqual(urlFunctions.map((f) => fnOf(f.name)).sort());
    for (const u of urls) expect(u['AuthType']).toBe('NONE');
    for (const f of urlFunctions) {
      const reserved = t.Resources[fnOf(f.name)]!.Properties!['ReservedConcurrentExecutions'];
      expect({ [f.name]: reserved }).toEqual({ [f.name]: (f.trigger as { reservedConcurrency: number }).reservedConcurrency });
      expect(t.Outputs?.[(f.trigger as { output: string }).output]).toBeDefined();
    }
    // Nothing else is reachable from the internet.
    const publicInvoke = ofType(t, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties!['Principal'] === '*');
    for (const [, p] of publicInvoke) expect(urlFunctions.map((f) => fnOf(f.name))).toContain(refOf(p.Properties!['FunctionName']));
  });
});

describe('encryption and data', () => {
  it('encrypts the table, every queue, both topics and every secret', () => {
    const [, table] = ofType(t, 'AWS::DynamoDB::Table')[0]!;
    expect(table.Properties!['SSESpecification']).toEqual({ SSEEnabled: true });
    for (const [id, q] of ofType(t, 'AWS::SQS::Queue')) expect(q.Properties!['SqsManagedSseEnabled'] ?? q.Properties!['KmsMasterKeyId'], id).toBeTruthy();
    const keys = new Set(ofType(t, 'AWS::KMS::Key').map(([id]) => id));
    for (const [id, topic] of ofType(t, 'AWS::SNS::Topic')) expect(keys.has(refOf(topic.Properties!['KmsMasterKeyId']) ?? ''), id).toBe(true);
    for (const [id, sec] of ofType(t, 'AWS::SecretsManager::Secret')) expect(keys.has(refOf(sec.Properties!['KmsKeyId']) ?? ''), id).toBe(true);
    for (const [id, k] of ofType(t, 'AWS::KMS::Key')) expect(k.Properties!['EnableKeyRotation'], id).toBe(true);
  });

  it('keeps state in an on-demand table with point-in-time recovery and TTL from the store schema', () => {
    const tables = ofType(t, 'AWS::DynamoDB::Table');
    expect(tables.length).toBe(1);
    const [, table] = tables[0]!;
    expect(table.Properties).toMatchObject({
      BillingMode: STATE_TABLE_SCHEMA.billingMode,
      KeySchema: STATE_TABLE_SCHEMA.keySchema,
      AttributeDefinitions: STATE_TABLE_SCHEMA.attributeDefinitions,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: STATE_TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
    });
    expect((table as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
  });

  it('lets AWS Budgets and Cost Anomaly Detection publish to the cost-events topic, for this account only', () => {
    const topic = ofType(t, 'AWS::SNS::Topic').find(([id]) => id.startsWith('CostEventsTopic'))![0];
    const policy = ofType(t, 'AWS::SNS::TopicPolicy').find(([, p]) => (p.Properties!['Topics'] as unknown[]).map(refOf).includes(topic))![1];
    const raw = (policy.Properties!['PolicyDocument'] as { Statement: { Principal?: { Service?: string }; Action: string; Condition?: unknown; Effect: string }[] }).Statement;
    const publishers = raw.filter((x) => x.Effect === 'Allow').map((x) => ({ service: x.Principal?.Service, action: x.Action, condition: x.Condition }));
    expect(publishers).toEqual([
      { service: 'budgets.amazonaws.com', action: 'sns:Publish', condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
      { service: 'costalerts.amazonaws.com', action: 'sns:Publish', condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    // The topic is encrypted with a customer key, so the publishers are allowed to use it.
    const keyId = refOf(t.Resources[topic]!.Properties!['KmsMasterKeyId'])!;
    const keyPolicy = (t.Resources[keyId]!.Properties!['KeyPolicy'] as { Statement: { Principal?: { Service?: string }; Action: string[]; Condition?: unknown }[] }).Statement;
    for (const service of ['budgets.amazonaws.com', 'costalerts.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      const statements = keyPolicy.filter((x) => x.Principal?.Service === service);
      expect(statements.map((x) => x.Action.sort()), service).toEqual([['kms:Decrypt', 'kms:GenerateDataKey*']]);
      // The service principals serve every AWS customer: the key is theirs only on this account's behalf.
      expect(statements[0]!.Condition, service).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    }
  });

  it('outputs the URLs, the topic, the secret names and the roles a member stack trusts', () => {
    expect(Object.keys(t.Outputs ?? {}).sort()).toEqual(
      [
        'AlarmTopicArn',
        'AzureSecretName',
        'AzureWebhookUrl',
        'CostEventsTopicArn',
        'GcpSecretName',
        'GcpWebhookUrl',
        'MemberTrustedRoleArns',
        'SlackSecretName',
        'StateTableName',
        'WebhookSecretName',
        ...(deployed.some((f) => f.name === 'slack-interactions') ? ['InteractivityUrl'] : []),
      ].sort(),
    );
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding (errors or warnings)', () => {
    expect(s.violations.map((v) => `${v.rule} (${v.severity}) ${v.resources.join(', ')}`)).toEqual([]);
    // The same pack run directly on the tree, independent of the report file.
    const direct = new AwsSolutionsChecks().validateScope(s.app);
    expect(direct.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges each finding on the construct that needs it, with a reason', () => {
    const acks: { path: string; id: string; reason: string }[] = [];
    for (const c of s.built.watchdog.node.findAll()) {
      for (const m of c.node.metadata.filter((x) => x.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push({ path: c.node.path, id, reason });
      }
    }
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) {
      expect(a.path, a.id).not.toBe('costwatch');
      expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(20);
    }
    expect(new Set(acks.map((a) => a.id.replace(/^annotation::/i, '').replace(/\[.*$/, '')))).toEqual(new Set(['AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']));
  });
});

describe('snapshot', () => {
  it('changes only when the infrastructure changes (Lambda code removed)', () => {
    expect(withoutCode(t)).toMatchSnapshot();
  });
});

function assetDir(name: string): string {
  const meta = t.Resources[fnOf(name)]!.Metadata!;
  return join(s.assembly.directory, String(meta['aws:asset:path']));
}

function metafile(name: string): Metafile {
  return JSON.parse(readFileSync(join(assetDir(name), 'index.meta.json'), 'utf8')) as Metafile;
}

function functionStatementsOfRole(roleId: string): Statement[] {
  return ofType(t, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!['Roles'] as unknown[]).some((r) => refOf(r) === roleId))
    .flatMap(([, p]) => documentStatements(p.Properties!['PolicyDocument']));
}
