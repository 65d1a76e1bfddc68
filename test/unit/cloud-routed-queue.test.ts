import type { SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { executionQueuesFromEnv } from '../../functions/lib/execution-queues.js';
import { ACTIONS } from '../../shared/actions/index.js';
import { fixedClock } from '../../shared/clock.js';
import { actionKey, proposalId, type ProposedAction } from '../../shared/domain/action.js';
import { CloudRoutedQueue, cloudOfJob, NoExecutionQueueError } from '../../shared/queue/cloud-routed-queue.js';
import type { ExecutionJob, ExecutionQueue } from '../../shared/queue/port.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { handleBlockActions, type BlockActionsPayload } from '../../shared/slack/interactions.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

const at = '2026-12-08T02:00:00.000Z';
const RESOURCE_IDS = {
  aws: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
  gcp: 'projects/ml-research-prod/locations/us-central1/endpoints/123',
  azure: '/subscriptions/3f2504e0-4f89-11d3-9a0c-0305e82c3301/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e',
} as const;
const idOf = (kind: string, cloud: keyof typeof RESOURCE_IDS) => proposalId(actionKey(kind, RESOURCE_IDS[cloud]), new Date(at));

function recording(): { queue: ExecutionQueue; jobs: ExecutionJob[] } {
  const jobs: ExecutionJob[] = [];
  return { queue: { enqueue: async (j) => void jobs.push(j) }, jobs };
}

describe('cloudOfJob', () => {
  it('sends every action kind’s proposals to the executor of the cloud its resource kind belongs to', () => {
    expect(ACTIONS.length).toBeGreaterThan(10);
    for (const def of ACTIONS) {
      const cloud = def.resourceKind.split('.')[0] as keyof typeof RESOURCE_IDS;
      const id = idOf(def.kind, cloud);
      for (const job of [
        { type: 'execute', proposalId: id, actor: 'U1', requestedAt: at },
        { type: 'undo', proposalId: id, actor: 'costwatch', requestedAt: at },
        { type: 'refresh', proposalId: id, requestedAt: at },
      ] as ExecutionJob[]) {
        expect({ kind: def.kind, type: job.type, cloud: cloudOfJob(job) }).toEqual({ kind: def.kind, type: job.type, cloud });
      }
    }
  });

  it('sends the jobs that carry no proposal (replies, App Home) to the AWS executor', () => {
    expect(cloudOfJob({ type: 'reply', channel: 'C1', user: 'U1', text: 'no', requestedAt: at })).toBe('aws');
    expect(cloudOfJob({ type: 'home', user: 'U1', requestedAt: at })).toBe('aws');
  });
});

describe('CloudRoutedQueue', () => {
  it('puts a Google Cloud approval on the Google Cloud queue, an Azure undo on the Azure one, the rest on the AWS one', async () => {
    const aws = recording();
    const gcp = recording();
    const azure = recording();
    const q = new CloudRoutedQueue({ aws: aws.queue, gcp: gcp.queue, azure: azure.queue });
    const gcpApprove: ExecutionJob = { type: 'execute', proposalId: idOf('gcp.vertex.undeploy-models', 'gcp'), actor: 'U1', requestedAt: at };
    const azureUndo: ExecutionJob = { type: 'undo', proposalId: idOf('azure.ml.stop-compute-instance', 'azure'), actor: 'U1', requestedAt: at };
    const awsApprove: ExecutionJob = { type: 'execute', proposalId: idOf('aws.sagemaker.delete-endpoint', 'aws'), actor: 'U1', requestedAt: at };
    const reply: ExecutionJob = { type: 'reply', channel: 'C1', user: 'U1', text: 'already decided', requestedAt: at };

    for (const j of [gcpApprove, azureUndo, awsApprove, reply]) await q.enqueue(j);

    expect(gcp.jobs).toEqual([gcpApprove]);
    expect(azure.jobs).toEqual([azureUndo]);
    expect(aws.jobs).toEqual([awsApprove, reply]);
  });

  it('refuses, naming the cloud, a job for a cloud that has no queue, and sends it nowhere', async () => {
    const aws = recording();
    const q = new CloudRoutedQueue({ aws: aws.queue });
    const job: ExecutionJob = { type: 'execute', proposalId: idOf('gcp.vertex.undeploy-models', 'gcp'), actor: 'U1', requestedAt: at };
    await expect(q.enqueue(job)).rejects.toThrow(NoExecutionQueueError);
    await expect(q.enqueue(job)).rejects.toThrow(/no gcp execution queue.*clouds\.gcp/);
    expect(aws.jobs).toEqual([]);
  });
});

describe('executionQueuesFromEnv (the deployed producers)', () => {
  const URLS = {
    EXECUTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ExecutionQueue.fifo',
    GCP_EXECUTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ExecutionGcpQueue.fifo',
    AZURE_EXECUTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ExecutionAzureQueue.fifo',
  };

  function capturing(): { make: () => Promise<SQSClient>; sent: Record<string, string>[]; made: () => number } {
    const sent: Record<string, string>[] = [];
    let made = 0;
    const client = { send: async (cmd: { input: Record<string, string> }) => (sent.push(cmd.input), { MessageId: 'm' }) } as unknown as SQSClient;
    return { make: async () => (made++, client), sent, made: () => made };
  }

  it('sends each job to its cloud’s queue, with one FIFO group per proposal (approve then undo stay in order)', async () => {
    const { make, sent, made } = capturing();
    const q = executionQueuesFromEnv(URLS, make);
    const gcpId = idOf('gcp.workbench.stop-instance', 'gcp');
    await q.enqueue({ type: 'execute', proposalId: gcpId, actor: 'U1', requestedAt: at });
    await q.enqueue({ type: 'undo', proposalId: gcpId, actor: 'U1', requestedAt: at });
    await q.enqueue({ type: 'execute', proposalId: idOf('azure.ml.stop-compute-instance', 'azure'), actor: 'U1', requestedAt: at });
    await q.enqueue({ type: 'refresh', proposalId: idOf('aws.sagemaker.stop-notebook-instance', 'aws'), requestedAt: at });
    await q.enqueue({ type: 'home', user: 'U1', requestedAt: at });

    expect(sent.map((m) => m['QueueUrl'])).toEqual([URLS.GCP_EXECUTION_QUEUE_URL, URLS.GCP_EXECUTION_QUEUE_URL, URLS.AZURE_EXECUTION_QUEUE_URL, URLS.EXECUTION_QUEUE_URL, URLS.EXECUTION_QUEUE_URL]);
    const group = createHash('sha256').update(gcpId).digest('hex');
    expect([sent[0]!['MessageGroupId'], sent[1]!['MessageGroupId']]).toEqual([group, group]);
    expect(sent[0]!['MessageDeduplicationId']).not.toBe(sent[1]!['MessageDeduplicationId']);
    // One SQS client for every queue, made by the first job.
    expect(made()).toBe(1);
  });

  it('has no Google Cloud or Azure queue where their variables are not set (that cloud is not configured)', async () => {
    const { make, sent } = capturing();
    const q = executionQueuesFromEnv({ EXECUTION_QUEUE_URL: URLS.EXECUTION_QUEUE_URL }, make);
    await expect(q.enqueue({ type: 'execute', proposalId: idOf('azure.ml.stop-compute-instance', 'azure'), actor: 'U1', requestedAt: at })).rejects.toThrow(/no azure execution queue/);
    expect(sent).toEqual([]);
  });
});

describe('the Slack interactions, through the routed queues', () => {
  const now = new Date(at);
  const proposal = (cloud: 'gcp' | 'azure' | 'aws', kind: string, resourceKind: `${'gcp' | 'azure' | 'aws'}.${string}.${string}`, status: ProposedAction['status']): ProposedAction => ({
    id: idOf(kind, cloud),
    key: actionKey(kind, RESOURCE_IDS[cloud]),
    kind,
    findingId: `f-${cloud}`,
    ruleId: 'idle-endpoint',
    resource: { cloud, scopeId: 'scope', region: 'r', kind: resourceKind, id: RESOURCE_IDS[cloud], name: `${cloud}-endpoint` },
    mode: 'approve',
    parameters: {},
    reversible: true,
    status,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
    ...(status === 'executed' ? { undoData: { saved: true } } : {}),
  });
  const click = (actionId: string, value: string): BlockActionsPayload => ({
    type: 'block_actions',
    user: { id: 'U1' },
    container: { type: 'message', channel_id: 'C1', message_ts: '1.1' },
    actions: [{ action_id: actionId, value, type: 'button' }],
  });

  it('sends a Google Cloud approval to the Google Cloud queue, an Azure undo to the Azure one, an AWS approval and a refusal to the AWS one', async () => {
    const store = await openMemoryStore();
    const aws = recording();
    const gcp = recording();
    const azure = recording();
    const deps = { store, queue: new CloudRoutedQueue({ aws: aws.queue, gcp: gcp.queue, azure: azure.queue }), approvers: { list: { users: ['U1'], userGroups: [] }, isApprover: async (u: string) => u === 'U1' }, clock: fixedClock(now) };
    const g = await store.upsertProposal(proposal('gcp', 'gcp.vertex.undeploy-models', 'gcp.vertex.endpoint', 'proposed'));
    const z = await store.upsertProposal(proposal('azure', 'azure.ml.delete-online-deployments', 'azure.ml.online-endpoint', 'executed'));
    const a = await store.upsertProposal(proposal('aws', 'aws.sagemaker.delete-endpoint', 'aws.sagemaker.endpoint', 'proposed'));

    expect((await handleBlockActions(click(ACTION_IDS.approve, g.id), deps)).result).toBe('accepted');
    expect((await handleBlockActions(click(ACTION_IDS.undo, z.id), deps)).result).toBe('accepted');
    expect((await handleBlockActions(click(ACTION_IDS.approve, a.id), deps)).result).toBe('accepted');
    // Approving the Google Cloud proposal again is refused: the reply carries no proposal, so it goes to the AWS executor.
    expect((await handleBlockActions(click(ACTION_IDS.approve, g.id), deps)).result).toBe('refused');

    expect(gcp.jobs.map((j) => [j.type, 'proposalId' in j ? j.proposalId : undefined])).toEqual([['execute', g.id]]);
    expect(azure.jobs.map((j) => [j.type, 'proposalId' in j ? j.proposalId : undefined])).toEqual([['undo', z.id]]);
    expect(aws.jobs.map((j) => [j.type, 'proposalId' in j ? j.proposalId : undefined])).toEqual([['execute', a.id], ['reply', undefined]]);
  });
});
