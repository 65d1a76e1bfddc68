import { readFileSync } from 'node:fs';
import type { KnownBlock } from '@slack/types';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTVerifyGetKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventAnswer } from '../../bin/commands/serve.js';
import { priceBook } from '../../shared/app/compose.js';
import { fixedClock } from '../../shared/clock.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { AZURE_ACTION_GROUP_APP_ID, parseEvent, receiveAzureAlert, receiveEventBridge, receiveGcpPush, receiveSns, type EventDeps, type EventLog, type HttpResponse } from '../../shared/events/index.js';
import { failOnUndelivered } from '../../shared/events/runtime.js';
import { seededRng, type Rng } from '../../shared/sandbox/rng.js';
import { SlackApiError, type SlackApi } from '../../shared/slack/api.js';
import { SlackNotifier } from '../../shared/slack/notifier.js';
import type { SlackPolicy } from '../../shared/slack/routing.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore, StoredSlackMessage } from '../../shared/store/port.js';

/*
 * Every webhook and event receiver, fed 2,000 seeded cases each whose figures are numeric extremes
 * (±0, negatives, 1e308, "NaN", "Infinity", 30-digit figures, exponent notation, just over and
 * under the bounds), each delivered as the clouds deliver: again after a failure (Slack refusing
 * the post, or the store failing right after the post), and again after success. Asserted:
 * no 5xx but for the injected failure itself, no unhandled rejection, and never a second Slack
 * post of one alert. Seeded: FUZZ_SEED=<n> replays a run; a failure names its case.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);
const CASES = Number(process.env['FUZZ_CASES'] ?? 2000);
const NOW = new Date('2025-06-18T12:00:00Z');
const AUDIENCE = 'https://webhook-gcp.example.lambda-url.us-east-1.on.aws/';
const PUSHER = 'budget-pusher@my-project.iam.gserviceaccount.com';
const AZURE_TOKEN = 'az-fuzz-token';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const silent: EventLog = { info: () => undefined, warn: () => undefined, error: (m, ...x) => { if (process.env['FUZZ_DEBUG']) console.log(m, JSON.stringify(x).slice(0, 600)); } };

const int = (rng: Rng, n: number) => Math.floor(rng.next() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

/** Figures as numbers: the extremes, the bounds and ordinary values (so some cases are accepted). */
const NUMBERS: readonly number[] = [0, -0, -1, -0.01, 1e308, -1e308, 1.7976931348623157e308, 5e-324, 1e13, 1e13 + 1, Number('9007199254740993'), 1e21, Number('123456789012345678901234567890'), 0.5, 0.9, 1, 1.2, 25, 80, 100, 150.25, 11111, 1e6];
/** Figures as text: the same, and what only text can say. */
const TEXTS: readonly string[] = ['NaN', 'Infinity', '-Infinity', '1e308', '1E+21', '2.5e-3', '-0', '0', '0.00', '-5', '123456789012345678901234567890', '9'.repeat(400), '1,000,000,000,000,000,000', '0x10', '', ' ', '25.00', '80', '11,111.00', '1e13', '10000000000001'];

/** A figure in the form its field takes: a number, or text (with a currency sign where amounts carry one). */
function figure(rng: Rng, as: 'number' | 'text' | 'money'): number | string {
  const useText = as !== 'number' || rng.next() < 0.2;
  if (!useText) return pick(rng, NUMBERS);
  const t = rng.next() < 0.5 ? pick(rng, TEXTS) : String(pick(rng, NUMBERS));
  if (as !== 'money') return t;
  const r = rng.next();
  return r < 0.7 ? `$${t}` : r < 0.8 ? `-$${t}` : r < 0.9 ? `${t} USD` : t;
}

/** Sets 1 to 3 of `fields` (dotted paths) to extreme figures. */
function withExtremes(rng: Rng, base: unknown, fields: readonly (readonly [string, 'number' | 'text' | 'money'])[]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const n = 1 + int(rng, 3);
  for (let i = 0; i < n; i++) {
    const [path, as] = pick(rng, fields);
    const keys = path.split('.');
    let at: Record<string, unknown> = copy;
    for (const k of keys.slice(0, -1)) {
      const next = at[k];
      if (typeof next !== 'object' || next === null) break;
      at = next as Record<string, unknown>;
    }
    at[keys.at(-1)!] = figure(rng, as);
  }
  return copy;
}

/** A Slack that records every top-level post and fails the next post when told to. */
class RecordingSlack implements SlackApi {
  readonly posts: { channel: string; text: string; ts: string }[] = [];
  failNextPost = false;
  #n = 0;
  async postMessage(m: { channel: string; text: string; blocks?: readonly KnownBlock[]; threadTs?: string }) {
    if (this.failNextPost) {
      this.failNextPost = false;
      throw new SlackApiError('chat.postMessage', 'ratelimited');
    }
    const ts = `${1_750_000_000 + ++this.#n}.000100`;
    if (!m.threadTs) this.posts.push({ channel: m.channel, text: m.text, ts });
    return { channel: m.channel, ts };
  }
  async updateMessage() {}
  async deleteMessage() {}
  async postEphemeral() {}
  async usergroupMembers() {
    return [];
  }
  async uploadFile(f: { filename: string }) {
    return { id: `F-${f.filename}` };
  }
  async publishHome() {}
}

/** The store, with the write that records a posted message (the one right after the post) failing once when armed. */
function armedStore(inner: StateStore, ctl: { failRecord: boolean }): StateStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'putSlackMessage') {
        return async (m: StoredSlackMessage, expected: string | undefined) => {
          if (ctl.failRecord && m.ts !== '') {
            ctl.failRecord = false;
            throw new Error('ProvisionedThroughputExceededException');
          }
          return target.putSlackMessage(m, expected);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

interface Source {
  readonly name: string;
  /** The body of case `i` (unique names and ids, so cases do not dedupe against each other). */
  make(rng: Rng, i: number): unknown;
  /** Delivers it once, as the cloud does, and says the HTTP status the sender sees. */
  deliver(body: unknown): Promise<number>;
}

const policy = parsePolicy(
  `version: 1
rules:
  cost-anomaly: { minImpact: 1 }
slack:
  channel: "#finops"
  approvers: { users: [U024BE7LH] }
`,
  'costwatch.yml',
  { now: NOW },
).policy as Policy & { slack: SlackPolicy };

let inner: StateStore;
let store: StateStore;
let slack: RecordingSlack;
const ctl = { failRecord: false };
let deps: EventDeps;
let jwks: JWTVerifyGetKey;
let token: string;
let entraToken: string;
const ENTRA = { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: 'api://costwatch-budget-webhook' };
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  inner = await openMemoryStore();
  store = armedStore(inner, ctl);
  slack = new RecordingSlack();
  const clock = fixedClock(NOW);
  const notifier = new SlackNotifier({ api: slack, store, clock, policy });
  deps = { policy, store, clock, providers: new Map(), prices: priceBook(policy), notifier: failOnUndelivered(notifier) };
  const pair = await generateKeyPair('RS256');
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'g1', alg: 'RS256' }] });
  token = await new SignJWT({ email: PUSHER, email_verified: true })
    .setProtectedHeader({ alg: 'RS256', kid: 'g1' })
    .setIssuer('https://accounts.google.com')
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(pair.privateKey);
  entraToken = await new SignJWT({ appid: AZURE_ACTION_GROUP_APP_ID, tid: ENTRA.tenantId })
    .setProtectedHeader({ alg: 'RS256', kid: 'g1' })
    .setIssuer(`https://sts.windows.net/${ENTRA.tenantId}/`)
    .setAudience(ENTRA.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(pair.privateKey);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await inner?.close();
});

const status = (r: HttpResponse) => r.statusCode;
const thrown = async (run: () => Promise<unknown>) => (await eventAnswer(run, silent))[0];

const budgetText = fixture('budget_actual_message_body__cds-snc-sre-bot.txt');
const sns = (message: string, id: string) => ({ Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: id, Message: message, Timestamp: '2025-06-18T11:00:00.000Z' } }] });
const anomaly = JSON.parse(fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json')) as Record<string, unknown>;
const anomalyFields = [
  ['impact.maxImpact', 'number'],
  ['impact.totalExpectedSpend', 'number'],
  ['impact.totalActualSpend', 'number'],
  ['impact.totalImpact', 'number'],
  ['impact.totalImpactPercentage', 'number'],
  ['anomalyScore.maxScore', 'number'],
  ['anomalyScore.currentScore', 'number'],
] as const;
const azure = JSON.parse(fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json')) as { data: { alertContext: { AlertData: Record<string, unknown> } } };
const push = JSON.parse(fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json')) as { message: Record<string, unknown> };
const pushData = JSON.parse(Buffer.from(push.message['data'] as string, 'base64').toString('utf8')) as Record<string, unknown>;

const SOURCES: readonly Source[] = [
  {
    name: 'AWS Budgets over SNS',
    make(rng, i) {
      const lines: Record<string, string> = {
        'Budgeted Amount': String(figure(rng, 'money')),
        'Alert Threshold': rng.next() < 0.5 ? `> ${figure(rng, 'money')}` : `> ${figure(rng, 'money')} (${figure(rng, 'text')}% of your budget)`,
        'ACTUAL Amount': String(figure(rng, 'money')),
      };
      let text = budgetText.replace('Budget Name: Test Budget', `Budget Name: fuzz-${i}`);
      // Keep some lines as sent, so that cases with ordinary figures are accepted and alerted.
      for (const [label, value] of Object.entries(lines)) if (rng.next() < 0.6) text = text.replace(new RegExp(`^${label}:.*$`, 'm'), `${label}: ${value}`);
      return sns(text, `sns-${i}`);
    },
    deliver: (body) => thrown(() => receiveSns(body, { events: deps, log: silent })),
  },
  {
    name: 'Cost Anomaly Detection over SNS',
    make: (rng, i) => sns(JSON.stringify(withExtremes(rng, { ...anomaly, anomalyId: `fuzz-sns-${i}` }, anomalyFields)), `sns-a-${i}`),
    deliver: (body) => thrown(() => receiveSns(body, { events: deps, log: silent })),
  },
  {
    name: 'Cost Anomaly Detection over EventBridge',
    make: (rng, i) => ({
      version: '0',
      id: `eb-${i}`,
      'detail-type': 'Anomaly Detected',
      source: 'aws.ce',
      account: '1234567890',
      time: '2025-06-18T11:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: withExtremes(rng, { ...anomaly, anomalyId: `fuzz-eb-${i}`, dimensionValue: 'AWS CloudTrail' }, anomalyFields),
    }),
    deliver: (body) => thrown(() => receiveEventBridge(body, { events: deps, log: silent })),
  },
  {
    name: 'Google Cloud budget over Pub/Sub push',
    make(rng, i) {
      const data = withExtremes(rng, { ...pushData, budgetDisplayName: `fuzz-${i}` }, [
        ['costAmount', 'number'],
        ['budgetAmount', 'number'],
        ['alertThresholdExceeded', 'number'],
        ['forecastThresholdExceeded', 'number'],
      ]);
      return JSON.stringify({ ...push, message: { ...push.message, messageId: `ps-${i}`, attributes: { ...(push.message['attributes'] as object), budgetId: `fuzz-${i}` }, data: Buffer.from(JSON.stringify(data)).toString('base64') } });
    },
    deliver: async (body) =>
      status(
        await receiveGcpPush(
          { method: 'POST', headers: { authorization: `Bearer ${token}` }, query: {}, body: body as string },
          { events: deps, log: silent, identity: { audience: AUDIENCE, serviceAccountEmail: PUSHER }, jwks },
        ),
      ),
  },
  {
    name: 'Azure budget over an action-group webhook',
    make(rng, i) {
      const base = structuredClone(azure);
      base.data.alertContext.AlertData = { ...base.data.alertContext.AlertData, BudgetName: `fuzz-${i}`, BudgetId: `/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Consumption/budgets/fuzz-${i}` };
      return JSON.stringify(
        withExtremes(rng, base, [
          ['data.alertContext.AlertData.BudgetThreshold', rng.next() < 0.5 ? 'money' : 'number'],
          ['data.alertContext.AlertData.NotificationThresholdAmount', rng.next() < 0.5 ? 'money' : 'number'],
          ['data.alertContext.AlertData.SpentAmount', rng.next() < 0.5 ? 'money' : 'number'],
        ]),
      );
    },
    deliver: async (body) => status(await receiveAzureAlert({ method: 'POST', headers: {}, query: { token: AZURE_TOKEN }, body: body as string }, { events: deps, log: silent, token: AZURE_TOKEN })),
  },
  {
    name: 'Azure budget over a secure webhook (Entra ID token and URL token)',
    make(rng, i) {
      const base = structuredClone(azure);
      base.data.alertContext.AlertData = { ...base.data.alertContext.AlertData, BudgetName: `fuzz-entra-${i}`, BudgetId: `/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Consumption/budgets/fuzz-entra-${i}` };
      return JSON.stringify(
        withExtremes(rng, base, [
          ['data.alertContext.AlertData.BudgetThreshold', rng.next() < 0.5 ? 'money' : 'number'],
          ['data.alertContext.AlertData.SpentAmount', rng.next() < 0.5 ? 'money' : 'number'],
        ]),
      );
    },
    deliver: async (body) =>
      status(
        await receiveAzureAlert(
          { method: 'POST', headers: { authorization: `Bearer ${entraToken}` }, query: { token: AZURE_TOKEN }, body: body as string },
          { events: deps, log: silent, token: AZURE_TOKEN, entra: { identity: ENTRA, jwks } },
        ),
      ),
  },
];

/** Defines the fuzz tests of the sources at `which` (indexes into the list), so files can run them in parallel. */
export function fuzzSources(which: readonly number[], withSageMaker = false): void {
describe('webhook and event receivers under numeric extremes', () => {
  it.each(which.map((k) => [SOURCES[k]!.name, k] as const))('%s (source %i): no 5xx, no unhandled rejection, never a second post of one alert', { timeout: 300_000 }, async (_name, k) => {
    const source = SOURCES[k]!;
    const rng = seededRng(SEED + k);
    const tally = { accepted: 0, refused: 0, injected: 0 };
    for (let i = 0; i < CASES; i++) {
      const body = source.make(rng, i);
      const where = `seed ${SEED + k}, case ${i}`;
      // One in three cases meets a failure on its first delivery: Slack refuses the post, or the store fails right after it.
      const fault = i % 3;
      slack.failNextPost = fault === 1;
      ctl.failRecord = fault === 2;
      const before = slack.posts.length;
      const first = await source.deliver(body);
      const injected = fault !== 0 && (slack.failNextPost === false || ctl.failRecord === false) && first >= 500;
      slack.failNextPost = false;
      ctl.failRecord = false;
      if (first >= 500 && !injected) throw new Error(`${where}: ${source.name} answered ${first} without an injected failure`);
      if (injected) tally.injected++;
      // The cloud retries a 5xx; and re-sends anyway (at-least-once delivery).
      const statuses = [first];
      // Re-sent once (at-least-once delivery); after an injected failure, retried and then re-sent.
      const again = injected ? 2 : 1;
      for (let r = 0; r < again; r++) statuses.push(await source.deliver(body));
      if (statuses.slice(1).some((s) => s >= 500)) throw new Error(`${where}: ${source.name} answered ${statuses.join(', ')} on retries`);
      const posted = slack.posts.slice(before).map((p) => p.text);
      if (new Set(posted).size !== posted.length) throw new Error(`${where}: one alert posted ${posted.length} times: ${posted[0]}`);
      if (statuses.at(-1) === 200) tally.accepted++;
      else tally.refused++;
    }
    expect(unhandled).toEqual([]);
    expect(tally.accepted + tally.refused).toBe(CASES);
    // The generator reaches both sides: accepted alerts (so retries and faults were exercised) and refusals.
    expect(tally.accepted).toBeGreaterThan(CASES / 20);
    expect(tally.refused).toBeGreaterThan(CASES / 20);
    expect(tally.injected).toBeGreaterThan(0);
  });

  if (withSageMaker) it('the SageMaker parser: numeric extremes in times and counts are an event or a refusal, never an exception', () => {
    const rng = seededRng(SEED + 99);
    const doc = JSON.parse(fixture('sagemaker_training_job_state_change__aws-doc.json')) as Record<string, unknown>;
    for (let i = 0; i < CASES; i++) {
      const body = withExtremes(rng, doc, [
        ['time', 'text'],
        ['detail.CreationTime', 'number'],
        ['detail.TrainingStartTime', 'number'],
        ['detail.StoppingCondition.MaxRuntimeInSeconds', 'number'],
        ['detail.ResourceConfig.InstanceCount', 'number'],
      ]);
      const r = parseEvent(JSON.stringify(body));
      expect(r.ok || r.refusal.reason.length > 0).toBe(true);
    }
  });
});
}
