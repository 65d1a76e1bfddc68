/**
 * A costwatch installation on the sandbox: the sandbox cloud (AWS + Slack Web API stub), an
 * in-memory dynalite store, the in-process execution queue, the interactivity handler and the
 * executor, all wired as the Lambdas wire them. Clicks are built here, independently of
 * costwatch's code, from the posted message's own button in the shape of Slack's payload
 * (test/fixtures/slack) and signed with Node's crypto.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { priceBook, scanOptionsFor, slackNotifier } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import { staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import { InProcessExecutionQueue, type DrainReport } from '../../shared/queue/in-process-queue.js';
import { sandboxAwsCredentials, startSandbox, type Sandbox, type World } from '../../shared/sandbox/index.js';
import type { StubMessage } from '../../shared/sandbox/slack/index.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { approverCheck } from '../../shared/slack/approvers.js';
import { handleInteractionRequest, type InteractionOutcome } from '../../shared/slack/interactions.js';
import { runJob, type JobResult } from '../../shared/slack/jobs.js';
import type { SlackNotifier } from '../../shared/slack/notifier.js';
import { jobDepsFor } from '../../shared/slack/wiring.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789abcdef';
export const APPROVER = 'U0APPROVER1';
export const SECOND_APPROVER = 'U0APPROVER2';
export const GROUP = 'S0FINOPS';
export const GROUP_MEMBER = 'U0GROUPMEMBER';
export const OUTSIDER = 'U0OUTSIDER';

/** The policy of the tests: the sample world's accounts, idle-endpoint in approve mode, Slack routed by team tag. */
export function e2ePolicy(extra = ''): Policy {
  const text = `version: 1
clouds:
  aws:
    accounts:
      - { id: "111111111111", name: ml-prod, regions: [us-east-1, eu-west-1] }
      - { id: "222222222222", name: ml-dev, regions: [us-east-1] }
rules:
  idle-endpoint: { mode: approve }
slack:
  channel: "#ml-costs"
  routes:
    - { tags: { team: fraud }, channel: "#fraud-costs" }
  approvers:
    users: [${APPROVER}, ${SECOND_APPROVER}]
    userGroups: [${GROUP}]
${extra}`;
  return parsePolicy(text, 'e2e.yml', { now: new Date('2025-06-18T12:00:00Z') }).policy;
}

const TEMPLATE = JSON.parse(readFileSync(new URL('../fixtures/slack/block_actions_payload__bolt-python_test_block_actions.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let clicks = 0;

/** A `block_actions` payload for a click by `user` on the button `actionId` of a message, as Slack builds it. */
export function clickPayload(message: StubMessage, actionId: string, user: string): Record<string, unknown> {
  const block = (message.blocks as { type: string; block_id?: string; elements?: Record<string, unknown>[] }[]).find(
    (b) => b.type === 'actions' && b.elements?.some((e) => e['action_id'] === actionId),
  );
  const button = block?.elements?.find((e) => e['action_id'] === actionId);
  if (!block || !button) throw new Error(`message ${message.ts} has no ${actionId} button`);
  return {
    ...TEMPLATE,
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T111' },
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'ml-costs' },
    trigger_id: `${++clicks}.${Date.now()}.e2e`,
    // Every real click has its own action_ts (microseconds), so no two clicks are the same request.
    actions: [{ action_id: actionId, block_id: block.block_id, text: button['text'], value: button['value'], type: 'button', action_ts: `${Math.floor(Date.now() / 1000)}.${String(++clicks).padStart(6, '0')}` }],
  };
}

/** Any raw body signed as Slack signs requests; `timestamp` and `secret` can be wrong on purpose. */
export function signRaw(rawBody: string, opts: { secret?: string; timestamp?: number } = {}): { headers: Record<string, string>; rawBody: string } {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', opts.secret ?? SIGNING_SECRET).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
  return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature }, rawBody };
}

/** A payload form-encoded (`payload=<json>`) and signed, as Slack sends interactions. */
export function signedRequest(payload: unknown, opts: { secret?: string; timestamp?: number } = {}): { headers: Record<string, string>; rawBody: string } {
  return signRaw(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts);
}

/** A running installation. */
export interface Installation {
  readonly sandbox: Sandbox;
  readonly store: StateStore;
  readonly policy: Policy;
  readonly queue: InProcessExecutionQueue;
  readonly notifier: SlackNotifier;
  scan(): Promise<ScanReport>;
  /** Sends a request to the interactivity handler. */
  send(req: { headers: Record<string, string>; rawBody: string }): Promise<InteractionOutcome>;
  /** Clicks a button of a message as `user`. */
  click(message: StubMessage, actionId: string, user: string): Promise<InteractionOutcome>;
  /** Runs every queued job through the executor. */
  drain(): Promise<DrainReport & { results: JobResult[] }>;
  /** The message of the idle-endpoint proposal for the endpoint `name`, found through the stored message reference. */
  messageAbout(name: string): Promise<StubMessage>;
  close(): Promise<void>;
}

/** Starts the sandbox (the world given) and wires costwatch to it. */
export async function install(world: World, policy = e2ePolicy()): Promise<Installation> {
  const sandbox = await startSandbox({ world });
  sandbox.slack.setUsergroup(GROUP, [GROUP_MEMBER]);
  const store = await openMemoryStore();
  const clock = sandbox.clock;
  const api = new WebApiSlack(slackWebClient(sandbox.slack.botToken, { slackApiUrl: sandbox.slackApiUrl, retryConfig: { retries: 3, minTimeout: 10, maxTimeout: 50 } }));
  const providers = buildProviders(
    policy,
    { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials }, gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox') } },
    { gcp: gcpProviderBuilder() },
  );
  const errors: unknown[] = [];
  const notifier = slackNotifier(policy, { store, clock, providers, slack: { api }, onError: (e) => errors.push(e) })!;
  const queue = new InProcessExecutionQueue();
  const approvers = approverCheck(policy.slack!.approvers, api);
  const jobDeps = jobDepsFor(policy, { store, providers, clock, api });
  const send = (req: { headers: Record<string, string>; rawBody: string }) => handleInteractionRequest(req, { store, queue, approvers, clock, signingSecret: SIGNING_SECRET });
  return {
    sandbox,
    store,
    policy,
    queue,
    notifier,
    async scan() {
      const report = await runScan(scanOptionsFor(policy, { now: () => clock.now() }), { providers, store, clock, prices: priceBook(policy), notifier });
      if (errors.length > 0) throw errors[0];
      return report;
    },
    send,
    click: (message, actionId, user) => send(signedRequest(clickPayload(message, actionId, user))),
    async drain() {
      const results: JobResult[] = [];
      const report = await queue.drain(async (job) => results.push(await runJob(job, jobDeps)));
      return { ...report, results };
    },
    async messageAbout(name) {
      const p = (await store.listProposals()).find((x) => x.ruleId === 'idle-endpoint' && x.resource.name === name);
      const ref = p && (await store.getSlackMessage(p.findingId));
      const msg = ref && sandbox.slack.message(ref.channel, ref.ts);
      if (!msg) throw new Error(`no idle-endpoint message about ${name}`);
      return msg;
    },
    async close() {
      await store.close();
      await sandbox.close();
    },
  };
}
