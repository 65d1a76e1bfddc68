import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { findPolicyFile, loadPolicy } from '../../shared/config/load.js';
import { ManifestError, slackAppManifest } from '../../shared/slack/manifest.js';
import { EXIT, UsageError } from './common.js';
import type { Io } from './scan.js';

/** `costwatch slack manifest`: prints the Slack app manifest to paste at api.slack.com/apps → Create New App → From a manifest. */
export async function slackCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'manifest') throw new UsageError(`unknown slack command ${sub ?? '(none)'}; try 'costwatch slack manifest --url https://…'`);
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      'socket-mode': { type: 'boolean', default: false },
      name: { type: 'string' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  const configPath = values.config ? resolve(io.cwd, values.config) : await findPolicyFile(io.cwd);
  let userGroups = false;
  if (configPath) {
    const { policy } = await loadPolicy(configPath);
    userGroups = (policy.slack?.approvers.userGroups.length ?? 0) > 0;
  } else {
    io.stderr.write('note: no costwatch.yml found; if your approvers are Slack user groups, pass --config so the manifest adds usergroups:read\n');
  }
  let manifest: Record<string, unknown>;
  try {
    manifest = slackAppManifest({ ...(values.url ? { url: values.url } : {}), socketMode: values['socket-mode'], ...(values.name ? { name: values.name } : {}), userGroups });
  } catch (err) {
    if (err instanceof ManifestError) throw new UsageError(err.message);
    throw err;
  }
  io.stdout.write(values.json ? `${JSON.stringify(manifest, null, 2)}\n` : stringify(manifest));
  return EXIT.ok;
}
