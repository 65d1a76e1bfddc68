import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Cloud } from '../shared/domain/resource.js';
import type { CloudProvider } from '../shared/providers/port.js';
import { buildAzureProvider } from '../shared/app/compose-azure.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';
import { lambdaDepsWith, scanWorker } from './lib/scan-worker-core.js';
import { secrets } from './lib/secrets.js';

/*
 * The Azure scan function: the scan worker with the Azure provider, fed by the Azure scan queue.
 * Its own bundle holds the Azure clients, so the AWS scan worker's does not. The Azure service
 * principal is read from the secret named by AZURE_SECRET_ARN on the first Azure call.
 */

// Azure only: its queue carries Azure subscriptions alone, so no AWS provider (nor its clients) is built.
const deps = lambdaDepsWith((policy) => {
  const providers = new Map<Cloud, CloudProvider>();
  const azure = buildAzureProvider(policy);
  if (azure) providers.set('azure', azure);
  return providers;
});
const slackSecretArn = process.env[ENV.slackSecretArn];
const base = middy(
  scanWorker((context) => {
    // Execution jobs go to their proposal's cloud's queue: ENV.executionQueueUrl (AWS, and jobs without a proposal), ENV.gcpExecutionQueueUrl and
    // ENV.azureExecutionQueueUrl where those clouds are configured (see executionQueuesFromEnv; a scan may requeue another cloud's undo).
    // Fails fast naming a missing variable; the Azure credential reads AZURE_SECRET_ARN on first use.
    loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl, ENV.azureSecretArn]);
    return deps(context);
  }),
).use(injectLambdaContext(logger, { clearState: true }));

export const handler = slackSecretArn
  ? base.use(secrets({ fetch: { slackSecret: slackSecretArn } }))
  : base;
