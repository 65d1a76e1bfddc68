import type { z } from 'zod';

/*
 * The AWS JSON protocol as the SDK v3 clients speak it: SageMaker is awsJson1_1, CloudWatch is
 * awsJson1_0 with awsQueryCompatible, whose clients take the error code from the
 * `x-amzn-query-error: Code;Sender` header (see @aws-sdk/core protocols `setQueryCompatError`)
 * and look modelled errors up by that query code.
 */

/** The AWS services the sandbox speaks, by the name used in faults and call counts. */
export type AwsService = 'sagemaker' | 'cloudwatch' | 'application-autoscaling';

/** `X-Amz-Target` prefixes and JSON versions, per service. */
export const AWS_SERVICES: Readonly<Record<AwsService, { readonly target: string; readonly json: '1.0' | '1.1'; readonly queryCompatible: boolean }>> = {
  sagemaker: { target: 'SageMaker', json: '1.1', queryCompatible: false },
  cloudwatch: { target: 'GraniteServiceVersion20100801', json: '1.0', queryCompatible: true },
  'application-autoscaling': { target: 'AnyScaleFrontendService', json: '1.1', queryCompatible: false },
};

/** Error kinds the sandbox raises, each mapped to the code a given service really uses. */
export type AwsErrorKind =
  | 'validation'
  | 'invalid-parameter'
  | 'missing-parameter'
  | 'invalid-next-token'
  | 'throttle'
  | 'internal'
  | 'unavailable'
  | 'missing-auth'
  | 'incomplete-signature'
  | 'unrecognized-client'
  | 'access-denied'
  | 'unknown-operation'
  | 'serialization'
  | 'resource-not-found';

interface ErrorCode {
  /** `__type` and `x-amzn-ErrorType`: the modelled shape name where there is one. */
  readonly type: string;
  /** awsQuery error code (CloudWatch only), sent in `x-amzn-query-error`. */
  readonly query?: string;
  readonly status: number;
}

const SAGEMAKER_ERRORS: Record<AwsErrorKind, ErrorCode> = {
  validation: { type: 'ValidationException', status: 400 },
  'invalid-parameter': { type: 'ValidationException', status: 400 },
  'missing-parameter': { type: 'ValidationException', status: 400 },
  'invalid-next-token': { type: 'ValidationException', status: 400 },
  throttle: { type: 'ThrottlingException', status: 400 },
  internal: { type: 'InternalFailure', status: 500 },
  unavailable: { type: 'ServiceUnavailable', status: 503 },
  'missing-auth': { type: 'MissingAuthenticationTokenException', status: 403 },
  'incomplete-signature': { type: 'IncompleteSignatureException', status: 400 },
  'unrecognized-client': { type: 'UnrecognizedClientException', status: 400 },
  'access-denied': { type: 'AccessDeniedException', status: 400 },
  'unknown-operation': { type: 'UnknownOperationException', status: 400 },
  serialization: { type: 'SerializationException', status: 400 },
  'resource-not-found': { type: 'ResourceNotFound', status: 400 },
};

const CLOUDWATCH_ERRORS: Record<AwsErrorKind, ErrorCode> = {
  validation: { type: 'ValidationException', query: 'ValidationError', status: 400 },
  'invalid-parameter': { type: 'InvalidParameterValueException', query: 'InvalidParameterValue', status: 400 },
  'missing-parameter': { type: 'MissingRequiredParameterException', query: 'MissingParameter', status: 400 },
  'invalid-next-token': { type: 'InvalidNextToken', query: 'InvalidNextToken', status: 400 },
  throttle: { type: 'Throttling', query: 'Throttling', status: 400 },
  internal: { type: 'InternalFailure', query: 'InternalFailure', status: 500 },
  unavailable: { type: 'ServiceUnavailable', query: 'ServiceUnavailable', status: 503 },
  'missing-auth': { type: 'MissingAuthenticationToken', query: 'MissingAuthenticationToken', status: 403 },
  'incomplete-signature': { type: 'IncompleteSignature', query: 'IncompleteSignature', status: 400 },
  'unrecognized-client': { type: 'InvalidClientTokenId', query: 'InvalidClientTokenId', status: 403 },
  'access-denied': { type: 'AccessDenied', query: 'AccessDenied', status: 403 },
  'unknown-operation': { type: 'UnknownOperationException', query: 'InvalidAction', status: 400 },
  serialization: { type: 'SerializationException', query: 'MalformedInput', status: 400 },
  'resource-not-found': { type: 'ResourceNotFoundException', query: 'ResourceNotFound', status: 404 },
};

const AUTOSCALING_ERRORS: Record<AwsErrorKind, ErrorCode> = {
  ...SAGEMAKER_ERRORS,
  'invalid-next-token': { type: 'InvalidNextTokenException', status: 400 },
  internal: { type: 'InternalServiceException', status: 500 },
  'resource-not-found': { type: 'ObjectNotFoundException', status: 400 },
};

/** An AWS API error the sandbox answers with. Never escapes the server. */
export class AwsApiError extends Error {
  constructor(
    readonly kind: AwsErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

/** The HTTP answer for an error, in the service's own dialect. */
export function errorResponse(service: AwsService, err: AwsApiError): { status: number; headers: Record<string, string>; body: string } {
  const code = (service === 'cloudwatch' ? CLOUDWATCH_ERRORS : service === 'application-autoscaling' ? AUTOSCALING_ERRORS : SAGEMAKER_ERRORS)[err.kind];
  const headers: Record<string, string> = {
    'content-type': `application/x-amz-json-${AWS_SERVICES[service].json}`,
    'x-amzn-errortype': code.type,
  };
  if (code.query) headers['x-amzn-query-error'] = `${code.query};${code.status >= 500 ? 'Receiver' : 'Sender'}`;
  return { status: code.status, headers, body: JSON.stringify({ __type: code.type, message: err.message }) };
}

const ACCESS_KEY_PREFIX = 'SANDBOX';

/** Credentials that make SDK calls land in `accountId` of the sandbox world. */
export function sandboxAwsCredentials(accountId: string): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `${ACCESS_KEY_PREFIX}${accountId}`, secretAccessKey: 'sandbox' };
}

/**
 * Reads `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`.
 * Returns the access key and region, or the error AWS gives for a missing or malformed header.
 */
export function readAuthorization(header: string | undefined): { accessKeyId: string; region: string } {
  if (!header) throw new AwsApiError('missing-auth', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(header.trim());
  const params = new Map(
    (m?.[1] ?? '')
      .split(',')
      .map((p) => p.trim().split('='))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== undefined && kv[1] !== undefined),
  );
  const scope = params.get('Credential')?.split('/');
  if (!m || !scope || scope.length !== 5 || !params.has('SignedHeaders') || !params.has('Signature') || scope[4] !== 'aws4_request') {
    throw new AwsApiError(
      'incomplete-signature',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of an AWS4-HMAC-SHA256 signature. Authorization=${header}`,
    );
  }
  const [accessKeyId = '', , region = ''] = scope;
  return { accessKeyId, region };
}

/** The account an access key belongs to, if it is a sandbox key. */
export function accountOfAccessKey(accessKeyId: string): string | undefined {
  const m = /^SANDBOX(\d{12})$/.exec(accessKeyId);
  return m?.[1];
}

/** JSON with every Date as epoch seconds, the AWS JSON protocols' timestamp format. */
export function toWireJson(value: unknown): string {
  // A JSON.stringify replacer costs a callback per value; GetMetricData answers carry millions.
  return JSON.stringify(datesToSeconds(value));
}

function datesToSeconds(v: unknown): unknown {
  if (v instanceof Date) return v.getTime() / 1000;
  if (Array.isArray(v)) {
    return v.some((x) => typeof x === 'object' && x !== null) ? v.map(datesToSeconds) : v;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = datesToSeconds(x);
    return out;
  }
  return v;
}

/** Epoch seconds on the wire → epoch ms. */
export function fromWireTime(v: number): number {
  return Math.round(v * 1000);
}

/** An opaque pagination token (offset plus a fingerprint of the request it belongs to). */
export function encodeToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}

/** Reads a token from `encodeToken`; undefined when it is not one, or belongs to another request. */
export function decodeToken(token: string, fingerprint: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    return typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.f === fingerprint ? parsed.o : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates a request body; failures read like AWS's own ("1 validation error detected: Value at
 * 'maxResults' failed to satisfy constraint: ...").
 */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const parts = issues.map((i) => {
    const at = i.path.map((p) => (typeof p === 'string' ? p.charAt(0).toLowerCase() + p.slice(1) : `member.${String(p)}`)).join('.');
    return `Value at '${at}' failed to satisfy constraint: ${i.message}`;
  });
  throw new AwsApiError('validation', `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`);
}
