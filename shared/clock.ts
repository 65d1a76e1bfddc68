/** The time source; injected everywhere so tests and the sandbox world control "now". */
export interface Clock {
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at `at` (optionally advanced by tests). */
export function fixedClock(at: Date): Clock & { advance(ms: number): void } {
  let t = at.getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}
