import { KindRegistry, withGuardAction } from '../../kind.js';
import type { AzureMetricQuery } from '../metrics.js';
import { blobContainer } from './blob-container.js';
import { AZURE_CLUSTER_MIN_ZERO, computeCluster } from './compute-cluster.js';
import { AZURE_STOP_COMPUTE_INSTANCE, computeInstance } from './compute-instance.js';
import type { AzureKindContext, AzureKindModule } from './context.js';
import { AZURE_DELETE_DEPLOYMENTS, onlineEndpoint } from './online-endpoint.js';

/**
 * Every Azure resource kind costwatch watches, in the order they are listed and reported. Adding a
 * kind is one module in this folder plus one line here (and its actions in `shared/actions/azure.ts`).
 */
export const AZURE_KINDS: readonly AzureKindModule[] = [
  withGuardAction(onlineEndpoint, AZURE_DELETE_DEPLOYMENTS, 'azure.ml.guard-delete-online-deployments'),
  withGuardAction(computeInstance, AZURE_STOP_COMPUTE_INSTANCE, 'azure.ml.guard-stop-compute-instance'),
  withGuardAction(computeCluster, AZURE_CLUSTER_MIN_ZERO, 'azure.ml.guard-set-cluster-min-nodes-zero'),
  blobContainer,
];

/** The Azure kind registry the provider dispatches over. */
export function azureKindRegistry(modules: readonly AzureKindModule[] = AZURE_KINDS): KindRegistry<AzureKindContext, AzureMetricQuery> {
  return new KindRegistry('azure', modules);
}

export type { AzureKindContext, AzureKindModule } from './context.js';
