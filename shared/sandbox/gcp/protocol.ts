import { createHmac } from 'node:crypto';

/*
 * Google's REST conventions as the sandbox speaks them: JSON bodies in camelCase, errors as
 * `{ error: { code, message, status } }` with the HTTP status of the canonical code, page tokens,
 * Duration strings (`3600s`) and RFC 3339 timestamps.
 */

/** Canonical error codes and their HTTP statuses (google.rpc.Code → HTTP mapping). */
export const STATUS_HTTP = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type GoogleStatus = keyof typeof STATUS_HTTP;

/** An error the sandbox answers with, in Google's JSON error shape. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
    /** The HTTP status where an API departs from the canonical mapping (Cloud Storage: 412 for a failed precondition). */
    private readonly http?: number,
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }

  get httpStatus(): number {
    return this.http ?? STATUS_HTTP[this.status];
  }

  body(): string {
    return JSON.stringify({ error: { code: this.httpStatus, message: this.message, status: this.status } });
  }
}

/** `INVALID_ARGUMENT` with a message. */
export function invalid(message: string): never {
  throw new GoogleApiError('INVALID_ARGUMENT', message);
}

/** RFC 3339 with milliseconds, as Google returns timestamps. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses an RFC 3339 timestamp, or fails with INVALID_ARGUMENT naming the field. */
export function parseTimestamp(text: string | null | undefined, field: string): number {
  if (!text) invalid(`${field} is required`);
  const t = Date.parse(text);
  if (Number.isNaN(t)) invalid(`Invalid value for ${field}: "${text}" is not an RFC 3339 timestamp`);
  return t;
}

/** Parses a Duration (`3600s`, `1.5s`), in seconds. */
export function parseDuration(text: string | null | undefined, field: string): number | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text);
  if (!m) invalid(`Invalid value for ${field}: "${text}" is not a duration like 3600s`);
  return Number(m[1]);
}

const TOKEN_KEY = 'costwatch-sandbox-gcp';

/** A page token bound to the request it continues (so it cannot be replayed on another). */
export function encodePageToken(offset: number, fingerprint: string): string {
  const mac = createHmac('sha256', TOKEN_KEY).update(`${offset}|${fingerprint}`).digest('base64url').slice(0, 16);
  return Buffer.from(`${offset}.${mac}`).toString('base64url');
}

/** The offset a page token stands for; INVALID_ARGUMENT when it was not issued for this request. */
export function decodePageToken(token: string, fingerprint: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const [offset, mac] = text.split('.');
  const n = Number(offset);
  if (!Number.isInteger(n) || n < 0 || encodePageToken(n, fingerprint) !== token || !mac) invalid('Invalid page token');
  return n;
}

/** One page of items by offset; `pageSize` 0 or absent means `defaultSize`. */
export function pageOf<T>(items: readonly T[], query: URLSearchParams, defaultSize: number, maxSize: number, fingerprint: string): { page: T[]; nextPageToken?: string } {
  const raw = query.get('pageSize');
  const size = raw === null || raw === '' || raw === '0' ? defaultSize : Number(raw);
  if (!Number.isInteger(size) || size < 0) invalid(`Invalid value for pageSize: ${raw ?? ''}`);
  const token = query.get('pageToken');
  const offset = token ? decodePageToken(token, fingerprint) : 0;
  const take = Math.min(size, maxSize);
  const page = items.slice(offset, offset + take);
  const end = offset + page.length;
  return end < items.length ? { page, nextPageToken: encodePageToken(end, fingerprint) } : { page };
}

/** The query's fields except paging ones, to bind page tokens to. */
export function fingerprintOf(path: string, query: URLSearchParams): string {
  const rest = [...query.entries()].filter(([k]) => k !== 'pageToken' && k !== 'pageSize' && k !== '$alt').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${path}?${JSON.stringify(rest)}`;
}
