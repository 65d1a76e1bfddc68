import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { ConsumptionManagementClient } from '@azure/arm-consumption';
import type { CostManagementClient } from '@azure/arm-costmanagement';
import { createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest } from '@azure/core-rest-pipeline';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';
import { MetricsClient } from '@azure/monitor-query-metrics';
import { lazy } from '../../lazy.js';
import { costManagementThrottlingPolicy } from './cost-management.js';
import { RETAIL_PRICES_ENDPOINT, type RetailPricesGet } from './retail-prices.js';
import type { StorageManagementClient } from '@azure/arm-storage';
import type { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';

/*
 * The clients every scan calls (Azure ML, Azure Monitor metrics, the credential) are imported at
 * start; those only some scans call — Cost Management and Consumption for the cost rules, Storage
 * and Blob for cold-artifacts and their actions, together about 0.75 MiB of the bundle — are
 * loaded by their first call (a dynamic import of a bundled package is evaluated then, not at start).
 */
const costManagementSdk = lazy(() => import('@azure/arm-costmanagement'));
const consumptionSdk = lazy(() => import('@azure/arm-consumption'));
const storageSdk = lazy(() => import('@azure/arm-storage'));
const blobSdk = lazy(() => import('@azure/storage-blob'));

/*
 * The Azure SDK clients the provider uses, made by one injected factory (the AWS side's
 * `clients.ts`): the Azure Machine Learning ARM client per subscription and the Azure Monitor
 * metrics batch client per region. Only endpoints, credential and TLS trust differ between the real
 * clouds and the sandbox; the clients' pipelines (bearer token, retries, throttling) are the SDK's own.
 */

/** The clients of one subscription. */
export interface AzureClients {
  readonly subscriptionId: string;
  /** Azure Machine Learning over ARM (`@azure/arm-machinelearning`). */
  readonly ml: AzureMachineLearningWorkspaces;
  /** Azure Monitor metrics batch client for one region (`@azure/monitor-query-metrics`). */
  metrics(location: string): MetricsClient;
  /** Cost Management Query and Forecast (`@azure/arm-costmanagement`), its rate-limit headers honoured; made on first use. */
  costManagement(): Promise<CostManagementClient>;
  /** Consumption budgets (`@azure/arm-consumption`); made on first use. */
  consumption(): Promise<ConsumptionManagementClient>;
  /** GET on the public Retail Prices API (no credential), with the SDK's retry policy. */
  readonly retailPrices: RetailPricesGet;
  /** Where the Retail Prices API answers. */
  readonly retailPricesEndpoint: string;
  /** Azure Storage over ARM: storage accounts and their lifecycle management policies (`@azure/arm-storage`); made on first use. */
  storage(): Promise<StorageManagementClient>;
  /** The Blob service of one storage account at its blob endpoint (`@azure/storage-blob`); made on first use. */
  blob(account: string, endpoint: string): Promise<BlobServiceClient>;
  /**
   * Milliseconds between polls of a long-running operation; undefined keeps the SDK's default
   * (the sandbox finishes operations at once, so it polls fast).
   */
  readonly pollIntervalMs?: number;
}

/** Makes (and caches) the clients of a subscription. */
export type AzureClientFactory = (subscriptionId: string) => AzureClients;

/** Where the clients point and how they authenticate. */
export interface AzureClientOptions {
  readonly credential: TokenCredential;
  /** ARM endpoint; default `https://management.azure.com`. */
  readonly armEndpoint?: string;
  /** Azure Monitor metrics endpoint of a region; default `https://<region>.metrics.monitor.azure.com`. */
  readonly metricsEndpoint?: (location: string) => string;
  /** A PEM certificate to trust in these clients only (the sandbox's run certificate). */
  readonly ca?: string;
  /** Retry tuning passed to the SDK's retry policies (default: the SDK's). */
  readonly retry?: { readonly maxRetries?: number; readonly retryDelayInMs?: number; readonly maxRetryDelayInMs?: number };
  readonly pollIntervalMs?: number;
  /** Retail Prices API endpoint; default `https://prices.azure.com/api/retail/prices`. */
  readonly retailPricesEndpoint?: string;
  /**
   * The longest wait a Cost Management or Consumption 429 may ask for before the read is given
   * up and reported (default 60 s: a scan function must finish); shorter waits are waited.
   */
  readonly maxCostRetryWaitMs?: number;
  /**
   * The Blob data-plane credential of a storage account; default `credential` (Entra ID: the
   * principal needs a Storage Blob Data role). The sandbox and Azurite take a shared key over plain
   * http, where the SDK's bearer-token policy refuses to send a token.
   */
  readonly blobCredential?: (account: string) => TokenCredential | StorageSharedKeyCredential;
}

/** Default of {@link AzureClientOptions.maxCostRetryWaitMs}. */
export const MAX_COST_RETRY_WAIT_MS = 60_000;

/** Audience of the metrics batch API (public cloud). */
export const METRICS_AUDIENCE = 'https://metrics.monitor.azure.com/.default';

/** The factory over real Azure, or the sandbox when its endpoint and certificate are given. */
export function azureClientFactory(options: AzureClientOptions): AzureClientFactory {
  const cache = new Map<string, AzureClients>();
  const tls = options.ca ? { tlsOptions: { ca: options.ca } } : {};
  const retry = options.retry ? { retryOptions: options.retry } : {};
  const arm = options.armEndpoint ? { endpoint: options.armEndpoint, $host: options.armEndpoint } : {};
  const throttling = costManagementThrottlingPolicy(options.maxCostRetryWaitMs ?? MAX_COST_RETRY_WAIT_MS);
  // One client for every subscription: Cost Management takes the scope per call.
  const costManagement = lazy(async () => {
    const c = new (await costManagementSdk()).CostManagementClient(options.credential, { ...arm, ...tls, ...retry });
    c.pipeline.addPolicy(throttling, { afterPhase: 'Retry' });
    return c;
  });
  let retailPrices: RetailPricesGet | undefined;
  return (subscriptionId) => {
    const key = subscriptionId.toLowerCase();
    const hit = cache.get(key);
    if (hit) return hit;
    const ml = new AzureMachineLearningWorkspaces(options.credential, subscriptionId, {
      ...(options.armEndpoint ? { endpoint: options.armEndpoint, $host: options.armEndpoint } : {}),
      ...tls,
      ...retry,
    });
    const storage = lazy(async () =>
      new (await storageSdk()).StorageManagementClient(options.credential, subscriptionId, {
        ...(options.armEndpoint ? { endpoint: options.armEndpoint, $host: options.armEndpoint } : {}),
        ...tls,
        ...retry,
      }),
    );
    const metricsClients = new Map<string, MetricsClient>();
    const blobClients = new Map<string, Promise<BlobServiceClient>>();
    const consumption = lazy(async () => {
      const c = new (await consumptionSdk()).ConsumptionManagementClient(options.credential, subscriptionId, { ...arm, ...tls, ...retry });
      c.pipeline.addPolicy(throttling, { afterPhase: 'Retry' });
      return c;
    });
    retailPrices ??= retailPricesGet(options);
    const clients: AzureClients = {
      subscriptionId,
      ml,
      costManagement,
      consumption,
      retailPrices,
      retailPricesEndpoint: options.retailPricesEndpoint ?? RETAIL_PRICES_ENDPOINT,
      storage,
      blob: (account, endpoint) => {
        let c = blobClients.get(endpoint);
        if (!c) {
          const credential = options.blobCredential ? options.blobCredential(account) : options.credential;
          c = blobSdk().then(({ BlobServiceClient }) => new BlobServiceClient(endpoint, credential, options.retry ? { retryOptions: { maxTries: (options.retry.maxRetries ?? 3) + 1, ...(options.retry.retryDelayInMs !== undefined ? { retryDelayInMs: options.retry.retryDelayInMs } : {}), ...(options.retry.maxRetryDelayInMs !== undefined ? { maxRetryDelayInMs: options.retry.maxRetryDelayInMs } : {}) } } : {}));
          blobClients.set(endpoint, c);
        }
        return c;
      },
      metrics: (location) => {
        let c = metricsClients.get(location);
        if (!c) {
          const endpoint = options.metricsEndpoint ? options.metricsEndpoint(location) : `https://${location}.metrics.monitor.azure.com`;
          c = new MetricsClient(endpoint, options.credential, { ...tls, ...retry, audience: METRICS_AUDIENCE.replace('/.default', '') });
          metricsClients.set(location, c);
        }
        return c;
      },
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    };
    cache.set(key, clients);
    return clients;
  };
}

/** A GET on the Retail Prices API through an SDK pipeline without credential (retries, throttling, TLS trust). */
function retailPricesGet(options: AzureClientOptions): RetailPricesGet {
  const pipeline = createPipelineFromOptions({ ...(options.ca ? { tlsOptions: { ca: options.ca } } : {}), ...(options.retry ? { retryOptions: options.retry } : {}) });
  const http = createDefaultHttpClient();
  return async (url) => {
    const res = await pipeline.sendRequest(http, createPipelineRequest({ url, method: 'GET' }));
    return { status: res.status, body: res.bodyAsText ?? '' };
  };
}

/** The sandbox's credential: a bearer token that the sandbox accepts and real Azure never would. */
export function sandboxAzureCredential(): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> => Promise.resolve({ token: 'costwatch-sandbox', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

/**
 * A service principal's secret as costwatch reads it from Secrets Manager (docs/azure.md
 * "Credentials"): a certificate (preferred) or a client secret.
 */
export interface AzureServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  /** PEM with the private key and the certificate. */
  readonly certificate?: string;
  readonly clientSecret?: string;
}

/** The credential for a service principal: certificate when there is one, else the secret. */
export function servicePrincipalCredential(sp: AzureServicePrincipal): TokenCredential {
  if (sp.certificate) return new ClientCertificateCredential(sp.tenantId, sp.clientId, { certificate: sp.certificate });
  if (sp.clientSecret) return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.clientSecret);
  throw new Error('the Azure service principal secret has neither "certificate" nor "clientSecret"');
}

/**
 * For local runs against real Azure: workload identity federation when its variables are set
 * (AZURE_FEDERATED_TOKEN_FILE), else the environment, managed identity or Azure CLI login chain.
 */
export function localAzureCredential(): TokenCredential {
  if (process.env['AZURE_FEDERATED_TOKEN_FILE']) return new WorkloadIdentityCredential();
  return new DefaultAzureCredential();
}

/**
 * A credential whose service principal is read from AWS Secrets Manager on first use (JSON
 * `{ tenantId, clientId, certificate? , clientSecret? }`), so nothing Azure-specific is read
 * unless an Azure scope is scanned.
 */
export function secretsManagerAzureCredential(secretId: string, read: (secretId: string) => Promise<string>): TokenCredential {
  let inner: Promise<TokenCredential> | undefined;
  return {
    getToken: async (scopes, options) => {
      inner ??= read(secretId).then((text) => {
        let sp: AzureServicePrincipal;
        try {
          sp = JSON.parse(text) as AzureServicePrincipal;
        } catch {
          throw new Error(`the Azure service principal secret ${secretId} is not JSON`);
        }
        if (typeof sp.tenantId !== 'string' || typeof sp.clientId !== 'string') throw new Error(`the Azure service principal secret ${secretId} lacks tenantId or clientId`);
        return servicePrincipalCredential(sp);
      });
      inner.catch(() => (inner = undefined));
      return (await inner).getToken(scopes, options);
    },
  };
}

/** The audience Microsoft Entra expects in a federated credential's token. */
export const ENTRA_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** What an AWS STS client must do for {@link stsWebIdentityAssertion} (`@aws-sdk/client-sts`'s `send` of `GetWebIdentityTokenCommand`). */
export type GetWebIdentityToken = (input: { Audience: string[]; SigningAlgorithm: string; DurationSeconds: number }) => Promise<{ WebIdentityToken?: string | undefined }>;

/**
 * A client assertion for Microsoft Entra: a JWT that AWS STS signs for the calling AWS role
 * (`GetWebIdentityToken`, AWS outbound identity federation), with Entra's token-exchange audience.
 * Asked afresh each time Entra needs one (the JWT lives 5 minutes).
 */
export function stsWebIdentityAssertion(getToken: GetWebIdentityToken, audience = ENTRA_TOKEN_EXCHANGE_AUDIENCE): () => Promise<string> {
  return async () => {
    const out = await getToken({ Audience: [audience], SigningAlgorithm: 'RS256', DurationSeconds: 300 });
    if (!out.WebIdentityToken) throw new Error('AWS STS GetWebIdentityToken answered without a WebIdentityToken');
    return out.WebIdentityToken;
  };
}

/** Workload identity federation from AWS: an Entra app trusting the AWS account's outbound-federation issuer. */
export interface AwsFederation {
  readonly tenantId: string;
  readonly clientId: string;
  readonly audience?: string;
}

/** A credential with no secret: Entra exchanges the AWS-signed JWT for an access token (docs/azure.md "Credentials"). */
export function awsFederatedAzureCredential(f: AwsFederation, getToken: GetWebIdentityToken, options: { authorityHost?: string } = {}): TokenCredential {
  return new ClientAssertionCredential(f.tenantId, f.clientId, stsWebIdentityAssertion(getToken, f.audience), options.authorityHost ? { authorityHost: options.authorityHost } : {});
}
