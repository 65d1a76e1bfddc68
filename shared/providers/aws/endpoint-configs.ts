import type { DescribeEndpointConfigCommandOutput, ProductionVariant } from '@aws-sdk/client-sagemaker';
import type { CollectOptions } from '../port.js';
import type { EndpointConfigCache } from './sagemaker-endpoints.js';

/**
 * Endpoint configs cannot be changed, only deleted and created again, so what a scan read of
 * one is kept in the state store's cache (one item per account·region) and the next scans do not
 * call DescribeEndpointConfig for it. Kept a week, so a config deleted and re-created under the
 * same name is read afresh within one. Only the fields costwatch reads are kept.
 */
export const ENDPOINT_CONFIG_CACHE_DAYS = 7;

type Cache = NonNullable<CollectOptions['cache']>;

/** What is kept of one config: its variants' sizing and whether it is asynchronous. */
interface KeptConfig {
  readonly v: readonly { n?: string; t?: string; c?: number; s?: boolean }[];
  readonly a?: true;
}

function keyOf(accountId: string, region: string): string {
  return `sagemaker:DescribeEndpointConfig:v1:${accountId}:${region}`;
}

function keep(c: DescribeEndpointConfigCommandOutput): KeptConfig {
  return {
    v: (c.ProductionVariants ?? []).map((p) => ({
      ...(p.VariantName ? { n: p.VariantName } : {}),
      ...(p.InstanceType ? { t: p.InstanceType } : {}),
      ...(p.InitialInstanceCount !== undefined ? { c: p.InitialInstanceCount } : {}),
      ...(p.ServerlessConfig ? { s: true } : {}),
    })),
    ...(c.AsyncInferenceConfig ? { a: true as const } : {}),
  };
}

function revive(k: KeptConfig): DescribeEndpointConfigCommandOutput {
  return {
    $metadata: {},
    ProductionVariants: k.v.map(
      (v) =>
        ({
          ...(v.n !== undefined ? { VariantName: v.n } : {}),
          ...(v.t !== undefined ? { InstanceType: v.t } : {}),
          ...(v.c !== undefined ? { InitialInstanceCount: v.c } : {}),
          // Only its presence is read: a serverless variant costs nothing idle.
          ...(v.s ? { ServerlessConfig: { MemorySizeInMB: 0, MaxConcurrency: 0 } } : {}),
        }) as ProductionVariant,
    ),
    ...(k.a ? { AsyncInferenceConfig: { OutputConfig: {} } } : {}),
  } as DescribeEndpointConfigCommandOutput;
}

function isKept(v: unknown): v is KeptConfig {
  return typeof v === 'object' && v !== null && Array.isArray((v as KeptConfig).v);
}

/** The configs a previous scan kept, ready to seed a listing; empty when there is no cache or it cannot be read. */
export async function loadEndpointConfigs(cache: Cache | undefined, accountId: string, region: string, now: Date): Promise<{ configs: EndpointConfigCache; known: ReadonlySet<string> }> {
  const configs: EndpointConfigCache = new Map();
  if (!cache) return { configs, known: new Set() };
  let raw: unknown;
  try {
    raw = await cache.getCached(keyOf(accountId, region), now);
  } catch {
    raw = undefined;
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [name, k] of Object.entries(raw as Record<string, unknown>)) if (isKept(k)) configs.set(name, Promise.resolve(revive(k)));
  }
  return { configs, known: new Set(configs.keys()) };
}

/**
 * Keeps the configs the endpoints of this listing use, when one was read afresh or one kept is no
 * longer used (so the item only holds what is in use). A cache that cannot be written costs only
 * the reads at the next scan.
 */
export async function saveEndpointConfigs(
  cache: Cache | undefined,
  accountId: string,
  region: string,
  now: Date,
  configs: EndpointConfigCache,
  known: ReadonlySet<string>,
  used: ReadonlySet<string>,
): Promise<void> {
  if (!cache) return;
  const fresh = [...used].some((n) => !known.has(n));
  const dropped = [...known].some((n) => !used.has(n));
  if (!fresh && !dropped) return;
  const out: Record<string, KeptConfig> = {};
  for (const name of [...used].sort()) {
    const c = await configs.get(name)?.catch(() => undefined);
    if (c) out[name] = keep(c);
  }
  try {
    await cache.putCached(keyOf(accountId, region), out, new Date(now.getTime() + ENDPOINT_CONFIG_CACHE_DAYS * 86_400_000));
  } catch {
    // Too large for one item, or the store is unavailable: read afresh next time.
  }
}
