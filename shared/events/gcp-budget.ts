import * as z from '../util/check.js';
import { accept, refuse, type BudgetCrossing, type BudgetEvent, type ParseResult } from './event.js';
import { budgetFiguresProblem, amount, currencyCode, isObject, isoTime, MAX_BASE64_CHARS, parseJson, roundPercent, text, validate } from './input.js';

const SOURCE = 'gcp-budget' as const;

const pushSchema = z.object({
  message: z.object({
    attributes: z.record(z.string().max(256), z.string().max(1024)).nullish(),
    data: z.string({ error: (iss) => (iss.input === undefined ? 'is missing: a budget notification always carries data' : 'must be a base64 string') }).max(MAX_BASE64_CHARS),
    messageId: z.string().max(256).nullish(),
    message_id: z.string().max(256).nullish(),
    publishTime: isoTime.nullish(),
    publish_time: isoTime.nullish(),
  }),
  subscription: z.string().max(1024).nullish(),
});

const attributesSchema = z.object({
  billingAccountId: text(64),
  budgetId: text(256),
  schemaVersion: z.string().regex(/^1(\.\d+)*$/, 'unsupported schemaVersion: costwatch reads schema 1.0'),
});

// Threshold keys are absent when nothing is exceeded; null is read the same way.
const fraction = z.number().finite().min(0).max(100).nullish();

const dataSchema = z.object({
  budgetDisplayName: text(1024),
  costAmount: amount,
  costIntervalStart: isoTime,
  budgetAmount: amount,
  budgetAmountType: z.string().max(64).nullish(),
  alertThresholdExceeded: fraction,
  forecastThresholdExceeded: fraction,
  currencyCode,
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a Pub/Sub push body carrying a Cloud Billing budget notification: attributes
 * `billingAccountId`, `budgetId`, `schemaVersion`; `data` is base64 JSON. A notification with
 * neither `alertThresholdExceeded` nor `forecastThresholdExceeded` is a status update and has no
 * crossings. Authentication (the push OIDC token) is checked by the webhook, not here.
 */
export function parseGcpBudget(input: unknown): ParseResult<BudgetEvent> {
  let v: unknown = input;
  if (typeof input === 'string') {
    const json = parseJson(input, SOURCE);
    if (!json.ok) return json;
    v = json.event;
  }
  if (!isObject(v) || !isObject(v['message'])) return refuse('not a Pub/Sub push body: expected {"message": {...}, "subscription": ...}', SOURCE);
  const push = validate(pushSchema, v, SOURCE);
  if (!push.ok) return push;
  const m = push.event.message;
  const attrs = m.attributes ?? {};
  if ('billingAccountName' in attrs || 'resourceName' in attrs || 'scope' in attrs) {
    return refuse('a Cloud Billing cost anomaly notification: this version reads budget notifications only', SOURCE);
  }
  const a = validate(attributesSchema, attrs, SOURCE, 'message.attributes');
  if (!a.ok) return a;

  const b64 = m.data.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) return refuse('message.data is not base64', SOURCE);
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64'));
  } catch {
    return refuse('message.data does not decode to UTF-8 text', SOURCE);
  }
  const json = parseJson(decoded, SOURCE, 'message.data (decoded)');
  if (!json.ok) return json;
  if (isObject(json.event) && 'anomalyName' in json.event) {
    return refuse('a Cloud Billing cost anomaly notification: this version reads budget notifications only', SOURCE);
  }
  const d = validate(dataSchema, json.event, SOURCE, 'message.data');
  if (!d.ok) return d;
  const data = d.event;
  const publishedAt = m.publishTime ?? m.publish_time;
  if (!publishedAt) return refuse('message.publishTime is missing', SOURCE);

  const currency = data.currencyCode;
  const money = (n: number) => ({ amount: Math.round(n * 100) / 100, currency });
  const crossings: BudgetCrossing[] = [];
  if (data.alertThresholdExceeded !== null && data.alertThresholdExceeded !== undefined) {
    crossings.push({
      kind: 'actual',
      thresholdPercent: roundPercent(data.alertThresholdExceeded * 100),
      thresholdAmount: money(data.budgetAmount * data.alertThresholdExceeded),
      amount: { amount: data.costAmount, currency },
    });
  }
  if (data.forecastThresholdExceeded !== null && data.forecastThresholdExceeded !== undefined) {
    crossings.push({
      kind: 'forecast',
      thresholdPercent: roundPercent(data.forecastThresholdExceeded * 100),
      thresholdAmount: money(data.budgetAmount * data.forecastThresholdExceeded),
    });
  }
  const notes: string[] = [];
  if (crossings.length === 0) notes.push('status update: no threshold exceeded');
  if (data.budgetAmountType === 'LAST_MONTH_COST') notes.push("the budget amount is last month's cost");
  if (data.budgetAmountType === 'LAST_PERIODS_COST') notes.push("the budget amount is the last period's cost");
  const messageId = m.messageId ?? m.message_id;

  const event: BudgetEvent = {
    type: 'budget',
    source: SOURCE,
    cloud: 'gcp',
    scopeId: a.event.billingAccountId,
    budgetId: a.event.budgetId,
    budgetName: data.budgetDisplayName,
    limit: { amount: data.budgetAmount, currency },
    spent: { amount: data.costAmount, currency },
    // The notification gives the period's start only; budgets may be monthly, quarterly, yearly or custom.
    period: { key: data.costIntervalStart.toISOString(), granularity: 'unknown', start: data.costIntervalStart },
    crossings,
    occurredAt: publishedAt,
    ...(messageId ? { messageId } : {}),
    notes,
  };
  const problem = budgetFiguresProblem(event);
  return problem ? refuse(problem, SOURCE) : accept(event);
}

/** Whether a parsed JSON value looks like a Pub/Sub push body (for source detection). */
export function isPubSubPush(v: unknown): boolean {
  return isObject(v) && isObject(v['message']) && ('data' in v['message'] || 'attributes' in v['message']);
}

