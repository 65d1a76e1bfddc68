import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { priceBook, slackNotifier } from '../../shared/app/compose.js';
import { fixedClock } from '../../shared/clock.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { receiveAzureAlert, type EventDeps, type EventLog } from '../../shared/events/index.js';
import { failOnUndelivered } from '../../shared/events/runtime.js';
import { DEFAULT_STUB_BOT_TOKEN, startSlackStub, type SlackStub } from '../../shared/sandbox/slack/index.js';
import { slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { postDigest } from '../../shared/slack/digest.js';
import { isPostingClaim, UNPOSTED } from '../../shared/slack/messenger.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore, StoredSlackMessage } from '../../shared/store/port.js';

/*
 * Claim, then post, then record: the message key is claimed in the store before anything is
 * posted, so a failure after the post (the write of the message reference, a crash) never posts
 * the alert again on retry, and a post that failed is posted by the retry.
 */

const NOW = new Date('2022-12-07T22:00:00Z');
const TOKEN = 'az-token';
const silent: EventLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const azureBody = readFileSync(new URL('../fixtures/events/azure_budget_actual_cost_common_alert_schema__ms-doc.json', import.meta.url), 'utf8');

/** The store, with the write that records a posted message (the one after the post) failing while `failRecord` is set. */
function storeFailingAfterPost(inner: StateStore, ctl: { failRecord: boolean; writes: string[] }): StateStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'putSlackMessage') {
        return async (m: StoredSlackMessage, expected: string | undefined) => {
          ctl.writes.push(m.state);
          if (ctl.failRecord && m.ts !== '') throw new Error('ProvisionedThroughputExceededException: the store is throttling');
          return target.putSlackMessage(m, expected);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

let slack: SlackStub;
let inner: StateStore;
let store: StateStore;
let ctl: { failRecord: boolean; writes: string[] };
let policy: Policy;

beforeEach(async () => {
  slack = await startSlackStub();
  inner = await openMemoryStore();
  ctl = { failRecord: false, writes: [] };
  store = storeFailingAfterPost(inner, ctl);
  policy = parsePolicy('version: 1\nslack:\n  channel: "#finops"\n  approvers: { users: [U024BE7LH] }\n', 'costwatch.yml', { now: NOW }).policy;
});
afterEach(async () => {
  await inner.close();
  await slack.close();
});

function eventDeps(over: StateStore = store): EventDeps {
  const clock = fixedClock(NOW);
  const api = new WebApiSlack(slackWebClient(DEFAULT_STUB_BOT_TOKEN, { slackApiUrl: slack.slackApiUrl, retryConfig: { retries: 0 } }));
  const notifier = slackNotifier(policy, { store: over, clock, providers: new Map(), slack: { api } })!;
  return { policy, store: over, clock, providers: new Map(), prices: priceBook(policy), notifier: failOnUndelivered(notifier) };
}

const deliver = (deps: EventDeps) => receiveAzureAlert({ method: 'POST', headers: {}, query: { token: TOKEN }, body: azureBody }, { events: deps, log: silent, token: TOKEN });
const posts = () => slack.workspace.allMessages().length;

describe('event alerts: claim, then post', () => {
  it('a failure after the post answers 5xx, and the retries post nothing more', async () => {
    const deps = eventDeps();
    ctl.failRecord = true;
    const first = await deliver(deps);
    expect(first.statusCode).toBe(500);
    expect(posts()).toBe(1);
    // The claim was written before the post, in its own state.
    expect(ctl.writes[0]).toMatch(/^~posting:/);

    // The cloud retries, while the store is still failing and after it recovered.
    expect((await deliver(deps)).statusCode).toBe(200);
    ctl.failRecord = false;
    for (let i = 0; i < 3; i++) expect((await deliver(deps)).statusCode).toBe(200);
    expect(posts()).toBe(1);
  });

  it('a post Slack refuses is retried, not lost, and posted exactly once', async () => {
    const deps = eventDeps();
    slack.workspace.rateLimit('chat.postMessage', { times: 2, retryAfterSeconds: 0 });
    expect((await deliver(deps)).statusCode).toBe(500);
    expect(posts()).toBe(0);
    const refs = await inner.listSlackMessages();
    expect(refs.map((r) => r.state)).toEqual([UNPOSTED]);
    expect((await deliver(deps)).statusCode).toBe(500);
    expect((await deliver(deps)).statusCode).toBe(200);
    expect((await deliver(deps)).statusCode).toBe(200);
    expect(posts()).toBe(1);
    const [ref] = await inner.listSlackMessages();
    expect(ref?.ts).toBe(slack.workspace.allMessages()[0]?.ts);
    expect(isPostingClaim(ref!.state)).toBe(false);
  });
});

describe('a crash between the claim and the post: at most once', () => {
  it('loses that one post rather than risking a second: retries after the crash post nothing', async () => {
    // The claim is written, then the process dies before it posts (the write lands, its caller never returns).
    const crashing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'putSlackMessage') {
          return async (m: StoredSlackMessage, expected: string | undefined) => {
            const written = await target.putSlackMessage(m, expected);
            if (isPostingClaim(m.state)) throw new Error('killed');
            return written;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const crashed = await deliver(eventDeps(crashing));
    expect(crashed.statusCode).toBe(500);
    expect(posts()).toBe(0);

    // The cloud retries the delivery, more than once: the claim stands, nothing is posted.
    for (let i = 0; i < 3; i++) expect((await deliver(eventDeps())).statusCode).toBe(200);
    expect(posts()).toBe(0);
    const refs = await inner.listSlackMessages();
    expect(refs).toHaveLength(1);
    expect(isPostingClaim(refs[0]!.state)).toBe(true);
  });
});

describe('weekly digest: claim, then post', () => {
  const api = () => new WebApiSlack(slackWebClient(DEFAULT_STUB_BOT_TOKEN, { slackApiUrl: slack.slackApiUrl, retryConfig: { retries: 0 } }));

  it('a failure after the post never posts the week again', async () => {
    ctl.failRecord = true;
    await expect(postDigest({ store, api: api(), clock: fixedClock(NOW), channel: '#finops', scopes: [] })).rejects.toThrow(/throttling/);
    expect(posts()).toBe(1);
    ctl.failRecord = false;
    const again = await postDigest({ store, api: api(), clock: fixedClock(NOW), channel: '#finops', scopes: [] });
    expect(again.posted).toBe(false);
    expect(posts()).toBe(1);
  });

  it('a failed post is posted by the next run, once', async () => {
    slack.workspace.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 0 });
    await expect(postDigest({ store, api: api(), clock: fixedClock(NOW), channel: '#finops', scopes: [] })).rejects.toThrow();
    expect(posts()).toBe(0);
    expect((await postDigest({ store, api: api(), clock: fixedClock(NOW), channel: '#finops', scopes: [] })).posted).toBe(true);
    expect((await postDigest({ store, api: api(), clock: fixedClock(NOW), channel: '#finops', scopes: [] })).posted).toBe(false);
    expect(posts()).toBe(1);
  });
});
