import { resolve } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '../shared/config/load.js';
import { RULE_IDS, type Policy, type RuleId } from '../shared/config/schema.js';
import { ConfigError, type FileProblem } from '../shared/errors.js';

/** Policy file read when `-c config=` is not given. */
export const DEFAULT_POLICY_FILE = './costwatch.yml';

/** Rules that read inventory and utilization; without a `schedule` they run on the idle-scan cadence. */
export const RESOURCE_RULE_IDS: readonly RuleId[] = ['idle-endpoint', 'underused-endpoint', 'idle-notebook', 'idle-studio-app', 'long-training-job', 'idle-cluster'];

/**
 * Cadence of a rule without its own `schedule`: resource rules every 6 hours; billing rules and
 * storage tiering daily, because Cost Explorer data moves a few times a day, charges per request,
 * and object ages move in days.
 */
export const DEFAULT_SCHEDULES = { resource: 'rate(6 hours)', daily: 'rate(1 day)' } as const;

/** The weekly digest: Mondays 09:00 UTC. */
export const DIGEST_SCHEDULE = 'cron(0 9 ? * MON *)';

/** One scan schedule: an EventBridge expression and the rules it evaluates. */
export interface ScanSchedule {
  readonly expression: string;
  readonly rules: readonly RuleId[];
}

/** The policy as the stacks read it at synth. */
export interface DeployPolicy extends LoadedPolicy {
  /** Absolute path of the file, copied into every function bundle. */
  readonly file: string;
}

/**
 * Loads the policy file for synth with the CLI's validation (same ConfigError, same messages),
 * then the checks only a deployment needs.
 */
export async function loadDeployPolicy(path: string = DEFAULT_POLICY_FILE): Promise<DeployPolicy> {
  const file = resolve(path);
  let loaded: LoadedPolicy;
  try {
    loaded = await loadPolicy(file);
  } catch (err) {
    if (err instanceof ConfigError && err.problems.length === 1 && err.problems[0]!.message === 'file not found') {
      throw new ConfigError([{ ...err.problems[0]!, message: 'file not found: create it (see costwatch.example.yml) or pass another with -c config=<path>' }], { cause: err });
    }
    throw err;
  }
  const problems = deployProblems(loaded.policy, file);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...loaded, file };
}

/** What a valid policy cannot do once deployed. */
export function deployProblems(policy: Policy, file: string): FileProblem[] {
  const accounts = policy.clouds.aws?.accounts ?? [];
  const withoutRole = accounts.map((a, i) => ({ a, i })).filter(({ a }) => !a.roleName);
  if (withoutRole.length <= 1) return [];
  // Deployed, costwatch reads an account without a roleName with its own credentials, i.e. the
  // account it runs in: two such accounts would both be that one.
  return withoutRole.slice(1).map(({ i }) => ({
    file,
    key: `clouds.aws.accounts[${i}].roleName`,
    message: `is required when deploying: only one account (the one costwatch is deployed to) can be read without assuming a role; accounts[${withoutRole[0]!.i}] already is`,
  }));
}

/**
 * The scan schedules the policy asks for: enabled rules grouped by their `schedule`, rules
 * without one on the default cadence of their kind. Sorted, so the template is stable.
 */
export function scanSchedules(policy: Policy): ScanSchedule[] {
  const byExpression = new Map<string, RuleId[]>();
  for (const id of RULE_IDS) {
    const rule = policy.rules[id];
    if (!rule.enabled) continue;
    const expression = rule.schedule ?? (RESOURCE_RULE_IDS.includes(id) ? DEFAULT_SCHEDULES.resource : DEFAULT_SCHEDULES.daily);
    byExpression.set(expression, [...(byExpression.get(expression) ?? []), id]);
  }
  return [...byExpression.entries()].map(([expression, rules]) => ({ expression, rules })).sort((a, b) => a.expression.localeCompare(b.expression));
}

/** AWS accounts costwatch reaches by assuming a role, with the role ARN's parts. */
export function assumedRoles(policy: Policy): { accountId: string; roleName: string; externalId?: string; regions: readonly string[] }[] {
  return (policy.clouds.aws?.accounts ?? []).flatMap((a) =>
    a.roleName ? [{ accountId: a.id, roleName: a.roleName, regions: a.regions, ...(a.externalId ? { externalId: a.externalId } : {}) }] : [],
  );
}

/** The AWS account read with costwatch's own credentials (the account it is deployed to), if any. */
export function ownAccount(policy: Policy): { accountId: string; regions: readonly string[] } | undefined {
  const a = (policy.clouds.aws?.accounts ?? []).find((x) => !x.roleName);
  return a ? { accountId: a.id, regions: a.regions } : undefined;
}

/** Buckets the cold-artifacts rule examines (and may put a lifecycle rule on). */
export function coldArtifactBuckets(policy: Policy): string[] {
  const rule = policy.rules['cold-artifacts'];
  return rule.enabled ? [...new Set(rule.buckets.map((b) => b.bucket))].sort() : [];
}
