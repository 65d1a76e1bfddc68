import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { InProcessExecutionQueue } from '../../shared/queue/in-process-queue.js';
import { InvalidJobError, parseExecutionJob, type ExecutionJob } from '../../shared/queue/port.js';
import { SqsExecutionQueue } from '../../shared/queue/sqs-queue.js';

const job: ExecutionJob = { type: 'execute', proposalId: 'aws.sagemaker.delete-endpoint:arn@2025-06-18T12:00:00.000Z', actor: 'U1', requestedAt: '2025-06-18T12:00:00.000Z' };

function capturing(): { client: SQSClient; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  return { client: { send: async (cmd: { input: Record<string, unknown> }) => (sent.push(cmd.input), { MessageId: 'm' }) } as unknown as SQSClient, sent };
}

describe('parseExecutionJob', () => {
  it('reads back what was enqueued', () => {
    expect(parseExecutionJob(JSON.stringify(job))).toEqual(job);
  });

  it('names what is wrong with a message that is not a job', () => {
    expect(() => parseExecutionJob('{oops')).toThrow(InvalidJobError);
    expect(() => parseExecutionJob('{oops')).toThrow('not JSON');
    expect(() => parseExecutionJob(JSON.stringify({ type: 'delete-everything' }))).toThrow(/not an execution job: type/);
    expect(() => parseExecutionJob(JSON.stringify({ ...job, actor: '' }))).toThrow(/actor/);
    expect(() => parseExecutionJob(JSON.stringify({ ...job, extra: 1 }))).toThrow(/not an execution job/);
  });
});

describe('SqsExecutionQueue', () => {
  it('sends the job as the message body to a standard queue', async () => {
    const { client, sent } = capturing();

    await new SqsExecutionQueue({ client, queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/exec' }).enqueue(job);

    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!['MessageBody'] as string)).toEqual(job);
    expect(sent[0]).not.toHaveProperty('MessageGroupId');
  });

  it('groups a FIFO queue’s jobs by proposal and deduplicates identical jobs', async () => {
    const { client, sent } = capturing();
    const q = new SqsExecutionQueue({ client, queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/exec.fifo' });

    await q.enqueue(job);
    await q.enqueue(job);
    await q.enqueue({ ...job, type: 'undo' });

    expect(sent[0]!['MessageGroupId']).toMatch(/^[0-9a-f]{64}$/);
    expect(sent[0]!['MessageGroupId']).toBe(sent[2]!['MessageGroupId']);
    expect(sent[0]!['MessageDeduplicationId']).toBe(sent[1]!['MessageDeduplicationId']);
    expect(sent[0]!['MessageDeduplicationId']).not.toBe(sent[2]!['MessageDeduplicationId']);
  });
});

describe('InProcessExecutionQueue', () => {
  it('runs jobs in order, including those enqueued while draining, and reports failures', async () => {
    const q = new InProcessExecutionQueue();
    const seen: string[] = [];
    await q.enqueue(job);
    await q.enqueue({ type: 'refresh', proposalId: 'p2', requestedAt: job.requestedAt });

    const report = await q.drain(async (j) => {
      seen.push(j.type);
      if (j.type === 'execute') await q.enqueue({ type: 'reply', channel: 'C1', user: 'U1', text: 'hi', requestedAt: job.requestedAt });
      if (j.type === 'refresh') throw new Error('boom');
    });

    expect(seen).toEqual(['execute', 'refresh', 'reply']);
    expect(report.processed).toBe(3);
    expect(report.failed.map((f) => (f.error as Error).message)).toEqual(['boom']);
  });

  it('refuses a job that would not survive the trip through a queue', async () => {
    await expect(new InProcessExecutionQueue().enqueue({ ...job, proposalId: '' })).rejects.toBeInstanceOf(InvalidJobError);
  });

  it('runs jobs as they arrive once a worker is started, and idles when done', async () => {
    const q = new InProcessExecutionQueue();
    const seen: string[] = [];
    const stop = q.startWorker(async (j) => void seen.push(j.type), () => undefined);

    await q.enqueue(job);
    await q.enqueue({ ...job, type: 'undo' });
    await q.idle();
    await stop();

    expect(seen).toEqual(['execute', 'undo']);
    expect(q.pending()).toEqual([]);
  });
});
