/**
 * Invariant 7 across parallel scans (DESIGN.md, "Safety invariants"): each automatic action about
 * to run takes one of the UTC day's slots from the store; without one it goes to approval. Only
 * automatic actions use slots: a proposal waiting for a person must never use up the day's
 * automatic actions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionStatus, Mode, ProposedAction } from '../../shared/domain/action.js';
import { holdToDailyLimit } from '../../shared/pipeline/daily-limit.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const now = new Date('2026-11-28T23:30:00Z');
const DAY = '2026-11-28';

function proposal(name: string, mode: Mode, status: ActionStatus = 'proposed'): ProposedAction {
  const id = `arn:aws:sagemaker:us-east-1:111111111111:endpoint/${name}`;
  const key = `aws.sagemaker.delete-endpoint:${id}`;
  return {
    id: `${key}@2026-11-28T23:00:00.000Z`,
    key,
    kind: 'aws.sagemaker.delete-endpoint',
    findingId: `idle-endpoint:${id}`,
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id, name },
    mode,
    parameters: {},
    reversible: true,
    status,
    createdAt: new Date('2026-11-28T23:00:00Z'),
    expiresAt: new Date('2026-12-01T23:00:00Z'),
  };
}

const modes = (ps: readonly ProposedAction[]) => Object.fromEntries(ps.map((p) => [p.resource.name, p.mode]));

describe('safety: the day’s automatic-action slots (invariant 7)', () => {
  let store: StateStore;
  beforeEach(async () => {
    store = await openMemoryStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('lets proposals waiting for approval leave every slot to the automatic actions', async () => {
    const ps = [proposal('wait-1', 'approve'), proposal('wait-2', 'approve'), proposal('auto-1', 'auto'), proposal('auto-2', 'auto')];

    const out = await holdToDailyLimit(ps, store, now, 2);

    expect(modes(out)).toEqual({ 'wait-1': 'approve', 'wait-2': 'approve', 'auto-1': 'auto', 'auto-2': 'auto' });
    expect(await store.reserveDailyActions(DAY, 1, 2)).toBe(0);
  });

  it('takes no slot for an automatic proposal that is no longer waiting to run', async () => {
    const ps = [proposal('running', 'auto', 'executing'), proposal('decided', 'auto', 'approved'), proposal('fresh', 'auto')];

    const out = await holdToDailyLimit(ps, store, now, 1);

    expect(modes(out)).toEqual({ running: 'auto', decided: 'auto', fresh: 'auto' });
    expect(await store.reserveDailyActions(DAY, 1, 1)).toBe(0);
  });

  it('sends to approval, with the reason, the automatic actions left without a slot, in the planner’s order', async () => {
    expect(await store.reserveDailyActions(DAY, 1, 3)).toBe(1);
    const ps = [proposal('biggest', 'auto'), proposal('wait', 'approve'), proposal('second', 'auto'), proposal('third', 'auto')];

    const out = await holdToDailyLimit(ps, store, now, 3);

    expect(out.map((p) => p.resource.name)).toEqual(['biggest', 'wait', 'second', 'third']);
    expect(modes(out)).toEqual({ biggest: 'auto', wait: 'approve', second: 'auto', third: 'approve' });
    expect(out[3]?.modeReason).toBe('over maxActionsPerDay (3)');
    expect(out[0]).toBe(ps[0]);
    expect(out[1]).not.toHaveProperty('modeReason');
  });

  it('counts slots per UTC day', async () => {
    expect(await store.reserveDailyActions('2026-11-27', 2, 2)).toBe(2);

    const out = await holdToDailyLimit([proposal('a', 'auto'), proposal('b', 'auto'), proposal('c', 'auto')], store, now, 2);

    expect(modes(out)).toEqual({ a: 'auto', b: 'auto', c: 'approve' });
  });

  it('never asks the store when no automatic action is about to run', async () => {
    const refusing = { reserveDailyActions: () => Promise.reject(new Error('store unreachable')) } as unknown as StateStore;
    const ps = [proposal('wait', 'approve')];

    const out = await holdToDailyLimit(ps, refusing, now, 0);

    expect(out).toEqual(ps);
    expect(out).not.toBe(ps);
  });
});
