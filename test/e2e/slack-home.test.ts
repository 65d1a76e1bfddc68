import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWorld, SAMPLE_WORLD_PATH, sandboxAwsCredentials, type Sandbox, type World } from '../../shared/sandbox/index.js';
import { signedAppHomeOpened, signedHomeClick } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { handleEventRequest } from '../../shared/slack/events-api.js';
import { APPROVER, install, OUTSIDER, SECOND_APPROVER, SIGNING_SECRET, signedRequest, type Installation } from './harness.js';

let sample: World;
beforeAll(async () => {
  sample = await loadWorld(SAMPLE_WORLD_PATH);
});

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

async function endpointStatus(sb: Sandbox, name: string): Promise<string> {
  const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials('111111111111'), maxAttempts: 1 });
  try {
    return (await sm.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus ?? 'unknown';
  } catch (err) {
    if (/Could not find/.test((err as Error).message)) return 'gone';
    throw err;
  } finally {
    sm.destroy();
  }
}

type Block = { type: string; text?: { text: string }; elements?: { action_id: string; value?: string }[] };
const blocksOf = (i: Installation, user: string) => (i.sandbox.slack.home(user)?.view.blocks ?? []) as Block[];
const buttonsOf = (i: Installation, user: string) => blocksOf(i, user).filter((b) => b.type === 'actions').flatMap((b) => b.elements!);
const textOf = (i: Installation, user: string) => JSON.stringify(blocksOf(i, user));

/** The user opens the Home tab: the stub sends the signed event, costwatch queues and publishes the view. */
async function openHome(i: Installation, user: string) {
  const req = signedAppHomeOpened(i.sandbox.slack, user, SIGNING_SECRET);
  const outcome = await handleEventRequest({ headers: req.headers, rawBody: req.body }, { store: i.store, queue: i.queue, clock: i.sandbox.clock, signingSecret: SIGNING_SECRET });
  await i.drain();
  return outcome;
}

async function clickHome(i: Installation, user: string, actionId: string, value?: string) {
  const req = signedHomeClick(i.sandbox.slack, { user, actionId, ...(value ? { value } : {}) }, SIGNING_SECRET);
  const outcome = await i.send({ headers: req.headers, rawBody: req.body });
  await i.drain();
  return outcome;
}

describe('App Home end to end on the sandbox', () => {
  it('opens the App Home in the stub and approves from it through the same signed, authorized, decided-once path', async () => {
    inst = await install(sample);
    const report = await inst.scan();
    const fraud = report.proposals.find((p) => p.resource.name === 'fraud-v3')!;

    const opened = await openHome(inst, APPROVER);

    expect(opened).toMatchObject({ status: 200, result: 'accepted' });
    expect(inst.sandbox.slack.calls()['views.publish']).toBe(1);
    const text = textOf(inst, APPROVER);
    expect(text).toContain(`Approvals waiting* (${report.proposals.filter((p) => p.status === 'proposed').length})`);
    expect(text).toContain('Spend this month against budget');
    expect(text).toContain('Realized savings this month');
    expect(buttonsOf(inst, APPROVER).filter((b) => b.value === fraud.id).map((b) => b.action_id)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt]);

    const approved = await clickHome(inst, APPROVER, ACTION_IDS.approve, fraud.id);

    expect(approved).toMatchObject({ status: 200, result: 'accepted' });
    expect(await endpointStatus(inst.sandbox, 'fraud-v3')).toBe('gone');
    expect((await inst.store.getDecision(fraud.id))).toMatchObject({ verdict: 'approve', by: APPROVER, via: 'slack' });
    // The channel's alert is updated as for a click in the channel, and the home no longer lists it.
    expect(JSON.stringify((await inst.messageAbout('fraud-v3')).blocks)).toContain(`approved by <@${APPROVER}>`);
    expect(textOf(inst, APPROVER)).toContain('Done. The alert in the channel shows what happens next.');
    expect(buttonsOf(inst, APPROVER).some((b) => b.value === fraud.id)).toBe(false);
    expect((await inst.store.listSavings()).map((e) => e.id)).toEqual([fraud.id]);
  });

  it('decides once when a second approver clicks the same proposal on a stale App Home, telling them in their home', async () => {
    inst = await install(sample);
    const report = await inst.scan();
    const fraud = report.proposals.find((p) => p.resource.name === 'fraud-v3')!;
    await openHome(inst, APPROVER);
    await openHome(inst, SECOND_APPROVER);

    await clickHome(inst, APPROVER, ACTION_IDS.approve, fraud.id);
    const second = await clickHome(inst, SECOND_APPROVER, ACTION_IDS.approve, fraud.id);

    expect(second).toMatchObject({ status: 200, result: 'refused' });
    expect(textOf(inst, SECOND_APPROVER)).toContain(`Already approved by <@${APPROVER}>`);
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
  });

  it('shows someone who is not an approver only Snooze, and lets them lift their own snooze', async () => {
    inst = await install(sample);
    const report = await inst.scan();
    const fraud = report.proposals.find((p) => p.resource.name === 'fraud-v3')!;

    await openHome(inst, OUTSIDER);

    expect(new Set(buttonsOf(inst, OUTSIDER).map((b) => b.action_id))).toEqual(new Set([ACTION_IDS.snooze]));
    expect(textOf(inst, OUTSIDER)).toContain('You are not a costwatch approver');

    expect(await clickHome(inst, OUTSIDER, ACTION_IDS.snooze, fraud.id)).toMatchObject({ result: 'accepted' });
    expect((await inst.store.activeSnoozes(inst.sandbox.clock.now())).map((s) => s.resourceId)).toEqual([fraud.resource.id]);
    expect(buttonsOf(inst, OUTSIDER).filter((b) => b.action_id === ACTION_IDS.liftSnooze).map((b) => b.value)).toEqual([fraud.resource.id]);

    expect(await clickHome(inst, OUTSIDER, ACTION_IDS.liftSnooze, fraud.resource.id)).toMatchObject({ result: 'accepted' });
    expect(await inst.store.activeSnoozes(inst.sandbox.clock.now())).toEqual([]);
    expect(buttonsOf(inst, OUTSIDER).some((b) => b.action_id === ACTION_IDS.liftSnooze)).toBe(false);
    expect((await inst.store.listAudit()).filter((e) => e.event === 'lifted')).toHaveLength(1);
  });

  it('refuses an exemption lift by someone who is not an approver, and lets an approver lift theirs', async () => {
    inst = await install(sample);
    const report = await inst.scan();
    const fraud = report.proposals.find((p) => p.resource.name === 'fraud-v3')!;
    await openHome(inst, APPROVER);
    await clickHome(inst, APPROVER, ACTION_IDS.exempt, fraud.id);
    expect(buttonsOf(inst, APPROVER).filter((b) => b.action_id === ACTION_IDS.liftExemption).map((b) => b.value)).toEqual([fraud.resource.id]);

    // Someone who is not an approver sends the same button click as their own (validly signed).
    const { payload } = signedHomeClick(inst.sandbox.slack, { user: APPROVER, actionId: ACTION_IDS.liftExemption }, SIGNING_SECRET);
    const byOutsider = await inst.send(signedRequest({ ...payload, user: { id: OUTSIDER, name: 'outsider' } }));
    await inst.drain();

    expect(byOutsider).toMatchObject({ status: 200, result: 'refused', message: `${OUTSIDER} is not an approver` });
    expect(await inst.store.activeExemptions(inst.sandbox.clock.now())).toHaveLength(1);
    expect(textOf(inst, OUTSIDER)).toContain('Only costwatch approvers can approve, undo or exempt');

    expect(await clickHome(inst, APPROVER, ACTION_IDS.liftExemption, fraud.resource.id)).toMatchObject({ result: 'accepted' });
    expect(await inst.store.activeExemptions(inst.sandbox.clock.now())).toEqual([]);
  });

  it('answers the URL check, ignores a repeated event, and rejects an unsigned one', async () => {
    inst = await install(sample);
    const deps = { store: inst.store, queue: inst.queue, clock: inst.sandbox.clock, signingSecret: SIGNING_SECRET };
    const check = JSON.stringify({ token: 't', challenge: 'abc123', type: 'url_verification' });
    const signed = signedAppHomeOpened(inst.sandbox.slack, APPROVER, SIGNING_SECRET);
    const { createHmac } = await import('node:crypto');
    const ts = String(Math.floor(Date.now() / 1000));
    const checkHeaders = { 'content-type': 'application/json', 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${check}`).digest('hex')}` };

    expect(await handleEventRequest({ headers: checkHeaders, rawBody: check }, deps)).toMatchObject({ status: 200, body: '{"challenge":"abc123"}' });
    expect(await handleEventRequest({ headers: signed.headers, rawBody: signed.body }, deps)).toMatchObject({ result: 'accepted' });
    expect(await handleEventRequest({ headers: signed.headers, rawBody: signed.body }, deps)).toMatchObject({ result: 'ignored' });
    expect(await handleEventRequest({ headers: { ...signed.headers, 'x-slack-signature': 'v0=00' }, rawBody: signed.body }, deps)).toMatchObject({ status: 401, result: 'rejected' });
  });
});
