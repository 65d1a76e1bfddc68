import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { defineWorld, loadWorld, parseWorld, SAMPLE_WORLD_PATH } from '../../shared/sandbox/index.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const account = (extra: Record<string, unknown>) => ({ id: '111111111111', name: 'a', ...extra });

describe('world file: costs, budgets, anomalies, S3 and the price list', () => {
  it('gives the sample world costs, an AWS budget, anomalies, a cold bucket, prices and a policy', async () => {
    const w = await loadWorld(SAMPLE_WORLD_PATH);
    const prod = w.aws.accounts[0]!;

    expect(prod.costs.daily.length).toBeGreaterThan(0);
    expect(prod.budgets.map((b) => b.name)).toEqual(['s3-monthly']);
    expect(prod.anomalies).toHaveLength(2);
    expect(prod.s3.buckets.map((b) => b.name)).toEqual(['ml-artifacts-prod']);
    expect(w.aws.priceList.sagemaker.length).toBeGreaterThan(0);
    expect(w.policy).toMatchObject({ budgets: [{ name: 'sagemaker-prod' }, { name: 'ml-platform' }] });
  });

  it('reports each problem of these sections at its line', () => {
    const text = [
      'version: 1', //                                                                     1
      'now: 2025-06-18T12:00:00Z', //                                                       2
      'aws:', //                                                                            3
      '  accounts:', //                                                                     4
      '    - id: "111111111111"', //                                                        5
      '      name: a', //                                                                   6
      '      costs:', //                                                                    7
      '        currency: usd', //                                                           8
      '        daily: [{ service: S3, amount: 1 }]', //                                     9
      '      budgets: [{ name: b, limit: 10, filters: { UsageType: [x] } }]', //           10
      '      anomalies: [{ start: -1d, expected: 10, actual: 5 }]', //                     11
      '      s3:', //                                                                      12
      '        buckets:', //                                                               13
      '          - name: Bad_Bucket', //                                                   14
      '            objects: [{ count: 1, size: 5 parsecs, lastModified: -1d }]', //       15
      '            lifecycle: { rules: [{ ID: r, Status: Enabled, Transitions: [{ Days: 7, StorageClass: STANDARD_IA }] }] }', // 16
      'policy: { budgets: [{ name: x }] }', //                                            17
    ].join('\n');

    const problems = problemsOf(() => parseWorld(text, 'w.yml'));

    expect(problems).toEqual([
      'w.yml:8:19: aws.accounts[0].costs.currency: an ISO 4217 currency code in upper case, like USD',
      expect.stringMatching(/^w\.yml:9:\d+: aws\.accounts\[0\]\.costs\.daily\[0\]\.from: is required: a time such as/),
      expect.stringMatching(/^w\.yml:10:\d+: aws\.accounts\[0\]\.budgets\[0\]\.filters\.UsageType: the sandbox computes spend for filters Service, LinkedAccount, Region, TagKeyValue only/),
      expect.stringMatching(/^w\.yml:11:\d+: aws\.accounts\[0\]\.anomalies\[0\]\.actual: an anomaly spends more than expected/),
      expect.stringMatching(/^w\.yml:14:\d+: aws\.accounts\[0\]\.s3\.buckets\[0\]\.name: a bucket name is 3–63 lower-case letters/),
      expect.stringMatching(/^w\.yml:15:\d+: aws\.accounts\[0\]\.s3\.buckets\[0\]\.objects\[0\]\.size: "5 parsecs" is not a size/),
      expect.stringMatching(/^w\.yml:16:\d+: aws\.accounts\[0\]\.s3\.buckets\[0\]\.lifecycle\.rules\[0\]\.Transitions\[0\]\.Days: 'Days' in Transition action must be greater than or equal to 30/),
      expect.stringMatching(/^w\.yml:17:\d+: policy\.budgets\[0\]\.amount: /),
    ]);
  });

  it('refuses a bucket two accounts declare, and a FOCUS CSV that does not exist', () => {
    const bucket = { s3: { buckets: [{ name: 'shared-name' }] } };

    expect(problemsOf(() => defineWorld({ version: 1, now: '2025-06-18T12:00:00Z', aws: { accounts: [account(bucket), { ...account(bucket), id: '222222222222' }] } }))).toEqual([
      '<world object>: aws.accounts[1].s3.buckets[0].name: bucket "shared-name" is already declared in aws.accounts[0]: bucket names are global',
    ]);
    expect(problemsOf(() => defineWorld({ version: 1, now: '2025-06-18T12:00:00Z', aws: { accounts: [account({ costs: { focusCsv: { path: 'no/such.csv' } } })] } }))[0]).toMatch(
      /aws\.accounts\[0\]\.costs\.focusCsv\.path: file not found: .*no\/such\.csv$/,
    );
  });

  it('reads sizes with units and applies the S3 defaults', () => {
    const w = defineWorld({
      version: 1,
      now: '2025-06-18T12:00:00Z',
      aws: { accounts: [account({ s3: { buckets: [{ name: 'b-1', objects: [{ count: 1, size: '1.5 GiB', lastModified: '-1d' }], lifecycle: { rules: [{ Status: 'Enabled', Expiration: { Date: '2026-01-01' } }] } }] } })] },
    });
    const b = w.aws.accounts[0]!.s3.buckets[0]!;

    expect(b.objects[0]).toMatchObject({ size: 1610612736, prefix: '', name: 'object', storageClass: 'STANDARD' });
    expect(b.region).toBe('us-east-1');
    expect(b.lifecycle).toEqual({ transitionDefaultMinimumObjectSize: 'all_storage_classes_128K', rules: [{ Status: 'Enabled', Expiration: { Date: '2026-01-01T00:00:00.000Z' } }] });
  });
});
