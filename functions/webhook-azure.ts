import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { httpRequestOf, receiveAzureAlert } from '../shared/events/receive.js';
import { invocationEventDeps, secretField, type EventFunctionOptions } from '../shared/events/runtime.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets, serviceUnavailable } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/**
 * Azure budget alerts from an action group's webhook (common alert schema; Function URL, auth
 * NONE: the `?token=` in the URL is compared in constant time with the webhook secret's
 * `azureToken`). Answers 4xx with the reason for anything refused, 5xx when processing failed.
 */
export function createHandler(options: EventFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.webhookSecretArn], options.env);
  const slackSecretArn = (options.env ?? process.env)[ENV.slackSecretArn];
  const onAlert = async (event: LambdaFunctionURLEvent, context: Context & { webhookSecret?: unknown; slackSecret?: unknown }): Promise<LambdaFunctionURLResult> => {
    const token = secretField(context.webhookSecret, 'azureToken');
    if (!token) {
      logger.error('the webhook secret has no azureToken');
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'webhook not configured' }) };
    }
    const events = await invocationEventDeps(context, env, { slackApiUrl: options.slackApiUrl, log: logger });
    return receiveAzureAlert(httpRequestOf(event), { events, log: logger, token });
  };
  return middy(onAlert)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(
      // Unreadable secrets answer 503 (the pusher retries) and are logged; never a failed start.
      secrets({ fetch: { webhookSecret: env.WEBHOOK_SECRET_ARN, ...(slackSecretArn ? { slackSecret: slackSecretArn } : {}) }, unavailable: serviceUnavailable }),
    );
}

export const handler = createHandler();
