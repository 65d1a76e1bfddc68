import type { SdkError } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { CollectorRetryStrategy } from '../../shared/providers/aws/retry.js';

describe('the collectors\' retry strategy', () => {
  it('retries throttling with exponential backoff up to maxAttempts, then gives up with the error', async () => {
    const s = new CollectorRetryStrategy({ maxAttempts: 4, baseDelayMs: 100 }, () => 1);
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }) as SdkError;
    let token = await s.acquireInitialRetryToken();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      token = await s.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error });
      delays.push(token.getRetryDelay());
    }

    // Throttling waits five times the base: 500, 1000, 2000 ms at most (full jitter; here the maximum).
    expect(delays).toEqual([500, 1000, 2000]);
    await expect(s.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', error })).rejects.toBe(error);
  });

  it('never retries a client error, and caps every wait', async () => {
    const s = new CollectorRetryStrategy({ maxAttempts: 20, baseDelayMs: 1000, maxDelayMs: 3000 }, () => 1);
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: {} }) as SdkError;
    const first = await s.acquireInitialRetryToken();

    await expect(s.refreshRetryTokenForRetry(first, { errorType: 'CLIENT_ERROR', error: denied })).rejects.toBe(denied);
    let token = first;
    for (let i = 0; i < 6; i++) token = await s.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR' });
    expect(token.getRetryDelay()).toBe(3000);
    expect(token.getRetryCount()).toBe(6);
  });
});
