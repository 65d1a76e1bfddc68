import type { Policy } from '../config/policy.js';
import type { Resource, ResourceRef } from '../domain/resource.js';
import type { UsageSeries } from '../domain/usage.js';
import type { ActOutcome, CloudProvider, Collection, CollectOptions, ScopeTarget } from '../providers/port.js';

/*
 * Google Cloud in the deployed functions (scan-worker-gcp, execute). The Google clients weigh
 * some 6 MB and take seconds to load, so this file imports none: the provider and its clients
 * (shared/app/compose-gcp.ts) are loaded by the first Google call, and a job for another cloud in
 * the executor never pays for them.
 */

/**
 * A gcp provider whose credentials are resolved on first use (a secret read) and again after a
 * failure, so a secret not filled in yet fails Google Cloud alone: a scan reports it as a
 * collection failure of the project, an action fails with the reason, and other clouds go on.
 */
export class DeferredGcpProvider implements CloudProvider {
  readonly cloud = 'gcp' as const;
  private pending: Promise<CloudProvider> | undefined;

  constructor(private readonly build: () => Promise<CloudProvider>) {}

  private inner(): Promise<CloudProvider> {
    if (!this.pending) {
      const p = this.build();
      this.pending = p;
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  async collect(target: ScopeTarget, opts: CollectOptions): Promise<Collection> {
    let provider: CloudProvider;
    try {
      provider = await this.inner();
    } catch (err) {
      return { scope: target.scope, resources: [], usage: [], costs: [], budgets: [], failures: [{ scope: target.scope, operation: 'credentials', message: `Google Cloud credentials could not be read: ${(err as Error).message}` }] };
    }
    return provider.collect(target, opts);
  }

  async describe(ref: ResourceRef): Promise<Resource | undefined> {
    return (await this.inner()).describe(ref);
  }

  async usageOf(resource: Resource, opts: CollectOptions): Promise<UsageSeries[]> {
    return (await this.inner()).usageOf(resource, opts);
  }

  async captureUndo(actionKind: string, resource: Resource): Promise<Record<string, unknown>> {
    return (await this.inner()).captureUndo(actionKind, resource);
  }

  async perform(actionKind: string, resource: Resource, parameters: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    return (await this.inner()).perform(actionKind, resource, parameters);
  }

  async undo(actionKind: string, ref: ResourceRef, undoData: Readonly<Record<string, unknown>>): Promise<ActOutcome> {
    return (await this.inner()).undo(actionKind, ref, undoData);
  }
}

/** The gcp provider of a deployed function (scan-worker-gcp, execute); undefined for a policy without Google Cloud projects. */
export function deployedGcpProvider(policy: Policy, env: NodeJS.ProcessEnv = process.env, readSecret?: (id: string) => Promise<string>): CloudProvider | undefined {
  if ((policy.clouds.gcp?.projects.length ?? 0) === 0) return undefined;
  return new DeferredGcpProvider(async () => {
    const { deployedGcpCredentials, gcpProviderBuilder } = await import('./compose-gcp.js');
    return gcpProviderBuilder(await deployedGcpCredentials(policy, env, readSecret))(policy, {});
  });
}
