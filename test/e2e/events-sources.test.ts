import { readFileSync } from 'node:fs';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { priceBook, slackNotifier } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { receiveAzureAlert, receiveEventBridge, receiveGcpPush, receiveSns, type EventDeps, type EventLog, type HttpRequest } from '../../shared/events/index.js';
import { failOnUndelivered, NotDeliveredError } from '../../shared/events/runtime.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { DEFAULT_STUB_BOT_TOKEN, startSlackStub, type SlackStub, type StubMessage } from '../../shared/sandbox/slack/index.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

/*
 * Each source, end to end: its documented payload (as a cloud delivers it) → receiver →
 * normalized event → findings → dedup → SlackNotifier → the real @slack/web-api client →
 * a message in the local Slack stub. SageMaker events re-read the resource from the sandbox
 * cloud through the real SDK clients.
 */

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const NOW = '2025-06-18T12:00:00Z';
const AUDIENCE = 'https://webhook-gcp.example.lambda-url.us-east-1.on.aws/';
const PUSHER = 'budget-pusher@my-project.iam.gserviceaccount.com';
const AZURE_TOKEN = 'az-7f2c9d1e-webhook-token';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const silent: EventLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

const POLICY = `version: 1
clouds:
  aws:
    accounts:
      - id: "${ACCOUNT}"
        regions: [${REGION}]
rules:
  cost-anomaly:
    minImpact: 10
slack:
  channel: "#ml-costs"
  routes:
    - rules: [budget-breach, forecast-breach, cost-anomaly]
      channel: "#finops"
  approvers:
    users: [U024BE7LH]
`;

let sandbox: Sandbox;
let slack: SlackStub;
let store: StateStore;
let policy: Policy;
let deps: EventDeps;
let googleKey: CryptoKey;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  sandbox = await startSandbox({
    world: defineWorld({
      version: 1,
      now: NOW,
      aws: {
        accounts: [
          {
            id: ACCOUNT,
            name: 'ml-prod',
            regions: {
              [REGION]: {
                sagemaker: {
                  endpoints: [
                    { name: 'fraud-v4', createdAt: '-2h', variants: [{ instanceType: 'ml.g5.xlarge', instanceCount: 2, metrics: { invocations: { constant: 0 }, cpu: { constant: 3 } } }] },
                    { name: 'churn-old', createdAt: '-30d', variants: [{ instanceType: 'ml.m5.large', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 2 } } }] },
                  ],
                  notebookInstances: [{ name: 'alice-explore', instanceType: 'ml.t3.medium', createdAt: '-1h' }],
                },
              },
            },
          },
        ],
      },
    }),
  });
  slack = await startSlackStub();
  const pair = await generateKeyPair('RS256');
  googleKey = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'RS256' }] });
  policy = parsePolicy(POLICY, 'costwatch.yml', { now: new Date(NOW) }).policy;
});

afterAll(async () => {
  await slack?.close();
  await sandbox?.close();
});

beforeEach(async () => {
  store?.close().catch(() => undefined);
  store = await openMemoryStore();
  deps = eventDeps({ retries: 0 });
});

function eventDeps(opts: { retries: number }): EventDeps {
  const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
  const client = slackWebClient(DEFAULT_STUB_BOT_TOKEN, { slackApiUrl: slack.slackApiUrl, retryConfig: { retries: opts.retries } });
  const notifier = slackNotifier(policy, { store, clock: sandbox.clock, providers, slack: { api: new WebApiSlack(client) } });
  if (!notifier) throw new Error('policy has no slack section');
  return { policy, store, clock: sandbox.clock, providers, prices: priceBook(policy), notifier: failOnUndelivered(notifier) };
}

/** Messages posted since `before`, in any channel. */
function newMessages(before: number): StubMessage[] {
  return slack.workspace.allMessages().slice(before);
}
const count = () => slack.workspace.allMessages().length;
const textOf = (m: StubMessage) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;

function snsEvent(message: string, id: string) {
  return { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', Sns: { Type: 'Notification', MessageId: id, TopicArn: 'arn:aws:sns:us-east-1:111111111111:costwatch-events', Message: message, Timestamp: '2025-06-18T11:00:00.000Z' } }] };
}

/** The doc's SageMaker example rewritten for a resource of the sandbox world. */
function sageMakerEvent(file: string, detail: Record<string, unknown>, id: string) {
  const doc = JSON.parse(fixture(file)) as Record<string, unknown>;
  return { ...doc, id, account: ACCOUNT, region: REGION, time: NOW, resources: [], detail: { ...(doc['detail'] as object), ...detail } };
}

describe('each source reaches a Slack message in the stub', () => {
  it('AWS Budgets over SNS: one message per crossing, re-deliveries post nothing', async () => {
    const before = count();
    const event = JSON.parse(fixture('budget_actual_sns_http_notification__cds-snc-sre-bot.json')) as { Message: string };
    const [outcome] = await receiveSns(snsEvent(event.Message, 'sns-1'), { events: deps, log: silent });
    expect(outcome?.published).toEqual(['budget-breach:aws-budgets:017790921725/Test Budget:2022-09:80%']);
    const posted = newMessages(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.channel).toBe(slack.workspace.resolveChannel('#finops')!.id);
    expect(textOf(posted[0]!)).toContain('Test Budget');
    expect(textOf(posted[0]!)).toContain('$0.59');

    const again = await receiveSns(snsEvent(event.Message, 'sns-1'), { events: deps, log: silent });
    expect(again[0]?.duplicates).toHaveLength(1);
    expect(count()).toBe(before + 1);
  });

  it('Cost Anomaly Detection over SNS and over EventBridge', async () => {
    const before = count();
    await receiveSns(snsEvent(fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json'), 'sns-2'), { events: deps, log: silent });
    // The doc's EventBridge example, repaired as in events-parse.test.ts (comments, trailing comma, time placeholder).
    const eb = JSON.parse(
      fixture('cost_anomaly_eventbridge_Anomaly_Detected__aws-doc.jsonc')
        .replace(/\s\/\/[^\n]*/g, '')
        .replace(/,(\s*[}\]])/g, '$1')
        .replace('"<date>"', '"2021-05-25T10:00:00Z"'),
    ) as unknown;
    const outcome = await receiveEventBridge(eb, { events: deps, log: silent });
    expect(outcome.published).toEqual(['cost-anomaly:aws:12345678-abcd-ef12-3456-987654321a12']);
    const posted = newMessages(before);
    expect(posted).toHaveLength(2);
    expect(textOf(posted[0]!)).toContain('AWS CloudTrail');
    // The doc's placeholders arrive escaped for Slack (`&lt;dimension value&gt;`); the amount is plain.
    expect(textOf(posted[1]!)).toContain('$1,001.00');
  });

  it('SageMaker: a new endpoint in service is watched at once (re-read from the cloud) and announced with its cost', async () => {
    const before = count();
    sandbox.resetCalls();
    const ev = sageMakerEvent('sagemaker_endpoint_state_change__aws-doc.json', { EndpointName: 'fraud-v4', EndpointArn: undefined, EndpointStatus: 'IN_SERVICE' }, 'eb-1');
    const outcome = await receiveEventBridge(ev, { events: deps, log: silent });
    expect(outcome.published).toEqual(['new-resource:arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v4']);
    expect(outcome.findings[0]?.title).toMatch(/^new endpoint fraud-v4 in service \(2 × ml\.g5\.xlarge\), ~\$[\d,.]+\/month while it runs: watched from now$/);
    expect(outcome.findings[0]?.evidence.join('\n')).toMatch(/idle-endpoint: not judged yet \(created 2 h ago, younger than 24 h\)/);
    const calls = sandbox.calls();
    expect(calls['sagemaker.DescribeEndpoint']).toBeGreaterThanOrEqual(1);
    expect(calls['cloudwatch.GetMetricData']).toBeGreaterThanOrEqual(1);
    const posted = newMessages(before);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.channel).toBe(slack.workspace.resolveChannel('#ml-costs')!.id);
    expect(textOf(posted[0]!)).toContain('fraud-v4');
  });

  it('SageMaker: an endpoint back in service that is idle is judged at once, with an approve proposal', async () => {
    const before = count();
    const ev = sageMakerEvent('sagemaker_endpoint_state_change__aws-doc.json', { EndpointName: 'churn-old', EndpointArn: undefined, EndpointStatus: 'InService' }, 'eb-2');
    const outcome = await receiveEventBridge(ev, { events: deps, log: silent });
    expect(outcome.published).toEqual(['idle-endpoint:arn:aws:sagemaker:us-east-1:111111111111:endpoint/churn-old']);
    expect(outcome.proposals).toHaveLength(1);
    expect(outcome.proposals[0]).toMatchObject({ kind: 'aws.sagemaker.delete-endpoint', mode: 'approve', status: 'proposed' });
    expect(await store.getProposal(outcome.proposals[0]!.id)).toBeDefined();
    const posted = newMessages(before);
    expect(posted).toHaveLength(1);
    const buttons = (posted[0]!.blocks ?? []).flatMap((b) => ((b as { elements?: { type?: string; text?: { text?: string } }[] }).elements ?? []).filter((e) => e.type === 'button').map((e) => e.text?.text));
    expect(buttons.some((t) => /Approve/.test(t ?? ''))).toBe(true);
  });

  it('a budget alert lists the actions already proposed in its account, waiting for approval', async () => {
    const start = count();
    const ev = sageMakerEvent('sagemaker_endpoint_state_change__aws-doc.json', { EndpointName: 'churn-old', EndpointArn: undefined, EndpointStatus: 'InService' }, 'eb-5');
    const idle = await receiveEventBridge(ev, { events: deps, log: silent });
    const proposalId = idle.proposals[0]!.id;
    const before = count();
    // The documented budget message, for the account the proposal is in.
    const text = fixture('budget_actual_message_body__cds-snc-sre-bot.txt').replace('AWS Account 017790921725', `AWS Account ${ACCOUNT}`);
    const [outcome] = await receiveSns(snsEvent(text, 'sns-5'), { events: deps, log: silent });
    expect(outcome?.related).toEqual([proposalId]);
    const posted = newMessages(before);
    expect(posted).toHaveLength(1);
    expect(textOf(posted[0]!)).toMatch(/Proposed actions.*churn-old/);
    // The proposal's own message is not posted again: its alert and the budget's, nothing else.
    expect(newMessages(start)).toHaveLength(2);
  });

  it('SageMaker: a new notebook in service is watched at once', async () => {
    const before = count();
    const ev = sageMakerEvent('sagemaker_notebook_instance_state_change__rsw_doc.json', { NotebookInstanceName: 'alice-explore', NotebookInstanceArn: undefined, NotebookInstanceStatus: 'InService', Tags: {} }, 'eb-3');
    const outcome = await receiveEventBridge(ev, { events: deps, log: silent });
    expect(outcome.published).toHaveLength(1);
    expect(outcome.findings[0]?.resource).toMatchObject({ kind: 'aws.sagemaker.notebook-instance', name: 'alice-explore' });
    expect(newMessages(before).map((m) => textOf(m).includes('alice-explore'))).toEqual([true]);
  });

  it('SageMaker: a training job without a stopping condition is flagged from the event itself', async () => {
    const before = count();
    const doc = JSON.parse(fixture('sagemaker_training_job_state_change__aws-doc.json')) as { detail: Record<string, unknown> };
    const { StoppingCondition: _s, ...detail } = doc.detail;
    const ev = { ...sageMakerEvent('sagemaker_training_job_state_change__aws-doc.json', {}, 'eb-4'), detail: { ...detail, TrainingJobName: 'llm-finetune', TrainingJobArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/llm-finetune`, TrainingJobStatus: 'InProgress', TrainingStartTime: String(Date.parse(NOW) - 3_600_000) } };
    const outcome = await receiveEventBridge(ev, { events: deps, log: silent });
    expect(outcome.published).toEqual([`long-training-job:arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/llm-finetune`]);
    expect(newMessages(before).map((m) => textOf(m).includes('llm-finetune'))).toEqual([true]);
  });

  it('Google Cloud budget over a Pub/Sub push: verified, posted once, refused without a valid token', async () => {
    const before = count();
    const body = fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json');
    const token = await new SignJWT({ email: PUSHER, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'g1' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(googleKey);
    const req = (authorization?: string): HttpRequest => ({ method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, query: {}, body });
    const gcp = { events: deps, log: silent, identity: { audience: AUDIENCE, serviceAccountEmail: PUSHER }, jwks };

    const unauth = await receiveGcpPush(req(), gcp);
    expect(unauth.statusCode).toBe(401);
    expect(JSON.parse(unauth.body)).toEqual({ ok: false, error: 'no Authorization header: configure the push subscription with an OIDC token' });
    expect(count()).toBe(before);

    const res = await receiveGcpPush(req(`Bearer ${token}`), gcp);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).published).toHaveLength(2);
    expect(newMessages(before).map((m) => textOf(m).includes('My Personal Budget'))).toEqual([true, true]);
    // Google re-sends: acknowledged (200), nothing posted.
    const again = await receiveGcpPush(req(`Bearer ${token}`), gcp);
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body).duplicates).toHaveLength(2);
    expect(count()).toBe(before + 2);
    // Bad body: 400 with the reason.
    const bad = await receiveGcpPush({ ...req(`Bearer ${token}`), body: fixture('pubsub_push_body__google-doc.json') }, gcp);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/billingAccountId: is missing/);
    expect((await receiveGcpPush({ ...req(`Bearer ${token}`), method: 'GET' }, gcp)).statusCode).toBe(405);
  });

  it('Azure budget over an action-group webhook: token checked, posted once', async () => {
    const before = count();
    const body = fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json');
    const az = { events: deps, log: silent, token: AZURE_TOKEN };
    const wrong = await receiveAzureAlert({ method: 'POST', headers: {}, query: { token: 'guess' }, body }, az);
    expect(wrong.statusCode).toBe(401);
    expect(count()).toBe(before);
    const res = await receiveAzureAlert({ method: 'POST', headers: {}, query: { token: AZURE_TOKEN }, body: Buffer.from(body).toString('base64'), isBase64Encoded: true }, az);
    expect(res.statusCode).toBe(200);
    expect(newMessages(before).map((m) => textOf(m).includes('Test_actual_cost_budget'))).toEqual([true]);
    const tooBig = await receiveAzureAlert({ method: 'POST', headers: {}, query: { token: AZURE_TOKEN }, body: ' '.repeat(300_000) }, az);
    expect(tooBig.statusCode).toBe(413);
    const other = await receiveAzureAlert({ method: 'POST', headers: {}, query: { token: AZURE_TOKEN }, body: fixture('azure_metric_alert_static_threshold_common_alert_schema__ms-doc.json') }, az);
    expect(other.statusCode).toBe(400);
    expect(JSON.parse(other.body).error).toMatch(/not a budget alert/);
  });
});

describe('delivery failures', () => {
  it('a message Slack does not take fails the delivery (for a retry) and is posted by the retry', async () => {
    const before = count();
    const text = fixture('budget_actual_message_body__cds-snc-sre-bot.txt').replace('Budget Name: Test Budget', 'Budget Name: Retry Budget');
    slack.workspace.rateLimit('chat.postMessage', { times: 100, retryAfterSeconds: 0 });
    await expect(receiveSns(snsEvent(text, 'sns-9'), { events: deps, log: silent })).rejects.toBeInstanceOf(NotDeliveredError);
    expect(count()).toBe(before);
    slack.workspace.resetCalls();
    const [outcome] = await receiveSns(snsEvent(text, 'sns-9'), { events: deps, log: silent });
    expect(outcome?.published).toHaveLength(1);
    expect(newMessages(before).map((m) => textOf(m).includes('Retry Budget'))).toEqual([true]);
  });

  it('an endpoint event the cloud cannot answer for fails with the reason, posting nothing', async () => {
    const before = count();
    sandbox.faults.add({ service: 'sagemaker', operation: 'DescribeEndpoint', kind: 'access-denied' });
    try {
      const ev = sageMakerEvent('sagemaker_endpoint_state_change__aws-doc.json', { EndpointName: 'fraud-v4', EndpointArn: undefined }, 'eb-9');
      await expect(receiveEventBridge(ev, { events: deps, log: silent })).rejects.toThrow(/could not re-read endpoint fraud-v4 in 111111111111 us-east-1: .*not authorized/);
    } finally {
      sandbox.faults.clear();
    }
    expect(count()).toBe(before);
  });
});
