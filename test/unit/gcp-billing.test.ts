import { describe, expect, it } from 'vitest';
import { buildExportQuery, defaultExportTable, exportRowOf } from '../../shared/providers/gcp/billing-export.js';
import { budgetSpecOf, judgeBudget } from '../../shared/providers/gcp/budgets.js';
import { machineShape, predictionMachinePrice } from '../../shared/providers/gcp/catalog.js';
import { billingCap } from '../../shared/rules/billing-cap.js';
import { billingResource } from '../../shared/providers/gcp/kinds/billing-project.js';
import { parseExportQuery } from '../../shared/sandbox/gcp/bigquery.js';
import { PriceBook } from '../../shared/pricing/price-book.js';

/*
 * Pure parts of Google Cloud money: the export query text, Budget API filters (as the Budget API
 * v1 reference spells them: https://cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets),
 * Catalog arithmetic and the billing-cap rule.
 */

const projects = [{ id: 'ml-research-42', number: '123456789012' }, { id: 'ml-serving-7', number: '223456789012' }];
const table = { project: 'billing-admin-1', dataset: 'billing_export', table: defaultExportTable('standard', '01A2B3-C4D5E6-F7A8B9'), kind: 'standard' as const, maximumBytesBilled: 1 << 30 };

describe('gcp billing export query', () => {
  it('names the table Google names it and keeps every value a parameter', () => {
    expect(table.table).toBe('gcp_billing_export_v1_01A2B3_C4D5E6_F7A8B9');
    expect(defaultExportTable('focus', '01A2B3-C4D5E6-F7A8B9')).toBe('gcp_billing_export_focus_01A2B3_C4D5E6_F7A8B9');
    const q = buildExportQuery(table, { projectId: "x'; DROP TABLE t; --", start: '2025-06-01', end: '2025-06-18', grouping: 'SERVICE,TAG:team' });
    expect(q.query).not.toContain('DROP');
    expect(q.query).not.toContain('team');
    expect(q.params).toMatchObject({ project_id: "x'; DROP TABLE t; --", label_key: 'team' });
    expect(q.types).toEqual({ project_id: 'STRING', start: 'TIMESTAMP', end: 'TIMESTAMP', label_key: 'STRING' });
    // The sandbox recognises the collector's shapes, of every kind, and nothing else.
    expect(parseExportQuery(q.query)).toMatchObject({ shape: 'export', labelled: true, pruned: true, table: `${table.project}.${table.dataset}.${table.table}` });
    expect(parseExportQuery(buildExportQuery({ ...table, kind: 'focus' }, { projectId: 'p', start: '2025-06-01', end: '2025-06-02', grouping: 'SERVICE' }).query)).toMatchObject({ shape: 'focus', labelled: false });
    expect(() => parseExportQuery(q.query.replace('SUM(cost)', 'SUM(cost) + 1'))).toThrow(/answers only costwatch's billing-export queries/);
  });

  it('refuses a row without a numeric cost instead of reading it as zero', () => {
    expect(() => exportRowOf({ day: '2025-06-01', project_id: 'p', service: 'Vertex AI', currency: 'USD', cost: null }, false)).toThrow(/cannot read/);
    expect(exportRowOf({ day: '2025-06-01', project_id: 'p', service: 'Vertex AI', currency: 'USD', cost: '1.5', credits: null }, false)).toMatchObject({ cost: 1.5, credits: 0 });
  });
});

describe('gcp budgets', () => {
  const base = { name: 'billingAccounts/X/budgets/b', displayName: 'b', amount: { specifiedAmount: { currencyCode: 'USD', units: '1000', nanos: 500_000_000 } } };

  it('reads amount, period, thresholds and a reproducible filter (enums as names or numbers)', () => {
    const spec = budgetSpecOf(
      {
        ...base,
        budgetFilter: { projects: ['projects/223456789012'], services: ['services/C7E2-9256-1C43'], labels: { team: { values: [{ stringValue: 'fraud' }] } }, creditTypesTreatment: 2, calendarPeriod: 'QUARTER' },
        thresholdRules: [{ thresholdPercent: 0.5 }, { thresholdPercent: 1.2, spendBasis: 'FORECASTED_SPEND' }],
      },
      projects,
    );
    expect(spec).toMatchObject({ projects: ['ml-serving-7'], services: ['C7E2-9256-1C43'], label: { key: 'team', value: 'fraud' }, credits: 'gross', period: 'quarterly', limit: { amount: 1000.5 }, actualThresholds: [50, 100], forecastThresholds: [100, 120] });
    expect(spec.problem).toBeUndefined();
  });

  it.each([
    [{ amount: { lastPeriodAmount: {} } }, /last period's spend/],
    [{ budgetFilter: { projects: ['projects/123456789012'], customPeriod: { startDate: { year: 2025, month: 1, day: 1 } } } }, /custom period/],
    [{ budgetFilter: { projects: ['projects/123456789012'], creditTypesTreatment: 'INCLUDE_SPECIFIED_CREDITS', creditTypes: ['PROMOTION'] } }, /only some credit types \(PROMOTION\)/],
    [{ budgetFilter: { projects: ['projects/123456789012'], subaccounts: ['billingAccounts/Y'] } }, /subaccounts/],
    [{ budgetFilter: { projects: ['projects/123456789012'], labels: { a: { values: [{ stringValue: 'x' }] }, b: { values: [{ stringValue: 'y' }] } } } }, /several labels/],
    [{ budgetFilter: { projects: ['projects/999999999999'] } }, /not in clouds.gcp.projects/],
    [{ budgetFilter: {} }, /every project of the billing account/],
  ])('reports a filter the export cannot reproduce as unknown (%#)', (extra, why) => {
    const spec = budgetSpecOf({ ...base, ...extra } as never, projects);
    expect(spec.problem).toMatch(why);
    const judged = judgeBudget(spec, [], { now: new Date('2025-06-18T12:00:00Z'), readFrom: new Date('2025-06-01T00:00:00Z'), table: 't', billingAccount: 'X' });
    expect(judged.problem).toMatch(why);
    expect(judged.actual).toBeUndefined();
  });

  it.each([
    [{ budgetFilter: { projects: ['projects/123456789012'], resourceAncestors: ['folders/1'] } }, /both projects and folders\/1/, 'standard'],
    [{ budgetFilter: { resourceAncestors: ['folders/1'] } }, /FOCUS export carries no project ancestry/, 'focus'],
    [{ budgetFilter: { resourceAncestors: ['projects/1'] } }, /not folders\/<id> or organizations\/<id>/, 'standard'],
  ] as const)('reports a folder or organization filter the export cannot reproduce as unknown (%#)', (extra, why, kind) => {
    const spec = budgetSpecOf({ ...base, ...extra } as never, projects, kind);
    expect(spec.problem).toMatch(why);
  });

  it('judges a budget over folders and organizations from every project under them, by project.ancestors', () => {
    const spec = budgetSpecOf({ ...base, budgetFilter: { resourceAncestors: ['organizations/456', 'folders/123'] } } as never, projects);
    expect(spec.problem).toBeUndefined();
    expect(spec).toMatchObject({ projects: [], ancestors: ['folders/123', 'organizations/456'] });
    const rows = [
      { day: '2025-06-02', projectId: 'unlisted-1', service: 'BigQuery', serviceId: '24E6-581D-38E5', currency: 'USD', cost: 40, credits: -5 },
      { day: '2025-06-02', projectId: 'ml-research-42', service: 'Vertex AI', serviceId: 'C7E2-9256-1C43', currency: 'USD', cost: 10, credits: 0 },
    ];
    const judged = judgeBudget(spec, rows, { now: new Date('2025-06-18T12:00:00Z'), readFrom: new Date('2025-06-01T00:00:00Z'), table: 't', billingAccount: 'X' });
    expect(judged.actual).toEqual({ amount: 45, currency: 'USD' });
    expect(judged.basis?.[0]).toMatch(/every project under folders\/123, organizations\/456 \(by project.ancestors; projects with spend: ml-research-42, unlisted-1\)/);
    // The query: parameterized ancestors, the partition filter kept, and a shape the sandbox answers; FOCUS has no ancestry.
    const table = { project: 'b', dataset: 'd', table: 'gcp_billing_export_v1_X', kind: 'standard' as const, maximumBytesBilled: 1 };
    const q = buildExportQuery(table, { ancestors: ['folders/123'], start: '2025-06-01', end: '2025-06-18', grouping: 'SERVICE' });
    expect(q.query).toMatch(/a\.resource_name IN UNNEST\(@ancestors\)/);
    expect(q.query).not.toContain('folders/123');
    expect(q.types['ancestors']).toEqual(['STRING']);
    expect(parseExportQuery(q.query)).toMatchObject({ shape: 'export', byAncestors: true, pruned: true });
    expect(() => buildExportQuery({ ...table, kind: 'focus' }, { ancestors: ['folders/123'], start: '2025-06-01', end: '2025-06-18', grouping: 'SERVICE' })).toThrow(/no project ancestry/);
  });

  it('never adds amounts of another currency', () => {
    const spec = budgetSpecOf({ ...base, budgetFilter: { projects: ['projects/123456789012'] } }, projects);
    const judged = judgeBudget(spec, [{ day: '2025-06-02', projectId: 'ml-research-42', service: 'Vertex AI', currency: 'EUR', cost: 5, credits: 0 }], { now: new Date('2025-06-18T12:00:00Z'), readFrom: new Date('2025-06-01T00:00:00Z'), table: 't', billingAccount: 'X' });
    expect(judged.problem).toMatch(/billed in EUR but the budget is in USD/);
  });
});

describe('gcp Catalog prices', () => {
  it('prices a machine from its shape; an unknown shape or missing SKU gives no price, so the bundled table is used', () => {
    expect(machineShape('n1-standard-8')).toEqual({ family: 'N1', vcpus: 8, memoryGiB: 30 });
    expect(machineShape('a2-highgpu-1g')).toBeUndefined();
    expect(predictionMachinePrice([], 'n1-standard-4', 'us-central1')).toBeUndefined();
    const book = new PriceBook();
    expect(book.hourly('gcp', 'n1-standard-4', 'us-central1')?.source).toMatch(/^bundled price table 2025-10/);
  });
});

describe('billing-cap rule', () => {
  const state = (over: boolean, listed = true) => ({
    info: { projectId: 'ml-research-42', billingAccountName: 'billingAccounts/01A2B3-C4D5E6-F7A8B9', billingEnabled: true },
    listed,
    budgets: [{ name: 'b', limit: { amount: 1000, currency: 'USD' }, period: 'monthly' as const, scope: {}, actualThresholds: [100], forecastThresholds: [100], actual: { amount: over ? 1200 : 800, currency: 'USD' } }],
    ...(over ? { exceeded: { budget: { name: 'b', limit: { amount: 1000, currency: 'USD' }, period: 'monthly' as const, scope: {}, actualThresholds: [100], forecastThresholds: [100], actual: { amount: 1200, currency: 'USD' } }, perDay: 50, daysLeft: 12 } } : {}),
  });
  const judge = (s: ReturnType<typeof state>) =>
    billingCap.evaluate({ resource: billingResource({ cloud: 'gcp', id: 'ml-research-42' }, s), usage: [], settings: {}, now: new Date(), prices: new PriceBook() });

  it('flags a listed, linked project past its budget, saying what stops and what may be lost', () => {
    const r = judge(state(true));
    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toMatch(/\$1,200\.00 of \$1,000\.00, 120%/);
    expect(r.evidence.join('\n')).toMatch(/shuts down every paid service/);
    expect(r.evidence.join('\n')).toMatch(/may delete/);
    // What unlinking saves: the rest of the period, never a monthly figure.
    expect(r.waste).toMatchObject({ monthly: { amount: 600 }, basis: 'until-stopped' });
  });

  it('leaves a project within its budget, and one the policy does not list', () => {
    expect(judge(state(false)).state).toBe('ok');
    expect(judge(state(true, false)).state).toBe('not-applicable');
  });
});
