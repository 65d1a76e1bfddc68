/*
 * Scan benchmark: a generated world of 10,000 SageMaker resources over 5 accounts × 2 regions,
 * every sandbox call answered 20 ms late, scanned the way `costwatch scan` does (the real SDK
 * clients, the real provider and rules). Prints wall time, peak RSS, calls per operation,
 * GetMetricData calls against ⌈series/500⌉ per window read and account-region, and the watchdog's own projected
 * monthly AWS bill for an hourly scan. Run: npm run bench (all benches) or npx tsx bench/scan.ts.
 */
import { priceBook, scanOptionsFor } from '../shared/app/compose.js';
import { buildProviders } from '../shared/app/providers.js';
import { defaultPolicyFor } from '../shared/config/load.js';
import { runScan } from '../shared/pipeline/scan.js';
import type { AwsProvider } from '../shared/providers/aws/provider.js';
import { sandboxAwsCredentials } from '../shared/sandbox/aws/protocol.js';
import type { GenerateWorldOptions } from '../shared/sandbox/index.js';
import { fixedClock } from '../shared/clock.js';
import { openMemoryStore } from '../shared/store/embedded-store.js';
import { startSandboxProcess } from './lib/sandbox-process.js';

const ACCOUNTS = 5;
const REGIONS = ['us-east-1', 'eu-west-1'];
/** Per account × region: 1,000 SageMaker resources. */
const PER_REGION = { endpoints: 400, notebooks: 250, studioApps: 150, trainingJobs: 150, processingJobs: 50 };
const LATENCY_MS = 20;
const NOW = '2025-06-16T12:00:00Z';

/** Prices the bill is projected from (../shared/fixtures/pricing/pricing_facts.md). */
const COST_EXPLORER_PER_REQUEST = 0.01; // verified: AWS Cost Explorer FAQ and Price List (USE1-APIRequest)
const GET_METRIC_DATA_PER_1000_METRICS = 0.01; // secondary source: CloudWatch pricing page transcription (2022)
const LIST_METRICS_PER_1000_REQUESTS = 0.01; // same source; the first 1M requests a month are free tier
const SCANS_PER_MONTH = 730; // hourly
// Cost Explorer answers are cached in the state store until midnight UTC (shared/providers/aws/cost-cache.ts):
// only the first scan of a day calls it, so an hourly schedule pays for ~30 cold scans a month, not 730.
const COLD_SCANS_PER_MONTH = 30;

const options: GenerateWorldOptions = {
  accounts: ACCOUNTS,
  regions: REGIONS,
  endpointsPerRegion: PER_REGION.endpoints,
  sagemaker: { notebooks: PER_REGION.notebooks, studioApps: PER_REGION.studioApps, trainingJobs: PER_REGION.trainingJobs, processingJobs: PER_REGION.processingJobs },
  seed: 42,
  now: NOW,
  faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
};

async function main(): Promise<void> {
  const sandbox = await startSandboxProcess(options);
  try {
    const targets = Array.from({ length: ACCOUNTS }, (_, a) => ({ scope: { cloud: 'aws' as const, id: String(200_000_000_000 + a), name: `generated-${a}` }, regions: REGIONS }));
    const policy = defaultPolicyFor(targets);
    const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    const aws = providers.get('aws') as AwsProvider;
    const clock = fixedClock(new Date(NOW));
    const store = await openMemoryStore();
    const scanOptions = scanOptionsFor(policy, { now: () => clock.now(), dryRun: true });

    const rssBefore = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await runScan(scanOptions, { providers, store, clock, prices: priceBook(policy) });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const { calls, maxRssKb } = await sandbox.calls();

    const resources = report.scopes.reduce((s, x) => s + x.resources, 0);
    const inWorld = ACCOUNTS * REGIONS.length * Object.values(PER_REGION).reduce((s, n) => s + n, 0);
    const byState = (s: string) => report.findings.filter((f) => f.state === s).length;
    const series = aws.meter.queries;
    const gmd = calls['cloudwatch.GetMetricData'] ?? 0;
    // Each account-region reads each window (a kind's decision window, the history before it) on its own; the aim is ⌈series/500⌉ calls per window read.
    const regions = [...aws.regionMeters.values()];
    const aimOf = (m: { queries: number; windowAim?: number }) => m.windowAim ?? Math.ceil(m.queries / 500);
    const aim = regions.reduce((s, m) => s + aimOf(m), 0);
    const overAim = [...aws.regionMeters].filter(([, m]) => m.calls > aimOf(m)).map(([k]) => k);
    const ceCalls = Object.entries(calls).filter(([k]) => k.startsWith('ce.')).reduce((s, [, n]) => s + n, 0);
    const listMetrics = calls['cloudwatch.ListMetrics'] ?? 0;
    const bill = {
      getMetricData: (aws.meter.metricsRequested / 1000) * GET_METRIC_DATA_PER_1000_METRICS * SCANS_PER_MONTH,
      costExplorer: ceCalls * COST_EXPLORER_PER_REQUEST * COLD_SCANS_PER_MONTH,
      listMetrics: (listMetrics / 1000) * LIST_METRICS_PER_1000_REQUESTS * SCANS_PER_MONTH,
    };
    const usd = (n: number) => `$${n.toFixed(2)}`;

    const lines = [
      `scan benchmark — ${ACCOUNTS} accounts × ${REGIONS.length} regions, ${inWorld.toLocaleString('en-US')} SageMaker resources in the world, ${LATENCY_MS} ms sandbox latency per call (sandbox in its own process)`,
      `  per account-region: ${Object.entries(PER_REGION).map(([k, v]) => `${v} ${k}`).join(', ')}`,
      `  inventoried        ${resources.toLocaleString('en-US')} (finished jobs and deleted Studio apps are listed but not described, by design)`,
      `  wall time          ${(wallMs / 1000).toFixed(1)} s   (aim < 60 s); scanner CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
      `  peak RSS           ${peakRssMb.toFixed(0)} MB scanner (before the scan ${(rssBefore / 1048576).toFixed(0)} MB; aim < 512 MB); sandbox process ${(maxRssKb / 1024).toFixed(0)} MB`,
      `  findings           ${byState('violation')} violations, ${byState('unknown')} unknown, ${byState('failure')} collection failures`,
      `  GetMetricData      ${gmd} calls for ${series.toLocaleString('en-US')} series (${aws.meter.metricsRequested.toLocaleString('en-US')} billed metrics); aim Σ ⌈series/500⌉ per window read over the ${regions.length} account-regions = ${aim}: ${overAim.length === 0 ? 'met in every one' : `NOT met in ${overAim.join(', ')}`}`,
      `  calls per operation (${Object.values(calls).reduce((s, n) => s + n, 0).toLocaleString('en-US')} in all):`,
      ...Object.entries(calls)
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, n]) => `    ${op.padEnd(48)} ${String(n).padStart(7)}`),
      `  projected monthly AWS bill of the watchdog itself, scanning hourly (${SCANS_PER_MONTH} scans):`,
      `    GetMetricData  ${aws.meter.metricsRequested.toLocaleString('en-US')} metrics × $0.01/1,000 × ${SCANS_PER_MONTH} = ${usd(bill.getMetricData)}`,
      `    Cost Explorer  ${ceCalls} requests × $0.01 × ${COLD_SCANS_PER_MONTH} (first scan of each day; later scans hit the day's cache) = ${usd(bill.costExplorer)}${ceCalls === 0 ? ' (this scan made no Cost Explorer call)' : ''}`,
      `    ListMetrics    ${listMetrics} requests × $0.01/1,000 × ${SCANS_PER_MONTH} = ${usd(bill.listMetrics)} (within the free tier of 1M requests a month)`,
      '    SageMaker and STS API calls are not charged.',
      `    total          ${usd(bill.getMetricData + bill.costExplorer + bill.listMetrics)} a month`,
      '  prices: ../shared/fixtures/pricing/pricing_facts.md (Cost Explorer verified; CloudWatch from a secondary transcription)',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await (store as { close?: () => Promise<void> }).close?.();
  } finally {
    await sandbox.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/scan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
