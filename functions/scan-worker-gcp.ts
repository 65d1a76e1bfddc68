import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Cloud } from '../shared/domain/resource.js';
import type { CloudProvider } from '../shared/providers/port.js';
import { deployedGcpProvider } from '../shared/app/compose-gcp-deployed.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';
import { lambdaDepsWith, scanWorker } from './lib/scan-worker-core.js';
import { secrets } from './lib/secrets.js';

/*
 * The Google Cloud scan function: the scan worker with the gcp provider, fed by the Google Cloud
 * scan queue. Its own bundle holds the Google clients, so the AWS scan worker's does not. The
 * credentials are workload identity federation from this function's role (policy
 * `credentials.workloadIdentity`), or the secret named by GCP_SECRET_ARN, read on the first
 * Google call.
 */

// Google Cloud only: its queue carries Google Cloud projects alone, so no AWS provider (nor its clients) is built.
const deps = lambdaDepsWith((policy) => {
  const providers = new Map<Cloud, CloudProvider>();
  const gcp = deployedGcpProvider(policy);
  if (gcp) providers.set('gcp', gcp);
  return providers;
});
const slackSecretArn = process.env[ENV.slackSecretArn];
const base = middy(
  scanWorker((context) => {
    // Execution jobs go to their proposal's cloud's queue: ENV.executionQueueUrl (AWS, and jobs without a proposal), ENV.gcpExecutionQueueUrl and
    // ENV.azureExecutionQueueUrl where those clouds are configured (see executionQueuesFromEnv; a scan may requeue another cloud's undo).
    // Fails fast naming a missing variable; ENV.gcpSecretArn is optional: set only where a secret holds the credentials
    // (read by deployedGcpProvider on the first Google call), absent with workload identity federation.
    loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl]);
    return deps(context);
  }),
).use(injectLambdaContext(logger, { clearState: true }));

export const handler = slackSecretArn
  ? base.use(secrets({ fetch: { slackSecret: slackSecretArn } }))
  : base;
