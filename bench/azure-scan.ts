/*
 * Azure scan benchmark: a generated world of 5,000 Azure ML resources over 10 subscriptions (two
 * workspaces each, in eastus and westeurope), every sandbox call answered 20 ms late, scanned the
 * way `costwatch scan` does (the real @azure/arm-machinelearning and @azure/monitor-query-metrics
 * clients over HTTPS, the real provider and rules). Prints wall time, peak RSS (this process holds
 * the sandbox too), calls per operation and per resource, metrics batch calls against
 * ⌈resources/50⌉ per group, and a projection of the monthly query bill for an hourly scan. Each
 * subscription also has 40 days of daily costs (three services, a team tag) and two Azure budgets,
 * and the policy a configured Azure budget scoped by that tag: a second scan an hour later, with
 * the same state store, shows the Cost Management calls a day costs (its reads are cached).
 * Run: npm run bench (all benches) or npx tsx bench/azure-scan.ts.
 */
import { FOREIGN_PROVIDERS } from '../shared/app/compose-azure.js';
import { priceBook, scanOptionsFor } from '../shared/app/compose.js';
import { buildProviders } from '../shared/app/providers.js';
import { defaultPolicyFor } from '../shared/config/load.js';
import { runScan } from '../shared/pipeline/scan.js';
import type { AzureProvider } from '../shared/providers/azure/provider.js';
import { defineWorld, sandboxProviderEndpoints, startSandbox, worldScopes, type WorldInput } from '../shared/sandbox/index.js';
import { openMemoryStore } from '../shared/store/embedded-store.js';

const SUBSCRIPTIONS = 10;
const LOCATIONS = ['eastus', 'westeurope'];
/** Per workspace: 100 endpoints (2 deployments each), 100 compute instances, 50 clusters = 250 resources. */
const PER_WORKSPACE = { endpoints: 100, instances: 100, clusters: 50 };
const LATENCY_MS = 20;
const NOW = '2026-11-28T12:00:00Z';
const SCANS_PER_MONTH = 730; // hourly
/**
 * ASSUMED price of Azure Monitor metric queries through the batch API, per 1,000 calls: not
 * verified against Azure's pricing page here; change it to your agreement's.
 */
const ASSUMED_METRICS_BATCH_PER_1000_CALLS = 0.01;
/**
 * ASSUMED price of Cost Management (Query, Forecast) and Consumption (budgets) API calls: none is
 * listed per call (Cost Management comes with the subscription); not verified against a price page.
 */
const ASSUMED_COST_MANAGEMENT_PER_CALL = 0;
const SCANS_PER_DAY = 24; // hourly

function world(): WorldInput {
  const hex = (n: number) => n.toString(16).padStart(12, '0');
  return {
    version: 1,
    now: NOW,
    seed: 42,
    faults: [{ kind: 'latency', latencyMs: LATENCY_MS }],
    azure: {
      subscriptions: Array.from({ length: SUBSCRIPTIONS }, (_, s) => ({
        id: `0b0b0b0b-0000-4000-8000-${hex(s)}`,
        name: `generated-${s}`,
        costs: {
          daily: [
            { service: 'Azure Machine Learning', resourceGroup: 'rg-ml', amount: 900 + s, from: '-40d', tags: { team: `team-${s % 3}` } },
            { service: 'Virtual Machines', resourceGroup: 'rg-ml', amount: 120, from: '-40d', tags: { team: 'shared' } },
            { service: 'Storage', resourceGroup: 'rg-data', amount: 15, from: '-40d' },
          ],
        },
        budgets: [
          { name: 'aml-monthly', amount: 20000, filter: { services: ['Azure Machine Learning'] } },
          { name: 'all-spend', amount: 40000 },
        ],
        resourceGroups: {
          'rg-ml': {
            workspaces: LOCATIONS.map((location, w) => ({
              name: `ws-${w}`,
              location,
              onlineEndpoints: Array.from({ length: PER_WORKSPACE.endpoints }, (_, e) => ({
                name: `ep-${e}`,
                deployments: ['blue', 'green'].map((d, i) => ({
                  name: d,
                  instanceType: e % 5 === 0 ? 'Standard_NC4as_T4_v3' : 'Standard_DS3_v2',
                  traffic: i === 0 ? 100 : 0,
                  metrics: {
                    ...(e % 3 === 0 ? { requests: { constant: 0 } } : e % 3 === 1 ? { requests: { bursts: { everyHours: 24, durationMinutes: 30, value: 5, otherwise: 0 } } } : {}),
                    cpu: { constant: 3 + (e % 7) },
                  },
                })),
              })),
              computeInstances: Array.from({ length: PER_WORKSPACE.instances }, (_, c) => ({
                name: `ci-${c}`,
                vmSize: 'Standard_DS3_v2',
                state: c % 4 === 0 ? ('Stopped' as const) : ('Running' as const),
                ...(c % 2 === 0 ? { idleTimeBeforeShutdown: 'PT60M' } : {}),
              })),
              computeClusters: Array.from({ length: PER_WORKSPACE.clusters }, (_, c) => ({
                name: `cl-${c}`,
                vmSize: 'Standard_D4s_v3',
                minNodes: c % 2,
                maxNodes: 4,
                metrics: { activeNodes: c % 3 === 0 ? { constant: 0 } : { bursts: { everyHours: 12, durationMinutes: 60, value: 1, otherwise: 0 } }, idleNodes: { constant: c % 2 } },
              })),
            })),
          },
        },
      })),
    },
  };
}

async function main(): Promise<void> {
  const w = defineWorld(world());
  const sandbox = await startSandbox({ world: w });
  try {
    const policy = defaultPolicyFor(worldScopes(w), { budgets: [{ name: 'team-0-ml', amount: 150000, scope: { clouds: ['azure'], tags: { team: 'team-0' } } }] });
    const providers = buildProviders(policy, sandboxProviderEndpoints(sandbox), FOREIGN_PROVIDERS);
    const azure = providers.get('azure') as AzureProvider;
    const store = await openMemoryStore();
    // Not a dry run: a dry run caches nothing, and the deployed scans this projects are not dry runs (no rule is in auto mode here: nothing is acted on).
    const options = scanOptionsFor(policy, { now: () => sandbox.clock.now(), dryRun: false });

    const t0 = performance.now();
    const report = await runScan(options, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
    const wallMs = performance.now() - t0;
    const rss = process.resourceUsage().maxRSS;
    const firstCalls = { ...sandbox.calls() };
    const money = (prefix: string) => Object.entries(sandbox.calls()).filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
    const first = { query: sandbox.calls()['costmanagement.Query_Usage'] ?? 0, forecast: sandbox.calls()['costmanagement.Forecast_Usage'] ?? 0, budgets: money('consumption.'), prices: money('retailprices.') };
    // The same day, an hour later, with the same state store: Cost Management answers from the cache.
    sandbox.clock.advance(3_600_000);
    const t1 = performance.now();
    await runScan(options, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
    const secondMs = performance.now() - t1;
    const second = { query: (sandbox.calls()['costmanagement.Query_Usage'] ?? 0) - first.query, forecast: (sandbox.calls()['costmanagement.Forecast_Usage'] ?? 0) - first.forecast, budgets: money('consumption.') - first.budgets, prices: money('retailprices.') - first.prices };
    await store.close();

    const resources = report.scopes.reduce((n, s) => n + s.resources, 0);
    // The first scan's calls (the second's money calls are counted apart below).
    const calls = Object.entries(firstCalls).filter(([k, v]) => v > 0 && /^(machinelearning|monitor|costmanagement|consumption|retailprices)\./.test(k));
    const total = calls.reduce((n, [, v]) => n + v, 0);
    const batch = calls.find(([k]) => k === 'monitor.Metrics_Batch')?.[1] ?? 0;
    const costMgmtPerDay = first.query + first.forecast + second.query + second.forecast * (SCANS_PER_DAY - 1);
    const budgetsPerDay = first.budgets + second.budgets * (SCANS_PER_DAY - 1);
    const metricsPerMonth = (batch * SCANS_PER_MONTH * ASSUMED_METRICS_BATCH_PER_1000_CALLS) / 1000;
    const costMgmtPerMonth = (costMgmtPerDay + budgetsPerDay) * (SCANS_PER_MONTH / SCANS_PER_DAY) * ASSUMED_COST_MANAGEMENT_PER_CALL;
    const projected = metricsPerMonth + costMgmtPerMonth;
    const deployments = SUBSCRIPTIONS * LOCATIONS.length * PER_WORKSPACE.endpoints * 2;
    const endpoints = SUBSCRIPTIONS * LOCATIONS.length * PER_WORKSPACE.endpoints;
    const workspaces = SUBSCRIPTIONS * LOCATIONS.length;
    // Per subscription·region: endpoints (requests) in ⌈n/50⌉, deployments (CPU+GPU) in ⌈n/50⌉, the workspace (node metrics) in 1.
    const floor = workspaces * (Math.ceil(endpoints / workspaces / 50) + Math.ceil(deployments / workspaces / 50) + 1);
    const byRule = new Map<string, number>();
    for (const f of report.findings) byRule.set(`${f.ruleId}/${f.state}`, (byRule.get(`${f.ruleId}/${f.state}`) ?? 0) + 1);

    const lines = [
      `Azure world: ${SUBSCRIPTIONS} subscriptions × ${LOCATIONS.length} regions, ${resources} resources (${endpoints} endpoints with ${deployments} deployments, compute instances, clusters); ${LATENCY_MS} ms latency per call`,
      `wall time:          ${(wallMs / 1000).toFixed(2)} s`,
      `peak RSS:           ${(rss / 1024).toFixed(0)} MiB (this process, sandbox included)`,
      `API calls:          ${total} (${(total / resources).toFixed(3)} per resource)`,
      ...calls.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(44)} ${v}`),
      `metrics batch:      ${batch} calls for ${azure.meter.series} resource·metric series (floor ⌈n/50⌉ per group: ${floor})`,
      `findings:           ${[...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `collection failures: ${report.findings.filter((f) => f.state === 'failure').length}`,
      `Cost Management:    first scan of the day ${first.query} Query + ${first.forecast} Forecast calls, ${first.budgets} Consumption Budgets_List, ${first.prices} Retail Prices; a second scan the same day ${second.query} Query + ${second.forecast} Forecast (cached), ${second.budgets} Budgets_List, ${second.prices} Retail Prices (${(secondMs / 1000).toFixed(2)} s)`,
      `Cost Management calls per day, hourly scans: ${costMgmtPerDay} (Query and Forecast) + ${budgetsPerDay} Consumption Budgets_List = ${(costMgmtPerDay / SUBSCRIPTIONS).toFixed(1)} Cost Management calls per subscription and day`,
      `projected query bill, hourly scans: ${batch * SCANS_PER_MONTH} metrics batch calls/month × $${ASSUMED_METRICS_BATCH_PER_1000_CALLS}/1000 (ASSUMED price, not verified) = $${metricsPerMonth.toFixed(2)}/month; Cost Management and Consumption calls × $${ASSUMED_COST_MANAGEMENT_PER_CALL} (ASSUMED: no per-call charge) = $${costMgmtPerMonth.toFixed(2)}/month, ${projected > 0 ? ((costMgmtPerMonth / projected) * 100).toFixed(1) : '0.0'}% of the projected $${projected.toFixed(2)}; ARM reads (${total - batch}/scan) are not billed`,
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
