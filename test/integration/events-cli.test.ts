import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/costwatch.js';
import { eventCommand } from '../../bin/commands/event.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/events/', import.meta.url));

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = { stdout: '', stderr: '' };
  stdout.on('data', (d) => (out.stdout += String(d)));
  stderr.on('data', (d) => (out.stderr += String(d)));
  return { io: { stdout, stderr, cwd: FIXTURES, env: {} }, out };
}

async function run(argv: string[]) {
  const { io, out } = capture();
  const code = await main(argv, io);
  return { code, ...out };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-event-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('costwatch event parse', () => {
  it('prints the normalized event as JSON, detecting the source', async () => {
    const { code, stdout, stderr } = await run(['event', 'parse', 'sagemaker_endpoint_state_change__aws-doc.json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const e = JSON.parse(stdout) as Record<string, unknown>;
    expect(e).toMatchObject({ type: 'resource-state', source: 'sagemaker', kind: 'aws.sagemaker.endpoint', name: 'MyEndpoint', status: 'InService', statusAsSent: 'IN_SERVICE', occurredAt: '2020-03-10T09:18:09.050Z' });
  });

  it('reads every documented payload of every source', async () => {
    const files: [string, string][] = [
      ['budget_actual_message_body__cds-snc-sre-bot.txt', 'aws-budgets'],
      ['budget_actual_lambda_sns_event__sasa9477.json', 'aws-budgets'],
      ['cost_anomaly_sns_message_payload__moj-opg-aws-cost-notifier.json', 'aws-anomaly'],
      ['sagemaker_training_job_state_change__aws-doc.json', 'sagemaker'],
      ['CONSTRUCTED_budget_push_body_from_doc_examples.json', 'gcp-budget'],
      ['azure_budget_actual_cost_common_alert_schema__ms-doc.json', 'azure-budget'],
    ];
    for (const [file, source] of files) {
      const detected = await run(['event', 'parse', file]);
      const named = await run(['event', 'parse', file, '--source', source]);
      expect([detected.code, named.code], file).toEqual([0, 0]);
      expect((JSON.parse(detected.stdout) as { source: string }).source).toBe(source);
      expect(named.stdout).toBe(detected.stdout);
    }
  });

  it('prints the refusal reason and exits 2', async () => {
    const bad = await run(['event', 'parse', 'sagemaker_endpoint_deployment_state_change__aws-doc.txt']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^costwatch: refused: body is not valid JSON: /);

    const wrong = await run(['event', 'parse', 'azure_metric_alert_static_threshold_common_alert_schema__ms-doc.json', '--source', 'azure-budget']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('costwatch: refused as azure-budget: not a budget alert: monitoringService is "Platform", not CostAlerts\n');

    const unknown = await run(['event', 'parse', 'eventbridge_scheduled_event__aws-doc.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot tell which source this is from/);
  });

  it('refuses a file over 256 KB before reading it', async () => {
    const big = join(dir, 'big.json');
    await writeFile(big, `{"a":"${'x'.repeat(300_000)}"}`);
    const r = await run(['event', 'parse', big]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('costwatch: refused: big.json is 300008 bytes, over the 262144-byte limit\n'.replace('big.json', big));
  });

  it('reads standard input with -', async () => {
    const { io, out } = capture();
    const stdin = Readable.from([Buffer.from('{"schemaId":"azureMonitorCommonAlertSchema","data":{}}')]);
    const code = await eventCommand(['parse', '-', '--source', 'azure-budget'], { ...io, stdin });
    expect(code).toBe(2);
    expect(out.stderr).toMatch(/^costwatch: refused as azure-budget: data\.essentials: is missing/);
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await run(['event'])).code).toBe(2);
    expect((await run(['event', 'parse'])).stderr).toMatch(/takes one file/);
    expect((await run(['event', 'parse', 'x.json', '--source', 'aws'])).stderr).toMatch(/--source must be one of aws-budgets, aws-anomaly, sagemaker, gcp-budget, azure-budget/);
    expect((await run(['event', 'parse', 'missing.json'])).stderr).toMatch(/cannot read missing\.json: ENOENT/);
    expect((await run(['help'])).stdout).toContain('costwatch event parse FILE [--source aws-budgets|aws-anomaly|sagemaker|gcp-budget|azure-budget]');
  });
});
