import * as z from '../util/check.js';
import type { Money } from '../domain/money.js';
import { accept, refuse, type AnomalyEvent, type AnomalyRootCause, type ParseResult } from './event.js';
import { eventBridgeEnvelope } from './eventbridge.js';
import { amount, isObject, isoTime, parseJson, signedAmount, text, validate } from './input.js';
import { isSnsEnvelope, unwrapSns } from './sns.js';

const SOURCE = 'aws-anomaly' as const;

/** Cost Anomaly Detection reports amounts in US dollars. */
const CURRENCY = 'USD';

const optionalText = (max = 1024) => z.string().max(max).nullish();

/**
 * The anomaly as Cost Anomaly Detection sends it. SNS messages name the dimension
 * `dimensionalValue`, EventBridge events `dimensionValue`: both are read.
 */
const anomalySchema = z.object({
  accountId: text(64),
  accountName: optionalText(),
  anomalyId: text(256),
  anomalyStartDate: isoTime,
  anomalyEndDate: isoTime.nullish(),
  dimensionalValue: optionalText(),
  dimensionValue: optionalText(),
  monitorArn: optionalText(2048),
  monitorName: optionalText(),
  monitorType: optionalText(),
  anomalyScore: z.object({ maxScore: signedAmount, currentScore: signedAmount }).nullish(),
  impact: z.object({
    maxImpact: amount.nullish(),
    totalExpectedSpend: amount.nullish(),
    totalActualSpend: amount.nullish(),
    totalImpact: signedAmount,
    totalImpactPercentage: signedAmount.nullish(),
  }),
  rootCauses: z
    .array(
      z.object({
        service: optionalText(),
        region: optionalText(),
        linkedAccount: optionalText(),
        linkedAccountName: optionalText(),
        usageType: optionalText(),
        impact: z.object({ contribution: signedAmount }).nullish(),
      }),
    )
    .max(1000)
    .nullish(),
  anomalyDetailsLink: optionalText(2048),
});

type AnomalyMessage = z.output<typeof anomalySchema>;

/**
 * Parses an AWS Cost Anomaly Detection alert: an SNS delivery (Lambda event or HTTP
 * notification) whose message is the anomaly JSON, the anomaly JSON itself, or an EventBridge
 * `Anomaly Detected` event (source `aws.ce`).
 */
export function parseAwsAnomaly(input: unknown): ParseResult<AnomalyEvent> {
  let v: unknown = input;
  if (typeof input === 'string') {
    const json = parseJson(input, SOURCE);
    if (!json.ok) return json;
    v = json.event;
  }
  if (isObject(v) && v['source'] !== undefined && v['detail-type'] !== undefined) return fromEventBridge(v);
  let occurredAt: Date | undefined;
  if (isSnsEnvelope(v)) {
    const sns = unwrapSns(v, SOURCE);
    if (!sns.ok) return sns;
    const json = parseJson(sns.event.message, SOURCE, 'SNS Message');
    if (!json.ok) return json;
    v = json.event;
    occurredAt = sns.event.timestamp;
  }
  const r = validate(anomalySchema, v, SOURCE);
  if (!r.ok) return r;
  return accept(toEvent(r.event, 'sns', occurredAt ?? r.event.anomalyEndDate ?? r.event.anomalyStartDate));
}

function fromEventBridge(v: Record<string, unknown>): ParseResult<AnomalyEvent> {
  const env = validate(eventBridgeEnvelope, v, SOURCE);
  if (!env.ok) return env;
  if (env.event.source !== 'aws.ce') return refuse(`EventBridge source ${JSON.stringify(env.event.source.slice(0, 60))} is not aws.ce`, SOURCE);
  if (env.event['detail-type'] !== 'Anomaly Detected') {
    return refuse(`EventBridge detail-type ${JSON.stringify(env.event['detail-type'].slice(0, 60))} is not "Anomaly Detected"`, SOURCE);
  }
  const d = validate(anomalySchema, env.event.detail, SOURCE, 'detail');
  if (!d.ok) return d;
  return accept(toEvent(d.event, 'eventbridge', env.event.time));
}

function usd(n: number | null | undefined): Money | undefined {
  return n === null || n === undefined ? undefined : { amount: n, currency: CURRENCY };
}

function toEvent(a: AnomalyMessage, via: AnomalyEvent['via'], occurredAt: Date): AnomalyEvent {
  const dimension = a.dimensionalValue ?? a.dimensionValue ?? undefined;
  const rootCauses: AnomalyRootCause[] = (a.rootCauses ?? []).map((c) => ({
    ...(c.service ? { service: c.service } : {}),
    ...(c.region ? { region: c.region } : {}),
    ...(c.linkedAccount ? { linkedAccount: c.linkedAccount } : {}),
    ...(c.linkedAccountName ? { linkedAccountName: c.linkedAccountName } : {}),
    ...(c.usageType ? { usageType: c.usageType } : {}),
    ...(c.impact ? { contribution: { amount: c.impact.contribution, currency: CURRENCY } } : {}),
  }));
  const max = usd(a.impact.maxImpact);
  const expectedSpend = usd(a.impact.totalExpectedSpend);
  const actualSpend = usd(a.impact.totalActualSpend);
  return {
    type: 'anomaly',
    source: SOURCE,
    cloud: 'aws',
    via,
    scopeId: a.accountId,
    ...(a.accountName ? { accountName: a.accountName } : {}),
    anomalyId: a.anomalyId,
    ...(a.monitorName ? { monitorName: a.monitorName } : {}),
    ...(a.monitorArn ? { monitorArn: a.monitorArn } : {}),
    ...(dimension ? { dimension } : {}),
    start: a.anomalyStartDate,
    ...(a.anomalyEndDate ? { end: a.anomalyEndDate } : {}),
    impact: {
      total: { amount: a.impact.totalImpact, currency: CURRENCY },
      ...(max ? { max } : {}),
      ...(expectedSpend ? { expectedSpend } : {}),
      ...(actualSpend ? { actualSpend } : {}),
      ...(a.impact.totalImpactPercentage !== null && a.impact.totalImpactPercentage !== undefined ? { percent: a.impact.totalImpactPercentage } : {}),
    },
    ...(a.anomalyScore ? { score: { current: a.anomalyScore.currentScore, max: a.anomalyScore.maxScore } } : {}),
    rootCauses,
    ...(a.anomalyDetailsLink ? { link: a.anomalyDetailsLink } : {}),
    occurredAt,
  };
}

/** Whether a parsed JSON value is an SNS delivery whose message is an anomaly (for source detection). */
export function isAnomalyEnvelope(v: unknown): boolean {
  if (!isSnsEnvelope(v) || !isObject(v)) return false;
  const rec = Array.isArray(v['Records']) ? (v['Records'][0] as { Sns?: { Message?: unknown } } | null | undefined) : undefined;
  const msg = rec ? rec.Sns?.Message : v['Message'];
  return typeof msg === 'string' && /"anomalyId"\s*:/.test(msg.slice(0, 65_536));
}
