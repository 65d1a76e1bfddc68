import { deployedGcpProvider } from '../shared/app/compose-gcp-deployed.js';
import type { Policy } from '../shared/config/policy.js';
import type { Cloud } from '../shared/domain/resource.js';
import type { CloudProvider } from '../shared/providers/port.js';
import { createExecutorHandler } from './lib/execute-core.js';
import type { SlackFunctionOptions } from './slack-interactions.js';

/*
 * The Google Cloud executor: consumes the Google Cloud execution queue (jobs of `gcp.` proposals,
 * routed there by every producer, see CloudRoutedQueue). Deployed only where clouds.gcp is set.
 */

/**
 * The providers the Google Cloud executor acts through: Google Cloud alone, loaded by the first job
 * (workload identity from this function's role, or the secret named by ENV.gcpSecretArn).
 */
export function executorProviders(policy: Policy, env: NodeJS.ProcessEnv = process.env): Map<Cloud, CloudProvider> {
  const providers = new Map<Cloud, CloudProvider>();
  const gcp = deployedGcpProvider(policy, env);
  if (gcp) providers.set('gcp', gcp);
  return providers;
}

/** Reads ENV.stateTable, ENV.policyFile and ENV.slackSecretArn (createExecutorHandler). ENV.gcpSecretArn is read by the first Google call where the credentials are a secret (absent with workload identity). */
export function createHandler(options: SlackFunctionOptions = {}) {
  return createExecutorHandler('gcp', executorProviders, options);
}

export const handler = createHandler();
