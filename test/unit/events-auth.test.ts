import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyGooglePushToken, verifyUrlToken, WebhookAuthError } from '../../shared/events/index.js';

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
