import type { AwsCredentialIdentity } from '@smithy/types';
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
  };
}

/**
 * Builders of the providers whose clients are not bundled everywhere (Google Cloud, Azure): the
 * caller that scans that cloud passes its builder (shared/app/compose-gcp.ts), so functions that
 * never touch the cloud never carry its clients.
 */
export type ProviderBuilders = Partial<Record<Exclude<Cloud, 'aws'>, (policy: Policy, endpoints: ProviderEndpoints) => CloudProvider>>;

/** One provider per configured cloud; clouds without a provider yet are reported by the scan. */
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
  const gcp = policy.clouds.gcp;
  if (gcp && gcp.projects.length > 0 && builders.gcp) providers.set('gcp', builders.gcp(policy, endpoints));
  return providers;
}
