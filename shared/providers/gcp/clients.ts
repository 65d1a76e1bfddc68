// The two Vertex AI clients by their own modules: the package index loads every Vertex AI client.
import { EndpointServiceClient } from '@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js';
import { JobServiceClient } from '@google-cloud/aiplatform/build/src/v1/job_service_client.js';
import { BigQuery } from '@google-cloud/bigquery';
import { CloudBillingClient, CloudCatalogClient } from '@google-cloud/billing/build/src/v1/index.js';
import { BudgetServiceClient } from '@google-cloud/billing-budgets/build/src/v1/index.js';
import { MetricServiceClient } from '@google-cloud/monitoring';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { v2 as notebooksV2 } from '@google-cloud/notebooks';
import { GoogleAuth, OAuth2Client, type AuthClient } from 'google-auth-library';

type ClientOptions = ConstructorParameters<typeof EndpointServiceClient>[0];

/*
 * The Google clients the gcp provider uses, made in one place and injected: collectors and
 * actions never construct a client. Vertex AI is regional (`<region>-aiplatform.googleapis.com`);
 * the Notebooks API v2 and Cloud Monitoring are global. For the sandbox cloud every client points
 * at one local host and port over plain http with the REST transport (`fallback: true`), and
 * authenticates with a fixed bearer token that never reaches Google.
 */

/** The clients of one project and region. */
export interface GcpClients {
  readonly endpoints: EndpointServiceClient;
  readonly jobs: JobServiceClient;
  /** Notebooks API v2: Vertex AI Workbench instances. */
  readonly notebooks: notebooksV2.NotebookServiceClient;
  readonly monitoring: MetricServiceClient;
  /** Cloud Storage (JSON API): buckets, their lifecycle configuration, object listings. Global. */
  readonly storage: Storage;
}

/**
 * The global billing clients: Cloud Billing (project billing info), the Cloud Billing Catalog
 * (SKU prices), the Budget API and BigQuery (the billing export, queried from the export's project).
 */
export interface GcpBillingClients {
  readonly billing: CloudBillingClient;
  readonly catalog: CloudCatalogClient;
  readonly budgets: BudgetServiceClient;
  /** BigQuery jobs run (and are billed) in this project: the one holding the export. */
  bigquery(projectId: string): BigQuery;
}

/** Where clients point: one project and region. */
export interface GcpTarget {
  readonly projectId: string;
  readonly region: string;
}

/** Produces (and caches) the clients for a project and region; `billing()` the global billing clients. */
export type GcpClientFactory = ((target: GcpTarget) => GcpClients) & { billing?: () => GcpBillingClients };

/** How the clients authenticate. */
export type GcpCredentials =
  /** A ready auth client (the sandbox's fixed token, or one built by the caller). */
  | { readonly authClient: AuthClient }
  /**
   * A credential configuration JSON: an `external_account` (Workload Identity Federation, e.g.
   * from the watchdog's AWS role, no key) or a `service_account` key read from a secret.
   */
  | { readonly credentials: Record<string, unknown> }
  /** Application Default Credentials of the machine. */
  | { readonly applicationDefault: true };

/** Options of `gcpClientFactory`. */
export interface GcpFactoryOptions {
  readonly auth: GcpCredentials;
  /** Override every API's host (the sandbox cloud): plain http on this host and port, REST transport. */
  readonly endpoint?: { readonly apiEndpoint: string; readonly port: number; readonly protocol?: 'http' | 'https' };
}

/** The OAuth scope the clients ask for (read and act on Vertex AI, Workbench and Monitoring). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * An auth client that sends a fixed bearer token and never asks Google for one: for the sandbox
 * cloud, which checks that a token is sent, not which.
 */
export function staticTokenAuth(token: string): AuthClient {
  const client = new OAuth2Client();
  // Far in the future, so the client never tries to refresh it.
  client.setCredentials({ access_token: token, expiry_date: Date.UTC(2999, 0, 1) });
  return client;
}

/**
 * An auth client as @google-cloud/storage's own (older) google-auth-library calls it: it merges
 * `getRequestHeaders()` into a plain object, so a `Headers` answer (google-auth-library 10) is
 * turned into one; without this no Authorization header would be sent.
 */
function legacyHeaders(client: AuthClient): unknown {
  return {
    async getRequestHeaders(url?: string): Promise<Record<string, string>> {
      const h = (await client.getRequestHeaders(url)) as unknown;
      if (h instanceof Headers) return Object.fromEntries(h.entries());
      return { ...(h as Record<string, string>) };
    },
    getAccessToken: () => client.getAccessToken(),
    get credentials() {
      return client.credentials;
    },
  };
}

/** Client factory for real projects and for the sandbox. google-gax clients are built once per API host and shared by every project; Storage once per project. */
export function gcpClientFactory(opts: GcpFactoryOptions): GcpClientFactory {
  const cache = new Map<string, GcpClients>();
  const auth =
    'authClient' in opts.auth
      ? { authClient: opts.auth.authClient }
      : 'credentials' in opts.auth
        ? { auth: new GoogleAuth({ credentials: opts.auth.credentials as never, scopes: [CLOUD_PLATFORM_SCOPE] }) }
        : { auth: new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }) };
  // google-gax clients hold no project: the project is in each request's path. Each one built loads
  // its service's protos (hundreds of ms and tens of MiB), so they are built once per host and shared
  // by every project: the global APIs once, Vertex AI once per region.
  let global: { notebooks: notebooksV2.NotebookServiceClient; monitoring: MetricServiceClient } | undefined;
  const regional = new Map<string, { endpoints: EndpointServiceClient; jobs: JobServiceClient }>();
  const storages = new Map<string, Storage>();
  const storageAuth: StorageOptions =
    'authClient' in opts.auth
      ? { authClient: legacyHeaders(opts.auth.authClient) as never }
      : 'credentials' in opts.auth
        ? { credentials: opts.auth.credentials as never, scopes: [CLOUD_PLATFORM_SCOPE] }
        : { scopes: [CLOUD_PLATFORM_SCOPE] };
  const storageAt = (projectId: string): StorageOptions => ({
    projectId,
    ...storageAuth,
    retryOptions: { autoRetry: false, maxRetries: 0 },
    ...(opts.endpoint ? { apiEndpoint: `${opts.endpoint.protocol ?? 'http'}://${opts.endpoint.apiEndpoint}:${opts.endpoint.port}`, useAuthWithCustomEndpoint: true } : {}),
  });
  const factory: GcpClientFactory = (target) => {
    const key = `${target.projectId}/${target.region}`;
    const hit = cache.get(key);
    if (hit) return hit;
    // google-gax carries its own copy of google-auth-library; the auth objects are the same at run time.
    const at = (host: string) =>
      (opts.endpoint
        ? { apiEndpoint: opts.endpoint.apiEndpoint, port: opts.endpoint.port, protocol: opts.endpoint.protocol ?? 'http', fallback: true, ...auth }
        : { apiEndpoint: host, fallback: true, ...auth }) as unknown as ClientOptions;
    global ??= {
      notebooks: new notebooksV2.NotebookServiceClient(at('notebooks.googleapis.com')),
      monitoring: new MetricServiceClient(at('monitoring.googleapis.com')),
    };
    let vertex = regional.get(target.region);
    if (!vertex) {
      vertex = { endpoints: new EndpointServiceClient(at(`${target.region}-aiplatform.googleapis.com`)), jobs: new JobServiceClient(at(`${target.region}-aiplatform.googleapis.com`)) };
      regional.set(target.region, vertex);
    }
    // The Storage client lists the buckets of its own project: one per project (it loads no protos).
    let storage = storages.get(target.projectId);
    if (!storage) {
      storage = new Storage(storageAt(target.projectId));
      storages.set(target.projectId, storage);
    }
    const clients: GcpClients = { ...vertex, ...global, storage };
    cache.set(key, clients);
    return clients;
  };
  let billing: GcpBillingClients | undefined;
  const bigqueries = new Map<string, BigQuery>();
  const at = (host: string) =>
    (opts.endpoint
      ? { apiEndpoint: opts.endpoint.apiEndpoint, port: opts.endpoint.port, protocol: opts.endpoint.protocol ?? 'http', fallback: true, ...auth }
      : { apiEndpoint: host, fallback: true, ...auth }) as unknown as ClientOptions;
  factory.billing = () =>
    (billing ??= {
      billing: new CloudBillingClient(at('cloudbilling.googleapis.com')),
      catalog: new CloudCatalogClient(at('cloudbilling.googleapis.com')),
      budgets: new BudgetServiceClient(at('billingbudgets.googleapis.com')),
      bigquery: (projectId) => {
        let bq = bigqueries.get(projectId);
        if (!bq) {
          // BigQuery speaks JSON REST through @google-cloud/common, not google-gax: its own options.
          bq = new BigQuery({
            projectId,
            ...(opts.endpoint ? { apiEndpoint: `${opts.endpoint.protocol ?? 'http'}://${opts.endpoint.apiEndpoint}:${opts.endpoint.port}` } : {}),
            ...('authClient' in auth ? { authClient: auth.authClient as never } : { authClient: auth.auth as never }),
            // costwatch retries itself (RESOURCE_EXHAUSTED and 5xx), with one policy for every Google call.
            autoRetry: false,
          });
          bigqueries.set(projectId, bq);
        }
        return bq;
      },
    });
  return factory;
}
