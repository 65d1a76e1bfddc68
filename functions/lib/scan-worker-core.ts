/* The scan worker's logic, shared by the AWS and Azure scan functions (their handlers: functions/scan-worker.ts, functions/scan-worker-azure.ts). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from '../../shared/util/check.js';
import { lookbackHours, priceBook, scanOptionsFor, slackNotifier } from '../../shared/app/compose.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { loadPolicyArtifact } from '../../shared/config/artifact.js';
import { policyScopes, RULE_IDS, type Policy } from '../../shared/config/policy.js';
import type { Cloud } from '../../shared/domain/resource.js';
import { CostwatchError } from '../../shared/errors.js';
import type { Notifier } from '../../shared/notify/port.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import type { PriceBook } from '../../shared/pricing/price-book.js';
import type { CloudProvider } from '../../shared/providers/port.js';
import { executionQueuesFromEnv } from './execution-queues.js';
import type { ExecutionQueue } from '../../shared/queue/port.js';
import { DynamoStateStore } from '../../shared/store/dynamo-store.js';
import type { StateStore } from '../../shared/store/port.js';
import { ENV } from './contract.js';
import { loadEnv } from './env.js';
import { logger } from './observability.js';

/** Version of the scan message; a worker refuses versions it does not know. */
export const SCAN_MESSAGE_VERSION = 1;

/** One scope to scan, as scan-dispatch enqueues it. Regions and settings come from the worker's bundled policy. */
export const ScanMessageSchema = z.strictObject({
  version: z.literal(SCAN_MESSAGE_VERSION),
  cloud: z.enum(['aws', 'gcp', 'azure'] satisfies Cloud[]),
  scopeId: z.string().min(1),
  rules: z.array(z.enum(RULE_IDS)).min(1),
  dispatchedAt: z.iso.datetime(),
});

/** The body of a scan message. */
export type ScanMessage = z.infer<typeof ScanMessageSchema>;

/** A message the worker cannot act on: malformed, or naming a scope the bundled policy does not have. */
export class ScanMessageError extends CostwatchError {}

/** What the worker needs; the handler builds it once per execution environment. */
export interface ScanWorkerDeps {
  readonly policy: Policy;
  readonly providers: ReadonlyMap<Cloud, CloudProvider>;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly prices: PriceBook;
  readonly notifier?: Notifier;
  /** Where approvals whose execution job was lost are queued again. */
  readonly executionQueue?: ExecutionQueue;
}

/** What one scope's scan did, for the log. */
export interface ScopeScanResult {
  readonly scope: string;
  readonly rules: readonly string[];
  /** Rules of the message with no detector in this version: nothing to evaluate for them. */
  readonly unimplemented: readonly string[];
  readonly report?: ScanReport;
}

/** Parses a message body; throws ScanMessageError with the reason. */
export function parseScanMessage(body: string): ScanMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ScanMessageError(`scan message is not JSON: ${body.slice(0, 200)}`);
  }
  const parsed = ScanMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw new ScanMessageError(`bad scan message: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/**
 * Scans the one scope a message names, with the rules it names: `runScan` with a single target,
 * so a slow or failing scope holds up nothing but its own message.
 */
export async function scanScope(message: ScanMessage, deps: ScanWorkerDeps): Promise<ScopeScanResult> {
  const { policy } = deps;
  const target = policyScopes(policy).find((t) => t.scope.cloud === message.cloud && t.scope.id === message.scopeId);
  const scope = `${message.cloud}:${message.scopeId}`;
  if (!target) throw new ScanMessageError(`${scope} is not a scope of the bundled policy (was the policy changed since the message was sent?)`);
  const base = scanOptionsFor(policy, { now: () => deps.clock.now() });
  // Only this schedule's rules, resource and cost alike: the schedule's cadence is theirs. The scan
  // derives what it reads from the rules it is given (shared/pipeline/collection-plan.ts), so
  // narrowing them here narrows the kinds, usage signals and billing data read for this schedule.
  const asked = new Set<string>(message.rules);
  const rules = base.rules.filter((r) => asked.has(r.rule.id));
  const costRules = (base.costRules ?? []).filter((r) => asked.has(r.rule.id));
  const implemented = new Set([...base.rules, ...(base.costRules ?? [])].map((r) => r.rule.id));
  const unimplemented = message.rules.filter((id) => !implemented.has(id));
  if (rules.length === 0 && costRules.length === 0) return { scope, rules: [], unimplemented };
  const report = await runScan(
    { ...base, targets: [target], rules, costRules, lookbackHours: lookbackHours(rules), concurrency: 1 },
    {
      providers: deps.providers,
      store: deps.store,
      clock: deps.clock,
      prices: deps.prices,
      ...(deps.notifier ? { notifier: deps.notifier } : {}),
      ...(deps.executionQueue ? { executionQueue: deps.executionQueue } : {}),
    },
  );
  return { scope, rules: [...rules, ...costRules].map((r) => r.rule.id), unimplemented, report };
}

/** The SQS batch handler: each record scanned on its own; failed records are retried, then dead-lettered. */
export function scanWorker(deps: (context: SlackSecretContext) => Promise<ScanWorkerDeps>): (event: SQSEvent, context: SlackSecretContext) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await handleRecord(record, await deps(context));
      } catch (err) {
        logger.error('scan message failed', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: err as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

async function handleRecord(record: SQSRecord, deps: ScanWorkerDeps): Promise<void> {
  const message = parseScanMessage(record.body);
  const result = await scanScope(message, deps);
  if (result.unimplemented.length > 0) logger.info('rules without a detector in this version', { scope: result.scope, rules: result.unimplemented });
  const report = result.report;
  if (!report) return;
  const failures = report.findings.filter((f) => f.state === 'failure');
  for (const f of failures) logger.error('collection failed', { scope: result.scope, finding: f.id, evidence: f.evidence });
  logger.info('scope scanned', {
    scope: result.scope,
    rules: result.rules,
    resources: report.scopes[0]?.resources ?? 0,
    findings: report.findings.length,
    proposals: report.proposals.length,
    executions: report.executions.length,
    failures: failures.length,
    wastePerMonth: report.wastePerMonth,
    durationMs: report.durationMs,
  });
}

/** The Lambda context, with the Slack secret (parsed JSON) when SLACK_SECRET_ARN is set. */
export type SlackSecretContext = Partial<Context> & { slackSecret?: unknown };

/**
 * The Lambda's dependencies, built on the first message and kept for the life of the execution
 * environment (rebuilt if the bot token changes). `providersFor` builds the providers of the
 * clouds the function scans: the AWS scan function's, or the Azure scan function's (so each bundle
 * carries only its own cloud's clients).
 */
export function lambdaDepsWith(providersFor: (policy: Policy) => Map<Cloud, CloudProvider>): (context: SlackSecretContext) => Promise<ScanWorkerDeps> {
  let defaultDeps: { token: string; deps: Promise<ScanWorkerDeps> } | undefined;
  return (context) => {
    const secret = context.slackSecret as { botToken?: unknown } | undefined;
    const token = typeof secret?.botToken === 'string' ? secret.botToken : '';
    if (defaultDeps?.token === token) return defaultDeps.deps;
    const deps = (async () => {
      const env = loadEnv([ENV.stateTable, ENV.policyFile, ENV.executionQueueUrl]);
      const { policy, warnings } = await loadPolicyArtifact(env.POLICY_FILE);
      for (const w of warnings) logger.warn('policy warning', { ...w });
      const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: env.STATE_TABLE });
      const providers = providersFor(policy);
      // A message that does not reach Slack is logged; the next scan publishes the finding again.
      const notifier = token
        ? slackNotifier(policy, { store, clock: systemClock, providers, slack: { botToken: token }, onError: (error, n) => logger.error('slack message failed', { finding: n.finding.id, error: error as Error }) })
        : undefined;
      if (policy.slack && !notifier) logger.warn('the policy has a slack section but the Slack secret has no botToken: findings are stored, not posted');
      // Loaded and made only when an approval whose job was lost is queued again; each job goes to its proposal's cloud's executor
      // (a scan of one cloud may requeue another cloud's interrupted undo).
      const executionQueue = executionQueuesFromEnv();
      return { policy, providers, store, clock: systemClock, prices: priceBook(policy), executionQueue, ...(notifier ? { notifier } : {}) };
    })();
    // A failed start (bad environment or policy) is not cached: the next message tries again.
    deps.catch(() => {
      if (defaultDeps?.deps === deps) defaultDeps = undefined;
    });
    defaultDeps = { token, deps };
    return deps;
  };
}

