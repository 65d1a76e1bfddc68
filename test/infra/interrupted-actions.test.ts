import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/function-table.js';
import { INTERRUPTED_AFTER_MINUTES } from '../../shared/pipeline/execute.js';

/*
 * A proposal left `executing` is taken over by another executor only after
 * INTERRUPTED_AFTER_MINUTES. That is safe only while no function can still be running the action
 * by then: every function's timeout must end before it, or an action could run twice.
 */
describe('taking over interrupted actions', () => {
  it('waits longer than any deployed function may run', () => {
    for (const f of FUNCTIONS) expect(f.timeoutSeconds, f.name).toBeLessThan(INTERRUPTED_AFTER_MINUTES * 60);
  });
});
