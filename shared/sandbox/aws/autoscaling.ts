import type { DescribeScalableTargetsCommandOutput, RegisterScalableTargetCommandOutput, ScalableTarget } from '@aws-sdk/client-application-auto-scaling';
import { z } from 'zod';
import { AwsApiError, parseInput } from './protocol.js';
import { maxResults, pageOf } from './paging.js';
import type { AwsHandler } from './sagemaker.js';
import type { ScalableTargetRecord } from './state.js';

/*
 * Application Auto Scaling (awsJson1_1, target prefix `AnyScaleFrontendService`): the scalable
 * targets of SageMaker endpoint variants, seeded from the world's `variants[].autoscaling`.
 * Only the `sagemaker` namespace holds targets in the sandbox; other namespaces list none.
 */

type Out<T> = Omit<T, '$metadata'>;

const NAMESPACES = ['ecs', 'elasticmapreduce', 'ec2', 'appstream', 'dynamodb', 'rds', 'sagemaker', 'custom-resource', 'comprehend', 'lambda', 'cassandra', 'kafka', 'elasticache', 'neptune', 'workspaces'] as const;
const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const VARIANT_ID = /^endpoint\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/variant\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})$/;

const describeInput = z.object({
  ServiceNamespace: z.enum(NAMESPACES),
  ResourceIds: z.array(z.string().min(1).max(1600)).max(50, 'Member must have length less than or equal to 50').optional(),
  ScalableDimension: z.string().min(1).optional(),
  MaxResults: maxResults(50).default(50),
  NextToken: z.string().max(1024).optional(),
});

const registerInput = z.object({
  ServiceNamespace: z.enum(NAMESPACES),
  ResourceId: z.string().min(1).max(1600),
  ScalableDimension: z.string().min(1),
  MinCapacity: z.number().int().min(0).optional(),
  MaxCapacity: z.number().int().min(0).optional(),
  RoleARN: z.string().min(1).max(1600).optional(),
  SuspendedState: z
    .object({ DynamicScalingInSuspended: z.boolean().optional(), DynamicScalingOutSuspended: z.boolean().optional(), ScheduledScalingSuspended: z.boolean().optional() })
    .optional(),
  Tags: z.record(z.string(), z.string()).optional(),
});

function wire(t: ScalableTargetRecord, accountId: string, region: string): ScalableTarget {
  return {
    ServiceNamespace: 'sagemaker',
    ResourceId: t.resourceId,
    ScalableDimension: t.scalableDimension as ScalableTarget['ScalableDimension'],
    MinCapacity: t.minCapacity,
    MaxCapacity: t.maxCapacity,
    RoleARN: t.roleArn,
    CreationTime: new Date(t.createdAt),
    SuspendedState: { ...t.suspendedState },
    ScalableTargetARN: targetArn(t, accountId, region),
  };
}

function targetArn(t: ScalableTargetRecord, accountId: string, region: string): string {
  // Real ARNs carry a random id; a stable one derived from the resource id does here.
  const id = Buffer.from(t.resourceId).toString('hex').slice(0, 32);
  return `arn:aws:application-autoscaling:${region}:${accountId}:scalable-target/${id}`;
}

/** Application Auto Scaling operations the sandbox implements. */
export const AUTOSCALING_OPERATIONS = {
  DescribeScalableTargets: ((ctx, body) => {
    const input = parseInput(describeInput, body);
    const ids = input.ResourceIds ? new Set(input.ResourceIds) : undefined;
    const all = input.ServiceNamespace === 'sagemaker' ? [...ctx.region.scalableTargets.values()] : [];
    const matching = all.filter((t) => (!ids || ids.has(t.resourceId)) && (!input.ScalableDimension || t.scalableDimension === input.ScalableDimension));
    const { page, next } = pageOf(matching, input, input.MaxResults);
    const out: Out<DescribeScalableTargetsCommandOutput> = {
      ScalableTargets: page.map((t) => wire(t, ctx.region.accountId, ctx.region.region)),
      ...(next ? { NextToken: next } : {}),
    };
    return out;
  }) satisfies AwsHandler,

  RegisterScalableTarget: ((ctx, body) => {
    const input = parseInput(registerInput, body);
    if (input.ServiceNamespace !== 'sagemaker' || input.ScalableDimension !== VARIANT_DIMENSION) {
      throw new AwsApiError('validation', `The sandbox cloud registers only ${VARIANT_DIMENSION} targets of the sagemaker namespace`);
    }
    const m = VARIANT_ID.exec(input.ResourceId);
    if (!m) throw new AwsApiError('validation', `Unsupported resource ID format ${input.ResourceId}: expected endpoint/<endpoint name>/variant/<variant name>`);
    const existing = ctx.region.scalableTargets.get(input.ResourceId);
    const min = input.MinCapacity ?? existing?.minCapacity;
    const max = input.MaxCapacity ?? existing?.maxCapacity;
    if (min === undefined || max === undefined) throw new AwsApiError('validation', 'MinCapacity and MaxCapacity are required when registering a new scalable target');
    if (min > max) throw new AwsApiError('validation', `Minimum capacity (${min}) cannot be greater than maximum capacity (${max})`);
    const ep = ctx.region.endpoint(m[1]!);
    if (!existing) {
      const config = ep ? ctx.region.config(ep.configName) : undefined;
      if (!ep || !config?.variants.some((v) => v.name === m[2])) {
        throw new AwsApiError('validation', `The endpoint variant ${input.ResourceId} does not exist`);
      }
    }
    const s = input.SuspendedState;
    const record: ScalableTargetRecord = existing ?? {
      resourceId: input.ResourceId,
      scalableDimension: VARIANT_DIMENSION,
      minCapacity: min,
      maxCapacity: max,
      suspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
      roleArn: input.RoleARN ?? `arn:aws:iam::${ctx.region.accountId}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
      createdAt: ctx.now,
    };
    record.minCapacity = min;
    record.maxCapacity = max;
    if (s) {
      record.suspendedState = {
        DynamicScalingInSuspended: s.DynamicScalingInSuspended ?? record.suspendedState.DynamicScalingInSuspended,
        DynamicScalingOutSuspended: s.DynamicScalingOutSuspended ?? record.suspendedState.DynamicScalingOutSuspended,
        ScheduledScalingSuspended: s.ScheduledScalingSuspended ?? record.suspendedState.ScheduledScalingSuspended,
      };
    }
    ctx.region.scalableTargets.set(record.resourceId, record);
    const out: Out<RegisterScalableTargetCommandOutput> = { ScalableTargetARN: targetArn(record, ctx.region.accountId, ctx.region.region) };
    return out;
  }) satisfies AwsHandler,
};
