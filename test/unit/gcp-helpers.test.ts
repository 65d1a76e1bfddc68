import { describe, expect, it } from 'vitest';
import { googleFailure } from '../../shared/providers/gcp/errors.js';
import { splitWithout } from '../../shared/providers/gcp/kinds/vertex-endpoint.js';
import { withRetry } from '../../shared/providers/gcp/retry.js';
import { alignmentSeconds } from '../../shared/providers/gcp/monitoring.js';

const gaxios = (status: number, body: unknown) => Object.assign(new Error(JSON.stringify(body)), { name: 'GaxiosError', status, response: { status, data: body } });

describe('googleFailure', () => {
  it('reads the canonical status from a REST error body, an HTTP status or a gRPC code', () => {
    expect(googleFailure(gaxios(429, { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } }))).toEqual({ status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' });
    expect(googleFailure(gaxios(503, 'upstream connect error')).status).toBe('UNAVAILABLE');
    expect(googleFailure(Object.assign(new Error('5 NOT_FOUND: gone'), { code: 5 }))).toEqual({ status: 'NOT_FOUND', message: 'gone' });
  });
});

describe('withRetry', () => {
  const opts = { sleep: () => Promise.resolve(), random: () => 0.5, maxAttempts: 4 };

  it('retries throttling for every call, and 500s only for reads', async () => {
    let n = 0;
    await expect(withRetry(async () => (++n < 3 ? Promise.reject(gaxios(429, { error: { status: 'RESOURCE_EXHAUSTED' } })) : 'ok'), false, opts)).resolves.toBe('ok');
    expect(n).toBe(3);
    n = 0;
    await expect(withRetry(async () => (++n, Promise.reject(gaxios(500, { error: { status: 'INTERNAL' } }))), false, opts)).rejects.toThrow();
    expect(n).toBe(1);
    n = 0;
    await expect(withRetry(async () => (++n, Promise.reject(gaxios(500, { error: { status: 'INTERNAL' } }))), true, opts)).rejects.toThrow();
    expect(n).toBe(4);
  });

  it('sends a read again after a dropped connection, never a write', async () => {
    const reset = () => Object.assign(new Error('request to http://x/v1/p failed, reason: read ECONNRESET'), { name: 'FetchError', code: 'ECONNRESET' });
    let n = 0;
    await expect(withRetry(async () => (++n < 2 ? Promise.reject(reset()) : 'ok'), true, opts)).resolves.toBe('ok');
    expect(n).toBe(2);
    n = 0;
    await expect(withRetry(async () => (++n, Promise.reject(reset())), false, opts)).rejects.toThrow(/ECONNRESET/);
    expect(n).toBe(1);
    // node-fetch's wording of a reset kept-alive socket, with no code on the error.
    const hangUp = () => Object.assign(new Error('request to http://x/v3/p failed, reason: socket hang up'), { name: 'FetchError' });
    n = 0;
    await expect(withRetry(async () => (++n < 3 ? Promise.reject(hangUp()) : 'ok'), true, opts)).resolves.toBe('ok');
    expect(n).toBe(3);
    n = 0;
    await expect(withRetry(async () => (++n, Promise.reject(hangUp())), false, opts)).rejects.toThrow(/socket hang up/);
    expect(n).toBe(1);
  });

  it('never retries a refusal', async () => {
    let n = 0;
    await expect(withRetry(async () => (++n, Promise.reject(gaxios(403, { error: { status: 'PERMISSION_DENIED' } }))), true, opts)).rejects.toThrow();
    expect(n).toBe(1);
  });
});

describe('splitWithout', () => {
  it('scales the remaining shares to 100, splits evenly when none had traffic, and empties the split when none remain', () => {
    expect(splitWithout({ a: 50, b: 30, c: 20 }, new Set(['a']), ['b', 'c'])).toEqual({ b: 60, c: 40 });
    expect(splitWithout({ a: 100 }, new Set(['a']), ['b', 'c', 'd'])).toEqual({ b: 33, c: 33, d: 34 });
    expect(splitWithout({ a: 100 }, new Set(['a']), [])).toEqual({});
  });
});

describe('alignmentSeconds', () => {
  it('is an hour up to 14 days of look-back, longer beyond', () => {
    expect(alignmentSeconds(336)).toBe(3600);
    expect(alignmentSeconds(24 * 30)).toBe(3 * 3600);
  });
});
