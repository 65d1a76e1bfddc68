import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GenerateWorldOptions, Sandbox } from '../../shared/sandbox/index.js';

/*
 * The sandbox cloud in a process of its own, so a benchmark measures the watchdog (its wall time,
 * its memory) and not the cloud it talks to, and the two use separate cores as a real cloud would.
 * The parent sends the generateWorld options; the child builds the same seeded world and serves it.
 * The sandbox's modules (every cloud's surfaces and their SDKs) are imported by the child only:
 * the parent's memory holds none of them.
 */

type Request = { type: 'calls' } | { type: 'close' } | { type: 'advance'; ms: number };
type Reply = { type: 'ready'; url: string; awsEndpoint: string } | { type: 'calls'; calls: Record<string, number>; injected: Record<string, number>; maxRssKb: number } | { type: 'advanced'; now: string };

/** A sandbox served by a child process. */
export interface RemoteSandbox {
  readonly awsEndpoint: string;
  /** Calls per `service.Operation`, faults fired, and the child's peak RSS. */
  calls(): Promise<{ calls: Record<string, number>; injected: Record<string, number>; maxRssKb: number }>;
  /** Moves the world clock `ms` forward; returns the world's time after. */
  advance(ms: number): Promise<Date>;
  close(): Promise<void>;
}

/** Starts a sandbox serving `generateWorld(options)` in a child process. */
export async function startSandboxProcess(options: GenerateWorldOptions): Promise<RemoteSandbox> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--sandbox-process'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`sandbox process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as Reply);
      });
    });
  const ready = next();
  child.send(options);
  const r = await ready;
  if (r.type !== 'ready') throw new Error('sandbox process did not start');
  return {
    awsEndpoint: r.awsEndpoint,
    async calls() {
      const p = next();
      child.send({ type: 'calls' } satisfies Request);
      const m = await p;
      if (m.type !== 'calls') throw new Error('unexpected answer from the sandbox process');
      return m;
    },
    async advance(ms: number) {
      const p = next();
      child.send({ type: 'advance', ms } satisfies Request);
      const m = await p;
      if (m.type !== 'advanced') throw new Error('unexpected answer from the sandbox process');
      return new Date(m.now);
    },
    async close() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'close' } satisfies Request);
      await exited;
    },
  };
}

async function serve(): Promise<void> {
  let sandbox: Sandbox | undefined;
  process.on('message', (m: GenerateWorldOptions | Request) => {
    void (async () => {
      if (!sandbox && !('type' in m)) {
        const { generateWorld, startSandbox } = await import('../../shared/sandbox/index.js');
        sandbox = await startSandbox({ world: generateWorld(m) });
        process.send?.({ type: 'ready', url: sandbox.url, awsEndpoint: sandbox.awsEndpoint } satisfies Reply);
      } else if ('type' in m && m.type === 'calls' && sandbox) {
        process.send?.({ type: 'calls', calls: { ...sandbox.calls() }, injected: sandbox.faults.injected(), maxRssKb: process.resourceUsage().maxRSS } satisfies Reply);
      } else if ('type' in m && m.type === 'advance' && sandbox) {
        sandbox.clock.advance(m.ms);
        process.send?.({ type: 'advanced', now: sandbox.clock.now().toISOString() } satisfies Reply);
      } else if ('type' in m && m.type === 'close') {
        await sandbox?.close();
        process.exit(0);
      }
    })();
  });
}

if (process.argv.includes('--sandbox-process')) void serve();
