import type { Finding } from '../domain/finding.js';
import type { Resource } from '../domain/resource.js';
import type { SavingsCloseReason, SavingsEntry } from '../domain/savings.js';
import { PRICE_USAGE_BY_KIND } from '../pipeline/price-resources.js';

/** A ledger entry a scan found no longer saving anything. */
export interface SavingsClose {
  readonly id: string;
  readonly at: Date;
  readonly reason: SavingsCloseReason;
  readonly detail: string;
}

/**
 * Which open ledger entries a scan proves over: a compute resource seen running again (started
 * again, or created again after the action — then closed at its creation time), or a resource the
 * same rule matches again (a storage change reverted). Only entries opened before the scan's
 * collection started are judged, since only they can be contradicted by what it read.
 */
export function savingsToClose(open: readonly SavingsEntry[], resources: ReadonlyMap<string, Resource>, findings: readonly Finding[], scanAt: Date): SavingsClose[] {
  const matchedAgain = new Set(findings.filter((f) => f.state === 'violation' && f.resource).map((f) => `${f.ruleId}\u0000${f.resource!.id}`));
  const out: SavingsClose[] = [];
  for (const e of open) {
    if (e.closedAt || e.openedAt >= scanAt) continue;
    const r = resources.get(e.resource.id);
    if (!r) continue;
    const billedHourly = PRICE_USAGE_BY_KIND[r.kind] !== undefined;
    if (billedHourly && (r.lifecycle === 'running' || r.lifecycle === 'starting')) {
      const created = r.createdAt && r.createdAt > e.openedAt && r.createdAt <= scanAt ? r.createdAt : undefined;
      if (created) {
        out.push({ id: e.id, at: created, reason: 'recreated', detail: `${r.name} was created again at ${created.toISOString()} (${r.state})` });
      } else {
        const modified = r.lastModifiedAt && r.lastModifiedAt > e.openedAt && r.lastModifiedAt <= scanAt ? r.lastModifiedAt : undefined;
        out.push({ id: e.id, at: modified ?? scanAt, reason: 'running-again', detail: `${r.name} found ${r.state} again${modified ? ` (last modified ${modified.toISOString()})` : ` by the scan at ${scanAt.toISOString()}`}` });
      }
    } else if (!billedHourly && matchedAgain.has(`${e.ruleId}\u0000${e.resource.id}`)) {
      out.push({ id: e.id, at: scanAt, reason: 'running-again', detail: `${e.ruleId} matches ${r.name} again at ${scanAt.toISOString()}: the change was reverted` });
    }
  }
  return out;
}
