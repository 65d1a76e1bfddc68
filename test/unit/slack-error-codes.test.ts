import { ErrorCode } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { SLACK_ERROR_CODE, slackErrorCode } from '../../shared/slack/api.js';

describe('Slack error codes read without loading @slack/web-api', () => {
  it('are the values of the package\'s ErrorCode enum', () => {
    for (const [name, code] of Object.entries(SLACK_ERROR_CODE)) expect(ErrorCode[name as keyof typeof ErrorCode]).toBe(code);
  });

  it('name the error of a failed call', () => {
    expect(slackErrorCode({ code: ErrorCode.PlatformError, data: { error: 'channel_not_found' } })).toBe('channel_not_found');
    expect(slackErrorCode({ code: ErrorCode.HTTPError, statusCode: 502 })).toBe('http_502');
    expect(slackErrorCode({ code: ErrorCode.RateLimitedError })).toBe('ratelimited');
  });
});
