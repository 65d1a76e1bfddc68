import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { GOOGLE_JWKS_URL } from '../shared/events/auth.js';
import { httpRequestOf, receiveGcpPush } from '../shared/events/receive.js';
import { invocationEventDeps, secretField, type EventFunctionOptions } from '../shared/events/runtime.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets, serviceUnavailable } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/** Options of the Google webhook: the key set Google signs push tokens with (Google's own by default). */
export interface GcpWebhookOptions extends EventFunctionOptions {
  readonly jwks?: JWTVerifyGetKey;
}

/**
 * Cloud Billing budget notifications pushed by Pub/Sub (Function URL, auth NONE: the push's
 * Google-signed OIDC token is verified here). Answers 4xx with the reason for anything refused,
 * 5xx when processing failed (Pub/Sub then retries), 200 otherwise.
 */
export function createHandler(options: GcpWebhookOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.webhookSecretArn], options.env);
  const slackSecretArn = (options.env ?? process.env)[ENV.slackSecretArn];
  // Fetched on first use and cached by jose, refreshed when Google rotates its keys.
  const jwks = options.jwks ?? createRemoteJWKSet(new URL(GOOGLE_JWKS_URL));
  const onPush = async (event: LambdaFunctionURLEvent, context: Context & { webhookSecret?: unknown; slackSecret?: unknown }): Promise<LambdaFunctionURLResult> => {
    const audience = secretField(context.webhookSecret, 'gcpAudience');
    const serviceAccountEmail = secretField(context.webhookSecret, 'gcpServiceAccountEmail');
    if (!audience || !serviceAccountEmail) {
      logger.error('the webhook secret has no gcpAudience or gcpServiceAccountEmail');
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'webhook not configured' }) };
    }
    const events = await invocationEventDeps(context, env, { slackApiUrl: options.slackApiUrl, log: logger });
    return receiveGcpPush(httpRequestOf(event), { events, log: logger, identity: { audience, serviceAccountEmail }, jwks });
  };
  return middy(onPush)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(
      // Unreadable secrets answer 503 (the pusher retries) and are logged; never a failed start.
      secrets({ fetch: { webhookSecret: env.WEBHOOK_SECRET_ARN, ...(slackSecretArn ? { slackSecret: slackSecretArn } : {}) }, unavailable: serviceUnavailable }),
    );
}

export const handler = createHandler();
