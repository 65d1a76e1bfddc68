import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/load.js';
import type { Finding } from '../../shared/domain/finding.js';
import { approverCheck, ApproverLookupError } from '../../shared/slack/approvers.js';
import { routeChannel, routesUseTags, routingTags } from '../../shared/slack/routing.js';
import { fixedClock } from '../../shared/clock.js';

const policy = parsePolicy(
  `version: 1
budgets:
  - { name: ml-platform, amount: 10000, channel: "#finance", scope: { tags: { team: fraud } } }
  - { name: data, amount: 5000, scope: { tags: { team: data } } }
rules:
  idle-endpoint: { mode: approve, channel: "#endpoints" }
  idle-notebook: { mode: approve }
slack:
  channel: "#ml-costs"
  routes:
    - { rules: [idle-notebook], clouds: [gcp], channel: "#gcp-notebooks" }
    - { tags: { team: fraud }, channel: "#fraud" }
    - { rules: [budget-breach], channel: "#budgets" }
  approvers: { users: [U024BE7LH] }
`,
  'p.yml',
).policy as Parameters<typeof routeChannel>[2];

const finding = (over: Partial<Finding>): Finding => ({ id: 'f', ruleId: 'idle-endpoint', state: 'violation', cloud: 'aws', scopeId: '1', title: 't', evidence: [], detectedAt: new Date(0), ...over });
const budget = (name: string): Finding => finding({ ruleId: 'budget-breach', budget: { budgetName: name, source: 'config', kind: 'actual', drivers: [] } });

describe('routeChannel', () => {
  it('sends a budget with its own channel there, before any route', () => {
    expect(routeChannel(budget('ml-platform'), routingTags(budget('ml-platform'), policy), policy)).toBe('#finance');
  });

  it('takes the first route whose rules, clouds and tags all hold', () => {
    expect(routeChannel(finding({ ruleId: 'idle-notebook', cloud: 'gcp' }), { team: 'fraud' }, policy)).toBe('#gcp-notebooks');
    expect(routeChannel(finding({ ruleId: 'idle-notebook', cloud: 'aws' }), { team: 'fraud' }, policy)).toBe('#fraud');
    expect(routeChannel(budget('data'), routingTags(budget('data'), policy), policy)).toBe('#budgets');
  });

  it('falls back to the rule’s channel, then to slack.channel', () => {
    expect(routeChannel(finding({}), { team: 'search' }, policy)).toBe('#endpoints');
    expect(routeChannel(finding({ ruleId: 'idle-notebook' }), {}, policy)).toBe('#ml-costs');
    expect(routeChannel(finding({ ruleId: 'collection-failed' }), {}, policy)).toBe('#ml-costs');
  });

  it('says whether tags must be read to route', () => {
    expect(routesUseTags(policy.slack)).toBe(true);
    expect(routesUseTags({ ...policy.slack, routes: [{ channel: '#x', rules: ['idle-endpoint'] }] })).toBe(false);
  });
});

describe('approverCheck', () => {
  it('admits listed users and user group members, reading each group once per five minutes', async () => {
    let reads = 0;
    const clock = fixedClock(new Date(0));
    const check = approverCheck({ users: ['U1'], userGroups: ['S1'] }, { usergroupMembers: async () => (reads++, ['U2']) }, { clock });

    const results = [await check.isApprover('U1'), await check.isApprover('U2'), await check.isApprover('U3'), await check.isApprover('U2')];
    clock.advance(5 * 60_000 + 1);
    await check.isApprover('U3');

    expect(results).toEqual([true, true, false, true]);
    expect(reads).toBe(2);
  });

  it('refuses rather than guesses when a group cannot be read', async () => {
    const check = approverCheck({ users: [], userGroups: ['S1'] }, { usergroupMembers: async () => Promise.reject(new Error('ratelimited')) });

    await expect(check.isApprover('U2')).rejects.toBeInstanceOf(ApproverLookupError);
    await expect(approverCheck({ users: [], userGroups: ['S1'] }, undefined).isApprover('U2')).rejects.toThrow('no Slack client is configured');
  });
});
