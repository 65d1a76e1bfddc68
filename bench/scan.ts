/*
 * Scan benchmark: a generated world of SageMaker resources (default 10,000; `--resources 50000`)
 * over accounts × 2 regions, every sandbox call answered 20 ms late, scanned the way the deployed
 * scan worker does (the real SDK clients, provider and rules). Prints wall time, CPU, peak RSS,
 * calls per operation, GetMetricData calls against ⌈series/500⌉ per window read and
 * account-region, metrics read, and what watching these resources costs the watchdog per
 * month per 1,000 resources, next to Cloud Custodian's cost for the same resources and cadence.
 *
 * What it assumes, stated again in its output:
 * - scans per month come from the deployed schedules of costwatch.example.yml (infra/deploy-
 *   config.ts `scanSchedules`, each expression counted by `runsPerMonth`), not 730;
 * - every scheduled scan reads what this one full scan reads (inventory and every usage series):
 *   that is what the scan does today; when a schedule reads only what its rules need, the
 *   projection must be made per schedule;
 * - Cost Explorer answers are cached until midnight UTC (shared/providers/aws/cost-cache.ts), so
 *   only the first scan of a day pays for them: ~30.4 a month;
 * - endpoints follow `--mix`: `realistic` (70% busy, 20% idle, 10% nightly batch; the default)
 *   or `idle` (all idle, the worst case); `both` runs the two worlds one after the other.
 *   Notebooks, Studio apps and jobs keep the generator's own patterns;
 * - prices: bench/prices.md (each with its source and how sure it is).
 * Run: npm run bench (all benches) or npx tsx bench/scan.ts [--resources N] [--mix realistic|idle|both].
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
import { loadDeployPolicy, runsPerMonth, scanSchedules } from '../infra/deploy-config.js';
import { startSandboxProcess } from './lib/sandbox-process.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const REGIONS = ['us-east-1', 'eu-west-1'];
/** Per account × region: 1,000 SageMaker resources. */
const PER_REGION = { endpoints: 400, notebooks: 250, studioApps: 150, trainingJobs: 150, processingJobs: 50 };
const PER_ACCOUNT_REGION = Object.values(PER_REGION).reduce((s, n) => s + n, 0);
const RESOURCES = Number(arg('resources') ?? 10_000);
const ACCOUNTS = Math.max(1, Math.round(RESOURCES / (PER_ACCOUNT_REGION * REGIONS.length)));
const LATENCY_MS = 20;
const NOW = '2025-06-16T12:00:00Z';

/** Endpoint usage mixes (the generator's kinds, by weight). */
const MIXES = {
  realistic: { label: '70% busy, 20% idle, 10% nightly batch', mix: { busy: 70, idle: 20, nightly: 10, new: 0, 'no-data': 0, 'heartbeat-only': 0, weekly: 0, serverless: 0, async: 0, 'multi-variant': 0 } },
  idle: { label: 'all idle (worst case)', mix: { busy: 0, idle: 100, nightly: 0, new: 0, 'no-data': 0, 'heartbeat-only': 0, weekly: 0, serverless: 0, async: 0, 'multi-variant': 0 } },
} as const;
type MixName = keyof typeof MIXES;

/** Prices (bench/prices.md). */
const COST_EXPLORER_PER_REQUEST = 0.01; // verified: Cost Explorer FAQ and Price List USE1-APIRequest
const GET_METRIC_DATA_PER_1000_METRICS = 0.01; // secondary source (CloudWatch pricing page transcription, 2022)
const PER_1000_REQUESTS = 0.01; // GetMetricStatistics and ListMetrics; same secondary source
/** Days in an average month: the first scan of each pays for Cost Explorer (daily cache). */
const DAYS_PER_MONTH = 730 / 24;

/** The deployed scan schedules of the example policy and how often each fires. */
async function deployedCadence(): Promise<{ lines: string[]; scansPerMonth: number }> {
  const { policy } = await loadDeployPolicy('costwatch.example.yml');
  const schedules = scanSchedules(policy);
  let total = 0;
  const lines = schedules.map((s) => {
    const n = runsPerMonth(s.at) ?? 0;
    total += n;
    return `    ${s.at.padEnd(26)} ${n.toFixed(1).padStart(7)} scans/month  (${s.expression}: ${s.rules.join(', ')})`;
  });
  return { lines, scansPerMonth: total };
}

async function scanOnce(mixName: MixName, cadence: { lines: string[]; scansPerMonth: number }): Promise<void> {
  const options: GenerateWorldOptions = {
    accounts: ACCOUNTS,
    regions: REGIONS,
    endpointsPerRegion: PER_REGION.endpoints,
    sagemaker: { notebooks: PER_REGION.notebooks, studioApps: PER_REGION.studioApps, trainingJobs: PER_REGION.trainingJobs, processingJobs: PER_REGION.processingJobs },
    seed: 42,
    now: NOW,
    mix: MIXES[mixName].mix,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
  };
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
    const scans = cadence.scansPerMonth;
    const bill = {
      getMetricData: (aws.meter.metricsRequested / 1000) * GET_METRIC_DATA_PER_1000_METRICS * scans,
      costExplorer: ceCalls * COST_EXPLORER_PER_REQUEST * DAYS_PER_MONTH,
      listMetrics: (listMetrics / 1000) * PER_1000_REQUESTS * scans,
    };
    const total = bill.getMetricData + bill.costExplorer + bill.listMetrics;
    // Cloud Custodian, same resources, signals and cadence: one GetMetricStatistics per resource and metric.
    const custodian = (series / 1000) * PER_1000_REQUESTS * scans;
    const per1000 = (usd: number) => (resources > 0 ? (usd * 1000) / resources : 0);
    const usd = (n: number) => `$${n.toFixed(2)}`;

    const lines = [
      `scan benchmark — endpoints ${MIXES[mixName].label}; ${ACCOUNTS} accounts × ${REGIONS.length} regions, ${inWorld.toLocaleString('en-US')} SageMaker resources in the world, ${LATENCY_MS} ms sandbox latency per call (sandbox in its own process)`,
      `  per account-region: ${Object.entries(PER_REGION).map(([k, v]) => `${v} ${k}`).join(', ')}`,
      `  inventoried        ${resources.toLocaleString('en-US')} (finished jobs and deleted Studio apps are listed but not described, by design)`,
      `  wall time          ${(wallMs / 1000).toFixed(1)} s; scanner CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
      `  peak RSS           ${peakRssMb.toFixed(0)} MB scanner (before the scan ${(rssBefore / 1048576).toFixed(0)} MB); sandbox process ${(maxRssKb / 1024).toFixed(0)} MB`,
      `  findings           ${byState('violation')} violations, ${byState('unknown')} unknown, ${byState('failure')} collection failures`,
      `  GetMetricData      ${gmd} calls for ${series.toLocaleString('en-US')} series (${aws.meter.metricsRequested.toLocaleString('en-US')} billed metrics); aim Σ ⌈series/500⌉ per window read over the ${regions.length} account-regions = ${aim}: ${overAim.length === 0 ? 'met in every one' : `NOT met in ${overAim.join(', ')}`}`,
      `  calls per operation (${Object.values(calls).reduce((s, n) => s + n, 0).toLocaleString('en-US')} in all):`,
      ...Object.entries(calls)
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, n]) => `    ${op.padEnd(48)} ${String(n).padStart(7)}`),
      `  scans per month, from the deployed schedules of costwatch.example.yml (each scan assumed to read what this one read):`,
      ...cadence.lines,
      `    total ${scans.toFixed(1)} scans/month`,
      `  projected monthly AWS bill of the watchdog itself:`,
      `    GetMetricData  ${aws.meter.metricsRequested.toLocaleString('en-US')} metrics × $0.01/1,000 × ${scans.toFixed(1)} scans = ${usd(bill.getMetricData)}`,
      `    Cost Explorer  ${ceCalls} requests × $0.01 × ${DAYS_PER_MONTH.toFixed(1)} days (first scan of each day; later scans hit the day's cache) = ${usd(bill.costExplorer)}${ceCalls === 0 ? ' (this scan made no Cost Explorer call)' : ''}`,
      `    ListMetrics    ${listMetrics} requests × $0.01/1,000 × ${scans.toFixed(1)} scans = ${usd(bill.listMetrics)} (free tier of 1M requests a month not deducted)`,
      '    SageMaker and STS calls are not charged.',
      `    total          ${usd(total)} a month = ${usd(per1000(total))} per 1,000 resources·month (target ≤ $1.50 for the realistic mix)`,
      `  Cloud Custodian, same resources and cadence: ${series.toLocaleString('en-US')} GetMetricStatistics (one per resource and metric) × $0.01/1,000 × ${scans.toFixed(1)} scans = ${usd(custodian)} a month = ${usd(per1000(custodian))} per 1,000 resources·month`,
      `  ratio costwatch / Custodian: ${custodian > 0 ? (total / custodian).toFixed(2) : '–'}× (CloudWatch reads alone: ${custodian > 0 ? (bill.getMetricData / custodian).toFixed(2) : '–'}×)`,
      '  prices: bench/prices.md (Cost Explorer verified; CloudWatch from a secondary transcription)',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await (store as { close?: () => Promise<void> }).close?.();
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const mix = arg('mix') ?? 'realistic';
  if (!['realistic', 'idle', 'both'].includes(mix)) throw new Error(`--mix ${mix}: use realistic, idle or both`);
  if (!Number.isInteger(RESOURCES) || RESOURCES < 1) throw new Error(`--resources ${arg('resources')}: give a whole number of resources`);
  const cadence = await deployedCadence();
  for (const m of mix === 'both' ? (['realistic', 'idle'] as const) : [mix as MixName]) await scanOnce(m, cadence);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/scan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
