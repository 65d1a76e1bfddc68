import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../bin/costwatch.js';
import { PNG_SIZE } from '../../shared/report/charts.js';
import { openEmbeddedStore } from '../../shared/store/embedded-store.js';
import { decodePng } from '../support/png.js';

async function run(argv: string[], cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, cwd, env: {} });
  return { code, out, err };
}

describe('costwatch digest', () => {
  it('writes at least two PNG charts and a digest whose realized savings are rate × hours off of the sandbox’s executed actions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-digest-'));

    const r = await run(['digest', '--sandbox', '--out', 'out'], dir);

    expect(r).toMatchObject({ code: 0, err: '' });
    const files = (await readdir(join(dir, 'out'))).sort();
    expect(files).toEqual(['digest.json', 'savings-usd.png', 'spend-usd.png']);
    for (const f of files.filter((x) => x.endsWith('.png'))) {
      const img = decodePng(await readFile(join(dir, 'out', f)));
      expect([img.width, img.height]).toEqual([PNG_SIZE.width, PNG_SIZE.height]);
    }
    const digest = JSON.parse(await readFile(join(dir, 'out', 'digest.json'), 'utf8')) as {
      schema: string;
      realized: { week: { amount: number; currency: string }[]; entries: { hourly: { amount: number }; hoursOff: number; realized: { amount: number } }[] };
      message: { text: string; blocks: unknown[] };
    };
    expect(digest.schema).toBe('costwatch.digest/v1');
    const entries = digest.realized.entries;
    expect(entries.length).toBeGreaterThanOrEqual(4);
    for (const e of entries) {
      expect(e.hoursOff).toBe(72);
      expect(e.realized.amount).toBeCloseTo(e.hourly.amount * 72, 9);
    }
    const total = entries.reduce((a, e) => a + e.hourly.amount * e.hoursOff, 0);
    expect(digest.realized.week).toEqual([{ amount: expect.closeTo(total, 6) as number, currency: 'USD' }]);
    expect(digest.message.text).toContain(`realized savings $${total.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} this week`);
    expect(r.out).toMatch(/approved and executed \d+ actions as cli:sandbox-digest/);
    // The sample world's ml-dev spends $20 of SageMaker a day without a team tag: the month's untagged share.
    const untagged = /AI spend without a team tag this month: \$(\d+)\.00 of \$([\d,]+)\.00 \((\d+)%\)/.exec(JSON.stringify(digest.message.blocks));
    expect(untagged).not.toBeNull();
    expect(Number(untagged![1]) % 20).toBe(0);
    expect(Number(untagged![1])).toBeGreaterThan(0);
  }, 120_000);

  it('refuses to run without --out, and without a policy or --sandbox, saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-digest-'));

    expect(await run(['digest', '--sandbox'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('--out DIR is required') });
    expect(await run(['digest', '--out', 'x'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('no costwatch.yml found') });
  });
});

describe('costwatch savings', () => {
  it('prints each entry with its arithmetic and totals per cloud, scope, rule, team and month, as text and JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cw-savings-'));
    const store = await openEmbeddedStore({ dir: join(dir, 'state') });
    const resource = { cloud: 'aws' as const, scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint' as const, id: 'arn:fraud-v3', name: 'fraud-v3' };
    const base = { actionKind: 'aws.sagemaker.delete-endpoint', ruleId: 'idle-endpoint', resource, arithmetic: 'ml.g5.xlarge $1.408/h × 2 = $2.816/h', priceSource: 'bundled price table 2025-10 (us-east-1)' };
    await store.openSavings({ ...base, id: 'p1', team: 'fraud', hourly: { amount: 2.816, currency: 'USD' }, openedAt: new Date('2025-06-30T12:00:00Z') });
    await store.closeSavings('p1', new Date('2025-07-01T12:00:00Z'), 'undone', 'undone by U1');
    await store.openSavings({ ...base, id: 'p2', resource: { ...resource, id: 'arn:eu', name: 'eu' }, hourly: { amount: 1, currency: 'EUR' }, openedAt: new Date('2025-07-01T00:00:00Z') });
    await store.closeSavings('p2', new Date('2025-07-01T10:00:00Z'), 'recreated', 'eu was created again');
    await store.close();

    const text = await run(['savings', '--state-dir', 'state'], dir);
    const json = await run(['savings', '--state-dir', 'state', '--json'], dir);
    const since = await run(['savings', '--state-dir', 'state', '--json', '--since', '2025-07-01'], dir);
    const bad = await run(['savings', '--state-dir', 'state', '--since', 'yesterday'], dir);

    expect(text.code).toBe(0);
    expect(text.out).toContain('rate: ml.g5.xlarge $1.408/h × 2 = $2.816/h (bundled price table 2025-10 (us-east-1))');
    expect(text.out).toContain('realized: $2.816/h × 24 h off = $67.58');
    expect(text.out).toContain('aws 111111111111 idle-endpoint team fraud 2025-06: $33.79 (12 h, 1 entry)');
    expect(text.out).toContain('aws 111111111111 idle-endpoint team fraud 2025-07: $33.79 (12 h, 1 entry)');
    expect(text.out).toContain('Total: 10.00 EUR + $67.58');
    const parsed = JSON.parse(json.out) as { schema: string; totals: unknown; entries: { id: string; hoursOff: number; closeReason: string }[] };
    expect(parsed.schema).toBe('costwatch.savings/v1');
    expect(parsed.totals).toEqual([{ amount: 10, currency: 'EUR' }, { amount: expect.closeTo(67.584, 9) as number, currency: 'USD' }]);
    expect(parsed.entries.map((e) => [e.id, e.hoursOff, e.closeReason])).toEqual([
      ['p1', 24, 'undone'],
      ['p2', 10, 'recreated'],
    ]);
    expect((JSON.parse(since.out) as { entries: { id: string; hoursOff: number }[] }).entries.map((e) => [e.id, e.hoursOff])).toEqual([
      ['p1', 12],
      ['p2', 10],
    ]);
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining('--since must be a date') });
  });
});
