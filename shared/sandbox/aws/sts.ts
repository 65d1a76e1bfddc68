import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultDecision } from '../faults.js';
import { AwsApiError, readAuthorization } from './protocol.js';
import type { AwsState } from './state.js';

/*
 * AWS STS over the AWS Query protocol, as @aws-sdk/client-sts (and the nested client behind
 * fromTemporaryCredentials) speaks it: a form-encoded POST `Action=AssumeRole&Version=2011-06-15&...`,
 * answered with XML `<AssumeRoleResponse><AssumeRoleResult>...` or `<ErrorResponse><Error>`
 * (parsed by @aws-sdk/core's AwsQueryProtocol / XmlShapeDeserializer).
 */

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const CALLER_KEY = /^SANDBOX(\d{12})$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

/** STS actions the sandbox implements. */
export const STS_OPERATIONS = { AssumeRole: true, GetCallerIdentity: true } as const;

/** One successful AssumeRole, kept for tests and the sandbox's own accounting. */
export interface AssumedRoleSession {
  readonly callerAccountId: string;
  readonly accountId: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly externalId?: string;
}

/** What the STS endpoint needs from the server around it. */
export interface StsContext {
  readonly state: AwsState;
  readonly sessions: AssumedRoleSession[];
  count(operation: string): void;
  decide(call: { service: string; operation: string; accountId: string; region: string }): FaultDecision;
}

const ERRORS: Partial<Record<AwsApiError['kind'], { code: string; status: number }>> = {
  'missing-auth': { code: 'MissingAuthenticationToken', status: 403 },
  'incomplete-signature': { code: 'IncompleteSignature', status: 400 },
  'unrecognized-client': { code: 'InvalidClientTokenId', status: 403 },
  'access-denied': { code: 'AccessDenied', status: 403 },
  validation: { code: 'ValidationError', status: 400 },
  'missing-parameter': { code: 'MissingParameter', status: 400 },
  'unknown-operation': { code: 'InvalidAction', status: 400 },
  throttle: { code: 'Throttling', status: 400 },
  internal: { code: 'InternalFailure', status: 500 },
  unavailable: { code: 'ServiceUnavailable', status: 503 },
};

/** Whether a request is an AWS Query call (form-encoded, no X-Amz-Target). */
export function isQueryRequest(req: IncomingMessage): boolean {
  return String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/** Serves one STS request. */
export async function handleSts(req: IncomingMessage, res: ServerResponse, ctx: StsContext): Promise<void> {
  const requestId = randomUUID();
  try {
    const params = new URLSearchParams(await readText(req));
    const action = params.get('Action') ?? '';
    ctx.count(`sts.${action || '(none)'}`);
    const { accessKeyId, region } = readAuthorization(req.headers.authorization);
    const caller = CALLER_KEY.exec(accessKeyId)?.[1];
    if (!caller) throw new AwsApiError('unrecognized-client', 'The security token included in the request is invalid.');
    if (!Object.hasOwn(STS_OPERATIONS, action)) throw new AwsApiError('unknown-operation', `Could not find operation ${action} for version ${params.get('Version') ?? ''}`);
    const target = action === 'AssumeRole' ? (ROLE_ARN.exec(params.get('RoleArn') ?? '')?.[1] ?? caller) : caller;
    const decision = ctx.decide({ service: 'sts', operation: action, accountId: target, region });
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.error) throw faultError(decision.error, caller, params.get('RoleArn') ?? '');
    const body = action === 'AssumeRole' ? assumeRole(params, caller, ctx) : callerIdentity(caller, accessKeyId);
    send(res, 200, `<${action}Response xmlns="${XMLNS}">\n  <${action}Result>\n${body}\n  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`, requestId);
  } catch (err) {
    if (!(err instanceof AwsApiError)) throw err;
    const e = ERRORS[err.kind] ?? { code: 'InternalFailure', status: 500 };
    const type = e.status >= 500 ? 'Receiver' : 'Sender';
    send(
      res,
      e.status,
      `<ErrorResponse xmlns="${XMLNS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${e.code}</Code>\n    <Message>${xml(err.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
      requestId,
    );
  }
}

function assumeRole(params: URLSearchParams, caller: string, ctx: StsContext): string {
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  if (!roleArn) throw new AwsApiError('missing-parameter', "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  if (!sessionName) throw new AwsApiError('missing-parameter', "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new AwsApiError('validation', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const duration = params.has('DurationSeconds') ? Number(params.get('DurationSeconds')) : 3600;
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
    throw new AwsApiError('validation', `1 validation error detected: Value '${params.get('DurationSeconds') ?? ''}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
  }
  const m = ROLE_ARN.exec(roleArn);
  const denied = () =>
    new AwsApiError('access-denied', `User: arn:aws:iam::${caller}:user/costwatch is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  if (!m) throw new AwsApiError('validation', `${roleArn} is invalid`);
  const [, accountId = '', roleName = ''] = m;
  const role = ctx.state.hasAccount(accountId) ? ctx.state.role(accountId, roleName) : undefined;
  // AWS says the same for a missing role, an untrusted caller and a wrong external id: nothing leaks.
  if (!role) throw denied();
  if (role.trustedAccounts && !role.trustedAccounts.includes(caller)) throw denied();
  const externalId = params.get('ExternalId') ?? undefined;
  if (role.externalId !== undefined && externalId !== role.externalId) throw denied();
  ctx.sessions.push({ callerAccountId: caller, accountId, roleName, sessionName, ...(externalId !== undefined ? { externalId } : {}) });
  // Real time, not world time: the SDK refreshes credentials against its own clock.
  const expiration = new Date(Date.now() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const token = Buffer.from(JSON.stringify({ a: accountId, r: roleName, s: sessionName })).toString('base64');
  const roleId = `AROA${accountId}${roleName.length.toString(36).toUpperCase()}`;
  return [
    '    <AssumedRoleUser>',
    `      <AssumedRoleId>${roleId}:${xml(sessionName)}</AssumedRoleId>`,
    `      <Arn>arn:aws:sts::${accountId}:assumed-role/${xml(roleName)}/${xml(sessionName)}</Arn>`,
    '    </AssumedRoleUser>',
    '    <Credentials>',
    `      <AccessKeyId>SANDBOX${accountId}</AccessKeyId>`,
    '      <SecretAccessKey>sandbox</SecretAccessKey>',
    `      <SessionToken>${token}</SessionToken>`,
    `      <Expiration>${expiration}</Expiration>`,
    '    </Credentials>',
  ].join('\n');
}

function callerIdentity(account: string, accessKeyId: string): string {
  return [`    <UserId>${accessKeyId}</UserId>`, `    <Account>${account}</Account>`, `    <Arn>arn:aws:iam::${account}:user/costwatch</Arn>`].join('\n');
}

function faultError(error: NonNullable<FaultDecision['error']>, caller: string, roleArn: string): AwsApiError {
  switch (error.kind) {
    case 'throttle':
      return new AwsApiError('throttle', 'Rate exceeded');
    case 'access-denied':
      return new AwsApiError('access-denied', `User: arn:aws:iam::${caller}:user/costwatch is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    case 'server-error':
      return error.status === 503 ? new AwsApiError('unavailable', 'Service Unavailable') : new AwsApiError('internal', 'An internal error occurred.');
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new AwsApiError('validation', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, date: new Date().toUTCString(), 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
