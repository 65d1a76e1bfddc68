import type { Mode, ProposedAction } from '../domain/action.js';
import { actionKey, proposalId } from '../domain/action.js';
import type { Finding } from '../domain/finding.js';
import type { Money } from '../domain/money.js';
import type { Resource } from '../domain/resource.js';
import { refOf } from '../domain/resource.js';
import { actionDefinition } from '../actions/index.js';

/** A configured exemption, already filtered to those in force. */
export interface Exemption {
  readonly tags?: Readonly<Record<string, string>>;
  readonly resourceIds?: readonly string[];
  /** Glob patterns over resource names (`*` and `?`). */
  readonly names?: readonly string[];
  readonly reason: string;
}

/** The parts of the policy the planner reads. */
export interface PlannerPolicy {
  modeOf(ruleId: string): Mode;
  /** A resource whose tag with this key is "true" is never acted on. */
  readonly exemptTagKey: string;
  readonly exemptions: readonly Exemption[];
  inQuietHours(at: Date): boolean;
  readonly limits: {
    readonly maxActionsPerRun: number;
    readonly maxActionsPerDay: number;
    readonly maxAutoMonthlyImpact: Money;
  };
  /** How long a proposal waits for a decision. */
  readonly proposalTtlHours: number;
  /** For a guard rule, the hours its `auto` proposals wait for an answer before acting (`launchGuard.graceHours`). */
  graceHoursOf?(ruleId: string): number | undefined;
  /** Why the policy keeps an action kind out of `auto` mode (e.g. unlinking billing without `allowDisableBilling`); undefined when it does not. */
  autoRefused?(actionKind: string): string | undefined;
}

/** What the store says that the planner must honour. */
export interface PlannerState {
  /** Open proposals by key (`<actionKind>:<resource id>`). */
  readonly openProposals: ReadonlyMap<string, ProposedAction>;
  readonly snoozedUntil: ReadonlyMap<string, Date>;
  /** Exemptions added from chat, by resource id. */
  readonly chatExemptions: ReadonlyMap<string, string>;
  /** Actions already executed today (UTC), counted against maxActionsPerDay. */
  readonly executedToday: number;
  /**
   * Guard actions already answered, by key: kept, executed or undone. A guard asks once per
   * resource, so these are never proposed again. Absent: none.
   */
  readonly settled?: ReadonlyMap<string, string>;
}

/** Why a violation gets no proposal. */
export interface Skip {
  readonly findingId: string;
  readonly reason: string;
}

export interface Plan {
  /** New or refreshed proposals; `auto` ones are to be executed now. */
  readonly proposals: readonly ProposedAction[];
  readonly skipped: readonly Skip[];
}

/**
 * Findings → proposed actions. Pure: modes, exemptions, snoozes, quiet hours, confidence and
 * blast-radius limits decide what is proposed and what may run without a person.
 */
export function plan(input: {
  findings: readonly Finding[];
  resources: ReadonlyMap<string, Resource>;
  actionKindFor: (ruleId: string, resourceKind: string) => string | undefined;
  policy: PlannerPolicy;
  state: PlannerState;
  now: Date;
}): Plan {
  const { policy, state, now } = input;
  const proposals: ProposedAction[] = [];
  const skipped: Skip[] = [];
  let autoCount = 0;
  let autoImpact = 0;
  const quiet = policy.inQuietHours(now);
  const ordered = [...input.findings].sort((a, b) => (b.waste?.monthly.amount ?? 0) - (a.waste?.monthly.amount ?? 0) || a.id.localeCompare(b.id));

  for (const f of ordered) {
    if (f.state !== 'violation' || !f.resource) continue;
    const resource = input.resources.get(f.resource.id);
    if (!resource) continue;
    const ruleMode = policy.modeOf(f.ruleId);
    if (f.notifyOnly) {
      skipped.push({ findingId: f.id, reason: `notify only: ${f.notifyOnly}` });
      continue;
    }
    if (ruleMode === 'notify') {
      skipped.push({ findingId: f.id, reason: `rule ${f.ruleId} is in notify mode` });
      continue;
    }
    const exempt = exemptionOf(resource, policy, state);
    if (exempt) {
      skipped.push({ findingId: f.id, reason: `exempt: ${exempt}` });
      continue;
    }
    const snoozed = state.snoozedUntil.get(resource.id);
    if (snoozed && snoozed > now) {
      skipped.push({ findingId: f.id, reason: `snoozed until ${snoozed.toISOString()}` });
      continue;
    }
    const kind = input.actionKindFor(f.ruleId, resource.kind);
    if (!kind) {
      skipped.push({ findingId: f.id, reason: `no action for ${resource.kind}` });
      continue;
    }
    const def = actionDefinition(kind);
    const key = actionKey(kind, resource.id);
    const existing = state.openProposals.get(key);
    const settled = def.guard ? state.settled?.get(key) : undefined;
    if (settled && !existing) {
      skipped.push({ findingId: f.id, reason: `already answered: ${settled}` });
      continue;
    }

    let mode: Mode = ruleMode;
    let modeReason: string | undefined;
    const saving = f.waste?.monthly;
    if (mode === 'auto') {
      const limits = policy.limits;
      // What the action saves in the limit's currency; undefined when that is not known.
      const impact = saving && saving.currency === limits.maxAutoMonthlyImpact.currency ? saving.amount : undefined;
      const refused = policy.autoRefused?.(kind);
      const why = refused
        ? refused
        : !def.autoAllowed
        ? `${def.label} is not reversible: approval required`
        : f.confidence !== 'high'
          ? `${f.confidence ?? 'unknown'} confidence: approval required`
          : quiet
            ? 'quiet hours: no automatic action while nobody is around to undo it'
            : autoCount + 1 > limits.maxActionsPerRun
              ? `over maxActionsPerRun (${limits.maxActionsPerRun})`
              : state.executedToday + autoCount + 1 > limits.maxActionsPerDay
                ? overDailyLimit(limits.maxActionsPerDay)
                : impact === undefined
                  ? 'monthly impact unknown in the limit currency: approval required'
                  : autoImpact + impact > limits.maxAutoMonthlyImpact.amount
                    ? `over maxAutoMonthlyImpact (${limits.maxAutoMonthlyImpact.amount} ${limits.maxAutoMonthlyImpact.currency})`
                    : undefined;
      if (why) {
        mode = 'approve';
        modeReason = why;
      } else {
        autoCount += 1;
        autoImpact += impact ?? 0;
      }
    }
    const createdAt = existing?.createdAt ?? now;
    // A guard in auto mode asks first: it acts only if nobody has answered by its due time.
    const grace = mode === 'auto' && def.guard ? policy.graceHoursOf?.(f.ruleId) : undefined;
    const dueAt = grace !== undefined ? (existing?.dueAt ?? new Date(createdAt.getTime() + grace * 3600_000)) : undefined;
    proposals.push({
      id: existing?.id ?? proposalId(key, createdAt),
      key,
      kind,
      findingId: f.id,
      ruleId: f.ruleId,
      resource: refOf(resource),
      mode,
      ...(modeReason ? { modeReason } : {}),
      parameters: f.parameters ?? {},
      reversible: def.reversible,
      ...(saving ? { monthlySaving: saving } : {}),
      status: existing?.status ?? 'proposed',
      createdAt,
      expiresAt: existing?.expiresAt ?? new Date(now.getTime() + policy.proposalTtlHours * 3600_000),
      ...(dueAt ? { dueAt } : {}),
    });
  }
  return { proposals, skipped };
}

/** Why an `auto` action goes to approval once the day's automatic actions are used up. */
export function overDailyLimit(maxActionsPerDay: number): string {
  return `over maxActionsPerDay (${maxActionsPerDay})`;
}

/** The reason a resource is exempt, or undefined. */
export function exemptionOf(resource: Resource, policy: PlannerPolicy, state: Pick<PlannerState, 'chatExemptions'>): string | undefined {
  if (resource.tags[policy.exemptTagKey]?.toLowerCase() === 'true') return `tag ${policy.exemptTagKey}=true`;
  const chat = state.chatExemptions.get(resource.id);
  if (chat !== undefined) return chat;
  for (const e of policy.exemptions) {
    if (e.resourceIds?.includes(resource.id) || e.resourceIds?.includes(resource.name)) return e.reason;
    if (e.names?.some((g) => globMatch(g, resource.name))) return e.reason;
    if (e.tags && Object.keys(e.tags).length > 0 && Object.entries(e.tags).every(([k, v]) => resource.tags[k] === v)) return e.reason;
  }
  return undefined;
}

function globMatch(glob: string, s: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}
