import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import secretsManager from '@middy/secrets-manager';
import { FOREIGN_PROVIDERS } from '../shared/app/compose-azure.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';
import { lambdaDepsWith, scanWorker } from './scan-worker.js';

/*
 * The Azure scan function: the scan worker with the Azure provider, fed by the Azure scan queue.
 * Its own bundle holds the Azure clients, so the AWS scan worker's does not. The Azure service
 * principal is read from the secret named by AZURE_SECRET_ARN on the first Azure call.
 */

const deps = lambdaDepsWith(FOREIGN_PROVIDERS);
const slackSecretArn = process.env[ENV.slackSecretArn];
const base = middy(
  scanWorker((context) => {
    // Fails fast naming a missing variable; the Azure credential reads AZURE_SECRET_ARN on first use.
    loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl, ENV.azureSecretArn]);
    return deps(context);
  }),
).use(injectLambdaContext(logger, { clearState: true }));

export const handler = slackSecretArn
  ? base.use(secretsManager({ fetchData: { slackSecret: slackSecretArn }, setToContext: true, cacheKey: 'costwatch-scan-worker-azure', cacheExpiry: 15 * 60_000 }))
  : base;
