import type { ApplicationAutoScalingClient, ScalableTarget } from '@aws-sdk/client-application-auto-scaling';
import { clientOf, autoScalingSdk, type ClientRef } from './sdk.js';
import type { Resource } from '../../domain/resource.js';

/*
 * SageMaker endpoint variants scale through Application Auto Scaling: a scalable target per
 * variant, resource id `endpoint/<endpoint name>/variant/<variant name>`, dimension
 * `sagemaker:variant:DesiredInstanceCount`, with a MinCapacity (the floor) and a MaxCapacity.
 */

/** The service namespace of SageMaker's scalable targets. */
export const SAGEMAKER_NAMESPACE = 'sagemaker';
/** The scalable dimension of an endpoint variant's instance count. */
export const VARIANT_DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
/** DescribeScalableTargets takes at most 50 resource ids per call. */
export const RESOURCE_IDS_PER_CALL = 50;
/** How the evidence names where the bounds come from. */
export const SCALABLE_TARGET_SOURCE = 'Application Auto Scaling scalable target';

/** The scalable-target resource id of an endpoint variant. */
export function variantResourceId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}

/**
 * The scalable targets of these endpoint variants, by resource id: one DescribeScalableTargets
 * call per 50 variants (all pages followed), never one per endpoint.
 */
export async function describeVariantTargets(ref: ClientRef<ApplicationAutoScalingClient>, resourceIds: readonly string[]): Promise<Map<string, ScalableTarget>> {
  const [{ DescribeScalableTargetsCommand }, client] = await Promise.all([autoScalingSdk(), clientOf(ref)]);
  const out = new Map<string, ScalableTarget>();
  const ids = [...new Set(resourceIds)];
  for (let i = 0; i < ids.length; i += RESOURCE_IDS_PER_CALL) {
    const chunk = ids.slice(i, i + RESOURCE_IDS_PER_CALL);
    let token: string | undefined;
    do {
      const page = await client.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: SAGEMAKER_NAMESPACE,
          ScalableDimension: VARIANT_DIMENSION,
          ResourceIds: chunk,
          MaxResults: RESOURCE_IDS_PER_CALL,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const t of page.ScalableTargets ?? []) if (t.ResourceId) out.set(t.ResourceId, t);
      token = page.NextToken;
    } while (token);
  }
  return out;
}

/** The resource ids of the provisioned variants of endpoints. */
export function variantIdsOf(endpoints: readonly Resource[]): string[] {
  return endpoints.flatMap((r) => r.components.filter((c) => c.capacity === 'provisioned').map((c) => variantResourceId(r.name, c.name)));
}

/** The endpoint with each variant's autoscaling bounds, where it has a scalable target. */
export function withScaling(r: Resource, targets: ReadonlyMap<string, ScalableTarget>): Resource {
  if (!r.components.some((c) => targets.has(variantResourceId(r.name, c.name)))) return r;
  return {
    ...r,
    components: r.components.map((c) => {
      const t = c.capacity === 'provisioned' ? targets.get(variantResourceId(r.name, c.name)) : undefined;
      if (!t || typeof t.MinCapacity !== 'number' || typeof t.MaxCapacity !== 'number') return c;
      return {
        ...c,
        scaling: {
          min: t.MinCapacity,
          max: t.MaxCapacity,
          source: SCALABLE_TARGET_SOURCE,
          ...(t.SuspendedState?.DynamicScalingInSuspended ? { scaleInSuspended: true } : {}),
        },
      };
    }),
  };
}

/** A scalable target as saved for undo: everything RegisterScalableTarget needs to put it back exactly. */
export interface SavedTarget {
  readonly resourceId: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly suspendedState?: { dynamicScalingInSuspended?: boolean; dynamicScalingOutSuspended?: boolean; scheduledScalingSuspended?: boolean };
}

/** The saved form of a target. */
export function savedTarget(t: ScalableTarget): SavedTarget {
  const s = t.SuspendedState;
  return {
    resourceId: t.ResourceId ?? '',
    minCapacity: t.MinCapacity ?? 0,
    maxCapacity: t.MaxCapacity ?? 0,
    ...(s
      ? {
          suspendedState: {
            ...(s.DynamicScalingInSuspended !== undefined ? { dynamicScalingInSuspended: s.DynamicScalingInSuspended } : {}),
            ...(s.DynamicScalingOutSuspended !== undefined ? { dynamicScalingOutSuspended: s.DynamicScalingOutSuspended } : {}),
            ...(s.ScheduledScalingSuspended !== undefined ? { scheduledScalingSuspended: s.ScheduledScalingSuspended } : {}),
          },
        }
      : {}),
  };
}

/** Sets a variant's floor; the maximum and suspended state stay as they are (RegisterScalableTarget updates only what it is given). */
export async function setFloor(ref: ClientRef<ApplicationAutoScalingClient>, resourceId: string, min: number): Promise<void> {
  const [{ RegisterScalableTargetCommand }, client] = await Promise.all([autoScalingSdk(), clientOf(ref)]);
  await client.send(new RegisterScalableTargetCommand({ ServiceNamespace: SAGEMAKER_NAMESPACE, ResourceId: resourceId, ScalableDimension: VARIANT_DIMENSION, MinCapacity: min }));
}

/** Puts a scalable target back exactly as saved. */
export async function restoreTarget(ref: ClientRef<ApplicationAutoScalingClient>, t: SavedTarget): Promise<void> {
  const [{ RegisterScalableTargetCommand }, client] = await Promise.all([autoScalingSdk(), clientOf(ref)]);
  const s = t.suspendedState;
  await client.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: SAGEMAKER_NAMESPACE,
      ResourceId: t.resourceId,
      ScalableDimension: VARIANT_DIMENSION,
      MinCapacity: t.minCapacity,
      MaxCapacity: t.maxCapacity,
      ...(s
        ? {
            SuspendedState: {
              ...(s.dynamicScalingInSuspended !== undefined ? { DynamicScalingInSuspended: s.dynamicScalingInSuspended } : {}),
              ...(s.dynamicScalingOutSuspended !== undefined ? { DynamicScalingOutSuspended: s.dynamicScalingOutSuspended } : {}),
              ...(s.scheduledScalingSuspended !== undefined ? { ScheduledScalingSuspended: s.scheduledScalingSuspended } : {}),
            },
          }
        : {}),
    }),
  );
}
