/**
 * Benchmarks of the Slack interactivity handler (run: `npx tsx bench/slack-interactions.ts`):
 * 1. in-process latency of handleInteractionRequest, p50/p99, with the state table on a dynalite
 *    server (the DynamoDB adapter as deployed), per kind of click;
 * 2. size of functions/slack-interactions.ts bundled by esbuild (minified, node22, ESM, only
 *    @aws-sdk/* external since Lambda provides SDK v3);
 * 3. cold import time of that bundle in a fresh Node process.
 * Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { fixedClock } from '../shared/clock.js';
import type { ProposedAction } from '../shared/domain/action.js';
import { InProcessExecutionQueue } from '../shared/queue/in-process-queue.js';
import { ACTION_IDS } from '../shared/slack/action-ids.js';
import { approverCheck } from '../shared/slack/approvers.js';
import { handleInteractionRequest, type InteractionOutcome } from '../shared/slack/interactions.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from '../shared/store/dynamo-store.js';

const ROOT = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (o: { createTableMs: number }) => Server;

const SECRET = 'bench-signing-secret';
const APPROVER = 'U0BENCH1';
const N = Number(process.env['BENCH_CLICKS'] ?? 1000);
const NOW = new Date('2025-06-18T12:00:00Z');

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function signed(actionId: string, value: string, user: string, i: number): { headers: Record<string, string>; rawBody: string } {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: 'bench', team_id: 'T1' },
    api_app_id: 'A1',
    container: { type: 'message', message_ts: '1750248000.000100', channel_id: 'C0BENCH', is_ephemeral: false },
    channel: { id: 'C0BENCH', name: 'bench' },
    actions: [{ action_id: actionId, block_id: 'costwatch-actions', value, type: 'button', action_ts: `1750248000.${String(i).padStart(6, '0')}` }],
  };
  const rawBody = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${rawBody}`).digest('hex')}` }, rawBody };
}

function proposal(i: number): ProposedAction {
  const arn = `arn:aws:sagemaker:us-east-1:111111111111:endpoint/bench-${i}`;
  return {
    id: `aws.sagemaker.delete-endpoint:${arn}@${NOW.toISOString()}`,
    key: `aws.sagemaker.delete-endpoint:${arn}`,
    kind: 'aws.sagemaker.delete-endpoint',
    findingId: `idle-endpoint:${arn}`,
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: arn, name: `bench-${i}` },
    mode: 'approve',
    parameters: {},
    reversible: true,
    monthlySaving: { amount: 1027.84, currency: 'USD' },
    status: 'proposed',
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + 72 * 3_600_000),
  };
}

async function latency(): Promise<void> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new CreateTableCommand({ TableName: 'bench', KeySchema: [...STATE_TABLE_SCHEMA.keySchema], AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  await new Promise((r) => setTimeout(r, 20));
  const store = new DynamoStateStore({ client, tableName: 'bench' });
  for (let i = 0; i < N; i += 50) await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => store.upsertProposal(proposal(i + j))));
  const queue = new InProcessExecutionQueue();
  const deps = { store, queue, approvers: approverCheck({ users: [APPROVER], userGroups: [] }, undefined), clock: fixedClock(NOW), signingSecret: SECRET };

  const kinds: { name: string; make: (i: number) => { headers: Record<string, string>; rawBody: string }; expect: InteractionOutcome['result'] }[] = [
    { name: 'approve (accepted: verify, replay mark, decide, transition, audit, enqueue)', make: (i) => signed(ACTION_IDS.approve, proposal(i).id, APPROVER, i), expect: 'accepted' },
    { name: 'approve again (refused: already decided)', make: (i) => signed(ACTION_IDS.approve, proposal(i).id, APPROVER, N + i), expect: 'refused' },
    { name: 'approve by a non-approver (refused)', make: (i) => signed(ACTION_IDS.approve, proposal(i).id, 'U0OUTSIDER', 2 * N + i), expect: 'refused' },
    { name: 'bad signature (rejected before any read)', make: (i) => ({ ...signed(ACTION_IDS.approve, proposal(i).id, APPROVER, 3 * N + i), headers: { 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=00' } }), expect: 'rejected' },
  ];
  console.log(`\nIn-process latency of handleInteractionRequest, state table on a dynalite server, ${N} clicks each, one at a time:`);
  for (const k of kinds) {
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const req = k.make(i);
      const t0 = performance.now();
      const out = await handleInteractionRequest(req, deps);
      times.push(performance.now() - t0);
      if (out.result !== k.expect) throw new Error(`${k.name}: expected ${k.expect}, got ${out.result} (${out.message})`);
    }
    await queue.drain(async () => undefined);
    times.sort((a, b) => a - b);
    console.log(`  ${k.name}\n    p50 ${percentile(times, 50).toFixed(2)} ms   p99 ${percentile(times, 99).toFixed(2)} ms   max ${times[times.length - 1]!.toFixed(2)} ms`);
  }
  client.destroy();
  await new Promise((ok) => server.close(ok));
}

async function bundle(): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'costwatch-bench-bundle-'));
  try {
    const result = await build({
      entryPoints: [join(ROOT, 'functions/slack-interactions.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      outfile: join(out, 'index.mjs'),
      external: ['@aws-sdk/*'],
      // CommonJS dependencies call require(); ESM output needs one.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      metafile: true,
      logLevel: 'error',
    });
    const file = join(out, 'index.mjs');
    const bytes = (await stat(file)).size;
    const gz = gzipSync(await readFile(file)).length;
    const inputs = Object.entries(result.metafile.outputs[file]?.inputs ?? result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.inputs);
    const byPackage = new Map<string, number>();
    for (const [path, info] of inputs) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m ? m[1]! : 'costwatch (functions/, shared/)';
      byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
    }
    console.log(`\nBundle of functions/slack-interactions.ts (esbuild, minified, node22, ESM, external: @aws-sdk/*):`);
    console.log(`  ${(bytes / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzipped)`);
    for (const [pkg, b] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${(b / 1024).toFixed(1).padStart(7)} KiB  ${pkg}`);

    // As the stack ships them: the JSON tables the code loads at run time beside the bundle.
    const data = (await readdir(join(ROOT, 'shared/pricing'))).filter((f) => f.endsWith('.json'));
    let dataBytes = 0;
    for (const f of data) {
      await copyFile(join(ROOT, 'shared/pricing', f), join(out, f));
      dataBytes += (await stat(join(out, f))).size;
    }
    console.log(`  plus ${data.length} price tables shipped beside it: ${(dataBytes / 1024).toFixed(1)} KiB`);

    // Cold import: a fresh process per run; the SDK v3 packages resolve from the repo's node_modules as Lambda's runtime provides them.
    await symlink(join(ROOT, 'node_modules'), join(out, 'node_modules'));
    const script = `const t0 = performance.now(); await import(${JSON.stringify(file)}); console.log((performance.now() - t0).toFixed(1)); process.exit(0);`;
    const env = {
      ...process.env,
      STATE_TABLE: 'bench',
      POLICY_FILE: join(ROOT, 'costwatch.example.yml'),
      EXECUTION_QUEUE_URL: 'http://127.0.0.1:9/queue',
      SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:bench',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      // The secrets middleware prefetches at import; point it at a closed port so nothing leaves the machine.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: out, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`import failed: ${r.stderr}`);
      runs.push(Number(r.stdout.trim().split('\n').pop()));
    }
    runs.sort((a, b) => a - b);
    console.log(`\nCold import of the bundle in a fresh Node ${process.version} process (7 runs): median ${runs[3]!.toFixed(1)} ms, min ${runs[0]!.toFixed(1)} ms, max ${runs[6]!.toFixed(1)} ms`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

await latency();
await bundle();
