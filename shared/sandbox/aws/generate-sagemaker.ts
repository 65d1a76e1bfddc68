import type { Rng } from '../rng.js';
import type { WorldInput } from '../world.js';

/*
 * The generated-world mix of notebook instances, Studio apps and training / processing jobs,
 * one of each case the SageMaker rules must tell apart. Names start with their case.
 */

type RegionInput = NonNullable<NonNullable<WorldInput['aws']>['accounts']>[number]['regions'] extends infer R
  ? R extends Record<string, infer V>
    ? V
    : never
  : never;
type SageMakerInput = NonNullable<RegionInput['sagemaker']>;

/** Cases of generated notebook instances. */
export const GENERATED_NOTEBOOK_KINDS = ['idle-night', 'busy', 'idle-cpu', 'auto-stop', 'stopped', 'fresh'] as const;
/** Cases of generated Studio apps. */
export const GENERATED_APP_KINDS = ['idle', 'active', 'idle-shutdown', 'no-signal', 'deleted', 'system'] as const;
/** Cases of generated training jobs. */
export const GENERATED_TRAINING_KINDS = ['long', 'near-limit', 'fresh', 'completed'] as const;
/** Cases of generated processing jobs. */
export const GENERATED_PROCESSING_KINDS = ['long', 'fresh'] as const;

/** How many of each resource to generate per account × region. */
export interface SageMakerCounts {
  readonly notebooks?: number;
  readonly studioApps?: number;
  readonly trainingJobs?: number;
  readonly processingJobs?: number;
}

const NOTEBOOK_TYPES = ['ml.t3.medium', 'ml.t3.xlarge', 'ml.m5.xlarge', 'ml.g4dn.xlarge', 'ml.g5.xlarge'];
const APP_TYPES = ['ml.t3.medium', 'ml.m5.xlarge', 'ml.g4dn.xlarge', 'ml.g5.xlarge'];
const TRAINING_TYPES = ['ml.g5.2xlarge', 'ml.p3.2xlarge', 'ml.g4dn.xlarge', 'ml.m5.xlarge'];
const TEAMS = ['fraud', 'search', 'recs', 'vision', 'nlp', 'ads'];

/** The SageMaker sections (besides endpoints) of one generated region. */
export function generateSageMakerSections(rng: Rng, counts: SageMakerCounts): Omit<SageMakerInput, 'endpoints'> {
  const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const tags = () => ({ team: pick(TEAMS), env: rng.next() < 0.6 ? 'dev' : 'prod', ...(rng.next() < 0.03 ? { 'costwatch:exempt': 'true' } : {}) });
  const id = (i: number) => String(i).padStart(5, '0');

  const notebooks = Array.from({ length: counts.notebooks ?? 0 }, (_, i) => {
    const kind = pick(GENERATED_NOTEBOOK_KINDS);
    const base = { name: `nb-${kind}-${id(i)}`, instanceType: pick(NOTEBOOK_TYPES), createdAt: `-${int(10, 200)}d`, lastModifiedAt: `-${int(2, 9)}d`, tags: tags() };
    switch (kind) {
      case 'idle-night':
        return base;
      case 'busy':
        return { ...base, metrics: { cpu: { constant: int(30, 90) } } };
      case 'idle-cpu':
        return { ...base, metrics: { cpu: { constant: int(0, 3) } } };
      case 'auto-stop':
        return { ...base, lifecycleConfig: 'auto-stop-idle' };
      case 'stopped':
        return { ...base, status: 'Stopped' as const };
      case 'fresh':
        return { ...base, lastModifiedAt: `-${int(10, 90)}m` };
    }
  });

  const spaces: { name: string; owner: string; idleShutdownMinutes?: number; tags: Record<string, string> }[] = [];
  const apps = Array.from({ length: counts.studioApps ?? 0 }, (_, i) => {
    const kind = pick(GENERATED_APP_KINDS);
    const owner = `user-${id(i)}`;
    const space = `space-${kind}-${id(i)}`;
    if (kind === 'system') return { type: 'JupyterServer' as const, userProfile: owner, instanceType: 'system' as const, createdAt: `-${int(2, 30)}d` };
    spaces.push({ name: space, owner, ...(kind === 'idle-shutdown' ? { idleShutdownMinutes: 120 } : {}), tags: tags() });
    const base = { type: rng.next() < 0.7 ? ('JupyterLab' as const) : ('CodeEditor' as const), space, instanceType: pick(APP_TYPES), createdAt: `-${int(2, 10)}d` };
    switch (kind) {
      case 'idle':
        return { ...base, lastUserActivity: `-${int(26, 60)}h` };
      case 'active':
        return { ...base, lastUserActivity: `-${int(1, 50)}m` };
      case 'deleted':
        return { ...base, status: 'Deleted' as const };
      default:
        return base;
    }
  });
  // A space's app type must match its apps'.
  for (const a of apps) {
    const s = 'space' in a ? spaces.find((x) => x.name === a.space) : undefined;
    if (s && 'type' in a) Object.assign(s, { appType: a.type });
  }
  const studioDomains =
    apps.length > 0 ? [{ name: 'studio', userProfiles: apps.map((_, i) => `user-${id(i)}`), spaces, apps }] : [];

  const trainingJobs = Array.from({ length: counts.trainingJobs ?? 0 }, (_, i) => {
    const kind = pick(GENERATED_TRAINING_KINDS);
    const base = { name: `train-${kind}-${id(i)}`, instanceType: pick(TRAINING_TYPES), instanceCount: int(1, 4), tags: tags() };
    switch (kind) {
      case 'long':
        return { ...base, createdAt: `-${int(80, 200)}h`, maxRuntimeSeconds: 2_419_200 };
      case 'near-limit':
        return { ...base, createdAt: '-10h', maxRuntimeSeconds: 36_600 };
      case 'fresh':
        return { ...base, createdAt: `-${int(1, 20)}h` };
      case 'completed':
        return { ...base, status: 'Completed' as const, createdAt: `-${int(2, 30)}d` };
    }
  });
  const processingJobs = Array.from({ length: counts.processingJobs ?? 0 }, (_, i) => {
    const kind = pick(GENERATED_PROCESSING_KINDS);
    return { name: `proc-${kind}-${id(i)}`, instanceType: pick(['ml.m5.xlarge', 'ml.c5.2xlarge']), createdAt: kind === 'long' ? `-${int(80, 150)}h` : `-${int(1, 5)}h`, tags: tags() };
  });

  return {
    notebookLifecycleConfigs: notebooks.length > 0 ? [{ name: 'auto-stop-idle', autoStopIdleMinutes: 60 }] : [],
    notebookInstances: notebooks,
    studioDomains,
    trainingJobs,
    processingJobs,
  };
}
