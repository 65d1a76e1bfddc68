import { resolve } from 'node:path';
import { loadPolicy, type LoadedPolicy } from '../shared/config/load.js';
import { RULE_IDS, type Policy, type RuleId } from '../shared/config/schema.js';
import { ConfigError, type FileProblem } from '../shared/errors.js';

/** Policy file read when `-c config=` is not given. */
export const DEFAULT_POLICY_FILE = './costwatch.yml';

/** Rules that read inventory and utilization; without a `schedule` they run on the idle-scan cadence. */
export const RESOURCE_RULE_IDS: readonly RuleId[] = ['idle-endpoint', 'underused-endpoint', 'idle-notebook', 'idle-studio-app', 'long-training-job', 'idle-cluster', 'autoscaling-floor'];

/**
 * Cadence of a rule without its own `schedule`: resource rules every 6 hours; billing rules and
 * storage tiering daily, because Cost Explorer data moves a few times a day, charges per request,
 * and object ages move in days.
 */
export const DEFAULT_SCHEDULES = { resource: 'rate(6 hours)', daily: 'rate(1 day)', guard: 'rate(1 hour)' } as const;

/** Rules whose scans also act on unanswered guards when they are due: hourly unless scheduled, so a grace of a few hours holds. */
export const GUARD_RULE_IDS: readonly RuleId[] = ['launch-guard'];

/** The weekly digest: Mondays 09:00 UTC. */
export const DIGEST_SCHEDULE = 'cron(0 9 ? * MON *)';

/** One scan schedule: an EventBridge expression and the rules it evaluates. */
export interface ScanSchedule {
  /** The cadence as the policy (or the default) writes it. */
  readonly expression: string;
  /** The expression deployed: a rate turned into a cron at its own minute (see {@link staggered}). */
  readonly at: string;
  readonly rules: readonly RuleId[];
}

/** Minutes past the hour the scan schedules take, in turn: apart from each other and from :00. */
export const STAGGER_MINUTES = [7, 22, 37, 52, 12, 27, 42, 57, 2, 17, 32, 47] as const;

/** The policy as the stacks read it at synth. */
export interface DeployPolicy extends LoadedPolicy {
  /** Absolute path of the file (its validated, defaulted form is written into every function bundle as policy.json). */
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
    const expression = rule.schedule ?? (GUARD_RULE_IDS.includes(id) ? DEFAULT_SCHEDULES.guard : RESOURCE_RULE_IDS.includes(id) ? DEFAULT_SCHEDULES.resource : DEFAULT_SCHEDULES.daily);
    byExpression.set(expression, [...(byExpression.get(expression) ?? []), id]);
  }
  const sorted = [...byExpression.entries()].sort(([a], [b]) => a.localeCompare(b));
  // Minutes a cron of the policy already fires at are left to it.
  const taken = new Set(sorted.map(([e]) => /^cron\((\d{1,2}) /.exec(e)?.[1]).filter((m): m is string => m !== undefined).map(Number));
  const free = STAGGER_MINUTES.filter((m) => !taken.has(m));
  return sorted.map(([expression, rules], i) => ({ expression, at: staggered(expression, free[i % free.length]!, i), rules }));
}

/**
 * A rate expression as a cron at a given minute, so schedules created by one deploy do not all
 * fire in the same minute (EventBridge Scheduler starts a rate when the schedule is created).
 * `rate(N minutes)` with N dividing 60, `rate(N hours)` with N dividing 24 and `rate(1 day)`
 * convert exactly; other rates and every cron of the policy are kept as written.
 */
export function staggered(expression: string, minute: number, index: number): string {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!rate) return expression;
  const n = Number(rate[1]);
  switch (rate[2]) {
    case 'minute':
      return 60 % n === 0 && n > 1 ? `cron(${minute % n}/${n} * * * ? *)` : expression;
    case 'hour':
      return 24 % n === 0 ? `cron(${minute} ${n === 1 ? '*' : `${index % n}/${n}`} * * ? *)` : expression;
    default:
      // Daily scans in the small hours UTC, one hour apart.
      return n === 1 ? `cron(${minute} ${(1 + index) % 24} * * ? *)` : expression;
  }
}

const MONTH_HOURS = 730;

/**
 * Times an expression fires in an average month (730 hours): exact for rates; for crons, counted
 * minute by minute over the year 2025 and divided by 12. Undefined for cron forms not counted
 * here (L, W, #).
 */
export function runsPerMonth(expression: string): number | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) return (MONTH_HOURS * 60) / (Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day']);
  const matches = cronMatcher(expression);
  if (!matches) return undefined;
  let count = 0;
  for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += 60_000) if (matches(t)) count++;
  return count / 12;
}

/**
 * When a `cron(...)` or `rate(...)` expression fires in [from, to) (ms since the epoch, whole
 * minutes); a rate counts from `from`. Undefined for what `runsPerMonth` cannot read either.
 */
export function firings(expression: string, from: number, to: number): number[] | undefined {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  const out: number[] = [];
  if (rate) {
    const every = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day'] * 60_000;
    for (let t = from; t < to; t += every) out.push(t);
    return out;
  }
  const matches = cronMatcher(expression);
  if (!matches) return undefined;
  for (let t = Math.ceil(from / 60_000) * 60_000; t < to; t += 60_000) if (matches(t)) out.push(t);
  return out;
}

/** Whether a time (ms, UTC) matches a `cron(...)` expression; undefined for other expressions and `L`, `W`, `#`. */
function cronMatcher(expression: string): ((t: number) => boolean) | undefined {
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron || /[LW#]/.test(cron[1]!)) return undefined;
  const [min, hour, dom, month, dow, year] = cron[1]!.trim().split(/\s+/);
  const sets = [field(min!, 0, 59), field(hour!, 0, 23), field(dom!, 1, 31), field(month!, 1, 12, MONTHS), field(dow!, 1, 7, DAYS), field(year!, 1970, 2199)];
  if (sets.some((x) => x === undefined)) return undefined;
  const [ms, hs, ds, mos, dws, ys] = sets as Set<number>[];
  return (t) => {
    const d = new Date(t);
    return ys!.has(d.getUTCFullYear()) && ms!.has(d.getUTCMinutes()) && hs!.has(d.getUTCHours()) && mos!.has(d.getUTCMonth() + 1) && ds!.has(d.getUTCDate()) && dws!.has(d.getUTCDay() + 1);
  };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The values a cron field matches (`?` and `*` match all). */
function field(text: string, min: number, max: number, names?: readonly string[]): Set<number> | undefined {
  const out = new Set<number>();
  const value = (v: string) => (names?.includes(v.toUpperCase()) ? names.indexOf(v.toUpperCase()) + min : /^\d+$/.test(v) ? Number(v) : NaN);
  for (const part of text.split(',')) {
    const [base = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = min;
    let hi = max;
    if (base !== '*' && base !== '?') {
      const [a, b] = base.split('-');
      lo = value(a!);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b);
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(step >= 1)) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
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
