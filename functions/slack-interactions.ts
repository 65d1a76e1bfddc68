import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { systemClock, type Clock } from '../shared/clock.js';
import { loadPolicyArtifact } from '../shared/config/artifact.js';
import { executionQueuesFromEnv } from './lib/execution-queues.js';
import { slackWebClient, WebApiSlack } from '../shared/slack/api.js';
import { approverCheck, type ApproverCheck } from '../shared/slack/approvers.js';
import { handleEventRequest, isEventsApiRequest } from '../shared/slack/events-api.js';
import { handleInteractionRequest } from '../shared/slack/interactions.js';
import { parseSlackSecret } from '../shared/slack/secret.js';
import { DynamoStateStore } from '../shared/store/dynamo-store.js';
import { ENV, type SlackSecret } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets, serviceUnavailable } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/** What differs between the deployed function and a test of it. */
export interface SlackFunctionOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Slack Web API base URL (the stub in tests). */
  readonly slackApiUrl?: string;
  /** Domain time: proposal expiry, decisions, re-checks (the sandbox world's clock in tests). Slack signatures are always checked against the machine's clock. */
  readonly clock?: Clock;
}

/**
 * The Slack app's interactivity and Events API URL (a Function URL, auth NONE: every request is
 * verified here): verify the signature, refuse replays, authorize, decide once, enqueue the work
 * (or the App Home of whoever opened it), answer 200 — well within Slack's three seconds, since
 * nothing here waits on Slack or the cloud.
 */
export function createHandler(options: SlackFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl, ENV.slackSecretArn], options.env);
  const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: env.STATE_TABLE });
  // One queue per cloud's executor, each job to its proposal's cloud (ENV.executionQueueUrl; ENV.gcpExecutionQueueUrl and ENV.azureExecutionQueueUrl
  // where those clouds are configured); the SQS client is loaded and made on the first accepted click, not at start.
  const queue = executionQueuesFromEnv(options.env ?? process.env);

  // Built on the first request and kept for the life of the execution environment; rebuilt when the
  // bot token changes (rotation), so the user-group cache never outlives its token.
  let approvers: { token: string; check: Promise<ApproverCheck> } | undefined;
  const approversFor = (secret: SlackSecret): Promise<ApproverCheck> => {
    if (approvers?.token !== secret.botToken) {
      const check = loadPolicyArtifact(env.POLICY_FILE).then(({ policy }) => {
        // One quick attempt: a click must be answered within three seconds.
        const client = slackWebClient(secret.botToken, { ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}), timeoutMs: 1500, retryConfig: { retries: 0 } });
        return approverCheck(policy.slack?.approvers ?? { users: [], userGroups: [] }, new WebApiSlack(client));
      });
      check.catch(() => (approvers = undefined));
      approvers = { token: secret.botToken, check };
    }
    return approvers.check;
  };

  const interactions = async (event: APIGatewayProxyEventV2, context: Context & { slackSecret?: unknown }): Promise<APIGatewayProxyStructuredResultV2> => {
    const secret: SlackSecret = parseSlackSecret(context.slackSecret);
    // Function URLs hand a form body over base64-encoded; the signature covers the decoded bytes.
    const rawBody = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    // The Events API (App Home opened) posts JSON to the same URL.
    if (isEventsApiRequest(event.headers ?? {})) {
      const answer = await handleEventRequest({ headers: event.headers ?? {}, rawBody }, { store, queue, clock: options.clock ?? systemClock, signingSecret: secret.signingSecret });
      logger.info('slack event', { result: answer.result, reason: answer.message });
      return { statusCode: answer.status, headers: { 'content-type': answer.contentType ?? 'text/plain; charset=utf-8' }, body: answer.body ?? (answer.status === 200 ? '' : answer.message) };
    }
    const outcome = await handleInteractionRequest(
      { headers: event.headers ?? {}, rawBody },
      { store, queue, approvers: await approversFor(secret), clock: options.clock ?? systemClock, signingSecret: secret.signingSecret },
    );
    if (outcome.result === 'rejected') logger.warn('slack interaction rejected', { status: outcome.status, reason: outcome.message });
    else logger.info('slack interaction', { result: outcome.result, reason: outcome.message });
    return { statusCode: outcome.status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: outcome.status === 200 ? '' : outcome.message };
  };

  return middy(interactions)
    .use(injectLambdaContext(logger, { clearState: true }))
    // Read on the first click (never at start); unreadable, the click gets a 503 and the error is logged.
    .use(secrets({ fetch: { slackSecret: env.SLACK_SECRET_ARN }, unavailable: serviceUnavailable }));
}

export const handler = createHandler();
