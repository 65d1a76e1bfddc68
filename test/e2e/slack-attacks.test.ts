import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadWorld, SAMPLE_WORLD_PATH } from '../../shared/sandbox/index.js';
import type { StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { APPROVER, clickPayload, install, OUTSIDER, signedRequest, signRaw, type Installation } from './harness.js';

/*
 * Every attack gets a clear refusal and leaves everything as it was: the proposal still open, no
 * decision recorded, nothing queued for the executor, no cloud call that changes anything.
 */

let inst: Installation;
let fraud: StubMessage;
let proposalId: string;

beforeAll(async () => {
  inst = await install(await loadWorld(SAMPLE_WORLD_PATH));
  await inst.scan();
});
afterAll(() => inst.close());

beforeEach(async () => {
  // Each test starts from the posted message; earlier refusals leave only ephemeral replies behind.
  await inst.drain();
  fraud = await inst.messageAbout('fraud-v3');
  proposalId = (await inst.store.listProposals()).find((p) => p.resource.name === 'fraud-v3')!.id;
});

async function expectNothingChanged(): Promise<void> {
  expect((await inst.store.getProposal(proposalId))?.status).toBe('proposed');
  expect(await inst.store.getDecision(proposalId)).toBeUndefined();
  expect(inst.queue.pending().filter((j) => j.type !== 'reply')).toEqual([]);
  await inst.drain();
  expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  expect(inst.sandbox.slack.message(fraud.channel, fraud.ts)?.edited).toBeUndefined();
}

describe('the interactivity endpoint under attack', () => {
  it('refuses a request signed with another secret', async () => {
    const out = await inst.send(signedRequest(clickPayload(fraud, ACTION_IDS.approve, APPROVER), { secret: 'not-the-signing-secret' }));

    expect(out).toMatchObject({ status: 401, result: 'rejected', message: expect.stringContaining('X-Slack-Signature does not match') });
    await expectNothingChanged();
  });

  it('refuses a request whose timestamp is more than five minutes old, even if correctly signed', async () => {
    const out = await inst.send(signedRequest(clickPayload(fraud, ACTION_IDS.approve, APPROVER), { timestamp: Math.floor(Date.now() / 1000) - 301 }));

    expect(out).toMatchObject({ status: 401, result: 'rejected', message: expect.stringMatching(/^request timestamp is 30\d s old/) });
    await expectNothingChanged();
  });

  it('refuses a request timestamped in the future', async () => {
    const out = await inst.send(signedRequest(clickPayload(fraud, ACTION_IDS.approve, APPROVER), { timestamp: Math.floor(Date.now() / 1000) + 600 }));

    expect(out).toMatchObject({ status: 401, message: expect.stringContaining('in the future') });
    await expectNothingChanged();
  });

  it('refuses a request without the signature headers', async () => {
    const signed = signedRequest(clickPayload(fraud, ACTION_IDS.approve, APPROVER));

    const none = await inst.send({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: signed.rawBody });
    const noSignature = await inst.send({ headers: { 'x-slack-request-timestamp': signed.headers['x-slack-request-timestamp']! }, rawBody: signed.rawBody });

    expect(none).toMatchObject({ status: 401, message: expect.stringContaining('missing X-Slack-Request-Timestamp or X-Slack-Signature') });
    expect(noSignature).toMatchObject({ status: 401 });
    await expectNothingChanged();
  });

  it('refuses a signed body that was modified afterwards', async () => {
    const other = await inst.messageAbout('translate-eu');
    const signed = signedRequest(clickPayload(other, ACTION_IDS.snooze, APPROVER));
    const swapped = new URLSearchParams({ payload: JSON.stringify(clickPayload(fraud, ACTION_IDS.approve, APPROVER)) }).toString();

    const out = await inst.send({ headers: signed.headers, rawBody: swapped });

    expect(out).toMatchObject({ status: 401, result: 'rejected' });
    await expectNothingChanged();
  });

  it('refuses an unknown action_id', async () => {
    const payload = clickPayload(fraud, ACTION_IDS.approve, APPROVER) as { actions: { action_id: string }[] };
    payload.actions[0]!.action_id = 'costwatch.delete-everything';

    const out = await inst.send(signedRequest(payload));

    expect(out).toMatchObject({ status: 400, result: 'rejected', message: expect.stringContaining('unknown action_id "costwatch.delete-everything"') });
    await expectNothingChanged();
  });

  it('refuses correctly signed bodies that are not a block_actions payload', async () => {
    const noPayload = await inst.send(signRaw('hello=world'));
    const notJson = await inst.send(signRaw('payload=%7Bnot-json'));
    const notAnObject = await inst.send(signedRequest('click'));
    const view = await inst.send(signedRequest({ type: 'view_submission', user: { id: APPROVER } }));
    const noUser = await inst.send(signedRequest({ ...clickPayload(fraud, ACTION_IDS.approve, APPROVER), user: undefined }));

    expect(noPayload).toMatchObject({ status: 400, message: 'the body has no payload field: not a Slack interaction' });
    expect(notJson).toMatchObject({ status: 400, message: 'the payload field is not JSON' });
    expect(notAnObject).toMatchObject({ status: 400, message: expect.stringContaining('unsupported interaction type') });
    expect(view).toMatchObject({ status: 400, message: expect.stringContaining('"view_submission"') });
    expect(noUser).toMatchObject({ status: 400, message: expect.stringContaining('malformed block_actions payload: user') });
    await expectNothingChanged();
  });

  it('refuses a replayed request: the approval happens once and the copy changes nothing', async () => {
    const translate = await inst.messageAbout('translate-eu');
    const request = signedRequest(clickPayload(translate, ACTION_IDS.approve, APPROVER));

    const first = await inst.send(request);
    const replay = await inst.send(request);
    const drained = await inst.drain();

    expect(first).toMatchObject({ status: 200, result: 'accepted' });
    expect(replay).toMatchObject({ status: 409, result: 'rejected', message: expect.stringContaining('replayed request') });
    expect(drained.results.filter((r) => r.job === 'execute')).toHaveLength(1);
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    inst.sandbox.resetCalls();
    await expectNothingChanged(); // and fraud-v3's proposal was never touched
  });

  it('answers a non-approver with an ephemeral refusal for approve, exempt and undo, and changes nothing', async () => {
    const approve = await inst.click(fraud, ACTION_IDS.approve, OUTSIDER);
    const exempt = await inst.click(fraud, ACTION_IDS.exempt, OUTSIDER);
    const undo = await inst.send(signedRequest({ ...clickPayload(fraud, ACTION_IDS.approve, OUTSIDER), actions: [{ action_id: ACTION_IDS.undo, value: proposalId, type: 'button' }] }));
    await inst.drain();

    for (const out of [approve, exempt, undo]) expect(out).toMatchObject({ status: 200, result: 'refused', message: `${OUTSIDER} is not an approver` });
    const replies = inst.sandbox.slack.ephemerals().filter((e) => e.user === OUTSIDER);
    expect(replies).toHaveLength(3);
    expect(replies[0]!.text).toContain('Only costwatch approvers can approve, undo or exempt: ask <@U0APPROVER1>, <@U0APPROVER2>, <!subteam^S0FINOPS>');
    await expectNothingChanged();
  });

  it('refuses a click on an expired proposal and marks the message expired', async () => {
    const other = await install(await loadWorld(SAMPLE_WORLD_PATH));
    try {
      await other.scan();
      const msg = await other.messageAbout('fraud-v3');
      const id = (await other.store.listProposals()).find((p) => p.resource.name === 'fraud-v3')!.id;
      other.sandbox.clock.advance(73 * 3_600_000);

      const out = await other.click(msg, ACTION_IDS.approve, APPROVER);
      await other.drain();

      expect(out).toMatchObject({ status: 200, result: 'refused', message: expect.stringContaining('expired at') });
      expect(await other.store.getDecision(id)).toBeUndefined();
      expect(other.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
      const after = other.sandbox.slack.message(msg.channel, msg.ts)!;
      expect(JSON.stringify(after.blocks)).toContain('*Expired*');
      expect(JSON.stringify(after.blocks)).not.toContain(ACTION_IDS.approve);
      expect(other.sandbox.slack.ephemerals()[0]?.text).toContain('This proposal expired');
    } finally {
      await other.close();
    }
  });
});
