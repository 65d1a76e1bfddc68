import { z } from 'zod';
import { PolicySchema } from '../config/schema.js';

/**
 * A world's `policy`: costwatch.yml content (any top-level key but `version`) that a scan of
 * this world uses when no costwatch.yml is given, so `npm start` shows budgets and watched
 * buckets. The scopes come from the world's accounts and projects; `clouds.aws` may add
 * `costAllocationTags`, `clouds.gcp` its billing settings (billingAccount, billingExport…).
 */
export const worldPolicySchema = z
  .record(z.string(), z.unknown())
  .superRefine((p, ctx) => {
    if ('version' in p) ctx.addIssue({ code: 'custom', path: ['version'], message: 'the world policy takes its version from costwatch; leave version out' });
    const aws = (p['clouds'] as { aws?: Record<string, unknown> } | undefined)?.aws;
    const gcp = (p['clouds'] as { gcp?: Record<string, unknown> } | undefined)?.gcp;
    const accounts = [{ id: '000000000000', regions: ['us-east-1'] }];
    // Google Cloud settings (billing export, billing account) are checked with a stand-in project: the world's projects are the scopes.
    const projects = [{ id: 'world-project' }];
    const checked = PolicySchema.safeParse({ ...p, version: 1, clouds: { ...(p['clouds'] as object | undefined), aws: { ...aws, accounts }, ...(gcp ? { gcp: { ...gcp, projects } } : {}) } });
    if (checked.success) return;
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path.filter((k): k is string | number => typeof k !== 'symbol'), message: issue.message });
  })
  .optional();

/** A world's policy, as written. */
export type WorldPolicy = z.output<typeof worldPolicySchema>;
