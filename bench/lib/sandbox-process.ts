import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GenerateWorldOptions, Sandbox, WorldInput } from '../../shared/sandbox/index.js';

/*
 * The sandbox cloud in a process of its own, so a benchmark measures the watchdog (its wall time,
 * its memory) and not the cloud it talks to, and the two use separate cores as a real cloud would.
 * The parent sends the generateWorld options (or a world file's content, `{ world }`); the child
 * builds the same seeded world and serves it.
 * The sandbox's modules (every cloud's surfaces and their SDKs) are imported by the child only:
 * the parent's memory holds none of them.
 */

type Request = { type: 'calls' } | { type: 'close' } | { type: 'advance'; ms: number };
type Reply =
  | { type: 'ready'; url: string; awsEndpoint: string; gcp: { apiEndpoint: string; port: number } }
  | { type: 'calls'; calls: Record<string, number>; injected: Record<string, number>; maxRssKb: number; bigQueryBytesBilled: number; bigQueryQueries: number }
  | { type: 'advanced'; now: string };

/** What the child serves: a generated world, or a world file's content. */
export type SandboxProcessWorld = GenerateWorldOptions | { readonly world: WorldInput };

/** A sandbox served by a child process. */
export interface RemoteSandbox {
  readonly awsEndpoint: string;
  /** The Google Cloud APIs' host and port. */
  readonly gcp: { readonly apiEndpoint: string; readonly port: number };
  /** Calls per `service.Operation`, faults fired, the child's peak RSS, and BigQuery bytes billed by the queries run. */
  calls(): Promise<{ calls: Record<string, number>; injected: Record<string, number>; maxRssKb: number; bigQueryBytesBilled: number; bigQueryQueries: number }>;
  /** Moves the world clock `ms` forward; returns the world's time after. */
  advance(ms: number): Promise<Date>;
  close(): Promise<void>;
}

/** Starts a sandbox serving `generateWorld(options)` in a child process. */
export async function startSandboxProcess(options: SandboxProcessWorld): Promise<RemoteSandbox> {
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
    gcp: r.gcp,
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
  process.on('message', (m: SandboxProcessWorld | Request) => {
    void (async () => {
      if (!sandbox && !('type' in m)) {
        const { defineWorld, generateWorld, startSandbox } = await import('../../shared/sandbox/index.js');
        sandbox = await startSandbox({ world: 'world' in m ? defineWorld(m.world) : generateWorld(m) });
        process.send?.({ type: 'ready', url: sandbox.url, awsEndpoint: sandbox.awsEndpoint, gcp: sandbox.gcp } satisfies Reply);
      } else if ('type' in m && m.type === 'calls' && sandbox) {
        const queries = sandbox.state.gcp.billing.queries;
        process.send?.({
          type: 'calls',
          calls: { ...sandbox.calls() },
          injected: sandbox.faults.injected(),
          maxRssKb: process.resourceUsage().maxRSS,
          bigQueryBytesBilled: queries.reduce((n, q) => n + q.bytesBilled, 0),
          bigQueryQueries: queries.length,
        } satisfies Reply);
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
