import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildCostwatchApp } from '../../infra/build-app.js';
import { DEFAULT_SCHEDULES, loadDeployPolicy, runsPerMonth, scanSchedules, staggered } from '../../infra/deploy-config.js';
import { acknowledgeWildcards } from '../../infra/nag.js';
import { PROJECT_ROOT } from '../../infra/watchdog-stack.js';
import { loadPolicy } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';
import { allowedActions, documentStatements, ofType, type CfnTemplate } from './template.js';

const fixture = (name: string) => `test/infra/fixtures/${name}.yml`;

async function errorOf(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('the policy file at synth', () => {
  it('refuses an invalid file with the same problems the CLI reports, before building anything', async () => {
    const cli = await errorOf(loadPolicy(join(PROJECT_ROOT, fixture('invalid'))));
    const app = new App();
    const synth = await errorOf(buildCostwatchApp(app, { config: fixture('invalid') }));
    expect(synth.message).toBe(cli.message);
    expect(synth.problems.map((p) => p.key)).toEqual(['dryrun', 'clouds.aws.accounts[0].id', 'rules.idle-notebook.schedule']);
    expect(app.node.children).toEqual([]);
  });

  it('exits 2 from `cdk synth` printing the problems as `costwatch validate` does', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'costwatch-synth-'));
    try {
      const run = promisify(execFile);
      const err = (await run(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ config: fixture('invalid') }) },
      }).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: number; stderr: string };
      const cli = await errorOf(loadPolicy(join(PROJECT_ROOT, fixture('invalid'))));
      expect(err.code).toBe(2);
      expect(err.stderr).toBe(`3 problems:\n${cli.message}\n`);
      expect(err.stderr).toContain(`${join(PROJECT_ROOT, fixture('invalid'))}:3:1: dryrun: unknown key "dryrun"; did you mean dryRun?`);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });

  it('says how to point at the file when there is none', async () => {
    const err = await errorOf(loadDeployPolicy('no-such-dir/costwatch.yml'));
    expect(err.message).toMatch(/no-such-dir\/costwatch\.yml: file not found: create it \(see costwatch\.example\.yml\) or pass another with -c config=<path>$/);
  });

  it('refuses two accounts read without a role: only the deployment account can be', async () => {
    const err = await errorOf(loadDeployPolicy(fixture('two-own-accounts')));
    expect(err.problems).toEqual([
      {
        file: join(PROJECT_ROOT, fixture('two-own-accounts')),
        key: 'clouds.aws.accounts[1].roleName',
        message: 'is required when deploying: only one account (the one costwatch is deployed to) can be read without assuming a role; accounts[0] already is',
      },
    ]);
  });
});

describe('scan schedules', () => {
  it('put rules without a schedule on the default cadence of their kind', async () => {
    const { policy } = await loadDeployPolicy(fixture('minimal'));
    expect(scanSchedules(policy)).toEqual([
      { expression: DEFAULT_SCHEDULES.daily, at: 'cron(7 1 * * ? *)', rules: ['cold-artifacts', 'budget-breach', 'forecast-breach', 'cost-anomaly', 'spot-training', 'untagged-spend', 'commitment-coverage', 'billing-cap'] },
      { expression: DEFAULT_SCHEDULES.resource, at: 'cron(22 1/6 * * ? *)', rules: ['idle-endpoint', 'underused-endpoint', 'idle-notebook', 'idle-studio-app', 'long-training-job', 'idle-cluster', 'autoscaling-floor'] },
    ]);
    // The launch guard (off by default) runs hourly when enabled: its scans act on unanswered guards.
    const guarded = { ...policy, rules: { ...policy.rules, 'launch-guard': { ...policy.rules['launch-guard'], enabled: true } } };
    expect(scanSchedules(guarded).find((s) => s.rules.includes('launch-guard'))).toMatchObject({ expression: DEFAULT_SCHEDULES.guard, rules: ['launch-guard'] });
  });

  it('stagger the example policy: no two schedules fire in the same minute, and each fires as often as written', async () => {
    const { policy } = await loadDeployPolicy('costwatch.example.yml');
    const all = scanSchedules(policy);
    expect(all.map((s) => [s.expression, s.at])).toEqual([
      ['cron(0 19 ? * MON-FRI *)', 'cron(0 19 ? * MON-FRI *)'],
      ['cron(30 4 ? * MON *)', 'cron(30 4 ? * MON *)'],
      ['rate(1 day)', 'cron(37 3 * * ? *)'],
      ['rate(1 hour)', 'cron(52 * * * ? *)'],
      ['rate(6 hours)', 'cron(12 4/6 * * ? *)'],
    ]);
    const minutes = all.map((s) => s.at.split(/[( ]/)[1]);
    expect(new Set(minutes).size).toBe(all.length);
    for (const s of all) expect(runsPerMonth(s.at), s.expression).toBeCloseTo(runsPerMonth(s.expression)!, 6);
  });

  it('convert rates exactly or keep them, and count runs per month', () => {
    expect(staggered('rate(15 minutes)', 22, 0)).toBe('cron(7/15 * * * ? *)');
    expect(staggered('rate(7 minutes)', 22, 0)).toBe('rate(7 minutes)');
    expect(staggered('rate(5 hours)', 22, 0)).toBe('rate(5 hours)');
    expect(staggered('rate(2 days)', 22, 0)).toBe('rate(2 days)');
    expect(staggered('cron(0 8 ? * MON *)', 22, 0)).toBe('cron(0 8 ? * MON *)');
    expect(runsPerMonth('rate(1 hour)')).toBe(730);
    expect(runsPerMonth('cron(7/15 * * * ? *)')).toBeCloseTo(2920, 6);
    expect(runsPerMonth('cron(0 9 ? * MON *)')).toBeCloseTo(52 / 12, 6);
    expect(runsPerMonth('cron(0 8 1 * ? *)')).toBe(1);
    expect(runsPerMonth('cron(0 8 L * ? *)')).toBeUndefined();
  });

  it('group rules by their own schedule and leave disabled rules out', async () => {
    const { policy } = await loadDeployPolicy(fixture('deploy'));
    const all = scanSchedules(policy);
    expect(all.find((s) => s.expression === 'rate(1 hour)')?.rules).toEqual(['idle-endpoint']);
    expect(all.find((s) => s.expression === 'cron(0 19 ? * MON-FRI *)')?.rules).toEqual(['idle-notebook']);
    expect(all.flatMap((s) => s.rules)).not.toContain('idle-studio-app');
  });
});

describe('what a policy deploys', () => {
  it('deploys no webhook, no cloud secret and no member trust for an AWS-only policy read with its own roles', async () => {
    // Bundling skipped: this is about which constructs exist, not about the code in them.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const { watchdog } = await buildCostwatchApp(app, { config: fixture('minimal') });
    expect([...watchdog.functions.keys()].sort()).toEqual(['digest', 'events-eventbridge', 'events-sns', 'execute', 'scan-dispatch', 'scan-worker', 'slack-interactions']);
    expect([...watchdog.secrets.keys()]).toEqual(['slackSecretArn']);
    expect(watchdog.memberTrustedRoles).toEqual([]);
    const template = app.synth().getStackByName('costwatch').template as CfnTemplate;
    const granted = ofType(template, 'AWS::IAM::Policy').flatMap(([, p]) => allowedActions(documentStatements(p.Properties!['PolicyDocument'])));
    expect(granted).not.toContain('sts:AssumeRole');
    expect(granted).toContain('sagemaker:DeleteEndpoint');
    expect(template.Outputs?.['MemberTrustedRoleArns']).toBeUndefined();
    // No Google Cloud or Azure executor, so no queue of theirs: the AWS executor's and the scan queue (and their dead letters).
    const queues = ofType(template, 'AWS::SQS::Queue').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(queues.filter((id) => !/Dlq/.test(id)).sort()).toEqual(['ExecutionQueue', 'ScanQueue']);
    for (const [, fn] of ofType(template, 'AWS::Lambda::Function')) {
      const vars = Object.keys((fn.Properties!['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
      expect(vars.filter((v) => /^(GCP|AZURE)_EXECUTION_QUEUE_URL$/.test(v))).toEqual([]);
    }
    // Every rule on its default cadence: two scan schedules, and the digest.
    expect(ofType(template, 'AWS::Scheduler::Schedule').length).toBe(3);
  });
});

describe('Google Cloud by workload identity federation', () => {
  it('deploys the Google Cloud scan function and executor without a Google secret, and outputs both roles for the pool', async () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const { watchdog } = await buildCostwatchApp(app, { config: fixture('gcp-federated') });
    expect([...watchdog.functions.keys()].filter((n) => n.endsWith('-gcp')).sort()).toEqual(['execute-gcp', 'scan-worker-gcp', 'webhook-gcp']);
    expect(watchdog.secrets.has('gcpSecretArn')).toBe(false);
    const template = app.synth().getStackByName('costwatch').template as CfnTemplate;
    const output = template.Outputs?.['GcpFederatedRoleArns'] as { Value: { 'Fn::Join': [string, { 'Fn::GetAtt': [string, string] }[]] } } | undefined;
    const roles = output?.Value['Fn::Join'][1].map((r) => r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, ''));
    // The AWS executor never calls Google: its role is not one of them.
    expect(roles).toEqual(['ScanWorkerGcpRole', 'ExecuteGcpRole']);
  });
});

describe('cdk-nag in the tests', () => {
  it('reports a wildcard nobody acknowledged, and not one that was acknowledged with its reason', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'costwatch-nag-'));
    try {
      const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false }, builtinCloudFormationValidation: false });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      const stack = new Stack(app, 'Probe');
      const wild = (id: string) => {
        const role = new Role(stack, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
        const st = new PolicyStatement({ actions: ['sagemaker:ListEndpoints'], resources: ['*'] });
        role.addToPrincipalPolicy(st);
        return { role, st };
      };
      wild('Unacknowledged');
      const ok = wild('Acknowledged');
      acknowledgeWildcards(ok.role, [ok.st], 'List calls have no resource-level permissions.');
      app.synth();
      const report = JSON.parse(await readFile(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath?: string }[] }[] }[];
      };
      const found = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((r) => `${v.ruleName} ${r.constructPath}`)));
      expect(found).toEqual(['AwsSolutions-IAM5[Resource::*] Probe/Unacknowledged/DefaultPolicy/Resource']);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
