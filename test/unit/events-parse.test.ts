import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseAwsAnomaly,
  parseAwsBudgets,
  parseAzureBudget,
  parseEvent,
  parseGcpBudget,
  parseSageMakerEvent,
  type AnomalyEvent,
  type BudgetEvent,
  type CloudEvent,
  type EventSource,
  type ParseResult,
  type ResourceStateEvent,
} from '../../shared/events/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');
const json = (name: string) => JSON.parse(fixture(name)) as Record<string, unknown>;

function ok<E>(r: ParseResult<E>): E {
  if (!r.ok) throw new Error(`refused: ${r.refusal.reason}`);
  return r.event;
}
function refused(r: ParseResult<unknown>): string {
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.event).slice(0, 200)}`);
  return r.refusal.reason;
}

/** Strips `//` comments outside strings and trailing commas: what makes the AWS doc's JSONC example JSON. */
function jsoncToJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

const budgetText = fixture('budget_actual_message_body__cds-snc-sre-bot.txt');

describe('AWS Budgets parser', () => {
  it('reads the SNS HTTP notification: name, account, limit, threshold as percent, actual amount, month', () => {
    const e = ok(parseAwsBudgets(fixture('budget_actual_sns_http_notification__cds-snc-sre-bot.json')));
    expect(e).toMatchObject({
      type: 'budget',
      source: 'aws-budgets',
      cloud: 'aws',
      scopeId: '017790921725',
      budgetId: '017790921725/Test Budget',
      budgetName: 'Test Budget',
      limit: { amount: 0.2, currency: 'USD' },
      spent: { amount: 0.59, currency: 'USD' },
      period: { key: '2022-09', granularity: 'month' },
      messageId: '0da238f6-da6c-5214-96e1-635d27a9b79b',
    });
    expect(e.crossings).toEqual([{ kind: 'actual', thresholdPercent: 80, thresholdAmount: { amount: 0.16, currency: 'USD' }, amount: { amount: 0.59, currency: 'USD' } }]);
    expect(e.occurredAt.toISOString()).toBe('2022-09-26T19:20:37.147Z');
    expect(e.period.start?.toISOString()).toBe('2022-09-01T00:00:00.000Z');
    expect(e.period.end?.toISOString()).toBe('2022-10-01T00:00:00.000Z');
  });

  it('reads the Lambda SNS event and takes the labelled ACTUAL Amount line over the sentence', () => {
    const e = ok(parseAwsBudgets(json('budget_actual_lambda_sns_event__sasa9477.json')));
    expect(e.budgetName).toBe('AwsCostNotificationStack-MonthlyCostBudget');
    expect(e.scopeId).toBe('123456789012');
    // The sentence says $0.60, the labelled line $0.5 (the fixture's author edited one of them).
    expect(e.spent).toEqual({ amount: 0.5, currency: 'USD' });
    expect(e.crossings[0]).toMatchObject({ kind: 'actual', thresholdPercent: 100 });
    expect(e.period.key).toBe('2024-05');
  });

  it('reads the plain message text, dated by its first line', () => {
    const e = ok(parseAwsBudgets(budgetText));
    expect(e.budgetId).toBe('017790921725/Test Budget');
    expect(e.occurredAt.toISOString()).toBe('2022-09-26T00:00:00.000Z');
  });

  it('reads a FORECASTED alert as a forecast crossing (documented text with the alert type changed)', () => {
    const text = budgetText
      .replace('Alert Type: ACTUAL', 'Alert Type: FORECASTED')
      .replace('ACTUAL Amount: $0.59', 'FORECASTED Amount: $1,250.40');
    const e = ok(parseAwsBudgets(text));
    expect(e.crossings).toEqual([{ kind: 'forecast', thresholdPercent: 80, thresholdAmount: { amount: 0.16, currency: 'USD' }, amount: { amount: 1250.4, currency: 'USD' } }]);
    expect(e.forecast).toEqual({ amount: 1250.4, currency: 'USD' });
    expect(e.spent).toBeUndefined();
  });

  it('takes a stated percentage and a daily period ("per day ... Yesterday")', () => {
    const text = budgetText
      .replace('greater than $0.16 for the current month. The ACTUAL Cost', 'greater than $0.16 per day. Yesterday, the ACTUAL Cost')
      .replace('Alert Threshold: > $0.16', 'Alert Threshold: > $0.16 (80.5% of your budget)');
    const e = ok(parseAwsBudgets(text));
    expect(e.crossings[0]?.thresholdPercent).toBe(80.5);
    expect(e.period).toMatchObject({ key: '2022-09-25', granularity: 'day' });
  });

  it('refuses usage budgets, unknown alert types and text that is not a budget alert, naming the reason', () => {
    expect(refused(parseAwsBudgets(budgetText.replace('Budget Type: Cost', 'Budget Type: Usage')))).toMatch(/only cost budgets/);
    expect(refused(parseAwsBudgets(budgetText.replace('Alert Type: ACTUAL', 'Alert Type: SOMETIMES')))).toMatch(/neither ACTUAL nor FORECASTED/);
    expect(refused(parseAwsBudgets('Hello world'))).toMatch(/no "Budget Name:", "Alert Type:", "Alert Threshold:", "Budgeted Amount:" line/);
    expect(refused(parseAwsBudgets(budgetText.replace('Budgeted Amount: $0.20', 'Budgeted Amount: 20 Hrs')))).toMatch(/Budgeted Amount: .*cannot read|Budgeted Amount: no currency/);
    expect(refused(parseAwsBudgets({ Type: 'SubscriptionConfirmation', Message: 'x', TopicArn: 'arn' }))).toMatch(/SubscriptionConfirmation/);
  });
});

describe('AWS Cost Anomaly Detection parser', () => {
  it('reads the SNS message payload (dimensionalValue), amounts in USD', () => {
    const e: AnomalyEvent = ok(parseAwsAnomaly(fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json')));
    expect(e).toMatchObject({
      type: 'anomaly',
      via: 'sns',
      scopeId: '1234567890',
      accountName: 'opg-account',
      anomalyId: '6de0dd1d-feb4-488a-a55d-ff130a7a285a',
      monitorName: 'AWSServiceMonitor',
      dimension: 'AWS CloudTrail',
      impact: { total: { amount: 11.82, currency: 'USD' }, max: { amount: 2.48, currency: 'USD' }, expectedSpend: { amount: 0.27, currency: 'USD' }, actualSpend: { amount: 12.09, currency: 'USD' }, percent: 4377.78 },
      score: { current: 0.51, max: 0.67 },
    });
    expect(e.rootCauses).toEqual([{ service: 'AWS CloudTrail', region: 'eu-west-1', linkedAccount: '1234567890', linkedAccountName: 'opg-account', usageType: 'EU-InsightsEvents' }]);
    expect(e.start.toISOString()).toBe('2023-04-05T00:00:00.000Z');
  });

  it('reads the same payload wrapped in a Lambda SNS event, timed by the SNS timestamp', () => {
    const message = fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json');
    const e = ok(parseAwsAnomaly({ Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', MessageId: 'm-1', Message: message, Timestamp: '2023-04-10T08:00:00.000Z' } }] }));
    expect(e.occurredAt.toISOString()).toBe('2023-04-10T08:00:00.000Z');
    expect(e.dimension).toBe('AWS CloudTrail');
  });

  it('refuses the EventBridge doc example as published (not JSON), and reads it repaired (dimensionValue, contributions)', () => {
    const published = fixture('cost_anomaly_eventbridge_Anomaly_Detected__aws-doc.jsonc');
    expect(refused(parseAwsAnomaly(published))).toMatch(/not valid JSON/);
    // Repair: comments and the trailing comma removed; the `time` placeholder "<date>" given a
    // value in the documented format (yyyy-MM-dd'T'hh:mm:ssZ). Other placeholders stay as strings.
    const repaired = jsoncToJson(published).replace('"<date>"', '"2021-05-25T10:00:00Z"');
    const e = ok(parseAwsAnomaly(repaired));
    expect(e).toMatchObject({ via: 'eventbridge', scopeId: '<account ID>', anomalyId: '12345678-abcd-ef12-3456-987654321a12', dimension: '<dimension value>', monitorName: '<your monitor name>' });
    expect(e.impact.total).toEqual({ amount: 1001, currency: 'USD' });
    expect(e.rootCauses[0]?.contribution).toEqual({ amount: 601, currency: 'USD' });
    expect(e.occurredAt.toISOString()).toBe('2021-05-25T10:00:00.000Z');
    // The placeholder time left in is refused, not guessed.
    expect(refused(parseAwsAnomaly(jsoncToJson(published)))).toMatch(/^time: not a time/);
  });

  it('refuses an event that is not Anomaly Detected', () => {
    const e = JSON.parse(jsoncToJson(fixture('cost_anomaly_eventbridge_Anomaly_Detected__aws-doc.jsonc')).replace('"<date>"', '"2021-05-25T10:00:00Z"')) as Record<string, unknown>;
    expect(refused(parseAwsAnomaly({ ...e, 'detail-type': 'Anomaly Resolved' }))).toMatch(/not "Anomaly Detected"/);
    expect(refused(parseAwsAnomaly({ ...e, detail: { ...(e['detail'] as object), impact: { totalImpact: '1001' } } }))).toMatch(/detail\.impact\.totalImpact: .*expected number/);
  });
});

describe('SageMaker state-change parser', () => {
  it('reads the endpoint doc example: IN_SERVICE as InService, epoch-ms string time, float epoch-ms times', () => {
    const e: ResourceStateEvent = ok(parseSageMakerEvent(fixture('sagemaker_endpoint_state_change__aws-doc.json')));
    expect(e).toMatchObject({
      type: 'resource-state',
      kind: 'aws.sagemaker.endpoint',
      scopeId: '123456789012',
      region: 'us-west-2',
      name: 'MyEndpoint',
      arn: 'arn:aws:sagemaker:us-west-2:123456789012:endpoint/myendpoint',
      status: 'InService',
      statusAsSent: 'IN_SERVICE',
      lifecycle: 'running',
      tags: {},
    });
    expect(e.occurredAt.toISOString()).toBe('2020-03-10T09:18:09.050Z');
    expect(e.createdAt?.getTime()).toBe(1592411992203);
    expect(e.lastModifiedAt?.getTime()).toBe(1592411994287);
  });

  it('reads InService and IN_SERVICE, numbers and numeric strings alike', () => {
    const doc = json('sagemaker_endpoint_state_change__aws-doc.json');
    const variant = { ...doc, time: '2020-03-10T09:18:09Z', detail: { ...(doc['detail'] as object), EndpointStatus: 'InService', CreationTime: '1592411992203' } };
    const a = ok(parseSageMakerEvent(doc));
    const b = ok(parseSageMakerEvent(variant));
    expect(b.status).toBe(a.status);
    expect(b.createdAt?.getTime()).toBe(a.createdAt?.getTime());
    expect(b.occurredAt.toISOString()).toBe('2020-03-10T09:18:09.000Z');
  });

  it('refuses the deployment doc example as published (invalid JSON) and reads it repaired', () => {
    const published = fixture('sagemaker_endpoint_deployment_state_change__aws-doc.txt');
    expect(refused(parseSageMakerEvent(published))).toMatch(/not valid JSON/);
    // Repair: trailing commas removed and the missing final brace added.
    const e = ok(parseSageMakerEvent(`${published.replace(/,(\s*[}\]])/g, '$1')}}`));
    expect(e).toMatchObject({ kind: 'aws.sagemaker.endpoint', name: 'sample-endpoint', status: 'Updating', statusAsSent: 'UPDATING', detailType: 'SageMaker Endpoint Deployment State Change' });
    expect(e.createdAt?.getTime()).toBe(1635195148181);
  });

  it('reads the notebook example with its instance type and tags', () => {
    const e = ok(parseSageMakerEvent(fixture('sagemaker_notebook_instance_state_change__rsw_doc.json')));
    expect(e).toMatchObject({ kind: 'aws.sagemaker.notebook-instance', name: 'BasicNotebookInstance-x4CC6ZFJzqJJ', status: 'Stopping', lifecycle: 'stopping', instanceType: 'ml.t3.medium' });
    expect(e.tags['aws:cloudformation:logical-id']).toBe('BasicNotebookInstance');
    expect(Object.keys(e.tags)).toHaveLength(9);
  });

  it('reads the training job example: stopping condition, resource config, epoch-ms string times', () => {
    const e = ok(parseSageMakerEvent(fixture('sagemaker_training_job_state_change__aws-doc.json')));
    expect(e).toMatchObject({ kind: 'aws.sagemaker.training-job', status: 'Completed', lifecycle: 'stopped', arn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1' });
    expect(e.training).toMatchObject({ maxRuntimeSeconds: 60, instanceType: 'InstanceType', instanceCount: 3 });
    expect(e.training?.startedAt?.getTime()).toBe(1583831889050);
  });

  it('refuses other detail types and sources, and bad details, with the path of the problem', () => {
    const doc = json('sagemaker_endpoint_state_change__aws-doc.json');
    expect(refused(parseSageMakerEvent({ ...doc, 'detail-type': 'SageMaker Model State Change' }))).toMatch(/not read by costwatch/);
    expect(refused(parseSageMakerEvent(fixture('eventbridge_scheduled_event__aws-doc.json')))).toMatch(/source "aws.events" is not aws.sagemaker/);
    expect(refused(parseSageMakerEvent({ ...doc, detail: { ...(doc['detail'] as object), EndpointStatus: 42 } }))).toMatch(/^detail\.EndpointStatus: /);
    expect(refused(parseSageMakerEvent({ ...doc, time: 'yesterday' }))).toMatch(/^time: not a time/);
    expect(refused(parseSageMakerEvent({ ...doc, detail: { ...(doc['detail'] as object), CreationTime: 1592411992 } }))).toMatch(/between 2000 and 2200 in epoch milliseconds/);
  });
});

describe('Google Cloud budget parser', () => {
  const push = json('CONSTRUCTED_budget_push_body_from_doc_examples.json');
  const withData = (data: unknown, attributes?: unknown) => ({
    ...push,
    message: { ...(push['message'] as object), data: Buffer.from(JSON.stringify(data)).toString('base64'), ...(attributes ? { attributes } : {}) },
  });
  const decoded = JSON.parse(Buffer.from((push['message'] as { data: string }).data, 'base64').toString('utf8')) as Record<string, unknown>;

  it('reads the push body built from the doc example: attributes, base64 data, both thresholds', () => {
    const e: BudgetEvent = ok(parseGcpBudget(push));
    expect(e).toMatchObject({
      source: 'gcp-budget',
      cloud: 'gcp',
      scopeId: '01D4EE-079462-DFD6EC',
      budgetId: 'de72f49d-779b-4945-a127-4d6ce8def0bb',
      budgetName: 'My Personal Budget',
      limit: { amount: 152.557, currency: 'USD' },
      spent: { amount: 140.321, currency: 'USD' },
      period: { key: '2021-02-01T08:00:00.000Z', granularity: 'unknown' },
      messageId: '2070443601311540',
    });
    expect(e.crossings).toEqual([
      { kind: 'actual', thresholdPercent: 90, thresholdAmount: { amount: 137.3, currency: 'USD' }, amount: { amount: 140.321, currency: 'USD' } },
      { kind: 'forecast', thresholdPercent: 20, thresholdAmount: { amount: 30.51, currency: 'USD' } },
    ]);
    expect(e.occurredAt.toISOString()).toBe('2021-02-26T19:13:55.749Z');
  });

  it('reads a status update (threshold keys absent, as the doc says) as no crossing', () => {
    const { alertThresholdExceeded: _a, forecastThresholdExceeded: _f, ...status } = decoded;
    const e = ok(parseGcpBudget(withData(status)));
    expect(e.crossings).toEqual([]);
    expect(e.notes).toContain('status update: no threshold exceeded');
  });

  it('refuses what is not a budget notification, naming why', () => {
    expect(refused(parseGcpBudget(fixture('pubsub_push_body__google-doc.json')))).toMatch(/billingAccountId: is missing/);
    expect(refused(parseGcpBudget({ ...push, message: { ...(push['message'] as object), data: 'not base64!' } }))).toMatch(/not base64/);
    expect(refused(parseGcpBudget({ ...push, message: { ...(push['message'] as object), data: Buffer.from('Hello Cloud Pub/Sub!').toString('base64') } }))).toMatch(/data \(decoded\) is not valid JSON/);
    expect(refused(parseGcpBudget(withData({ ...decoded, costAmount: '140.321' })))).toMatch(/^message\.data\.costAmount: /);
    expect(refused(parseGcpBudget(withData({ ...decoded, currencyCode: 'usd' })))).toMatch(/currencyCode: not an ISO 4217/);
    expect(refused(parseGcpBudget(withData(decoded, { billingAccountId: 'x', budgetId: 'y', schemaVersion: '2.0' })))).toMatch(/schemaVersion/);
    expect(refused(parseGcpBudget(withData({ anomalyName: 'billingAccounts/x/anomalies/aaa' })))).toMatch(/anomaly notification/);
  });
});

describe('Azure budget parser', () => {
  const alert = json('azure_budget_actual_cost_common_alert_schema__ms-doc.json');
  const withData = (patch: Record<string, unknown>) => {
    const a = structuredClone(alert) as { data: { alertContext: { AlertData: Record<string, unknown> } } };
    Object.assign(a.data.alertContext.AlertData, patch);
    return a;
  };

  it('reads the doc example: "$11,111.00" amounts, threshold percent of the budget, subscription scope', () => {
    const e: BudgetEvent = ok(parseAzureBudget(alert));
    expect(e).toMatchObject({
      source: 'azure-budget',
      cloud: 'azure',
      scopeId: '11111111-1111-1111-1111-111111111111',
      budgetName: 'Test_actual_cost_budget',
      budgetId: '/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Consumption/budgets/Test_actual_cost_budget',
      limit: { amount: 50, currency: 'USD' },
      spent: { amount: 11111, currency: 'USD' },
      period: { key: '2022-12', granularity: 'month' },
    });
    expect(e.crossings).toEqual([{ kind: 'actual', thresholdPercent: 50, thresholdAmount: { amount: 25, currency: 'USD' }, amount: { amount: 11111, currency: 'USD' } }]);
  });

  it('reads forecast alerts and other currencies; refuses ambiguous or contradictory amounts', () => {
    expect(ok(parseAzureBudget(withData({ ThresholdType: 'Forecasted' }))).crossings[0]?.kind).toBe('forecast');
    expect(ok(parseAzureBudget(withData({ Unit: 'EUR', BudgetThreshold: '€1,000.00', NotificationThresholdAmount: '€800.00', SpentAmount: '€812.10' }))).crossings[0]).toMatchObject({ thresholdPercent: 80 });
    expect(refused(parseAzureBudget(withData({ Unit: 'EUR', SpentAmount: '1.234,56' })))).toMatch(/SpentAmount: cannot read the amount/);
    expect(refused(parseAzureBudget(withData({ Unit: 'EUR', SpentAmount: '£12.00' })))).toMatch(/in GBP, not EUR/);
  });

  it('refuses other alerts and alerts without the common schema', () => {
    expect(refused(parseAzureBudget(fixture('azure_metric_alert_static_threshold_common_alert_schema__ms-doc.json')))).toMatch(/monitoringService is "Platform", not CostAlerts/);
    expect(refused(parseAzureBudget({ ...alert, schemaId: 'Microsoft.Insights/activityLogs' }))).toMatch(/common alert schema/);
  });
});

describe('parseEvent: source detection', () => {
  const cases: [string, EventSource, (s: string) => string][] = [
    ['budget_actual_lambda_sns_event__sasa9477.json', 'aws-budgets', (s) => s],
    ['budget_actual_sns_http_notification__cds-snc-sre-bot.json', 'aws-budgets', (s) => s],
    ['budget_actual_message_body__cds-snc-sre-bot.txt', 'aws-budgets', (s) => s],
    ['cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json', 'aws-anomaly', (s) => s],
    ['cost_anomaly_eventbridge_Anomaly_Detected__aws-doc.jsonc', 'aws-anomaly', (s) => jsoncToJson(s).replace('"<date>"', '"2021-05-25T10:00:00Z"')],
    ['sagemaker_endpoint_state_change__aws-doc.json', 'sagemaker', (s) => s],
    ['sagemaker_notebook_instance_state_change__rsw_doc.json', 'sagemaker', (s) => s],
    ['sagemaker_training_job_state_change__aws-doc.json', 'sagemaker', (s) => s],
    ['CONSTRUCTED_budget_push_body_from_doc_examples.json', 'gcp-budget', (s) => s],
    ['azure_budget_actual_cost_common_alert_schema__ms-doc.json', 'azure-budget', (s) => s],
  ];
  it.each(cases)('detects %s as %s, the same event as with --source', (file, source, prepare) => {
    const text = prepare(fixture(file));
    const detected: CloudEvent = ok(parseEvent(text));
    expect(detected.source).toBe(source);
    expect(detected).toEqual(ok(parseEvent(text, { source })));
  });

  it('refuses what it cannot place, and a body given to the wrong parser', () => {
    expect(refused(parseEvent(fixture('eventbridge_scheduled_event__aws-doc.json')))).toMatch(/cannot tell which source/);
    expect(refused(parseEvent('just some words'))).toMatch(/not JSON and not an AWS Budgets notification/);
    expect(refused(parseEvent(budgetText, { source: 'sagemaker' }))).toMatch(/not valid JSON/);
    expect(refused(parseEvent(fixture('sagemaker_endpoint_state_change__aws-doc.json'), { source: 'azure-budget' }))).toMatch(/schemaId/);
  });
});
