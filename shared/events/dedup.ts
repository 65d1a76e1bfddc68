import type { StateStore } from '../store/port.js';

/** How long a delivery holds an alert while sending it, unless told otherwise. */
export const DEFAULT_LEASE_MS = 60_000;

/** The result of claiming an alert. */
export type Claim =
  | { readonly state: 'claimed'; readonly leaseEnd: Date }
  | { readonly state: 'duplicate' }
  /** Another delivery holds the lease right now: retry later; never read as sent. */
  | { readonly state: 'in-flight' };

/**
 * Alert-once over `StateStore.markAlerted`, safe against the clouds' at-least-once, out-of-order
 * and concurrent deliveries, and losing nothing when sending fails.
 *
 * Two marks per key: `done:<key>` is set only after the alert was published, until the end of
 * its period; `lease:<key>` is held while one delivery publishes. `markAlerted(k, now, until)`
 * sets a mark unless an unexpired one exists, so:
 * - `markAlerted(k, now, now)` is a peek: it reports whether `k` is marked and leaves nothing
 *   that counts as a mark (a mark until `now` has expired at `now`);
 * - a lease is released by `markAlerted(lease, leaseEnd, now)`: as of its own end the lease has
 *   expired, so the write succeeds and leaves a mark that is already over — unless another
 *   delivery has taken the lease since (its end is later), which is then left alone.
 * A crash while holding a lease blocks the key for at most the lease; the crashed delivery's
 * retry then claims it. Keep the lease at least as long as the function's timeout.
 */
export class AlertDedup {
  constructor(
    private readonly store: StateStore,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  /** Claims `key` for sending: `duplicate` when it was already sent, `in-flight` when another delivery is sending it. */
  async claim(key: string, now: Date): Promise<Claim> {
    if (!(await this.store.markAlerted(done(key), now, now))) return { state: 'duplicate' };
    const leaseEnd = new Date(now.getTime() + this.leaseMs);
    if (!(await this.store.markAlerted(lease(key), now, leaseEnd))) return { state: 'in-flight' };
    // Checked again under the lease: a delivery that finished between the two calls has set `done`.
    if (!(await this.store.markAlerted(done(key), now, now))) {
      await this.release(key, leaseEnd, now);
      return { state: 'duplicate' };
    }
    return { state: 'claimed', leaseEnd };
  }

  /** Records that `key` was sent (until `until`) and frees its lease. */
  async confirm(key: string, leaseEnd: Date, now: Date, until: Date): Promise<void> {
    await this.store.markAlerted(done(key), now, until);
    await this.release(key, leaseEnd, now);
  }

  /** Frees the lease without recording a send, so a retry can send. */
  async release(key: string, leaseEnd: Date, now: Date): Promise<void> {
    await this.store.markAlerted(lease(key), leaseEnd, new Date(Math.min(now.getTime(), leaseEnd.getTime())));
  }
}

function done(key: string): string {
  return `done:${key}`;
}

function lease(key: string): string {
  return `lease:${key}`;
}
