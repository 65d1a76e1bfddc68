import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Cloud } from '../../shared/domain/resource.js';
import { CloudRoutedQueue } from '../../shared/queue/cloud-routed-queue.js';
import type { ExecutionQueue } from '../../shared/queue/port.js';
import { SqsExecutionQueue } from '../../shared/queue/sqs-queue.js';
import { ENV } from './contract.js';

/**
 * The execution queues named by the environment, routed by cloud (see CloudRoutedQueue):
 * ENV.executionQueueUrl (the AWS executor's), and ENV.gcpExecutionQueueUrl / ENV.azureExecutionQueueUrl,
 * set where that cloud is configured. One SQS client, loaded and made by the first job sent.
 */
export function executionQueuesFromEnv(env: NodeJS.ProcessEnv = process.env, makeClient: () => Promise<SQSClient> = async () => new (await import('@aws-sdk/client-sqs')).SQSClient({})): ExecutionQueue {
  let client: Promise<SQSClient> | undefined;
  const clientOnce = (): Promise<SQSClient> => {
    client ??= makeClient();
    client.catch(() => (client = undefined));
    return client;
  };
  const urls: Readonly<Record<Cloud, string | undefined>> = { aws: env[ENV.executionQueueUrl], gcp: env[ENV.gcpExecutionQueueUrl], azure: env[ENV.azureExecutionQueueUrl] };
  const queues: Partial<Record<Cloud, ExecutionQueue>> = {};
  for (const [cloud, queueUrl] of Object.entries(urls) as [Cloud, string | undefined][]) {
    if (queueUrl) queues[cloud] = new SqsExecutionQueue({ client: clientOnce, queueUrl });
  }
  return new CloudRoutedQueue(queues);
}
