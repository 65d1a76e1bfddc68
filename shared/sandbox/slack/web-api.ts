import type { IncomingMessage, ServerResponse } from 'node:http';
import { STUB_BOT, type SlackWorkspace, type StubMessage } from './workspace.js';

/** Path prefix of the stub's Web API: a client's `slackApiUrl` is `<sandbox url>/slack/api/`. */
export const SLACK_API_PREFIX = '/slack/api/';

const MAX_BODY_BYTES = 1024 * 1024;

type Args = Record<string, string>;
type Result = Record<string, unknown>;

class SlackError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Result = {},
  ) {
    super(code);
  }
}

/*
 * Block Kit limits as Slack's API enforces them (../shared/fixtures/slack/block_kit_limits.md),
 * written out here on purpose rather than imported from costwatch's builders: the stub plays
 * Slack, so a builder that breaks a limit is caught by a check it does not share.
 */
/** The problems Slack would report for these blocks (`invalid_blocks` messages), empty when valid. */
export function validateBlocks(blocks: unknown, maxBlocks = 50): string[] {
  const errors: string[] = [];
  if (!Array.isArray(blocks)) return ['[ERROR] must be an array [json-pointer:/blocks]'];
  if (blocks.length > maxBlocks) errors.push(`[ERROR] no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  const blockIds = blocks.map((b: Record<string, unknown>) => b?.['block_id']).filter((x) => typeof x === 'string');
  if (new Set(blockIds).size !== blockIds.length) errors.push('[ERROR] block_id values must be unique [json-pointer:/blocks]');
  const textLen = (t: unknown) => Array.from(String((t as { text?: unknown } | undefined)?.text ?? '')).length;
  blocks.forEach((b: Record<string, unknown>, i) => {
    const at = `/blocks/${i}`;
    if (typeof b?.['type'] !== 'string') errors.push(`[ERROR] missing required field: type [json-pointer:${at}]`);
    if (typeof b?.['block_id'] === 'string' && b['block_id'].length > 255) errors.push(`[ERROR] must be less than 256 characters [json-pointer:${at}/block_id]`);
    switch (b?.['type']) {
      case 'header':
        if (textLen(b['text']) > 150) errors.push(`[ERROR] must be less than 151 characters [json-pointer:${at}/text/text]`);
        if (textLen(b['text']) < 1) errors.push(`[ERROR] must be more than 0 characters [json-pointer:${at}/text/text]`);
        break;
      case 'section': {
        if (b['text'] !== undefined && textLen(b['text']) > 3000) errors.push(`[ERROR] must be less than 3001 characters [json-pointer:${at}/text/text]`);
        if (b['text'] !== undefined && textLen(b['text']) < 1) errors.push(`[ERROR] must be more than 0 characters [json-pointer:${at}/text/text]`);
        const fields = b['fields'] as unknown[] | undefined;
        if (fields && fields.length > 10) errors.push(`[ERROR] no more than 10 items allowed [json-pointer:${at}/fields]`);
        fields?.forEach((f, j) => {
          if (textLen(f) > 2000) errors.push(`[ERROR] must be less than 2001 characters [json-pointer:${at}/fields/${j}/text]`);
        });
        if (b['text'] === undefined && !fields) errors.push(`[ERROR] must provide text or fields [json-pointer:${at}]`);
        break;
      }
      case 'context': {
        const els = b['elements'] as unknown[] | undefined;
        if (!els || els.length === 0 || els.length > 10) errors.push(`[ERROR] must have 1 to 10 items [json-pointer:${at}/elements]`);
        break;
      }
      case 'actions': {
        const els = (b['elements'] as Record<string, unknown>[] | undefined) ?? [];
        if (els.length === 0 || els.length > 25) errors.push(`[ERROR] must have 1 to 25 items [json-pointer:${at}/elements]`);
        els.forEach((e, j) => {
          const p = `${at}/elements/${j}`;
          if (e['type'] !== 'button') return;
          if (textLen(e['text']) > 75) errors.push(`[ERROR] must be less than 76 characters [json-pointer:${p}/text/text]`);
          if (typeof e['value'] === 'string' && e['value'].length > 2000) errors.push(`[ERROR] must be less than 2001 characters [json-pointer:${p}/value]`);
          if (typeof e['url'] === 'string' && e['url'].length > 3000) errors.push(`[ERROR] must be less than 3001 characters [json-pointer:${p}/url]`);
          if (typeof e['action_id'] === 'string' && e['action_id'].length > 255) errors.push(`[ERROR] must be less than 256 characters [json-pointer:${p}/action_id]`);
        });
        const ids = els.map((e) => e['action_id']).filter((x) => typeof x === 'string');
        if (new Set(ids).size !== ids.length) errors.push(`[ERROR] action_id values must be unique within a block [json-pointer:${at}/elements]`);
        break;
      }
      case 'divider':
        break;
      case 'image': {
        const alt = b['alt_text'];
        if (typeof alt !== 'string' || alt.length < 1 || Array.from(alt).length > 2000) errors.push(`[ERROR] alt_text must be 1 to 2000 characters [json-pointer:${at}/alt_text]`);
        const file = b['slack_file'] as { id?: unknown; url?: unknown } | undefined;
        if ((b['image_url'] === undefined) === (file === undefined)) errors.push(`[ERROR] must provide exactly one of image_url or slack_file [json-pointer:${at}]`);
        if (file && (typeof file.id === 'string') === (typeof file.url === 'string')) errors.push(`[ERROR] slack_file needs exactly one of id or url [json-pointer:${at}/slack_file]`);
        if (b['title'] !== undefined && textLen(b['title']) > 2000) errors.push(`[ERROR] must be less than 2001 characters [json-pointer:${at}/title/text]`);
        break;
      }
      default:
        break;
    }
  });
  return errors;
}

function parseBlocks(ws: SlackWorkspace, args: Args): unknown[] | undefined {
  if (args['blocks'] === undefined || args['blocks'] === '') return undefined;
  let blocks: unknown;
  try {
    blocks = JSON.parse(args['blocks']);
  } catch {
    throw new SlackError('invalid_blocks_format');
  }
  return checkBlocks(ws, blocks, 50);
}

/** Validates blocks, and that every image block's `slack_file` is a file whose upload was completed. */
function checkBlocks(ws: SlackWorkspace, blocks: unknown, max: number): unknown[] {
  const errors = validateBlocks(blocks, max);
  (blocks as Record<string, unknown>[]).forEach((b, i) => {
    const id = (b?.['slack_file'] as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return;
    const f = ws.file(id);
    if (!f?.completed || !f.bytes) errors.push(`[ERROR] invalid slack_file: ${id} is not an uploaded file [json-pointer:/blocks/${i}/slack_file/id]`);
  });
  if (errors.length > 0) throw new SlackError('invalid_blocks', { errors, response_metadata: { messages: errors } });
  return blocks as unknown[];
}

function requireChannel(ws: SlackWorkspace, args: Args) {
  const ref = args['channel'];
  if (!ref) throw new SlackError('channel_not_found');
  const ch = ws.resolveChannel(ref);
  if (!ch) throw new SlackError('channel_not_found');
  return ch;
}

function wire(m: StubMessage): Result {
  const { replies, channel: _channel, ...rest } = m;
  return { ...rest, ...(replies.length > 0 ? { reply_count: replies.length, latest_reply: replies[replies.length - 1]!.ts } : {}) };
}

const METHODS: Readonly<Record<string, (ws: SlackWorkspace, args: Args) => Result>> = {
  'auth.test': () => ({ url: 'https://sandbox.slack.com/', team: 'costwatch sandbox', user: 'costwatch', team_id: STUB_BOT.teamId, user_id: STUB_BOT.userId, bot_id: STUB_BOT.botId }),

  'chat.postMessage': (ws, args) => {
    const ch = requireChannel(ws, args);
    const blocks = parseBlocks(ws, args);
    if (!args['text'] && !blocks) throw new SlackError('no_text');
    const threadTs = args['thread_ts'];
    const parent = threadTs ? ch.messages.find((m) => m.ts === threadTs) : undefined;
    if (threadTs && !parent) throw new SlackError('thread_not_found');
    const msg: StubMessage = {
      type: 'message',
      ts: ws.nextTs(),
      channel: ch.id,
      text: args['text'] ?? '',
      ...(blocks ? { blocks } : {}),
      user: STUB_BOT.userId,
      bot_id: STUB_BOT.botId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      replies: [],
    };
    if (parent) parent.replies.push(msg);
    else ch.messages.push(msg);
    return { channel: ch.id, ts: msg.ts, message: wire(msg) };
  },

  'chat.update': (ws, args) => {
    const ch = requireChannel(ws, args);
    const msg = ch.messages.find((m) => m.ts === args['ts']) ?? ch.messages.flatMap((m) => m.replies).find((m) => m.ts === args['ts']);
    if (!msg) throw new SlackError('message_not_found');
    const blocks = parseBlocks(ws, args);
    if (!args['text'] && !blocks) throw new SlackError('no_text');
    msg.text = args['text'] ?? msg.text;
    if (blocks) msg.blocks = blocks;
    msg.edited = { user: STUB_BOT.userId, ts: ws.nextTs() };
    return { channel: ch.id, ts: msg.ts, text: msg.text, message: wire(msg) };
  },

  'chat.delete': (ws, args) => {
    const ch = requireChannel(ws, args);
    const i = ch.messages.findIndex((m) => m.ts === args['ts']);
    if (i < 0) throw new SlackError('message_not_found');
    ch.messages.splice(i, 1);
    return { channel: ch.id, ts: args['ts'] };
  },

  'chat.postEphemeral': (ws, args) => {
    const ch = requireChannel(ws, args);
    const user = args['user'];
    if (!user || !/^[UW][A-Z0-9]+$/.test(user)) throw new SlackError('user_not_in_channel');
    if (!args['text'] && !args['blocks']) throw new SlackError('no_text');
    const messageTs = ws.nextTs();
    ws.addEphemeral({ channel: ch.id, user, text: args['text'] ?? '', ...(args['thread_ts'] ? { thread_ts: args['thread_ts'] } : {}), message_ts: messageTs });
    return { message_ts: messageTs };
  },

  'usergroups.users.list': (ws, args) => {
    const users = args['usergroup'] ? ws.usergroup(args['usergroup']) : undefined;
    if (!users) throw new SlackError('no_such_subteam');
    return { users: [...users] };
  },

  'files.getUploadURLExternal': (ws, args) => {
    const filename = args['filename'];
    const length = Number(args['length']);
    if (!filename) throw new SlackError('invalid_arguments');
    if (!Number.isSafeInteger(length) || length <= 0) throw new SlackError('missing_argument');
    if (args['alt_txt'] !== undefined && args['alt_txt'].length > 1000) throw new SlackError('alt_txt_too_large');
    const id = ws.nextId('F');
    ws.addFile({ id, filename, length, ...(args['alt_txt'] ? { altText: args['alt_txt'] } : {}), completed: false });
    return { upload_url: `${uploadOrigin(args)}${SLACK_API_PREFIX}${UPLOAD_PATH}${id}`, file_id: id };
  },

  'files.completeUploadExternal': (ws, args) => {
    let files: { id?: unknown; title?: unknown }[];
    try {
      files = JSON.parse(args['files'] ?? '') as typeof files;
    } catch {
      throw new SlackError('invalid_arguments');
    }
    if (!Array.isArray(files) || files.length === 0) throw new SlackError('invalid_arguments');
    const found = files.map((f) => (typeof f.id === 'string' ? ws.file(f.id) : undefined));
    if (found.some((f) => !f)) throw new SlackError('file_not_found');
    // Slack refuses to complete a file whose bytes never arrived, or arrived with another length.
    if (found.some((f) => !f!.bytes || f!.bytes.length !== f!.length)) throw new SlackError('file_upload_failed');
    if (args['channel_id'] && !ws.resolveChannel(args['channel_id'])) throw new SlackError('channel_not_found');
    found.forEach((f, i) => {
      f!.completed = true;
      const title = files[i]!.title;
      if (typeof title === 'string') f!.title = title;
    });
    return { files: found.map((f) => ({ id: f!.id, title: f!.title ?? f!.filename, name: f!.filename, mimetype: f!.filename.endsWith('.png') ? 'image/png' : 'application/octet-stream', size: f!.length })) };
  },

  'views.publish': (ws, args) => {
    const user = args['user_id'];
    if (!user || !/^[UW][A-Z0-9]+$/.test(user)) throw new SlackError('invalid_arguments');
    let view: { type?: unknown; blocks?: unknown; callback_id?: unknown };
    try {
      view = JSON.parse(args['view'] ?? '') as typeof view;
    } catch {
      throw new SlackError('invalid_arguments');
    }
    if (view.type !== 'home') throw new SlackError('invalid_arguments', { response_metadata: { messages: ['[ERROR] view type must be home [json-pointer:/view/type]'] } });
    const blocks = checkBlocks(ws, view.blocks, 100);
    const id = ws.home(user)?.id ?? ws.nextId('V');
    ws.setHome({ id, user, view: { type: 'home', blocks, ...(typeof view.callback_id === 'string' ? { callback_id: view.callback_id } : {}) } });
    return { view: { id, type: 'home', blocks, team_id: STUB_BOT.teamId, app_id: STUB_BOT.appId, bot_id: STUB_BOT.botId } };
  },

  'conversations.history': (ws, args) => {
    const ch = requireChannel(ws, args);
    const limit = Math.min(Number(args['limit'] ?? 100) || 100, 1000);
    return { messages: [...ch.messages].reverse().slice(0, limit).map(wire), has_more: ch.messages.length > limit };
  },

  'conversations.replies': (ws, args) => {
    const ch = requireChannel(ws, args);
    const parent = ch.messages.find((m) => m.ts === args['ts']);
    if (!parent) throw new SlackError('thread_not_found');
    return { messages: [wire(parent), ...parent.replies.map(wire)], has_more: false };
  },
};

/** Path under the API prefix where upload URLs point: `<prefix>_upload/<file id>`. */
const UPLOAD_PATH = '_upload/';

/** The origin the client reached the stub on, for upload URLs (set per request). */
function uploadOrigin(args: Args): string {
  return args[ORIGIN_ARG] ?? 'http://127.0.0.1';
}

const ORIGIN_ARG = '\u0000origin';

/** Web API methods the stub implements. */
export const STUB_METHODS: readonly string[] = Object.keys(METHODS);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SlackError('request_too_large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(body: string, contentType: string | undefined, url: URL): Args {
  const args: Args = Object.fromEntries(url.searchParams);
  if (!body) return args;
  if (contentType?.includes('application/json')) {
    const json = JSON.parse(body) as Record<string, unknown>;
    for (const [k, v] of Object.entries(json)) {
      if (v === undefined || v === null) continue;
      args[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    }
    return args;
  }
  for (const [k, v] of new URLSearchParams(body)) args[k] = v;
  return args;
}

function reply(res: ServerResponse, status: number, body: Result, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Serves one Web API request as Slack does: `POST /slack/api/<method>`, form or JSON arguments, the
 * bot token as `Authorization: Bearer` (or a `token` argument), HTTP 200 with `ok: false` and an
 * error code for failures, HTTP 429 with `Retry-After` when rate limited.
 */
export async function handleSlackApiRequest(ws: SlackWorkspace, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://stub');
  const method = url.pathname.slice(SLACK_API_PREFIX.length);
  if (method.startsWith(UPLOAD_PATH)) return receiveUpload(ws, method.slice(UPLOAD_PATH.length), req, res);
  let args: Args;
  try {
    args = parseArgs(await readBody(req), req.headers['content-type'], url);
  } catch (err) {
    reply(res, 200, { ok: false, error: err instanceof SlackError ? err.code : 'invalid_form_data' });
    return;
  }
  const limited = ws.countCall(method);
  if (limited) {
    reply(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited.retryAfterSeconds) });
    return;
  }
  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : args['token'];
  if (!token) return reply(res, 200, { ok: false, error: 'not_authed' });
  if (token !== ws.botToken && token !== ws.appToken) return reply(res, 200, { ok: false, error: 'invalid_auth' });
  // Slack: apps.connections.open takes only the app-level token, every other method refuses it.
  if ((method === 'apps.connections.open') !== (token === ws.appToken)) return reply(res, 200, { ok: false, error: 'not_allowed_token_type' });
  if (method === 'apps.connections.open') {
    if (!ws.socketMode) return reply(res, 200, { ok: false, error: 'internal_error', warning: 'sandbox: no Socket Mode stub is running (startSocketModeStub)' });
    return reply(res, 200, { ok: true, url: ws.socketMode.openConnection() });
  }
  const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!handler) return reply(res, 200, { ok: false, error: 'unknown_method' });
  args[ORIGIN_ARG] = `http://${req.headers.host ?? '127.0.0.1'}`;
  try {
    reply(res, 200, { ok: true, ...handler(ws, args) });
  } catch (err) {
    if (!(err instanceof SlackError)) throw err;
    reply(res, 200, { ok: false, error: err.code, ...err.extra });
  }
}

/**
 * The upload URL of a file: takes the raw bytes (or a multipart form with one file part), as
 * Slack's upload service does, and answers 200 with `OK - <length>`. No token: the URL is the
 * credential. A second upload to the same URL, or bytes after completion, are refused.
 */
async function receiveUpload(ws: SlackWorkspace, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const f = ws.file(id);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 50 * MAX_BODY_BYTES) {
      res.writeHead(413).end();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  if (req.method !== 'POST' || !f || f.bytes || f.completed) {
    res.writeHead(f ? 400 : 404, { 'content-type': 'text/plain' }).end(f ? 'upload refused' : 'no such upload');
    return;
  }
  f.bytes = filePart(Buffer.concat(chunks), req.headers['content-type']);
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${f.bytes.length}`);
}

/** The file of a multipart body, or the body itself when it is raw bytes. */
function filePart(body: Buffer, contentType: string | undefined): Buffer {
  const boundary = /multipart\/form-data;.*boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];
  if (!boundary) return body;
  const sep = Buffer.from(`--${boundary}`);
  const start = body.indexOf(sep);
  const headerEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd);
  return start < 0 || headerEnd < 0 || end < 0 ? body : body.subarray(headerEnd + 4, end);
}
