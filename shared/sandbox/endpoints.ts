import type { ProviderEndpoints } from '../app/providers.js';
import { sandboxAzureCredential } from '../providers/azure/clients.js';
import { staticTokenAuth } from '../providers/gcp/clients.js';
import { sandboxAwsCredentials } from './aws/protocol.js';
import type { Sandbox } from './server.js';

/** Where every provider points for a sandbox run: its endpoints, credentials, certificate and clock. */
export function sandboxProviderEndpoints(sandbox: Sandbox, options: { readonly worldClock?: boolean } = {}): ProviderEndpoints {
  const now = options.worldClock === false ? {} : { now: () => sandbox.clock.now() };
  return {
    aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials, ...now },
    gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), ...now },
    // The sandbox finishes long-running operations at once: poll fast instead of the SDK's 2 s.
    azure: { endpoint: sandbox.azureEndpoint, ca: sandbox.azureCa, credential: sandboxAzureCredential(), pollIntervalMs: 5, retry: { retryDelayInMs: 20, maxRetryDelayInMs: 200 }, ...now },
  };
}
