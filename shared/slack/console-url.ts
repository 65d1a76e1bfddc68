import type { Cloud, ResourceRef } from '../domain/resource.js';

/**
 * The console host of an AWS region: the commercial partition answers on per-region hosts, China
 * on amazonaws.cn, GovCloud on one host for both regions.
 */
function awsConsoleBase(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

const enc = encodeURIComponent;

/** The last path segment of a resource id (`projects/p/locations/l/endpoints/123` → `123`). */
function lastSegment(id: string): string {
  const parts = id.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? id;
}

/** SageMaker console fragments per resource type. */
const SAGEMAKER_PAGES: Readonly<Record<string, string>> = {
  endpoint: 'endpoints',
  'notebook-instance': 'notebook-instances',
  'training-job': 'jobs',
};

function awsUrl(ref: ResourceRef): string {
  const region = ref.region;
  const base = awsConsoleBase(region);
  const [, service, type] = ref.kind.split('.');
  if (service === 'sagemaker') {
    const page = type ? SAGEMAKER_PAGES[type] : undefined;
    return `${base}/sagemaker/home?region=${enc(region)}#/${page ? `${page}/${enc(ref.name)}` : 'dashboard'}`;
  }
  if (service === 's3') return `https://s3.console.aws.amazon.com/s3/buckets/${enc(ref.name)}?region=${enc(region)}`;
  return `${base}/console/home?region=${enc(region)}`;
}

function gcpUrl(ref: ResourceRef): string {
  const project = `project=${enc(ref.scopeId)}`;
  const [, service, type] = ref.kind.split('.');
  if (service === 'vertex' && type === 'endpoint') {
    return `https://console.cloud.google.com/vertex-ai/online-prediction/locations/${enc(ref.region)}/endpoints/${enc(lastSegment(ref.id))}?${project}`;
  }
  if ((service === 'workbench' && type === 'instance') || (service === 'vertex' && (type === 'workbench-instance' || type === 'notebook'))) {
    return `https://console.cloud.google.com/vertex-ai/workbench/instances?${project}`;
  }
  if (service === 'vertex' && type === 'custom-job') {
    // The page the Vertex AI SDK links to for a custom job ("View Training").
    return `https://console.cloud.google.com/ai/platform/locations/${enc(ref.region)}/training/${enc(lastSegment(ref.id))}?${project}`;
  }
  if (service === 'vertex' && type === 'training-job') {
    return `https://console.cloud.google.com/vertex-ai/training/training-pipelines?${project}`;
  }
  // A watched prefix (`bucket/prefix/`) opens the browser at that folder.
  if (service === 'storage' && type === 'bucket') return `https://console.cloud.google.com/storage/browser/${ref.name.split('/').map(enc).join('/')}?${project}`;
  return `https://console.cloud.google.com/home/dashboard?${project}`;
}

function azureUrl(ref: ResourceRef): string {
  // A blob container: the portal has no #resource page for it, so its storage account's container list.
  const container = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+)\/blobServices\/default\/containers\/[^/]+$/i.exec(ref.id);
  if (container) return `https://portal.azure.com/#resource${container[1] ?? ''}/containersList`;
  // The portal opens any Azure Resource Manager id under #resource; the id keeps its slashes.
  if (ref.id.toLowerCase().startsWith('/subscriptions/')) return `https://portal.azure.com/#resource${ref.id}/overview`;
  return `https://portal.azure.com/#resource/subscriptions/${enc(ref.scopeId)}/overview`;
}

/**
 * "Open in console" URL of a resource: the SageMaker page of an endpoint, notebook or training job
 * in its region; the Vertex AI page in Google Cloud; the Azure portal page of the resource id.
 * Unknown kinds fall back to the service's or project's home page.
 */
export function consoleUrl(ref: ResourceRef): string {
  switch (ref.cloud) {
    case 'aws':
      return awsUrl(ref);
    case 'gcp':
      return gcpUrl(ref);
    case 'azure':
      return azureUrl(ref);
  }
}

/** Console page where a scope's cost and budgets are seen (for budget and collection-failure messages). */
export function scopeConsoleUrl(cloud: Cloud, scopeId: string): string {
  switch (cloud) {
    case 'aws':
      // Billing is global and served from us-east-1.
      return 'https://us-east-1.console.aws.amazon.com/billing/home#/budgets';
    case 'gcp':
      return `https://console.cloud.google.com/billing/linkedaccount?project=${enc(scopeId)}`;
    case 'azure':
      return `https://portal.azure.com/#resource/subscriptions/${enc(scopeId)}/costanalysis`;
  }
}
