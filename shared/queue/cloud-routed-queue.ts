import { CostwatchError } from '../errors.js';
import type { Cloud } from '../domain/resource.js';
import type { ExecutionJob, ExecutionQueue } from './port.js';

/**
 * The cloud whose executor runs a job. A proposal's id begins with its action kind
 * (`<cloud>.<service>.<action>:<resource>@<created>`, see proposalId), so the id alone names the
 * cloud: `gcp.…` and `azure.…` go to their cloud's executor, everything else (AWS proposals, and the
 * jobs that carry no proposal: `reply`, `home`) to the AWS executor.
 */
export function cloudOfJob(job: ExecutionJob): Cloud {
  if (job.type === 'reply' || job.type === 'home') return 'aws';
  return cloudOfProposalId(job.proposalId);
}

/** The cloud named by a proposal id's action kind; `aws` unless it begins with `gcp.` or `azure.`. */
export function cloudOfProposalId(id: string): Cloud {
  if (id.startsWith('gcp.')) return 'gcp';
  if (id.startsWith('azure.')) return 'azure';
  return 'aws';
}

/** A job for a cloud whose execution queue this deployment does not have (its cloud is not configured). */
export class NoExecutionQueueError extends CostwatchError {}

/**
 * The execution queues of a deployment, one per cloud's executor (the AWS one always; the Google
 * Cloud and Azure ones where that cloud is configured): each job goes to its cloud's queue. Every
 * job of one proposal goes to the same queue, so the FIFO order and deduplication per proposal
 * hold as with one queue.
 */
export class CloudRoutedQueue implements ExecutionQueue {
  constructor(private readonly queues: Readonly<Partial<Record<Cloud, ExecutionQueue>>>) {}

  async enqueue(job: ExecutionJob): Promise<void> {
    const cloud = cloudOfJob(job);
    const queue = this.queues[cloud];
    if (!queue) {
      throw new NoExecutionQueueError(
        `no ${cloud} execution queue for ${job.type} of ${'proposalId' in job ? job.proposalId : 'a job'}: is clouds.${cloud} configured in the deployed policy?`,
      );
    }
    await queue.enqueue(job);
  }
}
