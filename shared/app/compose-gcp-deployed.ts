import type { Policy } from '../config/policy.js';
import type { Cloud, Resource, ResourceRef } from '../domain/resource.js';
import type { UsageSeries } from '../domain/usage.js';
import type { ActOutcome, CloudProvider, Collection, CollectOptions, ScopeTarget } from '../providers/port.js';

/*
 * Google Cloud in the deployed functions (scan-worker-gcp, execute), and Azure in the executor.
 * The Google clients weigh some 6 MB and take seconds to load, so this file imports none: the
 * provider and its clients (shared/app/compose-gcp.ts, compose-azure.ts) are loaded by the first
 * call to that cloud, and a job for another cloud in the executor never pays for them. In one
 * bundle (esbuild cannot split an ESM bundle built by NodejsFunction, which writes one file) the
 * code is still there and parsed at start, but not evaluated.
 */

/**
 * A provider made on its first use, and again after a failure to make it: its clients' code is
 * loaded then (a dynamic import), and its credentials resolved then (a secret read), so a secret
 * not filled in yet fails that cloud alone: a scan reports it as a collection failure of the
 * scope, an action fails with the reason, and other clouds go on.
 */
export class DeferredProvider implements CloudProvider {
  private pending: Promise<CloudProvider> | undefined;

  constructor(
    readonly cloud: Cloud,
    private readonly build: () => Promise<CloudProvider>,
  ) {}

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
      return { scope: target.scope, resources: [], usage: [], costs: [], budgets: [], failures: [{ scope: target.scope, operation: 'credentials', message: `${CLOUD_NAMES[this.cloud]} credentials could not be read: ${(err as Error).message}` }] };
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

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };

/** The Google Cloud provider made on first use (see {@link DeferredProvider}). */
export class DeferredGcpProvider extends DeferredProvider {
  constructor(build: () => Promise<CloudProvider>) {
    super('gcp', build);
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

/**
 * The Azure provider of the executor, made by the first Azure job: the Azure clients (about
 * 1.4 MiB of the bundle) are evaluated then, not when the function starts, so AWS and Google Cloud
 * jobs never run their code. Undefined for a policy without Azure subscriptions.
 */
export function deployedAzureProvider(policy: Policy): CloudProvider | undefined {
  if ((policy.clouds.azure?.subscriptions.length ?? 0) === 0) return undefined;
  return new DeferredProvider('azure', async () => {
    const { buildAzureProvider } = await import('./compose-azure.js');
    const provider = buildAzureProvider(policy);
    if (!provider) throw new Error('the policy has no Azure subscription');
    return provider;
  });
}
