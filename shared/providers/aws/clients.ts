import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { BudgetsClient } from '@aws-sdk/client-budgets';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { PricingClient } from '@aws-sdk/client-pricing';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CollectorRetryStrategy, type RetryOptions } from './retry.js';
import { autoScalingSdk, budgetsSdk, cloudwatchSdk, costExplorerSdk, credentialProvidersSdk, lazy, pricingSdk, s3Sdk, sagemakerSdk, type Lazy } from './sdk.js';

/**
 * The SDK clients the AWS provider uses for one account and region, each made (and its package
 * loaded, see sdk.ts) by its first call: a scan that reads no budget never loads AWS Budgets.
 */
export interface AwsClients {
  readonly sagemaker: Lazy<SageMakerClient>;
  readonly cloudwatch: Lazy<CloudWatchClient>;
  /** Cost Explorer, AWS Budgets and the Price List API are global: use the us-east-1 clients. */
  readonly costExplorer: Lazy<CostExplorerClient>;
  readonly budgets: Lazy<BudgetsClient>;
  readonly pricing: Lazy<PricingClient>;
  readonly s3: Lazy<S3Client>;
  /** Application Auto Scaling: the scalable targets of endpoint variants. */
  readonly autoScaling: Lazy<ApplicationAutoScalingClient>;
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

/** Options of `awsClientFactory`. */
export interface FactoryOptions {
  /** Override the service endpoint (the sandbox cloud); STS AssumeRole goes there too. */
  readonly endpoint?: string;
  /** Credentials per account, for accounts without a `roleName`; default: the ambient chain. */
  readonly credentials?: (accountId: string) => AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /**
   * Who calls STS AssumeRole for accounts with a `roleName` (the account costwatch runs in).
   * Default: `credentials(<target account>)` when given, else the ambient chain.
   */
  readonly callerCredentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Retry patience of every client; `maxAttempts` below is kept as a shorthand. */
  readonly retry?: RetryOptions;
  readonly maxAttempts?: number;
}

/** Temporary credentials are refreshed this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60_000;
/** The session name costwatch uses, so CloudTrail shows who called. */
export const ROLE_SESSION_NAME = 'costwatch';

/**
 * Client factory for real accounts and the sandbox: for an account with a `roleName` it assumes
 * `arn:aws:iam::<account>:role/<roleName>` (with the external id, if configured) once per account
 * and shares the temporary credentials between that account's regions and clients, refreshing
 * them before they expire. One client pair is cached per account and region.
 */
export function awsClientFactory(accounts: readonly AwsAccountAccess[], opts: FactoryOptions = {}): AwsClientFactory {
  const cache = new Map<string, AwsClients>();
  const roleCredentials = new Map<string, AwsCredentialIdentityProvider>();
  const access = new Map(accounts.map((a) => [a.accountId, a]));
  const retry = { ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}), ...opts.retry };

  const credentialsOf = (accountId: string, region: string) => {
    const a = access.get(accountId);
    if (!a?.roleName) return opts.credentials?.(accountId);
    let provider = roleCredentials.get(accountId);
    if (!provider) {
      const caller = opts.callerCredentials ?? opts.credentials?.(accountId);
      const assume = lazy(async () =>
        (await credentialProvidersSdk()).fromTemporaryCredentials({
          params: {
            RoleArn: `arn:aws:iam::${accountId}:role/${a.roleName}`,
            RoleSessionName: ROLE_SESSION_NAME,
            ...(a.externalId ? { ExternalId: a.externalId } : {}),
          },
          ...(caller ? { masterCredentials: caller } : {}),
          clientConfig: {
            region,
            ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
            retryStrategy: new CollectorRetryStrategy(retry),
          },
        }),
      );
      provider = memoize(async (identityProperties) => (await assume())(identityProperties));
      roleCredentials.set(accountId, provider);
    }
    return provider;
  };

  return (target) => {
    const key = `${target.accountId}/${target.region}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const credentials = credentialsOf(target.accountId, target.region);
    const common = {
      region: target.region,
      // Resolve each command's middleware stack once per client, not on every call: a scan sends
      // thousands of Describe calls through one client, and nothing adds middleware to these
      // clients after they are built (a call given per-call options still resolves its own).
      cacheMiddleware: true,
      retryStrategy: new CollectorRetryStrategy(retry),
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    };
    const clients: AwsClients = {
      sagemaker: lazy(async () => new (await sagemakerSdk()).SageMakerClient(common)),
      cloudwatch: lazy(async () => new (await cloudwatchSdk()).CloudWatchClient(common)),
      costExplorer: lazy(async () => new (await costExplorerSdk()).CostExplorerClient(common)),
      budgets: lazy(async () => new (await budgetsSdk()).BudgetsClient(common)),
      pricing: lazy(async () => new (await pricingSdk()).PricingClient(common)),
      // A custom endpoint (the sandbox) cannot take bucket names as host names.
      s3: lazy(async () => new (await s3Sdk()).S3Client({ ...common, ...(opts.endpoint ? { forcePathStyle: true } : {}) })),
      autoScaling: lazy(async () => new (await autoScalingSdk()).ApplicationAutoScalingClient(common)),
    };
    cache.set(key, clients);
    return clients;
  };
}

/**
 * Shares one credentials promise between every caller until shortly before it expires; a failed
 * attempt is not cached, so the next call tries again.
 */
function memoize(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expiresAt = Infinity;
  return () => {
    if (!current || expiresAt - Date.now() < REFRESH_BEFORE_MS) {
      const attempt = provider();
      current = attempt;
      expiresAt = Infinity;
      attempt.then(
        (c) => {
          if (current === attempt) expiresAt = c.expiration?.getTime() ?? Infinity;
        },
        () => {
          if (current === attempt) current = undefined;
        },
      );
    }
    return current;
  };
}
