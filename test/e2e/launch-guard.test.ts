import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import { handleCloudEvent } from '../../shared/events/handle.js';
import { parseSageMakerEvent } from '../../shared/events/sagemaker.js';
import { defineWorld, sandboxAwsCredentials, sandboxProviderEndpoints, type Sandbox } from '../../shared/sandbox/index.js';
import { stubChannelId, type StubMessage } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { APPROVER, GROUP, install, OUTSIDER, SECOND_APPROVER, type Installation } from './harness.js';

const ACCOUNT = '111111111111';
const HOUR = 3_600_000;

// A quiet account where, an hour ago, someone launched two ml.g5.12xlarge ($7.09/h each) for the nlp team.
const world = defineWorld({
  version: 1,
  now: '2025-06-18T12:00:00Z',
  aws: {
    accounts: [
      {
        id: ACCOUNT,
        name: 'ml-prod',
        regions: {
          'us-east-1': {
            sagemaker: {
              endpoints: [
                { name: 'big-llm', createdAt: '-1h', tags: { team: 'nlp', workload: 'inference' }, variants: [{ instanceType: 'ml.g5.12xlarge', instanceCount: 2, metrics: { invocations: { constant: 50 }, cpu: { constant: 30 }, gpu: { constant: 40 } } }] },
                { name: 'small-api', createdAt: '-1h', tags: { team: 'nlp', workload: 'inference' }, variants: [{ instanceType: 'ml.c5.xlarge', metrics: { invocations: { constant: 50 }, cpu: { constant: 30 } } }] },
              ],
            },
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
  aws:
    accounts:
      - { id: "${ACCOUNT}", name: ml-prod, regions: [us-east-1] }
rules:
  launch-guard: { enabled: true, mode: ${mode} }
launchGuard:
  monthlyThreshold: 2000
  allowedInstanceTypes: { inference: [ml.c5.*, ml.g5.*] }
  graceHours: 2
# Stopping a $10,351/month endpoint is within what auto mode may do here (the default limit is $5,000).
limits: { maxAutoMonthlyImpact: { amount: 20000 } }
slack:
  channel: "#ml-costs"
  routes:
    - { tags: { team: nlp }, channel: "#nlp-costs" }
  approvers:
    users: [${APPROVER}, ${SECOND_APPROVER}]
    userGroups: [${GROUP}]
`,
    'launch-guard.yml',
    { now: new Date('2025-06-18T12:00:00Z') },
  ).policy;

/** EventBridge's SageMaker Endpoint State Change for an endpoint coming into service (shape of test/fixtures/events/sagemaker_endpoint_state_change__aws-doc.json). */
function inService(name: string, at: Date) {
  const parsed = parseSageMakerEvent({
    version: '0',
    id: `e2e-${name}`,
    'detail-type': 'SageMaker Endpoint State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    time: String(at.getTime()),
    region: 'us-east-1',
    resources: [`arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${name}`],
    detail: { EndpointName: name, EndpointArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${name}`, EndpointStatus: 'IN_SERVICE', CreationTime: at.getTime() - HOUR, LastModifiedTime: at.getTime(), Tags: {} },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.refusal));
  return parsed.event;
}

async function endpointStatus(sb: Sandbox, name: string): Promise<string> {
  const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials(ACCOUNT), maxAttempts: 1 });
  try {
    return (await sm.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus ?? 'unknown';
  } catch (err) {
    if (/Could not find/.test((err as Error).message)) return 'gone';
    throw err;
  } finally {
    sm.destroy();
  }
}

const buttonIds = (m: StubMessage) => (m.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements!.map((e) => e.action_id));
const allText = (m: StubMessage) => JSON.stringify(m.blocks);

let inst: Installation | undefined;
afterEach(async () => {
  await inst?.close();
  inst = undefined;
});

async function receive(i: Installation, name: string) {
  const providers = buildProviders(i.policy, sandboxProviderEndpoints(i.sandbox, { worldClock: false }));
  return handleCloudEvent(inService(name, i.sandbox.clock.now()), { store: i.store, notifier: i.notifier, clock: i.sandbox.clock, policy: i.policy, providers, prices: priceBook(i.policy) });
}

describe('launch guard end to end through the Slack stub', () => {
  it('asks the team whether to keep a new expensive endpoint, and an approver keeps it', async () => {
    inst = await install(world, policyFor('approve'));
    const { sandbox } = inst;

    const outcome = await receive(inst, 'big-llm');
    const cheap = await receive(inst, 'small-api');

    expect(outcome.proposals).toEqual([expect.objectContaining({ ruleId: 'launch-guard', kind: 'aws.sagemaker.guard-delete-endpoint', mode: 'approve' })]);
    expect(cheap.proposals).toEqual([]); // $148.92 a month on an allowed type: announced as new, not guarded
    const msg = await inst.messageAbout('big-llm', 'launch-guard');
    expect(msg.channel).toBe(stubChannelId('#nlp-costs')); // its team's channel
    expect(buttonIds(msg)).toEqual([ACTION_IDS.keep, ACTION_IDS.approve, ACTION_IDS.openConsole]);
    expect(allText(msg)).toContain('keep it?');
    expect(allText(msg)).toContain('ml.g5.12xlarge $7.09/h × 2 × 730 h = $10,351.40/month');

    expect(await inst.click(msg, ACTION_IDS.keep, OUTSIDER)).toMatchObject({ result: 'refused' });
    expect(await inst.click(msg, ACTION_IDS.keep, APPROVER)).toMatchObject({ status: 200, result: 'accepted' });
    expect((await inst.drain()).failed).toEqual([]);

    const kept = sandbox.slack.message(msg.channel, msg.ts)!;
    expect(allText(kept)).toContain(`*Approved* by <@${APPROVER}>`);
    expect(buttonIds(kept)).toEqual([ACTION_IDS.openConsole]);
    expect((await inst.store.getProposal(outcome.proposals[0]!.id))?.status).toBe('rejected');
    // The next scan does not ask again, and nothing was touched.
    const report = await inst.scan();
    expect(report.proposals.filter((p) => p.ruleId === 'launch-guard')).toEqual([]);
    expect(report.skipped.find((s) => s.findingId.endsWith('endpoint/big-llm'))?.reason).toMatch(/^already answered: kept/);
    expect(await endpointStatus(sandbox, 'big-llm')).toBe('InService');
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(0);
  });

  it('in auto mode, deletes the endpoint when nobody answers within the grace hours, and Undo brings it back', async () => {
    inst = await install(world, policyFor('auto'));
    const { sandbox } = inst;

    const outcome = await receive(inst, 'big-llm');
    const p = outcome.proposals[0]!;
    expect(p).toMatchObject({ mode: 'auto', dueAt: new Date(sandbox.clock.now().getTime() + 2 * HOUR) });
    const msg = await inst.messageAbout('big-llm', 'launch-guard');
    expect(allText(msg)).toContain('without an answer by');

    // Not yet due: a scan leaves it alone.
    await inst.scan();
    expect(await endpointStatus(sandbox, 'big-llm')).toBe('InService');

    sandbox.clock.advance(2 * HOUR + 60_000);
    const report = await inst.scan();

    expect(report.executions).toContainEqual(expect.objectContaining({ proposalId: p.id, outcome: 'executed', detail: expect.stringContaining('deleted endpoint big-llm') }));
    expect(await endpointStatus(sandbox, 'big-llm')).toBe('gone');
    expect(await inst.store.getDecision(p.id)).toMatchObject({ by: 'policy', verdict: 'approve' });
    const done = sandbox.slack.message(msg.channel, msg.ts)!;
    expect(buttonIds(done)).toEqual([ACTION_IDS.undo, ACTION_IDS.openConsole]);

    expect(await inst.click(done, ACTION_IDS.undo, APPROVER)).toMatchObject({ result: 'accepted' });
    expect((await inst.drain()).failed).toEqual([]);
    expect(await endpointStatus(sandbox, 'big-llm')).toBe('InService');
    expect((await inst.store.getProposal(p.id))?.status).toBe('undone');
    // Restored by a person: it is not guarded (or deleted) again.
    sandbox.clock.advance(HOUR);
    const after = await inst.scan();
    expect(after.executions.filter((e) => e.outcome === 'executed')).toEqual([]);
    expect(await endpointStatus(sandbox, 'big-llm')).toBe('InService');
  });

  it('guards a resource the next scan sees first, when no event came', async () => {
    inst = await install(world, policyFor('approve'));

    const report = await inst.scan();

    expect(report.proposals.filter((p) => p.ruleId === 'launch-guard').map((p) => p.resource.name)).toEqual(['big-llm']);
    expect(buttonIds(await inst.messageAbout('big-llm', 'launch-guard'))).toEqual([ACTION_IDS.keep, ACTION_IDS.approve, ACTION_IDS.openConsole]);
  });

  it('never acts on an exempt resource, even unanswered in auto mode', async () => {
    const exempt = defineWorld({
      ...world,
      aws: { ...world.aws, accounts: [{ ...world.aws.accounts[0]!, regions: { 'us-east-1': { ...world.aws.accounts[0]!.regions['us-east-1']!, sagemaker: { ...world.aws.accounts[0]!.regions['us-east-1']!.sagemaker, endpoints: [{ ...world.aws.accounts[0]!.regions['us-east-1']!.sagemaker.endpoints[0]!, tags: { team: 'nlp', 'costwatch:exempt': 'true' } }] } } } }] },
    });
    inst = await install(exempt, policyFor('auto'));

    const outcome = await receive(inst, 'big-llm');
    inst.sandbox.clock.advance(3 * HOUR);
    const report = await inst.scan();

    expect(outcome.proposals).toEqual([]);
    expect(report.executions).toEqual([]);
    expect(await endpointStatus(inst.sandbox, 'big-llm')).toBe('InService');
  });
});
