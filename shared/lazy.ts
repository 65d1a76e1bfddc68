/*
 * Things made on first use, for modules and clients a function may never need: one promise for
 * every caller, and a failure is not kept, so the next call tries again.
 */

/** Something made on first use: the same promise for every caller; a failure is not kept. */
export type Lazy<T> = () => Promise<T>;

/** Memoizes `make`: one promise for every caller until one fails, then the next call tries again. */
export function lazy<T>(make: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const p = make();
      pending = p;
      p.catch(() => {
        if (pending === p) pending = undefined;
      });
    }
    return pending;
  };
}
