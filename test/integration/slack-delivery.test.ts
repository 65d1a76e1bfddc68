import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../shared/clock.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import { startSlackStub, stubChannelId, type SlackStub } from '../../shared/sandbox/slack/index.js';
import { SlackApiError, slackWebClient, WebApiSlack } from '../../shared/slack/api.js';
import { section } from '../../shared/slack/block-kit.js';
import { postDigest } from '../../shared/slack/digest.js';
import { SlackNotifier } from '../../shared/slack/notifier.js';
import type { SlackPolicy } from '../../shared/slack/routing.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const NOW = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const ARN = 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3';
const FAST = { retries: 2, minTimeout: 0, maxTimeout: 10 };

const policy = parsePolicy(
  `version: 1
clouds: { aws: { accounts: [{ id: "111111111111", name: ml-prod, regions: [us-east-1] }] } }
budgets:
  - { name: ml-platform, amount: 10000, channel: "#finance" }
slack:
  channel: "#ml-costs"
  approvers: { users: [U024BE7LH] }
`,
  'p.yml',
).policy as ReturnType<typeof parsePolicy>['policy'] & { slack: SlackPolicy };

const finding: Finding = {
  id: `idle-endpoint:${ARN}`,
  ruleId: 'idle-endpoint',
  state: 'violation',
  cloud: 'aws',
  scopeId: '111111111111',
  region: 'us-east-1',
  resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: ARN, name: 'fraud-v3' },
  title: 'endpoint fraud-v3 had 0 invocations in 24 h',
  evidence: ['0 invocations in 24 h across 1 variant'],
  confidence: 'high',
  waste: { monthly: { amount: 2055.68, currency: 'USD' }, arithmetic: 'ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month', priceSource: 'bundled' },
  detectedAt: NOW,
};

const proposal: ProposedAction = {
  id: `aws.sagemaker.delete-endpoint:${ARN}@${NOW.toISOString()}`,
  key: `aws.sagemaker.delete-endpoint:${ARN}`,
  kind: 'aws.sagemaker.delete-endpoint',
  findingId: finding.id,
  ruleId: 'idle-endpoint',
  resource: finding.resource!,
  mode: 'approve',
  parameters: {},
  reversible: true,
  monthlySaving: { amount: 2055.68, currency: 'USD' },
  status: 'proposed',
  createdAt: NOW,
  expiresAt: new Date(NOW.getTime() + 72 * HOUR),
};

const budgetFinding = (threshold: number, month = '06'): Finding => ({
  id: 'budget-breach:aws:ml-platform',
  ruleId: 'budget-breach',
  state: 'violation',
  cloud: 'aws',
  scopeId: '111111111111',
  title: `budget ml-platform over ${threshold}%`,
  evidence: [],
  budget: {
    budgetName: 'ml-platform',
    source: 'aws-budgets',
    kind: 'actual',
    period: { start: new Date(`2025-${month}-01T00:00:00Z`), end: new Date('2025-07-01T00:00:00Z') },
    limit: { amount: 10000, currency: 'USD' },
    actual: { amount: threshold * 100, currency: 'USD' },
    thresholdPercent: threshold,
    drivers: [{ by: 'service', key: 'Amazon SageMaker', amount: { amount: 8000, currency: 'USD' } }],
  },
  detectedAt: NOW,
});

let stub: SlackStub;
let store: StateStore;
let api: WebApiSlack;
const clock = fixedClock(NOW);
const ctx = { dryRun: false, now: NOW };

// A fresh workspace and store per test: each starts with no message and no state.
beforeEach(async () => {
  stub = await startSlackStub();
  store = await openMemoryStore();
  api = new WebApiSlack(slackWebClient(stub.workspace.botToken, { slackApiUrl: stub.slackApiUrl, retryConfig: FAST }));
});
afterEach(async () => {
  await store.close();
  await stub.close();
});

const notifier = (over: Partial<ConstructorParameters<typeof SlackNotifier>[0]> = {}) => new SlackNotifier({ api, store, clock, policy, ...over });
const messagesAbout = (text: string) => stub.workspace.allMessages().filter((m) => m.text.includes(text));

describe('WebApiSlack against the Slack stub', () => {
  it('waits the Retry-After Slack sends on HTTP 429 and then delivers', async () => {
    const patient = new WebApiSlack(slackWebClient(stub.workspace.botToken, { slackApiUrl: stub.slackApiUrl, retryConfig: { retries: 3, minTimeout: 0, maxTimeout: 0 } }));
    stub.workspace.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    const t0 = Date.now();

    const posted = await patient.postMessage({ channel: '#rate-limited', text: 'hello' });

    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(stub.workspace.calls()['chat.postMessage']).toBe(2);
    expect(stub.workspace.message(posted.channel, posted.ts)?.text).toBe('hello');
  });

  it('surfaces Slack’s error code when a call fails for good', async () => {
    const tooMany = Array.from({ length: 51 }, () => section('x'));

    const blocks = await api.postMessage({ channel: '#x', text: 't', blocks: tooMany }).catch((e: unknown) => e);
    const update = await api.updateMessage({ channel: stubChannelId('#x'), ts: '1.000001', text: 't', blocks: [] }).catch((e: unknown) => e);
    const auth = await new WebApiSlack(slackWebClient('xoxb-wrong', { slackApiUrl: stub.slackApiUrl, retryConfig: FAST })).postMessage({ channel: '#x', text: 't' }).catch((e: unknown) => e);

    expect(blocks).toBeInstanceOf(SlackApiError);
    expect((blocks as SlackApiError).code).toBe('invalid_blocks');
    expect((update as SlackApiError).code).toBe('message_not_found');
    expect((auth as SlackApiError).message).toBe('Slack chat.postMessage failed: invalid_auth');
  });

  it('reads user group members', async () => {
    stub.workspace.setUsergroup('S0614TZR7', ['U1', 'U2']);

    expect(await api.usergroupMembers('S0614TZR7')).toEqual(['U1', 'U2']);
    await expect(api.usergroupMembers('S0NOPE')).rejects.toThrow('no_such_subteam');
  });
});

describe('SlackNotifier', () => {
  it('posts a finding once, edits it in place with a thread reply when its proposal moves, and not again while it stays', async () => {
    const n = notifier();

    const first = await n.deliver([{ finding, proposal }], ctx);
    const again = await n.deliver([{ finding, proposal }], ctx);
    await store.upsertProposal(proposal);
    await store.decide({ proposalId: proposal.id, verdict: 'approve', by: 'U024BE7LH', at: NOW, via: 'slack' });
    const approved = await store.transitionProposal(proposal.id, ['proposed'], 'approved');
    const moved = await n.deliver([{ finding, proposal: approved }], ctx);
    const still = await n.deliver([{ finding, proposal: approved }], ctx);

    expect([first.posted, again.unchanged, moved.updated, still.unchanged]).toEqual([1, 1, 1, 1]);
    const [msg] = messagesAbout('fraud-v3');
    expect(messagesAbout('fraud-v3')).toHaveLength(1);
    expect(msg!.channel).toBe(stubChannelId('#ml-costs'));
    expect(msg!.edited).toBeDefined();
    expect(msg!.replies.map((r) => r.text)).toEqual([expect.stringContaining('Approved by <@U024BE7LH>')]);
    expect(stub.workspace.calls()['chat.update']).toBe(1);
  });

  it('posts nothing in a dry run', async () => {
    const report = await notifier().deliver([{ finding, proposal }], { dryRun: true, now: NOW });

    expect(report).toMatchObject({ posted: 0, skipped: 1 });
    expect(stub.workspace.calls()['chat.postMessage'] ?? 0).toBe(0);
  });

  it('reports a failed delivery without throwing, and delivers it at the next publish', async () => {
    const errors: unknown[] = [];
    const broken = new WebApiSlack(slackWebClient('xoxb-revoked', { slackApiUrl: stub.slackApiUrl, retryConfig: FAST }));

    const failed = await notifier({ api: broken, onError: (e) => errors.push(e) }).deliver([{ finding, proposal }], ctx);
    const retried = await notifier().deliver([{ finding, proposal }], ctx);

    expect(failed.failed.map((f) => f.findingId)).toEqual([finding.id]);
    expect((errors[0] as SlackApiError).code).toBe('invalid_auth');
    expect(retried.posted).toBe(1);
    expect(messagesAbout('fraud-v3')).toHaveLength(1);
  });

  it('posts one message when two scans publish the same new finding at once', async () => {
    await Promise.all([notifier().deliver([{ finding, proposal }], ctx), notifier().deliver([{ finding, proposal }], ctx), notifier().deliver([{ finding, proposal }], ctx)]);

    const msgs = messagesAbout('fraud-v3');
    expect(msgs).toHaveLength(1);
    expect((await store.getSlackMessage(finding.id))?.ts).toBe(msgs[0]!.ts);
  });

  it('posts the alert afresh when its message was deleted in Slack', async () => {
    const n = notifier();
    await n.deliver([{ finding, proposal }], ctx);
    const old = messagesAbout('fraud-v3')[0]!;
    await api.deleteMessage({ channel: old.channel, ts: old.ts });

    await n.deliver([{ finding, proposal: { ...proposal, status: 'cancelled' } }], ctx);

    const now = messagesAbout('fraud-v3');
    expect(now).toHaveLength(1);
    expect(now[0]!.ts).not.toBe(old.ts);
    expect((await store.getSlackMessage(finding.id))?.ts).toBe(now[0]!.ts);
  });

  it('routes a budget finding to the budget’s channel, updates it when a higher threshold is crossed, and starts a new message each period', async () => {
    const n = notifier();

    await n.deliver([{ finding: budgetFinding(80) }], ctx);
    await n.deliver([{ finding: budgetFinding(80) }], ctx);
    await n.deliver([{ finding: budgetFinding(100) }], ctx);
    await n.deliver([{ finding: budgetFinding(50, '07') }], ctx);

    const msgs = messagesAbout('budget ml-platform');
    expect(msgs.map((m) => m.channel)).toEqual([stubChannelId('#finance'), stubChannelId('#finance')]);
    expect(msgs[0]!.text).toBe('Spend for budget ml-platform at 100% of $10,000.00');
    expect(msgs[0]!.replies.map((r) => r.text)).toEqual([expect.stringContaining('Spend crossed 100% of the budget')]);
    expect(msgs[1]!.text).toBe('Spend for budget ml-platform at 50% of $10,000.00');
  });

  it('reads the resource’s tags only to route a first message, and routes on them', async () => {
    const tagged = { ...policy, slack: { ...policy.slack, routes: [{ tags: { team: 'fraud' }, channel: '#fraud' }] } };
    const reads: string[] = [];
    const n = notifier({ policy: tagged, resourceTags: async (ref) => (reads.push(ref.name), { team: 'fraud' }) });

    await n.deliver([{ finding, proposal }], ctx);
    await n.deliver([{ finding, proposal: { ...proposal, status: 'cancelled' } }], ctx);

    expect(messagesAbout('fraud-v3')[0]!.channel).toBe(stubChannelId('#fraud'));
    expect(reads).toEqual(['fraud-v3']);
  });
});

describe('weekly digest', () => {
  const scopes = [{ cloud: 'aws' as const, id: '111111111111', name: 'ml-prod' }];

  async function executedOneDayAgo(): Promise<void> {
    await store.upsertProposal(proposal);
    await store.transitionProposal(proposal.id, ['proposed'], 'approved');
    await store.transitionProposal(proposal.id, ['approved'], 'executed');
    await store.appendAudit({ at: NOW, actor: 'U024BE7LH', event: 'executed', proposalId: proposal.id, detail: 'deleted endpoint fraud-v3' });
    await store.openSavings({
      id: proposal.id,
      actionKind: proposal.kind,
      ruleId: proposal.ruleId,
      resource: proposal.resource,
      hourly: { amount: 2.816, currency: 'USD' },
      arithmetic: 'ml.g5.xlarge $1.408/h × 2 = $2.816/h',
      priceSource: 'bundled',
      openedAt: new Date(NOW.getTime() - 24 * HOUR),
    });
  }

  it('uploads its charts with the external-upload flow, shows them, and posts once per week', async () => {
    await executedOneDayAgo();
    const other = { ...proposal, id: 'p-2', key: 'k-2', findingId: 'f-2', monthlySaving: { amount: 100, currency: 'USD' }, resource: { ...proposal.resource, name: 'other' } };
    await store.upsertProposal(other);

    const first = await postDigest({ store, api, clock, channel: '#ml-costs', scopes });
    const second = await postDigest({ store, api, clock, channel: '#ml-costs', scopes });

    expect([first.posted, second.posted]).toEqual([true, false]);
    expect(first.key).toBe('digest:2025-06-16');
    const files = stub.workspace.files();
    expect(files.map((f) => [f.filename, f.completed, f.bytes?.subarray(1, 4).toString()])).toEqual([
      ['savings-usd.png', true, 'PNG'],
    ]);
    expect(stub.workspace.calls()).toMatchObject({ 'files.getUploadURLExternal': 1, 'files.completeUploadExternal': 1 });
    const posted = messagesAbout('costwatch weekly digest');
    expect(posted).toHaveLength(1);
    // Realized: 24 h off at $2.816/h, not the monthly estimate.
    expect(posted[0]!.text).toContain('realized savings $67.58 this week');
    const blocks = posted[0]!.blocks as { type: string; slack_file?: { id: string }; elements?: { value?: string }[] }[];
    expect(blocks.filter((b) => b.type === 'image').map((b) => b.slack_file?.id)).toEqual(files.map((f) => f.id));
    expect(blocks.some((b) => b.type === 'actions' && b.elements?.some((e) => e.value === 'p-2'))).toBe(true);
  });

  it('posts nothing and lets the next run try again when an upload fails before the post', async () => {
    await executedOneDayAgo();
    const failed = await postDigest({ store, api: { ...bound(api), uploadFile: () => Promise.reject(new SlackApiError('files.getUploadURLExternal', 'file_uploads_disabled')) }, clock, channel: '#ml-costs', scopes }).catch((e: unknown) => e);
    const retried = await postDigest({ store, api, clock, channel: '#ml-costs', scopes });

    expect(failed).toBeInstanceOf(SlackApiError);
    expect(retried.posted).toBe(true);
    expect(messagesAbout('costwatch weekly digest')).toHaveLength(1);
  });

  it('never posts the week twice when the run fails after posting', async () => {
    await executedOneDayAgo();
    const flaky = { ...bound(api), postMessage: async (m: Parameters<WebApiSlack['postMessage']>[0]) => {
      await api.postMessage(m);
      throw new Error('connection reset after the post');
    } };

    const failed = await postDigest({ store, api: flaky, clock, channel: '#ml-costs', scopes }).catch((e: unknown) => e);
    const again = await postDigest({ store, api, clock, channel: '#ml-costs', scopes });

    expect(failed).toBeInstanceOf(Error);
    expect(again).toMatchObject({ posted: false });
    expect(messagesAbout('costwatch weekly digest')).toHaveLength(1);
  });
});

/** The Slack API's methods bound to one client, so a test can replace one of them. */
function bound(a: WebApiSlack) {
  return {
    postMessage: a.postMessage.bind(a),
    updateMessage: a.updateMessage.bind(a),
    deleteMessage: a.deleteMessage.bind(a),
    postEphemeral: a.postEphemeral.bind(a),
    usergroupMembers: a.usergroupMembers.bind(a),
    uploadFile: a.uploadFile.bind(a),
    publishHome: a.publishHome.bind(a),
  };
}
