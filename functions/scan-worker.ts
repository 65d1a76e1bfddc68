import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { buildProviders } from '../shared/app/providers.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';
import { lambdaDepsWith, scanWorker } from './lib/scan-worker-core.js';
import { secrets } from './lib/secrets.js';

export * from './lib/scan-worker-core.js';

const lambdaDeps = lambdaDepsWith((policy) => buildProviders(policy));
const slackSecretArn = process.env[ENV.slackSecretArn];
const base = middy(
  scanWorker((context) => {
    // Execution jobs go to their proposal's cloud's queue: ENV.executionQueueUrl (AWS, and jobs without a proposal), ENV.gcpExecutionQueueUrl and
    // ENV.azureExecutionQueueUrl where those clouds are configured (see executionQueuesFromEnv; a scan may requeue another cloud's undo).
    // Fails fast naming a missing variable.
    loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl]);
    return lambdaDeps(context);
  }),
).use(injectLambdaContext(logger, { clearState: true }));

export const handler = slackSecretArn
  ? base.use(secrets({ fetch: { slackSecret: slackSecretArn } }))
  : base;
