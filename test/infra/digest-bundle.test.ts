import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPackages, externalImports, type Metafile } from '../../infra/bundle-inspect.js';
import { constructIdOf, FUNCTIONS, RESVG_NATIVE_PACKAGES } from '../../infra/function-table.js';
import { ENV } from '../../functions/lib/contract.js';
import { POLICY_ARTIFACT_NAME } from '../../shared/config/artifact.js';
import { startSlackStub, type SlackStub } from '../../shared/sandbox/slack/index.js';
import { STATE_TABLE_SCHEMA } from '../../shared/store/dynamo-store.js';
import { startAwsJsonStub } from './aws-json-stub.js';
import { synthCostwatch, type Synthesized } from './synth.js';
import { functionId, type CfnTemplate } from './template.js';

/*
 * The digest function carries the chart stack (Vega-Lite, Vega, resvg and its native binary, the
 * font) and no other function does; its bundle, as synthesized, renders and posts a digest in Node.
 */

const CHART_PACKAGES = [/^vega($|-)/, /^@resvg\//];
const OWN = '111111111111';

let s: Synthesized;
let t: CfnTemplate;
let names: string[];

beforeAll(async () => {
  s = await synthCostwatch({ config: 'test/infra/fixtures/deploy.yml', inspectBundles: true });
  t = s.template('costwatch') as CfnTemplate;
  names = FUNCTIONS.filter((f) => s.built.watchdog.functions.has(f.name)).map((f) => f.name);
}, 180_000);

afterAll(async () => {
  await s?.cleanup();
});

function assetDir(name: string): string {
  const meta = t.Resources[functionId(t, constructIdOf(name))]!.Metadata!;
  return join(s.assembly.directory, String(meta['aws:asset:path']));
}

function metafile(name: string): Metafile {
  return JSON.parse(readFileSync(join(assetDir(name), 'index.meta.json'), 'utf8')) as Metafile;
}

const isChart = (p: string) => CHART_PACKAGES.some((re) => re.test(p));

describe('the chart stack', () => {
  it('is in the digest bundle only: no other bundle contains or imports Vega or resvg', () => {
    for (const name of names.filter((n) => n !== 'digest')) {
      const meta = metafile(name);
      expect({ [name]: [...bundledPackages(meta).keys()].filter(isChart) }).toEqual({ [name]: [] });
      expect({ [name]: externalImports(meta).filter(isChart) }).toEqual({ [name]: [] });
      expect(existsSync(join(assetDir(name), 'node_modules')), `${name} carries node_modules`).toBe(false);
    }
    const digest = metafile('digest');
    expect([...bundledPackages(digest).keys()]).toEqual(expect.arrayContaining(['vega-lite', 'vega-scenegraph']));
    expect(externalImports(digest)).toContain('@resvg/resvg-js');
  });

  it('ships the native resvg package matching the digest function’s architecture, and the font', () => {
    const dir = assetDir('digest');
    const fn = t.Resources[functionId(t, constructIdOf('digest'))]!.Properties!;
    expect(fn['Architectures']).toEqual(['x86_64']);
    for (const pkg of RESVG_NATIVE_PACKAGES) expect(existsSync(join(dir, 'node_modules', pkg, 'package.json')), pkg).toBe(true);
    const binary = readdirSync(join(dir, 'node_modules', '@resvg/resvg-js-linux-x64-gnu')).filter((f) => f.endsWith('.node'));
    expect(binary).toEqual(['resvgjs.linux-x64-gnu.node']);
    expect(readFileSync(join(dir, 'fonts', 'DejaVuSans.ttf')).subarray(0, 4)).toEqual(Buffer.from([0, 1, 0, 0]));
    // Figures for the report (printed, not asserted): bundle and native package sizes.
    const size = (p: string): number => (statSync(p).isDirectory() ? readdirSync(p).reduce((a, f) => a + size(join(p, f)), 0) : statSync(p).size);
    console.log(`digest bundle: index.mjs ${size(join(dir, 'index.mjs'))} B, node_modules ${size(join(dir, 'node_modules'))} B, fonts ${size(join(dir, 'fonts'))} B, whole asset ${size(dir)} B`);
  });

  it('renders and posts a digest with its charts from the synthesized bundle in Node', async () => {
    const require = createRequire(import.meta.url);
    const dynalite = (require('dynalite') as (o: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((ok) => dynalite.listen(0, '127.0.0.1', ok));
    const ddbUrl = `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`;
    const ddb = new DynamoDBClient({ endpoint: ddbUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const aws = await startAwsJsonStub();
    let slack: SlackStub | undefined;
    try {
      await ddb.send(new CreateTableCommand({ TableName: 'state', KeySchema: STATE_TABLE_SCHEMA.keySchema, AttributeDefinitions: STATE_TABLE_SCHEMA.attributeDefinitions, BillingMode: STATE_TABLE_SCHEMA.billingMode }));
      await new Promise((r) => setTimeout(r, 20));
      slack = await startSlackStub();
      const secretArn = `arn:aws:secretsmanager:us-east-1:${OWN}:secret:slack`;
      aws.secrets.set(secretArn, JSON.stringify({ botToken: slack.workspace.botToken, signingSecret: 'test-signing' }));
      const dir = assetDir('digest');
      const env = { [ENV.stateTable]: 'state', [ENV.policyFile]: join(dir, POLICY_ARTIFACT_NAME), [ENV.slackSecretArn]: secretArn };
      const script = `
        const m = await import(${JSON.stringify(join(dir, 'index.mjs'))});
        const handler = m.createHandler({ slackApiUrl: ${JSON.stringify(slack.slackApiUrl)}, env: ${JSON.stringify(env)} });
        const t0 = performance.now();
        const out = await handler({ digest: 'weekly' }, { functionName: 'digest', awsRequestId: 'r1', getRemainingTimeInMillis: () => 60000 });
        console.log('RESULT ' + JSON.stringify({ out, ms: Math.round(performance.now() - t0) }));
        process.exit(0);`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url, AWS_ENDPOINT_URL_DYNAMODB: ddbUrl, ...env },
        timeout: 60_000,
        cwd: '/',
      });
      const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as { out: { posted: boolean; charts: string[] }; ms: number };
      console.log(`digest from its bundle: posted in ${result.ms} ms (first run, charts included)`);

      expect(result.out).toEqual({ posted: true, charts: ['savings-usd.png'] });
      const file = slack.workspace.files()[0]!;
      expect(file.completed).toBe(true);
      expect(file.bytes!.subarray(1, 4).toString()).toBe('PNG');
      expect(slack.workspace.allMessages().filter((msg) => msg.text.startsWith('costwatch weekly digest'))).toHaveLength(1);
    } finally {
      await slack?.close();
      await aws.close();
      ddb.destroy();
      await new Promise<void>((ok) => dynalite.close(() => ok()));
    }
  }, 90_000);
});
