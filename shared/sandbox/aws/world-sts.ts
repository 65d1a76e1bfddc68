import { z } from 'zod';
import { worldAccountId } from './world-common.js';

/* World-file section `aws.accounts[].roles` (docs/world-file.md "Roles for cross-account access"). */

const roleSchema = z.strictObject({
  name: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'an IAM role name (the name, not the ARN)'),
  /** When set, AssumeRole must pass exactly this ExternalId. */
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2–1224 characters of A–Z a–z 0–9 +=,.@:/-').optional(),
  /** Accounts whose principals may assume the role; default any. */
  trustedAccounts: z.array(worldAccountId).min(1).optional(),
});

/** `aws.accounts[].roles`: roles a scanner may assume into this account. */
export const rolesSchema = z
  .array(roleSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `role "${r.name}" is declared twice in this account` });
      seen.add(r.name);
    });
  });

/** A role as declared. */
export type RoleSpec = z.output<typeof rolesSchema>[number];
