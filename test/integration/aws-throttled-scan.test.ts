import { describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { defaultPolicyFor } from '../../shared/config/load.js';
import type { Finding } from '../../shared/domain/finding.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { awsClientFactory } from '../../shared/providers/aws/clients.js';
import { AwsProvider } from '../../shared/providers/aws/provider.js';
import { generateWorld, sandboxAwsCredentials, startSandbox, worldScopes, type FaultInput } from '../../shared/sandbox/index.js';
import { ADVICE_RULE_IDS } from '../../shared/rules/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

/** A scan of a generated world with every SageMaker kind; returns its findings and the sandbox's counts. */
async function scanWith(faults: FaultInput[]) {
  const world = generateWorld({
    accounts: 1,
    regions: ['us-east-1', 'eu-west-1'],
    endpointsPerRegion: 25,
    sagemaker: { notebooks: 10, studioApps: 10, trainingJobs: 8, processingJobs: 4 },
    seed: 11,
    faults,
  });
  const sb = await startSandbox({ world });
  try {
    const policy = defaultPolicyFor(worldScopes(world));
    const accounts = worldScopes(world).map((t) => ({ accountId: t.scope.id }));
    // Fast backoff keeps the test quick; 12 attempts make 12 throttles in a row (0.3^12) vanishingly rare.
    const factory = awsClientFactory(accounts, { endpoint: sb.awsEndpoint, credentials: sandboxAwsCredentials, retry: { maxAttempts: 12, baseDelayMs: 2 } });
    const store = await openMemoryStore();
    const report = await runScan(scanOptionsFor(policy, { now: () => sb.clock.now(), dryRun: true }), {
      providers: new Map([['aws', new AwsProvider(factory)]]),
      store,
      clock: sb.clock,
      prices: priceBook(policy),
    });
    return { findings: report.findings, calls: sb.calls(), injected: sb.faults.injected() };
  } finally {
    await sb.close();
  }
}

const comparable = (fs: readonly Finding[]) => [...fs].sort((a, b) => a.id.localeCompare(b.id)).map((f) => JSON.stringify(f));

describe('a full scan under throttling', () => {
  it('finds exactly the same with 30% of calls throttled (seeded) as with none', async () => {
    const calm = await scanWith([]);
    const throttled = await scanWith([{ kind: 'throttle', rate: 0.3 }]);

    const total = Object.values(throttled.calls).reduce((s, n) => s + n, 0);
    const faulted = Object.values(throttled.injected).reduce((s, n) => s + n, 0);
    expect(faulted / total).toBeGreaterThan(0.2);
    expect(faulted / total).toBeLessThan(0.4);
    expect(calm.findings.filter((f) => f.state === 'failure')).toEqual([]);
    expect(calm.findings.length).toBeGreaterThan(20);
    // Advice (spot, tags) is compared below with the rest.
    expect(new Set(calm.findings.map((f) => f.ruleId).filter((id) => !ADVICE_RULE_IDS.includes(id)))).toEqual(new Set(['idle-endpoint', 'underused-endpoint', 'idle-notebook', 'idle-studio-app', 'long-training-job']));
    expect(comparable(throttled.findings)).toEqual(comparable(calm.findings));
  });
});
