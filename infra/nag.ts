import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges, on `scope`, the cdk-nag IAM5 findings the given statements produce: one per
 * wildcard action and per wildcard resource, each finding id spelled as cdk-nag spells it
 * (`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:…/*]`). Only the statements passed in are
 * acknowledged, with the reason their author gave; any other wildcard is still reported.
 */
export function acknowledgeWildcards(scope: IConstruct, statements: readonly PolicyStatement[], reason: string): void {
  const stack = Stack.of(scope);
  const ids = new Set<string>();
  for (const s of statements) {
    const json = stack.resolve(s.toStatementJson()) as { Effect: string; Action?: string | string[]; Resource?: unknown };
    if (json.Effect !== 'Allow') continue;
    for (const a of asArray(json.Action)) if (typeof a === 'string' && a.includes('*')) ids.add(`AwsSolutions-IAM5[Action::${a}]`);
    for (const r of asArray(json.Resource)) {
      const flat = flattenCfnReference(r);
      if (flat.includes('*')) ids.add(`AwsSolutions-IAM5[Resource::${flat}]`);
    }
  }
  for (const id of [...ids].sort()) Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges one cdk-nag rule on `scope` with its reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function asArray(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** cdk-nag's rendering of a CloudFormation value in finding ids (its utils/flatten-cfn-reference, not exported). */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (o['Fn::Sub']) return flattenCfnReference(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flattenCfnReference(o['Fn::ImportValue']);
  if (o['Ref']) return `<${flattenCfnReference(o['Ref'])}>`;
  return JSON.stringify(node);
}
