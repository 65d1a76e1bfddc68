import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../shared/store/embedded-store.js';

/*
 * The local state folder as a user meets it, through the real CLI in separate processes: two runs
 * started together, a run while `serve` (or anything) holds the folder, a folder that is a file or
 * corrupted. Each is one line on stderr and exit 2, never a hang, never a stack trace.
 */

const CLI = fileURLToPath(new URL('../../bin/costwatch.mjs', import.meta.url));
const WORLD = fileURLToPath(new URL('../fixtures/worlds/from-docs.yml', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'costwatch-cli-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function costwatch(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  const t0 = Date.now();
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', COSTWATCH_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`costwatch ${args.join(' ')} did not exit within ${timeoutMs} ms (stderr: ${stderr})`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const noTrace = (s: string) => expect(s).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);

/**
 * The docs' world with every endpoint listing slowed down, so a scan holds the folder for seconds
 * after taking it: two processes started together then always overlap, however unevenly a loaded
 * machine starts them.
 */
function slowWorld(): string {
  const file = join(root, 'slow-world.yml');
  writeFileSync(file, `${readFileSync(WORLD, 'utf8')}\nfaults:\n  - { service: sagemaker, operation: ListEndpoints, kind: latency, latencyMs: 6000 }\n`);
  return file;
}

describe('the state folder lock', () => {
  it('of two scans started together, one runs and the other is refused cleanly with exit 2, every time', { timeout: 240_000 }, async () => {
    const tries = 5;
    const outcomes: string[] = [];
    const world = slowWorld();
    for (let i = 0; i < tries; i++) {
      const dir = join(root, `race-${i}`);
      const pair = await Promise.all([0, 1].map(() => costwatch(['scan', '--sandbox', world, '--state-dir', dir])));
      const codes = pair.map((r) => r.code).sort();
      expect(codes).toEqual([0, 2]);
      const loser = pair.find((r) => r.code === 2)!;
      expect(loser.stderr).toBe(`costwatch: the state folder ${dir} is in use by another costwatch process: wait for it to finish (or pass --wait-lock SECONDS), or give this run its own --state-dir\n`);
      expect(loser.stdout).toBe('');
      noTrace(pair.find((r) => r.code === 0)!.stderr);
      outcomes.push(codes.join('/'));
    }
    expect(outcomes).toEqual(Array(tries).fill('0/2'));
  });

  it('serve and scan on a folder in use exit at once with exit 2 (nothing left running)', { timeout: 120_000 }, async () => {
    const dir = join(root, 'held');
    const holder = await openEmbeddedStore({ dir });
    try {
      const serve = await costwatch(['serve', '--sandbox', WORLD, '--port', '0', '--state-dir', dir], 30_000);
      expect(serve.code).toBe(2);
      expect(serve.stderr).toMatch(/^costwatch: the state folder .* is in use by another costwatch process: wait for it to finish/);
      expect(serve.stderr.trim().split('\n')).toHaveLength(1);
      const scan = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir], 30_000);
      expect(scan.code).toBe(2);
      expect(scan.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await holder.close();
    }
  });

  it('--wait-lock SECONDS waits for the folder to be released, then runs', { timeout: 120_000 }, async () => {
    const dir = join(root, 'wait');
    const holder = await openEmbeddedStore({ dir });
    const released = new Promise<void>((ok) => setTimeout(() => void holder.close().then(ok), 1_500));
    const run = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir, '--wait-lock', '60']);
    await released;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await costwatch(['scan', '--wait-lock', 'soon'])).stderr).toMatch(/--wait-lock must be a number of seconds/);
  });
});

describe('a state folder that cannot be used', () => {
  it('--state-dir naming a file: one line saying so, exit 2', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    for (const dir of [file, join(file, 'below')]) {
      const r = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^costwatch: the state folder .* is a file, not a folder: give --state-dir a folder\n$/);
    }
  });

  it('a corrupted state folder: one line saying what is wrong and what to do, exit 2; --debug shows the trace', { timeout: 120_000 }, async () => {
    const dir = join(root, 'corrupt');
    expect((await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir])).code).toBe(0);
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    copyFileSync(join(dir, manifest), join(root, 'manifest.bak'));
    writeFileSync(join(dir, manifest), Buffer.from('not a manifest at all, just bytes'));

    const r = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^costwatch: the state folder .* is corrupted \(.+\): move it aside \(or delete it\) to start with empty state\n$/);

    unlinkSync(join(dir, manifest));
    const missing = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/is corrupted .*move it aside/);

    const debug = await costwatch(['scan', '--sandbox', WORLD, '--state-dir', dir, '--debug']);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^StateFolderError: .*\n\s+at /);
  });
});
