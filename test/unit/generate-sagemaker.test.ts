import { describe, expect, it } from 'vitest';
import {
  GENERATED_APP_KINDS,
  GENERATED_NOTEBOOK_KINDS,
  GENERATED_PROCESSING_KINDS,
  GENERATED_TRAINING_KINDS,
} from '../../shared/sandbox/aws/generate-sagemaker.js';
import { generateWorld } from '../../shared/sandbox/index.js';

const counts = { notebooks: 120, studioApps: 120, trainingJobs: 80, processingJobs: 30 };

describe('generateWorld with SageMaker notebooks, Studio apps and jobs', () => {
  it('mixes every case, the same way for the same seed', () => {
    const world = generateWorld({ accounts: 1, endpointsPerRegion: 10, sagemaker: counts, seed: 4 });
    const again = generateWorld({ accounts: 1, endpointsPerRegion: 10, sagemaker: counts, seed: 4 });
    const sm = world.aws.accounts[0]?.regions['us-east-1']?.sagemaker;
    const kinds = (names: readonly string[], prefix: string) => new Set(names.map((n) => n.slice(prefix.length).replace(/-\d+$/, '')));
    const domain = sm?.studioDomains[0];

    expect(again).toEqual(world);
    expect(sm?.notebookInstances).toHaveLength(120);
    expect(kinds(sm?.notebookInstances.map((n) => n.name) ?? [], 'nb-')).toEqual(new Set(GENERATED_NOTEBOOK_KINDS));
    expect(domain?.apps).toHaveLength(120);
    const appKinds = new Set([...kinds(domain?.spaces.map((s) => s.name) ?? [], 'space-'), ...(domain?.apps.some((a) => a.type === 'JupyterServer') ? ['system'] : [])]);
    expect(appKinds).toEqual(new Set(GENERATED_APP_KINDS));
    expect(kinds(sm?.trainingJobs.map((j) => j.name) ?? [], 'train-')).toEqual(new Set(GENERATED_TRAINING_KINDS));
    expect(kinds(sm?.processingJobs.map((j) => j.name) ?? [], 'proc-')).toEqual(new Set(GENERATED_PROCESSING_KINDS));
  });

  it('leaves the endpoints of a seed unchanged when notebooks and jobs are added', () => {
    const plain = generateWorld({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 25, seed: 8 });
    const mixed = generateWorld({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 25, seed: 8, sagemaker: counts });
    const endpoints = (w: typeof plain) => w.aws.accounts.flatMap((a) => Object.values(a.regions).flatMap((r) => r.sagemaker.endpoints));

    expect(endpoints(mixed)).toEqual(endpoints(plain));
    expect(plain.aws.accounts[0]?.regions['us-east-1']?.sagemaker.notebookInstances).toEqual([]);
  });
});
