import * as z from '../util/check.js';
import type { Money } from '../domain/money.js';
import { accept, refuse, type BudgetCrossing, type BudgetEvent, type ParseResult } from './event.js';
import { budgetFiguresProblem, roundFigure, calendarPeriod, clip, currencyCode, isObject, isoTime, moneyFromText, parseJson, roundPercent, text, validate } from './input.js';

const SOURCE = 'azure-budget' as const;

/** Amounts arrive as text for people ("$11,111.00"); a bare number is read too. */
const amountText = z.union([z.string().max(64), z.number().finite()]);

const alertSchema = z.object({
  schemaId: z.literal('azureMonitorCommonAlertSchema', {
    error: () => 'must be "azureMonitorCommonAlertSchema": turn on the common alert schema in the action group\'s webhook action',
  }),
  data: z.object({
    essentials: z.object({
      monitoringService: z.literal('CostAlerts'),
      firedDateTime: isoTime,
      alertId: z.string().max(2048).nullish(),
      description: z.string().max(4096).nullish(),
    }),
    alertContext: z.object({
      AlertCategory: z.string().max(64).nullish(),
      AlertData: z.object({
        Scope: text(2048),
        ThresholdType: text(64),
        BudgetType: z.string().max(64).nullish(),
        BudgetThreshold: amountText,
        NotificationThresholdAmount: amountText,
        BudgetName: text(256),
        BudgetId: text(2048),
        BudgetStartDate: z.string().max(64).nullish(),
        Unit: currencyCode,
        SpentAmount: amountText,
      }),
    }),
  }),
});

/**
 * Parses an Azure Monitor action-group webhook body for a Cost Management budget alert (common
 * alert schema, `monitoringService: CostAlerts`, `alertContext.AlertData`). Amounts are strings
 * like `"$11,111.00"` in the currency named by `Unit`. The URL token is checked by the webhook.
 */
export function parseAzureBudget(input: unknown): ParseResult<BudgetEvent> {
  let v: unknown = input;
  if (typeof input === 'string') {
    const json = parseJson(input, SOURCE);
    if (!json.ok) return json;
    v = json.event;
  }
  if (!isObject(v)) return refuse('not an Azure Monitor alert: expected a JSON object', SOURCE);
  // Tell "some other alert" apart from "a broken budget alert" before validating the details.
  const data = v['data'];
  const essentials = isObject(data) ? data['essentials'] : undefined;
  const service = isObject(essentials) ? essentials['monitoringService'] : undefined;
  const category = isObject(data) && isObject(data['alertContext']) ? data['alertContext']['AlertCategory'] : undefined;
  if (isLegacyAzureBudget(v)) {
    return refuse(
      `the legacy Azure budget payload (schemaId ${JSON.stringify(clip(String(v['schemaId'] ?? 'missing'), 40))}): costwatch reads the common alert schema; turn on the common alert schema in the action group's webhook action`,
      SOURCE,
    );
  }
  if (v['schemaId'] === 'azureMonitorCommonAlertSchema' && isObject(essentials) && service !== 'CostAlerts') {
    const said = typeof service === 'string' ? JSON.stringify(clip(service, 40)) : service === undefined ? 'missing' : service === null ? 'null' : `a ${typeof service}`;
    return refuse(`not a budget alert: monitoringService is ${said}, not CostAlerts`, SOURCE);
  }
  if (typeof category === 'string' && category.toLowerCase() !== 'budgets') {
    return refuse(`not a budget alert: AlertCategory is ${JSON.stringify(clip(category, 40))}, not budgets`, SOURCE);
  }
  const r = validate(alertSchema, v, SOURCE);
  if (!r.ok) return r;
  const ad = r.event.data.alertContext.AlertData;
  const fired = r.event.data.essentials.firedDateTime;

  const kind = /^actual$/i.test(ad.ThresholdType) ? 'actual' : /^forecast(ed)?$/i.test(ad.ThresholdType) ? 'forecast' : undefined;
  if (!kind) return refuse(`AlertData.ThresholdType ${JSON.stringify(clip(ad.ThresholdType, 30))} is neither Actual nor Forecasted`, SOURCE);
  if (ad.BudgetType && !/^cost$/i.test(ad.BudgetType)) {
    return refuse(`AlertData.BudgetType ${JSON.stringify(clip(ad.BudgetType, 30))}: only cost budgets are read`, SOURCE);
  }
  const read = (field: 'BudgetThreshold' | 'NotificationThresholdAmount' | 'SpentAmount'): Money | string => {
    const raw = ad[field];
    if (typeof raw === 'number') return raw >= 0 ? { amount: roundFigure(raw), currency: ad.Unit } : `${field} is negative`;
    const m = moneyFromText(raw, ad.Unit);
    return typeof m === 'string' ? `AlertData.${field}: ${m}` : m;
  };
  const limit = read('BudgetThreshold');
  if (typeof limit === 'string') return refuse(limit, SOURCE);
  const threshold = read('NotificationThresholdAmount');
  if (typeof threshold === 'string') return refuse(threshold, SOURCE);
  const spent = read('SpentAmount');
  if (typeof spent === 'string') return refuse(spent, SOURCE);

  const thresholdPercent = limit.amount > 0 ? roundPercent(Math.round((threshold.amount / limit.amount) * 10_000) / 100) : undefined;
  const crossing: BudgetCrossing = {
    kind,
    ...(thresholdPercent !== undefined ? { thresholdPercent } : {}),
    thresholdAmount: threshold,
    ...(kind === 'actual' ? { amount: spent } : {}),
  };
  const sub = /^\/subscriptions\/([0-9a-fA-F-]{36})(\/|$)/.exec(ad.Scope)?.[1];
  const event: BudgetEvent = {
    type: 'budget',
    source: SOURCE,
    cloud: 'azure',
    // Azure compares ids case-insensitively; the policy keeps subscription ids in lower case.
    scopeId: sub ? sub.toLowerCase() : ad.Scope.replace(/\/+$/, ''),
    budgetId: ad.BudgetId,
    budgetName: ad.BudgetName,
    limit,
    spent,
    period: calendarPeriod(fired, 'month'),
    crossings: [crossing],
    occurredAt: fired,
    ...(r.event.data.essentials.alertId ? { messageId: r.event.data.essentials.alertId } : {}),
    notes: [
      "the alert does not state the budget's time grain: read as monthly",
      ...(kind === 'forecast' ? ['SpentAmount is read as the actual cost so far'] : []),
    ],
  };
  const problem = budgetFiguresProblem(event);
  return problem ? refuse(problem, SOURCE) : accept(event);
}

/**
 * Whether a value is the budget payload action groups send without the common alert schema
 * (`schemaId: "AIP Budget Notification"`, the budget's fields directly under `data`).
 */
export function isLegacyAzureBudget(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (typeof v['schemaId'] === 'string' && /^AIP Budget Notification$/i.test(v['schemaId'].trim())) return true;
  const data = v['data'];
  return v['schemaId'] !== 'azureMonitorCommonAlertSchema' && isObject(data) && !isObject(data['essentials']) && 'BudgetName' in data && ('SpendingAmount' in data || 'NotificationThresholdAmount' in data);
}

/** Whether a parsed JSON value looks like an Azure Monitor alert, common schema or legacy budget payload (for source detection). */
export function isAzureAlert(v: unknown): boolean {
  return isObject(v) && (v['schemaId'] === 'azureMonitorCommonAlertSchema' || (isObject(v['data']) && isObject(v['data']['essentials'])) || isLegacyAzureBudget(v));
}
