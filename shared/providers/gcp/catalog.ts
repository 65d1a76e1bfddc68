import type { CloudCatalogClient } from '@google-cloud/billing/build/src/v1/index.js';
import type { protos } from '@google-cloud/billing';
import { money, type Money } from '../../domain/money.js';
import type { Resource } from '../../domain/resource.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { cachedRead, type CostCache } from '../aws/cost-cache.js';

/*
 * Prices from the Cloud Billing Catalog API (`services.skus.list`, every page). Vertex AI online
 * prediction bills a machine by its vCPUs and memory (one SKU per machine family and region for
 * a core-hour, one for a GiB-hour) and each accelerator per hour on top. A machine type whose shape
 * costwatch does not know, or a SKU the catalog does not list, keeps the bundled, dated table's
 * price, and the finding says which it used. Cloud Storage classes are priced per GiB-month.
 */

type Sku = protos.google.cloud.billing.v1.ISku;

/** The Catalog API's service ids (services/<id>). */
export const CATALOG_SERVICES = { vertexAi: 'services/C7E2-9256-1C43', cloudStorage: 'services/95FF-2EF5-5EA1' } as const;

/** How long a Catalog price is trusted. */
export const CATALOG_CACHE_DAYS = 7;

/** vCPUs and GiB of memory of the predefined machine types the catalog prices by core and RAM. */
export function machineShape(machineType: string): { family: string; vcpus: number; memoryGiB: number } | undefined {
  const m = /^(n1|n2|n2d|e2|c2)-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!m) return undefined;
  const vcpus = Number(m[3]);
  const perCpu: Record<string, Record<string, number>> = {
    n1: { standard: 3.75, highmem: 6.5, highcpu: 0.9 },
    n2: { standard: 4, highmem: 8, highcpu: 1 },
    n2d: { standard: 4, highmem: 8, highcpu: 1 },
    e2: { standard: 4, highmem: 8, highcpu: 1 },
    c2: { standard: 4, highmem: 8, highcpu: 2 },
  };
  return { family: m[1]!.toUpperCase(), vcpus, memoryGiB: vcpus * perCpu[m[1]!]![m[2]!]! };
}

/** The accelerator names SKU descriptions use, by Vertex AI enum value. */
const ACCELERATOR_WORDS: Readonly<Record<string, string>> = {
  NVIDIA_TESLA_T4: 'T4',
  NVIDIA_TESLA_P4: 'P4',
  NVIDIA_TESLA_P100: 'P100',
  NVIDIA_TESLA_V100: 'V100',
  NVIDIA_TESLA_K80: 'K80',
  NVIDIA_TESLA_A100: 'A100 40GB',
  NVIDIA_A100_80GB: 'A100 80GB',
  NVIDIA_L4: 'L4',
  NVIDIA_H100_80GB: 'H100 80GB',
};

/** The hourly (or per-unit) on-demand price of a SKU: its first non-zero tier; undefined without one. */
export function unitPrice(sku: Sku): { price: Money; unit: string; effective?: string } | undefined {
  const info = sku.pricingInfo?.[0];
  const expr = info?.pricingExpression;
  for (const t of expr?.tieredRates ?? []) {
    const u = t.unitPrice;
    if (!u?.currencyCode) continue;
    const x = Number(typeof u.units === 'object' && u.units !== null ? String(u.units) : (u.units ?? 0)) + (u.nanos ?? 0) / 1e9;
    if (Number.isFinite(x) && x > 0) {
      const effective = info?.effectiveTime?.seconds ? new Date(Number(String(info.effectiveTime.seconds)) * 1000).toISOString().slice(0, 10) : undefined;
      return { price: money(x, u.currencyCode), unit: expr?.usageUnit ?? '', ...(effective ? { effective } : {}) };
    }
  }
  return undefined;
}

function inRegion(sku: Sku, region: string): boolean {
  return (sku.serviceRegions ?? []).includes(region);
}

/** A prediction machine's hourly price from core and RAM SKUs, with the SKU ids; undefined when either is missing. */
export function predictionMachinePrice(skus: readonly Sku[], machineType: string, region: string): { price: Money; source: string } | undefined {
  const shape = machineShape(machineType);
  if (!shape) return undefined;
  const find = (what: 'Core' | 'Ram') =>
    skus.find((s) => inRegion(s, region) && new RegExp(`Online/Batch Prediction ${shape.family} Predefined Instance ${what}\\b`, 'i').test(s.description ?? '') && !/preemptible|spot|commit/i.test(s.description ?? ''));
  const core = find('Core');
  const ram = find('Ram');
  const cp = core ? unitPrice(core) : undefined;
  const rp = ram ? unitPrice(ram) : undefined;
  if (!cp || !rp || cp.price.currency !== rp.price.currency) return undefined;
  const amount = Math.round((cp.price.amount * shape.vcpus + rp.price.amount * shape.memoryGiB) * 1e6) / 1e6;
  return {
    price: money(amount, cp.price.currency),
    source: `Cloud Billing Catalog API (Vertex AI, ${region}: ${shape.vcpus} vCPU × ${cp.price.amount}/h SKU ${core!.skuId} + ${shape.memoryGiB} GiB × ${rp.price.amount}/h SKU ${ram!.skuId}${cp.effective ? `, effective ${cp.effective}` : ''})`,
  };
}

/** An accelerator's hourly prediction price; undefined when the catalog has no SKU for it. */
export function predictionAcceleratorPrice(skus: readonly Sku[], acceleratorType: string, region: string): { price: Money; source: string } | undefined {
  const word = ACCELERATOR_WORDS[acceleratorType];
  if (!word) return undefined;
  const sku = skus.find(
    (s) => inRegion(s, region) && /Online\/Batch Prediction/i.test(s.description ?? '') && new RegExp(`\\b${word.replace(/ /g, '\\s+')}\\b.*GPU`, 'i').test(s.description ?? '') && !/preemptible|spot|commit/i.test(s.description ?? ''),
  );
  const p = sku ? unitPrice(sku) : undefined;
  if (!p) return undefined;
  return { price: p.price, source: `Cloud Billing Catalog API (Vertex AI, ${region}: SKU ${sku!.skuId} "${sku!.description}"${p.effective ? `, effective ${p.effective}` : ''})` };
}

/** Cloud Storage class names as SKU descriptions spell them. */
const STORAGE_WORDS: Readonly<Record<string, string>> = { STANDARD: 'Standard Storage', NEARLINE: 'Nearline Storage', COLDLINE: 'Coldline Storage', ARCHIVE: 'Archive Storage' };

/** The per GiB-month price of a Cloud Storage class in a bucket location (region, or `US`/`EU`/`ASIA` multi-region); undefined when not listed. */
export function storageClassPrice(skus: readonly Sku[], storageClass: string, location: string): { price: Money; source: string } | undefined {
  const word = STORAGE_WORDS[storageClass.toUpperCase()];
  if (!word) return undefined;
  const loc = location.toLowerCase();
  const multi = /^(us|eu|asia)$/.test(loc);
  const sku = skus.find((s) => {
    const d = s.description ?? '';
    if (!d.startsWith(word) || /early delete|operations|retrieval|dual-region/i.test(d)) return false;
    return multi ? /multi-region/i.test(d) && inRegion(s, loc) : inRegion(s, loc) && !/multi-region/i.test(d);
  });
  const p = sku ? unitPrice(sku) : undefined;
  if (!p) return undefined;
  return { price: p.price, source: `Cloud Billing Catalog API (Cloud Storage, ${location}: SKU ${sku!.skuId} "${sku!.description}", per ${p.unit || 'GiBy.mo'}${p.effective ? `, effective ${p.effective}` : ''})` };
}

/** Every SKU of a service (all pages). */
export async function listSkus(catalog: CloudCatalogClient, service: string, call: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn()): Promise<Sku[]> {
  const out: Sku[] = [];
  let pageToken: string | undefined;
  do {
    const [page, , response] = await call(() => catalog.listSkus({ parent: service, pageSize: 5000, ...(pageToken ? { pageToken } : {}) }, { autoPaginate: false }));
    out.push(...page);
    pageToken = response?.nextPageToken || undefined;
  } while (pageToken);
  return out;
}

/** What a gcp resource needs priced: machine types and accelerators, per use and region. */
function priceKeys(inventory: readonly Resource[]): { usage: 'hosting'; instanceType: string; region: string; accelerator: boolean }[] {
  const keys = new Map<string, { usage: 'hosting'; instanceType: string; region: string; accelerator: boolean }>();
  for (const r of inventory) {
    // The catalog's Online/Batch Prediction SKUs price endpoints; Workbench and training keep the bundled tables.
    if (r.kind !== 'gcp.vertex.endpoint') continue;
    for (const c of r.components) {
      if (c.capacity !== 'provisioned' || !c.instanceType) continue;
      keys.set(`m|${r.region}|${c.instanceType}`, { usage: 'hosting', instanceType: c.instanceType, region: r.region, accelerator: false });
      if (c.accelerator) keys.set(`a|${r.region}|${c.accelerator.type}`, { usage: 'hosting', instanceType: c.accelerator.type, region: r.region, accelerator: true });
    }
  }
  return [...keys.values()];
}

/**
 * Catalog prices of the machine types and accelerators the endpoints use, each cached in the store
 * for CATALOG_CACHE_DAYS (a miss too). The Vertex AI SKU list is read once, and only when a price is
 * not cached. Accelerators are returned as `accelerator:<TYPE>`.
 */
export async function fetchCatalogPrices(
  catalog: CloudCatalogClient,
  inventory: readonly Resource[],
  cache: CostCache | undefined,
  now: Date,
  call: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<FetchedPrice[]> {
  let skus: Promise<Sku[]> | undefined;
  const out: FetchedPrice[] = [];
  for (const k of priceKeys(inventory)) {
    const hit = await cachedRead(
      cache,
      `price:gcp:vertex-prediction:v1:${k.region}:${k.accelerator ? 'accelerator:' : ''}${k.instanceType}`,
      now,
      new Date(now.getTime() + CATALOG_CACHE_DAYS * 86_400_000),
      async () => {
        skus ??= listSkus(catalog, CATALOG_SERVICES.vertexAi, call);
        const all = await skus;
        return (k.accelerator ? predictionAcceleratorPrice(all, k.instanceType, k.region) : predictionMachinePrice(all, k.instanceType, k.region)) ?? null;
      },
      { encode: (v) => v, decode: (raw) => raw as { price: Money; source: string } | null },
    );
    if (!hit) continue;
    out.push({ cloud: 'gcp', usage: k.usage, instanceType: k.accelerator ? `accelerator:${k.instanceType}` : k.instanceType, region: k.region, price: hit.price, source: hit.source });
  }
  return out;
}
