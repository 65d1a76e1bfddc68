import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/lib/observability.js';
import { SecretUnavailableError, secrets, serviceUnavailable } from '../../functions/lib/secrets.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:slack';
const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as never;

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('secrets middleware', () => {
  it('reads nothing until an invocation needs it', async () => {
    const reader = vi.fn(async () => async () => '{"botToken":"xoxb-1"}');
    const handler = middy(async (_e: unknown, ctx: Context & { slackSecret?: unknown }) => ctx.slackSecret).use(secrets({ fetch: { slackSecret: ARN }, reader }));
    expect(reader).not.toHaveBeenCalled();
    expect(await handler({}, context)).toEqual({ botToken: 'xoxb-1' });
    expect(await handler({}, context)).toEqual({ botToken: 'xoxb-1' });
    expect(reader).toHaveBeenCalledTimes(1);
  });

  it('fails the invocation (retryable) with a clear logged error when the secret cannot be read, and reads again next time', async () => {
    const errors = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    let calls = 0;
    const read = async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });
      return '{"botToken":"xoxb-2"}';
    };
    const handler = middy(async (_e: unknown, ctx: Context & { slackSecret?: unknown }) => ctx.slackSecret).use(secrets({ fetch: { slackSecret: ARN }, reader: async () => read }));
    const err = await handler({}, context).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect((err as Error).message).toMatch(/cannot read slackSecret \(AccessDeniedException: User is not authorized/);
    expect(errors).toHaveBeenCalledWith('cannot read a secret: this invocation fails and will be retried', expect.objectContaining({ secret: 'slackSecret', secretArn: ARN, errorName: 'AccessDeniedException' }));
    // The failure is not cached: the retry reads the secret again and succeeds.
    expect(await handler({}, context)).toEqual({ botToken: 'xoxb-2' });
  });

  it('answers a Function URL with 503 (its caller retries) instead of failing', async () => {
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const inner = vi.fn(async () => ({ statusCode: 200 }));
    const handler = middy(inner).use(
      secrets({
        fetch: { webhookSecret: ARN },
        unavailable: serviceUnavailable,
        reader: async () => async () => undefined,
      }),
    );
    const res = (await handler({}, context)) as { statusCode: number; headers: Record<string, string> };
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    expect(inner).not.toHaveBeenCalled();
  });

  it('lets a deployed function start without its secret: no read, no unhandled rejection at import; the click gets 503', async () => {
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on('unhandledRejection', onRejection);
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      for (const [k, v] of Object.entries({
        STATE_TABLE: 't',
        POLICY_FILE: '/nonexistent/policy.json',
        EXECUTION_QUEUE_URL: 'http://127.0.0.1:9/1/q',
        SLACK_SECRET_ARN: ARN,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
        // Nothing listens there: every read fails.
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
      })) {
        vi.stubEnv(k, v);
      }
      const { createHandler } = await import('../../functions/slack-interactions.js');
      const handler = createHandler();
      await new Promise((r) => setTimeout(r, 50));
      const res = (await handler({ headers: {}, body: '', isBase64Encoded: false } as never, context)) as { statusCode: number };
      expect(res.statusCode).toBe(503);
      await new Promise((r) => setTimeout(r, 50));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
