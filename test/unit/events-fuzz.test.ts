import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCES, MAX_EVENT_BYTES, parseEvent, PARSERS, type EventSource, type ParseResult } from '../../shared/events/index.js';
import { seededRng, type Rng } from '../../shared/sandbox/rng.js';

/**
 * Feeds every parser thousands of random, truncated, oversized and type-confused bodies and
 * requires a clean result each time: an event or a refusal with a reason, never an exception.
 * Seeded: a failure prints its seed and case number; FUZZ_SEED=<n> replays that seed.
 */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20250618);
const CASES_PER_PARSER = 2500;

const fixture = (name: string) => readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8');

const SEEDS: Readonly<Record<EventSource, readonly string[]>> = {
  'aws-budgets': [
    fixture('budget_actual_lambda_sns_event__sasa9477.json'),
    fixture('budget_actual_sns_http_notification__cds-snc-sre-bot.json'),
    fixture('budget_actual_message_body__cds-snc-sre-bot.txt'),
  ],
  'aws-anomaly': [
    fixture('cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json'),
    fixture('cost_anomaly_eventbridge_Anomaly_Detected__aws-doc.jsonc')
      .replace(/\s\/\/[^\n]*/g, '')
      .replace(/,(\s*[}\]])/g, '$1')
      .replace('"<date>"', '"2021-05-25T10:00:00Z"'),
  ],
  sagemaker: [
    fixture('sagemaker_endpoint_state_change__aws-doc.json'),
    fixture('sagemaker_notebook_instance_state_change__rsw_doc.json'),
    fixture('sagemaker_training_job_state_change__aws-doc.json'),
    fixture('sagemaker_endpoint_deployment_state_change__aws-doc.txt'),
  ],
  'gcp-budget': [fixture('CONSTRUCTED_budget_push_body_from_doc_examples.json'), fixture('pubsub_push_body__google-doc.json')],
  'azure-budget': [fixture('azure_budget_actual_cost_common_alert_schema__ms-doc.json'), fixture('azure_metric_alert_static_threshold_common_alert_schema__ms-doc.json')],
};

const int = (rng: Rng, n: number) => Math.floor(rng.next() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

const ODD_STRINGS = ['', ' ', 'null', 'NaN', '-1', '1e309', '0x10', '€', '$-5', '$1,2,3', '\u0000', '\ud800', '<date>', 'IN_SERVICE', '__proto__', 'constructor', 'x'.repeat(5000), '9'.repeat(400), '1583831889050', '2021-02-30T25:61:00Z'];
const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1e308, -1e308, 0.1, Number.MAX_SAFE_INTEGER, [], {}, [[[]]], { a: { b: { c: {} } } }, ...ODD_STRINGS];

function randomText(rng: Rng, max: number): string {
  const n = int(rng, max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    s += r < 0.6 ? String.fromCharCode(32 + int(rng, 95)) : r < 0.8 ? pick(rng, ['{', '}', '[', ']', '"', ':', ',', '\\', '\n']) : String.fromCharCode(int(rng, 0xffff));
  }
  return s;
}

/** Replaces a random value deep inside `v` by a value of another type (or removes / adds keys). */
function confuse(rng: Rng, v: unknown, depth = 0): unknown {
  if (depth > 0 && rng.next() < 0.15) return pick(rng, ODD_VALUES);
  if (Array.isArray(v)) {
    if (v.length === 0 || rng.next() < 0.2) return rng.next() < 0.5 ? [pick(rng, ODD_VALUES)] : {};
    const copy = [...v];
    const i = int(rng, copy.length);
    copy[i] = confuse(rng, copy[i], depth + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object') {
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const r = rng.next();
    if (keys.length === 0 || r < 0.1) copy[pick(rng, ['__proto__', 'constructor', 'extra', 'Records', 'detail', 'message'])] = pick(rng, ODD_VALUES);
    else if (r < 0.25) delete copy[pick(rng, keys)];
    else {
      const k = pick(rng, keys);
      copy[k] = confuse(rng, copy[k], depth + 1);
    }
    return copy;
  }
  if (typeof v === 'string') {
    const r = rng.next();
    // Strings that hold JSON or base64 (SNS Message, Pub/Sub data) get mutated inside too.
    if (r < 0.3 && v.length > 0) return v.slice(0, int(rng, v.length));
    if (r < 0.5 && /^[A-Za-z0-9+/=]{16,}$/.test(v)) {
      const decoded = Buffer.from(v, 'base64').toString('utf8');
      try {
        return Buffer.from(JSON.stringify(confuse(rng, JSON.parse(decoded), depth + 1))).toString('base64');
      } catch {
        return Buffer.from(decoded.slice(0, int(rng, decoded.length))).toString('base64');
      }
    }
    if (r < 0.6 && v.startsWith('{')) {
      try {
        return JSON.stringify(confuse(rng, JSON.parse(v), depth + 1));
      } catch {
        return v;
      }
    }
    return pick(rng, ODD_VALUES);
  }
  return pick(rng, ODD_VALUES);
}

type Case = { kind: string; input: unknown };

function makeCase(rng: Rng, seeds: readonly string[]): Case {
  const seed = pick(rng, seeds);
  const r = rng.next();
  if (r < 0.15) return { kind: 'random', input: randomText(rng, 400) };
  if (r < 0.35) return { kind: 'truncated', input: seed.slice(0, int(rng, seed.length)) };
  if (r < 0.4) {
    const i = int(rng, seed.length);
    return { kind: 'flipped', input: seed.slice(0, i) + String.fromCharCode(int(rng, 128)) + seed.slice(i + 1) };
  }
  if (r < 0.42) return { kind: 'deep', input: pick(rng, ['[', '{"a":']).repeat(1000 + int(rng, 50_000)) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(seed);
  } catch {
    return { kind: 'truncated', input: seed.slice(0, int(rng, seed.length)) };
  }
  let confused = parsed;
  for (let n = 1 + int(rng, 4); n > 0; n--) confused = confuse(rng, confused);
  return rng.next() < 0.5 ? { kind: 'confused-object', input: confused } : { kind: 'confused-text', input: JSON.stringify(confused) };
}

/** A result is clean when it is an event, or a refusal with a short, non-empty reason. */
function problemWith(r: ParseResult<unknown>): string | undefined {
  if (typeof r !== 'object' || r === null) return 'no result';
  if (r.ok) {
    const e = r.event as { type?: unknown };
    return ['budget', 'anomaly', 'resource-state'].includes(String(e.type)) ? undefined : `accepted without a type: ${JSON.stringify(e).slice(0, 200)}`;
  }
  const reason = r.refusal?.reason;
  if (typeof reason !== 'string' || reason.length === 0) return 'refusal without a reason';
  if (reason.length > 1000) return `refusal reason of ${reason.length} characters`;
  return undefined;
}

function run(source: EventSource | 'detect', seeds: readonly string[], seed: number): string[] {
  const rng = seededRng(seed);
  const parse = source === 'detect' ? (x: unknown) => parseEvent(x) : PARSERS[source];
  const failures: string[] = [];
  for (let i = 0; i < CASES_PER_PARSER; i++) {
    const c = makeCase(rng, seeds);
    let problem: string | undefined;
    try {
      problem = problemWith(parse(c.input));
    } catch (err) {
      problem = `threw ${(err as Error).name}: ${(err as Error).message}`;
    }
    if (problem) failures.push(`seed ${seed} case ${i} (${c.kind}, ${JSON.stringify(c.input)?.slice(0, 120)}): ${problem}`);
  }
  return failures;
}

describe('event parsers under fuzzing', () => {
  it.each(EVENT_SOURCES.map((s, i) => [s, i] as const))(`%s: ${CASES_PER_PARSER} random, truncated and type-confused bodies give only clean results`, (source, i) => {
    expect(run(source, SEEDS[source], SEED + i).slice(0, 5)).toEqual([]);
  });

  it(`detection: ${CASES_PER_PARSER} bodies from every source give only clean results`, () => {
    expect(run('detect', Object.values(SEEDS).flat(), SEED + 99).slice(0, 5)).toEqual([]);
  });

  it('refuses oversized bodies early, by size, for every parser and for detection', () => {
    const padded = (s: string) => `${s}${' '.repeat(MAX_EVENT_BYTES + 1 - Buffer.byteLength(s))}`;
    for (const source of EVENT_SOURCES) {
      for (const body of [padded(SEEDS[source][0]!), 'x'.repeat(MAX_EVENT_BYTES + 1), '€'.repeat(Math.ceil(MAX_EVENT_BYTES / 3) + 1)]) {
        const r = PARSERS[source](body);
        expect(r.ok).toBe(false);
        expect(r.ok ? '' : r.refusal.reason).toMatch(/over the 262144-byte limit/);
      }
    }
    expect(parseEvent('{'.repeat(MAX_EVENT_BYTES + 1))).toMatchObject({ ok: false, refusal: { reason: expect.stringMatching(/over the 262144-byte limit/) } });
    // An SNS event whose message alone is too large (the Lambda event arrives already parsed).
    const big = { Records: [{ EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: padded(SEEDS['aws-budgets'][2]!) } }] };
    expect(PARSERS['aws-budgets'](big)).toMatchObject({ ok: false, refusal: { reason: expect.stringMatching(/SNS Message is \d+ bytes, over the/) } });
    // Exactly at the limit is still read.
    expect(PARSERS['aws-budgets'](padded(SEEDS['aws-budgets'][2]!).slice(0, -1)).ok).toBe(true);
  });
});
