/**
 * The three Slack Lambda handlers as deployed: middy, the Slack secret read from Secrets Manager
 * (a local fake speaking its JSON protocol), the state table on dynalite, the execution queue
 * through the real SQS client (a local fake of SendMessage), SageMaker on the sandbox cloud and
 * Slack on the sandbox's stub. Endpoints reach the SDK clients the way a deployment could set them:
 * AWS_ENDPOINT_URL_<SERVICE>.
 */
import { loadPolicyArtifact, policyArtifact } from '../../shared/config/artifact.js';
import { parsePolicy } from '../../shared/config/load.js';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { priceBook, scanOptionsFor, slackNotifier } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { loadWorld, SAMPLE_WORLD_PATH, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';
import { APPROVER, clickPayload, signedRequest, SIGNING_SECRET } from '../e2e/harness.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: { createTableMs: number }) => Server;

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:costwatch/slack-AbCdEf';
// The SQS client sends to the host of the queue URL, so the fake queue lives at the fake's address.
let QUEUE_URL = '';

let sandbox: Sandbox;
let dir: string;
const servers: Server[] = [];
const sent: { body: string; id: string }[] = [];
let secretValue: unknown;
let secretReads = 0;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Secrets Manager GetSecretValue and SQS SendMessage over the AWS JSON protocol. */
function fakeAws(): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const input = JSON.parse(body || '{}') as Record<string, string>;
      let out: unknown;
      if (target === 'secretsmanager.GetSecretValue' && input['SecretId'] === SECRET_ARN) {
        secretReads++;
        out = { ARN: SECRET_ARN, Name: 'costwatch/slack', VersionId: 'v1', SecretString: JSON.stringify(secretValue), CreatedDate: 1 };
      } else if (target === 'AmazonSQS.SendMessage' && input['QueueUrl'] === QUEUE_URL) {
        const id = `m${sent.length + 1}`;
        sent.push({ body: input['MessageBody']!, id });
        out = { MessageId: id, MD5OfMessageBody: createHash('md5').update(input['MessageBody']!).digest('hex') };
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `no ${target}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
    });
  });
}

const lambdaContext = (name: string): never => ({ functionName: name, awsRequestId: `req-${name}`, functionVersion: '$LATEST', invokedFunctionArn: `arn:aws:lambda:us-east-1:111111111111:function:${name}`, memoryLimitInMB: '512', getRemainingTimeInMillis: () => 30_000 }) satisfies Partial<Context> as never;

function functionUrlEvent(req: { headers: Record<string, string>; rawBody: string }) {
  // Function URLs deliver a form body base64-encoded, with lower-case header names.
  return { version: '2.0', rawPath: '/', headers: req.headers, body: Buffer.from(req.rawBody).toString('base64'), isBase64Encoded: true, requestContext: { http: { method: 'POST' } } };
}

let dynamoUrl = '';
let awsUrl = '';
let policyPath = '';
let tables = 0;

// Servers that keep no state between tests start once; everything a test reads (the world, the
// state table, the queue) is fresh for each test, so each runs alone and in any order.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'costwatch-slack-fn-'));
  dynamoUrl = await listen(dynalite({ createTableMs: 0 }));
  awsUrl = await listen(fakeAws());
  QUEUE_URL = `${awsUrl}/111111111111/costwatch-execution`;
  // As deployed: the policy validated at synth, shipped as JSON.
  policyPath = join(dir, 'policy.json');
  const yaml = `version: 1
clouds: { aws: { accounts: [{ id: "111111111111", name: ml-prod, regions: [us-east-1, eu-west-1] }] } }
rules: { idle-endpoint: { mode: approve } }
slack: { channel: "#ml-costs", approvers: { users: [${APPROVER}] } }
`;
  await writeFile(policyPath, policyArtifact(parsePolicy(yaml, 'costwatch.yml').policy, 'costwatch.yml'));
});

beforeEach(async () => {
  sent.length = 0;
  sandbox = await startSandbox({ world: await loadWorld(SAMPLE_WORLD_PATH) });
  const table = `costwatch-state-${++tables}`;
  const raw = new DynamoDBClient({ endpoint: dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await raw.send(new CreateTableCommand({ TableName: table, KeySchema: [...STATE_TABLE_SCHEMA.keySchema], AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  await new Promise((r) => setTimeout(r, 10));
  secretValue = { botToken: sandbox.slack.botToken, signingSecret: SIGNING_SECRET };
  for (const [k, v] of Object.entries({
    STATE_TABLE: table,
    POLICY_FILE: policyPath,
    EXECUTION_QUEUE_URL: QUEUE_URL,
    SLACK_SECRET_ARN: SECRET_ARN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: sandboxAwsCredentials('111111111111').accessKeyId,
    AWS_SECRET_ACCESS_KEY: sandboxAwsCredentials('111111111111').secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: awsUrl,
    AWS_ENDPOINT_URL_SQS: awsUrl,
    AWS_ENDPOINT_URL_SAGEMAKER: sandbox.awsEndpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: sandbox.awsEndpoint,
    AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: sandbox.awsEndpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  })) {
    vi.stubEnv(k, v);
  }

  // What the scan worker does on a schedule: scan, store, post to Slack.
  const { policy } = await loadPolicyArtifact(policyPath);
  const store = new DynamoStateStore({ client: raw, tableName: table });
  const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
  const api = new WebApiSlack(slackWebClient(sandbox.slack.botToken, { slackApiUrl: sandbox.slackApiUrl }));
  await runScan(scanOptionsFor(policy, { now: () => sandbox.clock.now() }), { providers, store, clock: sandbox.clock, prices: priceBook(policy), notifier: slackNotifier(policy, { store, clock: sandbox.clock, providers, slack: { api } })! });
  raw.destroy();
});

afterEach(async () => {
  await sandbox?.close();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
  await rm(dir, { recursive: true, force: true });
});

const fraudMessage = () => sandbox.slack.allMessages().find((m) => m.text.includes('fraud-v3'))!;

/** An approver's click on Approve for fraud-v3, through the interactivity function; returns the execution job it queued. */
async function approveFraud(): Promise<string> {
  const { createHandler } = await import('../../functions/slack-interactions.js');
  const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
  const before = sent.length;
  const ok = await handler(functionUrlEvent(signedRequest(clickPayload(fraudMessage(), ACTION_IDS.approve, APPROVER))) as never, lambdaContext('slack-interactions'));
  expect(ok).toMatchObject({ statusCode: 200 });
  const job = sent.slice(before).find((m) => JSON.parse(m.body).type === 'execute');
  if (!job) throw new Error('the approval queued no execution job');
  return job.body;
}

/** The execute function run on one SQS record of the execution queue. */
async function runExecute(body: string): Promise<unknown> {
  const { createHandler } = await import('../../functions/execute.js');
  const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
  return handler({ Records: [{ messageId: 'job', body, eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:costwatch-execution' }] } as never, lambdaContext('execute'));
}

describe('the Slack functions as deployed', () => {
  it('slack-interactions answers a signed click with 200, records the decision and sends the job to SQS; refuses a bad signature with 401', async () => {
    const { createHandler } = await import('../../functions/slack-interactions.js');
    const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });

    const bad = await handler(functionUrlEvent(signedRequest(clickPayload(fraudMessage(), ACTION_IDS.approve, APPROVER), { secret: 'wrong' })) as never, lambdaContext('slack-interactions'));
    const ok = await handler(functionUrlEvent(signedRequest(clickPayload(fraudMessage(), ACTION_IDS.approve, APPROVER))) as never, lambdaContext('slack-interactions'));

    expect(bad).toMatchObject({ statusCode: 401, body: expect.stringContaining('X-Slack-Signature does not match') });
    expect(ok).toMatchObject({ statusCode: 200, body: '' });
    expect(sent.map((m) => JSON.parse(m.body).type)).toEqual(['execute']);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({ actor: APPROVER, replyTo: { channel: fraudMessage().channel, user: APPROVER, ts: fraudMessage().ts } });
    expect(secretReads).toBeGreaterThanOrEqual(1);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  });

  it('execute runs the job from SQS, reports the malformed message as the only batch item failure, and updates the message', async () => {
    const { createHandler } = await import('../../functions/execute.js');
    const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
    const job = await approveFraud();
    const event: SQSEvent = {
      Records: [
        { messageId: 'good', body: job, eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:costwatch-execution' },
        { messageId: 'garbage', body: '{"type":"delete-everything"}', eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:costwatch-execution' },
      ] as never,
    };

    const result = await handler(event as never, lambdaContext('execute'));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'garbage' }] });
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    expect(fraudMessage().text).toContain('— done');
    expect(JSON.stringify(fraudMessage().blocks)).toContain(ACTION_IDS.undo);
  });

  it('an executor refuses a job of another cloud’s proposal without touching it, so its own executor still runs it', async () => {
    const job = await approveFraud();
    const { createHandler } = await import('../../functions/execute-gcp.js');
    const gcpExecutor = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
    const describes = sandbox.calls()['sagemaker.DescribeEndpoint'] ?? 0;
    const misrouted = await gcpExecutor({ Records: [{ messageId: 'aws-job', body: job, eventSourceARN: 'arn:aws:sqs:us-east-1:111111111111:costwatch-ExecutionGcpQueue.fifo' }] } as never, lambdaContext('execute-gcp'));

    // Failed (retried, then dead-lettered), not cancelled for want of an AWS provider: the approval still stands.
    expect(misrouted).toEqual({ batchItemFailures: [{ itemIdentifier: 'aws-job' }] });
    expect(sandbox.calls()['sagemaker.DescribeEndpoint'] ?? 0).toBe(describes);
    expect(await runExecute(job)).toEqual({ batchItemFailures: [] });
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    expect(fraudMessage().text).toContain('— done');
  });

  it('execute holds back the rest of a FIFO batch after a failure, to keep each proposal’s jobs in order', async () => {
    const { createHandler } = await import('../../functions/execute.js');
    const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
    const fifo = 'arn:aws:sqs:us-east-1:111111111111:costwatch-execution.fifo';
    const reply = JSON.stringify({ type: 'reply', channel: fraudMessage().channel, user: APPROVER, text: 'hello', requestedAt: new Date().toISOString() });

    const result = await handler({ Records: [{ messageId: 'a', body: 'not json', eventSourceARN: fifo }, { messageId: 'b', body: reply, eventSourceARN: fifo }] } as never, lambdaContext('execute'));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }] });
    expect(sandbox.slack.ephemerals().filter((e) => e.text === 'hello')).toHaveLength(0);
  });

  it('digest posts the week’s figures once, however often it runs', async () => {
    expect(await runExecute(await approveFraud())).toEqual({ batchItemFailures: [] });
    const { createHandler } = await import('../../functions/digest.js');
    const handler = createHandler({ slackApiUrl: sandbox.slackApiUrl, clock: sandbox.clock });
    // fraud-v3 was deleted by the execute test above; ten hours later it has saved 10 h × its rate.
    sandbox.clock.advance(10 * 3_600_000);

    const first = await handler({ digest: 'weekly' } as never, lambdaContext('digest'));
    const second = await handler({ digest: 'weekly' } as never, lambdaContext('digest'));

    expect(first).toEqual({ posted: true, charts: ['spend-usd.png', 'savings-usd.png'] });
    expect(second).toEqual({ posted: false, reason: 'already posted or being posted (digest:2025-06-16)' });
    const digests = sandbox.slack.allMessages().filter((m) => m.text.startsWith('costwatch weekly digest'));
    expect(digests).toHaveLength(1);
    expect(digests[0]!.text).toContain('realized savings $28.16 this week');
    expect(sandbox.slack.files().map((f) => [f.filename, f.completed])).toEqual([
      ['spend-usd.png', true],
      ['savings-usd.png', true],
    ]);
  });

  it('refuses a Slack secret without its signing secret, naming the field and never the value', async () => {
    const { parseSlackSecret } = await import('../../shared/slack/secret.js');

    expect(() => parseSlackSecret({ botToken: 'xoxb-1' })).toThrow('the Slack secret is not usable: signingSecret');
    expect(() => parseSlackSecret('{not json')).toThrow('the Slack secret is not JSON');
    expect(() => parseSlackSecret({ botToken: 'xoxp-user-token', signingSecret: 'abcdefgh' })).toThrow('botToken must be a bot token (xoxb-…)');
    expect(parseSlackSecret(JSON.stringify({ botToken: 'xoxb-1', signingSecret: 'abcdefgh', appToken: 'xapp-1' }))).toEqual({ botToken: 'xoxb-1', signingSecret: 'abcdefgh', appToken: 'xapp-1' });
  });
});
