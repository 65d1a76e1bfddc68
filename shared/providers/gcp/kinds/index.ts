import { KindRegistry, withGuardAction } from '../../kind.js';
import type { GcpCtx, GcpKind, GcpMetricQuery } from '../context.js';
import { billingProjectKind } from './billing-project.js';
import { CANCEL_CUSTOM_JOB, customJobKind, finishedCustomJobKind } from './custom-job.js';
import { storageBucketKind } from './storage-bucket.js';
import { UNDEPLOY_MODELS, vertexEndpointKind } from './vertex-endpoint.js';
import { STOP_WORKBENCH, workbenchInstanceKind } from './workbench-instance.js';

/** Every Google Cloud resource kind, explicitly listed: adding a kind is one file and one line here. */
export const GCP_KINDS: readonly GcpKind[] = [
  withGuardAction(vertexEndpointKind, UNDEPLOY_MODELS, 'gcp.vertex.guard-undeploy-models'),
  withGuardAction(workbenchInstanceKind, STOP_WORKBENCH, 'gcp.workbench.guard-stop-instance'),
  withGuardAction(customJobKind, CANCEL_CUSTOM_JOB, 'gcp.vertex.guard-cancel-custom-job'),
  storageBucketKind,
  billingProjectKind,
  finishedCustomJobKind,
];

/** The Google Cloud kinds, looked up by kind and action id. */
export function gcpKindRegistry(): KindRegistry<GcpCtx, GcpMetricQuery> {
  return new KindRegistry<GcpCtx, GcpMetricQuery>('gcp', GCP_KINDS);
}
