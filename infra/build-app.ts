import type { App } from 'aws-cdk-lib';
import type { FileProblem } from '../shared/errors.js';
import { DEFAULT_POLICY_FILE, loadDeployPolicy } from './deploy-config.js';
import type { FunctionSpec } from './function-table.js';
import { MemberStack, memberAccountConfig } from './member-stack.js';
import { WatchdogStack } from './watchdog-stack.js';

/** Stack names, as `cdk deploy <name>` takes them. */
export const STACK_NAMES = { watchdog: 'costwatch', member: 'costwatch-member' } as const;

/** Options of {@link buildCostwatchApp}; context (`-c key=value`) fills what is not given. */
export interface BuildOptions {
  /** Policy file; default: context `config`, else ./costwatch.yml. */
  readonly config?: string;
  /** Function table override (tests). */
  readonly functions?: readonly FunctionSpec[];
  /** Write esbuild metafiles next to the bundles. */
  readonly inspectBundles?: boolean;
}

/** The stacks of an app and the policy warnings to show. */
export interface CostwatchApp {
  readonly watchdog: WatchdogStack;
  readonly member?: MemberStack;
  readonly warnings: readonly FileProblem[];
}

/**
 * Adds costwatch's stacks to `app`: the watchdog, plus the member stack when `-c memberAccount`
 * is given. The policy file is validated first; an invalid one throws the CLI's ConfigError.
 */
export async function buildCostwatchApp(app: App, options: BuildOptions = {}): Promise<CostwatchApp> {
  const config = options.config ?? contextString(app, 'config') ?? DEFAULT_POLICY_FILE;
  const policy = await loadDeployPolicy(config);
  const watchdog = new WatchdogStack(app, STACK_NAMES.watchdog, {
    policy,
    ...(options.functions ? { functions: options.functions } : {}),
    ...(options.inspectBundles ? { inspectBundles: true } : {}),
  });
  const memberAccount = app.node.tryGetContext('memberAccount');
  let member: MemberStack | undefined;
  if (memberAccount !== undefined) {
    const cfg = memberAccountConfig(policy.policy, policy.file, { memberAccount, watchdogRoleArns: app.node.tryGetContext('watchdogRoleArns') });
    // The account is pinned so that deploying with another account's credentials is refused.
    member = new MemberStack(app, STACK_NAMES.member, { policy: policy.policy, member: cfg, env: { account: cfg.accountId } });
  }
  return { watchdog, ...(member ? { member } : {}), warnings: policy.warnings };
}

function contextString(app: App, key: string): string | undefined {
  const v: unknown = app.node.tryGetContext(key);
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}
