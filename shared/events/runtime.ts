import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { priceBook, slackNotifier } from '../app/compose.js';
import { systemClock, type Clock } from '../clock.js';
import { loadPolicyArtifact } from '../config/artifact.js';
import type { Policy } from '../config/policy.js';
import type { Cloud } from '../domain/resource.js';
import type { CloudProvider } from '../providers/port.js';
import { formatProblem, CostwatchError } from '../errors.js';
import type { Notification, Notifier } from '../notify/port.js';
import { DynamoStateStore } from '../store/dynamo-store.js';
import type { EventDeps } from './handle.js';
import type { EventLog } from './receive.js';

/** Some messages of a publish did not reach Slack: the event's delivery must be retried. */
export class NotDeliveredError extends CostwatchError {}

/** A notifier that reports per-message failures instead of throwing (SlackNotifier's `deliver`). */
export interface DeliveryReporting {
  deliver(batch: readonly Notification[], context: { readonly dryRun: boolean; readonly now: Date }): Promise<{ readonly failed: readonly { readonly findingId: string; readonly error: unknown }[] }>;
}

/**
 * Makes a notifier that keeps going past a failed message (right for scans, which publish again
 * next run) fail the publish instead: an event is delivered once, so its delivery must be retried.
 */
export function failOnUndelivered(inner: DeliveryReporting): Notifier {
  return {
    async publish(batch, context) {
      const report = await inner.deliver(batch, context);
      if (report.failed.length > 0) {
        const why = report.failed.map((f) => `${f.findingId}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
        throw new NotDeliveredError(`${report.failed.length} of ${batch.length} alert(s) not delivered to Slack (${why})`, { cause: report.failed[0]?.error });
      }
    },
  };
}

/** Without a Slack section, event alerts go to the function's log, one warning per finding. */
export function logNotifier(log: EventLog): Notifier {
  return {
    async publish(batch, context) {
      for (const n of batch) {
        log.warn('cost alert', {
          dryRun: context.dryRun,
          finding: n.finding.id,
          title: n.finding.title,
          evidence: n.finding.evidence,
          ...(n.proposal ? { proposal: n.proposal.id, mode: n.proposal.mode } : {}),
          ...(n.outcome ? { outcome: n.outcome } : {}),
        });
      }
    },
  };
}

/** What differs between a deployed event function and a test of it. */
export interface EventFunctionOptions {
  /** Environment to read the contract's variables from; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Slack Web API base URL (the stub in tests); default Slack's. */
  readonly slackApiUrl?: string;
}

/** Where a deployed event function finds its state, policy and Slack. */
export interface DeployedEventConfig {
  readonly policyFile: string;
  readonly stateTable: string;
  /** From the Slack secret; without it (or without `slack` in the policy) alerts are logged. */
  readonly botToken?: string;
  /** Slack Web API base URL; the real one unless a test points it at the stub. */
  readonly slackApiUrl?: string;
  readonly log: EventLog;
  readonly clock?: Clock;
  /**
   * Builds the cloud providers, for functions that read resources (SageMaker events). Budget and
   * anomaly functions leave it out: their findings name no resource, so they build no provider.
   */
  readonly providers?: (policy: Policy) => ReadonlyMap<Cloud, CloudProvider>;
}

let cached: { key: string; deps: Promise<EventDeps> } | undefined;

/**
 * The event use-case's dependencies in a deployed function: the bundled policy, the DynamoDB
 * state table, the providers, and Slack (retried by Lambda when a message is not delivered).
 * Built once per execution environment and bot token (a rotated token rebuilds them).
 */
export function deployedEventDeps(config: DeployedEventConfig): Promise<EventDeps> {
  const key = JSON.stringify([config.policyFile, config.stateTable, config.botToken ?? '', config.slackApiUrl ?? '', Boolean(config.providers)]);
  if (cached?.key !== key) {
    const deps = build(config);
    // A failed build (bad policy file) is not cached: the next invocation tries again and fails loudly too.
    deps.catch(() => {
      if (cached?.deps === deps) cached = undefined;
    });
    cached = { key, deps };
  }
  return cached.deps;
}

async function build(config: DeployedEventConfig): Promise<EventDeps> {
  const { policy, warnings } = await loadPolicyArtifact(config.policyFile);
  for (const w of warnings) config.log.warn('policy warning', { problem: formatProblem(w) });
  const clock = config.clock ?? systemClock;
  const store = new DynamoStateStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: config.stateTable });
  const providers = config.providers?.(policy) ?? new Map<Cloud, CloudProvider>();
  let notifier: Notifier;
  const slack = config.botToken
    ? slackNotifier(policy, {
        store,
        clock,
        providers,
        // A few retries only: Lambda retries the whole event, so a long wait would just run into the timeout.
        slack: { botToken: config.botToken, client: { ...(config.slackApiUrl ? { slackApiUrl: config.slackApiUrl } : {}), retryConfig: { retries: 2, maxTimeout: 5_000 } } },
      })
    : undefined;
  if (slack) notifier = failOnUndelivered(slack);
  else {
    if (policy.slack) config.log.warn('the policy has a slack section but no bot token was found: alerts are logged only');
    notifier = logNotifier(config.log);
  }
  return { policy, store, clock, providers, prices: priceBook(policy), notifier };
}

/**
 * The event dependencies of one function invocation: the bundled policy and state table from the
 * environment, and Slack when the secret middy put on the context holds a bot token.
 */
export function invocationEventDeps(
  context: { readonly slackSecret?: unknown },
  env: { readonly POLICY_FILE: string; readonly STATE_TABLE: string },
  options: Pick<EventFunctionOptions, 'slackApiUrl'> & Pick<DeployedEventConfig, 'log' | 'providers'>,
): Promise<EventDeps> {
  const botToken = secretField(context.slackSecret, 'botToken');
  return deployedEventDeps({
    policyFile: env.POLICY_FILE,
    stateTable: env.STATE_TABLE,
    log: options.log,
    ...(botToken ? { botToken } : {}),
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
  });
}

/** A string field of a secret as middy's secrets middleware hands it over (parsed JSON), or undefined. */
export function secretField(secret: unknown, field: string): string | undefined {
  if (typeof secret !== 'object' || secret === null) return undefined;
  const v = (secret as Record<string, unknown>)[field];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Summary of outcomes, as a function returns it (and Lambda logs it). */
export function outcomeSummary(outcomes: readonly { readonly published: readonly string[]; readonly duplicates: readonly string[]; readonly ignored: readonly string[] }[]) {
  return {
    published: outcomes.flatMap((o) => o.published),
    duplicates: outcomes.flatMap((o) => o.duplicates),
    ignored: outcomes.flatMap((o) => o.ignored),
  };
}
