import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/load.js';
import { azureClientFactory, sandboxAzureCredential } from '../../shared/providers/azure/clients.js';
import { loadWorld, SAMPLE_WORLD_PATH, type Sandbox, type World } from '../../shared/sandbox/index.js';
import type { StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { APPROVER, install, SECOND_APPROVER, type Installation } from './harness.js';

const PROD = '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70';

/** The sample world's Azure subscriptions, with quiet hours so an instance running through the night is idle. */
function azurePolicy() {
  const text = `version: 1
clouds:
  azure:
    subscriptions:
      - { id: ${PROD}, name: ml-azure-prod }
quietHours: { start: "22:00", end: "06:00", timezone: UTC }
rules:
  idle-notebook: { mode: approve }
slack:
  channel: "#ml-costs"
  approvers:
    users: [${APPROVER}, ${SECOND_APPROVER}]
`;
  return parsePolicy(text, 'azure-e2e.yml', { now: new Date('2025-06-18T12:00:00Z') }).policy;
}

let sample: World;
beforeAll(async () => {
  sample = await loadWorld(SAMPLE_WORLD_PATH);
});

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

async function instanceState(sb: Sandbox, name: string): Promise<string | undefined> {
  const c = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sb.azureEndpoint, ca: sb.azureCa })(PROD);
  const r = await c.ml.computeOperations.get('rg-ml-prod', 'ws-prod', name);
  return (r.properties as { properties?: { state?: string } }).properties?.state;
}

function buttonIds(m: StubMessage): string[] {
  return (m.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => e.action_id));
}

describe('Azure approvals end to end on the sandbox', () => {
  it('stops a compute instance when an approver clicks Approve, and starts it again on Undo', async () => {
    inst = await install(sample, azurePolicy());
    const { sandbox } = inst;

    const report = await inst.scan();

    const proposal = report.proposals.find((p) => p.resource.name === 'ci-alice');
    expect(proposal).toMatchObject({ kind: 'azure.ml.stop-compute-instance', ruleId: 'idle-notebook', mode: 'approve', reversible: true });
    const message = await inst.messageAbout('ci-alice', 'idle-notebook');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Standard_DS3_v2 $0.293/h × 1 × 730 h = $213.89/month');
    expect(text).toContain(`https://portal.azure.com/#resource/subscriptions/${PROD}/resourceGroups/rg-ml-prod/providers/Microsoft.MachineLearningServices/workspaces/ws-prod/computes/ci-alice/overview`);
    expect(buttonIds(message)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt, ACTION_IDS.openConsole]);

    expect(await inst.click(message, ACTION_IDS.approve, APPROVER)).toMatchObject({ status: 200, result: 'accepted' });
    expect(await instanceState(sandbox, 'ci-alice')).toBe('Running'); // acknowledged first; the executor acts
    const drained = await inst.drain();

    expect(drained.failed).toEqual([]);
    expect(drained.results.map((r) => r.outcome?.outcome)).toContain('executed');
    expect(await instanceState(sandbox, 'ci-alice')).toBe('Stopped');
    expect(sandbox.calls()['machinelearning.Compute_Stop']).toBe(1);
    const done = sandbox.slack.message(message.channel, message.ts)!;
    expect(buttonIds(done)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);
    expect(JSON.stringify(done.blocks)).toContain('stopped compute instance ci-alice');

    expect(await inst.click(done, ACTION_IDS.undo, SECOND_APPROVER)).toMatchObject({ status: 200, result: 'accepted' });
    await inst.drain();

    expect(await instanceState(sandbox, 'ci-alice')).toBe('Running');
    expect(sandbox.calls()['machinelearning.Compute_Start']).toBe(1);
    expect((await inst.store.getProposal(proposal!.id))?.status).toBe('undone');
    expect(JSON.stringify(sandbox.slack.message(message.channel, message.ts)!.blocks)).toContain(`Undone* by <@${SECOND_APPROVER}>`);
  });

  it('cancels the approved stop when the re-check finds the instance already stopped', async () => {
    inst = await install(sample, azurePolicy());
    const { sandbox } = inst;
    await inst.scan();
    const message = await inst.messageAbout('ci-alice', 'idle-notebook');
    await inst.click(message, ACTION_IDS.approve, APPROVER);
    const c = azureClientFactory({ credential: sandboxAzureCredential(), armEndpoint: sandbox.azureEndpoint, ca: sandbox.azureCa, pollIntervalMs: 1 })(PROD);
    await c.ml.computeOperations.beginStopAndWait('rg-ml-prod', 'ws-prod', 'ci-alice', { updateIntervalInMs: 1 });
    sandbox.resetCalls();

    const drained = await inst.drain();

    expect(drained.results.map((r) => r.outcome?.outcome)).toContain('cancelled');
    expect(sandbox.calls()['machinelearning.Compute_Stop']).toBe(0);
  });
});
