/*
 * Scan benchmark. Two parts, both printed by `npm run bench`:
 *
 * 1. A full scan of a generated world of SageMaker resources (10,000 and 50,000 by default;
 *    `--resources N` for one size) over accounts × 2 regions, every sandbox call answered 20 ms
 *    late, scanned the way the deployed scan worker does (the real SDK clients, provider and
 *    rules; every rule of the default policy, a dry run: everything read, nothing written). The
 *    scan runs in a process of its own (bench/lib/scan-child.ts, which imports only what the scan
 *    worker imports) and the sandbox in another (bench/lib/sandbox-process.ts), so the wall time,
 *    CPU (process.cpuUsage) and peak RSS (the process's own getrusage maxrss) printed are the
 *    scanner's alone, not the sandbox cloud's, as a Lambda would be billed. Prints calls per operation, GetMetricData calls against ⌈series/500⌉ per
 *    window read and account-region, and the metrics read.
 *
 * 2. What watching costs per month (bench/lib/watch-cost.ts): the deployed schedules of
 *    costwatch.example.yml run on a world clock over a smaller world of the same make-up, with
 *    collection plans and activity watermarks as deployed, every counted scan checked against a
 *    full read at the same moment (the same findings: the same time to detect). Projected per
 *    1,000 resources·month for the realistic mix (70% busy, 20% idle, 10% nightly batch) and the
 *    worst case (all idle), next to Cloud Custodian's cost for the same resources and cadence
 *    (one GetMetricStatistics per resource and metric, every run), as a ratio.
 *
 * What it assumes, stated again in its output:
 * - scans per month come from the deployed schedules of costwatch.example.yml (infra/deploy-
 *   config.ts `scanSchedules`, each expression counted by `runsPerMonth`), not 730;
 * - reads per resource do not depend on how many resources there are (each resource has its own
 *   watermark), so the cost per 1,000 resources simulated on a smaller world holds at 10k and 50k;
 *   Cost Explorer requests are per account (one per account and day: answers are cached until
 *   midnight UTC, shared/providers/aws/cost-cache.ts) and are added per account of each size;
 * - nobody clicks: flagged resources stay flagged (re-read every 24 h), the costliest case;
 * - prices: bench/prices.md (each with its source and how sure it is).
 * Run: npm run bench (all benches) or npx tsx bench/scan.ts [--resources N] [--mix realistic|idle]
 * [--scan-only: no cost simulation] [--profile DIR: write the scanner process's CPU profile there]
 * [--scanner-node-flags '<flags>': Node/V8 flags for the scanner process only, e.g. --max-old-space-size=256].
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateWorldOptions } from '../shared/sandbox/index.js';
import { bundleEntry, linkNodeModules } from './lib/bundles.js';
import type { ScanChildInput, ScanFigures } from './lib/scan-child.js';
import { startSandboxProcess } from './lib/sandbox-process.js';
import { COUNTED_HOURS, PRICES, simulateWatchCost, WARM_UP_HOURS, type WatchCost } from './lib/watch-cost.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const REGIONS = ['us-east-1', 'eu-west-1'];
/** Per account × region: 1,000 SageMaker resources. */
const PER_REGION = { endpoints: 400, notebooks: 250, studioApps: 150, trainingJobs: 150, processingJobs: 50 };
const PER_ACCOUNT_REGION = Object.values(PER_REGION).reduce((s, n) => s + n, 0);
/** The cost simulation's world: one account × region of the same make-up, a quarter of the size. */
const SIM_REGION = { endpoints: 100, notebooks: 60, studioApps: 40, trainingJobs: 40, processingJobs: 10 };
const SIM_RESOURCES = Object.values(SIM_REGION).reduce((s, n) => s + n, 0);
const LATENCY_MS = 20;
const NOW = '2025-06-16T12:00:00Z';

/** Endpoint usage mixes (the generator's kinds, by weight). */
const NONE = { busy: 0, idle: 0, nightly: 0, new: 0, 'no-data': 0, 'heartbeat-only': 0, weekly: 0, serverless: 0, async: 0, 'multi-variant': 0 };
const MIXES = {
  realistic: { label: '70% busy, 20% idle, 10% nightly batch', mix: { ...NONE, busy: 70, idle: 20, nightly: 10 } },
  idle: { label: 'all idle (worst case)', mix: { ...NONE, idle: 100 } },
} as const;
type MixName = keyof typeof MIXES;

/** The world of `resources` SageMaker resources the scan bench reads. */
function worldOf(resources: number, mixName: MixName): GenerateWorldOptions {
  return {
    accounts: Math.max(1, Math.round(resources / (PER_ACCOUNT_REGION * REGIONS.length))),
    regions: REGIONS,
    endpointsPerRegion: PER_REGION.endpoints,
    sagemaker: { notebooks: PER_REGION.notebooks, studioApps: PER_REGION.studioApps, trainingJobs: PER_REGION.trainingJobs, processingJobs: PER_REGION.processingJobs },
    seed: 42,
    now: NOW,
    mix: MIXES[mixName].mix,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
  };
}

/** What a scan measured, with the sandbox's count of the calls it answered. */
type Figures = ScanFigures & { inWorld: number; calls: Record<string, number>; gmdCalls: number; sandboxRssMb: number };

/**
 * Runs one scan: the sandbox in a process of its own (bench/lib/sandbox-process.ts), the scanner
 * in another, from bench/lib/scan-child.ts bundled as the stack bundles a function and run by plain
 * node (`bundle`), so neither the sandbox nor a TypeScript loader is in the figures.
 * `profileDir`: write the scanner's CPU profile there.
 */
async function scanInChild(bundle: string, resources: number, mix: MixName, profileDir?: string, nodeFlags: readonly string[] = []): Promise<Figures> {
  const world = worldOf(resources, mix);
  const sandbox = await startSandboxProcess(world);
  try {
    const input: ScanChildInput = { awsEndpoint: sandbox.awsEndpoint, accounts: world.accounts!, regions: REGIONS, now: NOW };
    const f = await new Promise<ScanFigures>((resolve, reject) => {
      const execArgv = [...nodeFlags, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])];
      const child = fork(bundle, ['--scan-process'], { execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (code !== 0 || !line) reject(new Error(`the scan process exited with ${code}`));
        else resolve(JSON.parse(line.slice(7)) as ScanFigures);
      });
      child.send(input);
    });
    const { calls, maxRssKb } = await sandbox.calls();
    return { ...f, inWorld: world.accounts! * REGIONS.length * PER_ACCOUNT_REGION, calls, gmdCalls: calls['cloudwatch.GetMetricData'] ?? 0, sandboxRssMb: maxRssKb / 1024 };
  } finally {
    await sandbox.close();
  }
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Monthly cost per 1,000 resources at a size: what scales with resources, plus Cost Explorer per account. */
function projected(c: WatchCost, resources: number, accounts: number) {
  const perResource = (c.monthly.getMetricData + c.monthly.listMetrics) / SIM_RESOURCES;
  const ce = c.monthly.costExplorer * accounts; // the simulation has one account
  const total = perResource * resources + ce;
  const custodian = (c.monthly.custodian / SIM_RESOURCES) * resources;
  return { per1000: (total * 1000) / resources, custodianPer1000: (custodian * 1000) / resources, ratio: custodian > 0 ? total / custodian : NaN, ce };
}

function printScan(f: Figures, mix: MixName): void {
  const lines = [
    `scan — ${f.inWorld.toLocaleString('en-US')} SageMaker resources (${f.accounts} accounts × ${REGIONS.length} regions; endpoints ${MIXES[mix].label}), ${LATENCY_MS} ms sandbox latency per call; scanner and sandbox each in a process of its own`,
    `  per account-region: ${Object.entries(PER_REGION).map(([k, v]) => `${v} ${k}`).join(', ')}; every rule of the default policy, a dry run (a full read: no watermark skips anything)`,
    `  inventoried        ${int(f.resources)} (finished jobs and deleted Studio apps are listed but not described, by design)`,
    `  wall time          ${(f.wallMs / 1000).toFixed(1)} s`,
    `  scanner CPU        ${(f.cpuMs / 1000).toFixed(1)} s user + system of the scanner process alone (process.cpuUsage over the scan; target ≤ 8 s at 10k)`,
    `  peak RSS           ${f.peakRssMb.toFixed(0)} MB, the scanner process's own high-water mark (getrusage maxrss; target ≤ 256 MB at 10k, ≤ 384 MB at 50k): ${f.rssBeforeMb.toFixed(0)} MB (heap ${f.heapBeforeMb.toFixed(0)} MB) before the scan, its modules loaded from the bundle`,
    `  sandbox            ${f.sandboxRssMb.toFixed(0)} MB peak RSS in its own process, not counted above (nor its CPU)`,
    `  findings           ${f.findings.violation} violations, ${f.findings.unknown} unknown, ${f.findings.failure} collection failures`,
    `  metrics read       ${int(f.gmd.series)} series (${int(f.gmd.metrics)} billed metrics) in ${f.gmdCalls} GetMetricData calls; aim Σ ⌈series/500⌉ per window read over the ${f.gmd.regions} account-regions = ${f.gmd.aim}: ${f.gmd.overAim.length === 0 ? 'met in every one' : `NOT met in ${f.gmd.overAim.join(', ')}`}`,
    `  calls per operation (${int(Object.values(f.calls).reduce((s, n) => s + n, 0))} in all):`,
    ...Object.entries(f.calls)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, n]) => `    ${op.padEnd(48)} ${String(n).padStart(7)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printCost(mix: MixName, c: WatchCost): void {
  const lines = [
    `cost of watching — endpoints ${MIXES[mix].label}: simulated on ${SIM_RESOURCES} SageMaker resources (1 account × 1 region: ${Object.entries(SIM_REGION).map(([k, v]) => `${v} ${k}`).join(', ')}), the example policy's rules, modes and schedules, no latency`,
    `  ${WARM_UP_HOURS} h warm-up, then ${COUNTED_HOURS} h counted: ${c.countedScans} scans, each checked against a full read at the same moment: ${c.mismatches.length === 0 ? 'the same findings every time (the same time to detect)' : `${c.mismatches.length} DIFFER: ${c.mismatches.slice(0, 3).join('; ')}`}`,
    `  per schedule (runs a month from its expression; billed metrics per run, with plans + watermarks / a full read of the same rules):`,
    ...c.schedules.map(
      (s) =>
        `    ${s.expression.padEnd(26)} ${s.runsPerMonth.toFixed(1).padStart(6)} runs  ${s.metricsPerRun.toFixed(1).padStart(7)} / ${s.fullSeriesPerRun.toFixed(0).padStart(5)} metrics, ${s.costExplorerPerRun.toFixed(2)} Cost Explorer  → ${usd((s.metricsPerRun / 1000) * PRICES.getMetricDataPer1000Metrics * s.runsPerMonth)}  (${s.rules.join(', ')})`,
    ),
    `  GetMetricData  Σ metrics/run × $0.01/1,000 × runs/month = ${usd(c.monthly.getMetricData)} a month for ${SIM_RESOURCES} resources = ${usd((c.monthly.getMetricData * 1000) / SIM_RESOURCES)} per 1,000`,
    `  ListMetrics    ${usd(c.monthly.listMetrics)} a month (free tier of 1M requests not deducted)`,
    `  Cost Explorer  Σ requests/run × runs/month = ${(c.costExplorerPerDay * 30.4).toFixed(1)} request(s) a month per account (${c.costExplorerPerDay.toFixed(2)} a day) × $0.01 = ${usd(c.monthly.costExplorer)} per account·month (not per resource)`,
    '  SageMaker and STS calls are not charged.',
    `  Cloud Custodian, same resources and cadence: Σ full-read series/run (one GetMetricStatistics per resource and metric) × $0.01/1,000 × runs/month = ${usd(c.monthly.custodian)} a month = ${usd((c.monthly.custodian * 1000) / SIM_RESOURCES)} per 1,000`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const mixArg = arg('mix') ?? 'realistic';
  if (!(mixArg in MIXES)) throw new Error(`--mix ${mixArg}: use realistic or idle`);
  const sizes = arg('resources') !== undefined ? [Number(arg('resources'))] : [10_000, 50_000];
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--resources ${arg('resources')}: give a whole number of resources`);
  const profileDir = arg('profile');
  if (process.argv.includes('--profile') && !profileDir) throw new Error('--profile: give a folder for the scanner\'s CPU profile');
  const scanOnly = process.argv.includes('--scan-only');
  // Node/V8 flags for the scanner process alone (e.g. --max-old-space-size=256), never the sandbox's.
  const nodeFlags = (arg('scanner-node-flags') ?? '').split(' ').filter((f) => f.length > 0);
  const sim = (mix: MixName) =>
    simulateWatchCost({ accounts: 1, regions: ['us-east-1'], endpointsPerRegion: SIM_REGION.endpoints, sagemaker: { notebooks: SIM_REGION.notebooks, studioApps: SIM_REGION.studioApps, trainingJobs: SIM_REGION.trainingJobs, processingJobs: SIM_REGION.processingJobs }, seed: 42, now: NOW, mix: MIXES[mix].mix });
  let t0 = performance.now();
  // The two mixes side by side: each scanner and sandbox is a process of its own.
  const costs = scanOnly ? undefined : await Promise.all([sim('realistic'), sim('idle')]).then(([realistic, idle]) => ({ realistic, idle }));
  if (costs) {
    for (const m of ['realistic', 'idle'] as const) printCost(m, costs[m]);
    process.stdout.write(`  (cost simulation: ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  // The scanner as the stack bundles a function (the AWS SDK external, resolved from node_modules).
  const dir = await mkdtemp(join(tmpdir(), 'costwatch-scan-bench-'));
  try {
    await linkNodeModules(dir);
    const { file: bundle } = await bundleEntry('scan-child', fileURLToPath(new URL('./lib/scan-child.ts', import.meta.url)), dir);
    for (const n of sizes) {
    t0 = performance.now();
    const f = await scanInChild(bundle, n, mixArg as MixName, profileDir, nodeFlags);
      if (nodeFlags.length > 0) process.stdout.write(`  (scanner process run with ${nodeFlags.join(' ')})\n`);
    printScan(f, mixArg as MixName);
    if (!costs) continue;
    const real = projected(costs.realistic, f.inWorld, f.accounts);
    const idle = projected(costs.idle, f.inWorld, f.accounts);
    process.stdout.write(
      [
        `  projected monthly cost of watching these ${int(f.inWorld)} resources, per 1,000 resources·month (plans + watermarks, example policy's schedules; Cost Explorer ${usd(real.ce)} for ${f.accounts} accounts included):`,
        `    realistic mix  ${usd(real.per1000)} (target ≤ $1.50)   Cloud Custodian ${usd(real.custodianPer1000)}   ratio costwatch/Custodian ${real.ratio.toFixed(2)}×`,
        `    all idle       ${usd(idle.per1000)} (worst case)        Cloud Custodian ${usd(idle.custodianPer1000)}   ratio costwatch/Custodian ${idle.ratio.toFixed(2)}×`,
        '  prices: bench/prices.md (Cost Explorer verified; CloudWatch from a secondary transcription)',
        `  (${int(f.inWorld)} resources: ${((performance.now() - t0) / 1000).toFixed(0)} s with the sandbox's start)`,
      ].join('\n') + '\n',
    );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/scan: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
