import { describe, expect, it } from 'vitest';
import { clientOf, lazy } from '../../shared/providers/aws/sdk.js';

/*
 * The AWS provider makes each SDK client (and loads its package) on first use: one promise for
 * every caller, and a failure not kept, so the next call tries again.
 */
describe('lazy', () => {
  it('makes the value once, on the first call, for every caller', async () => {
    let made = 0;
    const get = lazy(async () => ({ n: ++made }));
    expect(made).toBe(0);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(made).toBe(1);
  });

  it('does not keep a failure: the next call tries again', async () => {
    let attempts = 0;
    const get = lazy(async () => {
      attempts++;
      if (attempts === 1) throw new Error('cannot load');
      return 'client';
    });
    await expect(get()).rejects.toThrow('cannot load');
    expect(await get()).toBe('client');
    expect(attempts).toBe(2);
  });
});

describe('clientOf', () => {
  it('takes a client as it is, or makes it from its maker', async () => {
    const client = { send: () => undefined };
    expect(await clientOf(client)).toBe(client);
    expect(await clientOf(async () => client)).toBe(client);
  });
});
