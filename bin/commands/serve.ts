import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SocketModeClient } from '@slack/socket-mode';
import { createRemoteJWKSet } from 'jose';
import { priceBook, scanOptionsFor, slackNotifier } from '../../shared/app/compose.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { defaultPolicyFor, findPolicyFile, loadPolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { CostwatchError, formatProblem } from '../../shared/errors.js';
import { EventInFlightError, EventRefusedError } from '../../shared/events/event.js';
import { entraJwksUrl, GOOGLE_JWKS_URL } from '../../shared/events/auth.js';
import type { EventDeps } from '../../shared/events/handle.js';
import { receiveAzureAlert, receiveEventBridge, receiveGcpPush, receiveSns, type EventLog, type HttpRequest, type WebhookDeps } from '../../shared/events/receive.js';
import { failOnUndelivered } from '../../shared/events/runtime.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import { InProcessExecutionQueue } from '../../shared/queue/in-process-queue.js';
import { loadWorld, SAMPLE_WORLD_PATH, worldScopes } from '../../shared/sandbox/index.js';
import { startSandbox, type Sandbox } from '../../shared/sandbox/server.js';
import { signedClick } from '../../shared/sandbox/slack/click.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { approverCheck } from '../../shared/slack/approvers.js';
import { handleEventRequest, isEventsApiRequest } from '../../shared/slack/events-api.js';
import { BlockActionsPayloadSchema, handleBlockActions, handleInteractionRequest, MAX_INTERACTION_BODY_BYTES, type InteractionDeps } from '../../shared/slack/interactions.js';
import { runJob, syncProposalMessage } from '../../shared/slack/jobs.js';
import { recoverInterrupted } from '../../shared/pipeline/execute.js';
import type { AlertEvent } from '../../shared/slack/view.js';
import { jobDepsFor } from '../../shared/slack/wiring.js';
import { openEmbeddedStore } from '../../shared/store/embedded-store.js';
import { cliProviders } from './providers.js';
import { EXIT, takeOptionalValue, UsageError } from './common.js';
import { waitLockOption, type Io } from './scan.js';
import type { StateStore } from '../../shared/store/port.js';

/** The approver `serve --sandbox` adds when the policy names none: clicks in the sandbox are made as this user. */
export const SANDBOX_APPROVER = 'U0SANDBOX1';

/** Path of the interactivity endpoint `serve` listens on. */
export const INTERACTIONS_PATH = '/slack/interactions';

const ACTIONS_BY_WORD: Readonly<Record<string, string>> = {
  approve: ACTION_IDS.approve,
  snooze: ACTION_IDS.snooze,
  exempt: ACTION_IDS.exempt,
  undo: ACTION_IDS.undo,
};

/**
 * `costwatch serve`: the interactivity endpoint on localhost, the executor in-process, and — with
 * an app-level token — Socket Mode, so approvals can be tried from a laptop. With `--sandbox` (or
 * without a policy file) everything runs against the sandbox cloud and its Slack stub, and clicks
 * are simulated with `POST /sandbox/click`.
 */
export async function serveCommand(argv: readonly string[], io: Io, signal?: AbortSignal): Promise<number> {
  const sb = takeOptionalValue(argv, '--sandbox');
  const { values } = parseArgs({
    args: sb.rest,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'state-dir': { type: 'string' },
      'no-scan': { type: 'boolean', default: false },
      'wait-lock': { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  });
  if (!Number.isInteger(Number(values.port)) || Number(values.port) < 0 || Number(values.port) > 65535) throw new UsageError(`--port must be 0..65535, got ${values.port}`);
  const waitLockMs = waitLockOption(values['wait-lock']);
  const configPath = values.config ? resolve(io.cwd, values.config) : await findPolicyFile(io.cwd);
  const useSandbox = sb.present || !configPath;

  let policy: Policy | undefined;
  if (configPath) {
    const loaded = await loadPolicy(configPath);
    policy = loaded.policy;
    for (const w of loaded.warnings) io.stderr.write(`warning: ${formatProblem(w)}\n`);
  }

  let slack: { botToken: string; signingSecret: string; appToken?: string; slackApiUrl?: string };
  const worldPath = useSandbox ? (sb.value ? resolve(io.cwd, sb.value) : SAMPLE_WORLD_PATH) : undefined;
  const world = worldPath ? await loadWorld(worldPath) : undefined;
  if (world) {
    policy ??= defaultPolicyFor(worldScopes(world), world.policy);
    if (!policy.slack) policy = { ...policy, slack: { channel: '#costwatch', routes: [], approvers: { users: [SANDBOX_APPROVER], userGroups: [] } } };
  } else {
    const botToken = io.env['SLACK_BOT_TOKEN'];
    const signingSecret = io.env['SLACK_SIGNING_SECRET'];
    if (!botToken || !signingSecret) throw new UsageError('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (and SLACK_APP_TOKEN for Socket Mode), or use --sandbox');
    slack = { botToken, signingSecret, ...(io.env['SLACK_APP_TOKEN'] ? { appToken: io.env['SLACK_APP_TOKEN'] } : {}) };
  }
  if (!policy?.slack) throw new UsageError(`${configPath ?? 'the policy'} has no slack section: nothing to serve`);
  const slackPolicy = policy.slack;
  const servedPolicy: Policy = policy;

  // The state folder is locked before anything starts: a second process is refused at once, and
  // everything started after it is stopped again whatever happens.
  const stateDir = values['state-dir'] ? resolve(io.cwd, values['state-dir']) : resolve(io.cwd, '.costwatch', useSandbox ? 'sandbox-state' : 'state');
  const store = await openEmbeddedStore({ dir: stateDir, waitLockMs });
  let sandbox: Sandbox | undefined;
  const stops: (() => Promise<unknown>)[] = [];
  try {
    let clock: Clock = systemClock;
    let generatedSecret = false;
    if (world) {
      sandbox = await startSandbox({ world });
      clock = sandbox.clock;
      // A secret from the environment lets requests be signed from outside; otherwise one is made up and shown.
      const fromEnv = io.env['SLACK_SIGNING_SECRET'];
      generatedSecret = !fromEnv;
      slack = { botToken: sandbox.slack.botToken, signingSecret: fromEnv || randomBytes(16).toString('hex'), slackApiUrl: sandbox.slackApiUrl };
    }
    return await serveWith({ io, values, signal, policy: servedPolicy, slackPolicy, slack: slack!, generatedSecret, store, sandbox, clock, stops });
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await store.close();
    await sandbox?.close();
  }
}

async function serveWith(ctx: {
  io: Io;
  values: { host: string; port: string; 'no-scan': boolean };
  signal: AbortSignal | undefined;
  policy: Policy;
  slackPolicy: NonNullable<Policy['slack']>;
  slack: { botToken: string; signingSecret: string; appToken?: string; slackApiUrl?: string };
  generatedSecret: boolean;
  store: StateStore;
  sandbox: Sandbox | undefined;
  clock: Clock;
  stops: (() => Promise<unknown>)[];
}): Promise<number> {
  const { io, values, signal, policy, slackPolicy, slack, store, sandbox, clock, stops } = ctx;
  const port = Number(values.port);
  const api = new WebApiSlack(slackWebClient(slack.botToken, slack.slackApiUrl ? { slackApiUrl: slack.slackApiUrl } : {}));
  const providers = await cliProviders(policy, sandbox);
  const notifier = slackNotifier(policy, { store, clock, providers, slack: { api }, onError: (err, n) => io.stderr.write(`slack: ${n.finding.id}: ${(err as Error).message}\n`) });
  const queue = new InProcessExecutionQueue();
  const jobDeps = jobDepsFor(policy, { store, providers, clock, api });
  // Before the worker starts and clicks can arrive: finish what an interrupted run left approved or executing.
  for (const o of await recoverInterrupted(jobDeps.executor)) {
    io.stdout.write(`recovered ${o.proposalId}: ${o.outcome} — ${o.detail}\n`);
    if (o.outcome !== 'skipped') await syncProposalMessage(o.proposalId, jobDeps, { kind: o.outcome as AlertEvent['kind'], detail: o.detail, by: 'costwatch', at: clock.now() }).catch(() => undefined);
  }
  const stopWorker = queue.startWorker(
    async (job) => {
      const r = await runJob(job, jobDeps);
      if (r.outcome) io.stdout.write(`${job.type} ${r.outcome.proposalId}: ${r.outcome.outcome} — ${r.outcome.detail}\n`);
    },
    (job, err) => io.stderr.write(`job ${job.type} failed: ${(err as Error).message}\n`),
  );
  stops.push(stopWorker);
  const deps: InteractionDeps = { store, queue, approvers: approverCheck(slackPolicy.approvers, api), clock };
  // Cloud events (budgets, anomalies, SageMaker state changes) through the same notifier, as the event functions run them.
  const log: EventLog = {
    info: (m, ...x) => io.stdout.write(`event: ${m} ${x.length > 0 ? JSON.stringify(Object.assign({}, ...x)) : ''}\n`),
    warn: (m, ...x) => io.stderr.write(`event: ${m} ${x.length > 0 ? JSON.stringify(Object.assign({}, ...x)) : ''}\n`),
    error: (m, ...x) => io.stderr.write(`event: ${m} ${x.length > 0 ? JSON.stringify(Object.assign({}, ...x)) : ''}\n`),
  };
  const events: EventDeps = { policy, store, clock, providers, prices: priceBook(policy), notifier: notifier ? failOnUndelivered(notifier) : { publish: async () => undefined } };
  const webhooks: WebhookDeps = { events, log };
  const azureToken = io.env['AZURE_WEBHOOK_TOKEN'] ?? randomBytes(12).toString('hex');
  // Entra ID secure webhook, when both are set: the action group's bearer token is verified too.
  const entraTenant = io.env['AZURE_ENTRA_TENANT_ID'];
  const entraAudience = io.env['AZURE_ENTRA_AUDIENCE'];
  const entra =
    entraTenant && entraAudience
      ? {
          identity: { tenantId: entraTenant, audience: entraAudience, ...(io.env['AZURE_ENTRA_APP_ID'] ? { appId: io.env['AZURE_ENTRA_APP_ID'] } : {}) },
          jwks: createRemoteJWKSet(new URL(io.env['AZURE_ENTRA_JWKS_URL'] || entraJwksUrl(entraTenant))),
        }
      : undefined;
  const gcp = io.env['GCP_PUSH_AUDIENCE'] && io.env['GCP_PUSH_SERVICE_ACCOUNT'] ? { audience: io.env['GCP_PUSH_AUDIENCE'], serviceAccountEmail: io.env['GCP_PUSH_SERVICE_ACCOUNT'] } : undefined;
  const jwks = gcp ? createRemoteJWKSet(new URL(GOOGLE_JWKS_URL)) : undefined;
  const options = scanOptionsFor(policy, { now: () => clock.now() });
  const scan = (): Promise<ScanReport> => runScan(options, { providers, store, clock, prices: priceBook(policy), ...(notifier ? { notifier } : {}) });

  let base = '';
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => send(res, 500, { error: (err as Error).message }));
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (req.method === 'POST' && url.pathname === INTERACTIONS_PATH) {
      const rawBody = await readBody(req);
      if (rawBody === undefined) return send(res, 413, 'body too large');
      if (isEventsApiRequest(req.headers)) {
        const answer = await handleEventRequest({ headers: req.headers, rawBody }, { store: deps.store, queue: deps.queue, clock: deps.clock, signingSecret: slack.signingSecret });
        io.stdout.write(`event: ${answer.result} (${answer.status}) ${answer.message}\n`);
        return send(res, answer.status, answer.body !== undefined ? (JSON.parse(answer.body) as unknown) : answer.status === 200 ? '' : answer.message);
      }
      const outcome = await handleInteractionRequest({ headers: req.headers, rawBody }, { ...deps, signingSecret: slack.signingSecret });
      io.stdout.write(`interaction: ${outcome.result} (${outcome.status}) ${outcome.message}\n`);
      return send(res, outcome.status, outcome.status === 200 ? '' : outcome.message);
    }
    if (url.pathname.startsWith('/webhooks/') || url.pathname.startsWith('/events/')) {
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, 'body too large');
      const http: HttpRequest = { method: req.method ?? 'GET', headers: lowerHeaders(req.headers), query: Object.fromEntries(url.searchParams), body };
      if (url.pathname === '/webhooks/azure') return sendHttp(res, await receiveAzureAlert(http, { ...webhooks, token: azureToken, ...(entra ? { entra } : {}) }));
      if (url.pathname === '/webhooks/gcp' && gcp && jwks) return sendHttp(res, await receiveGcpPush(http, { ...webhooks, identity: gcp, jwks }));
      if (url.pathname === '/events/sns' && req.method === 'POST') return send(res, ...(await eventAnswer(() => receiveSns(parseJson(body), webhooks), log)));
      if (url.pathname === '/events/eventbridge' && req.method === 'POST') return send(res, ...(await eventAnswer(() => receiveEventBridge(parseJson(body), webhooks), log)));
    }
    if (sandbox && url.pathname === '/sandbox/messages' && req.method === 'GET') return send(res, 200, sandboxMessages(sandbox));
    if (sandbox && url.pathname === '/sandbox/scan' && req.method === 'POST') {
      const r = await scan();
      await queue.idle();
      return send(res, 200, { findings: r.findings.length, proposals: r.proposals.length, slack: sandbox.slack.calls() });
    }
    if (sandbox && url.pathname === '/sandbox/click' && req.method === 'POST') return send(res, ...(await sandboxClick(sandbox, url.searchParams)));
    return send(res, 404, { error: `nothing at ${req.method ?? ''} ${url.pathname}` });
  }

  async function sandboxClick(sb: Sandbox, q: URLSearchParams): Promise<[number, unknown]> {
    const action = ACTIONS_BY_WORD[q.get('action') ?? ''];
    if (!action) return [400, { error: 'action must be approve, snooze, exempt or undo' }];
    const about = q.get('resource');
    const ts = q.get('ts');
    const hasButton = (blocks: unknown[] | undefined) => ((blocks ?? []) as { type?: string; elements?: { action_id?: string }[] }[]).some((b) => b.type === 'actions' && b.elements?.some((e) => e.action_id === action));
    const found = sb.slack.allMessages().filter((m) => (ts ? m.ts === ts : about ? m.text.includes(about) && hasButton(m.blocks) : false));
    if (found.length !== 1) return [404, { error: `${found.length} messages with a ${q.get('action')} button match; give ?resource=<name> or ?ts=<message ts> (GET /sandbox/messages lists them)` }];
    const msg = found[0]!;
    const user = q.get('user') ?? slackPolicy.approvers.users[0] ?? SANDBOX_APPROVER;
    let click;
    try {
      click = signedClick(sb.slack, { channel: msg.channel, ts: msg.ts, actionId: action, user }, slack.signingSecret);
    } catch (err) {
      return [409, { error: (err as Error).message }];
    }
    // Delivered over HTTP to our own endpoint, exactly as Slack would deliver it.
    const answer = await fetch(`${base}${INTERACTIONS_PATH}`, { method: 'POST', headers: click.headers, body: click.body });
    const text = await answer.text();
    await queue.idle();
    const after = sb.slack.message(msg.channel, msg.ts);
    return [200, { interaction: { status: answer.status, body: text }, message: after?.text, thread: after?.replies.map((r) => r.text) ?? [], ephemeral: sb.slack.ephemerals().filter((e) => e.user === user).at(-1)?.text }];
  }

  await listen(server, values.host, port);
  stops.push(
    () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  );
  const address = server.address() as AddressInfo;
  base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let socket: SocketModeClient | undefined;
  if (slack.appToken) {
    socket = await startSocketMode({ appToken: slack.appToken, ...(slack.slackApiUrl ? { slackApiUrl: slack.slackApiUrl } : {}) }, deps, io);
    const started = socket;
    stops.push(() => started.disconnect());
  }

  const lines = [
    `costwatch serve: interactivity endpoint ${base}${INTERACTIONS_PATH}${socket ? ' and Socket Mode' : ''}`,
    `  webhooks: ${base}/webhooks/azure?token=${azureToken}${gcp ? `, ${base}/webhooks/gcp` : ' (Google push: set GCP_PUSH_AUDIENCE and GCP_PUSH_SERVICE_ACCOUNT)'}; events: POST ${base}/events/sns, ${base}/events/eventbridge`,
    sandbox ? `  sandbox cloud ${sandbox.url} (world time ${clock.now().toISOString()}); Slack stub ${sandbox.slackApiUrl}` : `  Slack: ${socket ? 'Socket Mode connected' : `point your app's Interactivity Request URL at a tunnel to ${base}${INTERACTIONS_PATH}`}`,
  ];
  if (!values['no-scan']) {
    const r = await scan();
    lines.push(`  scanned: ${r.findings.length} findings, ${r.proposals.length} proposals${sandbox ? `, ${sandbox.slack.allMessages().length} Slack messages in the stub` : ''}`);
  }
  if (sandbox) {
    lines.push(
      '  try it:',
      `    curl -s ${base}/sandbox/messages`,
      `    curl -s -X POST '${base}/sandbox/click?resource=fraud-v3&action=approve'`,
      `    curl -s -X POST '${base}/sandbox/click?resource=fraud-v3&action=undo'`,
      `  clicks are signed like Slack's and sent to ${INTERACTIONS_PATH} as ${slackPolicy.approvers.users[0] ?? SANDBOX_APPROVER} (add &user=U… to click as someone else)`,
    );
  }
  if (sandbox) {
    lines.push(
      ctx.generatedSecret
        ? `  signing secret (generated for this run; set SLACK_SIGNING_SECRET to choose it): ${slack.signingSecret}`
        : '  signing secret: SLACK_SIGNING_SECRET from the environment',
    );
  }
  lines.push('Press Ctrl+C to stop.', '');
  io.stdout.write(lines.join('\n'));

  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
  });
  // The caller stops the socket, the server and the worker, then closes the store and the sandbox.
  return EXIT.ok;
}

/** Connects a Socket Mode client with the app-level token and routes its `interactive` envelopes to the interaction handler; `disconnect()` it to stop. */
export async function startSocketMode(slack: { appToken: string; slackApiUrl?: string }, deps: InteractionDeps, io: Io): Promise<SocketModeClient> {
  const socket = new SocketModeClient({ appToken: slack.appToken, ...(slack.slackApiUrl ? { clientOptions: { slackApiUrl: slack.slackApiUrl } } : {}) });
  socket.on('interactive', ({ ack, body }: { ack: () => Promise<void>; body: unknown }) => {
    void socketInteraction(ack, body, deps, io);
  });
  // Events API over the socket: the App Home being opened.
  socket.on('app_home_opened', ({ ack, event }: { ack: () => Promise<void>; event: { user?: unknown; tab?: unknown } }) => {
    void (async () => {
      await ack();
      if (typeof event.user !== 'string' || (event.tab ?? 'home') !== 'home') return;
      await deps.queue.enqueue({ type: 'home', user: event.user, requestedAt: deps.clock.now().toISOString() });
      io.stdout.write(`event (socket): App Home of ${event.user} queued\n`);
    })().catch((err: unknown) => io.stderr.write(`socket mode: ${(err as Error).message}\n`));
  });
  await socket.start();
  return socket;
}

/** Socket Mode: acknowledge first, then handle; there is no signature to check, the app-level token authenticated the socket. */
export async function socketInteraction(ack: () => Promise<void>, body: unknown, deps: InteractionDeps, io: Io): Promise<void> {
  await ack();
  const parsed = BlockActionsPayloadSchema.safeParse(body);
  if (!parsed.success) {
    io.stderr.write(`socket mode: ignored an interaction that is not a button click\n`);
    return;
  }
  try {
    const outcome = await handleBlockActions(parsed.data, deps);
    io.stdout.write(`interaction (socket): ${outcome.result} ${outcome.message}\n`);
  } catch (err) {
    io.stderr.write(`socket mode: ${(err as Error).message}\n`);
  }
}

/**
 * The answer of a local event endpoint, with the status the deployed path gives: 200 with the
 * outcome; 400 for a refused event (the Lambda fails for good and the message goes to the
 * dead-letter queue); 503 while the same alert is being sent (retried); 500 for a failure (retried).
 */
export async function eventAnswer(run: () => Promise<unknown>, log: EventLog): Promise<[number, unknown, Record<string, string>?]> {
  try {
    return [200, await run()];
  } catch (err) {
    if (err instanceof EventRefusedError) return [400, { ok: false, error: err.refusal.reason }];
    if (err instanceof EventInFlightError) return [503, { ok: false, error: err.message }, { 'retry-after': '60' }];
    const message = err instanceof CostwatchError ? err.message : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
    log.error('event processing failed', { error: message });
    return [500, { ok: false, error: `processing failed: ${message}` }];
  }
}

function sandboxMessages(sb: Sandbox): unknown {
  return sb.slack.allMessages().map((m) => ({
    channel: m.channel,
    ts: m.ts,
    text: m.text,
    buttons: ((m.blocks ?? []) as { type?: string; elements?: { action_id?: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => (b.elements ?? []).map((e) => e.action_id)),
    thread: m.replies.length,
  }));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_INTERACTION_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendHttp(res: ServerResponse, r: { statusCode: number; headers: Readonly<Record<string, string>>; body: string }): void {
  res.writeHead(r.statusCode, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}

function lowerHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { ...headers, 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
}
