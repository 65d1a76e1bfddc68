import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ExecutionJob, ExecutionQueue } from './port.js';

/**
 * The execution queue on SQS (client injected). On a FIFO queue, jobs of one proposal share a
 * message group, so an approval and a later undo run in order, and SQS drops a repeat of the same
 * job within its five-minute deduplication window.
 */
export class SqsExecutionQueue implements ExecutionQueue {
  readonly #fifo: boolean;

  constructor(private readonly options: { readonly client: SQSClient; readonly queueUrl: string }) {
    this.#fifo = options.queueUrl.endsWith('.fifo');
  }

  async enqueue(job: ExecutionJob): Promise<void> {
    const body = JSON.stringify(job);
    const group = job.type === 'reply' ? `reply:${job.user}` : job.type === 'home' ? `home:${job.user}` : job.proposalId;
    await this.options.client.send(
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
