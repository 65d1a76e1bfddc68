import { z } from 'zod';
import { timeProblem } from '../time.js';

/*
 * Small schema pieces the SageMaker / STS world sections share. They live apart from world.ts,
 * which imports the sections: importing runtime values back from world.ts would be circular.
 */

/** A world time: ISO with a zone, `now`, or an offset such as `-2h` (docs/world-file.md "Time"). */
export const worldTime = z
  .union([z.string(), z.date()])
  .transform((v) => (v instanceof Date ? v.toISOString() : v))
  .superRefine((v, ctx) => {
    const problem = timeProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A SageMaker resource name: letters, digits and hyphens, at most 63. */
export const sageMakerName = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'letters, digits and hyphens, at most 63, starting with a letter or digit');

/** An `ml.*` instance type. */
export const mlInstanceType = z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'an instance type looks like ml.g5.xlarge');

/** A tag map; numbers and booleans become strings. */
export const worldTags = z.record(z.string().min(1).max(128), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({});

/** A 12-digit account id; YAML numbers are accepted and stringified. */
export const worldAccountId = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML when it starts with 0)'));

/** Reports every name seen before (case-insensitively) at `path(index)`. */
export function reportDuplicateNames(
  names: readonly string[],
  ctx: z.RefinementCtx,
  path: (index: number) => (string | number)[],
  what: string,
): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    const key = n.toLowerCase();
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: path(i), message: `${what} "${n}" is declared twice in this region` });
    seen.add(key);
  });
}
