import { seededRng, type Rng } from './rng.js';
import { generateSageMakerSections, type SageMakerCounts } from './aws/generate-sagemaker.js';
import { defineWorld, type EndpointInput, type FaultInput, type World, type WorldInput } from './world.js';

/** The kinds of endpoint `generateWorld` mixes; each generated endpoint's name starts with its kind. */
export const GENERATED_KINDS = [
  'idle',
  'busy',
  'new',
  'no-data',
  'heartbeat-only',
  'nightly',
  'weekly',
  'serverless',
  'async',
  'multi-variant',
] as const;

/** One kind of generated endpoint. */
export type GeneratedKind = (typeof GENERATED_KINDS)[number];

/** Options of `generateWorld`. */
export interface GenerateWorldOptions {
  /** Number of AWS accounts (default 1); ids are 200000000000, 200000000001, ... */
  readonly accounts?: number;
  /** Regions in every account (default us-east-1). */
  readonly regions?: readonly string[];
  /** Endpoints per account × region (default 100). */
  readonly endpointsPerRegion?: number;
  /** Seed for the choice of kinds, sizes and tags, and for fault injection (default 1). */
  readonly seed?: number;
  /** The world's `now` (default 2025-06-16T12:00:00Z, a Monday). */
  readonly now?: string;
  /** Relative weights of the kinds; unspecified kinds keep their default weight. */
  readonly mix?: Partial<Record<GeneratedKind, number>>;
  readonly faults?: readonly FaultInput[];
  /** Notebook instances, Studio apps, training and processing jobs per account × region (default none). */
  readonly sagemaker?: SageMakerCounts;
}

const DEFAULT_MIX: Record<GeneratedKind, number> = {
  idle: 25,
  busy: 30,
  new: 5,
  'no-data': 5,
  'heartbeat-only': 5,
  nightly: 10,
  weekly: 5,
  serverless: 5,
  async: 5,
  'multi-variant': 5,
};

const GPU_TYPES = ['ml.g4dn.xlarge', 'ml.g5.xlarge', 'ml.g5.2xlarge', 'ml.p3.2xlarge'];
const CPU_TYPES = ['ml.t2.medium', 'ml.m5.large', 'ml.m5.xlarge', 'ml.c5.xlarge', 'ml.inf2.xlarge'];
const TEAMS = ['fraud', 'search', 'recs', 'vision', 'nlp', 'ads'];

/**
 * Builds a large world in memory (for benchmarks): a seeded mix of idle, busy, brand-new,
 * no-data, heartbeat-only, nightly, weekly, serverless, async and multi-variant endpoints.
 * Metrics stay generators, so 10,000 endpoints cost little memory.
 */
export function generateWorld(options: GenerateWorldOptions = {}): World {
  const { accounts = 1, regions = ['us-east-1'], endpointsPerRegion = 100, seed = 1, now = '2025-06-16T12:00:00Z', faults = [] } = options;
  const rng = seededRng(seed);
  // A stream of its own, so adding notebooks or jobs leaves the endpoints of a seed unchanged.
  const sageMakerRng = seededRng(seed ^ 0x5a5a5a5a);
  const mix = { ...DEFAULT_MIX, ...options.mix };
  const input: WorldInput = {
    version: 1,
    now,
    seed,
    aws: {
      accounts: Array.from({ length: accounts }, (_, a) => ({
        id: String(200_000_000_000 + a),
        name: `generated-${a}`,
        regions: Object.fromEntries(
          regions.map((region) => [
            region,
            {
              sagemaker: {
                endpoints: Array.from({ length: endpointsPerRegion }, (_, i) => endpoint(pick(rng, mix), i, rng)),
                ...generateSageMakerSections(sageMakerRng, options.sagemaker ?? {}),
              },
            },
          ]),
        ),
      })),
    },
    faults: [...faults],
  };
  return defineWorld(input, '<generated world>');
}

function pick(rng: Rng, mix: Record<GeneratedKind, number>): GeneratedKind {
  const total = GENERATED_KINDS.reduce((s, k) => s + Math.max(0, mix[k]), 0);
  let r = rng.next() * total;
  for (const k of GENERATED_KINDS) {
    r -= Math.max(0, mix[k]);
    if (r < 0) return k;
  }
  return 'idle';
}

function endpoint(kind: GeneratedKind, i: number, rng: Rng): EndpointInput {
  const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const gpu = rng.next() < 0.5;
  const instanceType = (gpu ? GPU_TYPES : CPU_TYPES)[int(0, (gpu ? GPU_TYPES : CPU_TYPES).length - 1)] ?? 'ml.m5.large';
  const instanceCount = int(1, 3);
  const team = TEAMS[int(0, TEAMS.length - 1)] ?? 'ml';
  const tags: Record<string, string> = { team, env: rng.next() < 0.7 ? 'prod' : 'dev' };
  if (rng.next() < 0.03) tags['costwatch:exempt'] = 'true';
  const busy = int(20, 500);
  const heartbeat = int(1, 6);
  const base = { name: `${kind}-${String(i).padStart(5, '0')}`, createdAt: `-${int(7, 400)}d`, tags };
  const gpuMetric = (series: object) => (gpu ? { gpu: series } : {});
  switch (kind) {
    case 'idle':
      return { ...base, variants: [{ instanceType, instanceCount, metrics: { invocations: { constant: 0 }, cpu: { constant: heartbeat }, ...gpuMetric({ constant: 0 }) } }] };
    case 'busy':
      return { ...base, variants: [{ instanceType, instanceCount, metrics: { invocations: { constant: busy }, cpu: { constant: int(30, 80) }, ...gpuMetric({ constant: int(20, 90) }) } }] };
    case 'new':
      return { ...base, createdAt: `-${int(1, 5)}h`, variants: [{ instanceType, instanceCount, metrics: { invocations: { constant: 0 }, cpu: { constant: heartbeat } } }] };
    case 'no-data':
      return { ...base, variants: [{ instanceType, instanceCount }] };
    case 'heartbeat-only':
      return { ...base, variants: [{ instanceType, instanceCount, metrics: { cpu: { constant: heartbeat } } }] };
    case 'nightly':
      return {
        ...base,
        variants: [
          { instanceType, instanceCount, metrics: { invocations: { daily: { hours: [2], value: busy, otherwise: 0 } }, cpu: { daily: { hours: [2], value: 70, otherwise: heartbeat } } } },
        ],
      };
    case 'weekly':
      return {
        ...base,
        variants: [
          {
            instanceType,
            instanceCount,
            metrics: {
              invocations: { weekly: { days: ['sun'], hours: [3], value: busy, otherwise: 0 } },
              cpu: { weekly: { days: ['sun'], hours: [3], value: 70, otherwise: heartbeat } },
            },
          },
        ],
      };
    case 'serverless':
      return { ...base, variants: [{ serverless: { memorySizeInMB: 2048, maxConcurrency: 5 }, metrics: { invocations: { constant: 0 } } }] };
    case 'async':
      return { ...base, async: true, variants: [{ instanceType, instanceCount, metrics: { cpu: { constant: heartbeat } } }] };
    case 'multi-variant':
      return {
        ...base,
        variants: [
          { name: 'Primary', instanceType, instanceCount, metrics: { invocations: { constant: busy }, cpu: { constant: 50 } } },
          { name: 'Shadow', instanceType, instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: heartbeat } } },
        ],
      };
  }
}
