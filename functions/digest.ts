import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { systemClock } from '../shared/clock.js';
import { loadPolicyArtifact } from '../shared/config/artifact.js';
import { policyScopes } from '../shared/config/policy.js';
import { slackWebClient, WebApiSlack } from '../shared/slack/api.js';
import { postDigest } from '../shared/slack/digest.js';
import { parseSlackSecret } from '../shared/slack/secret.js';
import { DynamoStateStore } from '../shared/store/dynamo-store.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets } from './lib/secrets.js';
import { logger } from './lib/observability.js';
import type { SlackFunctionOptions } from './slack-interactions.js';

/** What one digest run did. */
export interface DigestResult {
  readonly posted: boolean;
  readonly reason?: string;
  /** File names of the charts uploaded with the digest. */
  readonly charts?: readonly string[];
}

/** Options of the digest function (tests). */
export interface DigestFunctionOptions extends SlackFunctionOptions {
  /** The chart font; default the one bundled next to the handler. */
  readonly fontFile?: string;
}

/**
 * Weekly (EventBridge Scheduler): posts the week's spend, budgets, movers, findings, actions and
 * realized savings, with charts rendered here and uploaded to Slack, to the policy's default
 * channel, once per ISO week however often it is invoked.
 */
export function createHandler(options: DigestFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.slackSecretArn], options.env);
  const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: env.STATE_TABLE });

  const digest = async (_event: unknown, context: Context & { slackSecret?: unknown }): Promise<DigestResult> => {
    const { policy } = await loadPolicyArtifact(env.POLICY_FILE);
    if (!policy.slack) {
      logger.warn('no slack section in the policy: no digest to post');
      return { posted: false, reason: 'no slack section' };
    }
    const secret = parseSlackSecret(context.slackSecret);
    const api = new WebApiSlack(slackWebClient(secret.botToken, options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}));
    const scopes = policyScopes(policy).map((t) => t.scope);
    const result = await postDigest({ store, api, clock: options.clock ?? systemClock, channel: policy.slack.channel, scopes, aiServices: policy.rules['untagged-spend'].services, ...(options.fontFile ? { fontFile: options.fontFile } : {}) });
    logger.info(result.posted ? 'digest posted' : 'digest not posted', { key: result.key, reason: result.reason, realizedWeek: result.model?.total.realizedWeek, charts: result.charts?.length });
    return result.posted ? { posted: true, charts: result.charts?.map((c) => c.name) ?? [] } : { posted: false, reason: result.reason ?? 'not posted' };
  };

  return middy(digest)
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(secrets({ fetch: { slackSecret: env.SLACK_SECRET_ARN } }));
}

export const handler = createHandler();
