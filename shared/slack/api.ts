import type { KnownBlock } from '@slack/types';
import { ErrorCode, LogLevel, WebClient, type RetryOptions, type WebAPICallResult } from '@slack/web-api';
import { CostwatchError } from '../errors.js';

/** A Slack Web API call that failed for good (after the client's own retries). */
export class SlackApiError extends CostwatchError {
  constructor(
    readonly method: string,
    /** Slack's error code (`channel_not_found`, `invalid_blocks`, ...) or the transport's. */
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`Slack ${method} failed: ${code}`, options);
  }
}

/** The Slack Web API calls costwatch makes, behind one port (the real client, or a fake in unit tests). */
export interface SlackApi {
  postMessage(m: { channel: string; text: string; blocks?: readonly KnownBlock[]; threadTs?: string }): Promise<{ channel: string; ts: string }>;
  updateMessage(m: { channel: string; ts: string; text: string; blocks: readonly KnownBlock[] }): Promise<void>;
  deleteMessage(m: { channel: string; ts: string }): Promise<void>;
  /** A message only `user` sees. */
  postEphemeral(m: { channel: string; user: string; text: string; threadTs?: string }): Promise<void>;
  /** User ids of a user group's members. */
  usergroupMembers(usergroupId: string): Promise<string[]>;
}

/** Options of {@link slackWebClient}. */
export interface SlackClientOptions {
  /** Base URL of the Web API; the sandbox's Slack stub in tests and local runs. Default `https://slack.com/api/`. */
  readonly slackApiUrl?: string;
  /** Retry policy for failed and rate-limited calls. Default: ten retries over about thirty minutes. */
  readonly retryConfig?: RetryOptions;
  /** Per-request timeout in milliseconds; default none. */
  readonly timeoutMs?: number;
}

/**
 * A WebClient with the bot token. On HTTP 429 it waits the `Retry-After` seconds Slack sends,
 * pausing every queued call, then retries; nothing is dropped while retries remain.
 */
export function slackWebClient(botToken: string, options: SlackClientOptions = {}): WebClient {
  const base = options.slackApiUrl ?? 'https://slack.com/api/';
  return new WebClient(botToken, {
    slackApiUrl: base.endsWith('/') ? base : `${base}/`,
    logLevel: LogLevel.WARN,
    rejectRateLimitedCalls: false,
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
}

/** The SlackApi over @slack/web-api's WebClient. */
export class WebApiSlack implements SlackApi {
  constructor(private readonly client: WebClient) {}

  async postMessage(m: { channel: string; text: string; blocks?: readonly KnownBlock[]; threadTs?: string }): Promise<{ channel: string; ts: string }> {
    const out = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel: m.channel,
        text: m.text,
        ...(m.blocks ? { blocks: [...m.blocks] } : {}),
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (!out.channel || !out.ts) throw new SlackApiError('chat.postMessage', 'response without channel or ts');
    return { channel: out.channel, ts: out.ts };
  }

  async updateMessage(m: { channel: string; ts: string; text: string; blocks: readonly KnownBlock[] }): Promise<void> {
    await this.call('chat.update', () => this.client.chat.update({ channel: m.channel, ts: m.ts, text: m.text, blocks: [...m.blocks] }));
  }

  async deleteMessage(m: { channel: string; ts: string }): Promise<void> {
    await this.call('chat.delete', () => this.client.chat.delete({ channel: m.channel, ts: m.ts }));
  }

  async postEphemeral(m: { channel: string; user: string; text: string; threadTs?: string }): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({ channel: m.channel, user: m.user, text: m.text, ...(m.threadTs ? { thread_ts: m.threadTs } : {}) }),
    );
  }

  async usergroupMembers(usergroupId: string): Promise<string[]> {
    const out = await this.call('usergroups.users.list', () => this.client.usergroups.users.list({ usergroup: usergroupId }));
    return out.users ?? [];
  }

  private async call<T extends WebAPICallResult>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new SlackApiError(method, slackErrorCode(err), { cause: err });
    }
  }
}

/** Slack's error code of a failed call (`channel_not_found`), or a description of the transport failure. */
export function slackErrorCode(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  if (e?.code === ErrorCode.PlatformError && e.data?.error) return e.data.error;
  if (e?.code === ErrorCode.HTTPError) return `http_${e.statusCode ?? 'error'}`;
  if (e?.code === ErrorCode.RateLimitedError) return 'ratelimited';
  return e?.message ?? String(err);
}
