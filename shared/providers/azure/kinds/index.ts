import { KindRegistry } from '../../kind.js';
import type { AzureMetricQuery } from '../metrics.js';
import { blobContainer } from './blob-container.js';
import { computeCluster } from './compute-cluster.js';
import { computeInstance } from './compute-instance.js';
import type { AzureKindContext, AzureKindModule } from './context.js';
import { onlineEndpoint } from './online-endpoint.js';

/**
 * Every Azure resource kind costwatch watches, in the order they are listed and reported. Adding a
 * kind is one module in this folder plus one line here (and its actions in `shared/actions/azure.ts`).
 */
export const AZURE_KINDS: readonly AzureKindModule[] = [onlineEndpoint, computeInstance, computeCluster, blobContainer];

/** The Azure kind registry the provider dispatches over. */
export function azureKindRegistry(modules: readonly AzureKindModule[] = AZURE_KINDS): KindRegistry<AzureKindContext, AzureMetricQuery> {
  return new KindRegistry('azure', modules);
}

export type { AzureKindContext, AzureKindModule } from './context.js';
