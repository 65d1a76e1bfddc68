import { resolve } from 'node:path';
import { findPolicyFile, loadPolicy } from '../../shared/config/load.js';
import { policyScopes } from '../../shared/config/schema.js';
import { formatProblem } from '../../shared/errors.js';
import { EXIT, UsageError } from './common.js';
import type { Io } from './scan.js';

/** `costwatch validate [file]`: exit 0 when valid (warnings printed), 2 with one line per problem otherwise. */
export async function validateCommand(argv: readonly string[], io: Io): Promise<number> {
  if (argv.length > 1) throw new UsageError('validate takes at most one file');
  const path = argv[0] ? resolve(io.cwd, argv[0]) : await findPolicyFile(io.cwd);
  if (!path) throw new UsageError('no costwatch.yml in this folder; pass the file to validate');
  const { policy, warnings } = await loadPolicy(path);
  for (const w of warnings) io.stderr.write(`warning: ${formatProblem(w)}\n`);
  const scopes = policyScopes(policy);
  const rules = Object.entries(policy.rules).filter(([, r]) => r.enabled).map(([id, r]) => `${id} (${r.mode})`);
  io.stdout.write(`${path}: valid — ${scopes.length} scope${scopes.length === 1 ? '' : 's'}, ${policy.budgets.length} budget${policy.budgets.length === 1 ? '' : 's'}, rules: ${rules.join(', ')}\n`);
  return EXIT.ok;
}
