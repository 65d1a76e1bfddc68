import { Aws } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Policy, RuleId } from '../shared/config/schema.js';
import { coldArtifactBuckets } from './deploy-config.js';

/*
 * The AWS calls costwatch makes in a watched account, as IAM statements. Used for the watchdog's
 * own account (functions' roles) and for the member-account role, so both grant the same calls.
 * Actions are listed one by one (no `sagemaker:*`); anything that supports resource-level
 * permissions is scoped to ARNs of the account and its configured regions.
 */

/** Where statements apply: one account and the regions costwatch reads in it. */
export interface AccountScope {
  /** A 12-digit id, or `Aws.ACCOUNT_ID` in a member stack. */
  readonly accountId: string;
  /** Region names, or `['*']`. */
  readonly regions: readonly string[];
}

/** A group of statements and, when any of them uses a wildcard, why it must. */
export interface AccessGrant {
  readonly statements: PolicyStatement[];
  /** Acknowledgement reason for the wildcards these statements contain (cdk-nag IAM5). */
  readonly wildcardReason?: string;
}

/** SageMaker List calls, and Search (tags of endpoints and training jobs in batches): no resource-level permissions exist for them. */
export const SAGEMAKER_LIST_ACTIONS = [
  'sagemaker:ListApps',
  'sagemaker:ListDomains',
  'sagemaker:ListEndpoints',
  'sagemaker:ListNotebookInstances',
  'sagemaker:ListProcessingJobs',
  'sagemaker:ListTrainingJobs',
  'sagemaker:Search',
] as const;

/** SageMaker Describe calls, each with the resource type it is authorized on. */
export const SAGEMAKER_DESCRIBE_ACTIONS: Readonly<Record<string, string>> = {
  'sagemaker:DescribeApp': 'app',
  'sagemaker:DescribeDomain': 'domain',
  'sagemaker:DescribeEndpoint': 'endpoint',
  'sagemaker:DescribeEndpointConfig': 'endpoint-config',
  'sagemaker:DescribeNotebookInstance': 'notebook-instance',
  'sagemaker:DescribeNotebookInstanceLifecycleConfig': 'notebook-instance-lifecycle-config',
  'sagemaker:DescribeProcessingJob': 'processing-job',
  'sagemaker:DescribeSpace': 'space',
  'sagemaker:DescribeTrainingJob': 'training-job',
};

/** Resource types whose tags costwatch reads (ListTags) to honour exemptions and routing. */
const TAGGED_TYPES = ['app', 'domain', 'endpoint', 'notebook-instance', 'space', 'training-job', 'processing-job'];

/** Read calls outside SageMaker, none of which supports resource-level permissions. */
export const METRIC_AND_COST_READ_ACTIONS = [
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'ce:GetAnomalies',
  'ce:GetCostAndUsage',
  'ce:GetCostForecast',
  'pricing:GetProducts',
  'ce:GetSavingsPlansCoverage',
  'ce:GetSavingsPlansPurchaseRecommendation',
] as const;

/** A remediation: the calls that act and the calls that undo, each with the SageMaker resource types it is authorized on (S3 calls are scoped to the configured buckets instead). */
interface Remediation {
  readonly act: Readonly<Record<string, readonly string[]>>;
  readonly undo: Readonly<Record<string, readonly string[]>>;
}

/** The calls behind each rule's action (rules without one are absent). */
export const REMEDIATIONS: Partial<Readonly<Record<RuleId, Remediation>>> = {
  // Undo re-creates the endpoint from its kept config with its tags, hence CreateEndpoint + AddTags.
  'idle-endpoint': {
    act: { 'sagemaker:DeleteEndpoint': ['endpoint'] },
    undo: { 'sagemaker:CreateEndpoint': ['endpoint', 'endpoint-config'], 'sagemaker:AddTags': ['endpoint'] },
  },
  'idle-notebook': { act: { 'sagemaker:StopNotebookInstance': ['notebook-instance'] }, undo: { 'sagemaker:StartNotebookInstance': ['notebook-instance'] } },
  'idle-studio-app': { act: { 'sagemaker:DeleteApp': ['app'] }, undo: {} },
  'long-training-job': { act: { 'sagemaker:StopProcessingJob': ['processing-job'], 'sagemaker:StopTrainingJob': ['training-job'] }, undo: {} },
  // The previous lifecycle configuration is read before and restored on undo (DeleteBucketLifecycle,
  // when there was none, is authorized by s3:PutLifecycleConfiguration too).
  'cold-artifacts': { act: { 's3:PutLifecycleConfiguration': [] }, undo: { 's3:PutLifecycleConfiguration': [] } },
  // The floor is lowered, and restored on undo, by registering the variant's scalable target again.
  'autoscaling-floor': { act: { 'application-autoscaling:RegisterScalableTarget': [] }, undo: { 'application-autoscaling:RegisterScalableTarget': [] } },
  // A guard's Stop (or an unanswered guard in auto mode) deletes a new endpoint or stops a new notebook
  // or training job, with the same calls and undo as the idle rules' actions.
  'launch-guard': {
    act: { 'sagemaker:DeleteEndpoint': ['endpoint'], 'sagemaker:StopNotebookInstance': ['notebook-instance'], 'sagemaker:StopTrainingJob': ['training-job'] },
    undo: { 'sagemaker:CreateEndpoint': ['endpoint', 'endpoint-config'], 'sagemaker:AddTags': ['endpoint'], 'sagemaker:StartNotebookInstance': ['notebook-instance'] },
  },
};

/** `arn:<partition>:application-autoscaling:<region>:<account>:scalable-target/*` for every region of the scope. */
export function scalableTargetArns(scope: AccountScope): string[] {
  return scope.regions.map((r) => `arn:${Aws.PARTITION}:application-autoscaling:${r}:${scope.accountId}:scalable-target/*`);
}

/** Destructive SageMaker calls refused on a resource tagged exempt, whatever else allows them. */
const DESTRUCTIVE = ['sagemaker:DeleteApp', 'sagemaker:DeleteEndpoint', 'sagemaker:StopNotebookInstance', 'sagemaker:StopProcessingJob', 'sagemaker:StopTrainingJob'];

/** Which rules' remediations a role may perform. */
export type RemediationSet = 'all' | 'approved' | 'auto';

/** Rules whose action the given caller performs: the executor any non-notify rule, the scanner only `auto` ones. */
export function remediatingRules(policy: Policy, set: RemediationSet): RuleId[] {
  if (set === 'all') return Object.keys(REMEDIATIONS) as RuleId[];
  if (policy.dryRun) return [];
  return (Object.keys(REMEDIATIONS) as RuleId[]).filter((id) => {
    const r = policy.rules[id];
    return r.enabled && (set === 'auto' ? r.mode === 'auto' : r.mode !== 'notify');
  });
}

/** `arn:<partition>:sagemaker:<region>:<account>:<type>/*` for every region of the scope. */
export function sagemakerArns(scope: AccountScope, types: readonly string[]): string[] {
  return types.flatMap((t) => scope.regions.map((r) => `arn:${Aws.PARTITION}:sagemaker:${r}:${scope.accountId}:${t}/*`));
}

function bucketArns(policy: Policy): string[] {
  return coldArtifactBuckets(policy).map((b) => `arn:${Aws.PARTITION}:s3:::${b}`);
}

/** Everything the scanner reads in an account: inventory, tags, metrics, cost, budgets, prices, bucket listings. */
export function readAccess(policy: Policy, scope: AccountScope): AccessGrant {
  const statements = [
    new PolicyStatement({ sid: 'SageMakerList', actions: [...SAGEMAKER_LIST_ACTIONS], resources: ['*'] }),
    new PolicyStatement({
      sid: 'SageMakerDescribe',
      actions: [...Object.keys(SAGEMAKER_DESCRIBE_ACTIONS), 'sagemaker:ListTags'],
      resources: sagemakerArns(scope, [...new Set([...Object.values(SAGEMAKER_DESCRIBE_ACTIONS), ...TAGGED_TYPES])].sort()),
    }),
    new PolicyStatement({ sid: 'MetricsCostPrices', actions: [...METRIC_AND_COST_READ_ACTIONS], resources: ['*'] }),
    new PolicyStatement({ sid: 'Budgets', actions: ['budgets:ViewBudget'], resources: [`arn:${Aws.PARTITION}:budgets::${scope.accountId}:budget/*`] }),
  ];
  if (policy.rules['autoscaling-floor'].enabled) {
    // Endpoint variants' floors, only when a rule judges them; Describe has no resource-level permission.
    statements.push(new PolicyStatement({ sid: 'ScalableTargets', actions: ['application-autoscaling:DescribeScalableTargets'], resources: ['*'] }));
  }
  const buckets = bucketArns(policy);
  if (buckets.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ColdArtifactBuckets', actions: ['s3:GetLifecycleConfiguration', 's3:ListBucket'], resources: buckets }),
      // ListBuckets tells the configured buckets' regions; it has no resource-level permission.
      new PolicyStatement({ sid: 'BucketRegions', actions: ['s3:ListAllMyBuckets'], resources: ['*'] }),
    );
  }
  return {
    statements,
    wildcardReason:
      'Read-only. SageMaker List* and Search, CloudWatch GetMetricData/ListMetrics, Cost Explorer, Price List, Application Auto Scaling DescribeScalableTargets and S3 ListAllMyBuckets support no resource-level permissions (Resource "*"); Describe/ListTags are limited to resource ARNs of the watched account and regions, whose names are only known at run time (…/*).',
  };
}

/** The remediation calls (and their undo calls) of the given rules, scoped to the account, regions and buckets. */
export function remediationAccess(policy: Policy, scope: AccountScope, rules: readonly RuleId[], opts: { undo: boolean }): AccessGrant | undefined {
  const statements: PolicyStatement[] = [];
  const sagemaker = new Map<string, Set<string>>();
  let s3 = false;
  const autoScaling = new Set<string>();
  for (const id of rules) {
    const r = REMEDIATIONS[id];
    if (!r) continue;
    for (const [action, types] of [...Object.entries(r.act), ...(opts.undo ? Object.entries(r.undo) : [])]) {
      if (action.startsWith('s3:')) s3 = true;
      else if (action.startsWith('application-autoscaling:')) autoScaling.add(action);
      else sagemaker.set(action, new Set([...(sagemaker.get(action) ?? []), ...types]));
    }
  }
  // One statement per set of resource types keeps each action on the ARNs it can touch.
  const byTypes = new Map<string, string[]>();
  for (const [action, types] of [...sagemaker.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const key = [...types].sort().join(',');
    byTypes.set(key, [...(byTypes.get(key) ?? []), action]);
  }
  for (const [key, actions] of byTypes) {
    statements.push(new PolicyStatement({ sid: `Remediate${pascal(key)}`, actions, resources: sagemakerArns(scope, key.split(',')) }));
  }
  const destructive = [...sagemaker.keys()].filter((a) => DESTRUCTIVE.includes(a)).sort();
  if (destructive.length > 0) {
    // Defence in depth for invariant 2: even a bug cannot stop or delete an exempt resource.
    statements.push(
      new PolicyStatement({
        sid: 'NeverActOnExempt',
        effect: Effect.DENY,
        actions: destructive,
        resources: ['*'],
        conditions: { StringEqualsIgnoreCase: { [`aws:ResourceTag/${policy.exemptions.tagKey}`]: 'true' } },
      }),
    );
  }
  if (autoScaling.size > 0) {
    statements.push(new PolicyStatement({ sid: 'RemediateScalableTarget', actions: [...autoScaling].sort(), resources: scalableTargetArns(scope) }));
  }
  const buckets = bucketArns(policy);
  if (s3 && buckets.length > 0) {
    statements.push(new PolicyStatement({ sid: 'TierColdArtifacts', actions: ['s3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration'], resources: buckets }));
  }
  if (statements.length === 0) return undefined;
  return {
    statements,
    wildcardReason:
      'Mutations are limited to the resource types each action applies to, in the watched account and its configured regions; the resource names are only known at run time (…/*). Exempt-tagged resources are denied.',
  };
}

function pascal(key: string): string {
  return key
    .split(/[-,]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** `sts:AssumeRole` on the configured role of every member account, with its external id where one is set. */
export function assumeRoleAccess(roles: readonly { accountId: string; roleName: string; externalId?: string }[]): AccessGrant | undefined {
  if (roles.length === 0) return undefined;
  const byExternalId = new Map<string, string[]>();
  for (const r of roles) {
    const key = r.externalId ?? '';
    byExternalId.set(key, [...(byExternalId.get(key) ?? []), `arn:${Aws.PARTITION}:iam::${r.accountId}:role/${r.roleName}`]);
  }
  const statements = [...byExternalId.entries()].map(
    ([externalId, resources], i) =>
      new PolicyStatement({
        sid: `AssumeMemberRole${i}`,
        actions: ['sts:AssumeRole'],
        resources,
        ...(externalId ? { conditions: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
      }),
  );
  return { statements };
}
