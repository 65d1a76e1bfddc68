import type { TokenCredential } from '@azure/core-auth';
import type { Policy, RuleId } from '../config/policy.js';
import type { AzureBillingOptions } from '../providers/azure/billing.js';
import { awsFederatedAzureCredential, azureClientFactory, localAzureCredential, secretsManagerAzureCredential, type AwsFederation } from '../providers/azure/clients.js';
import { AzureProvider } from '../providers/azure/provider.js';
import { policyBudgets } from './compose.js';
import { TEAM_TAG_KEY } from '../savings/ledger.js';
import type { ProviderBuilders, ProviderEndpoints } from './providers.js';

/*
 * The Azure side of the composition root, apart from compose.ts so that only the entry points
 * that scan or act on Azure (the Azure scan function, the executor, the CLI) bundle Azure clients.
 */

/**
 * The credential for real Azure: the service principal in the Secrets Manager secret named by
 * `AZURE_SECRET_ARN` (deployed functions), else workload identity federation or the
 * environment / Azure CLI chain (local runs). Read lazily: nothing happens until Azure is called.
 */
export function azureCredential(env: NodeJS.ProcessEnv = process.env, federation?: AwsFederation): TokenCredential {
  // Workload identity federation from the AWS role: no secret anywhere.
  if (federation) {
    return awsFederatedAzureCredential(federation, async (input) => {
      const { STSClient, GetWebIdentityTokenCommand } = await import('@aws-sdk/client-sts');
      // GetWebIdentityToken is not served by the global STS endpoint: the function's own region's.
      return new STSClient({ region: env['AWS_REGION'] ?? 'us-east-1' }).send(new GetWebIdentityTokenCommand(input));
    });
  }
  // functions/lib/contract.ts ENV.azureSecretArn; set by the stack when clouds.azure is configured.
  const secret = env['AZURE_SECRET_ARN'];
  if (secret) {
    return secretsManagerAzureCredential(secret, async (id) => {
      const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: id }));
      if (!out.SecretString) throw new Error(`secret ${id} has no string value`);
      return out.SecretString;
    });
  }
  return localAzureCredential();
}

/** What the Azure provider reads about money, from the policy: budgets only when a budget rule is on. */
export function azureBillingOptions(policy: Policy): AzureBillingOptions {
  const on = (id: RuleId) => policy.rules[id].enabled;
  const budgetsOn = on('budget-breach') || on('forecast-breach');
  return {
    costTagKeys: policy.clouds.azure?.costTagKeys ?? [],
    budgets: budgetsOn ? policyBudgets(policy) : [],
    nativeBudgets: budgetsOn,
    ...(on('untagged-spend') ? { tagSpendKey: TEAM_TAG_KEY } : {}),
    ...(on('commitment-coverage') ? { commitments: { termYears: policy.rules['commitment-coverage'].term, lookbackDays: policy.rules['commitment-coverage'].lookbackDays } } : {}),
  };
}

/** The Azure provider of a policy with Azure subscriptions; undefined without any. */
export function buildAzureProvider(policy: Policy, endpoints: ProviderEndpoints = {}): AzureProvider | undefined {
  const azure = policy.clouds.azure;
  if (!azure || azure.subscriptions.length === 0) return undefined;
  const e = endpoints.azure;
  const factory = azureClientFactory(
    e
      ? {
          credential: e.credential,
          armEndpoint: e.endpoint,
          metricsEndpoint: () => e.endpoint,
          retailPricesEndpoint: e.retailPricesEndpoint ?? `${e.endpoint}/api/retail/prices`,
          ca: e.ca,
          ...(e.pollIntervalMs !== undefined ? { pollIntervalMs: e.pollIntervalMs } : {}),
          ...(e.retry ? { retry: e.retry } : {}),
          ...(e.maxCostRetryWaitMs !== undefined ? { maxCostRetryWaitMs: e.maxCostRetryWaitMs } : {}),
          ...(e.blobCredential ? { blobCredential: e.blobCredential } : {}),
        }
      : { credential: azureCredential(process.env, azure.credentials?.awsFederation) },
  );
  const resourceGroups = new Map(azure.subscriptions.filter((s) => s.resourceGroups).map((s) => [s.id.toLowerCase(), s.resourceGroups ?? []]));
  const cold = policy.rules['cold-artifacts'];
  const blobSettings = { olderThanDays: cold.olderThanDays, retrievalPercentPerMonth: cold.retrievalPercentPerMonth, maxBlobsPerAccount: cold.maxBlobsPerAccount };
  return new AzureProvider(factory, { resourceGroups, blobSettings, billing: azureBillingOptions(policy), ...(e?.now ? { now: e.now } : {}) });
}

/** Builders for every cloud besides AWS that this version supports. */
export const FOREIGN_PROVIDERS: ProviderBuilders = { azure: buildAzureProvider };
