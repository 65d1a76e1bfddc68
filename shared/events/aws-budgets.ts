import type { Money } from '../domain/money.js';
import { accept, refuse, type BudgetCrossing, type BudgetEvent, type EventPeriod, type ParseResult } from './event.js';
import { budgetFiguresProblem, calendarPeriod, checkSize, clip, isObject, moneyFromText, parseJson, roundPercent } from './input.js';
import { isSnsEnvelope, unwrapSns, type SnsMessage } from './sns.js';

const SOURCE = 'aws-budgets' as const;

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/**
 * Parses an AWS Budgets notification: a Lambda SNS event, an SNS HTTP notification, or the
 * plain-text message itself. The message is text for people, not JSON; its labelled lines
 * (`Budget Name:`, `Alert Type:`, `Alert Threshold:`, `ACTUAL Amount:`, ...) are what is read.
 */
export function parseAwsBudgets(input: unknown): ParseResult<BudgetEvent> {
  let envelope: unknown = input;
  if (typeof input === 'string') {
    const sized = checkSize(input, SOURCE);
    if (!sized.ok) return sized;
    if (!/^\s*[[{]/.test(input)) return parseAwsBudgetText(input, {});
    const json = parseJson(input, SOURCE);
    if (!json.ok) return json;
    envelope = json.event;
  }
  if (!isSnsEnvelope(envelope)) {
    return refuse('not an AWS Budgets notification: expected an SNS event or notification carrying the budget message, or the message text', SOURCE);
  }
  const sns = unwrapSns(envelope, SOURCE);
  if (!sns.ok) return sns;
  return parseAwsBudgetText(sns.event.message, sns.event);
}

/** Parses the text of an AWS Budgets notification; `meta` adds what the SNS envelope knows. */
export function parseAwsBudgetText(text: string, meta: Partial<SnsMessage>): ParseResult<BudgetEvent> {
  const sized = checkSize(text, SOURCE, 'message');
  if (!sized.ok) return sized;
  // CRLF from copy-pasted emails reads the same as LF.
  const body = text.replace(/\r\n?/g, '\n');
  const field = (label: string) => new RegExp(`^[ \\t]*${label}:[ \\t]*(.{1,300}?)[ \\t]*$`, 'mi').exec(body)?.[1];

  const name = field('Budget Name');
  const alertType = field('Alert Type');
  const threshold = field('Alert Threshold');
  const budgeted = field('Budgeted Amount');
  const missing = [
    ['Budget Name', name],
    ['Alert Type', alertType],
    ['Alert Threshold', threshold],
    ['Budgeted Amount', budgeted],
  ].filter(([, v]) => v === undefined);
  if (missing.length > 0) {
    return refuse(`not an AWS Budgets notification: no ${missing.map(([k]) => `"${k}:"`).join(', ')} line`, SOURCE);
  }
  const kind = /^actual$/i.test(alertType!) ? 'actual' : /^forecast(ed)?$/i.test(alertType!) ? 'forecast' : undefined;
  if (!kind) return refuse(`Alert Type ${JSON.stringify(clip(alertType!, 30))} is neither ACTUAL nor FORECASTED`, SOURCE);

  const budgetType = field('Budget Type');
  if (budgetType !== undefined && !/^cost$/i.test(budgetType)) {
    return refuse(`Budget Type ${JSON.stringify(clip(budgetType, 30))}: only cost budgets are read (usage, RI and Savings Plans budgets alert in units or percent, not money)`, SOURCE);
  }

  const account = /^[ \t]*AWS Account[ \t]+([^\s]{1,64})[ \t]*$/im.exec(body)?.[1];
  if (!account) return refuse('not an AWS Budgets notification: no "AWS Account <id>" line', SOURCE);

  const limit = moneyFromText(budgeted!);
  if (typeof limit === 'string') return refuse(`Budgeted Amount: ${limit}`, SOURCE);
  // The threshold reads "> $0.16", sometimes followed by "(80.0% of your budget)".
  const thresholdMatch = /^(?:>|&gt;)?\s*([^(]+?)\s*(?:\(\s*(\d{1,4}(?:\.\d+)?)\s*%[^)]*\))?\s*$/.exec(threshold!);
  const thresholdAmount = thresholdMatch ? moneyFromText(thresholdMatch[1]!, limit.currency) : 'cannot read it';
  if (typeof thresholdAmount === 'string') return refuse(`Alert Threshold: ${thresholdAmount}`, SOURCE);
  const statedPercent = thresholdMatch?.[2] !== undefined ? Number(thresholdMatch[2]) : undefined;

  const amountLine = new RegExp(`^[ \\t]*${kind === 'actual' ? 'ACTUAL' : 'FORECASTED'} Amount:[ \\t]*(.{1,100}?)[ \\t]*$`, 'mi').exec(body)?.[1];
  let amount: Money | undefined;
  if (amountLine !== undefined) {
    const a = moneyFromText(amountLine, limit.currency);
    if (typeof a === 'string') return refuse(`${kind === 'actual' ? 'ACTUAL' : 'FORECASTED'} Amount: ${a}`, SOURCE);
    amount = a;
  }

  const notes: string[] = [];
  const dated = notificationDate(body);
  const day = dated ?? (meta.timestamp ? new Date(Date.UTC(meta.timestamp.getUTCFullYear(), meta.timestamp.getUTCMonth(), meta.timestamp.getUTCDate())) : undefined);
  if (!day) return refuse('no notification date: neither an "AWS Budget Notification <Month D, YYYY>" line nor an SNS Timestamp', SOURCE);
  const period = periodOf(body, day, notes);

  const thresholdPercent =
    statedPercent !== undefined ? statedPercent : limit.amount > 0 ? roundPercent(Math.round((thresholdAmount.amount / limit.amount) * 100 * 100) / 100) : undefined;
  const crossing: BudgetCrossing = {
    kind,
    ...(thresholdPercent !== undefined ? { thresholdPercent } : {}),
    thresholdAmount,
    ...(amount ? { amount } : {}),
  };
  if (!amount) notes.push(`no ${kind === 'actual' ? 'ACTUAL' : 'FORECASTED'} Amount line: the spend is not known`);

  const event: BudgetEvent = {
    type: 'budget',
    source: SOURCE,
    cloud: 'aws',
    scopeId: account,
    budgetId: `${account}/${name!}`,
    budgetName: name!,
    limit,
    ...(kind === 'actual' && amount ? { spent: amount } : {}),
    ...(kind === 'forecast' && amount ? { forecast: amount } : {}),
    period,
    crossings: [crossing],
    occurredAt: meta.timestamp ?? day,
    ...(meta.messageId ? { messageId: meta.messageId } : {}),
    notes,
  };
  const problem = budgetFiguresProblem(event);
  return problem ? refuse(problem, SOURCE) : accept(event);
}

function notificationDate(body: string): Date | undefined {
  const m = /^[ \t]*AWS Budget Notification[ \t]+([A-Za-z]+)[ \t]+(\d{1,2}),[ \t]*(\d{4})[ \t]*$/im.exec(body);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!.toLowerCase());
  const d = Number(m[2]);
  const y = Number(m[3]);
  if (month < 0 || d < 1 || d > 31 || y < 2000 || y > 2200) return undefined;
  const t = new Date(Date.UTC(y, month, d));
  return t.getUTCDate() === d ? t : undefined;
}

/**
 * The budget period: AWS Budgets evaluate in UTC, and the message says "for the current month"
 * (or quarter, year), or "per day ... Yesterday" for a daily budget.
 */
function periodOf(body: string, day: Date, notes: string[]): EventPeriod {
  const current = /for the current (month|quarter|year)\b/i.exec(body)?.[1]?.toLowerCase();
  if (current === 'month' || current === 'quarter' || current === 'year') return calendarPeriod(day, current);
  if (/\bper day\b/i.test(body)) {
    // A daily budget's message reports yesterday's cost.
    const yesterday = /\bYesterday\b/.test(body) ? new Date(day.getTime() - 86_400_000) : day;
    return calendarPeriod(yesterday, 'day');
  }
  notes.push('the message does not name the budget period; read as monthly');
  return calendarPeriod(day, 'month');
}

/** Whether text looks like an AWS Budgets message (for source detection). */
export function looksLikeAwsBudgetText(text: string): boolean {
  return /AWS Budget Notification|^[ \t]*Budget Name:/im.test(text.slice(0, 4096));
}

/** Whether a parsed JSON value is an SNS delivery whose message is AWS Budgets text. */
export function isAwsBudgetsEnvelope(v: unknown): boolean {
  if (!isSnsEnvelope(v)) return false;
  const msg = isObject(v) && Array.isArray(v['Records']) ? (v['Records'][0] as { Sns?: { Message?: unknown } } | undefined)?.Sns?.Message : (v as { Message?: unknown }).Message;
  return typeof msg === 'string' && looksLikeAwsBudgetText(msg);
}
