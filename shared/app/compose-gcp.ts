import type { Policy } from '../config/policy.js';
import type { GcsColdArtifactsOptions } from '../providers/gcp/context.js';
import { priceBook } from './compose.js';
import type { CloudProvider } from '../providers/port.js';
import { gcpClientFactory, type GcpCredentials } from '../providers/gcp/clients.js';
import { GcpProvider } from '../providers/gcp/provider.js';
import type { GcpBillingOptions } from '../providers/gcp/billing.js';
import { defaultExportTable, WORKBENCH_LABEL_KEYS } from '../providers/gcp/billing-export.js';
import { TEAM_TAG_KEY } from '../savings/ledger.js';
import { policyBudgets } from './compose.js';
import type { ProviderEndpoints } from './providers.js';

/*
 * The Google Cloud side of the composition root, kept apart from compose.ts so that only what
 * scans Google Cloud (the CLI, the Google Cloud scan function) carries the Google clients; the
 * AWS scanner, the Slack handler and the webhooks never import this file.
 */

/** Google's Security Token Service and the AWS sources an external-account configuration names (Workload Identity Federation from AWS). */
const AWS_CREDENTIAL_SOURCE = {
  environment_id: 'aws1',
  region_url: 'http://169.254.169.254/latest/meta-data/placement/availability-zone',
  url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials',
  regional_cred_verification_url: 'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15',
} as const;

/**
 * The external-account configuration for Workload Identity Federation from AWS: Google exchanges
 * a signed AWS GetCallerIdentity request (from the role costwatch runs as; on Lambda its
 * credentials are in the environment) for a short-lived token of the service account. No key.
 */
export function workloadIdentityConfig(audience: string, serviceAccount: string): Record<string, unknown> {
  return {
    type: 'external_account',
    audience,
    subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
    token_url: 'https://sts.googleapis.com/v1/token',
    service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
    credential_source: { ...AWS_CREDENTIAL_SOURCE },
  };
}

/** A service-account key as stored in the secret; names the problem, never the value. */
export function parseServiceAccountKey(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the Google Cloud key secret is not JSON: store the service-account key file as it was downloaded');
  }
  const o = v as Record<string, unknown>;
  if (o?.['type'] !== 'service_account' || typeof o['client_email'] !== 'string' || typeof o['private_key'] !== 'string') {
    throw new Error('the Google Cloud key secret is not a service-account key (type service_account with client_email and private_key)');
  }
  return o;
}

/**
 * The credentials a policy asks for. Workload Identity is built from the policy alone; a key in
 * Secrets Manager is read through `readSecret` (the caller's Secrets Manager client), once.
 */
export async function gcpCredentialsFor(policy: Policy, readSecret?: (id: string) => Promise<string>): Promise<GcpCredentials> {
  const c = policy.clouds.gcp?.credentials;
  if (c?.workloadIdentity) return { credentials: workloadIdentityConfig(c.workloadIdentity.audience, c.workloadIdentity.serviceAccount) };
  if (c?.serviceAccountKeySecret) {
    if (!readSecret) throw new Error('clouds.gcp.credentials.serviceAccountKeySecret is set but no Secrets Manager reader was given');
    return { credentials: parseServiceAccountKey(await readSecret(c.serviceAccountKeySecret)) };
  }
  return { applicationDefault: true };
}

/** The Cloud Storage side of `rules.cold-artifacts`, or undefined when the rule is off (buckets are then not listed). */
export function gcsColdArtifactsOptions(policy: Policy): GcsColdArtifactsOptions | undefined {
  const cold = policy.rules['cold-artifacts'];
  if (!cold.enabled) return undefined;
  const prefixes = new Map<string, readonly string[]>();
  for (const b of cold.buckets) if (b.prefixes) prefixes.set(b.bucket, [...(prefixes.get(b.bucket) ?? []), ...b.prefixes]);
  return {
    olderThanDays: cold.olderThanDays,
    retrievalPercentPerMonth: cold.retrievalPercentPerMonth,
    maxObjectsPerBucket: cold.maxObjectsPerBucket,
    prefixes,
    prices: priceBook(policy).gcsStorage(),
  };
}

/** Builds the gcp provider for `buildProviders`: the sandbox's endpoint and token, or the given credentials. */
export function gcpProviderBuilder(credentials: GcpCredentials = { applicationDefault: true }) {
  return (policy: Policy, endpoints: ProviderEndpoints): CloudProvider => {
    const sandbox = endpoints.gcp;
    const factory = sandbox
      ? gcpClientFactory({ auth: { authClient: sandbox.authClient as never }, endpoint: sandbox.endpoint })
      : gcpClientFactory({ auth: credentials });
    const cold = gcsColdArtifactsOptions(policy);
    return new GcpProvider(factory, { billing: gcpBillingOptions(policy), ...(sandbox?.now ? { now: sandbox.now } : {}), ...(cold ? { coldArtifacts: cold } : {}) });
  };
}

/** What the gcp provider reads about money, from the policy. */
export function gcpBillingOptions(policy: Policy): Omit<GcpBillingOptions, 'call'> {
  const g = policy.clouds.gcp;
  const x = g?.billingExport;
  return {
    ...(g?.billingAccount ? { billingAccount: g.billingAccount } : {}),
    ...(x
      ? {
          export: {
            project: x.project,
            dataset: x.dataset,
            table: x.table ?? defaultExportTable(x.kind, g!.billingAccount!),
            kind: x.kind,
            ...(x.location ? { location: x.location } : {}),
            maximumBytesBilled: x.maximumBytesBilled,
            labels: x.labels,
          },
        }
      : {}),
    projects: (g?.projects ?? []).map((p) => ({ id: p.id, ...(p.number ? { number: p.number } : {}) })),
    // Only budgets that can count Google Cloud spend widen what is read.
    budgets: policyBudgets(policy).filter((b) => !b.scope.clouds || b.scope.clouds.includes('gcp')),
    catalog: g?.catalogPrices ?? true,
    ...(policy.rules['untagged-spend'].enabled ? { tagSpend: { labelKey: TEAM_TAG_KEY, ai: { services: policy.rules['untagged-spend'].gcpServices, labelKeys: WORKBENCH_LABEL_KEYS } } } : {}),
  };
}

/**
 * Reads the Google Cloud credentials secret of a deployed function: a service-account key, or an
 * external-account (workload identity federation) configuration. Names the problem, never the value.
 */
export function parseGcpCredentialSecret(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the Google Cloud credentials secret is not JSON: store the service-account key file, or the credential configuration, as downloaded');
  }
  const o = v as Record<string, unknown>;
  if (o?.['type'] === 'external_account') {
    if (typeof o['audience'] !== 'string' || typeof o['token_url'] !== 'string' || typeof o['credential_source'] !== 'object') {
      throw new Error('the Google Cloud credentials secret is an external_account configuration without audience, token_url or credential_source');
    }
    return o;
  }
  return parseServiceAccountKey(text);
}

/** Reads a Secrets Manager secret's string (the SDK loaded on first use: the AWS SDK is the Lambda runtime's). */
async function readSecretString(id: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: id }));
  if (!out.SecretString) throw new Error(`secret ${id} has no string value`);
  return out.SecretString;
}

/**
 * The credentials of a deployed function: workload identity federation from its AWS role when the
 * policy sets `credentials.workloadIdentity` (nothing is read); else the secret the stack made,
 * named by `GCP_SECRET_ARN`; else what the policy names (`serviceAccountKeySecret`), else
 * Application Default Credentials.
 */
export async function deployedGcpCredentials(policy: Policy, env: NodeJS.ProcessEnv = process.env, readSecret: (id: string) => Promise<string> = readSecretString): Promise<GcpCredentials> {
  const c = policy.clouds.gcp?.credentials;
  if (c?.workloadIdentity) return gcpCredentialsFor(policy, readSecret);
  // functions/lib/contract.ts ENV.gcpSecretArn; set by the stack when clouds.gcp is configured without workloadIdentity.
  const arn = env['GCP_SECRET_ARN'];
  if (arn) return { credentials: parseGcpCredentialSecret(await readSecret(arn)) };
  return gcpCredentialsFor(policy, readSecret);
}
