import { App, Stack } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { assumeRoleAccess, readAccess, REMEDIATIONS, remediatingRules, remediationAccess } from '../../infra/aws-access.js';
import { forbiddenSdkPackages, packageOf, type Metafile } from '../../infra/bundle-inspect.js';
import { assumedRoles, loadDeployPolicy } from '../../infra/deploy-config.js';
import type { Policy, RuleId } from '../../shared/config/schema.js';
import { RESOURCE_RULES } from '../../shared/rules/index.js';
import { awsCallsIn } from './aws-calls.js';

let policy: Policy;
beforeAll(async () => {
  policy = (await loadDeployPolicy('test/infra/fixtures/deploy.yml')).policy;
});

function actionsOf(statements: readonly PolicyStatement[]): Set<string> {
  const stack = new Stack(new App(), 'Probe');
  const out = new Set<string>();
  for (const s of statements) {
    const json = stack.resolve(s.toStatementJson()) as { Effect: string; Action: string | string[] };
    if (json.Effect === 'Allow') for (const a of [json.Action].flat()) out.add(a);
  }
  return out;
}

describe('the AWS access catalogue', () => {
  it('grants every call the AWS provider makes, to a member role with every remediation', () => {
    const scope = { accountId: '222222222222', regions: ['us-east-1'] };
    const granted = actionsOf([
      ...readAccess(policy, scope).statements,
      ...remediationAccess(policy, scope, remediatingRules(policy, 'all'), { undo: true })!.statements,
      ...assumeRoleAccess(assumedRoles(policy))!.statements,
    ]);
    const calls = awsCallsIn('shared/providers/aws');
    expect(calls.length).toBeGreaterThan(20);
    expect(calls.filter((c) => !granted.has(c.action)).map((c) => `${c.file}: ${c.operation} needs ${c.action}`)).toEqual([]);
    // And nothing the provider does not call, but the tag authorization CreateEndpoint needs to re-create with tags.
    const called = new Set(calls.map((c) => c.action));
    expect([...granted].filter((a) => !called.has(a)).sort()).toEqual(['sagemaker:AddTags']);
  });

  it('has the remediation calls of every rule that has an action', () => {
    // AWS IAM covers the rules with an AWS action; Azure's (idle-cluster) are Azure RBAC (docs/azure.md).
    const withActions = RESOURCE_RULES.filter((r) => Object.keys(r.actions).some((k) => k.startsWith('aws.'))).map((r) => r.id).sort();
    expect(withActions.length).toBeGreaterThan(0);
    expect(Object.keys(REMEDIATIONS).sort()).toEqual(withActions);
  });

  it('gives the scanner the rules in auto mode and the executor those in approve or auto mode', () => {
    expect(remediatingRules(policy, 'auto')).toEqual(['idle-endpoint']);
    expect(remediatingRules(policy, 'approved').sort()).toEqual(['cold-artifacts', 'idle-endpoint', 'idle-notebook']);
    expect(remediatingRules({ ...policy, dryRun: true }, 'approved')).toEqual([]);
    expect(remediatingRules(policy, 'all').sort()).toEqual((Object.keys(REMEDIATIONS) as RuleId[]).sort());
  });

  it('has no S3 access at all without cold-artifacts buckets', () => {
    const noBuckets: Policy = { ...policy, rules: { ...policy.rules, 'cold-artifacts': { ...policy.rules['cold-artifacts'], buckets: [] } } };
    const scope = { accountId: '111111111111', regions: ['us-east-1'] };
    const granted = actionsOf([...readAccess(noBuckets, scope).statements, ...remediationAccess(noBuckets, scope, remediatingRules(noBuckets, 'all'), { undo: true })!.statements]);
    expect([...granted].filter((a) => a.startsWith('s3:'))).toEqual([]);
  });

  it('reads scalable targets only while autoscaling-floor is enabled, and changes them only when its mode acts', () => {
    const scope = { accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] };
    const floor = (over: Partial<Policy['rules']['autoscaling-floor']>): Policy => ({ ...policy, rules: { ...policy.rules, 'autoscaling-floor': { ...policy.rules['autoscaling-floor'], ...over } } });
    const reads = (p: Policy) => actionsOf(readAccess(p, scope).statements).has('application-autoscaling:DescribeScalableTargets');
    const acts = (p: Policy) => {
      const g = remediationAccess(p, scope, remediatingRules(p, 'approved'), { undo: true });
      return g ? g.statements.map((s) => new Stack(new App(), 'Probe').resolve(s.toStatementJson()) as { Action: string | string[]; Resource: string | string[] }).find((j) => [j.Action].flat().includes('application-autoscaling:RegisterScalableTarget')) : undefined;
    };

    expect(reads(floor({ enabled: false }))).toBe(false);
    expect(reads(floor({ enabled: true, mode: 'notify' }))).toBe(true);
    expect(acts(floor({ enabled: true, mode: 'notify' }))).toBeUndefined();
    expect(acts(floor({ enabled: false, mode: 'approve' }))).toBeUndefined();
    const granted = acts(floor({ enabled: true, mode: 'approve' }));
    expect([granted?.Resource].flat().map((r) => JSON.stringify(r))).toEqual([
      expect.stringContaining(':application-autoscaling:us-east-1:111111111111:scalable-target/*'),
      expect.stringContaining(':application-autoscaling:eu-west-1:111111111111:scalable-target/*'),
    ]);
  });
});

describe('bundle inspection', () => {
  const meta = (paths: string[]): Metafile => ({
    inputs: Object.fromEntries(paths.map((p) => [p, { bytes: 10 }])),
    outputs: { 'index.mjs': { bytes: 100, imports: [], inputs: Object.fromEntries(paths.map((p) => [p, { bytesInOutput: 10 }])) } },
  });

  it('names the package of a bundled file, scoped or not', () => {
    expect(packageOf('node_modules/@google-cloud/compute/build/src/index.js')).toBe('@google-cloud/compute');
    expect(packageOf('node_modules/a/node_modules/zod/v4/index.js')).toBe('zod');
    expect(packageOf('shared/rules/idle-endpoint.ts')).toBeUndefined();
  });

  it('reports a Google Cloud or Azure SDK in a bundle that may not contain one, and a bundled AWS SDK always', () => {
    const m = meta(['functions/x.ts', 'node_modules/@google-cloud/compute/build/index.js', 'node_modules/@azure/identity/dist/index.js', 'node_modules/@aws-sdk/client-s3/dist/index.js']);
    expect(forbiddenSdkPackages(m, [])).toEqual(['@aws-sdk/client-s3', '@azure/identity', '@google-cloud/compute']);
    expect(forbiddenSdkPackages(m, ['gcp'])).toEqual(['@aws-sdk/client-s3', '@azure/identity']);
    expect(forbiddenSdkPackages(meta(['functions/x.ts', 'node_modules/zod/index.js']), [])).toEqual([]);
  });
});
