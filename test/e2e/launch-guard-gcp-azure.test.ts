import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/load.js';
import { defineWorld, type WorldInput } from '../../shared/sandbox/index.js';
import { stubChannelId, type StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { APPROVER, install, type Installation } from './harness.js';

/*
 * The launch guard on Google Cloud and Azure. Neither cloud sends costwatch state-change events,
 * so each new resource is guarded by the next scan that lists it: asked about in its team's
 * channel, kept by Approve, or (in auto mode, unanswered after graceHours) stopped with the
 * kind's own stop action, and brought back by Undo.
 */

const PROJECT = 'guard-proj';
const SUB = '0a1b2c3d-0000-4000-8000-0000000000a9';
const HOUR = 3_600_000;
const NOW = '2025-06-18T12:00:00Z';

const worldInput = (exempt = false): WorldInput => ({
  version: 1,
  now: NOW,
  gcp: {
    projects: [
      {
        id: PROJECT,
        number: '888000111222',
        regions: {
          'us-central1': {
            endpoints: [
              // (a2-highgpu-1g $0.8465/h + 1 × A100 $3.3741/h) × 1 × 730 h = $3,081.04/month: over $2,000.
              {
                id: '4001',
                displayName: 'llm-vertex',
                createdAt: '-1h',
                labels: { team: 'nlp', workload: 'inference', ...(exempt ? { 'costwatch-exempt': 'true' } : {}) },
                deployedModels: [{ id: '71', dedicated: { machineType: 'a2-highgpu-1g', acceleratorType: 'NVIDIA_TESLA_A100', acceleratorCount: 1 }, trafficPercent: 100, metrics: { predictions: { constant: 10 }, replicas: { constant: 1 } } }],
              },
              // Expensive, but 40 days old: not new.
              { id: '4002', displayName: 'old-llm-vertex', createdAt: '-40d', labels: { team: 'nlp' }, deployedModels: [{ id: '72', dedicated: { machineType: 'a2-highgpu-1g', acceleratorType: 'NVIDIA_TESLA_A100', acceleratorCount: 1 }, trafficPercent: 100 }] },
            ],
            customJobs: [
              // New, $159.51 a month on an allowed n1 machine: not guarded.
              { id: '5001', displayName: 'small-train', createdAt: '-1h', startedAt: '-1h', labels: { team: 'nlp', workload: 'training' }, workerPools: [{ machineType: 'n1-standard-4' }] },
            ],
            workbench: [
              // Cheap, but n1-standard-16 is not among the experimental types (e2-*).
              { name: 'big-wb', zone: 'a', machineType: 'n1-standard-16', createdAt: '-1h', startedAt: '-1h', labels: { team: 'nlp', workload: 'experimental' }, metrics: { cpu: { constant: 30 } } },
              { name: 'small-wb', zone: 'a', machineType: 'e2-standard-4', createdAt: '-1h', startedAt: '-1h', labels: { team: 'nlp', workload: 'experimental' }, metrics: { cpu: { constant: 30 } } },
            ],
          },
        },
      },
    ],
  },
  azure: {
    subscriptions: [
      {
        id: SUB,
        name: 'guarded',
        resourceGroups: {
          'rg-g': {
            workspaces: [
              {
                name: 'ws-g',
                location: 'eastus',
                computeInstances: [
                  // A V100 instance for experiments: Standard_NC6s_v3 is not among Standard_DS*.
                  { name: 'ci-gpu', vmSize: 'Standard_NC6s_v3', createdAt: '-1h', runningSince: '-1h', tags: { team: 'nlp', workload: 'experimental' } },
                  { name: 'ci-small', vmSize: 'Standard_DS3_v2', createdAt: '-1h', runningSince: '-1h', tags: { team: 'nlp', workload: 'experimental' } },
                ],
              },
            ],
          },
        },
      },
    ],
  },
});

const policyFor = (mode: 'approve' | 'auto') =>
  parsePolicy(
    `version: 1
clouds:
  gcp:
    projects:
      - { id: ${PROJECT}, regions: [us-central1] }
  azure:
    subscriptions:
      - { id: ${SUB}, name: guarded }
rules:
  launch-guard: { enabled: true, mode: ${mode} }
launchGuard:
  monthlyThreshold: 2000
  allowedInstanceTypes: { experimental: [e2-*, Standard_DS*], training: [n1-*] }
  graceHours: 2
limits: { maxAutoMonthlyImpact: { amount: 20000 } }
exemptions:
  items:
    - { tags: { costwatch-exempt: "true" }, reason: owned by the platform team }
slack:
  channel: "#ml-costs"
  routes:
    - { tags: { team: nlp }, channel: "#nlp-costs" }
  approvers:
    users: [${APPROVER}]
`,
    'launch-guard.yml',
    { now: new Date(NOW) },
  ).policy;

const buttonIds = (m: StubMessage) => (m.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => e.action_id));
const allText = (m: StubMessage) => JSON.stringify(m.blocks);

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

const guardedNames = (report: Awaited<ReturnType<Installation['scan']>>) =>
  report.proposals
    .filter((p) => p.ruleId === 'launch-guard')
    .map((p) => `${p.resource.name}:${p.kind}`)
    .sort();

describe('launch guard on Google Cloud and Azure, fed by the scan', () => {
  it('asks the team about each new expensive or off-policy resource, and an approver keeps one', async () => {
    inst = await install(defineWorld(worldInput()), policyFor('approve'));

    const report = await inst.scan();

    expect(guardedNames(report)).toEqual(['big-wb:gcp.workbench.guard-stop-instance', 'ci-gpu:azure.ml.guard-stop-compute-instance', 'llm-vertex:gcp.vertex.guard-undeploy-models']);
    const msg = await inst.messageAbout('llm-vertex', 'launch-guard');
    expect(msg.channel).toBe(stubChannelId('#nlp-costs'));
    expect(buttonIds(msg)).toEqual([ACTION_IDS.keep, ACTION_IDS.approve, ACTION_IDS.openConsole]);
    expect(allText(msg)).toContain('(a2-highgpu-1g $0.8465/h + 1 × NVIDIA_TESLA_A100 $3.3741/h) × 1 × 730 h = $3,081.04/month');
    expect(allText(await inst.messageAbout('big-wb', 'launch-guard'))).toContain('n1-standard-16 not allowed for experimental');
    expect(allText(await inst.messageAbout('ci-gpu', 'launch-guard'))).toContain('Standard_NC6s_v3 not allowed for experimental');

    expect(await inst.click(msg, ACTION_IDS.keep, APPROVER)).toMatchObject({ result: 'accepted' });
    expect((await inst.drain()).failed).toEqual([]);
    const again = await inst.scan();
    expect(guardedNames(again).filter((n) => n.startsWith('llm-vertex'))).toEqual([]);
    expect(again.skipped.find((s) => s.findingId.includes('/endpoints/4001'))?.reason).toMatch(/^already answered: kept/);
    expect(inst.sandbox.calls()['aiplatform.UndeployModel'] ?? 0).toBe(0);
  });

  it('in auto mode, stops what nobody answered for after the grace hours, and Undo starts it again', async () => {
    inst = await install(defineWorld(worldInput()), policyFor('auto'));
    const { sandbox } = inst;

    const first = await inst.scan();
    expect(first.executions).toEqual([]);
    const wbMsg = await inst.messageAbout('big-wb', 'launch-guard');
    expect(allText(wbMsg)).toContain('without an answer by');

    sandbox.clock.advance(2 * HOUR + 60_000);
    const report = await inst.scan();

    const executed = report.executions.filter((e) => e.outcome === 'executed').map((e) => e.detail ?? '');
    expect(executed).toHaveLength(3);
    expect(executed.join('\n')).toContain('undeployed 1 deployed model (71) from endpoint llm-vertex');
    expect(sandbox.calls()['notebooks.StopInstance']).toBe(1);
    expect(sandbox.calls()['machinelearning.Compute_Stop']).toBe(1);

    const done = sandbox.slack.message(wbMsg.channel, wbMsg.ts)!;
    expect(buttonIds(done)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);
    sandbox.clock.advance(10 * 60_000);
    expect(await inst.click(done, ACTION_IDS.undo, APPROVER)).toMatchObject({ result: 'accepted' });
    expect((await inst.drain()).failed).toEqual([]);
    expect(sandbox.calls()['notebooks.StartInstance']).toBe(1);
  });

  it('never acts on an exempt resource, even unanswered in auto mode', async () => {
    inst = await install(defineWorld(worldInput(true)), policyFor('auto'));

    await inst.scan();
    inst.sandbox.clock.advance(3 * HOUR);
    const report = await inst.scan();

    expect(report.executions.map((e) => e.detail ?? '').join('\n')).not.toContain('llm-vertex');
    expect(report.skipped.find((s) => s.findingId.includes('/endpoints/4001'))?.reason).toMatch(/^exempt/);
    expect(inst.sandbox.calls()['aiplatform.UndeployModel'] ?? 0).toBe(0);
  });
});
