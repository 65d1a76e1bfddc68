import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openEmbeddedStore, openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

/*
 * An action cut off by a crash is finished by the next run, with the invariants of a first run
 * (re-read, re-check, then act or cancel), and never blocks new proposals for its resource.
 */

const NOW = '2026-11-28T12:00:00Z';
const ACCOUNT = '111111111111';
const idle = (name: string, tags: Record<string, string> = {}) => ({
  name,
  createdAt: '-30d',
  tags,
  variants: [{ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 2 } } }],
});

function world(names: readonly string[], faults: WorldInput['faults'] = []): WorldInput {
  return {
    version: 1,
    now: NOW,
    aws: { accounts: [{ id: ACCOUNT, name: 'prod', regions: { 'us-east-1': { sagemaker: { endpoints: names.map((n) => idle(n)) } } } }] },
    ...(faults && faults.length > 0 ? { faults } : {}),
  };
}

const POLICY = `version: 1
clouds:
  aws:
    accounts:
      - { id: "${ACCOUNT}", name: prod, regions: [us-east-1] }
rules:
  idle-endpoint: { mode: auto }
limits: { maxActionsPerRun: 100, maxActionsPerDay: 100, maxAutoMonthlyImpact: { amount: 1000000 } }
`;

describe('recovery of actions an interrupted run left behind (in process)', () => {
  let sandbox: Sandbox;
  let store: StateStore;
  afterEach(async () => {
    await store?.close();
    await sandbox?.close();
  });

  async function scan(policy: Policy, opts: { dryRun?: boolean; recover?: boolean } = {}) {
    const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    return runScan(scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: opts.dryRun }), {
      providers,
      store,
      clock: sandbox.clock,
      prices: priceBook(policy),
      ...(opts.recover ? { recoverInterrupted: true } : {}),
    });
  }

  it('runs a proposal left approved, resumes one left executing, and records one whose action had already taken effect', async () => {
    sandbox = await startSandbox({ world: defineWorld(world(['left-approved', 'left-executing', 'already-gone'])) });
    store = await openMemoryStore();
    const policy = parsePolicy(POLICY.replace('mode: auto', 'mode: approve'), 'p.yml').policy;
    const { proposals } = await scan(policy);
    const byName = Object.fromEntries(proposals.map((p) => [p.resource.name, p]));
    // The states a crash leaves: decided and approved, or claimed with undo data saved and the action cut off.
    for (const name of ['left-approved', 'left-executing', 'already-gone']) {
      await store.decide({ proposalId: byName[name]!.id, verdict: 'approve', by: 'U024BE7LH', at: sandbox.clock.now(), via: 'slack' });
      await store.transitionProposal(byName[name]!.id, ['proposed'], 'approved');
    }
    for (const name of ['left-executing', 'already-gone']) {
      await store.transitionProposal(byName[name]!.id, ['approved'], 'executing', { undoData: { saved: true } });
    }
    // One delete had gone through before the crash.
    sandbox.state.aws.region(ACCOUNT, 'us-east-1').deleteEndpoint('already-gone', sandbox.clock.now().getTime());

    const report = await scan(policy, { recover: true });

    const status = async (name: string) => (await store.getProposal(byName[name]!.id))?.status;
    expect(await status('left-approved')).toBe('executed');
    expect(await status('left-executing')).toBe('executed');
    expect(await status('already-gone')).toBe('executed');
    expect(report.executions.find((e) => e.proposalId === byName['already-gone']!.id)?.detail).toMatch(/had taken effect before the run was interrupted/);
    expect(await store.listProposals({ status: ['approved', 'executing'] })).toEqual([]);
    const audit = await store.listAudit();
    expect(audit.filter((e) => e.event === 'recovered').map((e) => e.proposalId).sort()).toEqual(['left-approved', 'left-executing', 'already-gone'].map((n) => byName[n]!.id).sort());
    // The delete that had gone through is not sent again; the two others are.
    expect(sandbox.calls()['sagemaker.DeleteEndpoint']).toBe(2);
    expect(audit.filter((e) => e.event === 'executed').map((e) => e.proposalId).sort()).toEqual(['left-approved', 'left-executing', 'already-gone'].map((n) => byName[n]!.id).sort());
  });

  it('re-checks before resuming: a resource that is no longer idle is cancelled with the reason, not acted on', async () => {
    const w = world(['left-executing']);
    sandbox = await startSandbox({ world: defineWorld(w) });
    store = await openMemoryStore();
    const policy = parsePolicy(POLICY.replace('mode: auto', 'mode: approve'), 'p.yml').policy;
    const [p] = (await scan(policy)).proposals;
    await store.decide({ proposalId: p!.id, verdict: 'approve', by: 'U024BE7LH', at: sandbox.clock.now(), via: 'slack' });
    await store.transitionProposal(p!.id, ['proposed'], 'approved');
    await store.transitionProposal(p!.id, ['approved'], 'executing', { undoData: { saved: true } });
    // The next run sees a world where the endpoint is exempt now.
    await sandbox.close();
    sandbox = await startSandbox({ world: defineWorld({ ...w, aws: { accounts: [{ id: ACCOUNT, name: 'prod', regions: { 'us-east-1': { sagemaker: { endpoints: [idle('left-executing', { 'costwatch:exempt': 'true' })] } } } }] } }) });

    const report = await scan(policy, { recover: true });

    expect((await store.getProposal(p!.id))?.status).toBe('cancelled');
    expect(report.executions.find((e) => e.proposalId === p!.id)?.detail).toMatch(/interrupted; exempt/);
    expect(sandbox.calls()['sagemaker.DeleteEndpoint'] ?? 0).toBe(0);
  });

  it('audits a proposal once: re-scanning the same world adds no "proposed" entry for proposals already executed', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `idle-${i}`);
    sandbox = await startSandbox({ world: defineWorld(world(names)) });
    store = await openMemoryStore();
    const policy = parsePolicy(POLICY, 'p.yml').policy;
    await scan(policy);
    const proposedAfterFirst = (await store.listAudit()).filter((e) => e.event === 'proposed').length;
    expect(proposedAfterFirst).toBe(8);
    // A new process: the same world again (everything is idle again), the same state.
    await sandbox.close();
    sandbox = await startSandbox({ world: defineWorld(world(names)) });
    await scan(policy, { recover: true });
    const audit = await store.listAudit();
    expect(audit.filter((e) => e.event === 'proposed')).toHaveLength(8);
    expect(audit.filter((e) => e.event === 'executed')).toHaveLength(8);
  });
});

const CLI = fileURLToPath(new URL('../../bin/costwatch.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'costwatch-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function yamlWorld(names: readonly string[], latencyMs?: number): string {
  return JSON.stringify(world(names, latencyMs ? [{ service: 'sagemaker', operation: 'DeleteEndpoint', kind: 'latency', latencyMs }] : []));
}

function run(args: readonly string[]): { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>; kill: () => void } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal, stdout, stderr }))), kill: () => child.kill('SIGKILL') };
}

/** Whether LevelDB's log in `dir` holds `text` (the store writes each change there first). */
function stateMentions(dir: string, text: string): boolean {
  try {
    return readdirSync(dir).some((f) => f.endsWith('.log') && readFileSync(join(dir, f)).includes(text));
  } catch {
    return false;
  }
}

describe('kill -9 in the middle of an action', () => {
  it('the next scan finishes it with a re-check, and nothing stays approved or executing', { timeout: 180_000 }, async () => {
    const names = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];
    writeFileSync(join(root, 'costwatch.yml'), POLICY);
    // The delete hangs for a minute: the kill lands while the first action is under way.
    writeFileSync(join(root, 'slow.json'), yamlWorld(names, 60_000));
    writeFileSync(join(root, 'fast.json'), yamlWorld(names));
    const state = join(root, 'state');

    const first = run(['scan', '--sandbox', 'slow.json', '--state-dir', state]);
    const t0 = Date.now();
    while (!stateMentions(state, '"executing"') && !stateMentions(state, 'executing') && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 100));
    first.kill();
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');

    // What the crash left: one action claimed and cut off, the rest waiting.
    const left = await openEmbeddedStore({ dir: state });
    const interrupted = await left.listProposals({ status: ['executing', 'approved'] });
    await left.close();
    expect(interrupted).toHaveLength(1);

    const second = await run(['scan', '--sandbox', 'fast.json', '--state-dir', state]).done;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);

    const after = await openEmbeddedStore({ dir: state });
    try {
      expect(await after.listProposals({ status: ['approved', 'executing'] })).toEqual([]);
      const proposals = await after.listProposals();
      expect(proposals.map((p) => p.status).sort()).toEqual(['executed', 'executed', 'executed', 'executed']);
      const recovered = await after.getProposal(interrupted[0]!.id);
      expect(recovered?.status).toBe('executed');
      expect(recovered?.undoData).toBeDefined();
      const audit = await after.listAudit();
      expect(audit.filter((e) => e.event === 'recovered').map((e) => e.proposalId)).toEqual([interrupted[0]!.id]);
      expect(audit.filter((e) => e.event === 'executed')).toHaveLength(4);
    } finally {
      await after.close();
    }
  });
});
