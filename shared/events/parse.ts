import { isAnomalyEnvelope, parseAwsAnomaly } from './aws-anomaly.js';
import { isAwsBudgetsEnvelope, looksLikeAwsBudgetText, parseAwsBudgets } from './aws-budgets.js';
import { isAzureAlert, parseAzureBudget } from './azure-budget.js';
import { EVENT_SOURCES, refuse, type CloudEvent, type EventSource, type ParseResult } from './event.js';
import { isPubSubPush, parseGcpBudget } from './gcp-budget.js';
import { checkSize, isObject, parseJson } from './input.js';
import { parseSageMakerEvent } from './sagemaker.js';

/** One parser per source; each takes raw text or an already-parsed JSON value. */
export const PARSERS: Readonly<Record<EventSource, (input: unknown) => ParseResult<CloudEvent>>> = {
  'aws-budgets': parseAwsBudgets,
  'aws-anomaly': parseAwsAnomaly,
  sagemaker: parseSageMakerEvent,
  'gcp-budget': parseGcpBudget,
  'azure-budget': parseAzureBudget,
};

/** Whether a string names a source. */
export function isEventSource(s: string): s is EventSource {
  return (EVENT_SOURCES as readonly string[]).includes(s);
}

/** The source a parsed JSON value (or, for AWS Budgets, plain text) comes from; undefined when unclear. */
export function detectSource(value: unknown): EventSource | undefined {
  if (typeof value === 'string') return looksLikeAwsBudgetText(value) ? 'aws-budgets' : undefined;
  if (!isObject(value)) return undefined;
  if (value['source'] === 'aws.sagemaker') return 'sagemaker';
  if (value['source'] === 'aws.ce') return 'aws-anomaly';
  if (isAnomalyEnvelope(value)) return 'aws-anomaly';
  if (isAwsBudgetsEnvelope(value)) return 'aws-budgets';
  if (typeof value['anomalyId'] === 'string') return 'aws-anomaly';
  if (isPubSubPush(value)) return 'gcp-budget';
  if (isAzureAlert(value)) return 'azure-budget';
  return undefined;
}

/**
 * Parses a body from any source: with `source` given, by that source's parser; otherwise the
 * source is detected from the body's shape. Never throws on bad input: returns a refusal.
 */
export function parseEvent(input: unknown, opts: { source?: EventSource } = {}): ParseResult<CloudEvent> {
  if (opts.source) return PARSERS[opts.source](input);
  let value: unknown = input;
  if (typeof input === 'string') {
    const sized = checkSize(input);
    if (!sized.ok) return sized;
    if (!/^\s*[[{]/.test(input)) {
      return looksLikeAwsBudgetText(input)
        ? parseAwsBudgets(input)
        : refuse('not JSON and not an AWS Budgets notification text; name the source with --source if it is one');
    }
    const json = parseJson(input);
    if (!json.ok) return json;
    value = json.event;
  }
  const source = detectSource(value);
  if (!source) {
    return refuse(`cannot tell which source this is from; expected one of ${EVENT_SOURCES.join(', ')} (name it with --source)`);
  }
  return PARSERS[source](value);
}
