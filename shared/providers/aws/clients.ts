import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** The SDK clients the AWS provider uses for one account and region. */
export interface AwsClients {
  readonly sagemaker: SageMakerClient;
  readonly cloudwatch: CloudWatchClient;
}

/** Where clients point: one account and region. */
export interface AwsTarget {
  readonly accountId: string;
  readonly region: string;
}

/** Produces (and caches) the clients for an account and region. */
export type AwsClientFactory = (target: AwsTarget) => AwsClients;

/** How to reach one account: the role to assume in it, if any. */
export interface AwsAccountAccess {
  readonly accountId: string;
  readonly roleName?: string;
  readonly externalId?: string;
}

interface FactoryOptions {
  /** Override the service endpoint (the sandbox cloud). */
  readonly endpoint?: string;
  /** Credentials per account; default: assume `roleName` in the account, else the ambient chain. */
  readonly credentials?: (accountId: string) => AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  readonly maxAttempts?: number;
}

/**
 * Client factory for real accounts (and the sandbox, given `endpoint` and `credentials`): assumes the
 * configured role in each account, caching one client pair per account and region.
 */
export function awsClientFactory(accounts: readonly AwsAccountAccess[], opts: FactoryOptions = {}): AwsClientFactory {
  const cache = new Map<string, AwsClients>();
  const access = new Map(accounts.map((a) => [a.accountId, a]));
  return (target) => {
    const key = `${target.accountId}/${target.region}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const a = access.get(target.accountId);
    const credentials =
      opts.credentials?.(target.accountId) ??
      (a?.roleName
        ? fromTemporaryCredentials({
            params: {
              RoleArn: `arn:aws:iam::${target.accountId}:role/${a.roleName}`,
              RoleSessionName: 'costwatch',
              ...(a.externalId ? { ExternalId: a.externalId } : {}),
            },
          })
        : undefined);
    const common = {
      region: target.region,
      maxAttempts: opts.maxAttempts ?? 6,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    };
    const clients: AwsClients = { sagemaker: new SageMakerClient(common), cloudwatch: new CloudWatchClient(common) };
    cache.set(key, clients);
    return clients;
  };
}
