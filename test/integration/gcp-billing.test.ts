import { afterEach, describe, expect, it } from 'vitest';
import { plannerPolicy, priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { gcpBillingOptions, gcpProviderBuilder } from '../../shared/app/compose-gcp.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/policy.js';
import type { Budget } from '../../shared/domain/budget.js';
import { executeProposal, undoProposal } from '../../shared/pipeline/execute.js';
import { runScan } from '../../shared/pipeline/scan.js';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';
import { billingResource, DISABLE_BILLING } from '../../shared/providers/gcp/kinds/billing-project.js';
import { GcpProvider } from '../../shared/providers/gcp/provider.js';
import { activeRules } from '../../shared/app/compose.js';
import { defineWorld, startSandbox, type Sandbox } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import { ACCOUNT, billingWorld, CATALOG_SKUS, EXPORT, NOW, OTHER, PROJECT, STORAGE, TABLE } from '../fixtures/gcp/billing-world.js';

/*
 * Google Cloud money with the real clients (@google-cloud/bigquery, billing, billing-budgets)
 * against the sandbox: the export queries, Google budgets, Catalog prices and the billing cap.
 */

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

const noSleep = { sleep: () => Promise.resolve(), random: () => 0 };

function policyOf(extra = '', gcpExtra = ''): Policy {
  return parsePolicy(
    `version: 1
clouds:
  gcp:
    billingAccount: ${ACCOUNT}
    billingExport: { project: ${EXPORT.project}, dataset: ${EXPORT.dataset}, labels: [team], maximumBytesBilled: 52428800 }
${gcpExtra}
    projects:
      - { id: ${PROJECT}, regions: [us-central1] }
      - { id: ${OTHER}, regions: [europe-west4] }
slack:
  channel: "#costs"
  approvers: { users: [U0APPROVER] }
rules:
  idle-endpoint: { enabled: false }
${extra}`,
    'gcp.yml',
    { now: new Date(NOW) },
  ).policy;
}

async function setup(world = billingWorld(), policy = policyOf()): Promise<{ sandbox: Sandbox; provider: GcpProvider; policy: Policy }> {
  sb = await startSandbox({ world: defineWorld(world) });
  const sandbox = sb;
  const provider = new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sandbox.gcp }), {
    retry: noSleep,
    billing: gcpBillingOptions(policy),
    now: () => sandbox.clock.now(),
  });
  return { sandbox, provider, policy };
}

const target = (id: string, region: string) => ({ scope: { cloud: 'gcp' as const, id }, regions: [region] });
const budget = (bs: readonly Budget[], name: string) => bs.find((b) => b.name === name);

describe('gcp billing export: costs from BigQuery', () => {
  it('sends parameterized queries capped by maximumBytesBilled, one per project and grouping, and reads every page', async () => {
    const { sandbox, provider } = await setup();
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.failures).toEqual([]);
    const queries = sandbox.state.gcp.billing.queries.filter((q) => q.params['project_id'] === PROJECT);
    // SERVICE and SERVICE,TAG:team for this project, and AI,TAG:team for the untagged share (the budget reads of OTHER are its own queries).
    expect(queries).toHaveLength(3);
    for (const q of queries) {
      expect(q.refused).toBeUndefined();
      expect(q.maximumBytesBilled).toBe('52428800');
      // The project id and dates are parameters, never spliced into the SQL.
      expect(q.sql).not.toContain(PROJECT);
      expect(q.sql).not.toContain('2025-06');
      expect(q.sql).toContain('@project_id');
      expect(q.sql).toContain(`\`${TABLE}\``);
      expect(q.params['start']).toMatch(/^2025-06-01T00:00:00/);
      expect(q.sql).not.toContain('Vertex AI');
      expect(q.params['end']).toMatch(/^2025-06-18T00:00:00/);
      expect(q.bytesBilled).toBe(10 * 1024 * 1024);
      expect(q.bytesProcessed).toBeGreaterThan(0);
    }
    // 5 rows a page in this world: the 34 SERVICE rows take 7 pages.
    expect(sandbox.calls()['bigquery.jobs.getQueryResults']).toBeGreaterThan(0);
    const service = c.costs.filter((r) => r.x_Breakdown === 'SERVICE');
    expect(service).toHaveLength(34);
    const vertex = service.find((r) => r.ServiceName === 'Vertex AI');
    // Net of credits: 60 − 10; the credits kept beside.
    expect(vertex).toMatchObject({ ProviderName: 'Google Cloud', BilledCost: 50, x_Credits: -10, SubAccountId: PROJECT, BillingCurrency: 'USD' });
    expect(c.costs.filter((r) => r.x_Breakdown === 'SERVICE,TAG:team' && r.Tags['team'] === 'fraud')).toHaveLength(17);
    expect(provider.billing?.meter.bytesBilled).toBeGreaterThan(0);
  });

  it('queries once per project, grouping and day: a second scan the same day reads the store, not BigQuery', async () => {
    const { sandbox, policy } = await setup();
    const store = await openMemoryStore();
    try {
      const fresh = () => new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sandbox.gcp }), { retry: noSleep, billing: gcpBillingOptions(policy) });
      const opts = { now: sandbox.clock.now(), lookbackHours: 24, cache: store };
      const first = await fresh().collect(target(PROJECT, 'us-central1'), opts);
      const after = sandbox.calls()['bigquery.jobs.query'] ?? 0;
      expect(after).toBeGreaterThan(0);
      const second = await fresh().collect(target(PROJECT, 'us-central1'), opts);
      expect(sandbox.calls()['bigquery.jobs.query']).toBe(after);
      expect(second.costs).toEqual(first.costs);
      // The next day is a new read.
      await fresh().collect(target(PROJECT, 'us-central1'), { ...opts, now: new Date(sandbox.clock.now().getTime() + 86_400_000) });
      expect(sandbox.calls()['bigquery.jobs.query']).toBeGreaterThan(after);
    } finally {
      await store.close();
    }
  });

  it('reads no cost when the plan does not ask for billing data', async () => {
    const { sandbox, provider } = await setup();
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24, plan: { kinds: { 'gcp.vertex.endpoint': ['requests'] }, billing: [] } });
    expect(c.costs).toEqual([]);
    expect(c.budgets).toEqual([]);
    expect(sandbox.calls()['bigquery.jobs.query']).toBe(0);
    expect(sandbox.calls()['billingbudgets.budgets.list']).toBe(0);
  });

  it('reports a query BigQuery refuses for the bytes cap as a failure, with the reason', async () => {
    const p = policyOf();
    const tight = { ...p, clouds: { ...p.clouds, gcp: { ...p.clouds.gcp!, billingExport: { ...p.clouds.gcp!.billingExport!, maximumBytesBilled: 10 * 1024 * 1024 - 1 } } } };
    const { sandbox, provider } = await setup(billingWorld(), tight);
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.costs).toEqual([]);
    expect(c.failures.map((f) => f.message).join('\n')).toMatch(/Query exceeded limit for bytes billed: 10485759\. 10485760 or higher required/);
    // The budgets that needed those rows say why they cannot be judged.
    expect(budget(c.budgets, 'research-monthly')?.problem).toMatch(/the billing export had no rows for it, or could not be read/);
  });

  it('retries a throttled query (429 RESOURCE_EXHAUSTED) and reads the costs', async () => {
    const { sandbox, provider } = await setup();
    sandbox.faults.add({ service: 'bigquery', operation: 'jobs.query', kind: 'throttle', times: 2 });
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.failures).toEqual([]);
    expect(sandbox.faults.injected()).toEqual({ 'bigquery.jobs.query:throttle': 2 });
    expect(c.costs.length).toBeGreaterThan(0);
  });
});

describe('gcp untagged share: the month’s AI spend by team label from the billing export', () => {
  const world = () => {
    const w = billingWorld();
    const p = (w.gcp as { projects: { costs: { daily: unknown[] } }[] }).projects[0]!;
    // A Workbench VM without a team label: Compute Engine spend that is AI spend; another VM that is not.
    p.costs.daily.push(
      { service: 'Compute Engine', amount: 15, from: '2025-06-01T00:00:00Z', until: '2025-06-18T00:00:00Z', labels: { 'goog-workbench-instance': 'true' } },
      { service: 'Compute Engine', amount: 500, from: '2025-06-01T00:00:00Z', until: '2025-06-18T00:00:00Z' },
    );
    return w;
  };

  it('reads AI services and Workbench-labelled rows only, with the services and label keys as parameters, and the rule flags the untagged share', async () => {
    const { sandbox, provider, policy } = await setup(world());
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.failures).toEqual([]);
    const ai = sandbox.state.gcp.billing.queries.filter((q) => q.params['project_id'] === PROJECT && q.sql.includes('@ai_services'));
    expect(ai).toHaveLength(1);
    expect(ai[0]!.params['ai_services']).toBe('Vertex AI,Notebooks');
    expect(ai[0]!.params['ai_label_keys']).toContain('goog-workbench-instance');
    expect(ai[0]!.sql).not.toContain('goog-');
    const rows = c.costs.filter((r) => r.x_Breakdown === 'AI,TAG:team');
    // 17 days of Vertex AI (fraud) and of the Workbench VM; not the unlabelled VM, not search's VM.
    expect(rows).toHaveLength(34);
    expect(new Set(rows.map((r) => `${r.ServiceName}:${r.Tags['team'] ?? '-'}`))).toEqual(new Set(['Vertex AI:fraud', 'Compute Engine:-']));
    const { untaggedShare } = await import('../../shared/rules/untagged-spend.js');
    const [f] = untaggedShare.evaluate({ costs: c.costs, cloudBudgets: [], budgets: [], forecasts: [], anomalies: [], scopes: [{ scope: c.scope, costProblems: [] }], settings: { services: [], tags: policy.tags }, now: sandbox.clock.now(), prices: priceBook(policy) });
    // 17 × 15 = 255 untagged of 17 × (50 + 15) = 1,105 net: 23.1%.
    expect(f?.title).toBe('23.1% of AI spend in ml-research-42 this month has no team label ($255.00 of $1,105.00)');
  });

  it('a failing AI query is a collection failure of its own; the other costs stand', async () => {
    const { sandbox, policy } = await setup(world());
    const store = await openMemoryStore();
    try {
      const fresh = () => new GcpProvider(gcpClientFactory({ auth: { authClient: staticTokenAuth('sandbox') }, endpoint: sandbox.gcp }), { retry: noSleep, billing: gcpBillingOptions(policy) });
      const opts = { now: sandbox.clock.now(), lookbackHours: 24, cache: store };
      // The day's cost rows are in the store; then BigQuery refuses every query.
      await fresh().collect(target(PROJECT, 'us-central1'), { ...opts, plan: { kinds: {}, billing: ['costs'] } });
      sandbox.faults.add({ service: 'bigquery', operation: 'jobs.query', kind: 'access-denied' });
      const c = await fresh().collect(target(PROJECT, 'us-central1'), { ...opts, plan: { kinds: {}, billing: ['costs', 'tag-spend'] } });
      expect(c.failures.map((f) => f.operation)).toEqual(['bigquery:jobs.query (billing export, AI,TAG:team)']);
      expect(c.costs.filter((r) => r.x_Breakdown === 'SERVICE')).not.toHaveLength(0);
      expect(c.costs.filter((r) => r.x_Breakdown === 'AI,TAG:team')).toHaveLength(0);
    } finally {
      await store.close();
    }
  });

  it('the sandbox refuses an AI query whose services are not an ARRAY<STRING>', async () => {
    sb = await startSandbox({ world: defineWorld(billingWorld()) });
    const { buildExportQuery } = await import('../../shared/providers/gcp/billing-export.js');
    const { query } = buildExportQuery({ project: EXPORT.project, dataset: EXPORT.dataset, table: TABLE.split('.')[2]!, kind: 'standard', maximumBytesBilled: 1e9 }, { projectId: PROJECT, start: '2025-06-01', end: '2025-06-18', grouping: 'AI,TAG:team', ai: { services: ['Vertex AI'], labelKeys: [] } });
    const param = (name: string, type: string, value: string) => ({ name, parameterType: { type }, parameterValue: { value } });
    const res = await fetch(`http://${sb.gcp.apiEndpoint}:${sb.gcp.port}/bigquery/v2/projects/${EXPORT.project}/queries`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ query, useLegacySql: false, parameterMode: 'NAMED', queryParameters: [param('project_id', 'STRING', PROJECT), param('start', 'TIMESTAMP', '2025-06-01 00:00:00+00'), param('end', 'TIMESTAMP', '2025-06-18 00:00:00+00'), param('label_key', 'STRING', 'team'), param('ai_services', 'STRING', 'Vertex AI'), param('ai_label_keys', 'STRING', 'x')] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/ai_services' has type STRING; IN UNNEST needs an ARRAY<STRING>/);
  });
});

describe('gcp budgets: spend computed from the export over the budget’s own filter', () => {
  it('judges reproducible filters and reports the others as unknown with the reason', async () => {
    const { sandbox, provider } = await setup();
    const now = sandbox.clock.now();
    const mine = await provider.collect(target(PROJECT, 'us-central1'), { now, lookbackHours: 24 });
    const other = await provider.collect(target(OTHER, 'europe-west4'), { now, lookbackHours: 24 });
    // Each budget is reported once, by the first listed project it counts.
    const names = (bs: readonly Budget[]) => bs.map((b) => b.name).sort();
    expect(names(mine.budgets)).toEqual(['data-lake', 'fraud-gross', 'org-folder', 'research-monthly', 'whole-account']);
    expect(names(other.budgets)).toEqual(['serving-vertex']);
    // 17 days × (60 − 10 + 40), credits included.
    expect(budget(mine.budgets, 'research-monthly')).toMatchObject({ source: 'gcp-budget', actual: { amount: 1530, currency: 'USD' }, forecast: { amount: 2700 }, actualThresholds: [50, 90, 100] });
    // Credits excluded, team=fraud only: 17 × 60.
    expect(budget(mine.budgets, 'fraud-gross')).toMatchObject({ actual: { amount: 1020 }, scope: { tags: { team: 'fraud' } } });
    // Vertex AI only (service id filter), in the other project: 17 × 30; forecast 510 + 30 × 13.
    expect(budget(other.budgets, 'serving-vertex')).toMatchObject({ actual: { amount: 510 }, forecast: { amount: 900 }, scope: { scopeIds: [OTHER], services: ['Vertex AI'] }, forecastThresholds: [100] });
    // Every project under folders/123456 (by project.ancestors), listed or not: 17 × 50 (data-lake-99) + 17 × 35 (ml-serving-7).
    expect(budget(mine.budgets, 'org-folder')).toMatchObject({ actual: { amount: 1445, currency: 'USD' } });
    expect(budget(mine.budgets, 'org-folder')?.problem).toBeUndefined();
    const ancestral = sandbox.state.gcp.billing.queries.filter((q) => q.params['ancestors'] !== undefined);
    expect(ancestral).toHaveLength(1);
    expect(ancestral[0]).toMatchObject({ params: { ancestors: 'folders/123456' }, maximumBytesBilled: '52428800' });
    expect(ancestral[0]!.sql).not.toContain('123456');
    expect(budget(mine.budgets, 'whole-account')?.problem).toMatch(/every project of the billing account/);
    expect(budget(mine.budgets, 'data-lake')?.problem).toMatch(/projects\/323456789012, which is not in clouds.gcp.projects/);
    for (const b of [...mine.budgets, ...other.budgets]) if (b.problem) expect(b.actual).toBeUndefined();
  });

  it('feeds budget-breach and forecast-breach with dollar figures, and says why a budget cannot be judged', async () => {
    const { sandbox, policy } = await setup();
    const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } }, { gcp: gcpProviderBuilder() });
    const store = await openMemoryStore();
    try {
      const report = await runScan({ ...scanOptionsFor(policy, { now: () => sandbox.clock.now() }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
      const breach = report.findings.find((f) => f.ruleId === 'budget-breach' && f.state === 'violation' && f.budget?.budgetName === 'research-monthly');
      expect(breach?.title).toBe(`Google Cloud budget research-monthly (${PROJECT}): $1,530.00 of $1,200.00 spent (127.5%), past its 100% threshold`);
      expect(breach?.budget).toMatchObject({ source: 'gcp-budget', actual: { amount: 1530 }, limit: { amount: 1200 } });
      const forecast = report.findings.find((f) => f.ruleId === 'forecast-breach' && f.budget?.budgetName === 'serving-vertex');
      expect(forecast?.title).toMatch(/forecast \$900\.00 by 2025-06-30 is 112\.5% of \$800\.00/);
      expect(forecast?.evidence.join('\n')).toMatch(/mean of the last 7 days/);
      const unknown = report.findings.filter((f) => f.ruleId === 'budget-breach' && f.state === 'unknown').map((f) => f.title);
      expect(unknown).toHaveLength(2);
      expect(unknown.join('\n')).toMatch(/Google Cloud budget whole-account: spend cannot be judged — it counts every project/);
    } finally {
      await store.close();
    }
  });
});

describe('gcp prices from the Cloud Billing Catalog', () => {
  it('prices prediction machines by core and RAM SKUs and accelerators per hour, reading every page; the bundled table stays the fallback', async () => {
    const world = billingWorld();
    // An L4 endpoint: the catalog of this world has no L4 prediction SKU.
    world.gcp!.projects![0]!.regions!['us-central1']!.endpoints!.push({
      id: '1002',
      displayName: 'l4-vertex',
      deployedModels: [{ id: '601', dedicated: { machineType: 'g2-standard-8', acceleratorType: 'NVIDIA_L4', acceleratorCount: 1, minReplicas: 1 }, trafficPercent: 100, metrics: { predictions: { constant: 0 }, replicas: { constant: 1 } } }],
    });
    const { sandbox, provider, policy } = await setup(world);
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    // 4 SKUs, 2 a page.
    expect(sandbox.calls()['cloudbilling.services.skus.list']).toBe(2);
    const n1 = c.prices?.find((p) => p.instanceType === 'n1-standard-4');
    // 4 vCPU × 0.0379 + 15 GiB × 0.0051.
    expect(n1?.price.amount).toBeCloseTo(0.2281, 6);
    expect(n1?.source).toMatch(/^Cloud Billing Catalog API \(Vertex AI, us-central1: 4 vCPU × 0.0379\/h SKU AA11-BB22-CC33 \+ 15 GiB × 0.0051\/h SKU AA11-BB22-CC34/);
    expect(c.prices?.find((p) => p.instanceType === 'accelerator:NVIDIA_TESLA_T4')?.price.amount).toBe(0.4025);
    expect(c.prices?.some((p) => p.instanceType.includes('L4') || p.instanceType.startsWith('g2'))).toBe(false);
    const book = priceBook(policy);
    book.addFetched(c.prices ?? []);
    expect(book.hourly('gcp', 'n1-standard-4', 'us-central1')?.source).toMatch(/^Cloud Billing Catalog API/);
    expect(book.acceleratorHourly('hosting', 'gcp', 'NVIDIA_TESLA_T4', 'us-central1')?.source).toMatch(/^Cloud Billing Catalog API/);
    // Not in the catalog: the bundled, dated table, which says so.
    expect(book.acceleratorHourly('hosting', 'gcp', 'NVIDIA_L4', 'us-central1')?.source).toMatch(/^bundled price table \d{4}-\d{2}/);
  });

  it('falls back to the bundled table when the Catalog cannot be read, and reports the failure', async () => {
    const { sandbox, provider } = await setup();
    sandbox.faults.add({ service: 'cloudbilling', operation: 'services.skus.list', kind: 'access-denied' });
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.prices).toEqual([]);
    expect(c.failures).toEqual([expect.objectContaining({ operation: 'cloudbilling:services.skus.list', message: expect.stringMatching(/^PERMISSION_DENIED/) })]);
    expect(c.costs.length).toBeGreaterThan(0);
  });
});

describe('gcp Workbench, training and Cloud Storage prices from the Cloud Billing Catalog', () => {
  const GiB = 1024 ** 3;
  function pricedWorld() {
    const world = billingWorld();
    world.gcp!.billing!.skus = [...world.gcp!.billing!.skus!, ...CATALOG_SKUS];
    world.gcp!.billing!.skusPerPage = 5000;
    const region = world.gcp!.projects![0]!.regions!['us-central1']!;
    region.workbench = [{ name: 'nb-idle', machineType: 'n1-standard-4', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1, createdAt: '-30d', metrics: { cpu: { constant: 1 } } }];
    region.customJobs = [{ id: '7001', displayName: 'train-long', startedAt: '-80h', workerPools: [{ machineType: 'n1-standard-4', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1, replicaCount: 1 }] }];
    world.gcp!.projects![0]!.buckets = [{ name: 'ckpt-cold', location: 'US-CENTRAL1', objects: [{ name: 'runs/step-', count: 40, sizeBytes: 2 * GiB, createdAt: '-120d' }] }];
    return world;
  }

  it('reads one SKU listing per service, prices Workbench and training from it, and caches each price for 7 days', async () => {
    const { sandbox, provider } = await setup(pricedWorld());
    const c = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24 });
    expect(c.failures).toEqual([]);
    // Vertex AI (prediction and training) and Compute Engine: one listing each (buckets are read for cold-artifacts only; see below).
    expect(sandbox.calls()['cloudbilling.services.skus.list']).toBe(2);
    const nb = c.prices?.find((p) => p.usage === 'notebook' && p.instanceType === 'n1-standard-4');
    expect(nb?.price.amount).toBeCloseTo(4 * 0.031611 + 15 * 0.004237, 6);
    expect(nb?.source).toMatch(/^Cloud Billing Catalog API \(Compute Engine, us-central1: 4 vCPU/);
    expect(c.prices?.find((p) => p.usage === 'notebook' && p.instanceType === 'accelerator:NVIDIA_TESLA_T4')?.price.amount).toBe(0.35);
    expect(c.prices?.find((p) => p.usage === 'training' && p.instanceType === 'n1-standard-4')?.source).toMatch(/management fee/);
    expect(c.prices?.find((p) => p.usage === 'training' && p.instanceType === 'accelerator:NVIDIA_TESLA_T4')?.price.amount).toBe(0.4025);

    // Cached for 7 days: a second read lists nothing.
    const store = await openMemoryStore();
    try {
      await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24, cache: store });
      const before = sandbox.calls()['cloudbilling.services.skus.list'];
      const again = await provider.collect(target(PROJECT, 'us-central1'), { now: sandbox.clock.now(), lookbackHours: 24, cache: store });
      expect(sandbox.calls()['cloudbilling.services.skus.list']).toBe(before);
      expect(again.prices).toEqual(c.prices);
    } finally {
      await store.close();
    }
  });

  it('names the Catalog in the findings, and the bundled table when the Catalog fails or lacks the SKU', async () => {
    const policy = policyOf(`  idle-notebook: { mode: notify }\n  long-training-job: { mode: notify, maxHours: 24 }\n  cold-artifacts: { mode: notify }`);
    const scan = async (world: ReturnType<typeof pricedWorld>, fault = false) => {
      sb = await startSandbox({ world: defineWorld(world) });
      const sandbox = sb;
      if (fault) sandbox.faults.add({ service: 'cloudbilling', operation: 'services.skus.list', kind: 'access-denied' });
      const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } }, { gcp: gcpProviderBuilder() });
      const store = await openMemoryStore();
      try {
        const report = await runScan({ ...scanOptionsFor(policy, { now: () => sandbox.clock.now() }), dryRun: true }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
        const text = (rule: string) => report.findings.filter((f) => f.ruleId === rule).map((f) => JSON.stringify(f)).join('\n');
        return { report, text };
      } finally {
        await store.close();
        await sandbox.close();
        sb = undefined;
      }
    };
    const withCatalog = await scan(pricedWorld());
    expect(withCatalog.text('idle-notebook')).toMatch(/Cloud Billing Catalog API \(Compute Engine, us-central1/);
    expect(withCatalog.text('long-training-job')).toMatch(/Cloud Billing Catalog API \(Vertex AI training, us-central1/);
    expect(withCatalog.text('cold-artifacts')).toMatch(/Cloud Billing Catalog API \(Cloud Storage, us-central1: SKU 5A01-0000-0004 \\"Nearline Storage Iowa\\"/);

    const failed = await scan(pricedWorld(), true);
    expect(failed.report.findings.some((f) => f.ruleId === 'collection-failed' && JSON.stringify(f).includes('cloudbilling:services.skus.list'))).toBe(true);
    expect(failed.text('idle-notebook')).toMatch(/bundled notebook price table 2025-10/);
    expect(failed.text('long-training-job')).toMatch(/bundled training price table 2025-10/);
    expect(failed.text('cold-artifacts')).toMatch(/bundled Cloud Storage price table/);
    expect(failed.text('cold-artifacts')).not.toMatch(/Cloud Billing Catalog API/);

    // A Catalog without the training and Compute Engine SKUs: those fall back, storage stays from the Catalog.
    const partial = pricedWorld();
    partial.gcp!.billing!.skus = partial.gcp!.billing!.skus!.filter((s) => s.service === STORAGE);
    const lacking = await scan(partial);
    expect(lacking.text('idle-notebook')).toMatch(/bundled notebook price table/);
    expect(lacking.text('long-training-job')).toMatch(/bundled training price table/);
    expect(lacking.text('cold-artifacts')).toMatch(/Cloud Billing Catalog API \(Cloud Storage/);
  });
});

describe('gcp billing cap: unlink billing from a project past its budget', () => {
  const capPolicy = (mode: string, gcpExtra = '') => policyOf(`  billing-cap: { mode: ${mode} }`, gcpExtra);

  async function scanWith(sandbox: Sandbox, policy: Policy, dryRun = false) {
    const providers = buildProviders(policy, { gcp: { endpoint: sandbox.gcp, authClient: staticTokenAuth('sandbox'), now: () => sandbox.clock.now() } }, { gcp: gcpProviderBuilder() });
    const store = await openMemoryStore();
    const report = await runScan({ ...scanOptionsFor(policy, { now: () => sandbox.clock.now() }), dryRun }, { providers, store, clock: sandbox.clock, prices: priceBook(policy) });
    return { report, store, providers };
  }

  it('needs approval without allowDisableBilling, even in auto mode, and says plainly what stops', async () => {
    const { sandbox, policy } = await setup(billingWorld(), capPolicy('auto'));
    const { report, store } = await scanWith(sandbox, policy);
    try {
      const finding = report.findings.find((f) => f.ruleId === 'billing-cap');
      expect(finding?.state).toBe('violation');
      expect(finding?.resource?.name).toBe(PROJECT);
      expect(finding?.evidence.join('\n')).toMatch(/shuts down every paid service/);
      expect(finding?.evidence.join('\n')).toMatch(/Google may delete the project’s resources and data/);
      // Only the project past its budget: the other one's budget is not exceeded.
      expect(report.findings.filter((f) => f.ruleId === 'billing-cap' && f.state === 'violation')).toHaveLength(1);
      const p = report.proposals.find((x) => x.kind === DISABLE_BILLING);
      expect(p).toMatchObject({ mode: 'approve', modeReason: expect.stringMatching(/allowDisableBilling: true/) });
      expect(report.executions).toEqual([]);
      expect(sandbox.state.gcp.billing.links.get(PROJECT)).toEqual({ billingAccount: ACCOUNT, billingEnabled: true });
    } finally {
      await store.close();
    }
  });

  it('runs in auto mode with allowDisableBilling: true, re-checking the budget; Undo relinks the saved account', async () => {
    const { sandbox, policy } = await setup(billingWorld(), capPolicy('auto', '    allowDisableBilling: true'));
    // The auto limit allows the project's remaining spend (13 days × $90).
    const { report, store, providers } = await scanWith(sandbox, policy);
    try {
      const p = report.proposals.find((x) => x.kind === DISABLE_BILLING);
      expect(p?.mode).toBe('auto');
      expect(report.executions).toEqual([expect.objectContaining({ outcome: 'executed', detail: expect.stringMatching(/unlinked billing account billingAccounts\/01A2B3-C4D5E6-F7A8B9 from project ml-research-42/) })]);
      expect(sandbox.state.gcp.billing.links.get(PROJECT)).toEqual({ billingAccount: '', billingEnabled: false });
      const undone = await undoProposal(p!.id, 'U0APPROVER', { store, providers, clock: sandbox.clock });
      expect(undone.outcome).toBe('undone');
      expect(sandbox.state.gcp.billing.links.get(PROJECT)).toEqual({ billingAccount: ACCOUNT, billingEnabled: true });
      expect(sandbox.calls()['cloudbilling.projects.updateBillingInfo']).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('cancels an approved unlink when the budget is no longer exceeded at execution time', async () => {
    const { sandbox, policy } = await setup(billingWorld(), capPolicy('approve'));
    const { report, store, providers } = await scanWith(sandbox, policy);
    try {
      const p = report.proposals.find((x) => x.kind === DISABLE_BILLING)!;
      expect(p.mode).toBe('approve');
      // Someone moved the project to another account by hand, so it no longer bills this one... here: unlinked already.
      sandbox.state.gcp.billing.links.set(PROJECT, { billingAccount: '', billingEnabled: false });
      await store.decide({ proposalId: p.id, verdict: 'approve', by: 'U0APPROVER', at: sandbox.clock.now(), via: 'slack' });
      await store.transitionProposal(p.id, ['proposed'], 'approved');
      const rules = new Map(activeRules(policy).map((r) => [r.rule.id, r]));
      const out = await executeProposal(p.id, 'U0APPROVER', { store, providers, rules, policy: plannerPolicy(policy, () => sandbox.clock.now()), prices: priceBook(policy), clock: sandbox.clock, lookbackHours: 24 });
      expect(out).toMatchObject({ outcome: 'cancelled', detail: expect.stringMatching(/NO_BILLING_ACCOUNT/) });
      expect(sandbox.calls()['cloudbilling.projects.updateBillingInfo']).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('never unlinks a project the policy does not list', async () => {
    const { sandbox, provider } = await setup();
    const unlisted = billingResource({ cloud: 'gcp', id: 'data-lake-99' }, { info: { projectId: 'data-lake-99', billingAccountName: `billingAccounts/${ACCOUNT}`, billingEnabled: true }, listed: false, budgets: [] });
    await expect(provider.perform(DISABLE_BILLING, unlisted, {})).rejects.toThrow(/not listed in clouds.gcp.projects/);
    // Even a resource claiming to be listed is re-read before the unlink.
    const forged = { ...unlisted, attributes: { ...unlisted.attributes, listed: true, exceededBudget: 'data-lake' } };
    await expect(provider.perform(DISABLE_BILLING, forged, {})).rejects.toThrow(/not listed in clouds.gcp.projects/);
    expect(sandbox.calls()['cloudbilling.projects.updateBillingInfo']).toBe(0);
  });

  it('reports one project whose billing read fails while the others still report', async () => {
    const { sandbox, policy } = await setup(billingWorld(), capPolicy('approve'));
    sandbox.faults.add({ service: 'cloudbilling', operation: 'projects.getBillingInfo', kind: 'access-denied', project: OTHER });
    const { report, store } = await scanWith(sandbox, policy, true);
    try {
      const failed = report.findings.filter((f) => f.state === 'failure');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ cloud: 'gcp', scopeId: OTHER });
      expect(failed[0]?.title + failed[0]!.evidence.join(' ')).toMatch(/PERMISSION_DENIED/);
      expect(report.findings.some((f) => f.ruleId === 'billing-cap' && f.scopeId === PROJECT && f.state === 'violation')).toBe(true);
      expect(report.findings.some((f) => f.ruleId === 'forecast-breach' && f.budget?.budgetName === 'serving-vertex')).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('gcp sandbox BigQuery', () => {
  it('refuses SQL that is not one of costwatch’s export queries, with a clear error', async () => {
    sb = await startSandbox({ world: defineWorld(billingWorld()) });
    const res = await fetch(`http://${sb.gcp.apiEndpoint}:${sb.gcp.port}/bigquery/v2/projects/${EXPORT.project}/queries`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ query: `SELECT * FROM \`${TABLE}\``, useLegacySql: false }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toMatch(/answers only costwatch's billing-export queries/);
  });
});
