import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { policyArtifact } from '../../shared/config/artifact.js';
import { parsePolicy } from '../../shared/config/load.js';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { DEFAULT_STUB_BOT_TOKEN, startSlackStub, type SlackStub } from '../../shared/sandbox/slack/index.js';
import { STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';

/*
 * The deployed handlers themselves (functions/*.ts): environment loaded through the contract,
 * secrets read on first use (functions/lib/secrets.ts) with the real Secrets Manager client, state in DynamoDB
 * (dynalite) through the real client, SageMaker/CloudWatch in the sandbox cloud, Slack in the
 * stub. Endpoints come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables; the only
 * test-specific input is the Slack API URL (the stub's) and, for Google, the local key set.
 */

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: { createTableMs: number }) => Server;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');

const ACCOUNT = '111111111111';
const SLACK_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:costwatch/slack-AbCdEf';
const WEBHOOK_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:costwatch/webhooks-GhIjKl';
const AUDIENCE = 'https://gcp-hook.lambda-url.us-east-1.on.aws/';
const PUSHER = 'budget-pusher@my-project.iam.gserviceaccount.com';

const servers: Server[] = [];
let dir: string;
let sandbox: Sandbox;
let slack: SlackStub;
const secretReads: string[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Secrets Manager's GetSecretValue over the AWS JSON protocol, for the two secrets of the contract. */
function secretsManagerStub(secrets: Record<string, string>): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId ?? '';
      const target = String(req.headers['x-amz-target']);
      secretReads.push(id);
      const secret = secrets[id];
      if (target !== 'secretsmanager.GetSecretValue' || secret === undefined) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret.` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ ARN: id, Name: id.split(':').pop(), SecretString: secret, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1_700_000_000 }));
    });
  });
}

function lambdaContext(name: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function functionUrlEvent(body: string, opts: { method?: string; query?: Record<string, string>; headers?: Record<string, string> } = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: new URLSearchParams(opts.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    requestContext: { http: { method: opts.method ?? 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' } },
    body,
    isBase64Encoded: false,
  } as never;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'costwatch-events-fn-'));
  const dynamoUrl = await listen(dynalite({ createTableMs: 0 }));
  const ddb = new DynamoDBClient({ endpoint: dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await ddb.send(new CreateTableCommand({ TableName: 'costwatch-state', KeySchema: [...STATE_TABLE_SCHEMA.keySchema], AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions], BillingMode: STATE_TABLE_SCHEMA.billingMode }));
  ddb.destroy();
  const secretsUrl = await listen(
    secretsManagerStub({
      [SLACK_ARN]: JSON.stringify({ botToken: DEFAULT_STUB_BOT_TOKEN, signingSecret: 'unused-here' }),
      [WEBHOOK_ARN]: JSON.stringify({ azureToken: 'az-token-1', gcpAudience: AUDIENCE, gcpServiceAccountEmail: PUSHER }),
    }),
  );
  // The world's clock is the real one: deployed handlers run on the system clock.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  sandbox = await startSandbox({
    world: defineWorld({
      version: 1,
      now,
      aws: {
        accounts: [
          {
            id: ACCOUNT,
            name: 'ml-prod',
            regions: {
              'us-east-1': {
                sagemaker: { endpoints: [{ name: 'ranker-v2', createdAt: '-3h', variants: [{ instanceType: 'ml.m5.large', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 1 } } }] }] },
              },
            },
          },
        ],
      },
    }),
  });
  slack = await startSlackStub();
  // As deployed: the policy validated at synth, shipped as JSON.
  const policyFile = join(dir, 'policy.json');
  const yaml = `version: 1\nclouds:\n  aws:\n    accounts:\n      - id: "${ACCOUNT}"\n        regions: [us-east-1]\nslack:\n  channel: "#ml-costs"\n  approvers:\n    users: [U024BE7LH]\n`;
  await writeFile(policyFile, policyArtifact(parsePolicy(yaml, 'costwatch.yml').policy, 'costwatch.yml'));
  const creds = sandboxAwsCredentials(ACCOUNT);
  const env: Record<string, string> = {
    STATE_TABLE: 'costwatch-state',
    POLICY_FILE: policyFile,
    SLACK_SECRET_ARN: SLACK_ARN,
    WEBHOOK_SECRET_ARN: WEBHOOK_ARN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
    AWS_ENDPOINT_URL_SAGEMAKER: sandbox.awsEndpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: sandbox.awsEndpoint,
    AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: sandbox.awsEndpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await slack?.close();
  await sandbox?.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((ok) => s.close(ok));
  }
  await rm(dir, { recursive: true, force: true });
});

const texts = () => slack.workspace.allMessages().map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`);

describe('deployed event functions', () => {
  it('events-sns: a budget notification reaches Slack; a bad message fails with the reason', async () => {
    const { createHandler } = await import('../../functions/events-sns.js');
    const handler = createHandler({ slackApiUrl: slack.slackApiUrl });
    const message = (JSON.parse(fixture('budget_actual_sns_http_notification__cds-snc-sre-bot.json')) as { Message: string }).Message;
    const event = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: 'm1', Message: message, Timestamp: '2022-09-26T19:20:37.147Z' } }] };
    const result = await handler(event as never, lambdaContext('events-sns') as never);
    expect(result).toMatchObject({ published: ['budget-breach:aws-budgets:017790921725/Test Budget:2022-09:80%'] });
    expect(texts().filter((t) => t.includes('Test Budget'))).toHaveLength(1);
    expect(secretReads).toContain(SLACK_ARN);
    await expect(handler({ Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: 'Dear customer' } }] } as never, lambdaContext('events-sns') as never)).rejects.toThrow(
      /neither an AWS Budgets notification nor a Cost Anomaly Detection alert/,
    );
  });

  it('events-eventbridge: a new endpoint in service is re-read from the cloud and announced', async () => {
    const { createHandler } = await import('../../functions/events-eventbridge.js');
    const handler = createHandler({ slackApiUrl: slack.slackApiUrl });
    const doc = JSON.parse(fixture('sagemaker_endpoint_state_change__aws-doc.json')) as Record<string, unknown>;
    const event = { ...doc, account: ACCOUNT, region: 'us-east-1', time: new Date().toISOString(), resources: [], detail: { ...(doc['detail'] as object), EndpointName: 'ranker-v2', EndpointArn: undefined } };
    const result = await handler(event as never, lambdaContext('events-eventbridge') as never);
    expect(result).toMatchObject({ published: [`new-resource:arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/ranker-v2`] });
    expect(sandbox.calls()['sagemaker.DescribeEndpoint']).toBeGreaterThanOrEqual(1);
    expect(texts().filter((t) => t.includes('ranker-v2'))).toHaveLength(1);
  });

  it('webhook-azure: the URL token is checked against the secret; a valid alert reaches Slack', async () => {
    const { createHandler } = await import('../../functions/webhook-azure.js');
    const handler = createHandler({ slackApiUrl: slack.slackApiUrl });
    const body = fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json');
    const denied = (await handler(functionUrlEvent(body, { query: { token: 'nope' } }), lambdaContext('webhook-azure') as never)) as { statusCode: number; body: string };
    expect(denied.statusCode).toBe(401);
    expect(JSON.parse(denied.body)).toEqual({ ok: false, error: 'the token does not match' });
    const ok = (await handler(functionUrlEvent(body, { query: { token: 'az-token-1' } }), lambdaContext('webhook-azure') as never)) as { statusCode: number };
    expect(ok.statusCode).toBe(200);
    expect(texts().filter((t) => t.includes('Test_actual_cost_budget'))).toHaveLength(1);
    expect(secretReads).toContain(WEBHOOK_ARN);
  });

  it('webhook-gcp: the push token is verified (audience and service account from the secret); the notification reaches Slack', async () => {
    const pair = await generateKeyPair('RS256');
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
    const { createHandler } = await import('../../functions/webhook-gcp.js');
    const handler = createHandler({ slackApiUrl: slack.slackApiUrl, jwks });
    const sign = (aud: string) =>
      new SignJWT({ email: PUSHER, email_verified: true }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('accounts.google.com').setAudience(aud).setIssuedAt().setExpirationTime('5m').sign(pair.privateKey);
    const body = fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json');
    const wrongAud = (await handler(functionUrlEvent(body, { headers: { authorization: `Bearer ${await sign('https://elsewhere/')}` } }), lambdaContext('webhook-gcp') as never)) as { statusCode: number; body: string };
    expect(wrongAud.statusCode).toBe(401);
    expect(JSON.parse(wrongAud.body).error).toBe('the audience does not match');
    const ok = (await handler(functionUrlEvent(body, { headers: { authorization: `Bearer ${await sign(AUDIENCE)}` } }), lambdaContext('webhook-gcp') as never)) as { statusCode: number; body: string };
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).published).toHaveLength(2);
    expect(texts().filter((t) => t.includes('My Personal Budget'))).toHaveLength(2);
  });
});
