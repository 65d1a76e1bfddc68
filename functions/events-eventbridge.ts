import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { buildProviders } from '../shared/app/providers.js';
import { receiveEventBridge } from '../shared/events/receive.js';
import { invocationEventDeps, outcomeSummary, type EventFunctionOptions } from '../shared/events/runtime.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { secrets } from './lib/secrets.js';
import { logger } from './lib/observability.js';

/**
 * SageMaker state changes (a new endpoint or notebook in service is watched at once; a training
 * job without a stopping condition or over its limit is flagged) and Cost Anomaly Detection
 * `Anomaly Detected`. A refused event fails the invocation with the reason (then the DLQ).
 */
export function createHandler(options: EventFunctionOptions = {}) {
  const env = loadEnv([ENV.stateTable, ENV.policyFile], options.env);
  const slackSecretArn = (options.env ?? process.env)[ENV.slackSecretArn];
  const onEvent = async (event: EventBridgeEvent<string, unknown>, context: Context & { slackSecret?: unknown }) => {
    const events = await invocationEventDeps(context, env, { slackApiUrl: options.slackApiUrl, log: logger, providers: (policy) => buildProviders(policy) });
    const outcome = await receiveEventBridge(event, { events, log: logger });
    return { ...outcomeSummary([outcome]), proposals: outcome.proposals.map((p) => p.id) };
  };
  const fn = middy(onEvent).use(injectLambdaContext(logger, { clearState: true }));
  return slackSecretArn
    ? fn.use(secrets({ fetch: { slackSecret: slackSecretArn } }))
    : fn;
}

export const handler = createHandler();
