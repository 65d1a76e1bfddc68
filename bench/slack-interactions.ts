/**
 * Benchmarks of the Slack interactivity handler (run: `npx tsx bench/slack-interactions.ts`):
 * 1. in-process latency of handleInteractionRequest, p50/p99, with the state table on a dynalite
 *    server (the DynamoDB adapter as deployed), per kind of click;
 * 2. size of functions/slack-interactions.ts bundled with the stack's esbuild settings
 *    (infra/bundling.ts), and its cold import as a ratio to a bundle of only
 *    @aws-sdk/client-dynamodb, measured in the same run;
 * 3. the cold path: the first click in a fresh process (import + secret from a local Secrets
 *    Manager endpoint + verify + decide), then warm clicks through the whole handler, p50/p99.
 * Prints figures; asserts nothing.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FUNCTIONS } from '../infra/function-table.js';
import { fixedClock } from '../shared/clock.js';
import { policyArtifact } from '../shared/config/artifact.js';
import { parsePolicy } from '../shared/config/load.js';
import type { ProposedAction } from '../shared/domain/action.js';
import { InProcessExecutionQueue } from '../shared/queue/in-process-queue.js';
import { ACTION_IDS } from '../shared/slack/action-ids.js';
import { approverCheck } from '../shared/slack/approvers.js';
import { handleInteractionRequest, type InteractionOutcome } from '../shared/slack/interactions.js';
import { DynamoStateStore, STATE_TABLE_SCHEMA } from '../shared/store/dynamo-store.js';
import { startAwsJsonStub } from '../test/infra/aws-json-stub.js';
import { bundleDynamoOnly, bundleEntry, bytesByPackage, coldImportMedians, functionEnv, linkNodeModules, median, ROOT } from './lib/bundles.js';

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

/**
 * The cold path as Lambda runs it: a fresh Node process imports the bundle, and the first click
 * reads the Slack secret (from a local Secrets Manager endpoint), verifies the signature and
 * decides (DynamoDB on dynalite, the job sent to a local SQS endpoint). Then, in the same warm
 * process, more clicks through the whole handler (middy, cached secret).
 */
function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function coldPath(): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'costwatch-bench-slack-'));
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const dynamoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stub = await startAwsJsonStub();
  try {
    await linkNodeModules(out);
    const [built, reference] = [await bundleEntry('slack-interactions', join(ROOT, 'functions/slack-interactions.ts'), out), await bundleDynamoOnly(out)];
    const gz = gzipSync(await readFile(built.file)).length;
    console.log(`\nBundle of functions/slack-interactions.ts (the stack's esbuild settings, infra/bundling.ts): ${(built.bytes / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzipped); budget ${FUNCTIONS.find((f) => f.name === 'slack-interactions')!.bundleBudgetKib} KiB`);
    for (const [pkg, b] of [...bytesByPackage(built.metafile)].sort((x, y) => y[1] - x[1]).slice(0, 6)) console.log(`    ${(b / 1024).toFixed(1).padStart(7)} KiB  ${pkg}`);
    console.log('  The policy ships beside it as policy.json (validated at synth); price tables are not in this bundle: the Slack function prices nothing.');

    const env = functionEnv();
    const medians = coldImportMedians(new Map([[reference.name, reference.file], [built.name, built.file]]), env, 7);
    console.log(`\nCold import in a fresh Node ${process.version} process, median of 7, interleaved: only @aws-sdk/client-dynamodb ${medians.get(reference.name)!.toFixed(1)} ms; slack-interactions ${medians.get(built.name)!.toFixed(1)} ms = ${(medians.get(built.name)! / medians.get(reference.name)!).toFixed(2)}× (target ≤ 1.2×)`);

    const client = new DynamoDBClient({ endpoint: dynamoUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await client.send(new CreateTableCommand({ TableName: 'bench', KeySchema: [...STATE_TABLE_SCHEMA.keySchema], AttributeDefinitions: [...STATE_TABLE_SCHEMA.attributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
    await new Promise((r) => setTimeout(r, 20));
    const store = new DynamoStateStore({ client, tableName: 'bench' });
    const RUNS = 5;
    const WARM = Number(process.env['BENCH_WARM_CLICKS'] ?? 300);
    const now = new Date();
    const fresh = (i: number): ProposedAction => ({ ...proposal(i), createdAt: now, expiresAt: new Date(now.getTime() + 72 * 3_600_000) });
    for (let i = 0; i < RUNS * (WARM + 1); i += 50) await Promise.all(Array.from({ length: Math.min(50, RUNS * (WARM + 1) - i) }, (_, j) => store.upsertProposal(fresh(i + j))));
    const policyFile = join(out, 'policy.json');
    await writeFile(policyFile, policyArtifact(parsePolicy(`version: 1\nslack: { channel: "#ml-costs", approvers: { users: [${APPROVER}] } }\n`, 'costwatch.yml').policy, 'costwatch.yml'));
    const secretArn = env['SLACK_SECRET_ARN']!;
    stub.secrets.set(secretArn, JSON.stringify({ botToken: 'xoxb-bench', signingSecret: SECRET }));

    const firsts: number[] = [];
    const imports: number[] = [];
    const warm: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const ids = Array.from({ length: WARM + 1 }, (_, i) => fresh(r * (WARM + 1) + i).id);
      const script = `
        import { createHmac } from 'node:crypto';
        const t0 = performance.now();
        const m = await import(${JSON.stringify(built.file)});
        const t1 = performance.now();
        const click = (id, i) => {
          const payload = { type: 'block_actions', user: { id: ${JSON.stringify(APPROVER)}, username: 'bench', team_id: 'T1' }, api_app_id: 'A1',
            container: { type: 'message', message_ts: '1750248000.000100', channel_id: 'C0BENCH', is_ephemeral: false }, channel: { id: 'C0BENCH', name: 'bench' },
            actions: [{ action_id: ${JSON.stringify(ACTION_IDS.approve)}, block_id: 'costwatch-actions', value: id, type: 'button', action_ts: '1750248000.' + String(i).padStart(6, '0') }] };
          const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
          const ts = String(Math.floor(Date.now() / 1000));
          const sig = 'v0=' + createHmac('sha256', ${JSON.stringify(SECRET)}).update('v0:' + ts + ':' + body).digest('hex');
          return { headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig }, body, isBase64Encoded: false };
        };
        const ctx = { functionName: 'slack-interactions', awsRequestId: 'r', getRemainingTimeInMillis: () => 10000 };
        const ids = ${JSON.stringify(ids)};
        const first = await m.handler(click(ids[0], 0), ctx);
        const t2 = performance.now();
        if (first.statusCode !== 200) { console.error('first click answered ' + first.statusCode + ' ' + first.body); process.exit(3); }
        const warm = [];
        for (let i = 1; i < ids.length; i++) {
          const a = performance.now();
          const res = await m.handler(click(ids[i], i), ctx);
          warm.push(performance.now() - a);
          if (res.statusCode !== 200) { console.error('click answered ' + res.statusCode); process.exit(3); }
        }
        console.log('RESULT ' + JSON.stringify({ importMs: t1 - t0, firstMs: t2 - t0, warm }));
        process.exit(0);`;
      // Asynchronously: dynalite and the stub answer from this process's event loop.
      const { AWS_ENDPOINT_URL: _closed, ...base } = env;
      const run = await runNode(script, { ...base, POLICY_FILE: policyFile, STATE_TABLE: 'bench', EXECUTION_QUEUE_URL: `${stub.url}/111111111111/execution`, AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl, AWS_ENDPOINT_URL_SECRETS_MANAGER: stub.url, AWS_ENDPOINT_URL_SQS: stub.url });
      const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (run.status !== 0 || !line) throw new Error(`cold run failed (${run.status}): ${run.stderr.slice(0, 2000)}`);
      const r1 = JSON.parse(line.slice(7)) as { importMs: number; firstMs: number; warm: number[] };
      imports.push(r1.importMs);
      firsts.push(r1.firstMs);
      warm.push(...r1.warm);
    }
    warm.sort((x, y) => x - y);
    firsts.sort((x, y) => x - y);
    console.log(`\nFirst click in a fresh process (import + secret from a local Secrets Manager endpoint + verify + decide + enqueue), ${RUNS} processes:`);
    console.log(`  median ${median(firsts).toFixed(0)} ms, max ${firsts[firsts.length - 1]!.toFixed(0)} ms (target ≤ 1,000 ms); of which import median ${median(imports).toFixed(0)} ms`);
    console.log(`Warm clicks through the whole handler (middy, cached secret, DynamoDB on dynalite, SQS endpoint), ${warm.length} clicks: p50 ${percentile(warm, 50).toFixed(2)} ms, p99 ${percentile(warm, 99).toFixed(2)} ms, max ${warm[warm.length - 1]!.toFixed(2)} ms (target p99 < 50 ms)`);
    console.log(`Calls the stub saw: ${[...new Set(stub.calls)].map((c) => `${c} ×${stub.calls.filter((x) => x === c).length}`).join(', ')}`);
    client.destroy();
  } finally {
    await stub.close();
    await new Promise((ok) => server.close(ok));
    await rm(out, { recursive: true, force: true });
  }
}

await latency();
await coldPath();
