import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import * as z from '../shared/util/check.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { loadPolicyArtifact } from '../shared/config/artifact.js';
import { policyScopes, RULE_IDS, type Policy, type RuleId } from '../shared/config/policy.js';
import { CostwatchError } from '../shared/errors.js';
import { ENV } from './lib/contract.js';
import { loadEnv } from './lib/env.js';
import { logger } from './lib/observability.js';
import type { ScanMessage } from './scan-worker.js';

/** The scheduler's input: which rules this cadence evaluates (set by the stack from the policy). */
export const DispatchEventSchema = z.object({ rules: z.array(z.enum(RULE_IDS)).min(1) });

/** SQS takes at most ten messages per SendMessageBatch. */
const BATCH = 10;
/** Attempts per message before the dispatch fails (and the scheduler's retry and DLQ take over). */
const ATTEMPTS = 3;

/** An event the dispatcher refuses, or messages it could not enqueue. */
export class DispatchError extends CostwatchError {}

/** What the dispatcher needs. */
export interface DispatchDeps {
  readonly policy: Policy;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Queue of the Azure scan function; absent when Azure is not deployed (its scopes then go to `queueUrl`). */
  readonly azureQueueUrl?: string;
  /** Queue of the Google Cloud scan function; absent when Google Cloud is not deployed (its scopes then go to `queueUrl`). */
  readonly gcpQueueUrl?: string;
  readonly clock: Clock;
}

/** What was enqueued. */
export interface DispatchResult {
  readonly rules: readonly RuleId[];
  /** `cloud:id` of every scope enqueued. */
  readonly scopes: readonly string[];
}

/**
 * Enqueues one scan message per configured account, project and subscription for the rules of
 * this schedule. Entries SQS rejects are retried; any still rejected fail the invocation, naming
 * the scopes (duplicates of scopes already enqueued are harmless: proposals are keyed).
 */
export async function dispatchScans(event: unknown, deps: DispatchDeps): Promise<DispatchResult> {
  const parsed = DispatchEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new DispatchError(`bad schedule input ${JSON.stringify(event)?.slice(0, 200)}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
  }
  const rules = [...new Set(parsed.data.rules)].filter((id) => deps.policy.rules[id].enabled);
  if (rules.length === 0) {
    logger.warn('every rule of this schedule is disabled in the bundled policy; nothing to scan', { rules: parsed.data.rules });
    return { rules, scopes: [] };
  }
  const dispatchedAt = deps.clock.now().toISOString();
  const messages = policyScopes(deps.policy).map(
    (t): ScanMessage => ({ version: 1, cloud: t.scope.cloud, scopeId: t.scope.id, rules, dispatchedAt }),
  );
  const failed: string[] = [];
  // Azure subscriptions and Google Cloud projects are scanned by their own functions (their own
  // bundles), each fed by its own queue.
  const byQueue = new Map<string, ScanMessage[]>();
  for (const m of messages) {
    const url = m.cloud === 'azure' && deps.azureQueueUrl ? deps.azureQueueUrl : m.cloud === 'gcp' && deps.gcpQueueUrl ? deps.gcpQueueUrl : deps.queueUrl;
    byQueue.set(url, [...(byQueue.get(url) ?? []), m]);
  }
  for (const [url, list] of byQueue) {
    for (let i = 0; i < list.length; i += BATCH) failed.push(...(await sendBatch(deps, url, list.slice(i, i + BATCH))));
  }
  const scopes = messages.map((m) => `${m.cloud}:${m.scopeId}`);
  if (failed.length > 0) {
    throw new DispatchError(`could not enqueue ${failed.length} of ${messages.length} scans: ${failed.join('; ')}`);
  }
  logger.info('scans dispatched', { rules, scopes: scopes.length });
  return { rules, scopes };
}

/** Sends up to ten messages, retrying rejected entries; returns `scope: reason` for those never accepted. */
async function sendBatch(deps: DispatchDeps, queueUrl: string, messages: readonly ScanMessage[]): Promise<string[]> {
  let pending: SendMessageBatchRequestEntry[] = messages.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) }));
  const reasons = new Map<string, string>();
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
    try {
      const res = await deps.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const rejected = new Map((res.Failed ?? []).map((f) => [f.Id ?? '', f]));
      for (const [id, f] of rejected) reasons.set(id, `${f.Code ?? 'error'}: ${f.Message ?? ''}`.trim());
      // A sender fault (a malformed entry) will not succeed on retry.
      if ([...rejected.values()].every((f) => f.SenderFault)) {
        pending = pending.filter((e) => rejected.has(e.Id ?? ''));
        break;
      }
      pending = pending.filter((e) => rejected.has(e.Id ?? ''));
    } catch (err) {
      for (const e of pending) reasons.set(e.Id ?? '', `${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  return pending.map((e) => {
    const m = messages[Number(e.Id)]!;
    return `${m.cloud}:${m.scopeId} (${reasons.get(e.Id ?? '') ?? 'not accepted'})`;
  });
}

let defaultDeps: Promise<DispatchDeps> | undefined;

function lambdaDeps(): Promise<DispatchDeps> {
  defaultDeps ??= (async () => {
    const env = loadEnv([ENV.policyFile, ENV.scanQueueUrl]);
    const { policy, warnings } = await loadPolicyArtifact(env.POLICY_FILE);
    for (const w of warnings) logger.warn('policy warning', { ...w });
    // Set by the stack only where clouds.azure (clouds.gcp) is configured.
    const azureQueueUrl = process.env[ENV.azureScanQueueUrl];
    const gcpQueueUrl = process.env[ENV.gcpScanQueueUrl];
    return { policy, sqs: new SQSClient({}), queueUrl: env.SCAN_QUEUE_URL, ...(azureQueueUrl ? { azureQueueUrl } : {}), ...(gcpQueueUrl ? { gcpQueueUrl } : {}), clock: systemClock };
  })().catch((err: unknown) => {
    defaultDeps = undefined;
    throw err;
  });
  return defaultDeps;
}

export const handler = middy(async (event: unknown) => dispatchScans(event, await lambdaDeps())).use(injectLambdaContext(logger, { clearState: true }));
