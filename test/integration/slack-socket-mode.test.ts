/**
 * Socket Mode for real: the real @slack/socket-mode client calls `apps.connections.open` on the
 * sandbox's Slack stub with the app-level token, connects to the stub's WebSocket server, gets
 * `hello`, and receives `interactive` envelopes that the stub pushes; its acks come back over the socket.
 */
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startSocketMode } from '../../bin/commands/serve.js';
import { parsePolicy } from '../../shared/config/load.js';
import { defineWorld, sandboxAwsCredentials, type Sandbox } from '../../shared/sandbox/index.js';
import { startSocketModeStub, type SocketModeStub } from '../../shared/sandbox/slack/index.js';
import { ACTION_IDS } from '../../shared/slack/action-ids.js';
import { approverCheck } from '../../shared/slack/approvers.js';
import { APPROVER, clickPayload, install, OUTSIDER, type Installation } from '../e2e/harness.js';

const world = defineWorld({
  version: 1,
  now: '2026-11-28T12:00:00Z',
  aws: {
    accounts: [
      {
        id: '111111111111',
        name: 'prod',
        regions: { 'us-east-1': { sagemaker: { endpoints: [{ name: 'idle-a', createdAt: '-30d', variants: [{ instanceType: 'ml.g5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 2 } } }] }] } } },
      },
    ],
  },
});

const policy = parsePolicy(
  `version: 1
clouds:
  aws:
    accounts:
      - { id: "111111111111", name: prod, regions: [us-east-1] }
rules:
  idle-endpoint: { mode: approve }
slack:
  channel: "#ml-costs"
  approvers:
    users: [${APPROVER}]
`,
  'socket-mode.yml',
  { now: new Date('2026-11-28T12:00:00Z') },
).policy;

async function endpointStatus(sb: Sandbox, name: string): Promise<string> {
  const sm = new SageMakerClient({ endpoint: sb.awsEndpoint, region: 'us-east-1', credentials: sandboxAwsCredentials('111111111111'), maxAttempts: 1 });
  try {
    return (await sm.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus ?? 'unknown';
  } catch (err) {
    if ((err as Error).name === 'ValidationException' && /Could not find/.test((err as Error).message)) return 'gone';
    throw err;
  } finally {
    sm.destroy();
  }
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function connected(): Promise<{ inst: Installation; stub: SocketModeStub; log: () => string; handled: (n: number) => Promise<void> }> {
  const inst = await install(world, policy);
  cleanup.push(() => inst.close());
  const stub = await startSocketModeStub(inst.sandbox.slack);
  cleanup.push(() => stub.close());
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (out += String(c)));
  const deps = { store: inst.store, queue: inst.queue, approvers: approverCheck(policy.slack!.approvers, undefined), clock: inst.sandbox.clock };
  const socket = await startSocketMode({ appToken: inst.sandbox.slack.appToken, slackApiUrl: inst.sandbox.slackApiUrl }, deps, { stdout, stderr, cwd: '/', env: {} });
  cleanup.push(() => socket.disconnect());
  const handled = async (n: number) => {
    for (let i = 0; i < 200 && (out.match(/interaction \(socket\)|socket mode:/g) ?? []).length < n; i++) await new Promise((r) => setTimeout(r, 10));
  };
  return { inst, stub, log: () => out, handled };
}

describe('Socket Mode against the Slack stub', () => {
  it('connects with the app-level token, acks an approver click over the socket, and the approval runs', async () => {
    const { inst, stub, log, handled } = await connected();
    expect(stub.connections()).toBe(1);
    await inst.scan();
    const msg = await inst.messageAbout('idle-a');
    const before = msg.text;

    const pushedAt = Date.now();
    const id = stub.pushInteractive(clickPayload(msg, ACTION_IDS.approve, APPROVER));
    const ack = await stub.waitForAck(id, 2000);
    await handled(1);
    const drained = await inst.drain();

    expect(ack.payload).toEqual({});
    // Slack retries an envelope not acked within 3 s; the ack goes out before any handling.
    expect(ack.receivedAt - pushedAt).toBeLessThan(3000);
    expect(log()).toContain('interaction (socket): accepted');
    expect(drained.results).toHaveLength(1);
    expect(await endpointStatus(inst.sandbox, 'idle-a')).toBe('gone');
    const after = inst.sandbox.slack.message(msg.channel, msg.ts)!;
    expect(after.text).not.toBe(before);
    expect(after.text).toContain('— done');
    expect(after.replies.map((r) => r.text)).toEqual([expect.stringContaining(`Approved by <@${APPROVER}>`), expect.stringContaining('deleted endpoint idle-a')]);
    expect(stub.unexpected()).toEqual([]);
  });

  it("acks a non-approver's click and changes nothing", async () => {
    const { inst, stub, log, handled } = await connected();
    await inst.scan();
    const msg = await inst.messageAbout('idle-a');
    const before = { text: msg.text, blocks: JSON.stringify(msg.blocks) };

    const id = stub.pushInteractive(clickPayload(msg, ACTION_IDS.approve, OUTSIDER));
    await stub.waitForAck(id, 2000);
    await handled(1);
    const drained = await inst.drain();

    expect(log()).toContain('interaction (socket): ');
    expect(log()).not.toContain('interaction (socket): accepted');
    // The only job is the reply telling the clicker they may not approve.
    expect(drained.results.map((r) => r.job)).toEqual(['reply']);
    expect(inst.sandbox.slack.ephemerals().filter((e) => e.user === OUTSIDER).map((e) => e.text)).toEqual([expect.stringContaining('Only costwatch approvers')]);
    expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint'] ?? 0).toBe(0);
    expect(await endpointStatus(inst.sandbox, 'idle-a')).toBe('InService');
    const after = inst.sandbox.slack.message(msg.channel, msg.ts)!;
    expect({ text: after.text, blocks: JSON.stringify(after.blocks) }).toEqual(before);
  });

  it('answers the client\'s pings, hands out socket URLs only for the app-level token, and refuses that token elsewhere', async () => {
    const { inst, stub } = await connected();
    // The client pings every clientPingTimeout/3 (≈1.7 s) and drops a link that does not pong.
    for (let i = 0; i < 300 && stub.pongsSent() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stub.pongsSent()).toBeGreaterThan(0);
    expect(stub.connections()).toBe(1);
    const open = (token: string) => fetch(`${inst.sandbox.slackApiUrl}apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ ok: boolean; error?: string; url?: string }>);
    const withBot = await open(inst.sandbox.slack.botToken);
    const withApp = await open(inst.sandbox.slack.appToken);
    const postWithApp = await fetch(`${inst.sandbox.slackApiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${inst.sandbox.slack.appToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: '#x', text: 'hi' }) }).then((r) => r.json() as Promise<{ error?: string }>);

    expect(withBot.error).toBe('not_allowed_token_type');
    expect(withApp.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    expect(postWithApp.error).toBe('not_allowed_token_type');
  });
});
