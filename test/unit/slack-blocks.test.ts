import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import { validateBlocks } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { BLOCK_KIT_LIMITS, BlockKitLimitError, button, clamp, escapeMrkdwn, message, section } from '../../shared/slack/block-kit.js';
import { alertMessage, historyLine, REPLIES } from '../../shared/slack/blocks.js';
import { alertStateKey, alertStatus, messageKey, type AlertView } from '../../shared/slack/view.js';

const NOW = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const ARN = 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3';

const finding: Finding = {
  id: `idle-endpoint:${ARN}`,
  ruleId: 'idle-endpoint',
  state: 'violation',
  cloud: 'aws',
  scopeId: '111111111111',
  region: 'us-east-1',
  resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: ARN, name: 'fraud-v3' },
  title: 'endpoint fraud-v3 had 0 invocations in 72 h',
  evidence: ['0 invocations in 72 h across 2 variants', 'variant A: Invocations datapoints present, all zero'],
  confidence: 'high',
  waste: { monthly: { amount: 2055.68, currency: 'USD' }, arithmetic: 'ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month', priceSource: 'bundled price table 2025-10' },
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

type Btn = { action_id: string; value?: string; url?: string; style?: string; text: { text: string }; confirm?: unknown };
function buttons(blocks: readonly KnownBlock[]): Btn[] {
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as { elements: Btn[] }).elements);
}
const text = (blocks: readonly KnownBlock[]) => JSON.stringify(blocks);
const view = (over: Partial<AlertView> = {}): AlertView => ({ finding, proposal, now: NOW, scopeName: 'ml-prod', ...over });

describe('alertMessage for a resource finding', () => {
  it('shows cloud, account, region, resource, evidence, waste with its arithmetic and the mode, with a fallback text', () => {
    const m = alertMessage(view());

    expect(m.text).toBe('endpoint fraud-v3 had 0 invocations in 72 h (AWS 111111111111 us-east-1): ~$2,055.68/month — approval needed');
    const t = text(m.blocks);
    for (const s of ['*Cloud*\\nAWS', '*Account*\\nml-prod (111111111111)', '*Region*\\nus-east-1', '`fraud-v3` (aws.sagemaker.endpoint)', '~$2,055.68/month', '0 invocations in 72 h across 2 variants', 'ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month', '*Mode*\\napprove']) {
      expect(t).toContain(s);
    }
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it('offers Approve (primary, confirmed), Snooze 24 h, Exempt and Open in console while the proposal is open, each carrying the proposal id', () => {
    const b = buttons(alertMessage(view()).blocks);

    expect(b.map((x) => x.action_id)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt, ACTION_IDS.openConsole]);
    expect(b.map((x) => x.text.text)).toEqual(['Approve: delete endpoint', 'Snooze 24 h', 'Exempt', 'Open in console']);
    expect(b[0]).toMatchObject({ style: 'primary', value: proposal.id, confirm: expect.anything() });
    expect(b[1]!.value).toBe(proposal.id);
    expect(b[3]!.url).toBe('https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/fraud-v3');
  });

  it('shows who did what, when, the saving and an Undo button once executed', () => {
    const executed = { ...proposal, status: 'executed' as const, undoData: { endpointConfigName: 'fraud-v3-config' } };
    const m = alertMessage(
      view({
        proposal: executed,
        decision: { proposalId: proposal.id, verdict: 'approve', by: 'U024BE7LH', at: NOW, via: 'slack' },
        event: { kind: 'executed', detail: 'deleted endpoint fraud-v3; its endpoint config fraud-v3-config is kept for undo', by: 'U024BE7LH', at: new Date(NOW.getTime() + 60_000) },
      }),
    );

    const t = text(m.blocks);
    expect(t).toContain('approved by <@U024BE7LH>');
    expect(t).toContain('<!date^1750248060^');
    expect(t).toContain('What changed: deleted endpoint fraud-v3');
    expect(t).toContain('Saving: *~$2,055.68/month*');
    expect(buttons(m.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);
    expect(m.text).toContain('— done');
  });

  it('offers no Undo when no undo data was saved', () => {
    const m = alertMessage(view({ proposal: { ...proposal, status: 'executed' } }));

    expect(buttons(m.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.openConsole]);
  });

  it('says why an action was cancelled, that it expired, failed or was undone, with only the console button', () => {
    const cancelled = alertMessage(view({ proposal: { ...proposal, status: 'cancelled' }, event: { kind: 'cancelled', detail: 'no longer matches: 14 invocations in 24 h' } }));
    const expired = alertMessage(view({ now: new Date(NOW.getTime() + 73 * HOUR) }));
    const failed = alertMessage(view({ proposal: { ...proposal, status: 'failed' }, event: { kind: 'failed', detail: 'Delete endpoint failed: AccessDenied' } }));
    const undone = alertMessage(view({ proposal: { ...proposal, status: 'undone' }, event: { kind: 'undone', detail: 're-created endpoint fraud-v3', by: 'U2' } }));

    expect(text(cancelled.blocks)).toContain('*Cancelled*: no longer matches: 14 invocations in 24 h. Nothing was changed.');
    expect(text(expired.blocks)).toContain('*Expired*: nobody decided by');
    expect(text(failed.blocks)).toContain('*Failed*: Delete endpoint failed: AccessDenied');
    expect(text(undone.blocks)).toContain('*Undone* by <@U2>');
    for (const m of [cancelled, expired, failed, undone]) expect(buttons(m.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.openConsole]);
  });

  it('reports a notify-mode finding and an unknown one without decision buttons', () => {
    const notify = alertMessage(view({ proposal: undefined, ruleMode: 'notify' }));
    const unknown = alertMessage(view({ proposal: undefined, finding: { ...finding, state: 'unknown', waste: undefined, confidence: undefined } }));

    expect(text(notify.blocks)).toContain('*Mode*\\nnotify — report only');
    expect(text(unknown.blocks)).toContain('Usage is unknown, so costwatch does not act on it.');
    expect(buttons(notify.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.openConsole]);
    expect(buttons(unknown.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.openConsole]);
  });

  it('renders a collection failure with what failed and a link to the scope', () => {
    const failure: Finding = { id: 'collection-failed:aws:1:us-east-1:cw', ruleId: 'collection-failed', state: 'failure', cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', title: 'could not read cloudwatch:GetMetricData in aws ml-prod us-east-1', evidence: ['AccessDenied: not authorized', 'findings of this scope may be incomplete'], detectedAt: NOW };

    const m = alertMessage({ finding: failure, now: NOW });

    expect(m.text).toBe('costwatch could not read cloudwatch:GetMetricData in aws ml-prod us-east-1');
    expect(text(m.blocks)).toContain('AccessDenied: not authorized');
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it('escapes names that contain Slack control characters', () => {
    const m = alertMessage(view({ finding: { ...finding, evidence: ['tag <script> & co'] } }));

    expect(text(m.blocks)).toContain('tag &lt;script&gt; &amp; co');
    expect(escapeMrkdwn('<@U1>')).toBe('&lt;@U1&gt;');
  });
});

describe('alertMessage for a budget, forecast or anomaly finding', () => {
  const budgetFinding: Finding = {
    id: 'budget-breach:aws:ml-platform',
    ruleId: 'budget-breach',
    state: 'violation',
    cloud: 'aws',
    scopeId: '111111111111',
    title: 'budget ml-platform at 112%',
    evidence: ['actual $11,200.00 of $10,000.00'],
    budget: {
      budgetName: 'ml-platform',
      source: 'aws-budgets',
      kind: 'actual',
      period: { start: new Date('2025-06-01T00:00:00Z'), end: new Date('2025-07-01T00:00:00Z') },
      limit: { amount: 10_000, currency: 'USD' },
      actual: { amount: 11_200, currency: 'USD' },
      forecast: { amount: 14_000, currency: 'USD' },
      thresholdPercent: 100,
      drivers: [
        { by: 'service', key: 'Amazon SageMaker', amount: { amount: 8000, currency: 'USD' } },
        { by: 'service', key: 'Amazon S3', amount: { amount: 1200, currency: 'USD' } },
        { by: 'service', key: 'AWS Lambda', amount: { amount: 900, currency: 'USD' } },
        { by: 'service', key: 'Amazon EC2', amount: { amount: 600, currency: 'USD' } },
        { by: 'service', key: 'Amazon CloudWatch', amount: { amount: 300, currency: 'USD' } },
        { by: 'service', key: 'AWS Glue', amount: { amount: 200, currency: 'USD' } },
        { by: 'tag', key: 'team=fraud', amount: { amount: 5600, currency: 'USD' } },
        { by: 'tag', key: 'team=search', amount: { amount: 3000, currency: 'USD' } },
      ],
    },
    detectedAt: NOW,
  };

  it('shows spent, budget, forecast, percent, period, and the top five drivers by service and by tag', () => {
    const m = alertMessage({ finding: budgetFinding, now: NOW, scopeName: 'ml-prod' });

    const t = text(m.blocks);
    expect(m.text).toBe('Spend for budget ml-platform at 112% of $10,000.00');
    for (const s of ['*Spent*\\n$11,200.00', '*Budget*\\n$10,000.00', '*Forecast*\\n$14,000.00 (140%)', '*Used*\\n112%', '*Period*\\n2025-06-01 – 2025-06-30', '*Threshold*\\n100% (actual)', 'AWS Budgets']) {
      expect(t).toContain(s);
    }
    expect(t).toContain('*Top cost drivers by service*\\n1. Amazon SageMaker — $8,000.00 (71%)');
    expect(t).toContain('5. Amazon CloudWatch — $300.00 (3%)');
    expect(t).not.toContain('AWS Glue');
    expect(t).toContain('*Top cost drivers by tag*\\n1. team=fraud — $5,600.00 (50%)');
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it('lists the open proposals of the same scope as proposed actions', () => {
    const m = alertMessage({ finding: budgetFinding, now: NOW, related: [proposal, { ...proposal, id: 'done', status: 'executed' }] });

    expect(text(m.blocks)).toContain('*Proposed actions*\\n• Delete endpoint `fraud-v3` (us-east-1) — saves ~$2,055.68/month');
    expect(text(m.blocks).match(/Delete endpoint `fraud-v3`/g)).toHaveLength(1);
  });

  it('titles forecast and anomaly findings by their kind', () => {
    const forecast = alertMessage({ finding: { ...budgetFinding, budget: { ...budgetFinding.budget!, kind: 'forecast' } }, now: NOW });
    const anomaly = alertMessage({ finding: { ...budgetFinding, budget: { ...budgetFinding.budget!, kind: 'anomaly', source: 'aws-anomaly' } }, now: NOW });

    expect(forecast.text).toBe('Forecast for budget ml-platform at 140% of $10,000.00');
    expect(anomaly.text).toBe('Cost anomaly in ml-platform');
    expect(text(anomaly.blocks)).toContain('AWS Cost Anomaly Detection');
  });

  it('keys a budget message by finding and period, and changes state when a higher threshold is crossed', () => {
    const at80 = { finding: { ...budgetFinding, budget: { ...budgetFinding.budget!, thresholdPercent: 80 } }, now: NOW };

    expect(messageKey(budgetFinding)).toBe('budget-breach:aws:ml-platform@2025-06-01');
    expect(alertStateKey(at80)).toBe('budget:actual:80');
    expect(alertStateKey({ finding: budgetFinding, now: NOW })).toBe('budget:actual:100');
  });
});

describe('Block Kit limits', () => {
  it('cuts texts to their limits and keeps the buttons when there are more than 50 blocks', () => {
    const long = 'x'.repeat(5000);
    const blocks: KnownBlock[] = [...Array.from({ length: 60 }, () => section(long)), { type: 'actions', block_id: 'a', elements: [button({ actionId: 'a', label: 'y'.repeat(100), value: 'v' })] }];

    const m = message(long, blocks);

    expect(m.blocks).toHaveLength(BLOCK_KIT_LIMITS.blocksPerMessage);
    expect(m.blocks.at(-1)!.type).toBe('actions');
    expect(text(m.blocks)).toContain('12 more blocks omitted');
    expect(m.text.length).toBe(BLOCK_KIT_LIMITS.fallbackText);
    expect(validateBlocks(m.blocks)).toEqual([]);
    expect(Array.from((m.blocks[0] as { text: { text: string } }).text.text)).toHaveLength(3000);
  });

  it('refuses a button value, URL or action id that would have to be cut', () => {
    expect(() => button({ actionId: 'a', label: 'b', value: 'v'.repeat(2001) })).toThrow(BlockKitLimitError);
    expect(() => button({ actionId: 'a', label: 'b', url: `https://x/${'u'.repeat(3000)}` })).toThrow('button url is 3010 characters; Block Kit allows 3000');
    expect(() => button({ actionId: 'a'.repeat(256), label: 'b' })).toThrow(BlockKitLimitError);
    expect(button({ actionId: 'a', label: 'b', value: 'v'.repeat(2000) }).value).toHaveLength(2000);
  });

  it('leaves the console button out rather than send a URL Slack would refuse', () => {
    const longName = 'n'.repeat(3100);
    const m = alertMessage(view({ finding: { ...finding, resource: { ...finding.resource!, name: longName } } }));

    expect(buttons(m.blocks).map((x) => x.action_id)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt]);
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it('counts characters, not UTF-16 units, when cutting', () => {
    expect(clamp('😀😀😀', 2)).toBe('😀…');
    expect(clamp('abc', 3)).toBe('abc');
  });
});

describe('historyLine and replies', () => {
  it('records each change in one line with its time', () => {
    const approved = historyLine(view({ proposal: { ...proposal, status: 'approved' }, decision: { proposalId: proposal.id, verdict: 'approve', by: 'U1', at: NOW, via: 'slack' } }));
    const snoozed = historyLine(view({ proposal: { ...proposal, status: 'rejected' }, decision: { proposalId: proposal.id, verdict: 'snooze', by: 'U3', at: NOW, via: 'slack' } }));

    expect(approved).toBe(':gear: Approved by <@U1>; delete endpoint in progress. _(<!date^1750248000^{date_short_pretty} {time}|2025-06-18 12:00 UTC>)_');
    expect(snoozed).toContain('*Snoozed* by <@U3> until <!date^1750334400^');
    expect(alertStatus(view({ proposal: { ...proposal, status: 'rejected' }, decision: { proposalId: proposal.id, verdict: 'exempt', by: 'U3', at: NOW, via: 'slack' } }))).toBe('exempt');
  });

  it('names who to ask when someone is not an approver', () => {
    expect(REPLIES.notApprover({ users: ['U1'], userGroups: ['S1'] })).toBe('Only costwatch approvers can approve, undo or exempt: ask <@U1>, <!subteam^S1>. Nothing was changed.');
    expect(REPLIES.alreadyDecided({ verdict: 'approve', by: 'U1', at: NOW })).toMatch(/^Already approved by <@U1> <!date\^1750248000/);
  });
});

