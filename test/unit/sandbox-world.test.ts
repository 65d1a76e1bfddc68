import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import {
  defineWorld,
  GENERATED_KINDS,
  generateWorld,
  loadWorld,
  parseWorld,
  SAMPLE_WORLD_PATH,
  worldScopes,
} from '../../shared/sandbox/index.js';
import { resolveTime } from '../../shared/sandbox/time.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('world file', () => {
  it('loads the sample world with its two accounts and every case', async () => {
    const world = await loadWorld(SAMPLE_WORLD_PATH);

    const names = world.aws.accounts.flatMap((a) => Object.values(a.regions).flatMap((r) => r.sagemaker.endpoints.map((e) => e.name)));
    expect(worldScopes(world)).toEqual([
      { scope: { cloud: 'aws', id: '111111111111', name: 'ml-prod' }, regions: ['us-east-1', 'eu-west-1'] },
      { scope: { cloud: 'aws', id: '222222222222', name: 'ml-dev' }, regions: ['us-east-1'] },
      { scope: { cloud: 'gcp', id: 'ml-research-42', name: 'ml-research' }, regions: ['us-central1'] },
      { scope: { cloud: 'azure', id: '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a70', name: 'ml-azure-prod' }, regions: ['eastus'] },
      { scope: { cloud: 'azure', id: '3f2b8c1e-5a4d-4e6f-9a1b-2c3d4e5f6a71', name: 'ml-azure-dev' }, regions: ['westeurope'] },
    ]);
    expect(names).toEqual([
      'fraud-v3',
      'search-ranker',
      'churn-v2',
      'legacy-nlp',
      'recs-heartbeat',
      'nightly-scoring',
      'ab-test',
      'chat-assist',
      'translate-eu',
      'weekly-report',
      'llm-playground',
      'demo-serverless',
      'ocr-async',
    ]);
    const exempt = world.aws.accounts[1]?.regions['us-east-1']?.sagemaker.endpoints[0];
    expect(exempt?.tags).toMatchObject({ 'costwatch:exempt': 'true' });
  });

  it('applies defaults: InService, -30d, AllTraffic, <name>-config', () => {
    const world = parseWorld(
      ['version: 1', 'now: 2025-06-18T12:00:00Z', 'aws:', '  accounts:', '    - id: 111111111111', '      name: a', '      regions:', '        us-east-1:', '          sagemaker:', '            endpoints:', '              - name: e', '                variants: [{ instanceType: ml.m5.large }]'].join('\n'),
    );

    const ep = world.aws.accounts[0]?.regions['us-east-1']?.sagemaker.endpoints[0];
    expect(world.aws.accounts[0]?.id).toBe('111111111111');
    expect(ep).toMatchObject({ status: 'InService', createdAt: '-30d', async: false, tags: {}, variants: [{ name: 'AllTraffic', weight: 1, metrics: {} }] });
    expect(world.seed).toBe(1);
  });

  it('rejects a malformed world with every problem at its line and column', () => {
    const text = [
      'version: 1', //                                               1
      'now: yesterday', //                                           2
      'aws:', //                                                     3
      '  accounts:', //                                              4
      '    - id: "12345"', //                                        5
      '      name: prod', //                                         6
      '      regions:', //                                           7
      '        us-east-1:', //                                       8
      '          sagemaker:', //                                     9
      '            endpoints:', //                                  10
      '              - name: a', //                                 11
      '                createdAt: 2 hours ago', //                  12
      '                variants:', //                               13
      '                  - instanceType: ml.g5.xlarge', //          14
      '                    serverless: { memorySizeInMB: 2048, maxConcurrency: 1 }', // 15
      '                    metrics:', //                            16
      '                      invocations: { constant: 0, daily: { hours: [25], value: 1 } }', // 17
      '                      cpu: { constnt: 1 }', //               18
      'faults:', //                                                 19
      '  - { kind: latency }', //                                   20
    ].join('\n');

    const problems = problemsOf(() => parseWorld(text, 'bad.yml'));

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad\.yml:2:6: now: "yesterday" is not a time/),
        expect.stringMatching(/^bad\.yml:5:11: aws\.accounts\[0\]\.id: an AWS account id is 12 digits/),
        expect.stringMatching(/^bad\.yml:12:28: .*createdAt: "2 hours ago" is not a time/),
        expect.stringMatching(/^bad\.yml:14:\d+: .*variants\[0\]: a variant has either instanceType .* or serverless/),
        expect.stringMatching(/^bad\.yml:17:\d+: .*invocations\.daily\.hours\[0\]/),
        expect.stringMatching(/^bad\.yml:17:\d+: .*invocations: a series has exactly one generator, found constant and daily/),
        expect.stringMatching(/^bad\.yml:18:\d+: .*cpu\.constnt: unknown key "constnt"/),
        expect.stringMatching(/^bad\.yml:20:\d+: faults\[0\]\.latencyMs: a latency fault needs latencyMs/),
      ]),
    );
  });

  it('rejects duplicate endpoints, variants and metrics in one region', () => {
    const problems = problemsOf(() =>
      defineWorld({
        version: 1,
        now: '2025-06-18T12:00:00Z',
        aws: {
          accounts: [
            {
              id: '111111111111',
              name: 'a',
              regions: {
                'us-east-1': {
                  sagemaker: {
                    endpoints: [
                      { name: 'dup', variants: [{ instanceType: 'ml.m5.large', metrics: { cpu: { constant: 1 } } }, { instanceType: 'ml.m5.large' }] },
                      { name: 'DUP', configName: 'other', variants: [{ instanceType: 'ml.m5.large' }] },
                    ],
                  },
                  cloudwatch: {
                    metrics: [
                      { namespace: '/aws/sagemaker/Endpoints', name: 'CPUUtilization', dimensions: { VariantName: 'AllTraffic', EndpointName: 'dup' }, series: { constant: 2 } },
                    ],
                  },
                },
              },
            },
          ],
        },
      }),
    );

    expect(problems.join('\n')).toMatch(/variants\[1\]\.name: variant "AllTraffic" appears twice/);
    expect(problems.join('\n')).toMatch(/endpoints\[1\]\.name: endpoint "DUP" is declared twice/);
    expect(problems.join('\n')).toMatch(/cloudwatch\.metrics\[0\]: metric \/aws\/sagemaker\/Endpoints CPUUtilization with these dimensions is declared twice/);
  });

  it('resolves times: ISO with a zone, now, and offsets from now', () => {
    const now = Date.parse('2025-06-18T12:00:00Z');

    expect(resolveTime('-2h', now)).toBe(now - 2 * 3_600_000);
    expect(resolveTime('-1d6h', now)).toBe(now - 30 * 3_600_000);
    expect(resolveTime('+15m', now)).toBe(now + 15 * 60_000);
    expect(resolveTime('-1w', now)).toBe(now - 7 * 86_400_000);
    expect(resolveTime('now', now)).toBe(now);
    expect(resolveTime('2025-06-18T14:00:00+02:00', now)).toBe(now);
    expect(problemsOf(() => defineWorld({ version: 1, now: '2025-06-18T12:00:00' }))[0]).toMatch(/now: .*is not a time/);
    expect(problemsOf(() => defineWorld({ version: 1, now: '-2h' }))[0]).toMatch(/must be an absolute ISO 8601 time/);
  });

  it('keeps every YAML example of docs/world-file.md valid', async () => {
    const doc = await readFile(fileURLToPath(new URL('../../docs/world-file.md', import.meta.url)), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const head = 'version: 1\nnow: 2025-06-18T12:00:00Z\naws:\n  accounts:\n    - id: "111111111111"\n      name: doc\n';
    const indent = (text: string, n: number) => text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
    const inRegion = (text: string) => `${head}      regions:\n        us-east-1:\n${indent(text, 10)}`;
    // Blocks are fragments; each is placed where its first key belongs in a world.
    const asWorld: Record<string, (block: string) => string> = {
      version: (b) => b,
      aws: (b) => `version: 1\nnow: 2025-06-18T12:00:00Z\n${b.replace(/\[\.\.\.\]/g, '[]')}`,
      faults: (b) => `${head}${b}`,
      cloudwatch: inRegion,
      endpoints: (b) => inRegion(`sagemaker:\n${indent(b, 2)}`),
      sagemaker: inRegion,
      roles: (b) => `${head}${indent(b, 6)}`,
      costs: (b) => `${head}${indent(b, 6)}`,
      budgets: (b) => `${head}${indent(b, 6)}`,
      anomalies: (b) => `${head}${indent(b, 6)}`,
      savingsPlans: (b) => `${head}${indent(b, 6)}`,
      s3: (b) => `${head}${indent(b, 6)}`,
      policy: (b) => `version: 1\nnow: 2025-06-18T12:00:00Z\n${b}`,
      gcp: (b) => `version: 1\nnow: 2025-06-18T12:00:00Z\n${b}`,
      azure: (b) => `version: 1\nnow: 2025-06-18T12:00:00Z\n${b}`,
    };

    expect(blocks.map((b) => b.split(':')[0])).toEqual(['version', 'aws', 'roles', 'sagemaker', 'sagemaker', 'sagemaker', 'cloudwatch', 'gcp', 'gcp', 'azure', 'azure', 'azure', 'costs', 'budgets', 'anomalies', 'savingsPlans', 's3', 'aws', 'policy', 'faults', 'endpoints']);
    for (const block of blocks) {
      const text = asWorld[block.split(':')[0] ?? '']?.(block) ?? '';
      expect(() => parseWorld(text, 'docs/world-file.md')).not.toThrow();
    }
  });
});

describe('generateWorld', () => {
  // How fast it is, is bench/scan.ts's business: no timed assertion here.
  it('builds 10,000 endpoints of every kind the same way for the same seed', () => {
    const world = generateWorld({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 2_500, seed: 9 });
    const again = generateWorld({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 2_500, seed: 9 });
    const other = generateWorld({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 2_500, seed: 10 });

    const endpoints = world.aws.accounts.flatMap((a) => Object.values(a.regions).flatMap((r) => r.sagemaker.endpoints));
    expect(endpoints).toHaveLength(10_000);
    expect(new Set(endpoints.map((e) => e.name.replace(/-\d+$/, '')))).toEqual(new Set(GENERATED_KINDS));
    expect(again).toEqual(world);
    expect(other).not.toEqual(world);
  });

  it('honours the mix', () => {
    const world = generateWorld({ endpointsPerRegion: 50, mix: { idle: 1, busy: 0, new: 0, 'no-data': 0, 'heartbeat-only': 0, nightly: 0, weekly: 0, serverless: 0, async: 0, 'multi-variant': 0 } });
    const names = world.aws.accounts[0]?.regions['us-east-1']?.sagemaker.endpoints.map((e) => e.name) ?? [];
    expect(names).toHaveLength(50);
    expect(names.every((n) => n.startsWith('idle-'))).toBe(true);
  });
});
