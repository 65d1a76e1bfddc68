import { createHash, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { CostwatchError } from '../errors.js';

/** Issuers Google signs OIDC tokens with (Pub/Sub push documents both spellings). */
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** Where Google publishes the keys its OIDC tokens are signed with. */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

/** A request whose credentials are missing or wrong: answered 401 with the reason. */
export class WebhookAuthError extends CostwatchError {
  constructor(readonly reason: string) {
    super(`not authenticated: ${reason}`);
  }
}

/** Who may push: the audience the push subscription puts in its token, and the service account it signs as. */
export interface GooglePushIdentity {
  readonly audience: string;
  readonly serviceAccountEmail: string;
}

/**
 * Verifies the OIDC token Pub/Sub puts in `Authorization: Bearer` on a push: RS256 signature
 * by a key in `jwks` (Google's published keys in production), issuer Google, the configured
 * audience, not expired, and `email` equal to the configured service account with
 * `email_verified`. Throws WebhookAuthError with the reason; a failure to fetch the keys is
 * rethrown as is (the push is then retried, not refused).
 */
export async function verifyGooglePushToken(
  authorization: string | undefined,
  expected: GooglePushIdentity,
  jwks: JWTVerifyGetKey,
  opts: { readonly currentDate?: Date; readonly clockToleranceSeconds?: number } = {},
): Promise<{ readonly email: string }> {
  if (!expected.audience || !expected.serviceAccountEmail) throw new CostwatchError('the webhook secret has no gcpAudience or gcpServiceAccountEmail');
  if (!authorization) throw new WebhookAuthError('no Authorization header: configure the push subscription with an OIDC token');
  const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization);
  if (!m) throw new WebhookAuthError('Authorization is not a Bearer JWT');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(m[1]!, jwks, {
      issuer: GOOGLE_ISSUERS,
      audience: expected.audience,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat'],
      clockTolerance: opts.clockToleranceSeconds ?? 30,
      ...(opts.currentDate ? { currentDate: opts.currentDate } : {}),
    }));
  } catch (err) {
    throw authReason(err);
  }
  const email = typeof payload['email'] === 'string' ? payload['email'] : undefined;
  if (!email) throw new WebhookAuthError('the token has no email claim');
  if (email.toLowerCase() !== expected.serviceAccountEmail.toLowerCase()) throw new WebhookAuthError(`the token is for ${email}, not the configured service account`);
  if (payload['email_verified'] !== true) throw new WebhookAuthError('the token email is not verified');
  return { email };
}

function authReason(err: unknown, idp = 'Google', issuerText = 'the issuer is not Google'): unknown {
  if (err instanceof errors.JWTExpired) return new WebhookAuthError('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    const what = claim === 'iss' ? issuerText : claim === 'aud' ? 'the audience does not match' : `claim ${claim} is ${err.reason}`;
    return new WebhookAuthError(what);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new WebhookAuthError('the token is not signed with RS256');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new WebhookAuthError('the token signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey) return new WebhookAuthError(`the token is signed by a key ${idp} does not publish`);
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSENotSupported) {
    return new WebhookAuthError(`malformed token: ${err.message}`);
  }
  return err;
}

/**
 * The app id Azure Monitor action groups request secure-webhook tokens as ("Azure Monitor Action
 * Group", a Microsoft first-party application): the `appid` (v1 tokens) or `azp` (v2) claim.
 */
export const AZURE_ACTION_GROUP_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';

/** Who may call the Azure webhook with a secure-webhook token. */
export interface EntraWebhookIdentity {
  /** The Entra ID tenant of the app registration the action group requests tokens for. */
  readonly tenantId: string;
  /** The app registration's Application ID URI (or app id): the token's `aud`. */
  readonly audience: string;
  /** The calling application: the token's `appid`/`azp`; default {@link AZURE_ACTION_GROUP_APP_ID}. */
  readonly appId?: string;
}

/** The issuers of Entra ID tokens for a tenant: v1 (`sts.windows.net`) and v2 (`login.microsoftonline.com/…/v2.0`). */
export function entraIssuers(tenantId: string): string[] {
  return [`https://sts.windows.net/${tenantId}/`, `https://login.microsoftonline.com/${tenantId}/v2.0`];
}

/** Where a tenant publishes its signing keys (the `jwks_uri` of its OpenID configuration). */
export function entraJwksUrl(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/discovery/v2.0/keys`;
}

/**
 * Verifies the bearer token an Azure Monitor action group sends to a secure webhook: RS256
 * signature by a key in `jwks` (the tenant's published keys), issuer the tenant (v1 or v2), the
 * configured audience, not expired, and `appid` (v1) or `azp` (v2) equal to the configured calling
 * app. Throws WebhookAuthError with the reason; a failure to fetch the keys is rethrown as is.
 */
export async function verifyEntraToken(
  authorization: string | undefined,
  expected: EntraWebhookIdentity,
  jwks: JWTVerifyGetKey,
  opts: { readonly currentDate?: Date; readonly clockToleranceSeconds?: number } = {},
): Promise<{ readonly appId: string }> {
  if (!expected.tenantId || !expected.audience) throw new CostwatchError('the Entra ID webhook settings lack a tenant id or an audience');
  if (!authorization) throw new WebhookAuthError('no Authorization header: the action group must use a secure webhook (Microsoft Entra ID authentication)');
  const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i.exec(authorization);
  if (!m) throw new WebhookAuthError('Authorization is not a Bearer JWT');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(m[1]!, jwks, {
      issuer: entraIssuers(expected.tenantId),
      audience: expected.audience,
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
      clockTolerance: opts.clockToleranceSeconds ?? 30,
      ...(opts.currentDate ? { currentDate: opts.currentDate } : {}),
    }));
  } catch (err) {
    throw authReason(err, 'the tenant', 'the issuer is not the configured Entra ID tenant');
  }
  const app = typeof payload['appid'] === 'string' ? payload['appid'] : typeof payload['azp'] === 'string' ? payload['azp'] : undefined;
  if (!app) throw new WebhookAuthError('the token has no appid or azp claim');
  const want = expected.appId || AZURE_ACTION_GROUP_APP_ID;
  if (app.toLowerCase() !== want.toLowerCase()) throw new WebhookAuthError(`the token was issued to app ${app}, not the configured caller`);
  return { appId: app };
}

/**
 * Whether the token from the webhook URL equals the configured one, compared in constant time:
 * both are hashed first, so the comparison never depends on where they differ or on their lengths.
 * Throws WebhookAuthError with the reason when not.
 */
export function verifyUrlToken(provided: string | undefined, expected: string): void {
  if (!expected) throw new CostwatchError('the webhook secret has no azureToken');
  if (!provided) throw new WebhookAuthError('no token: the webhook URL must end in ?token=<secret>');
  const a = createHash('sha256').update(provided, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  if (!timingSafeEqual(a, b)) throw new WebhookAuthError('the token does not match');
}
