import { ProviderError } from '../../../errors.js';
import { PUT_LIFECYCLE_RULE, S3_PREFIX_KIND } from '../../../rules/cold-artifacts.js';
import type { ColdArtifacts } from '../s3-artifacts.js';
import type { AwsKindContext, AwsKindModule } from './context.js';

/** Adds a storage-class transition rule to a bucket's lifecycle configuration; Undo restores the one it replaced. */
export const AWS_PUT_LIFECYCLE_RULE = PUT_LIFECYCLE_RULE;

/** The S3 side; only there when buckets are watched. */
function artifacts(ctx: AwsKindContext): ColdArtifacts {
  const a = ctx.coldArtifacts;
  if (!a) throw new ProviderError('no S3 buckets are watched (rules.cold-artifacts.buckets is empty)', { cloud: 'aws', operation: PUT_LIFECYCLE_RULE });
  return a;
}

/**
 * Watched S3 buckets and prefixes (`rules.cold-artifacts.buckets`), with the counts the
 * cold-artifacts rule judges. Listed once per account (ListBuckets is global; each bucket is read
 * in its own region), judged without usage series.
 */
export const s3Prefix: AwsKindModule = {
  kind: S3_PREFIX_KIND,
  inventoryOperation: 's3:ListBuckets/ListObjectsV2/GetBucketLifecycleConfiguration',
  listedPer: 'scope',
  async list(ctx, scope) {
    if (!ctx.coldArtifacts) return [];
    const { resources, failures } = await ctx.coldArtifacts.collect(scope, ctx.now);
    for (const f of failures) ctx.reportFailure(f);
    return resources;
  },
  describe: (ctx, ref) => artifacts(ctx).describe(ref, ctx.now),
  actions: [
    {
      id: AWS_PUT_LIFECYCLE_RULE,
      capture: (ctx, r) => artifacts(ctx).captureUndo(r),
      perform: (ctx, r) => artifacts(ctx).perform(r),
      undo: (ctx, ref, saved) => artifacts(ctx).undo(ref, saved),
    },
  ],
};
