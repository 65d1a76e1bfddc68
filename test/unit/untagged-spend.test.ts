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

  it('does not report a share at or below the limit, a scope without spend, or clouds whose costs are not read', () => {
    const costs = [row('Amazon SageMaker', 900, { team: 'fraud' }), row('Amazon SageMaker', 100, {})];
    expect(untaggedShare.evaluate(costInput(costs))).toEqual([]);
    expect(untaggedShare.evaluate(costInput([]))).toEqual([]);
    expect(untaggedShare.evaluate(costInput([], { scopes: [{ scope: { cloud: 'gcp', id: 'p' }, costProblems: [] }] }))).toEqual([]);
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

describe('spend recorded for the digest', () => {
  it('keeps, per day and service, the spend grouped by team and the part without a team tag', () => {
    const days = daysOf([row('Amazon SageMaker', 300, { team: 'fraud' }), row('Amazon SageMaker', 60, {}), row('Amazon S3', 5, {})]);

    expect(days['2025-06-10']?.['USD']?.teamTagged).toEqual({ 'Amazon SageMaker': { total: 360, untagged: 60 }, 'Amazon S3': { total: 5, untagged: 5 } });
  });
});
