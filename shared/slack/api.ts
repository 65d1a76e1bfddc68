import type { KnownBlock } from '@slack/types';
import type { RetryOptions, WebAPICallResult, WebClient } from '@slack/web-api';
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
  /**
   * Uploads a file with the external-upload flow (files.getUploadURLExternal, a POST of the bytes
   * to the URL it returns, files.completeUploadExternal) without sharing it anywhere; returns the
   * file id, for image blocks (`slack_file: { id }`).
   */
  uploadFile(f: { filename: string; bytes: Uint8Array; title: string; altText: string }): Promise<{ id: string }>;
  /** Publishes a user's App Home tab (views.publish). */
  publishHome(m: { user: string; view: HomeView }): Promise<void>;
}

/** An App Home view: up to 100 blocks. */
export interface HomeView {
  readonly type: 'home';
  readonly blocks: readonly KnownBlock[];
  readonly callback_id?: string;
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
 * A WebClient with the bot token, its package loaded on the first call. On HTTP 429 it waits the `Retry-After` seconds Slack sends,
 * pausing every queued call, then retries; nothing is dropped while retries remain.
 */
export async function slackWebClient(botToken: string, options: SlackClientOptions = {}): Promise<WebClient> {
  const base = options.slackApiUrl ?? 'https://slack.com/api/';
  // Loaded on first use, not at import: a function's cold start does not pay for a client it may not call.
  const { WebClient, LogLevel } = await import('@slack/web-api');
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
  private readonly client: Promise<WebClient>;

  /** `client`: the WebClient, or its promise (`slackWebClient`); a client that fails to load fails the first call. */
  constructor(client: WebClient | Promise<WebClient>) {
    this.client = Promise.resolve(client);
    this.client.catch(() => undefined);
  }

  async postMessage(m: { channel: string; text: string; blocks?: readonly KnownBlock[]; threadTs?: string }): Promise<{ channel: string; ts: string }> {
    const out = await this.call('chat.postMessage', async () =>
      (await this.client).chat.postMessage({
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
    await this.call('chat.update', async () => (await this.client).chat.update({ channel: m.channel, ts: m.ts, text: m.text, blocks: [...m.blocks] }));
  }

  async deleteMessage(m: { channel: string; ts: string }): Promise<void> {
    await this.call('chat.delete', async () => (await this.client).chat.delete({ channel: m.channel, ts: m.ts }));
  }

  async postEphemeral(m: { channel: string; user: string; text: string; threadTs?: string }): Promise<void> {
    await this.call('chat.postEphemeral', async () =>
      (await this.client).chat.postEphemeral({ channel: m.channel, user: m.user, text: m.text, ...(m.threadTs ? { thread_ts: m.threadTs } : {}) }),
    );
  }

  async usergroupMembers(usergroupId: string): Promise<string[]> {
    const out = await this.call('usergroups.users.list', async () => (await this.client).usergroups.users.list({ usergroup: usergroupId }));
    return out.users ?? [];
  }

  async uploadFile(f: { filename: string; bytes: Uint8Array; title: string; altText: string }): Promise<{ id: string }> {
    const target = await this.call('files.getUploadURLExternal', async () =>
      // The Web API reads `alt_txt` (the SDK's type names it alt_text and passes it through unchanged).
      (await this.client).files.getUploadURLExternal({ filename: f.filename, length: f.bytes.byteLength, alt_txt: f.altText.slice(0, 1000) } as Parameters<WebClient['files']['getUploadURLExternal']>[0]),
    );
    if (!target.upload_url || !target.file_id) throw new SlackApiError('files.getUploadURLExternal', 'response without upload_url or file_id');
    // The upload URL takes the raw bytes; it answers 200 when it has them.
    let res: Response;
    try {
      res = await fetch(target.upload_url, { method: 'POST', body: f.bytes, headers: { 'content-type': 'application/octet-stream' } });
    } catch (err) {
      throw new SlackApiError('file upload', (err as Error).message, { cause: err });
    }
    if (!res.ok) throw new SlackApiError('file upload', `http_${res.status}`);
    await this.call('files.completeUploadExternal', async () => (await this.client).files.completeUploadExternal({ files: [{ id: target.file_id!, title: f.title }] }));
    return { id: target.file_id };
  }

  async publishHome(m: { user: string; view: HomeView }): Promise<void> {
    await this.call('views.publish', async () => (await this.client).views.publish({ user_id: m.user, view: { ...m.view, blocks: [...m.view.blocks] } }));
  }

  private async call<T extends WebAPICallResult>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new SlackApiError(method, slackErrorCode(err), { cause: err });
    }
  }
}

/**
 * The `code` of @slack/web-api's errors (its `ErrorCode` enum, whose values are these strings),
 * here so reading an error does not load the package.
 */
export const SLACK_ERROR_CODE = {
  RequestError: 'slack_webapi_request_error',
  HTTPError: 'slack_webapi_http_error',
  PlatformError: 'slack_webapi_platform_error',
  RateLimitedError: 'slack_webapi_rate_limited_error',
} as const;
const ErrorCode = SLACK_ERROR_CODE;

/** Slack's error code of a failed call (`channel_not_found`), or a description of the transport failure. */
export function slackErrorCode(err: unknown): string {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; message?: string };
  if (e?.code === ErrorCode.PlatformError && e.data?.error) return e.data.error;
  if (e?.code === ErrorCode.HTTPError) return `http_${e.statusCode ?? 'error'}`;
  if (e?.code === ErrorCode.RateLimitedError) return 'ratelimited';
  return e?.message ?? String(err);
}
