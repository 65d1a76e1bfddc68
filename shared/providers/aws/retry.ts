import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/** How patiently a collector retries throttled and failed calls. */
export interface RetryOptions {
  /** Attempts per call, the first included (default 10). */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff in ms (default 100; throttling waits 5× longer). */
  readonly baseDelayMs?: number;
  /** Longest single wait in ms (default 20,000). */
  readonly maxDelayMs?: number;
}

class Token implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/**
 * The collectors' retry strategy: exponential backoff with full jitter for throttling, transient
 * and 5xx errors, up to `maxAttempts`, with no shared retry budget. SageMaker's List/Describe
 * rate limits are low, so a scan of thousands of resources is throttled as a matter of course;
 * the SDK's standard strategy stops retrying once its shared token bucket runs dry, which turns
 * sustained throttling into collection failures. Client errors are never retried.
 */
export class CollectorRetryStrategy implements RetryStrategyV2 {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(opts: RetryOptions = {}, private readonly random: () => number = Math.random) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 10);
    this.baseDelayMs = Math.max(0, opts.baseDelayMs ?? 100);
    this.maxDelayMs = Math.max(0, opts.maxDelayMs ?? 20_000);
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const attempt = token.getRetryCount() + 1;
    if (errorInfo.errorType === 'CLIENT_ERROR' || attempt >= this.maxAttempts) throw errorInfo.error ?? new Error('no retry');
    const base = errorInfo.errorType === 'THROTTLING' ? this.baseDelayMs * 5 : this.baseDelayMs;
    let delay = this.random() * Math.min(this.maxDelayMs, base * 2 ** (attempt - 1));
    if (errorInfo.retryAfterHint instanceof Date) delay = Math.max(delay, Math.min(this.maxDelayMs, errorInfo.retryAfterHint.getTime() - Date.now()));
    return new Token(attempt, Math.round(delay));
  }

  recordSuccess(): void {}
}
