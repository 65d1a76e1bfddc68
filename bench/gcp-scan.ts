/*
 * Google Cloud scan benchmark: a generated world of 5,000 Google Cloud resources over 10 projects
 * (each: us-central1 and europe-west4 with 100 Vertex AI endpoints of 2 deployed models, 100
 * Workbench instances and 40 custom jobs, plus 20 Cloud Storage buckets of 500 objects), every
 * sandbox call answered 20 ms late, scanned the way `costwatch scan` does (the real Google
 * clients over the REST transport, the real provider and rules). Prints wall time, peak RSS (this
 * process holds the sandbox too), calls per operation and per resource, and a projection of the
 * monthly bill of watching it with hourly scans. Run: npm run bench (all benches) or
 * npx tsx bench/gcp-scan.ts. Prices: bench/prices.md.
 */
import { gcpProviderBuilder } from '../shared/app/compose-gcp.js';
import { priceBook, scanOptionsFor } from '../shared/app/compose.js';
import { buildProviders } from '../shared/app/providers.js';
import { defaultPolicyFor } from '../shared/config/load.js';
import { runScan } from '../shared/pipeline/scan.js';
import type { GcpProvider } from '../shared/providers/gcp/provider.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, worldScopes, type WorldInput } from '../shared/sandbox/index.js';
import { openMemoryStore } from '../shared/store/embedded-store.js';

const PROJECTS = 10;
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

function world(): WorldInput {
  return {
    version: 1,
    now: NOW,
    seed: 42,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
    gcp: {
      projects: Array.from({ length: PROJECTS }, (_, p) => ({
        id: `bench-project-${String(p).padStart(2, '0')}`,
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
  const w = defineWorld(world());
  const sandbox = await startSandbox({ world: w });
  try {
    const policy = defaultPolicyFor(worldScopes(w));
    const providers = buildProviders(policy, sandboxProviderEndpoints(sandbox), { gcp: gcpProviderBuilder() });
    const gcp = providers.get('gcp') as GcpProvider;
    const store = await openMemoryStore();
    const options = scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: true });

    const t0 = performance.now();
    const report = await runScan(options, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
    const wallMs = performance.now() - t0;
    const rss = process.resourceUsage().maxRSS;
    await store.close();

    const resources = report.scopes.reduce((n, s) => n + s.resources, 0);
    const counts = sandbox.calls();
    const calls = Object.entries(counts).filter(([k, v]) => v > 0 && /^(aiplatform|notebooks|monitoring|storage)\./.test(k));
    const total = calls.reduce((n, [, v]) => n + v, 0);
    const monitoring = counts['monitoring.ListTimeSeries'] ?? 0;
    const classA = (counts['storage.ListBuckets'] ?? 0) + (counts['storage.ListObjects'] ?? 0);
    const byRule = new Map<string, number>();
    for (const f of report.findings) byRule.set(`${f.ruleId}/${f.state}`, (byRule.get(`${f.ruleId}/${f.state}`) ?? 0) + 1);
    const month = (n: number, per1000: number) => ((n * SCANS_PER_MONTH * per1000) / 1000).toFixed(2);

    const lines = [
      `Google Cloud world: ${PROJECTS} projects × ${REGIONS.length} regions, ${resources} resources (endpoints with 2 deployed models each, Workbench instances, custom jobs, ${PROJECTS * BUCKETS} buckets of ${OBJECTS_PER_BUCKET} objects); ${LATENCY_MS} ms latency per call`,
      `wall time:          ${(wallMs / 1000).toFixed(2)} s`,
      `peak RSS:           ${(rss / 1024).toFixed(0)} MiB (this process, sandbox included)`,
      `API calls:          ${total} (${(total / resources).toFixed(3)} per resource)`,
      ...calls.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      `Cloud Monitoring:   ${monitoring} listTimeSeries calls (pages included) for ${gcp.meter.series} series — one paged call per metric per project, never per resource`,
      `findings:           ${[...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `collection failures: ${report.findings.filter((f) => f.state === 'failure').length}`,
      'BigQuery bytes billed per scan: not measured here — the billing-export read (BigQuery) is not part of this version on this branch, so this bench reads inventory, Cloud Monitoring and Cloud Storage only',
      `projected bill of watching it, hourly scans: Cloud Monitoring ${monitoring * SCANS_PER_MONTH} read calls/month × $${MONITORING_READ_PER_1000_CALLS}/1,000 (ASSUMED, see bench/prices.md) = $${month(monitoring, MONITORING_READ_PER_1000_CALLS)}/month; Cloud Storage ${classA * SCANS_PER_MONTH} list calls/month (Class A) × $${GCS_CLASS_A_PER_1000}/1,000 = $${month(classA, GCS_CLASS_A_PER_1000)}/month; Vertex AI and Notebooks reads are not billed`,
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
