import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { receiveSns } from '../shared/events/receive.js';
import { invocationEventDeps, outcomeSummary, type EventFunctionOptions } from '../shared/events/runtime.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/**
 * AWS Budgets notifications and Cost Anomaly Detection alerts from the SNS topic. A refused
 * message fails the invocation with the reason, so after Lambda's retries it lands in the
 * dead-letter queue; a message already alerted this period is a no-op.
 */
export function createHandler(options: EventFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile], options.env);
  const slackSecretArn = (options.env ?? process.env)[ENV.slackSecretArn];
  const onSns = async (event: SNSEvent, context: Context & { slackSecret?: unknown }) => {
    const events = await invocationEventDeps(context, env, { slackApiUrl: options.slackApiUrl, log: logger });
    return outcomeSummary(await receiveSns(event, { events, log: logger }));
  };
  const fn = middy(onSns).use(injectLambdaContext(logger, { clearState: true }));
  return slackSecretArn
    ? fn.use(secrets({ fetch: { slackSecret: slackSecretArn } }))
    : fn;
}

export const handler = createHandler();
