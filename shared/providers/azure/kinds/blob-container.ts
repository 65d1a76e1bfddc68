import { BLOB_CONTAINER_KIND, PUT_MANAGEMENT_POLICY_RULE, SET_BLOB_TIER } from '../../../rules/cold-artifacts.js';
import { BlobArtifacts } from '../blob-artifacts.js';
import type { AzureKindContext, AzureKindModule } from './context.js';

/** The blob side of a context (storage accounts are read with the policy's cold-artifacts settings). */
function blobs(ctx: AzureKindContext): BlobArtifacts {
  return new BlobArtifacts(ctx.clients, ctx.blobSettings);
}

/**
 * The blob containers of every storage account (general-purpose v2 and Blob storage) of a
 * subscription, with the counts the cold-artifacts rule judges. Listed once per subscription
 * (storage accounts are listed across locations; each container carries its account's location),
 * judged without usage series.
 */
export const blobContainer: AzureKindModule = {
  kind: BLOB_CONTAINER_KIND,
  inventoryOperation: 'storage:StorageAccounts_List/ManagementPolicies_Get/blob:ListContainers/ListBlobs',
  listedPer: 'scope',
  async list(ctx, scope) {
    const { resources, failures } = await blobs(ctx).collect(scope, ctx.now, ctx.resourceGroups);
    for (const f of failures) ctx.reportFailure(f);
    return resources;
  },
  describe: (ctx, ref) => blobs(ctx).describe(ref, ctx.now),
  actions: [
    {
      id: PUT_MANAGEMENT_POLICY_RULE,
      capture: (ctx, r) => blobs(ctx).capturePolicy(r),
      perform: (ctx, r) => blobs(ctx).performPolicy(r),
      undo: (ctx, ref, saved) => blobs(ctx).undoPolicy(ref, saved),
    },
    {
      id: SET_BLOB_TIER,
      precondition: (r) => BlobArtifacts.tierPrecondition(r),
      capture: (ctx, r) => blobs(ctx).captureTier(r),
      perform: (ctx, r, parameters) => blobs(ctx).performTier(r, parameters),
      undo: (ctx, ref, saved) => blobs(ctx).undoTier(ref, saved),
    },
  ],
};
