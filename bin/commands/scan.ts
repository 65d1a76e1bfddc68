import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { priceBook, RuleSelectionError, scanOptionsFor, slackNotifier } from '../../shared/app/compose.js';
import { collectionPlan, describePlan } from '../../shared/pipeline/collection-plan.js';
import { defaultPolicyFor, findPolicyFile, loadPolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import { formatProblem } from '../../shared/errors.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { CLOUDS, type Cloud } from '../../shared/domain/resource.js';
import { runScan, type ScanProgress } from '../../shared/pipeline/scan.js';
import { renderText, reportJson } from '../../shared/report/render.js';
import { startSandbox, type Sandbox } from '../../shared/sandbox/server.js';
import { loadWorld, worldScopes, SAMPLE_WORLD_PATH } from '../../shared/sandbox/index.js';
import { openDryRunStore, openEmbeddedStore } from '../../shared/store/embedded-store.js';
import { cliProviders } from './providers.js';
import { EXIT, takeOptionalValue, UsageError } from './common.js';

/** Streams and environment of one CLI invocation, injected so tests can run it in-process. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

const HAS_CLOUD_CREDENTIALS = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/** `costwatch scan`: collect, detect, plan and (unless dry-run) act; prints the report. */
export async function scanCommand(argv: readonly string[], io: Io): Promise<number> {
  const sb = takeOptionalValue(argv, '--sandbox');
  const { values, positionals } = parseArgs({
    args: sb.rest,
    options: {
      config: { type: 'string', short: 'c' },
      cloud: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      'wait-lock': { type: 'string' },
      rules: { type: 'string' },
    },
    allowPositionals: false,
    strict: true,
  }).valueOf() as { values: { config?: string; cloud?: string; 'dry-run': boolean; json: boolean; 'state-dir'?: string; 'wait-lock'?: string; rules?: string }; positionals: string[] };
  void positionals;
  if (values.cloud && !(CLOUDS as readonly string[]).includes(values.cloud)) throw new UsageError(`--cloud must be one of ${CLOUDS.join(', ')}`);
  const waitLockMs = waitLockOption(values['wait-lock']);
  const ruleIds = values.rules === undefined ? undefined : values.rules.split(',').map((s) => s.trim()).filter((s) => s.length > 0);

  const configPath = values.config ? resolve(io.cwd, values.config) : await findPolicyFile(io.cwd);
  const useSandbox = sb.present || !configPath;
  const notes: string[] = [];
  let policy: Policy | undefined;
  if (configPath) {
    const loaded = await loadPolicy(configPath);
    policy = loaded.policy;
    for (const w of loaded.warnings) io.stderr.write(`warning: ${formatProblem(w)}\n`);
  }

  const worldPath = useSandbox ? (sb.value ? resolve(io.cwd, sb.value) : SAMPLE_WORLD_PATH) : undefined;
  const world = worldPath ? await loadWorld(worldPath) : undefined;
  if (world && worldPath) {
    if (!configPath) {
      const creds = HAS_CLOUD_CREDENTIALS.some((k) => io.env[k]) ? 'no costwatch.yml found' : 'no costwatch.yml and no cloud credentials found';
      notes.push(`${creds}: scanning the ${sb.value ? 'sandbox world ' + sb.value : 'bundled sample sandbox world'} (${worldPath}) — nothing real is touched`);
      policy = defaultPolicyFor(worldScopes(world), world.policy);
    } else {
      notes.push(`scanning the sandbox world ${worldPath} with ${configPath} — nothing real is touched`);
    }
  }
  if (!policy) throw new UsageError('no policy');
  const stateDir = values['state-dir'] ? resolve(io.cwd, values['state-dir']) : resolve(io.cwd, '.costwatch', useSandbox ? 'sandbox-state' : 'state');
  // The state folder is locked before anything starts: a second process is refused at once. A dry
  // run reads the state but leaves its folder byte for byte as it was (it reads a copy, unlocked).
  const dryRun = values['dry-run'] || policy.dryRun;
  const store = await (dryRun ? openDryRunStore({ dir: stateDir }) : openEmbeddedStore({ dir: stateDir, waitLockMs }));
  let sandbox: Sandbox | undefined;
  try {
    let clock: Clock = systemClock;
    if (world) {
      sandbox = await startSandbox({ world });
      clock = sandbox.clock;
    }
    const providers = await cliProviders(policy, sandbox);
    let options;
    try {
      options = scanOptionsFor(policy, { now: () => clock.now(), dryRun: values['dry-run'] || undefined, ...(values.cloud ? { cloud: values.cloud as Cloud } : {}), ...(ruleIds ? { rules: ruleIds } : {}) });
    } catch (err) {
      if (err instanceof RuleSelectionError) throw new UsageError(`--rules: ${err.message}`);
      throw err;
    }
    if (ruleIds) notes.push(`rules ${ruleIds.join(', ')} only: reading ${describePlan(collectionPlan(options.rules, options.costRules))}`);
    if (options.targets.length === 0) throw new UsageError(values.cloud ? `no ${values.cloud} scope in the policy` : 'the policy names no AWS account, Google Cloud project or Azure subscription to scan');
    for (const n of notes) (values.json ? io.stderr : io.stdout).write(`${n}\n`);
    const progress = io.stderr.isTTY && !values.json ? tty(io.stderr, options.targets.length) : undefined;
    // Real Slack only for real clouds with a bot token: a sandbox scan never posts to a workspace.
    const botToken = io.env['SLACK_BOT_TOKEN'];
    const notifier = !sandbox && botToken ? slackNotifier(policy, { store, clock, providers, slack: { botToken } }) : undefined;
    if (policy.slack && !notifier && !sandbox) io.stderr.write('note: slack is configured but SLACK_BOT_TOKEN is not set: nothing is posted\n');
    const report = await runScan(options, {
      providers,
      store,
      clock,
      prices: priceBook(policy),
      // The state folder is locked for this run: nothing else executes its proposals meanwhile.
      recoverInterrupted: true,
      ...(progress ? { onProgress: progress } : {}),
      ...(notifier ? { notifier } : {}),
    });
    if (progress) io.stderr.write('\r\u001b[K');
    io.stdout.write(values.json ? `${JSON.stringify(reportJson(report), null, 2)}\n` : `${renderText(report, { color: Boolean(io.stdout.isTTY) && !io.env['NO_COLOR'] })}\n`);
    return report.findings.some((f) => f.state === 'failure') ? EXIT.partial : EXIT.ok;
  } finally {
    await store.close();
    await sandbox?.close();
  }
}

/** `--wait-lock SECONDS` in milliseconds (0 when absent). */
export function waitLockOption(v: string | undefined): number {
  if (v === undefined) return 0;
  const seconds = Number(v);
  if (v.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 86_400) throw new UsageError(`--wait-lock must be a number of seconds from 0 to 86400, got ${JSON.stringify(v)}`);
  return Math.round(seconds * 1000);
}

function tty(out: NodeJS.WritableStream, total: number): (e: ScanProgress) => void {
  let done = 0;
  return (e) => {
    if (e.type === 'collect-done') done++;
    const what = e.type === 'phase' ? e.phase : `collecting ${done}/${total} scopes`;
    out.write(`\r\u001b[K${what}…`);
  };
}
