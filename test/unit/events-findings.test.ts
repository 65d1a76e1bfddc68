import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/config/load.js';
import type { Policy } from '../../shared/config/schema.js';
import {
  anomalyFindings,
  budgetFindings,
  parseAwsAnomaly,
  parseAwsBudgets,
  parseAzureBudget,
  parseGcpBudget,
  parseSageMakerEvent,
  trainingJobFindings,
  type ParseResult,
} from '../../shared/events/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const NOW = new Date('2025-06-18T12:00:00Z');

function ok<E>(r: ParseResult<E>): E {
  if (!r.ok) throw new Error(`refused: ${r.refusal.reason}`);
  return r.event;
}

function policy(rules = ''): Policy {
  return parsePolicy(`version: 1\nclouds:\n  aws:\n    accounts:\n      - id: "123456789012"\n        regions: [us-east-1]\n${rules}`, 'costwatch.yml', { now: NOW }).policy;
}

describe('budget notifications → findings', () => {
  it('raises one budget-breach finding per actual threshold, with its numbers in finding.budget', () => {
    const e = ok(parseAwsBudgets(fixture('budget_actual_sns_http_notification__cds-snc-sre-bot.json')));
    const { findings, ignored } = budgetFindings(e, policy(), NOW);
    expect(ignored).toEqual([]);
    expect(findings).toHaveLength(1);
    const f = findings[0]!.finding;
    expect(f).toMatchObject({
      id: 'budget-breach:aws-budgets:017790921725/Test Budget:2022-09:80%',
      ruleId: 'budget-breach',
      state: 'violation',
      cloud: 'aws',
      scopeId: '017790921725',
      title: 'budget "Test Budget" crossed 80%: $0.59 spent of $0.20',
    });
    expect(f.budget).toEqual({
      budgetName: 'Test Budget',
      source: 'aws-budgets',
      kind: 'actual',
      period: { start: new Date('2022-09-01T00:00:00Z'), end: new Date('2022-10-01T00:00:00Z') },
      limit: { amount: 0.2, currency: 'USD' },
      actual: { amount: 0.59, currency: 'USD' },
      thresholdPercent: 80,
      drivers: [],
    });
    expect(f.evidence).toContain('spent $0.59 of $0.20 (295%)');
    expect(findings[0]!.dedupKey).toBe('aws-budgets|017790921725/Test Budget|2022-09|80%|actual');
    // Kept marked a week past the period's end, and never less than a day from now.
    expect(findings[0]!.until.toISOString()).toBe(new Date(NOW.getTime() + 86_400_000).toISOString());
  });

  it('raises both an actual and a forecast finding from one Google notification, keyed by period start and threshold', () => {
    const e = ok(parseGcpBudget(JSON.parse(fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json'))));
    const { findings } = budgetFindings(e, policy(), NOW);
    expect(findings.map((r) => [r.finding.ruleId, r.finding.budget?.kind, r.finding.budget?.thresholdPercent, r.dedupKey])).toEqual([
      ['budget-breach', 'actual', 90, 'gcp-budget|de72f49d-779b-4945-a127-4d6ce8def0bb|2021-02-01T08:00:00.000Z|90%|actual'],
      ['forecast-breach', 'forecast', 20, 'gcp-budget|de72f49d-779b-4945-a127-4d6ce8def0bb|2021-02-01T08:00:00.000Z|20%|forecast'],
    ]);
    expect(findings[1]!.finding.title).toBe('budget "My Personal Budget" is forecast to cross 20% of $152.56');
    // The period end is unknown: no period on the evidence, but the mark outlives a year from its start.
    expect(findings[0]!.finding.budget?.period).toBeUndefined();
    expect(findings[0]!.until.getTime()).toBeGreaterThan(NOW.getTime());
  });

  it('raises nothing for a status update and says so', () => {
    const push = JSON.parse(fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json')) as { message: { data: string } };
    const data = JSON.parse(Buffer.from(push.message.data, 'base64').toString()) as Record<string, unknown>;
    delete data['alertThresholdExceeded'];
    delete data['forecastThresholdExceeded'];
    push.message.data = Buffer.from(JSON.stringify(data)).toString('base64');
    const { findings, ignored } = budgetFindings(ok(parseGcpBudget(push)), policy(), NOW);
    expect(findings).toEqual([]);
    expect(ignored).toEqual(['Cloud Billing budget "My Personal Budget": status update, no threshold exceeded']);
  });

  it('honours a disabled rule', () => {
    const e = ok(parseAzureBudget(fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json')));
    const { findings, ignored } = budgetFindings(e, policy('rules:\n  budget-breach:\n    enabled: false\n'), NOW);
    expect(findings).toEqual([]);
    expect(ignored[0]).toMatch(/budget-breach is disabled/);
    expect(budgetFindings(e, policy(), NOW).findings[0]?.finding.title).toBe('budget "Test_actual_cost_budget" crossed 50%: $11,111.00 spent of $50.00');
  });
});

describe('anomalies → findings', () => {
  const sns = () => ok(parseAwsAnomaly(fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json')));

  it('ignores an anomaly below rules.cost-anomaly.minImpact (default 100)', () => {
    const { findings, ignored } = anomalyFindings(sns(), policy(), NOW);
    expect(findings).toEqual([]);
    expect(ignored).toEqual(['anomaly 6de0dd1d-feb4-488a-a55d-ff130a7a285a impact $11.82 is below rules.cost-anomaly.minImpact (100)']);
  });

  it('raises a cost-anomaly finding at or over minImpact, naming root causes', () => {
    const { findings } = anomalyFindings(sns(), policy('rules:\n  cost-anomaly:\n    minImpact: 10\n'), NOW);
    const f = findings[0]!.finding;
    expect(f).toMatchObject({ id: 'cost-anomaly:aws:6de0dd1d-feb4-488a-a55d-ff130a7a285a', ruleId: 'cost-anomaly', state: 'violation', scopeId: '1234567890' });
    expect(f.title).toBe('cost anomaly in AWS CloudTrail: $11.82 more than expected (4377.8% over expected)');
    expect(f.budget).toMatchObject({ source: 'aws-anomaly', kind: 'anomaly', budgetName: 'AWSServiceMonitor', actual: { amount: 12.09, currency: 'USD' }, drivers: [] });
    expect(f.evidence).toContain('root cause: AWS CloudTrail, EU-InsightsEvents, eu-west-1, opg-account');
    expect(findings[0]!.dedupKey).toBe('aws-anomaly|6de0dd1d-feb4-488a-a55d-ff130a7a285a|2023-04-05|min 10|anomaly');
  });
});

describe('training job events → long-training-job', () => {
  const doc = JSON.parse(fixture('sagemaker_training_job_state_change__aws-doc.json')) as { detail: Record<string, unknown> } & Record<string, unknown>;
  const job = (detail: Record<string, unknown>) => ok(parseSageMakerEvent({ ...doc, account: '123456789012', detail: { ...doc.detail, ...detail } }));
  const started = String(NOW.getTime() - 5 * 3_600_000);

  it('ignores a finished job (the doc example is Completed)', () => {
    const { findings, ignored } = trainingJobFindings(job({}), policy(), NOW);
    expect(findings).toEqual([]);
    expect(ignored[0]).toMatch(/is Completed: it no longer runs/);
  });

  it('flags a job in progress without a stopping condition, from the event alone', () => {
    const { StoppingCondition: _s, ...noStop } = doc.detail;
    const e = ok(parseSageMakerEvent({ ...doc, detail: { ...noStop, TrainingJobStatus: 'IN_PROGRESS', TrainingStartTime: started } }));
    const { findings } = trainingJobFindings(e, policy(), NOW);
    const f = findings[0]!.finding;
    expect(f).toMatchObject({ ruleId: 'long-training-job', state: 'violation', confidence: 'high', title: 'training job 89c96cc8-dded-4739-afcc-6f1dc936701d: no stopping condition' });
    expect(f.resource).toMatchObject({ kind: 'aws.sagemaker.training-job', id: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1' });
    expect(f.evidence).toContain('3 × InstanceType');
    expect(findings[0]!.resource?.components).toEqual([{ name: 'training', instanceType: 'InstanceType', instanceCount: 3, capacity: 'provisioned' }]);
  });

  it('flags a limit over maxHours and a job already running longer than maxHours', () => {
    const limit = trainingJobFindings(job({ TrainingJobStatus: 'InProgress', TrainingStartTime: started, StoppingCondition: { MaxRuntimeInSeconds: 100 * 3600 } }), policy(), NOW);
    expect(limit.findings[0]?.finding.evidence[0]).toBe('its stopping condition lets it run 100 h, more than rules.long-training-job.maxHours (72 h)');
    const long = trainingJobFindings(
      job({ TrainingJobStatus: 'InProgress', TrainingStartTime: String(NOW.getTime() - 80 * 3_600_000), StoppingCondition: { MaxRuntimeInSeconds: 60 * 3600 } }),
      policy(),
      NOW,
    );
    expect(long.findings[0]?.finding.title).toBe('training job 89c96cc8-dded-4739-afcc-6f1dc936701d: running for 80 h');
    const fine = trainingJobFindings(job({ TrainingJobStatus: 'InProgress', TrainingStartTime: started, StoppingCondition: { MaxRuntimeInSeconds: 3600 } }), policy(), NOW);
    expect(fine.findings).toEqual([]);
    expect(trainingJobFindings(job({ TrainingJobStatus: 'InProgress', TrainingStartTime: started, StoppingCondition: { MaxRuntimeInSeconds: 100 * 3600 } }), policy('rules:\n  long-training-job:\n    maxHours: 200\n'), NOW).findings).toEqual([]);
  });
});
