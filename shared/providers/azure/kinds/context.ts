import type { ComputeResource, Workspace } from '@azure/arm-machinelearning';
import type { Lifecycle, Resource, Scope } from '../../../domain/resource.js';
import { ProviderError } from '../../../errors.js';
import type { KindModule } from '../../kind.js';
import type { CollectionFailure } from '../../port.js';
import type { BlobArtifactsSettings } from '../blob-artifacts.js';
import type { AzureClients } from '../clients.js';
import type { AzureMetricQuery } from '../metrics.js';

/** An Azure ML workspace as the kinds need it. */
export interface WorkspaceRef {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/** What the Azure provider hands its kind modules for one subscription and location. */
export interface AzureKindContext {
  readonly scope: Scope;
  /** The Azure location (region) being read. */
  readonly region: string;
  readonly clients: AzureClients;
  /** The subscription's workspaces (listed once per collection, shared by the kinds). */
  workspaces(): Promise<readonly WorkspaceRef[]>;
  /** The computes of a workspace (one Compute_List per workspace and collection, shared by the instance and cluster kinds). */
  computes(ws: WorkspaceRef): Promise<readonly ComputeResource[]>;
  readonly now: Date;
  /** The resource groups the policy narrows the subscription to; undefined: all of them. */
  readonly resourceGroups?: readonly string[];
  /** The cold-artifacts settings the blob containers are read and tiered with. */
  readonly blobSettings: BlobArtifactsSettings;
  readonly reportFailure: (failure: CollectionFailure) => void;
}

/** An Azure kind module: its usage queries are Azure Monitor metric queries. */
export type AzureKindModule = KindModule<AzureKindContext, AzureMetricQuery>;

/** Parts of an ARM id: `/subscriptions/s/resourceGroups/rg/providers/P/workspaces/ws/...`. */
export interface ArmIdParts {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspace: string;
  /** Name of the child under the workspace (endpoint or compute), when there is one. */
  readonly child?: string;
}

/** Reads an Azure ML resource id; throws a ProviderError for anything else. */
export function parseMlId(id: string): ArmIdParts {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)(?:\/(?:onlineEndpoints|computes)\/([^/]+))?/i.exec(id);
  if (!m) throw new ProviderError(`not an Azure Machine Learning resource id: ${id}`, { cloud: 'azure', resourceId: id });
  return { subscriptionId: m[1] ?? '', resourceGroup: m[2] ?? '', workspace: m[3] ?? '', ...(m[4] ? { child: m[4] } : {}) };
}

/** The workspace refs of ARM workspaces, skipping any without id, name or location. */
export function workspaceRefs(list: readonly Workspace[]): WorkspaceRef[] {
  const out: WorkspaceRef[] = [];
  for (const w of list) {
    if (!w.id || !w.name || !w.location) continue;
    out.push({ id: w.id, name: w.name, resourceGroup: parseMlId(w.id).resourceGroup, location: w.location.toLowerCase().replace(/\s+/g, '') });
  }
  return out;
}

/** Whether an ARM error is a 404. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** A ProviderError about one resource, with its place in Azure. */
export function resourceError(r: Pick<Resource, 'scope' | 'region' | 'id'>, message: string, operation?: string): ProviderError {
  return new ProviderError(message, { cloud: 'azure', scopeId: r.scope.id, region: r.region, resourceId: r.id, ...(operation ? { operation } : {}) });
}

/** ARM tags as a plain map. */
export function tagsOf(tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { ...(tags ?? {}) };
}

/** Azure's provisioning states in cloud-neutral terms. */
export function provisioningLifecycle(state: string | undefined): Lifecycle {
  switch (state) {
    case 'Succeeded':
      return 'running';
    case 'Creating':
    case 'Updating':
    case 'Scaling':
      return 'starting';
    case 'Deleting':
      return 'deleting';
    case 'Failed':
    case 'Canceled':
      return 'failed';
    default:
      return 'other';
  }
}

/** An ISO 8601 duration (PT30M, PT1H30M, P1D) in minutes; undefined when it is not one. */
export function isoMinutes(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text === 'PT') return undefined;
  return Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
}

/** Options of a long-running call: the factory's poll interval when it sets one. */
export function lroOptions(clients: AzureClients): { updateIntervalInMs?: number } {
  return clients.pollIntervalMs !== undefined ? { updateIntervalInMs: clients.pollIntervalMs } : {};
}
