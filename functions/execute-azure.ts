import { deployedAzureProvider } from '../shared/app/compose-gcp-deployed.js';
import type { Policy } from '../shared/config/policy.js';
import type { Cloud } from '../shared/domain/resource.js';
import type { CloudProvider } from '../shared/providers/port.js';
import { createExecutorHandler } from './lib/execute-core.js';
import type { SlackFunctionOptions } from './slack-interactions.js';

/*
 * The Azure executor: consumes the Azure execution queue (jobs of `azure.` proposals, routed there
 * by every producer, see CloudRoutedQueue). Deployed only where clouds.azure is set.
 */

/**
 * The providers the Azure executor acts through: Azure alone, made by the first job (its clients
 * evaluated then, its credential read from ENV.azureSecretArn or by workload identity federation).
 */
export function executorProviders(policy: Policy): Map<Cloud, CloudProvider> {
  const providers = new Map<Cloud, CloudProvider>();
  const azure = deployedAzureProvider(policy);
  if (azure) providers.set('azure', azure);
  return providers;
}

/** Reads ENV.stateTable, ENV.policyFile and ENV.slackSecretArn (createExecutorHandler). ENV.azureSecretArn is read by the first Azure call. */
export function createHandler(options: SlackFunctionOptions = {}) {
  return createExecutorHandler('azure', executorProviders, options);
}

export const handler = createHandler();
