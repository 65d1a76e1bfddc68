import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { main } from '../../bin/costwatch.js';
import { sandboxCommand } from '../../bin/commands/sandbox.js';

async function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = await main(argv, { stdout, stderr, cwd, env });
  return { code, out, err };
}

const WORLD = `version: 1
now: 2026-11-28T12:00:00Z
aws:
  accounts:
    - id: "444444444444"
      name: cli
      regions:
        us-east-1:
          sagemaker:
            endpoints:
              - name: idle
                createdAt: -10d
                variants: [{ instanceType: ml.m5.large, instanceCount: 1, metrics: { invocations: { constant: 0 }, cpu: { constant: 1 } } }]
              - name: busy
                createdAt: -10d
                variants: [{ instanceType: ml.m5.large, instanceCount: 1, metrics: { invocations: { constant: 9 }, cpu: { constant: 50 } } }]
`;

/** Every file of a folder, by relative path, with the SHA-256 of its bytes. */
async function folderBytes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = createHash('sha256').update(await readFile(path)).digest('hex');
  }
  return out;
}

describe('costwatch CLI', () => {
  it('leaves the state folder byte for byte as it was after scan --dry-run, though it holds cached prices and proposals', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    const state = join(cwd, 'state');
    // A real scan first fills the folder: proposals, audit entries, Price List and anomaly cache items.
    expect((await run(['scan', '--state-dir', state], cwd)).code).toBe(0);
    const before = await folderBytes(state);

    const { code, out } = await run(['scan', '--dry-run', '--json', '--state-dir', state], cwd);

    expect(code).toBe(0);
    expect((JSON.parse(out) as { dryRun: boolean; findings: unknown[] }).findings.length).toBeGreaterThan(0);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    expect(await folderBytes(state)).toEqual(before);
  });

  it('creates no state folder on a dry run when there is none', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    expect((await run(['scan', '--dry-run', '--state-dir', join(cwd, 'never')], cwd)).code).toBe(0);
    await expect(stat(join(cwd, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('scans the bundled sample world with no config and says so on its first line', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    const { code, out } = await run(['scan'], cwd);
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toMatch(/no costwatch\.yml and no cloud credentials found: scanning the bundled sample sandbox world/);
    expect(out).toMatch(/WASTE endpoint \S+ had 0 invocations in 24 h/);
    expect(out).toMatch(/Total: \d+ wasteful resources, ~\$[\d,]+\.\d\d\/month/);
  }, 60_000); // a whole scan of three scopes, the Google clients' start-up included

  it('prints a JSON report for a given world and reads findings from it', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'world.yml'), WORLD);
    const { code, out, err } = await run(['scan', '--sandbox', 'world.yml', '--json', '--dry-run'], cwd);
    expect(code).toBe(0);
    expect(err).toContain('scanning the sandbox world world.yml');
    const report = JSON.parse(out) as { schema: string; dryRun: boolean; findings: { ruleId: string; resource: { name: string }; state: string; waste: { monthly: { amount: number } } }[] };
    expect(report.schema).toBe('costwatch.scan/v1');
    expect(report.dryRun).toBe(true);
    expect(report.findings.filter((f) => f.ruleId === 'idle-endpoint').map((f) => [f.resource.name, f.state, f.waste.monthly.amount])).toEqual([['idle', 'violation', 83.95]]);
  });

  it('gives the expected verdicts for a world written from the docs alone by someone who never read the code', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    const world = join(__dirname, '..', 'fixtures', 'worlds', 'from-docs.yml');
    const { code, out } = await run(['scan', '--sandbox', world, '--json', '--dry-run', '--state-dir', join(cwd, 's')], cwd);
    expect(code).toBe(0);
    const report = JSON.parse(out) as { findings: { ruleId: string; resource: { name: string }; state: string; confidence?: string }[]; stats: { notJudged: { resource: string; ruleId: string }[] } };
    const idle = report.findings.filter((f) => f.ruleId === 'idle-endpoint');
    const verdicts = Object.fromEntries(idle.map((f) => [f.resource.name, `${f.state}${f.confidence ? `/${f.confidence}` : ''}`]));
    expect(verdicts).toEqual({
      'idle-zeros': 'violation/high',
      'no-data': 'unknown',
      'heartbeat-only': 'violation/medium',
      'two-gpus-idle': 'violation/high',
    });
    // busy and nightly-batch are not idle; brand-new is too young to judge
    expect(report.stats.notJudged.filter((n) => n.ruleId === 'idle-endpoint').map((n) => n.resource)).toEqual(['brand-new']);
  });

  it('exits 2 naming file, line and key for a broken policy', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'costwatch.yml'), 'version: 1\nrules:\n  idle-endpoint:\n    mode: sometimes\n');
    const { code, err } = await run(['validate'], cwd);
    expect(code).toBe(2);
    expect(err).toMatch(/costwatch\.yml:4:11: rules\.idle-endpoint\.mode: /);
    const scan = await run(['scan'], cwd);
    expect(scan.code).toBe(2);
  });

  it('exits 2 with the reason for a broken world file', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'world.yml'), WORLD.replace('instanceCount: 1', 'instanceCount: one'));
    const { code, err } = await run(['scan', '--sandbox', 'world.yml'], cwd);
    expect(code).toBe(2);
    expect(err).toMatch(/world\.yml:\d+:\d+: aws\.accounts\[0\]\.regions\.us-east-1\.sagemaker\.endpoints\[0\]\.variants\[0\]\.instanceCount/);
  });

  it('scans with a policy against the sandbox and exits 1 when an account cannot be read', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'world.yml'), WORLD);
    await writeFile(
      join(cwd, 'costwatch.yml'),
      'version: 1\nclouds:\n  aws:\n    accounts:\n      - { id: "444444444444", regions: [us-east-1] }\n      - { id: "555555555555", regions: [us-east-1] }\n',
    );
    const { code, out } = await run(['scan', '--sandbox', 'world.yml', '--state-dir', join(cwd, 'state')], cwd);
    expect(code).toBe(1);
    expect(out).toMatch(/FAILED could not read .* 555555555555/);
    expect(out).toMatch(/WASTE endpoint idle had 0 invocations/);
  });

  it('serves the sandbox cloud until stopped and prints an endpoint the real SDK can use', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'world.yml'), WORLD);
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += String(d)));
    const stop = new AbortController();
    const serving = sandboxCommand(['serve', 'world.yml', '--port', '0'], { stdout, stderr: new PassThrough(), cwd, env: {} }, stop.signal);
    while (!out.includes('Press Ctrl+C')) await new Promise((r) => setTimeout(r, 20));
    const endpoint = /AWS endpoint:\s+(\S+)/.exec(out)?.[1];
    const key = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(out);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const sm = new SageMakerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: key![1]!, secretAccessKey: key![2]! } });
    const listed = await sm.send(new ListEndpointsCommand({}));
    expect(listed.Endpoints?.map((e) => e.EndpointName).sort()).toEqual(['busy', 'idle']);
    stop.abort();
    expect(await serving).toBe(0);
  });

  it('scans with only the rules named by --rules, reading only what they need, and refuses an unknown rule', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    await writeFile(join(cwd, 'world.yml'), WORLD);
    const { code, out, err } = await run(['scan', '--sandbox', 'world.yml', '--json', '--dry-run', '--rules', 'idle-endpoint'], cwd);
    expect(code).toBe(0);
    expect(err).toContain('rules idle-endpoint only: reading aws.sagemaker.endpoint (requests, heartbeat), gcp.vertex.endpoint (requests, heartbeat); no billing data');
    const report = JSON.parse(out) as { findings: { ruleId: string }[]; plan: { kinds: Record<string, string[]>; billing: string[] } };
    expect(new Set(report.findings.map((f) => f.ruleId))).toEqual(new Set(['idle-endpoint']));
    expect(report.plan).toEqual({ kinds: { 'aws.sagemaker.endpoint': ['requests', 'heartbeat'], 'gcp.vertex.endpoint': ['requests', 'heartbeat'] }, billing: [] });
    const bad = await run(['scan', '--sandbox', 'world.yml', '--rules', 'idle-endpiont'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--rules: unknown rule idle-endpiont');
  });

  it('refuses unknown commands and options with exit code 2', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'cw-cli-'));
    expect((await run(['frobnicate'], cwd)).code).toBe(2);
    const bad = await run(['scan', '--nope'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("Run 'costwatch help'");
    expect((await run(['scan', '--cloud', 'mars'], cwd)).code).toBe(2);
  });
});
