import { createHash } from 'node:crypto';

/** A message in the stub's workspace, as `conversations.history` returns it. */
export interface StubMessage {
  readonly type: 'message';
  readonly ts: string;
  readonly channel: string;
  text: string;
  blocks?: unknown[];
  readonly user: string;
  readonly bot_id: string;
  readonly thread_ts?: string;
  edited?: { user: string; ts: string };
  /** Replies, oldest first (top-level messages only). */
  readonly replies: StubMessage[];
}

/** A message only one user sees. */
export interface StubEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
  readonly thread_ts?: string;
  readonly message_ts: string;
}

/** A file uploaded with the external-upload flow. */
export interface StubFile {
  readonly id: string;
  readonly filename: string;
  /** The length announced to files.getUploadURLExternal. */
  readonly length: number;
  readonly altText?: string;
  title?: string;
  /** The bytes POSTed to the upload URL, once they arrived. */
  bytes?: Buffer;
  /** Set by files.completeUploadExternal. */
  completed: boolean;
}

/** A published App Home view. */
export interface StubHome {
  readonly id: string;
  readonly user: string;
  readonly view: { readonly type: 'home'; readonly blocks: unknown[]; readonly callback_id?: string };
}

/** Options of a stub workspace. */
export interface SlackWorkspaceOptions {
  /** Bot token the stub accepts; default `xoxb-sandbox-token`. */
  readonly botToken?: string;
  /** App-level token (`xapp-…`) the stub accepts for `apps.connections.open`; default `xapp-1-sandbox-token`. */
  readonly appToken?: string;
  /** User groups and their members, e.g. `{ S0614TZR7: ['U024BE7LH'] }`. */
  readonly usergroups?: Readonly<Record<string, readonly string[]>>;
  /** Channel names that exist; default: any channel name exists when first used. */
  readonly channels?: readonly string[];
}

/** The bot user the stub posts as. */
export const STUB_BOT = { userId: 'UCOSTWATCH', botId: 'BCOSTWATCH', teamId: 'TSANDBOX', appId: 'ASANDBOX' } as const;

/** The token the stub accepts unless told otherwise. */
export const DEFAULT_STUB_BOT_TOKEN = 'xoxb-sandbox-token';

/** The app-level token the stub accepts unless told otherwise. */
export const DEFAULT_STUB_APP_TOKEN = 'xapp-1-sandbox-token';

/** The id the stub gives a channel name: deterministic, in Slack's `C…` form. */
export function stubChannelId(name: string): string {
  const bare = name.replace(/^#/, '').toLowerCase();
  return `C${createHash('sha256').update(bare).digest('hex').slice(0, 10).toUpperCase()}`;
}

/**
 * The state of the stub's Slack workspace: channels, messages with threads, ephemeral messages,
 * user groups, call counts and injected rate limits. Tests read it directly; the Web API handler
 * (`web-api.ts`) changes it.
 */
export class SlackWorkspace {
  readonly botToken: string;
  readonly appToken: string;
  /** The Socket Mode server `apps.connections.open` hands out URLs of; set by `startSocketModeStub`. */
  socketMode: { openConnection(): string } | undefined;
  readonly #channels = new Map<string, { id: string; name: string; messages: StubMessage[] }>();
  readonly #strictChannels: boolean;
  readonly #usergroups = new Map<string, string[]>();
  readonly #ephemerals: StubEphemeral[] = [];
  readonly #calls = new Map<string, number>();
  readonly #rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  #lastTs = 0;
  readonly #files = new Map<string, StubFile>();
  readonly #homes = new Map<string, StubHome>();
  #lastId = 0;

  constructor(options: SlackWorkspaceOptions = {}) {
    this.botToken = options.botToken ?? DEFAULT_STUB_BOT_TOKEN;
    this.appToken = options.appToken ?? DEFAULT_STUB_APP_TOKEN;
    for (const [id, users] of Object.entries(options.usergroups ?? {})) this.#usergroups.set(id, [...users]);
    this.#strictChannels = options.channels !== undefined;
    for (const name of options.channels ?? []) this.#createChannel(name);
  }

  /** Resolves a channel given by id, `#name` or `name`; unknown names are created unless channels were listed. */
  resolveChannel(ref: string): { id: string; name: string; messages: StubMessage[] } | undefined {
    const byId = this.#channels.get(ref);
    if (byId) return byId;
    if (/^[CG][A-Z0-9]{6,}$/.test(ref)) return undefined;
    const id = stubChannelId(ref);
    return this.#channels.get(id) ?? (this.#strictChannels ? undefined : this.#createChannel(ref));
  }

  #createChannel(name: string) {
    const bare = name.replace(/^#/, '').toLowerCase();
    const ch = { id: stubChannelId(bare), name: bare, messages: [] as StubMessage[] };
    this.#channels.set(ch.id, ch);
    return ch;
  }

  /** A fresh message timestamp: wall-clock seconds and a counter, strictly increasing, as Slack's are unique per channel. */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.#lastTs + 1);
    this.#lastTs = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** Top-level messages of a channel (by id or name), oldest first. */
  messages(channel: string): readonly StubMessage[] {
    return this.resolveChannel(channel)?.messages ?? [];
  }

  /** Every top-level message in every channel, oldest first. */
  allMessages(): readonly StubMessage[] {
    return [...this.#channels.values()].flatMap((c) => c.messages).sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  /** One top-level message. */
  message(channel: string, ts: string): StubMessage | undefined {
    return this.resolveChannel(channel)?.messages.find((m) => m.ts === ts);
  }

  /** Ephemeral messages sent, oldest first. */
  ephemerals(): readonly StubEphemeral[] {
    return [...this.#ephemerals];
  }

  /** @internal Records an ephemeral message. */
  addEphemeral(e: StubEphemeral): void {
    this.#ephemerals.push(e);
  }

  /** Members of a user group, or undefined when there is no such group. */
  usergroup(id: string): readonly string[] | undefined {
    return this.#usergroups.get(id);
  }

  /** Creates or replaces a user group. */
  setUsergroup(id: string, users: readonly string[]): void {
    this.#usergroups.set(id, [...users]);
  }

  /** A fresh id with a prefix (`F` files, `V` views), as Slack's look. */
  nextId(prefix: string): string {
    this.#lastId++;
    return `${prefix}${String(this.#lastId).padStart(10, '0')}`;
  }

  /** @internal Records a file waiting for its bytes. */
  addFile(f: StubFile): void {
    this.#files.set(f.id, f);
  }

  /** A file by id. */
  file(id: string): StubFile | undefined {
    return this.#files.get(id);
  }

  /** Every file uploaded, in upload order. */
  files(): readonly StubFile[] {
    return [...this.#files.values()];
  }

  /** The App Home a user sees, when one was published. */
  home(user: string): StubHome | undefined {
    return this.#homes.get(user);
  }

  /** @internal Records a published home view. */
  setHome(h: StubHome): void {
    this.#homes.set(h.user, h);
  }

  /** Calls per Web API method, rate-limited ones included. */
  calls(): Record<string, number> {
    return Object.fromEntries(this.#calls);
  }

  /** @internal Counts a call and says whether it must be answered with HTTP 429. */
  countCall(method: string): { retryAfterSeconds: number } | undefined {
    this.#calls.set(method, (this.#calls.get(method) ?? 0) + 1);
    const limit = this.#rateLimits.get(method) ?? this.#rateLimits.get('*');
    if (!limit || limit.times <= 0) return undefined;
    limit.times--;
    return { retryAfterSeconds: limit.retryAfterSeconds };
  }

  /** Answers the next `times` calls of `method` (or `*` for any) with HTTP 429 and `Retry-After`. */
  rateLimit(method: string, opts: { times: number; retryAfterSeconds: number }): void {
    this.#rateLimits.set(method, { ...opts });
  }

  /** Forgets calls, ephemerals and rate limits (messages stay). */
  resetCalls(): void {
    this.#calls.clear();
    this.#rateLimits.clear();
  }
}
