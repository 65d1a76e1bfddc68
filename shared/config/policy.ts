import type { z } from 'zod';
import type { Mode } from '../domain/action.js';
import type { ScopeTarget } from '../providers/port.js';
import type { PolicySchema } from './schema.js';

/*
 * The policy as the running code reads it: rule ids, defaults, types and pure helpers. Nothing
 * here parses or validates (that is shared/config/schema.ts, run by the CLI and at synth), so a
 * deployed function imports this file without a schema library (the types above are erased).
 */

/** Every rule id the policy file accepts, in the order the docs list them. */
export const RULE_IDS = [
  'idle-endpoint',
  'underused-endpoint',
  'idle-notebook',
  'idle-studio-app',
  'long-training-job',
  'idle-cluster',
  'cold-artifacts',
  'budget-breach',
  'forecast-breach',
  'cost-anomaly',
  'spot-training',
  'untagged-spend',
  'commitment-coverage',
  'autoscaling-floor',
  'launch-guard',
  'billing-cap',
] as const;

/** A rule id known to the policy file. */
export type RuleId = (typeof RULE_IDS)[number];

/** Rules that report but have no remediation in this version, so only `notify` makes sense. */
export const NOTIFY_ONLY_RULES: readonly RuleId[] = ['underused-endpoint', 'budget-breach', 'forecast-breach', 'cost-anomaly', 'spot-training', 'untagged-spend', 'commitment-coverage'];

/** The mode a rule runs in when the policy does not say. */
export const DEFAULT_RULE_MODES: Readonly<Record<RuleId, Mode>> = {
  'idle-endpoint': 'approve',
  'underused-endpoint': 'notify',
  'idle-notebook': 'approve',
  'idle-studio-app': 'approve',
  'long-training-job': 'notify',
  'idle-cluster': 'approve',
  'cold-artifacts': 'notify',
  'budget-breach': 'notify',
  'forecast-breach': 'notify',
  'cost-anomaly': 'notify',
  'spot-training': 'notify',
  'untagged-spend': 'notify',
  'commitment-coverage': 'notify',
  'autoscaling-floor': 'notify',
  'launch-guard': 'approve',
  // Unlinking billing stops a whole project: opt in with mode approve (auto also needs clouds.gcp.allowDisableBilling).
  'billing-cap': 'notify',
};

/** Workload classes a resource declares with its workload tag, each with its own allowed instance types. */
export const WORKLOAD_CLASSES = ['experimental', 'training', 'inference'] as const;

/** Tag key that exempts a resource when its value is `true`. */
export const DEFAULT_EXEMPT_TAG_KEY = 'costwatch:exempt';

/** Days of the week as quiet hours name them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** A validated policy with every default applied. */
export type Policy = z.output<typeof PolicySchema>;
/** A policy as written in the file, before defaults. */
export type PolicyInput = z.input<typeof PolicySchema>;
/** Settings of one rule, typed per rule id. */
export type RuleSettings<I extends RuleId> = Policy['rules'][I];
/** One budget of the policy. */
export type BudgetPolicy = Policy['budgets'][number];
/** One configured exemption. */
export type ExemptionPolicy = Policy['exemptions']['items'][number];
/** The quiet hours window. */
export type QuietHours = NonNullable<Policy['quietHours']>;
/** The launch guard's settings (`launchGuard`). */
export type LaunchGuardPolicy = Policy['launchGuard'];

/** The settings of a rule, with its defaults applied. */
export function ruleSettings<I extends RuleId>(policy: Policy, id: I): RuleSettings<I> {
  return policy.rules[id];
}

/** Every account, project and subscription the policy watches, with the regions to read. */
export function policyScopes(policy: Policy): ScopeTarget[] {
  const c = policy.clouds;
  return [
    ...(c.aws?.accounts ?? []).map((a) => ({ scope: { cloud: 'aws' as const, id: a.id, ...(a.name ? { name: a.name } : {}) }, regions: a.regions })),
    ...(c.gcp?.projects ?? []).map((p) => ({ scope: { cloud: 'gcp' as const, id: p.id, ...(p.name ? { name: p.name } : {}) }, regions: p.regions ?? [] })),
    ...(c.azure?.subscriptions ?? []).map((s) => ({ scope: { cloud: 'azure' as const, id: s.id, ...(s.name ? { name: s.name } : {}) }, regions: s.regions ?? [] })),
  ];
}

/** Whether an exemption has passed its `expires` date at `at`; a date alone lasts through that UTC day. */
export function exemptionExpired(item: Pick<ExemptionPolicy, 'expires'>, at: Date): boolean {
  if (item.expires === undefined) return false;
  const end = expiryInstant(item.expires);
  return end !== undefined && at.getTime() >= end;
}

/** The exemptions in force at `at`. */
export function activeExemptions(policy: Policy, at: Date): ExemptionPolicy[] {
  return policy.exemptions.items.filter((e) => !exemptionExpired(e, at));
}

/**
 * Whether `at` falls in the quiet hours window, read on the wall clock of its time zone (so
 * DST shifts move the window with local time). A window crossing midnight belongs to the day
 * it starts on: `fri 22:00–07:00` covers Friday night into Saturday morning.
 */
export function inQuietHours(quietHours: QuietHours | undefined, at: Date): boolean {
  if (!quietHours) return false;
  const { day, minutes } = wallClock(at, quietHours.timezone);
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  const days = quietHours.days ?? WEEKDAYS;
  const on = (d: number) => days.includes(WEEKDAYS[(d + 7) % 7]!);
  if (start < end) return on(day) && minutes >= start && minutes < end;
  return (on(day) && minutes >= start) || (on(day - 1) && minutes < end);
}

/** A problem that does not stop costwatch from working but that the user should see. */
export interface PolicyNotice {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Warnings about a valid policy: things that work but probably not as meant. */
export function policyWarnings(policy: Policy, at: Date): PolicyNotice[] {
  const out: PolicyNotice[] = [];
  const scopes = policyScopes(policy);
  if (scopes.length === 0) {
    out.push({ path: ['clouds'], message: 'no cloud scope configured: a scan needs at least one AWS account, Google Cloud project or Azure subscription' });
  }
  policy.exemptions.items.forEach((e, i) => {
    if (exemptionExpired(e, at)) out.push({ path: ['exemptions', 'items', i, 'expires'], message: `expired (expires: ${e.expires}): this exemption is ignored; remove it or extend expires` });
  });
  if (!policy.slack) {
    for (const id of RULE_IDS) {
      if (policy.rules[id].channel) out.push({ path: ['rules', id, 'channel'], message: 'no slack section: this channel is not used' });
    }
    policy.budgets.forEach((b, i) => {
      if (b.channel) out.push({ path: ['budgets', i, 'channel'], message: 'no slack section: this channel is not used' });
    });
  }
  if (scopes.length > 0) {
    const known = new Set(scopes.map((s) => s.scope.id));
    policy.budgets.forEach((b, i) => {
      (b.scope.accounts ?? []).forEach((id, j) => {
        if (!known.has(id.toLowerCase())) {
          // Not an error: a payer account's bill covers linked accounts costwatch does not scan.
          out.push({ path: ['budgets', i, 'scope', 'accounts', j], message: `${id} is not among the configured clouds' scopes; only its billed cost can count` });
        }
      });
    });
  }
  if (policy.limits.maxActionsPerRun > policy.limits.maxActionsPerDay) {
    out.push({ path: ['limits', 'maxActionsPerRun'], message: `larger than maxActionsPerDay (${policy.limits.maxActionsPerDay}), which caps it anyway` });
  }
  return out;
}

/** Minutes past midnight of an `HH:MM` time. */
export function minutesOf(hhmmText: string): number {
  const [h, m] = hhmmText.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Day of week (0 = Monday) and minutes past midnight of an instant on a zone's wall clock. */
function wallClock(at: Date, timeZone: string): { day: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = WEEKDAYS.indexOf(String(parts['weekday']).toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
  return { day, minutes: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

/** The instant an `expires` value ends, in ms; undefined when it is not an ISO date. */
export function expiryInstant(s: string): number | undefined {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (dateOnly) {
    const [y, m, d] = dateOnly.slice(1).map(Number) as [number, number, number];
    const t = Date.UTC(y, m - 1, d);
    const back = new Date(t);
    // Date.UTC rolls 2025-02-30 over to March; a date that does not round-trip is a typo.
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined;
    return t + 86_400_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}
