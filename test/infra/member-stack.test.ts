import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCostwatchApp, STACK_NAMES } from '../../infra/build-app.js';
import { PROJECT_ROOT } from '../../infra/watchdog-stack.js';
import { ConfigError } from '../../shared/errors.js';
import { synthCostwatch, type Synthesized } from './synth.js';
import { allowedActions, ofType, resourcesOf, roleStatements, type CfnTemplate } from './template.js';

const FIXTURE = 'test/infra/fixtures/deploy.yml';
const MEMBER = '222222222222';
const WORKER = 'arn:aws:iam::111111111111:role/costwatch-ScanWorkerRoleC3DDAC09-AbCdEf';
const EXECUTOR = 'arn:aws:iam::111111111111:role/costwatch-ExecuteRole1A2B3C4D-GhIjKl';

// Only the member stack is bundled: the watchdog's functions are not needed here.
const memberContext = (over: Record<string, unknown> = {}) => ({
  memberAccount: MEMBER,
  watchdogRoleArns: `${WORKER},${EXECUTOR}`,
  'aws:cdk:bundling-stacks': [STACK_NAMES.member],
  ...over,
});

let s: Synthesized;
let t: CfnTemplate;
let roleId: string;

beforeAll(async () => {
  s = await synthCostwatch({ config: FIXTURE, context: memberContext() });
  t = s.template(STACK_NAMES.member) as CfnTemplate;
  roleId = ofType(t, 'AWS::IAM::Role')[0]![0];
}, 60_000);

afterAll(async () => {
  await s?.cleanup();
});

const arn = (region: string, type: string) => `arn:<AWS::Partition>:sagemaker:${region}:${MEMBER}:${type}/*`;

describe('the member-account stack', () => {
  it('is one role named as the policy says, pinned to the member account', () => {
    expect(ofType(t, 'AWS::IAM::Role').length).toBe(1);
    expect(t.Resources[roleId]!.Properties!['RoleName']).toBe('CostwatchReadAndAct');
    expect(s.built.member?.account).toBe(MEMBER);
    expect(t.Outputs?.['RoleArn']).toBeDefined();
  });

  it('trusts only the watchdog roles it is given, with the external id of the policy', () => {
    expect((t.Resources[roleId]!.Properties!['AssumeRolePolicyDocument'] as { Statement: unknown[] }).Statement).toEqual(
      [WORKER, EXECUTOR].map((principal) => ({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: principal },
        Condition: { StringEquals: { 'sts:ExternalId': 'costwatch-ml-prod' } },
      })),
    );
  });

  it('grants the scan reads and the remediations of the rules the policy lets act, in its regions', () => {
    const st = roleStatements(t, roleId);
    const actions = allowedActions(st);
    expect(actions).toEqual(expect.arrayContaining(['sagemaker:ListEndpoints', 'sagemaker:DescribeEndpoint', 'cloudwatch:GetMetricData', 'ce:GetCostAndUsage', 'budgets:ViewBudget']));
    // idle-endpoint (auto), idle-notebook and cold-artifacts (approve), with their undo calls;
    // not DeleteApp (idle-studio-app is disabled) nor StopTrainingJob (long-training-job notifies).
    expect(actions.filter((a) => /^sagemaker:(Create|Delete|Stop|Start|Add)|^s3:Put/.test(a))).toEqual([
      's3:PutLifecycleConfiguration',
      'sagemaker:AddTags',
      'sagemaker:CreateEndpoint',
      'sagemaker:DeleteEndpoint',
      'sagemaker:StartNotebookInstance',
      'sagemaker:StopNotebookInstance',
    ]);
    expect(resourcesOf(st, 'sagemaker:DeleteEndpoint').sort()).toEqual([arn('eu-west-1', 'endpoint'), arn('us-east-1', 'endpoint')]);
    expect(resourcesOf(st, 's3:PutLifecycleConfiguration')).toEqual(['arn:<AWS::Partition>:s3:::ml-artifacts-prod']);
    expect(st.find((x) => x.effect === 'Deny')).toMatchObject({
      actions: ['sagemaker:DeleteEndpoint', 'sagemaker:StopNotebookInstance'],
      conditions: { StringEqualsIgnoreCase: { 'aws:ResourceTag/costwatch:exempt': 'true' } },
    });
  });

  it('is clean for cdk-nag, wildcards acknowledged on the policies that hold them', () => {
    expect(s.violations.map((v) => `${v.rule} ${v.resources.join(', ')}`)).toEqual([]);
  });

  it('has no external id condition for an account configured without one', async () => {
    const other = await synthCostwatch({ config: FIXTURE, context: memberContext({ memberAccount: '333333333333' }) });
    try {
      const tt = other.template(STACK_NAMES.member) as CfnTemplate;
      const [, role] = ofType(tt, 'AWS::IAM::Role')[0]!;
      expect((role.Properties!['AssumeRolePolicyDocument'] as { Statement: { Condition?: unknown }[] }).Statement[0]!.Condition).toBeUndefined();
      const describe = resourcesOf(roleStatements(tt, ofType(tt, 'AWS::IAM::Role')[0]![0]), 'sagemaker:DescribeEndpoint');
      expect(describe).toContain('arn:<AWS::Partition>:sagemaker:us-west-2:333333333333:endpoint/*');
      for (const r of describe) expect(r).toMatch(/^arn:<AWS::Partition>:sagemaker:us-west-2:333333333333:[a-z-]+\/\*$/);
    } finally {
      await other.cleanup();
    }
  });
});

describe('member-stack context', () => {
  const problems = async (context: Record<string, unknown>) => {
    const err = await buildCostwatchApp(new App({ context: { 'aws:cdk:bundling-stacks': [STACK_NAMES.member], ...context } }), { config: FIXTURE }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.file === 'cdk context' ? '-c' : 'file'} ${p.key}: ${p.message}`);
  };

  it('refuses an account the policy does not list, or lists without a role', async () => {
    expect(await problems({ memberAccount: '999999999999', watchdogRoleArns: WORKER })).toEqual(['-c memberAccount: 999999999999 is not listed in clouds.aws.accounts of ' + join(PROJECT_ROOT, FIXTURE)]);
    expect(await problems({ memberAccount: '111111111111', watchdogRoleArns: WORKER })).toEqual([
      'file clouds.aws.accounts[0].roleName: is required for a member account: it names the role the member stack creates and the watchdog assumes in 111111111111',
    ]);
  });

  it('refuses missing or malformed watchdog role ARNs, naming each', async () => {
    expect(await problems({ memberAccount: MEMBER })).toEqual(['-c watchdogRoleArns: is required: the MemberTrustedRoleArns output of the costwatch stack (comma-separated role ARNs)']);
    expect(await problems({ memberAccount: '12345', watchdogRoleArns: `${WORKER},arn:aws:iam::111111111111:user/alice` })).toEqual([
      '-c memberAccount: must be a 12-digit AWS account id, got "12345"',
      '-c watchdogRoleArns: not an IAM role ARN: arn:aws:iam::111111111111:user/alice',
    ]);
  });
});
