import type { Cloud, Resource, ResourceKind, ResourceRef, Scope } from '../domain/resource.js';
import type { UsageSignal } from '../domain/usage.js';
import { ProviderError } from '../errors.js';
import type { ActOutcome } from './port.js';

/*
 * One resource kind = one module (Cloud Custodian's `resource_type` + `action_registry`, Komiser's
 * per-cloud list of collectors). A kind module says how to list its resources in one
 * scope·region, how to re-read one, which usage queries it needs, and carries its actions, each
 * with precondition, capture, perform and undo. A cloud's provider holds an explicit list of its
 * kind modules and dispatches over it: no `switch` per kind, so adding a kind is one file plus
 * one line in that list.
 *
 * `Ctx` is what a cloud hands its kinds for one scope and region (its SDK clients, already made
 * by an injected factory); `Query` is the cloud's usage query type (a CloudWatch metric request,
 * a Cloud Monitoring time-series filter, an Azure Monitor metric). The provider runs the queries of
 * all kinds of a region together, batched the way its metrics API allows.
 */

/** One remediation of a kind: where it applies, what it saves before acting, and how it undoes. */
export interface KindAction<Ctx> {
  /** Stable action kind id, e.g. `aws.sagemaker.delete-endpoint`; declared in `shared/actions`. */
  readonly id: string;
  /**
   * Why the action may not run on the resource as it is now (re-read just before acting), or
   * undefined when it may. The executor's lifecycle check (`ActionDefinition.appliesTo`) runs
   * before this; this adds what only the kind knows (say, an endpoint without an endpoint config).
   */
  precondition?(resource: Resource): string | undefined;
  /** What must be saved to undo the action. Called, and its result stored, before `perform`. */
  capture(ctx: Ctx, resource: Resource): Promise<Record<string, unknown>>;
  /** Performs the action against the cloud. */
  perform(ctx: Ctx, resource: Resource, parameters: Readonly<Record<string, unknown>>): Promise<ActOutcome>;
  /** Reverses the action from the data `capture` saved; absent when the cloud cannot undo it. */
  undo?(ctx: Ctx, ref: ResourceRef, saved: Readonly<Record<string, unknown>>): Promise<ActOutcome>;
}

/** One resource kind of one cloud. */
export interface KindModule<Ctx, Query = never> {
  readonly kind: ResourceKind;
  /** The API operations the inventory calls, named in a `collection-failed` finding when it fails. */
  readonly inventoryOperation: string;
  /**
   * `region` (the default): `list` is called once per scope·region. `scope`: once per scope, with
   * the cloud's home region, for kinds whose listing is global (S3 buckets, GCS buckets, storage
   * accounts), each resource still carrying its own region.
   */
  readonly listedPer?: 'region' | 'scope';
  /** The API operation `usageQueries` calls, if any, named in a `collection-failed` finding when it fails. */
  readonly usageOperation?: string;
  /** Every resource of the kind in one scope·region (all pages followed). */
  list(ctx: Ctx, scope: Scope, region: string): Promise<Resource[]>;
  /** Re-reads one resource (before acting); undefined when it no longer exists. */
  describe(ctx: Ctx, ref: ResourceRef): Promise<Resource | undefined>;
  /**
   * The usage queries that judge these resources (only running ones are passed). Absent when the
   * kind is judged without usage series. May call the cloud (e.g. to find which metrics exist).
   * `signals`, when given, are the only signals the scan's rules read: queries for no other are
   * returned, and a kind asked for none of its signals makes no call.
   */
  usageQueries?(ctx: Ctx, resources: readonly Resource[], signals?: readonly UsageSignal[]): Query[] | Promise<Query[]>;
  /** The kind's actions; empty when costwatch only reports on it. */
  readonly actions: readonly KindAction<Ctx>[];
}

/**
 * The module with one more action: `guardId`, performing (capturing, undoing) exactly what
 * `actionId` does. A launch guard stops a resource the way its idle rule does, under its own
 * action kind, so its proposals (keyed by action kind) never mix with the idle rule's.
 */
export function withGuardAction<Ctx, Query>(module: KindModule<Ctx, Query>, actionId: string, guardId: string): KindModule<Ctx, Query> {
  const action = module.actions.find((a) => a.id === actionId);
  if (!action) throw new Error(`${module.kind} has no action ${actionId} to guard with`);
  return { ...module, actions: [...module.actions, { ...action, id: guardId }] };
}

/** A cloud's kind modules, looked up by resource kind and by action id. */
export class KindRegistry<Ctx, Query = never> {
  private readonly byKind = new Map<string, KindModule<Ctx, Query>>();
  private readonly byAction = new Map<string, { module: KindModule<Ctx, Query>; action: KindAction<Ctx> }>();

  constructor(
    readonly cloud: Cloud,
    readonly modules: readonly KindModule<Ctx, Query>[],
  ) {
    for (const m of modules) {
      if (this.byKind.has(m.kind)) throw new Error(`kind ${m.kind} is listed twice`);
      this.byKind.set(m.kind, m);
      for (const a of m.actions) {
        if (this.byAction.has(a.id)) throw new Error(`action ${a.id} is declared by two kinds`);
        this.byAction.set(a.id, { module: m, action: a });
      }
    }
  }

  /** The module of a resource kind; throws a ProviderError for a kind this cloud does not have. */
  module(kind: string): KindModule<Ctx, Query> {
    const m = this.byKind.get(kind);
    if (!m) throw new ProviderError(`unsupported resource kind ${kind}`, { cloud: this.cloud });
    return m;
  }

  /** Whether this cloud has the kind. */
  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  /**
   * The action `id` for a resource of `resourceKind`; throws when the action is unknown or
   * belongs to another kind (an action is never run on a resource it was not declared for).
   */
  action(id: string, resourceKind: string): KindAction<Ctx> {
    const hit = this.byAction.get(id);
    if (!hit) throw new ProviderError(`unsupported action ${id}`, { cloud: this.cloud, operation: id });
    if (hit.module.kind !== resourceKind) {
      throw new ProviderError(`${id} applies to ${hit.module.kind}, not ${resourceKind}`, { cloud: this.cloud, operation: id });
    }
    return hit.action;
  }

  /** Every action id of the cloud. */
  actionIds(): string[] {
    return [...this.byAction.keys()];
  }
}
