import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { entraJwksUrl } from '../shared/events/auth.js';
import { httpRequestOf, receiveAzureAlert } from '../shared/events/receive.js';
import { invocationEventDeps, secretField, type EventFunctionOptions } from '../shared/events/runtime.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets, serviceUnavailable } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/** Options of the Azure webhook: the key set Entra ID tokens are checked against (the tenant's published keys by default). */
export interface AzureWebhookOptions extends EventFunctionOptions {
  readonly jwks?: JWTVerifyGetKey;
}

/**
 * Azure budget alerts from an action group's webhook (common alert schema; Function URL, auth
 * NONE: the `?token=` in the URL is compared in constant time with the webhook secret's
 * `azureToken`; when the secret also has `azureEntraTenantId` and `azureEntraAudience`, the
 * secure webhook's Entra ID bearer token is verified too). Answers 4xx with the reason for
 * anything refused, 5xx when processing failed.
 */
export function createHandler(options: AzureWebhookOptions = {}) {
  // Key sets by URL: fetched on first use and cached by jose, refreshed when Entra ID rotates its keys.
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keysOf = (url: string): JWTVerifyGetKey => {
    if (options.jwks) return options.jwks;
    let k = keySets.get(url);
    if (!k) keySets.set(url, (k = createRemoteJWKSet(new URL(url))));
    return k;
  };
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.webhookSecretArn], options.env);
  const slackSecretArn = (options.env ?? process.env)[ENV.slackSecretArn];
  const onAlert = async (event: LambdaFunctionURLEvent, context: Context & { webhookSecret?: unknown; slackSecret?: unknown }): Promise<LambdaFunctionURLResult> => {
    const token = secretField(context.webhookSecret, 'azureToken');
    if (!token) {
      logger.error('the webhook secret has no azureToken');
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'webhook not configured' }) };
    }
    const tenantId = secretField(context.webhookSecret, 'azureEntraTenantId');
    const audience = secretField(context.webhookSecret, 'azureEntraAudience');
    if (Boolean(tenantId) !== Boolean(audience)) {
      logger.error('the webhook secret has one of azureEntraTenantId and azureEntraAudience but not the other');
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error: 'webhook not configured' }) };
    }
    const appId = secretField(context.webhookSecret, 'azureEntraAppId');
    const jwksUrl = secretField(context.webhookSecret, 'azureEntraJwksUrl');
    const entra = tenantId && audience ? { identity: { tenantId, audience, ...(appId ? { appId } : {}) }, jwks: keysOf(jwksUrl || entraJwksUrl(tenantId)) } : undefined;
    const events = await invocationEventDeps(context, env, { slackApiUrl: options.slackApiUrl, log: logger });
    return receiveAzureAlert(httpRequestOf(event), { events, log: logger, token, ...(entra ? { entra } : {}) });
  };
  return middy(onAlert)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(
      // Unreadable secrets answer 503 (the pusher retries) and are logged; never a failed start.
      secrets({ fetch: { webhookSecret: env.WEBHOOK_SECRET_ARN, ...(slackSecretArn ? { slackSecret: slackSecretArn } : {}) }, unavailable: serviceUnavailable }),
    );
}

export const handler = createHandler();
