import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { ArnPrincipal, CompositePrincipal, Policy as IamPolicy, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Policy } from '../shared/config/schema.js';
import { ConfigError, type FileProblem } from '../shared/errors.js';
import { readAccess, remediatingRules, remediationAccess } from './aws-access.js';
import { acknowledgeWildcards } from './nag.js';

/** What the member stack needs: the account it is for and the watchdog roles it trusts. */
export interface MemberAccountConfig {
  readonly accountId: string;
  readonly roleName: string;
  readonly externalId?: string;
  readonly regions: readonly string[];
  readonly trustedRoleArns: readonly string[];
}

/** Props of {@link MemberStack}. */
export interface MemberStackProps extends StackProps {
  readonly policy: Policy;
  readonly member: MemberAccountConfig;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * The member account's side of costwatch: from `-c memberAccount=<id>` (an account of the policy
 * with a roleName) and `-c watchdogRoleArns=<arn,arn>` (the watchdog's MemberTrustedRoleArns
 * output). Throws ConfigError naming each problem.
 */
export function memberAccountConfig(policy: Policy, file: string, context: { memberAccount?: unknown; watchdogRoleArns?: unknown }): MemberAccountConfig {
  const problems: FileProblem[] = [];
  const ctx = (key: string, message: string) => problems.push({ file: 'cdk context', key, message });
  const id = String(context.memberAccount ?? '').trim();
  const accounts = policy.clouds.aws?.accounts ?? [];
  const index = accounts.findIndex((a) => a.id === id);
  const account = accounts[index];
  if (!/^\d{12}$/.test(id)) ctx('memberAccount', `must be a 12-digit AWS account id, got ${JSON.stringify(context.memberAccount ?? '')}`);
  else if (!account) ctx('memberAccount', `${id} is not listed in clouds.aws.accounts of ${file}`);
  else if (!account.roleName) problems.push({ file, key: `clouds.aws.accounts[${index}].roleName`, message: `is required for a member account: it names the role the member stack creates and the watchdog assumes in ${id}` });
  const arns = String(context.watchdogRoleArns ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (arns.length === 0) ctx('watchdogRoleArns', 'is required: the MemberTrustedRoleArns output of the costwatch stack (comma-separated role ARNs)');
  for (const a of arns) if (!ROLE_ARN.test(a)) ctx('watchdogRoleArns', `not an IAM role ARN: ${a}`);
  if (problems.length > 0 || !account?.roleName) throw new ConfigError(problems);
  return { accountId: id, roleName: account.roleName, regions: account.regions, trustedRoleArns: arns, ...(account.externalId ? { externalId: account.externalId } : {}) };
}

/**
 * `costwatch-member`: the role the watchdog assumes in a watched account — the read calls of a
 * scan and the remediation calls of the rules the policy lets act (approve or auto), with the
 * external id, trusting only the watchdog's scan worker and executor roles.
 */
export class MemberStack extends Stack {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, { description: `costwatch member account role for ${props.member.accountId}`, ...props });
    const { member, policy } = props;
    this.role = new Role(this, 'Role', {
      roleName: member.roleName,
      description: 'costwatch: read SageMaker, metrics, cost and budgets; perform approved remediations',
      assumedBy: new CompositePrincipal(...member.trustedRoleArns.map((a) => new ArnPrincipal(a))),
      ...(member.externalId ? { externalIds: [member.externalId] } : {}),
      maxSessionDuration: Duration.hours(1),
    });
    const scopeOf = { accountId: member.accountId, regions: member.regions };
    const grants = [readAccess(policy, scopeOf), remediationAccess(policy, scopeOf, remediatingRules(policy, 'approved'), { undo: true })];
    grants.forEach((g, i) => {
      if (!g) return;
      const doc = new IamPolicy(this, i === 0 ? 'ReadPolicy' : 'RemediatePolicy', { statements: g.statements });
      doc.attachToRole(this.role);
      if (g.wildcardReason) acknowledgeWildcards(doc, g.statements, g.wildcardReason);
    });
    new CfnOutput(this, 'RoleArn', { value: this.role.roleArn, description: 'The role costwatch assumes in this account' });
  }
}
