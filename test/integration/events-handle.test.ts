import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../shared/clock.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import {
  AlertDedup,
  EventInFlightError,
  EventRefusedError,
  handleCloudEvent,
  parseAwsBudgets,
  parseGcpBudget,
  receiveEventBridge,
  receiveSns,
  type CloudEvent,
  type EventDeps,
  type EventLog,
  type ParseResult,
} from '../../shared/events/index.js';
import type { Notification, Notifier } from '../../shared/notify/port.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2021-02-26T20:00:00Z');

function ok<E>(r: ParseResult<E>): E {
  if (!r.ok) throw new Error(`refused: ${r.refusal.reason}`);
  return r.event;
}

/** Records what was published; fails the next `failures` publishes, like Slack being down. */
class RecordingNotifier implements Notifier {
  readonly batches: Notification[][] = [];
  failures = 0;
  delayMs = 0;
  async publish(batch: readonly Notification[]): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failures > 0) {
      this.failures--;
      throw new Error('slack is down');
    }
    this.batches.push([...batch]);
  }
  get published(): string[] {
    return this.batches.flat().map((n) => n.finding.id);
  }
}

const silent: EventLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function policy(extra = ''): Policy {
  return parsePolicy(`version: 1\n${extra}`, 'costwatch.yml', { now: NOW }).policy;
}

const pushBody = JSON.parse(fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json')) as { message: { data: string; publishTime: string } };
const pushData = JSON.parse(Buffer.from(pushBody.message.data, 'base64').toString('utf8')) as Record<string, unknown>;

/** The documented notification with other values, as Google re-sends it through the day. */
function gcp(data: Record<string, unknown>, publishTime = '2021-02-26T19:13:55.749Z'): CloudEvent {
  const merged: Record<string, unknown> = { ...pushData, ...data };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return ok(parseGcpBudget({ ...pushBody, message: { ...pushBody.message, publishTime, data: Buffer.from(JSON.stringify(merged)).toString('base64') } }));
}

let store: StateStore;
let notifier: RecordingNotifier;
let clock: ReturnType<typeof fixedClock>;
let deps: EventDeps;

beforeEach(async () => {
  store = await openMemoryStore();
  notifier = new RecordingNotifier();
  clock = fixedClock(NOW);
  deps = { policy: policy(), store, notifier, clock, providers: new Map(), prices: new PriceBook() };
});
afterEach(async () => {
  await store.close();
});

describe('handleCloudEvent: alert once per threshold and period', () => {
  it('alerts each threshold crossing once, however often and in whatever order Google re-sends', async () => {
    const first = await handleCloudEvent(gcp({ alertThresholdExceeded: 0.5, forecastThresholdExceeded: undefined, costAmount: 80 }), deps);
    expect(first.published).toEqual(['budget-breach:gcp-budget:de72f49d-779b-4945-a127-4d6ce8def0bb:2021-02-01T08:00:00.000Z:50%']);
    // Re-sent several times a day with the current cost: same crossing, no new alert.
    for (const cost of [81, 85, 89]) {
      const again = await handleCloudEvent(gcp({ alertThresholdExceeded: 0.5, forecastThresholdExceeded: undefined, costAmount: cost }), deps);
      expect(again.published).toEqual([]);
      expect(again.duplicates).toEqual(first.published);
    }
    // A higher threshold is a new crossing; an older message with the lower one arriving late is not.
    const higher = await handleCloudEvent(gcp({ alertThresholdExceeded: 0.9, forecastThresholdExceeded: 1, costAmount: 140 }), deps);
    expect(higher.published.map((id) => id.split(':').pop())).toEqual(['90%', '100%']);
    const late = await handleCloudEvent(gcp({ alertThresholdExceeded: 0.5, forecastThresholdExceeded: undefined, costAmount: 79 }, '2021-02-26T08:00:00Z'), deps);
    expect(late.published).toEqual([]);
    // Status updates (no threshold key) alert nothing and say why.
    const status = await handleCloudEvent(gcp({ alertThresholdExceeded: undefined, forecastThresholdExceeded: undefined }), deps);
    expect(status.published).toEqual([]);
    expect(status.ignored).toEqual(['Cloud Billing budget "My Personal Budget": status update, no threshold exceeded']);

    expect(notifier.published).toHaveLength(3);
    expect(notifier.batches[1]!.map((n) => n.finding.budget?.kind)).toEqual(['actual', 'forecast']);
  });

  it('alerts the same threshold again in the next period', async () => {
    await handleCloudEvent(gcp({ alertThresholdExceeded: 0.5, forecastThresholdExceeded: undefined }), deps);
    clock.advance(5 * 86_400_000);
    const march = await handleCloudEvent(gcp({ alertThresholdExceeded: 0.5, forecastThresholdExceeded: undefined, costIntervalStart: '2021-03-01T08:00:00Z' }), deps);
    expect(march.published).toHaveLength(1);
    expect(notifier.published).toHaveLength(2);
  });

  it('loses nothing when publishing fails: the error surfaces, and the retry alerts', async () => {
    const e = gcp({});
    notifier.failures = 1;
    await expect(handleCloudEvent(e, deps)).rejects.toThrow('slack is down');
    expect(notifier.published).toEqual([]);
    const retry = await handleCloudEvent(e, deps);
    expect(retry.published).toHaveLength(2);
    expect((await handleCloudEvent(e, deps)).duplicates).toHaveLength(2);
  });

  it('publishes once when the same message arrives many times at once', async () => {
    notifier.delayMs = 30;
    const e = gcp({ forecastThresholdExceeded: undefined });
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => handleCloudEvent(e, deps)));
    expect(notifier.published).toHaveLength(1);
    expect(outcomes.filter((o) => o.published.length === 1)).toHaveLength(1);
    // The others were duplicates, or told to retry while the first was sending — never counted as sent.
    for (const o of outcomes.filter((x) => x.published.length === 0)) expect(o.duplicates.length + o.inFlight.length).toBe(1);
    const later = await handleCloudEvent(e, deps);
    expect(later.duplicates).toHaveLength(1);
  });

  it('a delivery that crashed while sending holds the alert for the lease only; its retry then sends', async () => {
    const dedup = new AlertDedup(store, 60_000);
    const e = gcp({ forecastThresholdExceeded: undefined });
    const key = 'gcp-budget|de72f49d-779b-4945-a127-4d6ce8def0bb|2021-02-01T08:00:00.000Z|90%|actual';
    expect((await dedup.claim(key, NOW)).state).toBe('claimed'); // ...and the process dies here.
    const during = await handleCloudEvent(e, deps);
    expect(during.inFlight).toHaveLength(1);
    expect(during.published).toEqual([]);
    clock.advance(61_000);
    expect((await handleCloudEvent(e, deps)).published).toHaveLength(1);
  });
});

describe('handleCloudEvent in a dry run', () => {
  it('notifies with dryRun, writes no alert mark and no proposal, so turning dry run off still alerts', async () => {
    const contexts: boolean[] = [];
    const dry: EventDeps = { ...deps, policy: policy('dryRun: true\n'), notifier: { publish: async (_b, c) => void contexts.push(c.dryRun) } };
    const e = gcp({ forecastThresholdExceeded: undefined });
    expect((await handleCloudEvent(e, dry)).published).toHaveLength(1);
    expect((await handleCloudEvent(e, dry)).published).toHaveLength(1);
    expect(contexts).toEqual([true, true]);
    expect(await store.listProposals()).toEqual([]);
    expect((await handleCloudEvent(e, deps)).published).toHaveLength(1);
    expect(notifier.published).toHaveLength(1);
  });
});

describe('receiveSns', () => {
  const snsEvent = JSON.parse(fixture('budget_actual_lambda_sns_event__sasa9477.json')) as { Records: Record<string, unknown>[] };
  const anomaly = fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json');
  const record = (message: string, id: string) => ({ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: id, Message: message, Timestamp: '2024-05-13T03:23:01.482Z' } });

  it('handles budget text and anomaly JSON on one topic; a redelivered message alerts once', async () => {
    deps = { ...deps, policy: policy('rules:\n  cost-anomaly:\n    minImpact: 10\n') };
    const budgetMessage = (snsEvent.Records[0]!['Sns'] as { Message: string }).Message;
    const outcomes = await receiveSns({ Records: [record(budgetMessage, 'a'), record(anomaly, 'b')] }, { events: deps, log: silent });
    expect(outcomes.map((o) => o.published)).toEqual([
      ['budget-breach:aws-budgets:123456789012/AwsCostNotificationStack-MonthlyCostBudget:2024-05:100%'],
      ['cost-anomaly:aws:6de0dd1d-feb4-488a-a55d-ff130a7a285a'],
    ]);
    const redelivered = await receiveSns(snsEvent, { events: deps, log: silent });
    expect(redelivered[0]!.duplicates).toHaveLength(1);
    expect(notifier.published).toHaveLength(2);
  });

  it('handles the good records of a batch, then fails with the reason of the bad one (for the DLQ)', async () => {
    const warned: unknown[] = [];
    const log: EventLog = { ...silent, warn: (m, x) => warned.push([m, x]) };
    const budgetMessage = (snsEvent.Records[0]!['Sns'] as { Message: string }).Message;
    const bad = record('{"anomalyId": 42}', 'bad');
    const err = await receiveSns({ Records: [record(budgetMessage, 'good'), bad] }, { events: deps, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventRefusedError);
    expect((err as Error).message).toMatch(/^event refused \(aws-anomaly\): accountId: is missing/);
    expect(notifier.published).toHaveLength(1);
    expect(warned).toHaveLength(1);
    await expect(receiveSns({ hello: 'world' }, { events: deps, log: silent })).rejects.toThrow(/not an SNS event/);
    await expect(receiveSns({ Records: [record('Dear customer, hello', 'x')] }, { events: deps, log: silent })).rejects.toThrow(/neither an AWS Budgets notification nor a Cost Anomaly Detection alert/);
  });

  it('fails the invocation when another delivery is sending the same alert, so it is retried', async () => {
    const budgetMessage = (snsEvent.Records[0]!['Sns'] as { Message: string }).Message;
    const e = ok(parseAwsBudgets(snsEvent));
    const dedup = new AlertDedup(store);
    const claim = await dedup.claim(`aws-budgets|${e.type === 'budget' ? e.budgetId : ''}|2024-05|100%|actual`, NOW);
    expect(claim.state).toBe('claimed');
    await expect(receiveSns({ Records: [record(budgetMessage, 'a')] }, { events: deps, log: silent })).rejects.toBeInstanceOf(EventInFlightError);
  });
});

describe('receiveEventBridge', () => {
  it('refuses events from other sources with the reason', async () => {
    await expect(receiveEventBridge(JSON.parse(fixture('eventbridge_scheduled_event__aws-doc.json')), { events: deps, log: silent })).rejects.toThrow(
      'event refused: not a SageMaker or Cost Anomaly Detection event (source "aws.events")',
    );
    await expect(receiveEventBridge('not an object', { events: deps, log: silent })).rejects.toThrow(/source missing/);
  });
});
