import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadWorld, SAMPLE_WORLD_PATH, worldScopes } from '../../shared/sandbox/index.js';
import { sandboxAwsCredentials } from '../../shared/sandbox/aws/protocol.js';
import { startSandbox } from '../../shared/sandbox/server.js';
import { EXIT, UsageError } from './common.js';
import type { Io } from './scan.js';

/** `costwatch sandbox serve [world]`: runs the sandbox cloud until interrupted and prints its endpoints. */
export async function sandboxCommand(argv: readonly string[], io: Io, signal?: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'serve') throw new UsageError(`unknown sandbox command ${sub ?? '(none)'}; try 'costwatch sandbox serve [world]'`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { port: { type: 'string', default: '4566' }, host: { type: 'string', default: '127.0.0.1' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError('sandbox serve takes at most one world file');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${values.port}`);
  const worldPath = positionals[0] ? resolve(io.cwd, positionals[0]) : SAMPLE_WORLD_PATH;
  const world = await loadWorld(worldPath);
  const sandbox = await startSandbox({ world, host: values.host, port });
  const accounts = worldScopes(world).filter((t) => t.scope.cloud === 'aws');
  const first = accounts[0]?.scope.id ?? '111111111111';
  const creds = sandboxAwsCredentials(first);
  io.stdout.write(
    [
      `sandbox cloud serving ${worldPath} (world time ${sandbox.clock.now().toISOString()})`,
      `  AWS endpoint:  ${sandbox.awsEndpoint}   (SageMaker, CloudWatch; JSON protocol)`,
      `  accounts:      ${accounts.map((a) => `${a.scope.id} [${a.regions.join(', ')}]`).join('; ')}`,
      `  credentials:   access key = SANDBOX-style key per account, e.g. for ${first}:`,
      `    AWS_ACCESS_KEY_ID=${creds.accessKeyId} AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey} AWS_REGION=${accounts[0]?.regions[0] ?? 'us-east-1'}`,
      `    aws sagemaker list-endpoints --endpoint-url ${sandbox.awsEndpoint}`,
      `  Azure endpoint: ${sandbox.azureEndpoint}   (ARM: Azure Machine Learning; Azure Monitor metrics batch; HTTPS with a certificate made for this run, any bearer token)`,
      `  Azure blobs:   ${sandbox.url}/azure-blob/<storage account>/   (Blob REST for the world's blobs; Shared Key with Azurite's development key)`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await sandbox.close();
  return EXIT.ok;
}
