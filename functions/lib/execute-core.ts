import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from '../../shared/clock.js';
import { loadPolicyArtifact } from '../../shared/config/artifact.js';
import type { Policy } from '../../shared/config/policy.js';
import type { Cloud } from '../../shared/domain/resource.js';
import type { CloudProvider } from '../../shared/providers/port.js';
import { CostwatchError } from '../../shared/errors.js';
import { cloudOfJob } from '../../shared/queue/cloud-routed-queue.js';
import { parseExecutionJob } from '../../shared/queue/port.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { runJob, type JobDeps } from '../../shared/slack/jobs.js';
import { parseSlackSecret } from '../../shared/slack/secret.js';
import { jobDepsFor } from '../../shared/slack/wiring.js';
import { DynamoStateStore } from '../../shared/store/dynamo-store.js';
import type { SlackFunctionOptions } from '../slack-interactions.js';
import { ENV } from './contract.js';
import { loadEnv } from './env.js';
import { logger } from './observability.js';
import { secrets } from './secrets.js';

/** The providers one executor acts through, for the policy (each executor builds its own cloud's only). */
export type ExecutorProviders = (policy: Policy, env: NodeJS.ProcessEnv) => Map<Cloud, CloudProvider>;

/**
 * A job for another cloud's executor (e.g. queued on the single execution queue before each cloud
 * had its own executor). It is not run here, where that cloud has no provider and an approval would
 * be cancelled for want of one: it fails, is retried, then dead-lettered, and the proposal keeps its
 * status, so the scans queue a lost approval or an interrupted undo again, to the right executor.
 */
export class MisroutedJobError extends CostwatchError {}

/**
 * An executor: one execution queue's consumer (each cloud's executor has its own queue, see
 * CloudRoutedQueue). Runs each job (execute an approved proposal, undo, refresh a message, reply
 * to a person) and reports the jobs that failed as batch item failures, so only those are retried
 * and, after the queue's maxReceiveCount, dead-lettered.
 */
export function createExecutorHandler(cloud: Cloud, providersFor: ExecutorProviders, options: SlackFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.slackSecretArn], options.env);
  const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: env.STATE_TABLE });

  let deps: { token: string; deps: Promise<JobDeps> } | undefined;
  const depsFor = (botToken: string): Promise<JobDeps> => {
    if (deps?.token !== botToken) {
      const built = loadPolicyArtifact(env.POLICY_FILE).then(({ policy }) => {
        const api = new WebApiSlack(slackWebClient(botToken, options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}));
        return jobDepsFor(policy, { store, providers: providersFor(policy, options.env ?? process.env), clock: options.clock ?? systemClock, api });
      });
      built.catch(() => (deps = undefined));
      deps = { token: botToken, deps: built };
    }
    return deps.deps;
  };

  const execute = async (event: SQSEvent, context: Context & { slackSecret?: unknown }): Promise<SQSBatchResponse> => {
    const jobDeps = await depsFor(parseSlackSecret(context.slackSecret).botToken);
    const failures: SQSBatchItemFailure[] = [];
    // One at a time: two jobs of one batch may concern the same proposal (approve, then undo).
    for (const record of event.Records) {
      // On a FIFO queue, a failure must hold back the rest of the batch to keep each group in order.
      if (failures.length > 0 && record.eventSourceARN?.endsWith('.fifo')) {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const job = parseExecutionJob(record.body);
        const owner = cloudOfJob(job);
        if (owner !== cloud) throw new MisroutedJobError(`a job of a ${owner} proposal reached the ${cloud} executor; it is left for the ${owner} executor (the scans queue it again there)`);
        const result = await runJob(job, jobDeps);
        logger.info('job done', { messageId: record.messageId, job: job.type, ...('proposalId' in job ? { proposalId: job.proposalId } : {}), outcome: result.outcome, message: result.message });
      } catch (error) {
        logger.error('job failed; it will be retried, then dead-lettered', { messageId: record.messageId, error: error as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };

  return middy(execute)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(secrets({ fetch: { slackSecret: env.SLACK_SECRET_ARN } }));
}
