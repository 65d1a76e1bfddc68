import type { ProposedAction } from '../domain/action.js';
import { findingId, type Finding } from '../domain/finding.js';
import type { Resource } from '../domain/resource.js';
import type { RuleResult } from '../rules/types.js';
import type { UsageWatermark, WatermarkDue } from '../store/port.js';
import type { ActiveRule } from './detect.js';

/** How often a flagged resource (a proposal awaits its decision) has its usage read again, until it is acted on or recovers. */
export const FLAGGED_RECHECK_HOURS = 24;

/** Whether a rule reads usage series (a rule that names no signals reads them all). */
export function readsUsage(active: ActiveRule): boolean {
  return active.rule.signals === undefined || active.rule.signals.length > 0;
}

/** The watermark key of a resource's scope. */
export function scopeKey(r: Pick<Resource, 'cloud' | 'scope'>): string {
  return `${r.cloud}:${r.scope.id}`;
}

/**
 * The activity watermarks of one scan: which running resources' usage is due, and why a rule is
 * not judged on one that is not. A resource is due when any usage-reading rule of its kind has
 * no watermark on it or its watermark has passed; when it is due, every rule judges it on fresh
 * usage. A resource re-created under the same id (another creation time) is always due.
 */
export class Watermarks {
  private readonly byId: Map<string, UsageWatermark>;

  constructor(
    marks: readonly UsageWatermark[],
    private readonly rules: readonly ActiveRule[],
    private readonly now: Date,
  ) {
    this.byId = new Map(marks.map((m) => [m.resourceId, m]));
  }

  /** Whether the resource's usage is read this scan. */
  due(r: Resource): boolean {
    if (r.lifecycle !== 'running') return true;
    const mark = this.markOf(r);
    if (!mark) return true;
    const usageRules = this.usageRulesOf(r);
    return usageRules.length === 0 || usageRules.some((a) => this.ruleDue(r, a, mark));
  }

  /** Why `ruleId` does not judge the resource this scan (its usage was not read), or undefined when it does. */
  notJudged(r: Resource, ruleId: string): string | undefined {
    if (this.due(r)) return undefined;
    const active = this.rules.find((a) => a.rule.id === ruleId);
    // A rule that cannot judge the resource as configured needs no usage: it is evaluated (and says why not).
    if (!active || !readsUsage(active) || active.rule.judges?.(r) === false) return undefined;
    const d = this.markOf(r)?.due[ruleId];
    return `usage not read this scan (activity watermark): ${d?.why ?? 'not due'}; next read due ${d ? d.at.toISOString() : 'at the next scan'}`;
  }

  /**
   * The violation `ruleId` found when it last read the usage of a flagged resource that is not
   * re-read this scan, as it was found (its `detectedAt` is when its usage was read), with a line
   * of evidence saying so; undefined when the resource is read this scan or was not flagged.
   */
  carried(r: Resource, ruleId: string): Finding | undefined {
    if (this.due(r)) return undefined;
    const d = this.markOf(r)?.due[ruleId];
    if (!d?.finding || d.finding.state !== 'violation' || d.finding.id !== findingId(ruleId, r.id)) return undefined;
    return {
      ...d.finding,
      evidence: [
        ...d.finding.evidence,
        `verdict of ${d.finding.detectedAt.toISOString()}, from usage read then; not re-read this scan (activity watermark: flagged, its proposal awaits a decision); next read due ${d.at.toISOString()}, and always right before acting`,
      ],
    };
  }

  /**
   * The watermarks to write after judging the resources whose usage was read: per usage-reading
   * rule, its `activeUntil` when it found the resource busy, or now + FLAGGED_RECHECK_HOURS when it
   * found a violation that awaits a decision (an open proposal), keeping that violation (from
   * `findings`, by finding id) so the scans that skip the resource still report it. The watermarks of rules this scan
   * does not run are kept as they were. Only the ones that changed are returned.
   */
  next(
    resources: readonly Resource[],
    results: ReadonlyMap<string, ReadonlyMap<string, RuleResult>>,
    open: readonly ProposedAction[],
    flaggedRecheckHours = FLAGGED_RECHECK_HOURS,
    findings: ReadonlyMap<string, Finding> = new Map(),
  ): UsageWatermark[] {
    const awaiting = new Set(open.filter((p) => p.status === 'proposed' || p.status === 'approved').map((p) => `${p.ruleId}\u0000${p.resource.id}`));
    const out: UsageWatermark[] = [];
    for (const r of resources) {
      if (r.lifecycle !== 'running' || !this.due(r)) continue;
      // Rules this scan does not run (another schedule's) keep their watermarks.
      const running = new Set(this.rules.map((a) => a.rule.id));
      const due: Record<string, WatermarkDue> = Object.fromEntries(Object.entries(this.markOf(r)?.due ?? {}).filter(([rule]) => !running.has(rule)));
      for (const a of this.usageRulesOf(r)) {
        const result = results.get(r.id)?.get(a.rule.id);
        const basis = a.rule.basis ? { basis: a.rule.basis(r) } : {};
        if (result?.state === 'ok' && result.activeUntil && result.activeUntil > this.now) {
          due[a.rule.id] = { at: result.activeUntil, why: `active: ${a.rule.id} cannot find it in violation before ${result.activeUntil.toISOString()} (its last activity + the rule's window)`, ...basis };
        } else if (result?.state === 'violation' && awaiting.has(`${a.rule.id}\u0000${r.id}`)) {
          const at = new Date(this.now.getTime() + flaggedRecheckHours * 3600_000);
          const finding = findings.get(findingId(a.rule.id, r.id));
          due[a.rule.id] = {
            at,
            why: `flagged ${this.now.toISOString()}, its proposal awaits a decision: re-read every ${flaggedRecheckHours} h until acted on or recovered, and always right before acting`,
            ...(finding?.state === 'violation' ? { finding } : {}),
            ...basis,
          };
        }
      }
      const previous = this.byId.get(r.id);
      if (!previous && Object.keys(due).length === 0) continue;
      if (previous && sameDue(previous.due, due) && sameTime(previous.createdAt, r.createdAt)) continue;
      out.push({ scope: scopeKey(r), resourceId: r.id, ...(r.createdAt ? { createdAt: r.createdAt } : {}), due, updatedAt: this.now });
    }
    return out;
  }

  /** Whether `a` needs the resource's usage now: no watermark of its own, one passed, or one set on another basis (the resource was reconfigured). */
  private ruleDue(r: Resource, a: ActiveRule, mark: UsageWatermark): boolean {
    const d = mark.due[a.rule.id];
    if (!d || d.at.getTime() <= this.now.getTime()) return true;
    return a.rule.basis !== undefined && d.basis !== a.rule.basis(r);
  }

  private markOf(r: Resource): UsageWatermark | undefined {
    const m = this.byId.get(r.id);
    return m && sameTime(m.createdAt, r.createdAt) ? m : undefined;
  }

  private usageRulesOf(r: Resource): ActiveRule[] {
    return this.rules.filter((a) => a.rule.kinds.includes(r.kind) && readsUsage(a) && (a.rule.judges?.(r) ?? true));
  }
}

function sameTime(a: Date | undefined, b: Date | undefined): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

function sameDue(a: UsageWatermark['due'], b: UsageWatermark['due']): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k]!.at.getTime() === b[k]!.at.getTime() && a[k]!.basis === b[k]!.basis);
}
