import { DeleteEndpointCommand, DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWorld, SAMPLE_WORLD_PATH, sandboxAwsCredentials, type Sandbox, type World } from '../../shared/sandbox/index.js';
import { stubChannelId, type StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { APPROVER, e2ePolicy, GROUP_MEMBER, install, OUTSIDER, SECOND_APPROVER, type Installation } from './harness.js';

let sample: World;
beforeAll(async () => {
  sample = await loadWorld(SAMPLE_WORLD_PATH);
});

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

async function endpointStatus(sb: Sandbox, name: string, account = '111111111111', region = 'us-east-1'): Promise<string | 'gone'> {
  const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region, credentials: sandboxAwsCredentials(account), maxAttempts: 1 });
  try {
    return (await sm.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus ?? 'unknown';
  } catch (err) {
    if ((err as Error).name === 'ValidationException' && /Could not find/.test((err as Error).message)) return 'gone';
    throw err;
  } finally {
    sm.destroy();
  }
}

function buttonIds(m: StubMessage): string[] {
  return (m.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => e.action_id));
}

function allText(m: StubMessage): string {
  return JSON.stringify(m.blocks);
}

describe('Slack approvals end to end on the sandbox', () => {
  it('deletes the endpoint when an approver clicks Approve on the posted message, and re-creates it on Undo', async () => {
    inst = await install(sample);
    const { sandbox } = inst;

    const report = await inst.scan();

    const fraud = await inst.messageAbout('fraud-v3');
    const proposal = report.proposals.find((p) => p.resource.name === 'fraud-v3')!;
    expect(fraud.channel).toBe(stubChannelId('#fraud-costs')); // routed by its team=fraud tag
    expect((await inst.messageAbout('translate-eu')).channel).toBe(stubChannelId('#ml-costs'));
    expect(buttonIds(fraud)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt, ACTION_IDS.openConsole]);
    expect(allText(fraud)).toContain(proposal.id);
    expect(allText(fraud)).toContain('ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month');
    expect(allText(fraud)).toContain('https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/fraud-v3');

    const approved = await inst.click(fraud, ACTION_IDS.approve, APPROVER);

    expect(approved).toMatchObject({ status: 200, result: 'accepted' });
    expect(await endpointStatus(sandbox, 'fraud-v3')).toBe('InService'); // acknowledged first; the executor acts
    const drained = await inst.drain();
    expect(drained.failed).toEqual([]);
    expect(drained.results.map((r) => r.outcome?.outcome)).toContain('executed');
    expect(await endpointStatus(sandbox, 'fraud-v3')).toBe('gone');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    const done = sandbox.slack.message(fraud.channel, fraud.ts)!;
    expect(done.edited).toBeDefined();
    expect(buttonIds(done)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);
    expect(allText(done)).toContain(`approved by <@${APPROVER}>`);
    expect(allText(done)).toContain('deleted endpoint fraud-v3');
    expect(done.replies.map((r) => r.text)).toEqual([expect.stringContaining(`Approved by <@${APPROVER}>`), expect.stringContaining('Delete endpoint done: deleted endpoint fraud-v3')]);

    const undone = await inst.click(done, ACTION_IDS.undo, SECOND_APPROVER);
    await inst.drain();

    expect(undone).toMatchObject({ status: 200, result: 'accepted' });
    expect(await endpointStatus(sandbox, 'fraud-v3')).toBe('InService');
    const after = sandbox.slack.message(fraud.channel, fraud.ts)!;
    expect(buttonIds(after)).toEqual([ACTION_IDS.openConsole]);
    expect(allText(after)).toContain(`Undone* by <@${SECOND_APPROVER}>`);
    expect(after.replies).toHaveLength(3);
    expect((await inst.store.getProposal(proposal.id))?.status).toBe('undone');
  });

  it('posts each finding once and leaves its message alone while its state stays the same', async () => {
    inst = await install(sample);

    const first = await inst.scan();
    const postsAfterFirst = inst.sandbox.slack.calls()['chat.postMessage'];
    await inst.scan();
    await inst.scan();

    expect(postsAfterFirst).toBe(first.findings.length);
    expect(inst.sandbox.slack.calls()['chat.postMessage']).toBe(postsAfterFirst);
    expect(inst.sandbox.slack.calls()['chat.update'] ?? 0).toBe(0);
    expect(inst.sandbox.slack.allMessages()).toHaveLength(first.findings.length);
  });

  it('executes exactly once when one button gets 50 clicks at once from several approvers', async () => {
    inst = await install(sample);
    await inst.scan();
    const fraud = await inst.messageAbout('fraud-v3');
    const users = [APPROVER, SECOND_APPROVER, GROUP_MEMBER];

    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => inst!.click(fraud, ACTION_IDS.approve, users[i % users.length]!)));
    const drained = await inst.drain();

    expect(outcomes.filter((o) => o.result === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.result === 'refused')).toHaveLength(49);
    expect(drained.failed).toEqual([]);
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    expect(drained.results.filter((r) => r.outcome?.outcome === 'executed')).toHaveLength(1);
    const replies = inst.sandbox.slack.ephemerals();
    expect(replies).toHaveLength(49);
    const decision = (await inst.store.listProposals()).find((p) => p.resource.name === 'fraud-v3')!;
    const first = await inst.store.getDecision(decision.id);
    for (const r of replies) expect(r.text).toContain(`Already approved by <@${first!.by}>`);
  });

  it('snoozes for anyone and exempts for approvers, and the next scans honour both without re-posting', async () => {
    inst = await install(sample);
    await inst.scan();
    const translate = await inst.messageAbout('translate-eu');
    const weekly = await inst.messageAbout('weekly-report');

    const snoozed = await inst.click(translate, ACTION_IDS.snooze, OUTSIDER);
    const exempted = await inst.click(weekly, ACTION_IDS.exempt, GROUP_MEMBER);
    await inst.drain();
    const messages = inst.sandbox.slack.allMessages().length;
    const translateThread = inst.sandbox.slack.message(translate.channel, translate.ts)!.replies.length;
    const report = await inst.scan();

    expect([snoozed.result, exempted.result]).toEqual(['accepted', 'accepted']);
    expect(allText(inst.sandbox.slack.message(translate.channel, translate.ts)!)).toContain(`Snoozed* by <@${OUTSIDER}>`);
    expect(allText(inst.sandbox.slack.message(weekly.channel, weekly.ts)!)).toContain(`Exempted* by <@${GROUP_MEMBER}>`);
    expect(buttonIds(inst.sandbox.slack.message(weekly.channel, weekly.ts)!)).toEqual([ACTION_IDS.openConsole]);
    expect(report.skipped.map((s) => s.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/^snoozed until/), `exempt: exempted in Slack by ${GROUP_MEMBER}`]));
    expect(report.proposals.map((p) => p.resource.name)).not.toContain('translate-eu');
    expect(inst.sandbox.slack.allMessages()).toHaveLength(messages);
    expect(inst.sandbox.slack.message(translate.channel, translate.ts)!.replies).toHaveLength(translateThread);
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  });

  it('cancels an approved action when the re-check finds the endpoint gone, and says so on the message', async () => {
    inst = await install(sample);
    await inst.scan();
    const fraud = await inst.messageAbout('fraud-v3');
    await inst.click(fraud, ACTION_IDS.approve, APPROVER);
    // Someone deletes it by hand between the click and the executor's turn.
    const sm = new SageMakerClient({ endpoint: inst.sandbox.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials('111111111111') });
    await sm.send(new DeleteEndpointCommand({ EndpointName: 'fraud-v3' }));
    sm.destroy();

    const drained = await inst.drain();

    expect(drained.results.map((r) => r.outcome)).toContainEqual(expect.objectContaining({ outcome: 'cancelled', detail: 'fraud-v3 no longer exists' }));
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1); // the manual one only
    const after = inst.sandbox.slack.message(fraud.channel, fraud.ts)!;
    expect(allText(after)).toContain('*Cancelled*: fraud-v3 no longer exists. Nothing was changed.');
    expect(buttonIds(after)).toEqual([ACTION_IDS.openConsole]);
  });

  it('posts an auto-mode action already done, with Undo, and undoes it on a click', async () => {
    inst = await install(sample, withAutoMode());
    const report = await inst.scan();

    const executed = report.executions.filter((e) => e.outcome === 'executed');
    const fraud = await inst.messageAbout('fraud-v3');
    expect(executed.length).toBeGreaterThan(0);
    expect(await endpointStatus(inst.sandbox, 'fraud-v3')).toBe('gone');
    expect(allText(fraud)).toContain('approved by costwatch (auto mode)');
    expect(buttonIds(fraud)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);

    await inst.click(fraud, ACTION_IDS.undo, APPROVER);
    await inst.drain();

    expect(await endpointStatus(inst.sandbox, 'fraud-v3')).toBe('InService');
    expect(allText(inst.sandbox.slack.message(fraud.channel, fraud.ts)!)).toContain(`Undone* by <@${APPROVER}>`);
  });
});

function withAutoMode() {
  const p = e2ePolicy();
  return { ...p, rules: { ...p.rules, 'idle-endpoint': { ...p.rules['idle-endpoint'], mode: 'auto' as const } } };
}

