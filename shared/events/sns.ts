import * as z from '../util/check.js';
import { refuse, type EventSource, type ParseResult } from './event.js';
import { checkSize, isObject, isoTime, validate } from './input.js';

/** One SNS message, whichever way it was delivered (Lambda record or HTTP notification). */
export interface SnsMessage {
  readonly message: string;
  readonly subject?: string;
  readonly messageId?: string;
  readonly topicArn?: string;
  readonly timestamp?: Date;
}

const snsMessageSchema = z.object({
  Type: z.string().max(64).optional(),
  MessageId: z.string().max(256).optional(),
  TopicArn: z.string().max(1024).optional(),
  Subject: z.string().max(1024).nullish(),
  Message: z.string({ error: (iss) => (iss.input === undefined ? 'is missing' : 'must be a string') }),
  Timestamp: isoTime.optional(),
});

const lambdaSnsEventSchema = z.object({
  Records: z.array(z.object({ EventSource: z.string().max(64).optional(), Sns: snsMessageSchema })).min(1, 'has no record'),
});

/** Whether a value looks like an SNS delivery: a Lambda SNS event or an SNS HTTP(S) notification. */
export function isSnsEnvelope(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (Array.isArray(v['Records'])) return v['Records'].some((r) => isObject(r) && isObject(r['Sns']));
  return typeof v['Message'] === 'string' && (v['Type'] === 'Notification' || typeof v['TopicArn'] === 'string');
}

/** The messages of a Lambda SNS event (one per record). */
export function snsRecords(v: unknown, source: EventSource): ParseResult<SnsMessage[]> {
  const r = validate(lambdaSnsEventSchema, v, source);
  if (!r.ok) return r;
  const out: SnsMessage[] = [];
  for (const rec of r.event.Records) {
    if (rec.EventSource !== undefined && rec.EventSource !== 'aws:sns') return refuse(`Records[].EventSource is ${JSON.stringify(rec.EventSource.slice(0, 40))}, not aws:sns`, source);
    const m = toMessage(rec.Sns, source);
    if (!m.ok) return m;
    out.push(m.event);
  }
  return { ok: true, event: out };
}

/** The one message of an SNS delivery; a Lambda event with several records is refused (parse them one by one). */
export function unwrapSns(v: unknown, source: EventSource): ParseResult<SnsMessage> {
  if (isObject(v) && 'Records' in v) {
    const all = snsRecords(v, source);
    if (!all.ok) return all;
    if (all.event.length > 1) return refuse(`the SNS event holds ${all.event.length} records; give one message at a time`, source);
    return { ok: true, event: all.event[0]! };
  }
  const r = validate(snsMessageSchema, v, source);
  if (!r.ok) return r;
  return toMessage(r.event, source);
}

function toMessage(s: z.output<typeof snsMessageSchema>, source: EventSource): ParseResult<SnsMessage> {
  if (s.Type !== undefined && s.Type !== 'Notification') {
    // SubscriptionConfirmation and UnsubscribeConfirmation carry no alert.
    return refuse(`SNS message of Type ${JSON.stringify(s.Type)}, not Notification`, source);
  }
  const sized = checkSize(s.Message, source, 'SNS Message');
  if (!sized.ok) return sized;
  return {
    ok: true,
    event: {
      message: s.Message,
      ...(s.Subject ? { subject: s.Subject } : {}),
      ...(s.MessageId ? { messageId: s.MessageId } : {}),
      ...(s.TopicArn ? { topicArn: s.TopicArn } : {}),
      ...(s.Timestamp ? { timestamp: s.Timestamp } : {}),
    },
  };
}
