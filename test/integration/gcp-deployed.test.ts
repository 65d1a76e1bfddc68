import { afterEach, describe, expect, it, vi } from 'vitest';
import { deployedGcpCredentials, gcpProviderBuilder, parseGcpCredentialSecret } from '../../shared/app/compose-gcp.js';
import { DeferredGcpProvider, DeferredProvider } from '../../shared/app/compose-gcp-deployed.js';
import { parsePolicy } from '../../shared/config/load.js';
import { refOf } from '../../shared/domain/resource.js';
import { staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { defineWorld, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { gcpWorld, PROJECT } from '../fixtures/gcp/worlds.js';

/*
 * Google Cloud in the deployed functions: how the executor and the Google Cloud scan function get
 * their credentials (workload identity from the policy, or the stack's secret), and that a secret
 * not filled in fails Google Cloud alone and is read again on the next call.
 */

const NOW = '2025-06-18T12:00:00Z';
const policyWith = (credentials = '') =>
  parsePolicy(
    `version: 1
clouds:
  aws:
    accounts: [{ id: "111111111111", regions: [us-east-1] }]
  gcp:
${credentials}
    projects:
      - { id: ${PROJECT}, regions: [us-central1] }
rules:
  idle-endpoint: { mode: approve }
`,
    'deployed.yml',
    { now: new Date(NOW) },
  ).policy;

const KEY = JSON.stringify({ type: 'service_account', client_email: 'costwatch@ml-research-42.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n' });
const FEDERATION = JSON.stringify({ type: 'external_account', audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/aws', subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request', token_url: 'https://sts.googleapis.com/v1/token', credential_source: { environment_id: 'aws1' } });

let sb: Sandbox | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await sb?.close();
  sb = undefined;
});

describe('deployed Google Cloud credentials', () => {
  it('federates from the role when the policy sets workloadIdentity, reading no secret', async () => {
    const policy = policyWith(`    credentials:
      workloadIdentity:
        audience: //iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/costwatch/providers/aws
        serviceAccount: costwatch@ml-research-42.iam.gserviceaccount.com`);
    const reads: string[] = [];
    const c = await deployedGcpCredentials(policy, { GCP_SECRET_ARN: 'arn:secret' }, async (id) => (reads.push(id), KEY));
    expect(reads).toEqual([]);
    expect('credentials' in c && c.credentials['type']).toBe('external_account');
    expect('credentials' in c && c.credentials['service_account_impersonation_url']).toMatch(/costwatch@ml-research-42\.iam\.gserviceaccount\.com:generateAccessToken$/);
  });

  it('reads the secret named by GCP_SECRET_ARN: a service-account key or a federation configuration', async () => {
    const key = await deployedGcpCredentials(policyWith(), { GCP_SECRET_ARN: 'arn:k' }, async () => KEY);
    expect('credentials' in key && key.credentials['type']).toBe('service_account');
    const fed = await deployedGcpCredentials(policyWith(), { GCP_SECRET_ARN: 'arn:f' }, async () => FEDERATION);
    expect('credentials' in fed && fed.credentials['type']).toBe('external_account');
  });

  it('names what is wrong with a secret, never its value', () => {
    expect(() => parseGcpCredentialSecret('not json')).toThrow(/not JSON/);
    expect(() => parseGcpCredentialSecret('{"type":"authorized_user","refresh_token":"SECRET-VALUE"}')).toThrow(/not a service-account key/);
    expect(() => parseGcpCredentialSecret('{"type":"authorized_user","refresh_token":"SECRET-VALUE"}')).not.toThrow(/SECRET-VALUE/);
    expect(() => parseGcpCredentialSecret('{"type":"external_account"}')).toThrow(/without audience/);
  });
});

/** functions/execute*.ts build their handler at import, reading their environment: give them one that reaches nothing. */
function stubExecutorEnv() {
  vi.stubEnv('STATE_TABLE', 'costwatch-state');
  vi.stubEnv('POLICY_FILE', 'policy.json');
  vi.stubEnv('SLACK_SECRET_ARN', 'arn:aws:secretsmanager:us-east-1:111111111111:secret:slack');
}

const AZURE_TOO = 'version: 1\nclouds:\n  aws:\n    accounts: [{ id: "111111111111", regions: [us-east-1] }]\n  azure:\n    subscriptions: [{ id: 3f2504e0-4f89-11d3-9a0c-0305e82c3301, regions: [eastus] }]\n';

describe('the executors in the deployed path', () => {
  it('the Google Cloud executor has the Google Cloud provider alone, resolved on first use', async () => {
    stubExecutorEnv();
    const { executorProviders } = await import('../../functions/execute-gcp.js');
    const providers = executorProviders(policyWith(), { GCP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:GcpSecret' });
    expect([...providers.keys()]).toEqual(['gcp']);
    expect(providers.get('gcp')).toBeInstanceOf(DeferredGcpProvider);
  });

  it('the AWS executor has the AWS provider alone, whatever other clouds the policy configures', async () => {
    stubExecutorEnv();
    const { executorProviders } = await import('../../functions/execute.js');
    expect([...executorProviders(policyWith()).keys()]).toEqual(['aws']);
    expect([...executorProviders(parsePolicy(AZURE_TOO, 'azure.yml').policy).keys()]).toEqual(['aws']);
  });

  it('the Azure executor has the Azure provider alone, made by its first job', async () => {
    stubExecutorEnv();
    const { executorProviders } = await import('../../functions/execute-azure.js');
    const providers = executorProviders(parsePolicy(AZURE_TOO, 'azure.yml').policy);
    expect([...providers.keys()]).toEqual(['azure']);
    expect(providers.get('azure')).toBeInstanceOf(DeferredProvider);
    expect(providers.get('azure')?.cloud).toBe('azure');
  });

  it('reports unreadable credentials as a failure of the project, then reads them again and acts: undeploy and undo through the deferred provider', async () => {
    sb = await startSandbox({ world: defineWorld(gcpWorld()) });
    const sandbox = sb;
    const policy = policyWith();
    const secret: { value?: string } = {};
    let builds = 0;
    const provider = new DeferredGcpProvider(async () => {
      builds++;
      // The stack's secret, as the deployed function reads it; empty until someone fills it in.
      await deployedGcpCredentials(policy, { GCP_SECRET_ARN: 'arn:gcp' }, async () => {
        if (secret.value === undefined) throw new Error('ResourceNotFoundException: Secrets Manager can not find the specified secret value for staging label: AWSCURRENT');
        return secret.value;
      });
      return gcpProviderBuilder()(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } });
    });
    const target = { scope: { cloud: 'gcp' as const, id: PROJECT }, regions: ['us-central1'] };
    const opts = { now: sandbox.clock.now(), lookbackHours: 24 };
    const failed = await provider.collect(target, opts);
    expect(failed.failures).toEqual([{ scope: target.scope, operation: 'credentials', message: expect.stringMatching(/^Google Cloud credentials could not be read: ResourceNotFoundException/) }]);

    secret.value = KEY;
    const ok = await provider.collect(target, opts);
    expect(ok.failures).toEqual([]);
    const endpoint = ok.resources.find((r) => r.name === 'fraud-vertex');
    expect(endpoint).toBeDefined();
    if (!endpoint) return;
    const saved = await provider.captureUndo('gcp.vertex.undeploy-models', endpoint);
    await provider.perform('gcp.vertex.undeploy-models', endpoint, {});
    expect(sandbox.calls()['aiplatform.UndeployModel']).toBeGreaterThan(0);
    await provider.undo('gcp.vertex.undeploy-models', refOf(endpoint), saved);
    expect(sandbox.calls()['aiplatform.DeployModel']).toBeGreaterThan(0);
    const again = await provider.describe(refOf(endpoint));
    expect(again?.components.map((c) => c.name).sort()).toEqual(endpoint.components.map((c) => c.name).sort());
    expect(builds).toBe(2);
  }, 60_000);
});
