import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_BLOB_KEY } from '../../shared/sandbox/azure/storage.js';

/** A running Azurite Blob service: in memory, on a free loopback port, for the test run only. */
export interface Azurite {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The blob endpoint of an account (path style, as Azurite serves it). */
  endpoint(account: string): string;
  stop(): Promise<void>;
}

/**
 * Starts `azurite-blob` in memory on a free port with the given accounts (each with the sandbox's
 * shared key), and resolves once it listens.
 */
export async function startAzurite(accounts: readonly string[]): Promise<Azurite> {
  const dir = mkdtempSync(join(tmpdir(), 'costwatch-azurite-'));
  const bin = join(process.cwd(), 'node_modules', '.bin', 'azurite-blob');
  const child: ChildProcess = spawn(bin, ['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'], {
    cwd: dir,
    env: { ...process.env, AZURITE_ACCOUNTS: accounts.map((a) => `${a}:${SANDBOX_BLOB_KEY}`).join(';') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listens on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${String(code)}: ${out}`));
    });
  });
  return {
    url,
    endpoint: (account) => `${url}/${account}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          return resolve();
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
