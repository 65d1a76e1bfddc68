import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAwsAnomaly, parseAwsBudgets, parseAzureBudget, parseEvent, parseGcpBudget, type ParseResult } from '../../shared/events/index.js';
import { MAX_AMOUNT, MAX_THRESHOLD_PERCENT } from '../../shared/events/input.js';

/*
 * Every source refuses amounts beyond what a budget can be and thresholds that mean nothing
 * (0, astronomically large, not a number), naming the figure; real payloads still read.
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');

function refused(r: ParseResult<unknown>): string {
  if (r.ok) throw new Error('expected a refusal, got an event');
  return r.refusal.reason;
}

const budgetText = fixture('budget_actual_message_body__cds-snc-sre-bot.txt');
const awsText = (line: string, value: string) => budgetText.replace(new RegExp(`^${line}:.*$`, 'm'), `${line}: ${value}`);

const azure = JSON.parse(fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json')) as { data: { essentials: Record<string, unknown>; alertContext: { AlertData: Record<string, unknown> } } };
const azureWith = (data: Record<string, unknown>, essentials: Record<string, unknown> = {}) => ({
  ...azure,
  data: { ...azure.data, essentials: { ...azure.data.essentials, ...essentials }, alertContext: { ...azure.data.alertContext, AlertData: { ...azure.data.alertContext.AlertData, ...data } } },
});

const push = JSON.parse(fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json')) as { message: Record<string, unknown> };
const pushData = JSON.parse(Buffer.from(push.message['data'] as string, 'base64').toString('utf8')) as Record<string, unknown>;
const gcpWith = (data: Record<string, unknown>) => ({ ...push, message: { ...push.message, data: Buffer.from(JSON.stringify({ ...pushData, ...data })).toString('base64') } });

const anomaly = JSON.parse(fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json')) as Record<string, unknown> & { impact: Record<string, unknown> };

describe('amounts are bounded on every budget source', () => {
  it('AWS Budgets: a 21-digit or astronomically large amount is refused, naming the line', () => {
    expect(refused(parseAwsBudgets(awsText('ACTUAL Amount', '$123456789012345678901')))).toMatch(/the amount spent \(1\.235e\+20 USD\) is over 1e\+13/);
    expect(refused(parseAwsBudgets(awsText('Budgeted Amount', '$' + '9'.repeat(30))))).toMatch(/the budget amount .* is over 1e\+13/);
    expect(refused(parseAwsBudgets(awsText('Alert Threshold', '> $1e308')))).toMatch(/Alert Threshold: cannot read the amount/);
    expect(refused(parseAwsBudgets(awsText('ACTUAL Amount', '$NaN')))).toMatch(/ACTUAL Amount: cannot read/);
    expect(refused(parseAwsBudgets(awsText('ACTUAL Amount', '-$5.00')))).toMatch(/ACTUAL Amount/);
  });

  it('Azure: amounts as text or as bare numbers beyond the bound are refused', () => {
    expect(refused(parseAzureBudget(azureWith({ SpentAmount: '$123456789012345678901' })))).toMatch(/the amount spent .* is over 1e\+13/);
    expect(refused(parseAzureBudget(azureWith({ BudgetThreshold: 1e308 })))).toMatch(/the budget amount .* is over/);
    expect(refused(parseAzureBudget(azureWith({ SpentAmount: -1 })))).toMatch(/SpentAmount is negative/);
    expect(refused(parseAzureBudget(azureWith({ SpentAmount: '$1e5' })))).toMatch(/cannot read the amount/);
  });

  it('Google: amounts beyond the bound are refused', () => {
    expect(refused(parseGcpBudget(gcpWith({ costAmount: 1e308 })))).toMatch(/costAmount: is over 1e\+13/);
    expect(refused(parseGcpBudget(gcpWith({ budgetAmount: MAX_AMOUNT * 10 })))).toMatch(/budgetAmount: is over/);
  });

  it('Cost Anomaly Detection: impacts beyond the bound are refused', () => {
    expect(refused(parseAwsAnomaly({ ...anomaly, impact: { ...anomaly.impact, totalImpact: 1e308 } }))).toMatch(/impact.totalImpact: is over/);
    expect(refused(parseAwsAnomaly({ ...anomaly, impact: { ...anomaly.impact, totalImpact: -1e20 } }))).toMatch(/impact.totalImpact: is under/);
    expect(refused(parseAwsAnomaly({ ...anomaly, impact: { ...anomaly.impact, totalImpactPercentage: 1e300 } }))).toMatch(/totalImpactPercentage: is over/);
  });

  it('the largest amount allowed still reads', () => {
    const e = parseAzureBudget(azureWith({ BudgetThreshold: MAX_AMOUNT, NotificationThresholdAmount: MAX_AMOUNT / 2, SpentAmount: MAX_AMOUNT }));
    expect(e.ok).toBe(true);
  });
});

describe('absurd thresholds are refused with the reason', () => {
  it('a threshold of 0 on every budget source', () => {
    expect(refused(parseAwsBudgets(awsText('Alert Threshold', '> $0.00')))).toMatch(/threshold is 0%: a threshold of 0 is crossed by any spend/);
    expect(refused(parseAzureBudget(azureWith({ NotificationThresholdAmount: '$0.00' })))).toMatch(/threshold is 0%/);
    expect(refused(parseGcpBudget(gcpWith({ alertThresholdExceeded: 0 })))).toMatch(/actual threshold is 0%/);
  });

  it('a threshold far beyond the budget (1e308, 21 digits) on every budget source', () => {
    expect(refused(parseAzureBudget(azureWith({ NotificationThresholdAmount: 1e308 })))).toMatch(/over 1e\+13/);
    expect(refused(parseAzureBudget(azureWith({ NotificationThresholdAmount: '$5,000,000.00' })))).toMatch(new RegExp(`over the ${MAX_THRESHOLD_PERCENT}%`));
    expect(refused(parseAwsBudgets(awsText('Alert Threshold', '> $1,000,000.00')))).toMatch(/over the 10000%/);
    expect(refused(parseGcpBudget(gcpWith({ forecastThresholdExceeded: 1e308 })))).toMatch(/forecastThresholdExceeded/);
  });

  it('Infinity and NaN never reach an alert', () => {
    // JSON has no Infinity or NaN: they arrive as strings, or as numbers too large to be finite.
    expect(refused(parseGcpBudget(gcpWith({ alertThresholdExceeded: 'NaN' })))).toMatch(/alertThresholdExceeded/);
    expect(refused(parseGcpBudget(gcpWith({ alertThresholdExceeded: 'Infinity' })))).toMatch(/alertThresholdExceeded/);
    expect(refused(parseAzureBudget(azureWith({ NotificationThresholdAmount: 'Infinity' })))).toMatch(/cannot read the amount/);
    expect(refused(parseAzureBudget(azureWith({ BudgetThreshold: '$' + '9'.repeat(400) })))).toMatch(/BudgetThreshold: Too big/);
    expect(refused(parseAzureBudget(azureWith({ BudgetThreshold: '$' + '9'.repeat(60) })))).toMatch(/the budget amount .* is over 1e\+13/);
  });

  it('a budget of 0 with a crossing is refused (its thresholds cannot be read as percent)', () => {
    expect(refused(parseAzureBudget(azureWith({ BudgetThreshold: '$0.00' })))).toMatch(/budget amount is 0/);
    expect(refused(parseGcpBudget(gcpWith({ budgetAmount: 0 })))).toMatch(/budget amount is 0/);
  });

  it('Azure: monitoringService other than CostAlerts (null included) is refused', () => {
    expect(refused(parseAzureBudget(azureWith({}, { monitoringService: null })))).toBe('not a budget alert: monitoringService is null, not CostAlerts');
    expect(refused(parseAzureBudget(azureWith({}, { monitoringService: 'Platform' })))).toMatch(/monitoringService is "Platform", not CostAlerts/);
    const missing = structuredClone(azure) as { data: { essentials: Record<string, unknown> } };
    delete missing.data.essentials['monitoringService'];
    expect(refused(parseAzureBudget(missing))).toMatch(/monitoringService is missing, not CostAlerts/);
  });
});

describe('the legacy Azure budget payload', () => {
  // Constructed from the documented fields of the payload action groups send for a budget when the
  // common alert schema is off (schemaId "AIP Budget Notification", the budget's fields under `data`).
  const legacy = {
    schemaId: 'AIP Budget Notification',
    data: {
      SubscriptionName: 'Pay-As-You-Go',
      SubscriptionId: '11111111-1111-1111-1111-111111111111',
      SpendingAmount: '112.5',
      BudgetStartDate: '11/1/2022 12:00:00 AM',
      Budget: '100',
      Unit: 'USD',
      BudgetCreator: 'test@sample.test',
      BudgetName: 'ml-monthly',
      BudgetType: 'Cost',
      ResourceGroup: '',
      NotificationThresholdAmount: '80.0',
    },
  };

  it('is detected as Azure and gets the same helpful message as with --source azure-budget', () => {
    const detected = refused(parseEvent(JSON.stringify(legacy)));
    expect(detected).toMatch(/legacy Azure budget payload .*turn on the common alert schema/);
    expect(detected).toBe(refused(parseEvent(JSON.stringify(legacy), { source: 'azure-budget' })));
    // Without a schemaId at all, the shape alone is enough.
    expect(refused(parseEvent(JSON.stringify({ data: legacy.data })))).toMatch(/turn on the common alert schema/);
  });
});
