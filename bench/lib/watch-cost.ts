import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { fixedClock } from '../../shared/clock.js';
import { defaultPolicyFor } from '../../shared/config/load.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import type { AwsProvider } from '../../shared/providers/aws/provider.js';
import { sandboxAwsCredentials } from '../../shared/sandbox/aws/protocol.js';
import type { GenerateWorldOptions } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import { firings, runsPerMonth, scanSchedules } from '../../infra/deploy-config.js';
import { ROOT } from './bundles.js';
import { startSandboxProcess } from './sandbox-process.js';

/*
 * The monthly cost of watching, simulated: the deployed schedules of costwatch.example.yml (its
 * rules, modes and schedules; the accounts are the generated world's) run one after another on a
 * world clock, each scan reading only what its rules need (collection plan) and each resource's
 * usage only when due (activity watermarks), with the state kept between scans as deployed. The
 * first day warms up (every resource is read once, watermarks are set); the next day is counted
 * and each schedule's reads per run are projected to the month by its runs per month.
 *
 * Every counted scan is checked against a dry run at the same moment (a dry run neither reads
 * nor writes watermarks: a full read of every resource): the findings must be the same, which
 * is what "the same time to detect" means. The dry runs' series are also Cloud Custodian's
 * reads: its `metrics` filter calls GetMetricStatistics once per resource and metric on every run.
 */

const HOUR = 3_600_000;
export const WARM_UP_HOURS = 24;
export const COUNTED_HOURS = 24;
const MONTH_HOURS = 730;

/** Prices, USD (bench/prices.md). */
export const PRICES = {
  costExplorerPerRequest: 0.01,
  getMetricDataPer1000Metrics: 0.01,
  per1000Requests: 0.01,
} as const;

export interface ScheduleCost {
  readonly expression: string;
  readonly rules: readonly string[];
  readonly runsPerMonth: number;
  readonly countedRuns: number;
  /** Billed GetMetricData metrics per run, watched (plans + watermarks) and full read (Custodian's series). */
  readonly metricsPerRun: number;
  readonly fullSeriesPerRun: number;
  readonly listMetricsPerRun: number;
  /** Cost Explorer requests per run (a run that finds the day's answer cached makes none). */
  readonly costExplorerPerRun: number;
}

export interface WatchCost {
  readonly resources: number;
  readonly schedules: readonly ScheduleCost[];
  readonly costExplorerPerDay: number;
  /** Counted scans whose findings differ from the full read's at the same moment. */
  readonly mismatches: readonly string[];
  readonly countedScans: number;
  readonly monthly: { readonly getMetricData: number; readonly listMetrics: number; readonly costExplorer: number; readonly total: number; readonly custodian: number };
}

/** The example policy's rules, its cold-artifacts buckets left out (the generated world has none). */
async function exampleRules(): Promise<Record<string, unknown>> {
  const doc = parse(await readFile(`${ROOT}/costwatch.example.yml`, 'utf8')) as { rules: Record<string, Record<string, unknown>> };
  const rules = structuredClone(doc.rules);
  if (rules['cold-artifacts']) delete rules['cold-artifacts']['buckets'];
  return rules;
}

/** Findings in substance: id, state, title. */
const substance = (r: ScanReport) =>
  r.findings
    .filter((f) => f.state !== 'failure')
    .map((f) => `${f.id} ${f.state} ${f.title}`)
    .sort();

export async function simulateWatchCost(world: GenerateWorldOptions): Promise<WatchCost> {
  const sandbox = await startSandboxProcess(world);
  const store = await openMemoryStore();
  try {
    const accounts = world.accounts ?? 1;
    const regions = world.regions ?? ['us-east-1'];
    const targets = Array.from({ length: accounts }, (_, a) => ({ scope: { cloud: 'aws' as const, id: String(200_000_000_000 + a), name: `generated-${a}` }, regions: [...regions] }));
    const policy = defaultPolicyFor(targets, { rules: await exampleRules() });
    const providers = buildProviders(policy, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
    const aws = providers.get('aws') as AwsProvider;
    const prices = priceBook(policy);
    const start = Date.parse(world.now ?? '2025-06-16T12:00:00Z');
    const countFrom = start + WARM_UP_HOURS * HOUR;
    const end = countFrom + COUNTED_HOURS * HOUR;
    const schedules = scanSchedules(policy);
    const events = schedules
      .flatMap((s, i) => (firings(s.at, start, end) ?? []).map((t) => ({ t, i })))
      .sort((a, b) => a.t - b.t || a.i - b.i);
    const per = schedules.map(() => ({ runs: 0, metrics: 0, full: 0, listMetrics: 0, ce: 0 }));
    const mismatches: string[] = [];
    let resources = 0;
    let now = start;
    const ceOf = (c: Record<string, number>) => Object.entries(c).filter(([k]) => k.startsWith('ce.')).reduce((s, [, n]) => s + n, 0);
    // A schedule that fires less than daily (a weekly one) may not fire in the simulated days: it
    // runs once more at the end of the counted day, so its reads per run are measured too.
    const last = end - 60_000;
    for (const [i] of schedules.entries()) if (!events.some((e) => e.i === i && e.t >= countFrom)) events.push({ t: last, i });
    events.sort((a, b) => a.t - b.t || a.i - b.i);
    for (const { t, i } of events) {
      if (t > now) {
        await sandbox.advance(t - now);
        now = t;
      }
      const s = schedules[i]!;
      const counted = t >= countFrom;
      const clock = fixedClock(new Date(t));
      const run = async (dryRun: boolean) => {
        const m0 = aws.meter.metricsRequested;
        const q0 = aws.meter.queries;
        const c0 = (await sandbox.calls()).calls;
        const report = await runScan(scanOptionsFor(policy, { now: () => clock.now(), rules: s.rules, dryRun }), { providers, store, clock, prices });
        const c1 = (await sandbox.calls()).calls;
        return { report, metrics: aws.meter.metricsRequested - m0, series: aws.meter.queries - q0, listMetrics: (c1['cloudwatch.ListMetrics'] ?? 0) - (c0['cloudwatch.ListMetrics'] ?? 0), ce: ceOf(c1) - ceOf(c0) };
      };
      const watched = await run(false);
      resources = Math.max(resources, watched.report.scopes.reduce((n, x) => n + x.resources, 0));
      if (!counted) continue;
      const full = await run(true);
      const a = substance(watched.report);
      const b = substance(full.report);
      if (a.join('\n') !== b.join('\n')) {
        const missing = b.filter((x) => !a.includes(x)).length;
        const extra = a.filter((x) => !b.includes(x)).length;
        mismatches.push(`${new Date(t).toISOString()} ${s.rules.join(',')}: ${missing} findings of the full read missing, ${extra} not in it`);
      }
      per[i]!.runs++;
      per[i]!.metrics += watched.metrics;
      per[i]!.full += full.series;
      per[i]!.listMetrics += watched.listMetrics;
      per[i]!.ce += watched.ce;
    }
    const out: ScheduleCost[] = schedules.map((s, i) => {
      const p = per[i]!;
      const n = Math.max(1, p.runs);
      return { expression: s.at, rules: s.rules, runsPerMonth: runsPerMonth(s.at) ?? 0, countedRuns: p.runs, metricsPerRun: p.metrics / n, fullSeriesPerRun: p.full / n, listMetricsPerRun: p.listMetrics / n, costExplorerPerRun: p.ce / n };
    });
    const getMetricData = out.reduce((sum, s) => sum + (s.metricsPerRun / 1000) * PRICES.getMetricDataPer1000Metrics * s.runsPerMonth, 0);
    const listMetrics = out.reduce((sum, s) => sum + (s.listMetricsPerRun / 1000) * PRICES.per1000Requests * s.runsPerMonth, 0);
    // Each schedule's Cost Explorer requests per run (its daily cache included) × its runs a month.
    const costExplorerPerMonth = out.reduce((sum, s) => sum + s.costExplorerPerRun * s.runsPerMonth, 0);
    const costExplorerPerDay = costExplorerPerMonth / (MONTH_HOURS / 24);
    const costExplorer = costExplorerPerMonth * PRICES.costExplorerPerRequest;
    const custodian = out.reduce((sum, s) => sum + (s.fullSeriesPerRun / 1000) * PRICES.per1000Requests * s.runsPerMonth, 0);
    return {
      resources,
      schedules: out,
      costExplorerPerDay,
      mismatches,
      countedScans: per.reduce((n, p) => n + p.runs, 0),
      monthly: { getMetricData, listMetrics, costExplorer, total: getMetricData + listMetrics + costExplorer, custodian },
    };
  } finally {
    await store.close();
    await sandbox.close();
  }
}
