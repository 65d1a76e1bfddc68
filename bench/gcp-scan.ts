/*
 * Google Cloud scan benchmark: a generated world of 5,000 Google Cloud resources over 10 projects
 * (each: us-central1 and europe-west4 with 100 Vertex AI endpoints of 2 deployed models, 100
 * Workbench instances and 40 custom jobs, plus 20 Cloud Storage buckets of 500 objects; a billing
 * account with its standard billing export in BigQuery, one budget per project, 60 days of cost
 * rows and Catalog SKUs), every sandbox call answered 20 ms late, scanned the way `costwatch scan`
 * does (the real Google clients over the REST transport, the real provider and rules). The sandbox
 * runs in a child process (bench/lib/sandbox-process.ts), so wall time and peak RSS are the
 * scanner's. Prints wall time, peak RSS, calls per operation and per resource, BigQuery bytes
 * billed, and a projection of the monthly bill of watching it with hourly scans.
 * Run: npm run bench (all benches) or npx tsx bench/gcp-scan.ts; GCP_BENCH_PROJECTS=1 for a
 * 500-resource run. Prices: bench/prices.md.
 */
import { gcpProviderBuilder } from '../shared/app/compose-gcp.js';
import { priceBook, scanOptionsFor } from '../shared/app/compose.js';
import { buildProviders } from '../shared/app/providers.js';
import { fixedClock } from '../shared/clock.js';
import { defaultPolicyFor } from '../shared/config/load.js';
import { runScan } from '../shared/pipeline/scan.js';
import { staticTokenAuth } from '../shared/providers/gcp/clients.js';
import type { GcpProvider } from '../shared/providers/gcp/provider.js';
import type { WorldInput } from '../shared/sandbox/index.js';
import { openMemoryStore } from '../shared/store/embedded-store.js';
import { startSandboxProcess } from './lib/sandbox-process.js';

const PROJECTS = Number(process.env["GCP_BENCH_PROJECTS"] ?? 10);
const REGIONS = ['us-central1', 'europe-west4'];
/** Per project·region: 100 endpoints (2 deployed models each), 100 Workbench instances, 40 custom jobs = 240; per project 20 buckets. */
const PER_REGION = { endpoints: 100, workbench: 100, jobs: 40 };
const BUCKETS = 20;
const OBJECTS_PER_BUCKET = 500;
const LATENCY_MS = 20;
const NOW = '2026-11-28T12:00:00Z';
const SCANS_PER_MONTH = 730; // hourly
/**
 * Cloud Monitoring read API calls, per 1,000 (bench/prices.md: the long-standing list price; NOT
 * confirmed against the live pricing page in this run, and Google has announced billing reads by
 * time series returned instead — see bench/prices.md).
 */
const MONITORING_READ_PER_1000_CALLS = 0.01;
/** Cloud Storage Class A operations per 1,000 (buckets.list and objects.list are Class A), Standard, regional: shared/pricing/gcp-storage.json. */
const GCS_CLASS_A_PER_1000 = 0.005;
/** BigQuery on-demand analysis per TiB billed (bench/prices.md; the free first TiB a month is left out). */
const BIGQUERY_PER_TIB = 6.25;
const ACCOUNT = '01B2C3-D4E5F6-A7B8C9';
const EXPORT = { project: 'bench-billing', dataset: 'billing_export' };
const VERTEX = 'C7E2-9256-1C43';
const COMPUTE = '6F81-5844-456A';
const STORAGE = '95FF-2EF5-5EA1';
const AMERICAS = ['us-central1', 'us-east1', 'us-west1'];
const EUROPE = ['europe-west4'];

/** Catalog SKUs as Google describes them, for the services the scan prices. */
function skus() {
  const machine = (service: string, id: string, prefix: string, regions: string[], core: number, ram: number, place: string) => [
    { service, id: `${id}-0001`, description: `${prefix} Core running in ${place}`, regions, price: core, unit: 'h' },
    { service, id: `${id}-0002`, description: `${prefix} Ram running in ${place}`, regions, price: ram, unit: 'GiBy.h' },
  ];
  return [
    ...machine(VERTEX, 'A001-0000', 'Vertex AI: Online/Batch Prediction N1 Predefined Instance', AMERICAS, 0.0379, 0.0051, 'Americas'),
    ...machine(VERTEX, 'A002-0000', 'Vertex AI: Online/Batch Prediction N1 Predefined Instance', EUROPE, 0.0417, 0.0056, 'Netherlands'),
    { service: VERTEX, id: 'A003-0000-0001', description: 'Vertex AI: Online/Batch Prediction Nvidia Tesla T4 GPU running in Americas', regions: AMERICAS, price: 0.4025, unit: 'h' },
    ...machine(VERTEX, 'A004-0000', 'Vertex AI: Training/Pipelines on N1 Predefined Instance', [...AMERICAS, ...EUROPE], 0.031611, 0.004237, 'Americas'),
    { service: VERTEX, id: 'A005-0000-0001', description: 'Vertex AI: Training/Pipelines Management fee on N1 Instance Core in Americas', regions: [...AMERICAS, ...EUROPE], price: 0.0047417, unit: 'h' },
    { service: VERTEX, id: 'A005-0000-0002', description: 'Vertex AI: Training/Pipelines Management fee on N1 Instance RAM in Americas', regions: [...AMERICAS, ...EUROPE], price: 0.0006356, unit: 'GiBy.h' },
    ...machine(COMPUTE, 'C001-0000', 'E2 Instance', [...AMERICAS, ...EUROPE], 0.021811, 0.002923, 'Americas'),
    { service: STORAGE, id: 'B001-0000-0001', description: 'Standard Storage Iowa', regions: ['us-central1'], price: 0.02, unit: 'GiBy.mo' },
    { service: STORAGE, id: 'B001-0000-0002', description: 'Nearline Storage Iowa', regions: ['us-central1'], price: 0.01, unit: 'GiBy.mo' },
    { service: STORAGE, id: 'B001-0000-0003', description: 'Coldline Storage Iowa', regions: ['us-central1'], price: 0.004, unit: 'GiBy.mo' },
    { service: STORAGE, id: 'B001-0000-0004', description: 'Archive Storage Iowa', regions: ['us-central1'], price: 0.0012, unit: 'GiBy.mo' },
    { service: STORAGE, id: 'B001-0000-0005', description: 'Regional Nearline Class A Operations', regions: ['global'], price: 0.00001, unit: 'count' },
  ];
}

const projectId = (p: number) => `bench-project-${String(p).padStart(2, '0')}`;

function world(): WorldInput {
  return {
    version: 1,
    now: NOW,
    seed: 42,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
    gcp: {
      billing: {
        accounts: [
          {
            id: ACCOUNT,
            currency: 'USD',
            export: { ...EXPORT, kind: 'standard' },
            budgets: Array.from({ length: PROJECTS }, (_, p) => ({ id: `budget-${p}`, displayName: `budget-${p}`, amount: 20_000, projects: [projectId(p)], thresholds: [{ percent: 0.9 }, { percent: 1 }, { percent: 1, basis: 'FORECASTED_SPEND' as const }] })),
          },
        ],
        skus: skus(),
      },
      projects: Array.from({ length: PROJECTS }, (_, p) => ({
        id: projectId(p),
        costs: {
          daily: [
            { service: 'Vertex AI', amount: 400 + p * 10, credits: -20, from: '-60d', until: '-0d', labels: { team: p % 2 === 0 ? 'fraud' : 'search' } },
            { service: 'Compute Engine', amount: 150, from: '-60d', until: '-0d' },
            { service: 'Cloud Storage', amount: 12, from: '-60d', until: '-0d' },
          ],
        },
        regions: Object.fromEntries(
          REGIONS.map((region, r) => [
            region,
            {
              endpoints: Array.from({ length: PER_REGION.endpoints }, (_, e) => ({
                id: String(1000 + r * 1000 + e),
                displayName: `ep-${r}-${e}`,
                deployedModels: [0, 1].map((m) => ({
                  id: String(500_000 + r * 10_000 + e * 10 + m),
                  dedicated: { machineType: 'n1-standard-4', ...(e % 5 === 0 ? { acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1 } : {}), minReplicas: 1 },
                  trafficPercent: m === 0 ? 100 : 0,
                  metrics: {
                    ...(e % 3 === 0 ? { predictions: { constant: 0 } } : e % 3 === 1 ? { predictions: { bursts: { everyHours: 24, durationMinutes: 30, value: 5, otherwise: 0 } } } : {}),
                    replicas: { constant: 1 },
                    cpu: { constant: 3 + (e % 7) },
                  },
                })),
              })),
              workbench: Array.from({ length: PER_REGION.workbench }, (_, w) => ({
                name: `nb-${r}-${w}`,
                zone: 'a',
                machineType: 'e2-standard-4',
                state: w % 4 === 0 ? ('STOPPED' as const) : ('ACTIVE' as const),
                ...(w % 2 === 0 ? { idleTimeoutSeconds: 10_800 } : {}),
                metrics: { cpu: { constant: w % 3 === 0 ? 1 : 40 } },
              })),
              customJobs: Array.from({ length: PER_REGION.jobs }, (_, j) => ({
                id: String(90_000 + r * 1000 + j),
                displayName: `job-${r}-${j}`,
                createdAt: `-${1 + (j % 100)}h`,
                startedAt: `-${1 + (j % 100)}h`,
                workerPools: [{ machineType: 'n1-standard-8' }],
              })),
            },
          ]),
        ),
        buckets: Array.from({ length: BUCKETS }, (_, b) => ({
          name: `bench-${p}-bucket-${b}`,
          location: 'US-CENTRAL1',
          objects: [{ name: 'ckpt/part-', count: OBJECTS_PER_BUCKET, sizeBytes: b % 2 === 0 ? 64 * 1024 ** 2 : 4096, createdAt: '-120d' }],
        })),
      })),
    },
  };
}

async function main(): Promise<void> {
  const input = world();
  const sandbox = await startSandboxProcess({ world: input });
  try {
    const targets = input.gcp!.projects!.map((p) => ({ scope: { cloud: 'gcp' as const, id: p.id }, regions: REGIONS }));
    const policy = defaultPolicyFor(targets, { clouds: { gcp: { billingAccount: ACCOUNT, billingExport: { ...EXPORT, labels: ['team'] } } } });
    const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => new Date(NOW) } }, { gcp: gcpProviderBuilder() });
    const gcp = providers.get('gcp') as GcpProvider;
    const clock = fixedClock(new Date(NOW));
    const store = await openMemoryStore();
    const options = scanOptionsFor(policy, { now: () => clock.now(), dryRun: true });

    const rssBefore = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await runScan(options, { providers, store, clock, prices: priceBook(policy) });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rss = process.resourceUsage().maxRSS;
    await store.close();
    const { calls: counts, maxRssKb: sandboxRssKb, bigQueryBytesBilled, bigQueryQueries } = await sandbox.calls();

    const resources = report.scopes.reduce((n, s) => n + s.resources, 0);
    const calls = Object.entries(counts).filter(([k, v]) => v > 0 && /^(aiplatform|notebooks|monitoring|storage|bigquery|cloudbilling|billingbudgets)\./.test(k));
    const total = calls.reduce((n, [, v]) => n + v, 0);
    const monitoring = counts['monitoring.ListTimeSeries'] ?? 0;
    const classA = (counts['storage.ListBuckets'] ?? 0) + (counts['storage.ListObjects'] ?? 0);
    const byRule = new Map<string, number>();
    for (const f of report.findings) byRule.set(`${f.ruleId}/${f.state}`, (byRule.get(`${f.ruleId}/${f.state}`) ?? 0) + 1);
    const month = (n: number, per1000: number) => ((n * SCANS_PER_MONTH * per1000) / 1000).toFixed(2);

    const bqMonth = (bigQueryBytesBilled * SCANS_PER_MONTH) / 1024 ** 4;
    const lines = [
      `Google Cloud world: ${PROJECTS} projects × ${REGIONS.length} regions, ${resources} resources (endpoints with 2 deployed models each, Workbench instances, custom jobs, ${PROJECTS * BUCKETS} buckets of ${OBJECTS_PER_BUCKET} objects), a billing export with ${PROJECTS} budgets; ${LATENCY_MS} ms latency per call; the sandbox in its own process`,
      `wall time:          ${(wallMs / 1000).toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`,
      `peak RSS:           ${(rss / 1024).toFixed(0)} MiB (the scanner's process; ${(rssBefore / 1048576).toFixed(0)} MiB before the scan, modules loaded); sandbox process ${(sandboxRssKb / 1024).toFixed(0)} MiB`,
      `API calls:          ${total} (${(total / resources).toFixed(3)} per resource)`,
      ...calls.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      `Cloud Monitoring:   ${monitoring} listTimeSeries calls (pages included) for ${gcp.meter.series} series — one paged call per metric per project, never per resource`,
      `BigQuery:           ${bigQueryQueries} queries, ${(bigQueryBytesBilled / 1024 ** 2).toFixed(0)} MiB billed per scan (BigQuery's 10 MiB minimum per query; the first scan of a day — later scans that day read the cached rows and bill nothing)`,
      `findings:           ${[...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `collection failures: ${report.findings.filter((f) => f.state === 'failure').length}${[...new Set(report.findings.filter((f) => f.state === 'failure').map((f) => f.title))].slice(0, 3).map((t) => `\n  ${t}`).join('')}${report.findings.filter((f) => f.state === 'failure').slice(0, 2).map((f) => `\n    ${JSON.stringify(f.evidence ?? f).replace(/request to \S+/, "request to …").slice(0, 300)}`).join('')}`,
      `projected bill of watching it, hourly scans: Cloud Monitoring ${monitoring * SCANS_PER_MONTH} read calls/month × $${MONITORING_READ_PER_1000_CALLS}/1,000 (ASSUMED, see bench/prices.md) = $${month(monitoring, MONITORING_READ_PER_1000_CALLS)}/month; Cloud Storage ${classA * SCANS_PER_MONTH} list calls/month (Class A) × $${GCS_CLASS_A_PER_1000}/1,000 = $${month(classA, GCS_CLASS_A_PER_1000)}/month; BigQuery at most ${(bqMonth * 1024).toFixed(2)} GiB/month (if every hourly scan queried; with the daily cache ${((bigQueryBytesBilled * 30) / 1024 ** 3).toFixed(2)} GiB) × $${BIGQUERY_PER_TIB}/TiB = $${(bqMonth * BIGQUERY_PER_TIB).toFixed(2)}/month at most, $${(((bigQueryBytesBilled * 30) / 1024 ** 4) * BIGQUERY_PER_TIB).toFixed(2)}/month with the cache; Vertex AI, Notebooks, Cloud Billing (Catalog, billing info) and Budget API reads are not billed`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await sandbox.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
