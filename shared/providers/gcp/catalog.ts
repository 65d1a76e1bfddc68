import type { CloudCatalogClient } from '@google-cloud/billing/build/src/v1/index.js';
import type { protos } from '@google-cloud/billing';
import { money, type Money } from '../../domain/money.js';
import type { Resource } from '../../domain/resource.js';
import type { FetchedPrice } from '../../pricing/price-book.js';
import { BUNDLED_GCS_PRICES, GCS_STORAGE_CLASSES, gcsPriceKey, type FetchedGcsPrice, type GCS_PRICE_ITEMS } from '../../pricing/gcs-prices.js';
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
export const CATALOG_SERVICES = { vertexAi: 'services/C7E2-9256-1C43', computeEngine: 'services/6F81-5844-456A', cloudStorage: 'services/95FF-2EF5-5EA1' } as const;

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

/** How SKU descriptions name each accelerator (a pattern), by Vertex AI enum value. */
const ACCELERATOR_WORDS: Readonly<Record<string, string>> = {
  NVIDIA_TESLA_T4: 'T4',
  NVIDIA_TESLA_P4: 'P4',
  NVIDIA_TESLA_P100: 'P100',
  NVIDIA_TESLA_V100: 'V100',
  NVIDIA_TESLA_K80: 'K80',
  // "Nvidia Tesla A100 GPU …" (40 GB) must not take "Nvidia A100 80GB GPU …".
  NVIDIA_TESLA_A100: 'A100(?:\\s+40GB)?(?!\\s+80GB)',
  NVIDIA_A100_80GB: 'A100\\s+80GB',
  NVIDIA_L4: 'L4',
  NVIDIA_H100_80GB: 'H100(?:\\s+80GB)?',
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

/** The uses the catalog prices a machine for, with the service whose SKUs bill it. */
export type CatalogUse = 'hosting' | 'notebook' | 'training';

/** How each service's SKU descriptions name a family's core and RAM (Compute Engine names some families its own way). */
function machineSkuPatterns(use: CatalogUse, family: string, what: 'Core' | 'Ram'): RegExp[] {
  const f = family.toUpperCase();
  if (use === 'notebook') {
    // Compute Engine: "N1 Predefined Instance Core running in Americas", "E2 Instance Ram running in …",
    // "N2D AMD Instance Core …", "Compute optimized Core …" (C2). Matched from the start, so "Spot
    // Preemptible N1 …" and "Commitment v1: …" never match.
    const name: Record<string, string> = { N1: 'N1 Predefined Instance', E2: 'E2 Instance', N2: 'N2 Instance', N2D: 'N2D AMD Instance', C2: 'Compute optimized' };
    return [new RegExp(`^${name[f] ?? `${f} Instance`} ${what} running in `, 'i')];
  }
  if (use === 'training') {
    // "Vertex AI: Training/Pipelines on N1 Predefined Instance Core running in Americas" and its
    // management fee, "Vertex AI: Training/Pipelines Management fee on N1 Instance Core in Americas".
    return [
      new RegExp(`^Vertex AI: Training/Pipelines on ${f}( Predefined)? Instance ${what} running in `, 'i'),
      new RegExp(`^Vertex AI: Training/Pipelines Management fee on ${f}( Predefined)? Instance ${what === 'Ram' ? 'RAM' : 'Core'} in `, 'i'),
    ];
  }
  return [new RegExp(`Online/Batch Prediction ${f}( Predefined)? Instance ${what}\\b`, 'i')];
}

const NOT_ON_DEMAND = /preemptible|spot|commit|management fee/i;

/** The one on-demand SKU in the region matching a pattern; a management-fee pattern may match fee SKUs. */
function findSku(skus: readonly Sku[], region: string, pattern: RegExp): Sku | undefined {
  const fee = /management fee/i.test(pattern.source);
  return skus.find((s) => {
    const d = s.description ?? '';
    if (!inRegion(s, region) || !pattern.test(d)) return false;
    return fee ? !/preemptible|spot|commit/i.test(d) : !NOT_ON_DEMAND.test(d);
  });
}

const USE_NAMES: Readonly<Record<CatalogUse, string>> = { hosting: 'Vertex AI', notebook: 'Compute Engine', training: 'Vertex AI training' };

/**
 * A machine's hourly price for one use, from the core and RAM SKUs of its family in the region (and,
 * for training, the management-fee SKUs Vertex AI adds), with the SKU ids; undefined when any part is
 * missing, so a partial price is never shown.
 */
export function machinePrice(skus: readonly Sku[], use: CatalogUse, machineType: string, region: string): { price: Money; source: string } | undefined {
  const shape = machineShape(machineType);
  if (!shape) return undefined;
  const parts: { qty: number; what: string; sku: Sku; price: Money; effective?: string }[] = [];
  for (const what of ['Core', 'Ram'] as const) {
    for (const pattern of machineSkuPatterns(use, shape.family, what)) {
      const sku = findSku(skus, region, pattern);
      const p = sku ? unitPrice(sku) : undefined;
      if (!sku || !p) return undefined;
      parts.push({ qty: what === 'Core' ? shape.vcpus : shape.memoryGiB, what: what === 'Core' ? 'vCPU' : 'GiB', sku, price: p.price, ...(p.effective ? { effective: p.effective } : {}) });
    }
  }
  const currency = parts[0]!.price.currency;
  if (parts.some((p) => p.price.currency !== currency)) return undefined;
  const amount = Math.round(parts.reduce((t, p) => t + p.price.amount * p.qty, 0) * 1e6) / 1e6;
  const effective = parts.find((p) => p.effective)?.effective;
  const terms = parts.map((p) => `${p.qty} ${p.what} × ${p.price.amount}/h SKU ${p.sku.skuId}${/management fee/i.test(p.sku.description ?? '') ? ' (management fee)' : ''}`).join(' + ');
  return { price: money(amount, currency), source: `Cloud Billing Catalog API (${USE_NAMES[use]}, ${region}: ${terms}${effective ? `, effective ${effective}` : ''})` };
}

/** A prediction machine's hourly price from core and RAM SKUs, with the SKU ids; undefined when either is missing. */
export function predictionMachinePrice(skus: readonly Sku[], machineType: string, region: string): { price: Money; source: string } | undefined {
  return machinePrice(skus, 'hosting', machineType, region);
}

/** An accelerator's hourly price for one use; undefined when the catalog has no SKU for it. */
export function acceleratorPrice(skus: readonly Sku[], use: CatalogUse, acceleratorType: string, region: string): { price: Money; source: string } | undefined {
  const word = ACCELERATOR_WORDS[acceleratorType];
  if (!word) return undefined;
  const gpu = new RegExp(`\\b${word}\\b.*GPU`, 'i');
  const of: Record<CatalogUse, RegExp> = {
    hosting: /Online\/Batch Prediction/i,
    // "Vertex AI: Training/Pipelines on Nvidia Tesla T4 GPU running in …".
    training: /^Vertex AI: Training\/Pipelines on /i,
    // Compute Engine: "Nvidia Tesla T4 GPU running in Americas" (not "… attached to Spot Preemptible VMs").
    notebook: /^Nvidia /i,
  };
  const sku = skus.find((s) => inRegion(s, region) && of[use].test(s.description ?? '') && gpu.test(s.description ?? '') && !NOT_ON_DEMAND.test(s.description ?? ''));
  const p = sku ? unitPrice(sku) : undefined;
  if (!p) return undefined;
  return { price: p.price, source: `Cloud Billing Catalog API (${USE_NAMES[use]}, ${region}: SKU ${sku!.skuId} "${sku!.description}"${p.effective ? `, effective ${p.effective}` : ''})` };
}

/** An accelerator's hourly prediction price; undefined when the catalog has no SKU for it. */
export function predictionAcceleratorPrice(skus: readonly Sku[], acceleratorType: string, region: string): { price: Money; source: string } | undefined {
  return acceleratorPrice(skus, 'hosting', acceleratorType, region);
}

/** Cloud Storage class names as SKU descriptions spell them. */
const STORAGE_WORDS: Readonly<Record<string, string>> = { STANDARD: 'Standard Storage', NEARLINE: 'Nearline Storage', COLDLINE: 'Coldline Storage', ARCHIVE: 'Archive Storage' };

const isMultiRegion = (location: string) => /^(us|eu|asia)$/i.test(location);

/**
 * The per GiB-month price of a Cloud Storage class in a bucket location: a region's SKU
 * ("Nearline Storage Iowa", serviceRegions [us-central1]) or a multi-region's ("Standard Storage US
 * Multi-region", serviceRegions [us]); dual-region SKUs never match. Undefined when not listed.
 */
export function storageClassPrice(skus: readonly Sku[], storageClass: string, location: string): { price: Money; source: string } | undefined {
  const word = STORAGE_WORDS[storageClass.toUpperCase()];
  if (!word) return undefined;
  const loc = location.toLowerCase();
  const multi = isMultiRegion(loc);
  const sku = skus.find((s) => {
    const d = s.description ?? '';
    if (!d.startsWith(word) || /early delet|operations|retrieval|dual-region/i.test(d)) return false;
    return multi ? /multi-region/i.test(d) && inRegion(s, loc) : inRegion(s, loc) && !/multi-region/i.test(d);
  });
  const p = sku ? unitPrice(sku) : undefined;
  if (!p || (p.unit && p.unit !== 'GiBy.mo')) return undefined;
  return { price: p.price, source: `Cloud Billing Catalog API (Cloud Storage, ${location}: SKU ${sku!.skuId} "${sku!.description}", per ${p.unit || 'GiBy.mo'}${p.effective ? `, effective ${p.effective}` : ''})` };
}

/**
 * The price per 1,000 Class A or Class B operations of a class: "Regional Nearline Class A Operations"
 * for a region, "Multi-Region Standard Class A Operations" for a multi-region (these SKUs are global,
 * priced per `count`, the first tier often free). Undefined when not listed or in another unit.
 */
export function storageOperationPrice(skus: readonly Sku[], storageClass: string, location: string, opClass: 'A' | 'B'): { price: Money; source: string } | undefined {
  const cls = storageClass.charAt(0).toUpperCase() + storageClass.slice(1).toLowerCase();
  if (!STORAGE_WORDS[storageClass.toUpperCase()]) return undefined;
  const scope = isMultiRegion(location) ? 'Multi-Region' : 'Regional';
  const want = new RegExp(`^${scope} ${cls} Class ${opClass} Operations$`, 'i');
  const sku = skus.find((s) => want.test(s.description ?? ''));
  const p = sku ? unitPrice(sku) : undefined;
  if (!p || p.unit !== 'count') return undefined;
  return { price: money(Math.round(p.price.amount * 1000 * 1e9) / 1e9, p.price.currency), source: `Cloud Billing Catalog API (Cloud Storage: SKU ${sku!.skuId} "${sku!.description}", per count × 1,000${p.effective ? `, effective ${p.effective}` : ''})` };
}

/** The Catalog figures of every class in a bucket location, as price-book entries; the rest stays bundled. */
export function storagePrices(skus: readonly Sku[], location: string, currency: string): FetchedGcsPrice[] {
  const out: FetchedGcsPrice[] = [];
  for (const c of GCS_STORAGE_CLASSES) {
    const items: [(typeof GCS_PRICE_ITEMS)[number], { price: Money; source: string } | undefined][] = [
      ['storageGbMonth', storageClassPrice(skus, c, location)],
      ['classAPer1000', storageOperationPrice(skus, c, location, 'A')],
      ['classBPer1000', storageOperationPrice(skus, c, location, 'B')],
    ];
    for (const [item, p] of items) {
      // A price in another currency than the bundled table's would mix currencies: left to the table.
      if (p && p.price.currency === currency) out.push({ key: gcsPriceKey(location, c, item), value: p.price.amount, source: p.source });
    }
  }
  return out;
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

/** A machine or accelerator to price for one use in one region. */
interface MachineKey {
  readonly use: CatalogUse;
  readonly instanceType: string;
  readonly region: string;
  readonly accelerator: boolean;
}

const USE_OF_KIND: Readonly<Record<string, CatalogUse>> = { 'gcp.vertex.endpoint': 'hosting', 'gcp.workbench.instance': 'notebook', 'gcp.vertex.custom-job': 'training', 'gcp.vertex.finished-custom-job': 'training' };

/** The service whose SKUs price each use: Workbench instances are Compute Engine VMs. */
const SERVICE_OF_USE: Readonly<Record<CatalogUse, string>> = { hosting: CATALOG_SERVICES.vertexAi, training: CATALOG_SERVICES.vertexAi, notebook: CATALOG_SERVICES.computeEngine };

/** What the inventory needs priced: machine types and accelerators per use and region, and bucket locations. */
function priceKeys(inventory: readonly Resource[]): { machines: MachineKey[]; locations: string[] } {
  const keys = new Map<string, MachineKey>();
  const locations = new Set<string>();
  for (const r of inventory) {
    if (r.kind === 'gcp.storage.bucket') {
      if (r.region && r.region !== 'unknown') locations.add(r.region.toLowerCase());
      continue;
    }
    const use = USE_OF_KIND[r.kind];
    if (!use) continue;
    for (const c of r.components) {
      if (c.capacity === 'shared' || !c.instanceType) continue;
      keys.set(`${use}|m|${r.region}|${c.instanceType}`, { use, instanceType: c.instanceType, region: r.region, accelerator: false });
      if (c.accelerator) keys.set(`${use}|a|${r.region}|${c.accelerator.type}`, { use, instanceType: c.accelerator.type, region: r.region, accelerator: true });
    }
  }
  return { machines: [...keys.values()], locations: [...locations] };
}

/** The cache key of one machine price; prediction keeps the key it always had. */
function machineCacheKey(k: MachineKey): string {
  const what = `${k.region}:${k.accelerator ? 'accelerator:' : ''}${k.instanceType}`;
  return k.use === 'hosting' ? `price:gcp:vertex-prediction:v1:${what}` : `price:gcp:${k.use}:v1:${what}`;
}

/** Prices read from the Catalog for one scan: hourly machine and accelerator prices, and Cloud Storage figures. */
export interface CatalogPrices {
  readonly prices: FetchedPrice[];
  readonly storage: FetchedGcsPrice[];
}

/**
 * Catalog prices of what the inventory uses — prediction, Workbench and training machines and
 * accelerators, and the Cloud Storage classes of each bucket location — each cached in the store
 * for CATALOG_CACHE_DAYS (a miss too). A service's SKU list is read at most once per call, and only
 * when one of its prices is not cached. Accelerators are returned as `accelerator:<TYPE>`.
 */
export async function fetchCatalogPrices(
  catalog: CloudCatalogClient,
  inventory: readonly Resource[],
  cache: CostCache | undefined,
  now: Date,
  call: <T>(fn: () => Promise<T>) => Promise<T>,
  storageCurrency: string = BUNDLED_GCS_PRICES.currency,
  /** Lists a service's SKUs; the caller shares one listing between the projects of a scan. */
  list: (service: string) => Promise<Sku[]> = (service) => listSkus(catalog, service, call),
): Promise<CatalogPrices> {
  const lists = new Map<string, Promise<Sku[]>>();
  const skusOf = (service: string): Promise<Sku[]> => {
    let p = lists.get(service);
    if (!p) lists.set(service, (p = list(service)));
    return p;
  };
  const until = new Date(now.getTime() + CATALOG_CACHE_DAYS * 86_400_000);
  const { machines, locations } = priceKeys(inventory);
  const prices: FetchedPrice[] = [];
  for (const k of machines) {
    const hit = await cachedRead(
      cache,
      machineCacheKey(k),
      now,
      until,
      async () => {
        const all = await skusOf(SERVICE_OF_USE[k.use]);
        return (k.accelerator ? acceleratorPrice(all, k.use, k.instanceType, k.region) : machinePrice(all, k.use, k.instanceType, k.region)) ?? null;
      },
      { encode: (v) => v, decode: (raw) => raw as { price: Money; source: string } | null },
    );
    if (!hit) continue;
    prices.push({ cloud: 'gcp', usage: k.use, instanceType: k.accelerator ? `accelerator:${k.instanceType}` : k.instanceType, region: k.region, price: hit.price, source: hit.source });
  }
  const storage: FetchedGcsPrice[] = [];
  for (const loc of locations) {
    const hit = await cachedRead(
      cache,
      `price:gcp:storage:v1:${loc}`,
      now,
      until,
      async () => storagePrices(await skusOf(CATALOG_SERVICES.cloudStorage), loc, storageCurrency),
      { encode: (v) => v, decode: (raw) => raw as FetchedGcsPrice[] },
    );
    storage.push(...hit);
  }
  return { prices, storage };
}
