import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AZURE_ACTION_GROUP_APP_ID, entraIssuers, verifyEntraToken, type EntraWebhookIdentity } from '../../shared/events/auth.js';
import { receiveAzureAlert, verifyGooglePushToken, verifyUrlToken, WebhookAuthError, type EventLog } from '../../shared/events/index.js';

const AUDIENCE = 'https://abc123.lambda-url.us-east-1.on.aws/';
const EMAIL = 'budget-pusher@my-project.iam.gserviceaccount.com';
const identity = { audience: AUDIENCE, serviceAccountEmail: EMAIL };

let googleKey: CryptoKey;
let otherKey: CryptoKey;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  // Stands in for Google's published keys: a key pair made here, its public half in a local key set.
  const pair = await generateKeyPair('RS256');
  googleKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'google-1', alg: 'RS256', use: 'sig' }] });
});

async function token(claims: JWTPayload = {}, opts: { key?: CryptoKey; issuer?: string; audience?: string; exp?: string | number; kid?: string } = {}) {
  return new SignJWT({ email: EMAIL, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'google-1', typ: 'JWT' })
    .setIssuer(opts.issuer ?? 'https://accounts.google.com')
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '1h')
    .sign(opts.key ?? googleKey);
}

async function reason(authorization: string | undefined): Promise<string> {
  try {
    await verifyGooglePushToken(authorization, identity, jwks);
  } catch (err) {
    if (err instanceof WebhookAuthError) return err.reason;
    throw err;
  }
  throw new Error('accepted');
}

describe('verifyGooglePushToken', () => {
  it('accepts a token signed by Google for the audience and service account, under both issuer spellings', async () => {
    await expect(verifyGooglePushToken(`Bearer ${await token()}`, identity, jwks)).resolves.toEqual({ email: EMAIL });
    await expect(verifyGooglePushToken(`Bearer ${await token({}, { issuer: 'accounts.google.com' })}`, identity, jwks)).resolves.toEqual({ email: EMAIL });
  });

  it('refuses the wrong issuer, audience, service account or an unverified email', async () => {
    expect(await reason(`Bearer ${await token({}, { issuer: 'https://evil.example.com' })}`)).toBe('the issuer is not Google');
    expect(await reason(`Bearer ${await token({}, { audience: 'https://someone-else.example.com/' })}`)).toBe('the audience does not match');
    expect(await reason(`Bearer ${await token({ email: 'attacker@evil.iam.gserviceaccount.com' })}`)).toBe('the token is for attacker@evil.iam.gserviceaccount.com, not the configured service account');
    expect(await reason(`Bearer ${await token({ email_verified: false })}`)).toBe('the token email is not verified');
    expect(await reason(`Bearer ${await token({ email: undefined })}`)).toBe('the token has no email claim');
  });

  it('refuses expired, unsigned (alg none), foreign-key and HS256 tokens', async () => {
    expect(await reason(`Bearer ${await token({}, { exp: Math.floor(Date.now() / 1000) - 3600 })}`)).toBe('the token has expired');
    const none = new UnsecuredJWT({ email: EMAIL, email_verified: true }).setIssuer('https://accounts.google.com').setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h').encode();
    expect(await reason(`Bearer ${none}`)).toBe('the token is not signed with RS256');
    expect(await reason(`Bearer ${await token({}, { key: otherKey })}`)).toBe('the token signature does not verify');
    expect(await reason(`Bearer ${await token({}, { key: otherKey, kid: 'not-google' })}`)).toBe('the token is signed by a key Google does not publish');
    const hs = await new SignJWT({ email: EMAIL, email_verified: true })
      .setProtectedHeader({ alg: 'HS256', kid: 'google-1' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a shared secret an attacker chose'));
    expect(await reason(`Bearer ${hs}`)).toBe('the token is not signed with RS256');
  });

  it('refuses a missing, non-Bearer or malformed Authorization header', async () => {
    expect(await reason(undefined)).toMatch(/no Authorization header/);
    expect(await reason(`Basic ${Buffer.from('a:b').toString('base64')}`)).toBe('Authorization is not a Bearer JWT');
    expect(await reason('Bearer abc.def.ghi')).toMatch(/^malformed token/);
    const t = await token();
    expect(await reason(`Bearer ${t.slice(0, -4)}AAAA`)).toBe('the token signature does not verify');
  });
});

describe('verifyUrlToken', () => {
  it('accepts the configured token and refuses others, whatever their length', () => {
    expect(() => verifyUrlToken('s3cr3t-token-value', 's3cr3t-token-value')).not.toThrow();
    for (const wrong of ['s3cr3t-token-valuE', 's3cr3t', 's3cr3t-token-value-and-more', ' s3cr3t-token-value']) {
      expect(() => verifyUrlToken(wrong, 's3cr3t-token-value')).toThrow(new WebhookAuthError('the token does not match'));
    }
    expect(() => verifyUrlToken(undefined, 's3cr3t-token-value')).toThrow(/no token/);
    expect(() => verifyUrlToken('', 's3cr3t-token-value')).toThrow(/no token/);
  });

  it('refuses to run without a configured token', () => {
    expect(() => verifyUrlToken('anything', '')).toThrow(/no azureToken/);
  });
});

describe('verifyEntraToken (Azure Monitor secure webhook)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const AUD = 'api://costwatch-budget-webhook';
  const entra: EntraWebhookIdentity = { tenantId: TENANT, audience: AUD };
  let key: CryptoKey;
  let stranger: CryptoKey;
  let keys: JWTVerifyGetKey;

  beforeAll(async () => {
    // Stands in for the tenant's published keys (login.microsoftonline.com/<tenant>/discovery/v2.0/keys).
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'entra-1', alg: 'RS256', use: 'sig' }] });
  });

  // Claims as an action group's v1 token carries them: iss sts.windows.net/<tenant>/, aud the Application ID URI, appid the action group app.
  const sign = (claims: JWTPayload = {}, o: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number; kid?: string } = {}) =>
    new SignJWT({ appid: AZURE_ACTION_GROUP_APP_ID, tid: TENANT, ver: '1.0', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'entra-1', typ: 'JWT' })
      .setIssuer(o.iss ?? entraIssuers(TENANT)[0]!)
      .setAudience(o.aud ?? AUD)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(o.exp ?? '1h')
      .sign(o.key ?? key);

  async function why(authorization: string | undefined, expected: EntraWebhookIdentity = entra): Promise<string> {
    try {
      await verifyEntraToken(authorization, expected, keys);
    } catch (err) {
      if (err instanceof WebhookAuthError) return err.reason;
      throw err;
    }
    throw new Error('accepted');
  }

  it('accepts a v1 token (appid) and a v2 token (azp) of the action group app for the configured tenant and audience', async () => {
    await expect(verifyEntraToken(`Bearer ${await sign()}`, entra, keys)).resolves.toEqual({ appId: AZURE_ACTION_GROUP_APP_ID });
    const v2 = await sign({ appid: undefined, azp: AZURE_ACTION_GROUP_APP_ID, ver: '2.0' }, { iss: `https://login.microsoftonline.com/${TENANT}/v2.0` });
    await expect(verifyEntraToken(`Bearer ${v2}`, entra, keys)).resolves.toEqual({ appId: AZURE_ACTION_GROUP_APP_ID });
    const mine = '0f0e0d0c-0000-4000-8000-000000000001';
    await expect(verifyEntraToken(`Bearer ${await sign({ appid: mine })}`, { ...entra, appId: mine }, keys)).resolves.toEqual({ appId: mine });
  });

  it('refuses an expired token, the wrong audience, issuer or app id, a foreign key, alg none and HS256', async () => {
    expect(await why(`Bearer ${await sign({}, { exp: Math.floor(Date.now() / 1000) - 3600 })}`)).toBe('the token has expired');
    expect(await why(`Bearer ${await sign({}, { aud: 'api://someone-else' })}`)).toBe('the audience does not match');
    expect(await why(`Bearer ${await sign({}, { iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/' })}`)).toBe('the issuer is not the configured Entra ID tenant');
    expect(await why(`Bearer ${await sign({ appid: '11111111-2222-3333-4444-555555555555' })}`)).toBe('the token was issued to app 11111111-2222-3333-4444-555555555555, not the configured caller');
    expect(await why(`Bearer ${await sign({ appid: undefined })}`)).toBe('the token has no appid or azp claim');
    expect(await why(`Bearer ${await sign({}, { key: stranger })}`)).toBe('the token signature does not verify');
    expect(await why(`Bearer ${await sign({}, { key: stranger, kid: 'not-published' })}`)).toBe('the token is signed by a key the tenant does not publish');
    const none = new UnsecuredJWT({ appid: AZURE_ACTION_GROUP_APP_ID }).setIssuer(entraIssuers(TENANT)[0]!).setAudience(AUD).setIssuedAt().setExpirationTime('1h').encode();
    expect(await why(`Bearer ${none}`)).toBe('the token is not signed with RS256');
    const hs = await new SignJWT({ appid: AZURE_ACTION_GROUP_APP_ID }).setProtectedHeader({ alg: 'HS256', kid: 'entra-1' }).setIssuer(entraIssuers(TENANT)[0]!).setAudience(AUD).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('chosen by an attacker'));
    expect(await why(`Bearer ${hs}`)).toBe('the token is not signed with RS256');
    expect(await why(undefined)).toMatch(/no Authorization header: the action group must use a secure webhook/);
    expect(await why('Bearer not-a-jwt')).toBe('Authorization is not a Bearer JWT');
  });

  it('refuses to run without a tenant or an audience (a configuration error, not a 401)', async () => {
    await expect(verifyEntraToken(`Bearer ${await sign()}`, { tenantId: TENANT, audience: '' }, keys)).rejects.toThrow(/lack a tenant id or an audience/);
  });

  it('the Azure webhook answers 401 with the reason when Entra ID is configured, even with the right URL token', async () => {
    const silent: EventLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const deps = { events: {} as never, log: silent, token: 'url-token', entra: { identity: entra, jwks: keys } };
    const req = (authorization?: string, token = 'url-token') => ({ method: 'POST', headers: authorization ? { authorization } : {}, query: { token }, body: '{}' });
    const refused = async (r: ReturnType<typeof req>) => {
      const out = await receiveAzureAlert(r, deps);
      return [out.statusCode, (JSON.parse(out.body) as { error: string }).error] as const;
    };
    expect(await refused(req())).toEqual([401, 'no Authorization header: the action group must use a secure webhook (Microsoft Entra ID authentication)']);
    expect(await refused(req(`Bearer ${await sign({}, { aud: 'api://other' })}`))).toEqual([401, 'the audience does not match']);
    expect(await refused(req(`Bearer ${await sign({}, { key: stranger })}`))).toEqual([401, 'the token signature does not verify']);
    // A valid JWT does not make up for a wrong URL token.
    expect(await refused(req(`Bearer ${await sign()}`, 'wrong'))).toEqual([401, 'the token does not match']);
  });
});
