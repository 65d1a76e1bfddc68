import type { AwsCredentialIdentity } from '@smithy/types';
import type { TokenCredential } from '@azure/core-auth';
import type { Policy } from '../config/policy.js';
import type { Cloud } from '../domain/resource.js';
import { awsClientFactory } from '../providers/aws/clients.js';
import { AwsProvider } from '../providers/aws/provider.js';
import type { CloudProvider } from '../providers/port.js';
import { awsBillingOptions } from './compose.js';

/** Where the providers' SDK clients point: the real clouds, or the sandbox cloud. */
export interface ProviderEndpoints {
  readonly aws?: {
    endpoint: string;
    credentials: (accountId: string) => AwsCredentialIdentity;
    /** Who assumes the policy's roles (`roleName`); default the target account's own credentials. */
    callerCredentials?: AwsCredentialIdentity;
    /** The sandbox world's clock, for re-reads before acting (default: the machine's). */
    now?: () => Date;
  };
  /** Google Cloud's sandbox: every API at one host and port over http, with a fixed-token auth client. */
  readonly gcp?: {
    endpoint: { apiEndpoint: string; port: number };
    /** A google-auth-library AuthClient (typed loosely so this file carries no Google import). */
    authClient: unknown;
    /** The sandbox world's clock, for re-reads before acting (default: the machine's). */
    now?: () => Date;
  };
  readonly azure?: {
    /** ARM and Azure Monitor metrics endpoint (the sandbox serves both on one HTTPS listener). */
    endpoint: string;
    /** The sandbox's run certificate, trusted by these clients only. */
    ca: string;
    credential: TokenCredential;
    now?: () => Date;
    /** Milliseconds between polls of long-running operations. */
    pollIntervalMs?: number;
    retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  };
}

/**
 * Builders of the providers whose clients are not bundled everywhere (Google Cloud, Azure),
 * passed in by the entry points that scan or act on that cloud (`shared/app/compose-gcp.ts`,
 * `shared/app/compose-azure.ts`), so the AWS functions' bundles carry no Google or Azure client bytes.
 */
export type ProviderBuilders = Partial<Record<Exclude<Cloud, 'aws'>, (policy: Policy, endpoints: ProviderEndpoints) => CloudProvider | undefined>>;

/** One provider per configured cloud whose builder is given; clouds without one are reported by the scan. */
export function buildProviders(policy: Policy, endpoints: ProviderEndpoints = {}, builders: ProviderBuilders = {}): Map<Cloud, CloudProvider> {
  const providers = new Map<Cloud, CloudProvider>();
  const aws = policy.clouds.aws;
  if (aws && aws.accounts.length > 0) {
    const factory = awsClientFactory(
      aws.accounts.map((a) => ({ accountId: a.id, ...(a.roleName ? { roleName: a.roleName } : {}), ...(a.externalId ? { externalId: a.externalId } : {}) })),
      endpoints.aws
        ? { endpoint: endpoints.aws.endpoint, credentials: endpoints.aws.credentials, ...(endpoints.aws.callerCredentials ? { callerCredentials: endpoints.aws.callerCredentials } : {}) }
        : {},
    );
    providers.set('aws', new AwsProvider(factory, { billing: awsBillingOptions(policy, endpoints.aws?.now) }));
  }
  const configured: Record<Exclude<Cloud, 'aws'>, boolean> = {
    gcp: (policy.clouds.gcp?.projects.length ?? 0) > 0,
    azure: (policy.clouds.azure?.subscriptions.length ?? 0) > 0,
  };
  for (const [cloud, build] of Object.entries(builders) as [Exclude<Cloud, 'aws'>, NonNullable<ProviderBuilders['azure']>][]) {
    if (!configured[cloud]) continue;
    const provider = build(policy, endpoints);
    if (provider) providers.set(cloud, provider);
  }
  return providers;
}
