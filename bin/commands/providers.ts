import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { buildProviders } from '../../shared/app/providers.js';
import { gcpCredentialsFor, gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import type { Policy } from '../../shared/config/schema.js';
import type { Cloud } from '../../shared/domain/resource.js';
import { staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import type { CloudProvider } from '../../shared/providers/port.js';
import { sandboxAwsCredentials } from '../../shared/sandbox/aws/protocol.js';
import type { Sandbox } from '../../shared/sandbox/server.js';

/**
 * The CLI's providers: every cloud of the policy, pointed at the sandbox cloud when one runs.
 * Google Cloud credentials come from the policy (Workload Identity, a key in Secrets Manager) or
 * Application Default Credentials; the sandbox gets a fixed token that never reaches Google.
 */
export async function cliProviders(policy: Policy, sandbox: Sandbox | undefined): Promise<Map<Cloud, CloudProvider>> {
  if (sandbox) {
    return buildProviders(
      policy,
      {
        aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials, now: () => sandbox.clock.now() },
        gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox') },
      },
      { gcp: gcpProviderBuilder() },
    );
  }
  const builders = policy.clouds.gcp ? { gcp: gcpProviderBuilder(await gcpCredentialsFor(policy, readSecret)) } : {};
  return buildProviders(policy, {}, builders);
}

async function readSecret(id: string): Promise<string> {
  const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: id }));
  if (!out.SecretString) throw new Error(`secret ${id} has no string value`);
  return out.SecretString;
}
