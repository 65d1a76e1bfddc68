import { googleFailure } from './errors.js';

/*
 * Retries of Google calls. Over the REST transport a throttled or failed call reaches us as an
 * HTTP error that google-gax's own retry (keyed on gRPC codes) does not recognise, so costwatch
 * retries here: RESOURCE_EXHAUSTED (429) and UNAVAILABLE (503) always (the request was not
 * carried out), INTERNAL, DEADLINE_EXCEEDED and dropped connections (ECONNRESET…) only for
 * reads, with exponential backoff and full jitter.
 */

/** Retry patience. */
export interface GcpRetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts?: number;
  /** First backoff ceiling in ms (default 250), doubled per attempt up to `maxDelayMs` (default 8000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Waits; injectable so tests need not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for jitter. */
  readonly random?: () => number;
}

const ALWAYS = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE']);
const READS_ONLY = new Set(['INTERNAL', 'DEADLINE_EXCEEDED']);
/** Connections dropped before an answer (a kept-alive socket the server closed): reads are sent again. */
const NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

function networkCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | undefined;
  for (const c of [e?.code, e?.cause?.code]) if (typeof c === 'string' && NETWORK.has(c)) return c;
  const m = typeof e?.message === 'string' ? /\b(ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN)\b/.exec(e.message) : null;
  // node-fetch words a reset kept-alive socket as "socket hang up" (gaxios: "request to … failed, reason: socket hang up").
  if (!m && typeof e?.message === 'string' && /\bsocket hang up\b/i.test(e.message)) return 'ECONNRESET';
  return m?.[1];
}

/** Runs `call`, retrying throttling and transient failures; `idempotent` reads also retry 500 and timeouts. */
export async function withRetry<T>(call: () => Promise<T>, idempotent: boolean, opts: GcpRetryOptions = {}): Promise<T> {
  const max = Math.max(1, opts.maxAttempts ?? 5);
  const base = opts.baseDelayMs ?? 250;
  const cap = opts.maxDelayMs ?? 8000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const status = googleFailure(err).status;
      const retryable = ALWAYS.has(status) || (idempotent && (READS_ONLY.has(status) || networkCode(err) !== undefined));
      if (!retryable || attempt >= max) throw err;
      await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }
}
