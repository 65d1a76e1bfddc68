import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_AGE_SECONDS, slackSignature, SlackRequestError, verifySlackRequest } from '../../shared/slack/verify.js';

// Slack's own example (test/fixtures/slack/SOURCES.md): secret, timestamp, body and the signature Slack computed.
const vector = JSON.parse(readFileSync(new URL('../fixtures/slack/slack_signing_test_vector__slack-doc.json', import.meta.url), 'utf8')) as {
  signing_secret: string;
  x_slack_request_timestamp: string;
  body: string;
  x_slack_signature: string;
};
const at = (seconds: number) => new Date(seconds * 1000);
const ts = Number(vector.x_slack_request_timestamp);
const headers = { 'X-Slack-Request-Timestamp': vector.x_slack_request_timestamp, 'X-Slack-Signature': vector.x_slack_signature };

function problem(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(SlackRequestError);
    return (err as SlackRequestError).problem;
  }
}

describe('verifySlackRequest', () => {
  it('computes the signature of Slack’s documented example', () => {
    expect(slackSignature(vector.signing_secret, vector.x_slack_request_timestamp, vector.body)).toBe(vector.x_slack_signature);
  });

  it('accepts Slack’s documented request within five minutes of its timestamp, whatever the header case', () => {
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers, rawBody: vector.body, now: at(ts + MAX_REQUEST_AGE_SECONDS) }))).toBeUndefined();
    const lower = { 'x-slack-request-timestamp': vector.x_slack_request_timestamp, 'x-slack-signature': vector.x_slack_signature };
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: lower, rawBody: vector.body, now: at(ts) }))).toBeUndefined();
  });

  it('refuses it older than five minutes, or more than five minutes in the future', () => {
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers, rawBody: vector.body, now: at(ts + MAX_REQUEST_AGE_SECONDS + 1) }))).toBe('stale');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers, rawBody: vector.body, now: at(ts - MAX_REQUEST_AGE_SECONDS - 1) }))).toBe('stale');
  });

  it('refuses a changed body, another secret, a truncated or differently cased signature', () => {
    const now = at(ts);
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers, rawBody: vector.body.replace('roadrunner', 'wilecoyote'), now }))).toBe('bad-signature');
    expect(problem(() => verifySlackRequest({ signingSecret: 'another-secret', headers, rawBody: vector.body, now }))).toBe('bad-signature');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: { ...headers, 'X-Slack-Signature': vector.x_slack_signature.slice(0, -1) }, rawBody: vector.body, now }))).toBe('bad-signature');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: { ...headers, 'X-Slack-Signature': vector.x_slack_signature.toUpperCase() }, rawBody: vector.body, now }))).toBe('bad-signature');
  });

  it('refuses missing headers and a timestamp that is not epoch seconds', () => {
    const now = at(ts);
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: {}, rawBody: vector.body, now }))).toBe('missing-headers');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: { 'x-slack-signature': vector.x_slack_signature }, rawBody: vector.body, now }))).toBe('missing-headers');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: { ...headers, 'X-Slack-Request-Timestamp': '1531420618.5' }, rawBody: vector.body, now }))).toBe('bad-timestamp');
    expect(problem(() => verifySlackRequest({ signingSecret: vector.signing_secret, headers: { ...headers, 'X-Slack-Request-Timestamp': ['1', '2'] }, rawBody: vector.body, now }))).toBe('missing-headers');
  });
});
