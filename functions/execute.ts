import { buildProviders } from '../shared/app/providers.js';
import type { Policy } from '../shared/config/policy.js';
import type { Cloud } from '../shared/domain/resource.js';
import type { CloudProvider } from '../shared/providers/port.js';
import { createExecutorHandler } from './lib/execute-core.js';
import type { SlackFunctionOptions } from './slack-interactions.js';

/*
 * The AWS executor: the execution queue's consumer for AWS proposals and for the jobs that carry
 * no proposal (replies, App Home). Google Cloud and Azure proposals go to their own executors
 * (execute-gcp, execute-azure), so this bundle holds no Google or Azure client.
 */

/** The providers the AWS executor acts through: AWS alone. */
export function executorProviders(policy: Policy): Map<Cloud, CloudProvider> {
  return buildProviders(policy);
}

/** Reads ENV.stateTable, ENV.policyFile and ENV.slackSecretArn (createExecutorHandler). */
export function createHandler(options: SlackFunctionOptions = {}) {
  return createExecutorHandler('aws', executorProviders, options);
}

export const handler = createHandler();
