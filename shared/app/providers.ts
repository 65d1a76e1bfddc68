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
}

/** One provider per configured cloud; clouds without a provider yet are reported by the scan. */
export function buildProviders(policy: Policy, endpoints: ProviderEndpoints = {}): Map<Cloud, CloudProvider> {
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
  return providers;
}
