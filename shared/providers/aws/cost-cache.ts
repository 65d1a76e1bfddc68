import type { StateStore } from '../../store/port.js';

/** The part of the state store that caches paid reads. */
export type CostCache = Pick<StateStore, 'getCached' | 'putCached'>;

/** The next UTC midnight after `now`: a day's reads are cached until the day ends. */
export function endOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/**
 * Returns the cached value of `key`, or reads, caches and returns it. The cache is an
 * optimisation: a cache that cannot be read or written never fails the read itself.
 */
export async function cachedRead<T>(
  cache: CostCache | undefined,
  key: string,
  now: Date,
  expiresAt: Date,
  read: () => Promise<T>,
  codec: { encode(value: T): unknown; decode(raw: unknown): T },
): Promise<T> {
  if (cache) {
    let raw: unknown;
    try {
      raw = await cache.getCached(key, now);
    } catch {
      raw = undefined;
    }
    if (raw !== undefined) {
      try {
        return codec.decode(raw);
      } catch {
        // A value written by another version of costwatch: read afresh.
      }
    }
  }
  const value = await read();
  if (cache) {
    try {
      await cache.putCached(key, codec.encode(value), expiresAt);
    } catch {
      // Too large for one item, or the store is unavailable: the next scan reads again.
    }
  }
  return value;
}
