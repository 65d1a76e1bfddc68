import { KindRegistry } from '../../kind.js';
import type { GcpCtx, GcpKind, GcpMetricQuery } from '../context.js';
import { billingProjectKind } from './billing-project.js';
import { customJobKind } from './custom-job.js';
import { storageBucketKind } from './storage-bucket.js';
import { vertexEndpointKind } from './vertex-endpoint.js';
import { workbenchInstanceKind } from './workbench-instance.js';

/** Every Google Cloud resource kind, explicitly listed: adding a kind is one file and one line here. */
export const GCP_KINDS: readonly GcpKind[] = [vertexEndpointKind, workbenchInstanceKind, customJobKind, storageBucketKind, billingProjectKind];

/** The Google Cloud kinds, looked up by kind and action id. */
export function gcpKindRegistry(): KindRegistry<GcpCtx, GcpMetricQuery> {
  return new KindRegistry<GcpCtx, GcpMetricQuery>('gcp', GCP_KINDS);
}
