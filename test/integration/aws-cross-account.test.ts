import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { ADVICE_RULE_IDS } from '../../shared/rules/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

const HOME = '999999999999'; // the account costwatch runs in; not in the world
const PROD = '111111111111';
const DEV = '333333333333';

const idleEndpoint = (name: string) => ({ name, createdAt: '-20d', variants: [{ instanceType: 'ml.m5.large', metrics: { invocations: { constant: 0 }, cpu: { constant: 2 } } }] });

const WORLD: WorldInput = {
  version: 1,
  now: '2025-06-18T12:00:00Z',
  aws: {
    accounts: [
      {
        id: PROD,
        name: 'prod',
        roles: [{ name: 'costwatch-scanner', externalId: 'prod-ext-7', trustedAccounts: [HOME] }],
        regions: {
          'us-east-1': { sagemaker: { endpoints: [idleEndpoint('prod-us')], notebookInstances: [{ name: 'prod-nb', instanceType: 'ml.t3.medium', lastModifiedAt: '-3d', metrics: { cpu: { constant: 1 } } }] } },
          'eu-west-1': { sagemaker: { endpoints: [idleEndpoint('prod-eu')] } },
        },
      },
      { id: DEV, name: 'dev', roles: [{ name: 'costwatch-scanner' }], regions: { 'us-east-1': { sagemaker: { endpoints: [idleEndpoint('dev-us')] } } } },
    ],
  },
};

function policyText(prodExternalId: string): string {
  return `
version: 1
clouds:
  aws:
    accounts:
      - { id: "${PROD}", regions: [us-east-1, eu-west-1], roleName: costwatch-scanner, externalId: ${prodExternalId} }
      - { id: "${DEV}", regions: [us-east-1], roleName: costwatch-scanner }
`;
}

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function scan(sandbox: Sandbox, prodExternalId: string, caller = HOME): Promise<ScanReport> {
  const policy = parsePolicy(policyText(prodExternalId), 'costwatch.yml').policy;
  const providers = buildProviders(policy, {
    aws: {
      endpoint: sandbox.awsEndpoint,
      // Keys of an account the world does not have: any call made without AssumeRole is refused.
      credentials: () => sandboxAwsCredentials('000000000000'),
      callerCredentials: sandboxAwsCredentials(caller),
    },
  });
  const store = await openMemoryStore();
  return runScan(scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: true }), { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
}

const names = (r: ScanReport, account: string) =>
  r.findings
    .filter((f) => f.scopeId === account && f.state === 'violation' && !ADVICE_RULE_IDS.includes(f.ruleId))
    .map((f) => f.resource?.name)
    .sort();

describe('cross-account access through STS AssumeRole', () => {
  it('scans every account through its role, assuming it once per account for all regions and clients', async () => {
    sb = await startSandbox({ world: defineWorld(WORLD) });

    const report = await scan(sb, 'prod-ext-7');

    expect(report.findings.filter((f) => f.state === 'failure')).toEqual([]);
    expect(names(report, PROD)).toEqual(['prod-eu', 'prod-nb', 'prod-us']);
    expect(names(report, DEV)).toEqual(['dev-us']);
    expect(sb.calls()['sts.AssumeRole']).toBe(2);
    expect(sb.state.stsSessions).toEqual(
      expect.arrayContaining([
        { callerAccountId: HOME, accountId: PROD, roleName: 'costwatch-scanner', sessionName: 'costwatch', externalId: 'prod-ext-7' },
        { callerAccountId: HOME, accountId: DEV, roleName: 'costwatch-scanner', sessionName: 'costwatch' },
      ]),
    );
  });

  it('is refused with a wrong external id: that account is reported as unreadable, the other is scanned', async () => {
    sb = await startSandbox({ world: defineWorld(WORLD) });

    const report = await scan(sb, 'guessed-ext');
    const failures = report.findings.filter((f) => f.state === 'failure');

    expect(names(report, DEV)).toEqual(['dev-us']);
    expect(names(report, PROD)).toEqual([]);
    expect(new Set(failures.map((f) => f.scopeId))).toEqual(new Set([PROD]));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const f of failures) expect(f.evidence[0]).toMatch(/AccessDenied.*not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role\/costwatch-scanner/);
    expect(sb.state.stsSessions.map((s) => s.accountId)).toEqual([DEV]);
  });

  it('refuses a caller the role does not trust', async () => {
    sb = await startSandbox({ world: defineWorld(WORLD) });

    const report = await scan(sb, 'prod-ext-7', '444444444444');

    expect(names(report, PROD)).toEqual([]);
    expect(names(report, DEV)).toEqual(['dev-us']);
  });

  it('retries throttled AssumeRole calls and still reaches every account', async () => {
    sb = await startSandbox({ world: defineWorld({ ...WORLD, seed: 5, faults: [{ service: 'sts', operation: 'AssumeRole', kind: 'throttle', times: 3 }] }) });

    const report = await scan(sb, 'prod-ext-7');

    expect(report.findings.filter((f) => f.state === 'failure')).toEqual([]);
    expect(names(report, PROD)).toEqual(['prod-eu', 'prod-nb', 'prod-us']);
    expect(sb.faults.injected()['sts.AssumeRole:throttle']).toBe(3);
    expect(sb.calls()['sts.AssumeRole']).toBe(5);
  });

  it('answers GetCallerIdentity and refuses a key that is not a sandbox key, in the STS dialect', async () => {
    sb = await startSandbox({ world: defineWorld(WORLD) });
    const sts = (key: { accessKeyId: string; secretAccessKey: string }) => new STSClient({ endpoint: sb?.awsEndpoint, region: 'us-east-1', credentials: key, maxAttempts: 1 });

    const me = await sts(sandboxAwsCredentials(HOME)).send(new GetCallerIdentityCommand({}));
    const refused = await sts({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})).catch((e: unknown) => e as Error);

    expect(me.Account).toBe(HOME);
    expect(refused).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
  });
});
