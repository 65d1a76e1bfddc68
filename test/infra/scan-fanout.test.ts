import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/lib/observability.js';
import { dispatchScans, DispatchError, type DispatchDeps } from '../../functions/scan-dispatch.js';
import { parseScanMessage, ScanMessageError, scanScope, scanWorker, type ScanMessage, type ScanWorkerDeps } from '../../functions/scan-worker.js';
import { priceBook } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { loadWorld, SAMPLE_WORLD_PATH, sandboxAwsCredentials, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';
import { startAwsJsonStub, type AwsJsonStub } from './aws-json-stub.js';

/*
 * The scan fan-out end to end: scan-dispatch sends one SQS message per scope through the real SQS
 * client (to a local JSON-protocol endpoint), scan-worker scans each with the real SageMaker and
 * CloudWatch clients against the sandbox cloud and the real DynamoDB store on dynalite.
 */

const PROD = '111111111111';
const DEV = '222222222222';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/999999999999/costwatch-ScanQueue';

const POLICY = `
version: 1
clouds:
  aws:
    accounts:
      - { id: "${PROD}", name: ml-prod, regions: [us-east-1] }
      - { id: "${DEV}", name: ml-dev, regions: [us-east-1] }
rules:
  idle-endpoint: { mode: approve }
  underused-endpoint: { enabled: false }
`;

let sb: Sandbox;
let stub: AwsJsonStub;
let policy: Policy;

beforeAll(async () => {
  [sb, stub] = await Promise.all([loadWorld(SAMPLE_WORLD_PATH).then((world) => startSandbox({ world })), startAwsJsonStub()]);
  policy = parsePolicy(POLICY, 'fanout.yml').policy;
});

afterAll(async () => {
  await Promise.all([sb?.close(), stub?.close()]);
});

afterEach(() => {
  stub.messages.length = 0;
  stub.behaviour = {};
  sb.faults.clear();
});

function dispatchDeps(): DispatchDeps {
  return {
    policy,
    sqs: new SQSClient({ endpoint: stub.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    queueUrl: QUEUE_URL,
    clock: sb.clock,
  };
}

async function workerDeps(store?: StateStore): Promise<ScanWorkerDeps> {
  return {
    policy,
    providers: buildProviders(policy, { aws: { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials } }),
    store: store ?? (await openMemoryStore()),
    clock: sb.clock,
    prices: priceBook(policy),
  };
}

function sqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map(
      (body, i): SQSRecord => ({
        messageId: `msg-${i}`,
        receiptHandle: `rh-${i}`,
        body,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:999999999999:costwatch-ScanQueue',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

describe('scan-dispatch', () => {
  it('enqueues one message per configured scope with the rules of the schedule', async () => {
    const result = await dispatchScans({ rules: ['idle-endpoint'] }, dispatchDeps());
    expect(result.scopes).toEqual([`aws:${PROD}`, `aws:${DEV}`]);
    expect(stub.messages.map((m) => m.queueUrl)).toEqual([QUEUE_URL, QUEUE_URL]);
    const messages = stub.messages.map((m) => parseScanMessage(m.body));
    expect(messages).toEqual([
      { version: 1, cloud: 'aws', scopeId: PROD, rules: ['idle-endpoint'], dispatchedAt: sb.clock.now().toISOString() },
      { version: 1, cloud: 'aws', scopeId: DEV, rules: ['idle-endpoint'], dispatchedAt: sb.clock.now().toISOString() },
    ]);
  });

  it('sends Azure subscriptions to the Azure scan queue, and to the scan queue where there is none', async () => {
    const sub = '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70';
    const both = parsePolicy(`version: 1\nclouds:\n  aws:\n    accounts:\n      - { id: "${PROD}", regions: [us-east-1] }\n  azure:\n    subscriptions:\n      - { id: ${sub} }\n`, 'both.yml').policy;
    stub.messages.length = 0;
    const AZURE_URL = `${QUEUE_URL}-azure`;
    await dispatchScans({ rules: ['idle-endpoint'] }, { ...dispatchDeps(), policy: both, azureQueueUrl: AZURE_URL });
    expect(stub.messages.map((m) => [m.queueUrl, parseScanMessage(m.body).cloud])).toEqual([
      [QUEUE_URL, 'aws'],
      [AZURE_URL, 'azure'],
    ]);
    stub.messages.length = 0;
    await dispatchScans({ rules: ['idle-endpoint'] }, { ...dispatchDeps(), policy: both });
    expect(stub.messages.map((m) => m.queueUrl)).toEqual([QUEUE_URL, QUEUE_URL]);
  });

  it('sends Google Cloud projects to the Google Cloud scan queue, and to the scan queue where there is none', async () => {
    const all = parsePolicy(
      `version: 1\nclouds:\n  aws:\n    accounts:\n      - { id: "${PROD}", regions: [us-east-1] }\n  gcp:\n    projects:\n      - { id: ml-research-prod }\n  azure:\n    subscriptions:\n      - { id: 3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70 }\n`,
      'all.yml',
    ).policy;
    stub.messages.length = 0;
    const GCP_URL = `${QUEUE_URL}-gcp`;
    const AZURE_URL = `${QUEUE_URL}-azure`;
    await dispatchScans({ rules: ['idle-endpoint'] }, { ...dispatchDeps(), policy: all, gcpQueueUrl: GCP_URL, azureQueueUrl: AZURE_URL });
    expect(stub.messages.map((m) => [m.queueUrl, parseScanMessage(m.body).cloud, parseScanMessage(m.body).scopeId])).toEqual([
      [QUEUE_URL, 'aws', PROD],
      [GCP_URL, 'gcp', 'ml-research-prod'],
      [AZURE_URL, 'azure', '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70'],
    ]);
    stub.messages.length = 0;
    await dispatchScans({ rules: ['idle-endpoint'] }, { ...dispatchDeps(), policy: all, azureQueueUrl: AZURE_URL });
    expect(stub.messages.map((m) => [m.queueUrl, parseScanMessage(m.body).cloud])).toEqual([
      [QUEUE_URL, 'aws'],
      [QUEUE_URL, 'gcp'],
      [AZURE_URL, 'azure'],
    ]);
  });

  it('sends 120 scopes in batches of ten', async () => {
    const many = parsePolicy(
      `version: 1\nclouds:\n  aws:\n    accounts:\n${Array.from({ length: 120 }, (_, i) => `      - { id: "${String(100000000000 + i)}", regions: [us-east-1] }`).join('\n')}\n`,
      'many.yml',
    ).policy;
    stub.calls.length = 0;
    const result = await dispatchScans({ rules: ['idle-endpoint', 'idle-notebook'] }, { ...dispatchDeps(), policy: many });
    expect(result.scopes.length).toBe(120);
    expect(new Set(stub.messages.map((m) => parseScanMessage(m.body).scopeId)).size).toBe(120);
    expect(stub.calls.filter((c) => c === 'AmazonSQS.SendMessageBatch').length).toBe(12);
  });

  it('drops rules the bundled policy disables, and enqueues nothing when none is left', async () => {
    const result = await dispatchScans({ rules: ['underused-endpoint', 'idle-endpoint'] }, dispatchDeps());
    expect(result.rules).toEqual(['idle-endpoint']);
    stub.messages.length = 0;
    expect(await dispatchScans({ rules: ['underused-endpoint'] }, dispatchDeps())).toEqual({ rules: [], scopes: [] });
    expect(stub.messages).toEqual([]);
  });

  it('refuses a schedule input that is not a list of known rule ids', async () => {
    await expect(dispatchScans({ rules: ['idle-endpiont'] }, dispatchDeps())).rejects.toThrow(DispatchError);
    await expect(dispatchScans({}, dispatchDeps())).rejects.toThrow(/bad schedule input \{\}: rules: /);
    expect(stub.messages).toEqual([]);
  });

  it('retries entries SQS rejects, and fails naming the scopes it could not enqueue', async () => {
    stub.behaviour = { rejectEntry: (body, attempt) => body.includes(DEV) && attempt < 3 };
    await dispatchScans({ rules: ['idle-endpoint'] }, dispatchDeps());
    expect(stub.messages.map((m) => parseScanMessage(m.body).scopeId)).toEqual([PROD, DEV]);

    stub.messages.length = 0;
    stub.behaviour = { rejectEntry: (body) => body.includes(DEV) };
    await expect(dispatchScans({ rules: ['idle-notebook'] }, dispatchDeps())).rejects.toThrow(`could not enqueue 1 of 2 scans: aws:${DEV} (InternalError: stub rejected the entry)`);
    // The other scope was enqueued all the same.
    expect(stub.messages.map((m) => parseScanMessage(m.body).scopeId)).toEqual([PROD]);
  });
});

describe('scan-worker', () => {
  it('scans each dispatched scope on its own and persists its proposals', async () => {
    await dispatchScans({ rules: ['idle-endpoint'] }, dispatchDeps());
    const deps = await workerDeps();
    const handler = scanWorker(async () => deps);
    const res = await handler(sqsEvent(stub.messages.map((m) => m.body)), {});
    expect(res.batchItemFailures).toEqual([]);
    const proposals = await deps.store.listProposals({ status: ['proposed'] });
    const names = proposals.map((p) => `${p.resource.scopeId}/${p.resource.name}`);
    // fraud-v3 in ml-prod is idle with high confidence; ml-dev's idle endpoint is exempt by tag.
    expect(names).toContain(`${PROD}/fraud-v3`);
    expect(names.every((n) => !n.endsWith('/llm-playground'))).toBe(true);
    expect(proposals.every((p) => p.ruleId === 'idle-endpoint' && p.mode === 'approve')).toBe(true);
  });

  it('evaluates only the rules of the message', async () => {
    const deps = await workerDeps();
    const message: ScanMessage = { version: 1, cloud: 'aws', scopeId: PROD, rules: ['long-training-job'], dispatchedAt: sb.clock.now().toISOString() };
    const result = await scanScope(message, deps);
    expect(result.rules).toEqual(['long-training-job']);
    expect(result.report?.findings.filter((f) => f.ruleId === 'idle-endpoint')).toEqual([]);
    // Cost rules have their own (daily) schedule: a resource schedule does not evaluate them.
    expect(result.report?.findings.filter((f) => ['budget-breach', 'forecast-breach', 'cost-anomaly', 'cold-artifacts'].includes(f.ruleId))).toEqual([]);
  });

  it('evaluates the cost rules of a schedule that has only cost rules', async () => {
    const deps = await workerDeps();
    const message: ScanMessage = { version: 1, cloud: 'aws', scopeId: PROD, rules: ['budget-breach', 'cost-anomaly'], dispatchedAt: sb.clock.now().toISOString() };
    const result = await scanScope(message, deps);
    expect(result.rules).toEqual(['budget-breach', 'cost-anomaly']);
    expect(result.unimplemented).toEqual([]);
    const judged = result.report?.findings.filter((f) => f.state !== 'failure') ?? [];
    expect(judged.length).toBeGreaterThan(0);
    expect(judged.every((f) => f.ruleId === 'budget-breach' || f.ruleId === 'cost-anomaly')).toBe(true);
  });

  it('fails only the bad records of a batch, logging why: malformed, unknown version, unknown scope', async () => {
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const deps = await workerDeps();
    const good: ScanMessage = { version: 1, cloud: 'aws', scopeId: PROD, rules: ['idle-endpoint'], dispatchedAt: sb.clock.now().toISOString() };
    const res = await scanWorker(async () => deps)(
      sqsEvent(['not json', JSON.stringify({ ...good, version: 2 }), JSON.stringify({ ...good, scopeId: '999999999999' }), JSON.stringify(good)]),
      {},
    );
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-2' }]);
    expect(logged.mock.calls.map(([, extra]) => `${(extra as { messageId: string }).messageId}: ${((extra as { error: Error }).error).message}`)).toEqual([
      'msg-0: scan message is not JSON: not json',
      'msg-1: bad scan message: version: Invalid input: expected 1',
      'msg-2: aws:999999999999 is not a scope of the bundled policy (was the policy changed since the message was sent?)',
    ]);
    logged.mockRestore();
    expect((await deps.store.listProposals({ status: ['proposed'] })).some((p) => p.resource.name === 'fraud-v3')).toBe(true);
    expect(() => parseScanMessage(JSON.stringify({ ...good, scopeId: '' }))).toThrow(ScanMessageError);
    await expect(scanScope({ ...good, scopeId: '999999999999' }, deps)).rejects.toThrow(`aws:999999999999 is not a scope of the bundled policy`);
  });

  it('lets a fast scope finish while a slow one is still being read', async () => {
    sb.faults.add({ service: 'sagemaker', operation: 'ListEndpoints', kind: 'latency', latencyMs: 1500, account: DEV });
    const deps = await workerDeps();
    const handler = scanWorker(async () => deps);
    const order: string[] = [];
    const at = sb.clock.now().toISOString();
    // Two worker invocations side by side, as the event source mapping runs them.
    await Promise.all(
      [DEV, PROD].map(async (scopeId) => {
        const res = await handler(sqsEvent([JSON.stringify({ version: 1, cloud: 'aws', scopeId, rules: ['idle-endpoint'], dispatchedAt: at })]), {});
        expect(res.batchItemFailures).toEqual([]);
        order.push(scopeId);
      }),
    );
    expect(order).toEqual([PROD, DEV]);
  });

  it('reports a scope it cannot read as a finding of that scope, without failing the message', async () => {
    sb.faults.add({ service: 'sagemaker', kind: 'access-denied', account: DEV });
    const deps = await workerDeps();
    const result = await scanScope({ version: 1, cloud: 'aws', scopeId: DEV, rules: ['idle-endpoint'], dispatchedAt: sb.clock.now().toISOString() }, deps);
    const failures = result.report!.findings.filter((f) => f.state === 'failure');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => f.scopeId === DEV)).toBe(true);
  });
});
