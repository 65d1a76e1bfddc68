import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate made for one run, and its key. The certificate is also the CA a client trusts. */
export interface RunCertificate {
  readonly cert: string;
  readonly key: string;
}

let made: Promise<RunCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per process with the openssl
 * CLI and valid for two days. Azure's bearer-token policy refuses plain http, so the sandbox's Azure
 * listener speaks TLS; only clients given this certificate as their `tlsOptions.ca` trust it.
 */
export function runCertificate(): Promise<RunCertificate> {
  made ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'costwatch-sandbox-tls-'));
    try {
      const keyFile = join(dir, 'key.pem');
      const certFile = join(dir, 'cert.pem');
      await run('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=costwatch-sandbox',
        '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      ]);
      return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
    } catch (err) {
      made = undefined;
      throw new Error(`the sandbox's Azure listener needs a TLS certificate and could not make one with the openssl CLI: ${(err as Error).message}`, { cause: err });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return made;
}
