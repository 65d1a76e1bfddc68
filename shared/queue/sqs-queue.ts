import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ExecutionJob, ExecutionQueue } from './port.js';

/**
 * The execution queue on SQS (client injected, or a function making it on first use: the SQS
 * client package is then loaded only when a job is sent, not when a function starts). On a FIFO queue, jobs of one proposal share a
 * message group, so an approval and a later undo run in order, and SQS drops a repeat of the same
 * job within its five-minute deduplication window.
 */
export class SqsExecutionQueue implements ExecutionQueue {
  readonly #fifo: boolean;

  #client: Promise<SQSClient> | undefined;

  constructor(private readonly options: { readonly client: SQSClient | (() => Promise<SQSClient>); readonly queueUrl: string }) {
    this.#fifo = options.queueUrl.endsWith('.fifo');
  }

  #clientOnce(): Promise<SQSClient> {
    const c = this.options.client;
    this.#client ??= typeof c === 'function' ? c() : Promise.resolve(c);
    // A failed start is not kept: the next job tries again.
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }

  async enqueue(job: ExecutionJob): Promise<void> {
    const body = JSON.stringify(job);
    const group = job.type === 'reply' ? `reply:${job.user}` : job.type === 'home' ? `home:${job.user}` : job.proposalId;
    const [{ SendMessageCommand }, client] = await Promise.all([import('@aws-sdk/client-sqs'), this.#clientOnce()]);
    await client.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: body,
        MessageAttributes: { type: { DataType: 'String', StringValue: job.type } },
        ...(this.#fifo
          ? {
              // Group ids are at most 128 characters; proposal ids can be longer, so both are hashed.
              MessageGroupId: sha256(group),
              MessageDeduplicationId: sha256(body),
            }
          : {}),
      }),
    );
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
