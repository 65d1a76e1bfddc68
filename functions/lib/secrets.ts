import type middy from '@middy/core';
import { CostwatchError } from '../../shared/errors.js';
import { logger } from './observability.js';

/** A secret could not be read: the invocation fails and is retried (the queue, the event source or the caller retries). */
export class SecretUnavailableError extends CostwatchError {}

/** Reads one secret's string by ARN. */
export type SecretReader = (arn: string) => Promise<string | undefined>;

/** Options of {@link secrets}. */
export interface SecretsOptions {
  /** Context key → secret ARN: `{ slackSecret: arn }` puts the parsed secret on `context.slackSecret`. */
  readonly fetch: Readonly<Record<string, string>>;
  /** How long a value read is reused, so a rotated secret is picked up after at most this long. Default 15 minutes. */
  readonly cacheMs?: number;
  /**
   * The answer of a Function URL when a secret cannot be read (a 503 its caller retries). Without
   * it the invocation fails with SecretUnavailableError, which the queue or event source retries.
   */
  readonly unavailable?: () => unknown;
  /** How secrets are read; default Secrets Manager, its client made on first use. */
  readonly reader?: () => Promise<SecretReader>;
}

/** Secrets Manager, its client package loaded and its client made on the first read only. */
export async function secretsManagerReader(): Promise<SecretReader> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  return async (arn) => (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
}

/**
 * Reads secrets when an invocation needs them, never at module load: a secret that cannot be read
 * fails that invocation with a clear logged error (and is read again on the next one) instead of
 * failing the function's start. Values are JSON-parsed when they are JSON, cached per execution
 * environment for `cacheMs`; one read is in flight per secret however many invocations wait.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- used on handlers of every event and context type
export function secrets(options: SecretsOptions): middy.MiddlewareObj<any, any, Error, any> {
  const cacheMs = options.cacheMs ?? 15 * 60_000;
  const cache = new Map<string, { at: number; value: Promise<unknown> }>();
  let reader: Promise<SecretReader> | undefined;
  const readerOnce = () => {
    reader ??= (options.reader ?? secretsManagerReader)();
    reader.catch(() => (reader = undefined));
    return reader;
  };
  const read = (arn: string): Promise<unknown> => {
    const hit = cache.get(arn);
    if (hit && Date.now() - hit.at < cacheMs) return hit.value;
    const value = readerOnce()
      .then((r) => r(arn))
      .then((text) => {
        if (text === undefined) throw new Error('the secret has no string value (SecretString): store it as JSON with put-secret-value');
        return jsonOrText(text);
      });
    // A failure is not cached: the next invocation reads again.
    value.catch(() => {
      if (cache.get(arn)?.value === value) cache.delete(arn);
    });
    cache.set(arn, { at: Date.now(), value });
    return value;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  const secretsBefore: middy.MiddlewareFn<any, any, Error, any> = async (request) => {
    const entries = Object.entries(options.fetch);
    const results = await Promise.allSettled(entries.map(([, arn]) => read(arn)));
    const failed: string[] = [];
    results.forEach((r, i) => {
      const [key, arn] = entries[i]!;
      if (r.status === 'fulfilled') request.context[key] = r.value;
      else {
        const error = r.reason as Error;
        logger.error('cannot read a secret: this invocation fails and will be retried', { secret: key, secretArn: arn, errorName: error?.name, errorMessage: error?.message });
        failed.push(`${key} (${error?.name ?? 'Error'}: ${error?.message ?? String(error)})`);
      }
    });
    if (failed.length === 0) return undefined;
    if (options.unavailable) return options.unavailable();
    throw new SecretUnavailableError(`cannot read ${failed.join(', ')}; check the secret exists, has a value, and the function's role may read it`);
  };
  return { before: secretsBefore };
}

/** The answer of a Function URL whose secret cannot be read: 503, so the caller retries later. */
export function serviceUnavailable(): { statusCode: number; headers: Record<string, string>; body: string } {
  return { statusCode: 503, headers: { 'content-type': 'application/json', 'retry-after': '30' }, body: JSON.stringify({ ok: false, error: 'temporarily unavailable: a secret could not be read; retry later' }) };
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
