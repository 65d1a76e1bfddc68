import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/load.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { defineWorld } from '../../shared/sandbox/index.js';
import type { StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { gcpWorld, PROJECT } from '../fixtures/gcp/worlds.js';
import { APPROVER, install, SECOND_APPROVER, type Installation } from './harness.js';

const ENDPOINT = `projects/${PROJECT}/locations/us-central1/endpoints/1001`;

const policy = parsePolicy(
  `version: 1
clouds:
  gcp:
    projects:
      - { id: ${PROJECT}, name: research, regions: [us-central1] }
rules:
  idle-endpoint: { mode: approve }
slack:
  channel: "#ml-costs"
  approvers:
    users: [${APPROVER}, ${SECOND_APPROVER}]
`,
  'gcp-e2e.yml',
  { now: new Date('2025-06-18T12:00:00Z') },
).policy;

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

function buttonIds(m: StubMessage): string[] {
  return (m.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => e.action_id));
}

describe('Google Cloud approvals end to end through the Slack stub', () => {
  it('undeploys the idle models on Approve and deploys them again, same resources and traffic split, on Undo', async () => {
    inst = await install(defineWorld(gcpWorld()), policy);
    const { sandbox } = inst;
    const endpoints = gcpClientFactory({ auth: { authClient: staticTokenAuth('t') }, endpoint: sandbox.gcp })({ projectId: PROJECT, region: 'us-central1' }).endpoints;

    const report = await inst.scan();
    const proposal = report.proposals.find((p) => p.resource.name === 'fraud-vertex');
    expect(proposal?.kind).toBe('gcp.vertex.undeploy-models');
    const message = await inst.messageAbout('fraud-vertex');
    expect(buttonIds(message)).toEqual([ACTION_IDS.approve, ACTION_IDS.snooze, ACTION_IDS.exempt, ACTION_IDS.openConsole]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('(n1-standard-4 $0.2186/h + 1 × NVIDIA_TESLA_T4 $0.4025/h) × 2 + n1-standard-4 $0.2186/h × 1');
    expect(text).toContain('https://console.cloud.google.com/vertex-ai/online-prediction/locations/us-central1/endpoints/1001?project=ml-research-42');

    expect(await inst.click(message, ACTION_IDS.approve, APPROVER)).toMatchObject({ status: 200, result: 'accepted' });
    const drained = await inst.drain();
    expect(drained.failed).toEqual([]);
    expect(drained.results.map((r) => r.outcome?.outcome)).toContain('executed');
    const [emptied] = await endpoints.getEndpoint({ name: ENDPOINT });
    expect(emptied.deployedModels ?? []).toEqual([]);
    expect(sandbox.calls()['aiplatform.UndeployModel']).toBe(2);
    const done = sandbox.slack.message(message.channel, message.ts)!;
    expect(buttonIds(done)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);
    expect(JSON.stringify(done.blocks)).toContain('undeployed 2 deployed models (501, 502) from endpoint fraud-vertex');

    expect(await inst.click(done, ACTION_IDS.undo, SECOND_APPROVER)).toMatchObject({ status: 200, result: 'accepted' });
    await inst.drain();
    const [back] = await endpoints.getEndpoint({ name: ENDPOINT });
    expect(back.trafficSplit).toEqual({ '501': 70, '502': 30 });
    const a = back.deployedModels?.find((m) => m.id === '501');
    expect(a?.dedicatedResources?.machineSpec).toMatchObject({ machineType: 'n1-standard-4', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1 });
    expect(a?.dedicatedResources).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 3 });
    expect(back.deployedModels?.find((m) => m.id === '502')?.dedicatedResources?.minReplicaCount).toBe(1);
    expect(JSON.stringify(sandbox.slack.message(message.channel, message.ts)!.blocks)).toContain(`Undone* by <@${SECOND_APPROVER}>`);
    expect((await inst.store.getProposal(proposal!.id))?.status).toBe('undone');
  });
});
