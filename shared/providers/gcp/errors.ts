/*
 * What a failed Google call was, whichever way the client reported it. Over the REST transport
 * a non-2xx answer surfaces as a GaxiosError (the auth client's fetch rejects it; `status` is
 * the HTTP status and the body is Google's `{ error: { code, message, status } }`); errors raised
 * inside google-gax are GoogleErrors with a gRPC `code`; @google-cloud/storage raises an ApiError
 * whose `code` is the HTTP status. All are read here.
 */

/** Canonical status names by gRPC code. */
const BY_GRPC: Readonly<Record<number, string>> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

/** Canonical status names by HTTP status, when the body does not say. */
const BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** A Google error in one shape. */
export interface GoogleFailure {
  /** Canonical status, e.g. `RESOURCE_EXHAUSTED`; `UNKNOWN` when it cannot be told. */
  readonly status: string;
  readonly message: string;
}

/** Reads a Google client error (GaxiosError or GoogleError) into its canonical status and message. */
export function googleFailure(err: unknown): GoogleFailure {
  const e = err as { name?: string; code?: unknown; status?: unknown; message?: string; errors?: { reason?: unknown }[]; response?: { status?: number; data?: unknown; body?: unknown } } | undefined;
  const body = parseBody(e?.response?.data ?? e?.message) ?? parseBody(e?.response?.body);
  if (body) return body;
  // BigQuery's client (@google-cloud/common ApiError) carries the HTTP status as `code` and BigQuery's `errors[].reason`.
  if (e?.name === 'ApiError' || (typeof e?.code === 'number' && e.code >= 100 && Array.isArray(e?.errors))) {
    const http = typeof e.code === 'number' ? e.code : 0;
    const reason = typeof e.errors?.[0]?.reason === 'string' ? e.errors[0].reason : undefined;
    const status = reason === 'rateLimitExceeded' || reason === 'quotaExceeded' ? 'RESOURCE_EXHAUSTED' : (BY_HTTP[http] ?? (http >= 500 ? 'INTERNAL' : 'UNKNOWN'));
    return { status, message: `${e.message ?? `HTTP ${http}`}${reason && !(e.message ?? '').includes(reason) ? ` (${reason})` : ''}` };
  }
  // @google-cloud/storage's ApiError carries the HTTP status as `code` (its JSON API errors name no canonical status).
  if (typeof e?.code === 'number' && e.code >= 100 && e.code < 600) return { status: BY_HTTP[e.code] ?? (e.code >= 500 ? 'INTERNAL' : 'UNKNOWN'), message: e.message ?? `HTTP ${e.code}` };
  const http = typeof e?.response?.status === 'number' ? e.response.status : e?.name === 'GaxiosError' && typeof e.status === 'number' ? e.status : undefined;
  if (http !== undefined) return { status: BY_HTTP[http] ?? (http >= 500 ? 'INTERNAL' : 'UNKNOWN'), message: e?.message ?? `HTTP ${http}` };
  if (typeof e?.code === 'number') return { status: BY_GRPC[e.code] ?? 'UNKNOWN', message: stripCode(e.message ?? '') };
  return { status: 'UNKNOWN', message: e?.message ?? String(err) };
}

function parseBody(data: unknown): GoogleFailure | undefined {
  let v = data;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  const error = (v as { error?: { status?: unknown; message?: unknown } } | undefined)?.error;
  if (!error || typeof error.status !== 'string') return undefined;
  return { status: error.status, message: typeof error.message === 'string' ? error.message : error.status };
}

function stripCode(message: string): string {
  return message.replace(/^\d+ [A-Z_]+: /, '');
}

/** One line for a collection failure or an audit entry: `RESOURCE_EXHAUSTED: Quota exceeded…`. */
export function describeGoogleError(err: unknown): string {
  const f = googleFailure(err);
  return `${f.status}: ${f.message}`;
}

/** Whether the error says the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  return googleFailure(err).status === 'NOT_FOUND';
}
