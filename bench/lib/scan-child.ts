/*
 * One full scan of the sandbox cloud at `awsEndpoint`, run by bench/scan.ts in a process of its
 * own, bundled with the stack's esbuild settings and run by plain node as the scan worker's bundle
 * is on Lambda (no TypeScript loader in the process). This file imports what the scan worker
 * imports (the compose root, the providers, the pipeline) and the bench's policy and in-memory
 * state store, so the process's CPU time and peak RSS are the scanner's. The sandbox cloud is
 * another process (bench/lib/sandbox-process.ts): its CPU and memory are not counted here.
 * Reads its input from the parent (IPC); prints one line, `RESULT <json>` (ScanFigures).
 */
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { fixedClock } from '../../shared/clock.js';
import { defaultPolicyFor } from '../../shared/config/load.js';
import { runScan } from '../../shared/pipeline/scan.js';
import type { AwsProvider } from '../../shared/providers/aws/provider.js';
import { sandboxAwsCredentials } from '../../shared/sandbox/aws/protocol.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';

/** What one scan measured. */
export interface ScanFigures {
  resources: number;
  inWorld: number;
  accounts: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  rssBeforeMb: number;
  heapBeforeMb: number;
  findings: { violation: number; unknown: number; failure: number };
  gmd: { series: number; metrics: number; aim: number; overAim: string[]; regions: number };
}

/** Where the sandbox cloud listens, and the accounts and regions its policy targets. */
export interface ScanChildInput {
  readonly awsEndpoint: string;
  readonly accounts: number;
  readonly regions: readonly string[];
  readonly now: string;
}

export async function scanChild(input: ScanChildInput): Promise<ScanFigures> {
  const { awsEndpoint, accounts, regions, now } = input;
  const targets = Array.from({ length: accounts }, (_, a) => ({ scope: { cloud: 'aws' as const, id: String(200_000_000_000 + a), name: `generated-${a}` }, regions: [...regions] }));
  const policy = defaultPolicyFor(targets);
  const providers = buildProviders(policy, { aws: { endpoint: awsEndpoint, credentials: sandboxAwsCredentials } });
  const aws = providers.get('aws') as AwsProvider;
  const clock = fixedClock(new Date(now));
  const store = await openMemoryStore();
  const scanOptions = scanOptionsFor(policy, { now: () => clock.now(), dryRun: true });

  const rssBeforeMb = process.memoryUsage().rss / 1048576;
  const heapBeforeMb = process.memoryUsage().heapUsed / 1048576;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await runScan(scanOptions, { providers, store, clock, prices: priceBook(policy) });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The kernel's high-water mark of this process alone (getrusage RUSAGE_SELF), in KiB.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const byState = (s: string) => report.findings.filter((f) => f.state === s).length;
  // Each account-region reads each window (a kind's decision window, the history before it) on its own; the aim is ⌈series/500⌉ calls per window read.
  const aimOf = (m: { queries: number; windowAim?: number }) => m.windowAim ?? Math.ceil(m.queries / 500);
  await store.close();
  return {
    resources: report.scopes.reduce((s, x) => s + x.resources, 0),
    inWorld: 0,
    accounts,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb,
    rssBeforeMb,
    heapBeforeMb,
    findings: { violation: byState('violation'), unknown: byState('unknown'), failure: byState('failure') },
    gmd: {
      series: aws.meter.queries,
      metrics: aws.meter.metricsRequested,
      aim: [...aws.regionMeters.values()].reduce((s, m) => s + aimOf(m), 0),
      overAim: [...aws.regionMeters].filter(([, m]) => m.calls > aimOf(m)).map(([k]) => k),
      regions: aws.regionMeters.size,
    },
  };
}

if (process.argv.includes('--scan-process')) {
  process.once('message', (input: ScanChildInput) => {
    scanChild(input).then(
      (f) => {
        process.stdout.write(`RESULT ${JSON.stringify(f)}\n`);
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`bench/scan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
