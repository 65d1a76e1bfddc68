import { describe, expect, it } from 'vitest';
import type { CostRecord } from '../../shared/domain/cost.js';
import type { Resource } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { untaggedResources, untaggedShare, untaggedShares } from '../../shared/rules/untagged-spend.js';
import { daysOf } from '../../shared/report/spend.js';
import type { CostRuleInput } from '../../shared/rules/types.js';

const now = new Date('2025-06-18T12:00:00Z');
const prices = new PriceBook();
const settings = { services: ['Amazon SageMaker', 'Amazon Bedrock'], tags: { required: ['team', 'env'], maxUntaggedShare: 0.1 } };

function endpoint(tags: Record<string, string>, over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
    name: 'fraud-v3',
    tags,
    state: 'InService',
    lifecycle: 'running',
    components: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 2, capacity: 'provisioned' }],
    attributes: {},
    ...over,
  };
}

const judge = (r: Resource, s = settings) => untaggedResources.evaluate({ resource: r, usage: [], settings: s, now, prices });

describe('untagged-spend rule: resources', () => {
  it('flags a running resource missing a required tag, with its monthly cost', () => {
    const r = judge(endpoint({ team: 'fraud', owner: 'ana' }));

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('fraud-v3 is missing tag env ($2,055.68/month)');
    expect(r.evidence[0]).toMatch(/^missing required tag env \(tags.required: team, env/);
    expect(r.evidence).toContain('tags it has: team=fraud, owner=ana');
    expect(r.evidence).toContain('monthly cost: ml.g5.xlarge $1.408/h × 2 × 730 h = $2,055.68/month without an owner tag set');
    expect(r.notifyOnly).toMatch(/tag hygiene/);
  });

  it('counts an empty value or another spelling of the key as missing, as cost allocation does', () => {
    const r = judge(endpoint({ Team: 'fraud', env: ' ' }));

    expect(r.state === 'violation' && r.title).toBe('fraud-v3 is missing tags team, env ($2,055.68/month)');
  });

  it('does not flag a tagged resource, a stopped one, or anything when no tag is required', () => {
    expect(judge(endpoint({ team: 'fraud', env: 'prod' })).state).toBe('ok');
    expect(judge(endpoint({}, { lifecycle: 'stopped', state: 'Stopped' })).state).toBe('not-applicable');
    expect(judge(endpoint({}), { ...settings, tags: { ...settings.tags, required: [] } }).state).toBe('not-applicable');
  });
});

function row(service: string, amount: number, tags: Record<string, string>, day = '2025-06-10', account = '111111111111'): CostRecord {
  const start = new Date(`${day}T00:00:00Z`);
  return {
    ProviderName: 'AWS',
    BillingCurrency: 'USD',
    BilledCost: amount,
    EffectiveCost: amount,
    ChargePeriodStart: start,
    ChargePeriodEnd: new Date(start.getTime() + 86_400_000),
    ServiceName: service,
    SubAccountId: account,
    Tags: tags,
    x_Breakdown: 'SERVICE,TAG:team',
  };
}

function costInput(costs: CostRecord[], over: Partial<CostRuleInput<typeof settings>> = {}): CostRuleInput<typeof settings> {
  return { costs, cloudBudgets: [], budgets: [], forecasts: [], anomalies: [], scopes: [{ scope: { cloud: 'aws', id: '111111111111', name: 'prod' }, costProblems: [] }], settings, now, prices, ...over };
}

describe('untagged-spend rule: share of AI spend without a team tag', () => {
  it('reports the month-to-date share of AI services without a team tag past maxUntaggedShare, with the arithmetic', () => {
    const costs = [
      row('Amazon SageMaker', 300, { team: 'fraud' }),
      row('Amazon SageMaker', 60, {}),
      row('Amazon Bedrock', 40, {}, '2025-06-17'),
      // Not AI spend, not this month, or grouped otherwise: not counted.
      row('Amazon S3', 500, {}),
      row('Amazon SageMaker', 900, {}, '2025-05-30'),
      { ...row('Amazon SageMaker', 999, {}), x_Breakdown: 'SERVICE' },
    ];

    const [f, ...rest] = untaggedShare.evaluate(costInput(costs));

    expect(rest).toEqual([]);
    expect(f?.id).toBe('untagged-spend:aws:111111111111');
    expect(f?.title).toBe('25% of AI spend in prod this month has no team tag ($100.00 of $400.00)');
    expect(f?.evidence[0]).toBe(
      '$100.00 ÷ $400.00 = 25% of Amazon SageMaker, Amazon Bedrock spend from 2025-06-01 to 2025-06-17 carries no team tag (Cost Explorer grouped by the tag: the empty value is the untagged group)',
    );
    expect(f?.evidence).toContain('untagged Amazon SageMaker: $60.00');
    expect(f?.resource).toBeUndefined();
  });

  it('does not report a share at or below the limit, a scope without spend, or another cloud’s rows', () => {
    const costs = [row('Amazon SageMaker', 900, { team: 'fraud' }), row('Amazon SageMaker', 100, {})];
    expect(untaggedShare.evaluate(costInput(costs))).toEqual([]);
    expect(untaggedShare.evaluate(costInput([]))).toEqual([]);
    expect(untaggedShare.evaluate(costInput([], { scopes: [{ scope: { cloud: 'gcp', id: 'p' }, costProblems: [] }] }))).toEqual([]);
    // AWS rows are not another cloud's.
    expect(untaggedShare.evaluate(costInput([row('Amazon SageMaker', 100, {}, '2025-06-10', 'p')], { scopes: [{ scope: { cloud: 'gcp', id: 'p' }, costProblems: [] }] }))).toEqual([]);
  });

  it('reports unknown, not zero, when the scope’s costs could not be read', () => {
    const [f] = untaggedShare.evaluate(costInput([], { scopes: [{ scope: { cloud: 'aws', id: '111111111111' }, costProblems: ['ce:GetCostAndUsage (SERVICE,TAG:team): AccessDeniedException'] }] }));

    expect(f).toMatchObject({ state: 'unknown', title: expect.stringContaining('unknown') });
  });

  it('keeps currencies apart', () => {
    const eur = { ...row('Amazon SageMaker', 50, {}), BillingCurrency: 'EUR' };
    expect(untaggedShares([row('Amazon SageMaker', 50, { team: 'x' }), eur], ['Amazon SageMaker'], new Date('2025-06-01T00:00:00Z')).map((s) => [s.currency, s.untagged, s.total])).toEqual([
      ['USD', 0, 50],
      ['EUR', 50, 50],
    ]);
  });
});

describe('untagged-spend rule on Google Cloud and Azure', () => {
  const gcpRow = (service: string, amount: number, tags: Record<string, string>, day = '2025-06-10'): CostRecord => ({ ...row(service, amount, tags, day, 'ml-research-42'), ProviderName: 'Google Cloud', x_Breakdown: 'AI,TAG:team' });
  const azRow = (service: string, amount: number, tags: Record<string, string>, day = '2025-06-10'): CostRecord => ({ ...row(service, amount, tags, day, '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a71'), ProviderName: 'Microsoft' });
  const gcpScope = { scope: { cloud: 'gcp' as const, id: 'ml-research-42' }, costProblems: [] };
  const azScope = { scope: { cloud: 'azure' as const, id: '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a71', name: 'ml-azure-dev' }, costProblems: [] };

  it('Google Cloud: the AI spend query’s rows (Vertex AI and Workbench VMs) without a team label, with the arithmetic', () => {
    const costs = [
      gcpRow('Vertex AI', 200, { team: 'fraud' }),
      gcpRow('Compute Engine', 50, {}),
      // Another grouping of the same project is not this reading.
      { ...gcpRow('Compute Engine', 900, {}), x_Breakdown: 'SERVICE,TAG:team' },
    ];
    const [f, ...rest] = untaggedShare.evaluate(costInput(costs, { scopes: [gcpScope] }));

    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'untagged-spend:gcp:ml-research-42', cloud: 'gcp', state: 'violation', title: '20% of AI spend in ml-research-42 this month has no team label ($50.00 of $250.00)' });
    expect(f?.evidence[0]).toBe(
      "$50.00 ÷ $250.00 = 20% of Vertex AI, Notebooks and Workbench VMs' Compute Engine spend from 2025-06-01 to 2025-06-10 carries no team label (Cloud Billing export in BigQuery grouped by the label: rows without it are the untagged group)",
    );
    expect(f?.evidence).toContain('untagged Compute Engine: $50.00');
    expect(f?.notifyOnly).toMatch(/tag hygiene/);
  });

  it('Google Cloud: does not flag a share at or under the limit', () => {
    expect(untaggedShare.evaluate(costInput([gcpRow('Vertex AI', 900, { team: 'fraud' }), gcpRow('Vertex AI', 100, {})], { scopes: [gcpScope] }))).toEqual([]);
  });

  it('Azure: only the AI services, an empty tag value being the untagged group', () => {
    const costs = [azRow('Azure Machine Learning', 20, {}), azRow('Azure Machine Learning', 20, { team: '' }), azRow('Azure Machine Learning', 60, { team: 'nlp' }), azRow('Storage', 500, {})];
    const [f] = untaggedShare.evaluate(costInput(costs, { scopes: [azScope] }));

    expect(f).toMatchObject({ id: 'untagged-spend:azure:3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a71', title: '40% of AI spend in ml-azure-dev this month has no team tag ($40.00 of $100.00)' });
    expect(f?.evidence[0]).toMatch(/^\$40\.00 ÷ \$100\.00 = 40% of Azure Machine Learning spend .* \(Cost Management Query grouped by the tag key: the empty tag value is the untagged group\)$/);
    // The policy's azureServices decide what is AI spend.
    expect(untaggedShare.evaluate(costInput(costs, { scopes: [azScope], settings: { ...settings, azureServices: ['Storage'] } as typeof settings }))[0]?.title).toBe('100% of AI spend in ml-azure-dev this month has no team tag ($500.00 of $500.00)');
  });

  it('Azure: does not flag tagged spend; unknown when its own grouping could not be read, not when another one failed', () => {
    expect(untaggedShare.evaluate(costInput([azRow('Azure Machine Learning', 100, { team: 'fraud' })], { scopes: [azScope] }))).toEqual([]);
    const other = { ...azScope, costProblems: ['costmanagement:Query_Usage (SERVICE): 429 TooManyRequests'] };
    expect(untaggedShare.evaluate(costInput([azRow('Azure Machine Learning', 100, {})], { scopes: [other] }))[0]?.state).toBe('violation');
    const own = { ...azScope, costProblems: ['costmanagement:Query_Usage (SERVICE,TAG:team): 429 TooManyRequests'] };
    expect(untaggedShare.evaluate(costInput([], { scopes: [own] }))[0]).toMatchObject({ state: 'unknown', evidence: ['costmanagement:Query_Usage (SERVICE,TAG:team): 429 TooManyRequests'] });
    const gcpFailed = { ...gcpScope, costProblems: ['bigquery:jobs.query (billing export, AI,TAG:team): 403 Access Denied'] };
    expect(untaggedShare.evaluate(costInput([], { scopes: [gcpFailed] }))[0]?.state).toBe('unknown');
  });
});

describe('spend recorded for the digest', () => {
  it('keeps, per day and service, the spend grouped by team and the part without a team tag', () => {
    const days = daysOf([row('Amazon SageMaker', 300, { team: 'fraud' }), row('Amazon SageMaker', 60, {}), row('Amazon S3', 5, {})]);

    expect(days['2025-06-10']?.['USD']?.teamTagged).toEqual({ 'Amazon SageMaker': { total: 360, untagged: 60 }, 'Amazon S3': { total: 5, untagged: 5 } });
  });
});
