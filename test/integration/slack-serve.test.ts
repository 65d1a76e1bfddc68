import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorld, SAMPLE_WORLD_PATH } from '../../shared/sandbox/index.js';
import { eventAnswer, serveCommand, socketInteraction } from '../../bin/commands/serve.js';
import { EventInFlightError, EventRefusedError } from '../../shared/events/event.js';
import { approverCheck } from '../../shared/slack/approvers.js';
import { APPROVER, clickPayload, install, signRaw } from '../e2e/harness.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Starts `costwatch serve` in-process and waits for its banner. */
async function serve(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ base: string; out: () => string; err: () => string; stop: () => Promise<number> }> {
  const cwd = await mkdtemp(join(tmpdir(), 'costwatch-serve-'));
  dirs.push(cwd);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.on('data', (c) => (err += String(c)));
  const abort = new AbortController();
  const done = serveCommand([...argv, '--port', '0', '--state-dir', join(cwd, 'state')], { stdout, stderr, cwd, env }, abort.signal);
  for (let i = 0; i < 400 && !out.includes('Press Ctrl+C'); i++) {
    const failed = await Promise.race([done.then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 25))]);
    if (failed) break;
  }
  const base = /interactivity endpoint (http:\/\/[^/]+)\/slack\/interactions/.exec(out)?.[1];
  if (!base) throw new Error(`serve did not start:\n${out}\n${err}`);
  return {
    base,
    out: () => out,
    err: () => err,
    stop: async () => {
      abort.abort();
      return done;
    },
  };
}

describe('costwatch serve --sandbox', () => {
  it('scans, posts to the Slack stub, and acts on clicks delivered to its interactivity endpoint', async () => {
    const s = await serve(['--sandbox']);
    try {
      const [, findings, proposals, posted] = /scanned: (\d+) findings, (\d+) proposals, (\d+) Slack messages in the stub/.exec(s.out())!;
      const messages = (await (await fetch(`${s.base}/sandbox/messages`)).json()) as { text: string; buttons: string[] }[];
      expect(Number(posted)).toBe(Number(findings));
      expect(messages).toHaveLength(Number(findings));
      expect(messages.filter((m) => m.buttons.includes('costwatch.approve'))).toHaveLength(Number(proposals));

      const approve = (await (await fetch(`${s.base}/sandbox/click?resource=fraud-v3&action=approve`, { method: 'POST' })).json()) as { interaction: { status: number }; message: string; thread: string[] };
      const undo = (await (await fetch(`${s.base}/sandbox/click?resource=fraud-v3&action=undo`, { method: 'POST' })).json()) as { message: string; thread: string[] };
      const outsider = (await (await fetch(`${s.base}/sandbox/click?resource=translate-eu&action=approve&user=U0NOBODY`, { method: 'POST' })).json()) as { ephemeral: string };

      expect(approve.interaction.status).toBe(200);
      expect(approve.message).toContain('— done');
      expect(approve.thread).toEqual([expect.stringContaining('Approved by <@U0SANDBOX1>'), expect.stringContaining('deleted endpoint fraud-v3')]);
      expect(undo.thread.at(-1)).toContain('re-created endpoint fraud-v3');
      expect(outsider.ephemeral).toContain('Only costwatch approvers');
      expect(s.out()).toContain('execute aws.sagemaker.delete-endpoint:');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it('refuses unsigned requests at the interactivity endpoint and answers unknown paths with 404', async () => {
    const s = await serve(['--sandbox', '--no-scan']);
    try {
      const forged = signRaw('payload=%7B%7D', { secret: 'guessed' });
      const unsigned = await fetch(`${s.base}/slack/interactions`, { method: 'POST', body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const wrong = await fetch(`${s.base}/slack/interactions`, { method: 'POST', body: forged.rawBody, headers: forged.headers });
      const nothing = await fetch(`${s.base}/nope`);

      expect(unsigned.status).toBe(401);
      expect(await wrong.text()).toContain('X-Slack-Signature does not match');
      expect(nothing.status).toBe(404);
      expect((await fetch(`${s.base}/healthz`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('receives an Azure budget alert on its local webhook and posts it through the same Slack notifier', async () => {
    const s = await serve(['--sandbox', '--no-scan'], { AZURE_WEBHOOK_TOKEN: 'local-token' });
    try {
      const body = await readFile(new URL('../fixtures/events/azure_budget_actual_cost_common_alert_schema__ms-doc.json', import.meta.url), 'utf8');

      const denied = await fetch(`${s.base}/webhooks/azure?token=guess`, { method: 'POST', body });
      const ok = await fetch(`${s.base}/webhooks/azure?token=local-token`, { method: 'POST', body });
      const messages = (await (await fetch(`${s.base}/sandbox/messages`)).json()) as { text: string }[];

      expect(denied.status).toBe(401);
      expect(ok.status).toBe(200);
      expect(messages.filter((m) => m.text.includes('Test_actual_cost_budget'))).toHaveLength(1);
    } finally {
      await s.stop();
    }
  });

  it('answers its local event endpoints with the deployed statuses: 400 refused, 200 handled', async () => {
    const s = await serve(['--sandbox', '--no-scan']);
    try {
      const budgetText = await readFile(new URL('../fixtures/events/budget_actual_message_body__cds-snc-sre-bot.txt', import.meta.url), 'utf8');
      const sns = (message: string) => JSON.stringify({ Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: 'm-1', Message: message, Timestamp: '2026-11-28T11:00:00.000Z' } }] });
      const post = (path: string, body: string) => fetch(`${s.base}${path}`, { method: 'POST', body });

      const notSns = await post('/events/sns', '{"hello": "world"}');
      const badBudget = await post('/events/sns', sns(budgetText.replace('ACTUAL Amount: $0.59', 'ACTUAL Amount: $1e308')));
      const notJson = await post('/events/eventbridge', 'not json');
      const wrongSource = await post('/events/eventbridge', JSON.stringify({ source: 'aws.ec2', 'detail-type': 'x', detail: {} }));
      const ok = await post('/events/sns', sns(budgetText));

      expect(notSns.status).toBe(400);
      expect(((await notSns.json()) as { error: string }).error).toMatch(/not an SNS event/);
      expect(badBudget.status).toBe(400);
      expect(((await badBudget.json()) as { error: string }).error).toMatch(/ACTUAL Amount: cannot read the amount/);
      expect(notJson.status).toBe(400);
      expect(wrongSource.status).toBe(400);
      expect(ok.status).toBe(200);
    } finally {
      await s.stop();
    }
  });

  it('maps each outcome of an event to the status the deployed path gives', async () => {
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    expect((await eventAnswer(async () => ({ ok: true }), log))[0]).toBe(200);
    expect(await eventAnswer(() => Promise.reject(new EventRefusedError({ reason: 'bad' })), log)).toEqual([400, { ok: false, error: 'bad' }]);
    expect(await eventAnswer(() => Promise.reject(new EventInFlightError(['k'])), log)).toEqual([503, { ok: false, error: expect.stringMatching(/retry later/) }, { 'retry-after': '60' }]);
    expect(await eventAnswer(() => Promise.reject(new Error('store down')), log)).toEqual([500, { ok: false, error: 'processing failed: Error: store down' }]);
  });

  it('signs with SLACK_SIGNING_SECRET when it is set, and prints the secret it generated otherwise', async () => {
    const secret = 'my-own-signing-secret-0123456789';
    const withEnv = await serve(['--sandbox', '--no-scan'], { SLACK_SIGNING_SECRET: secret });
    try {
      expect(withEnv.out()).toContain('signing secret: SLACK_SIGNING_SECRET from the environment');
      expect(withEnv.out()).not.toContain(secret);
      const signed = signRaw('payload=%7B%7D', { secret });
      const res = await fetch(`${withEnv.base}/slack/interactions`, { method: 'POST', body: signed.rawBody, headers: signed.headers });
      // Past the signature check: the (empty) payload itself is what is refused.
      expect(await res.text()).not.toContain('X-Slack-Signature does not match');
    } finally {
      await withEnv.stop();
    }
    const generated = await serve(['--sandbox', '--no-scan']);
    try {
      const shown = /signing secret \(generated for this run; set SLACK_SIGNING_SECRET to choose it\): ([0-9a-f]{32})/.exec(generated.out())?.[1];
      expect(shown).toBeDefined();
      const good = signRaw('payload=%7B%7D', { secret: shown! });
      const bad = signRaw('payload=%7B%7D', { secret });
      const accepted = await fetch(`${generated.base}/slack/interactions`, { method: 'POST', body: good.rawBody, headers: good.headers });
      const refused = await fetch(`${generated.base}/slack/interactions`, { method: 'POST', body: bad.rawBody, headers: bad.headers });
      expect(await accepted.text()).not.toContain('X-Slack-Signature does not match');
      expect(await refused.text()).toContain('X-Slack-Signature does not match');
    } finally {
      await generated.stop();
    }
  });

  it('needs Slack tokens to serve a real workspace', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'costwatch-serve-'));
    dirs.push(cwd);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(cwd, 'costwatch.yml'), 'version: 1\nslack: { channel: "#c", approvers: { users: [U024BE7LH] } }\n');

    await expect(serveCommand([], { stdout: new PassThrough(), stderr: new PassThrough(), cwd, env: {} })).rejects.toThrow('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET');
  });
});

describe('Socket Mode interactions', () => {
  it('acknowledges each envelope before handling it, handles button clicks and ignores the rest', async () => {
    const inst = await install(await loadWorld(SAMPLE_WORLD_PATH));
    try {
      await inst.scan();
      const fraud = await inst.messageAbout('fraud-v3');
      const order: string[] = [];
      const ack = async () => void order.push('ack');
      const io = { stdout: new PassThrough(), stderr: new PassThrough(), cwd: '/', env: {} };
      const deps = { store: inst.store, queue: inst.queue, approvers: approverCheck(inst.policy.slack!.approvers, undefined), clock: inst.sandbox.clock };
      const logged: string[] = [];
      io.stdout.on('data', (c) => logged.push(String(c)));

      await socketInteraction(async () => (await ack(), void order.push(`pending ${inst.queue.pending().length}`)), clickPayload(fraud, 'costwatch.approve', APPROVER), deps, io);
      await socketInteraction(ack, { type: 'view_submission' }, deps, io);
      await inst.drain();

      expect(order).toEqual(['ack', 'pending 0', 'ack']);
      expect(logged.join('')).toContain('interaction (socket): accepted');
      expect(inst.sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(1);
    } finally {
      await inst.close();
    }
  });
});
