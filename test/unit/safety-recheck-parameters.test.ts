import { describe, expect, it } from 'vitest';
import { rechecked } from '../../shared/pipeline/execute.js';

/*
 * The parameters an approved action runs with after the re-check right before acting (DESIGN.md
 * "Safety invariants": re-check before acting). A number the re-check worked out higher wins (a
 * floor is never set below what the traffic needs now); a lower one never takes the action further
 * than the approver saw; a parameter the re-check no longer gives is dropped; and without a fresh
 * answer the approved parameters stand.
 */
describe('rechecked parameters', () => {
  it('keeps what was approved when the re-check gives no parameters', () => {
    expect(rechecked({ minCapacity: 2, variant: 'a' }, undefined)).toEqual({ minCapacity: 2, variant: 'a' });
  });

  it('raises a number to what the re-check needs now, never lowers it past the approval', () => {
    expect(rechecked({ minCapacity: 2 }, { minCapacity: 3 })).toEqual({ minCapacity: 3 });
    expect(rechecked({ minCapacity: 2 }, { minCapacity: 1 })).toEqual({ minCapacity: 2 });
  });

  it('keeps the approved text values, and drops a parameter the re-check no longer gives', () => {
    expect(rechecked({ variant: 'a', minCapacity: 2, other: 5 }, { variant: 'b', minCapacity: 2 })).toEqual({ variant: 'a', minCapacity: 2 });
    expect(rechecked({ minCapacity: 2 }, {})).toEqual({});
  });

  it('compares numbers only with numbers', () => {
    expect(rechecked({ minCapacity: 2 }, { minCapacity: 'x' })).toEqual({ minCapacity: 2 });
    expect(rechecked({ minCapacity: 'x' }, { minCapacity: 9 })).toEqual({ minCapacity: 'x' });
  });
});
