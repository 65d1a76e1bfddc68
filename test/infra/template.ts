import { flattenCfnReference } from '../../infra/nag.js';

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown>; DependsOn?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
  readonly [key: string]: unknown;
}

/** An IAM statement with its values flattened the way cdk-nag prints them (`<Logical.Arn>`). */
export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: unknown;
  readonly sid?: string;
}

/** Logical ids of the resources of a type. */
export function ofType(t: CfnTemplate, type: string): [string, NonNullable<CfnTemplate['Resources'][string]>][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the Lambda function whose construct path ends in `/<constructId>/Resource`. */
export function functionId(t: CfnTemplate, constructId: string): string {
  const hit = ofType(t, 'AWS::Lambda::Function').find(([, r]) => String(r.Metadata?.['aws:cdk:path'] ?? '').endsWith(`/${constructId}/Resource`));
  if (!hit) throw new Error(`no function ${constructId} in the template`);
  return hit[0];
}

/** The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at. */
export function refOf(v: unknown): string | undefined {
  const o = v as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return o?.Ref ?? o?.['Fn::GetAtt']?.[0];
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Every statement of the identity policies attached to a role (inline and AWS::IAM::Policy). */
export function roleStatements(t: CfnTemplate, roleId: string): Statement[] {
  const role = t.Resources[roleId];
  const docs: unknown[] = asArray(role?.Properties?.['Policies'] as { PolicyDocument: unknown }[] | undefined).map((p) => p.PolicyDocument);
  for (const [, r] of ofType(t, 'AWS::IAM::Policy')) {
    if (asArray(r.Properties?.['Roles'] as unknown[]).some((x) => refOf(x) === roleId)) docs.push(r.Properties?.['PolicyDocument']);
  }
  return docs.flatMap((d) => asArray((d as { Statement: unknown[] }).Statement).map(normalize));
}

/** Statements of the role a function runs with. */
export function functionStatements(t: CfnTemplate, fnId: string): Statement[] {
  const roleId = refOf(t.Resources[fnId]?.Properties?.['Role']);
  if (!roleId) throw new Error(`${fnId} has no role`);
  return roleStatements(t, roleId);
}

/** Statements of a resource policy document. */
export function documentStatements(doc: unknown): Statement[] {
  return asArray((doc as { Statement: unknown[] }).Statement).map(normalize);
}

function normalize(s: unknown): Statement {
  const o = s as { Effect: string; Action: string | string[]; Resource?: unknown; Condition?: unknown; Sid?: string; Principal?: unknown };
  return {
    effect: o.Effect,
    actions: asArray(o.Action).sort(),
    resources: asArray(o.Resource).map(flattenCfnReference).sort(),
    ...(o.Condition ? { conditions: o.Condition } : {}),
    ...(o.Sid ? { sid: o.Sid } : {}),
  };
}

/** Allowed actions, sorted and de-duplicated. */
export function allowedActions(statements: readonly Statement[]): string[] {
  return [...new Set(statements.filter((s) => s.effect === 'Allow').flatMap((s) => s.actions))].sort();
}

/** The resources an action is allowed on, across statements. */
export function resourcesOf(statements: readonly Statement[], action: string): string[] {
  return [...new Set(statements.filter((s) => s.effect === 'Allow' && s.actions.includes(action)).flatMap((s) => s.resources))].sort();
}

/** The template with what changes on every code change removed: Lambda code locations and asset metadata. */
export function withoutCode(t: CfnTemplate): CfnTemplate {
  const copy = structuredClone(t) as CfnTemplate & { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }> };
  for (const [id, r] of Object.entries(copy.Resources)) {
    if (r.Type === 'AWS::CDK::Metadata') {
      delete copy.Resources[id];
      continue;
    }
    if (r.Type === 'AWS::Lambda::Function' && r.Properties) r.Properties['Code'] = '<code>';
    if (r.Metadata) {
      delete r.Metadata['aws:asset:path'];
      delete r.Metadata['aws:asset:is-bundled'];
      delete r.Metadata['aws:asset:property'];
      if (Object.keys(r.Metadata).length === 0) delete r.Metadata;
    }
  }
  const conditions = copy['Conditions'] as Record<string, unknown> | undefined;
  if (conditions) {
    delete conditions['CDKMetadataAvailable'];
    if (Object.keys(conditions).length === 0) delete (copy as Record<string, unknown>)['Conditions'];
  }
  return copy;
}
