import type { Money } from './money.js';

/** The clouds costwatch watches. */
export type Cloud = 'aws' | 'gcp' | 'azure';

export const CLOUDS: readonly Cloud[] = ['aws', 'gcp', 'azure'];

/** An AWS account, a Google Cloud project or an Azure subscription. */
export interface Scope {
  readonly cloud: Cloud;
  /** Account id, project id or subscription id. */
  readonly id: string;
  /** Display name, when configured. */
  readonly name?: string;
}

/**
 * A resource kind, `<cloud>.<service>.<type>`, e.g. `aws.sagemaker.endpoint`,
 * `gcp.vertex.endpoint`, `azure.ml.online-endpoint`.
 */
export type ResourceKind = `${Cloud}.${string}.${string}`;

/** A billable unit inside a resource: a SageMaker production variant, a Vertex deployed model. */
export interface ResourceComponent {
  /** Name unique within the resource (variant name, deployed model id). */
  readonly name: string;
  /** Instance / machine type, e.g. `ml.g5.xlarge`; absent for serverless capacity. */
  readonly instanceType?: string;
  /** Instances currently running for this component. */
  readonly instanceCount: number;
  /**
   * `provisioned`: machines of its own, billed every hour. `serverless`: billed per use, costs
   * nothing idle. `shared`: capacity billed elsewhere or sized by the cloud (a Vertex AI
   * deployment resource pool, automatic resources), so not judged per component.
   */
  readonly capacity: 'provisioned' | 'serverless' | 'shared';
  /** Accelerators attached to each instance (Google Cloud prices them apart from the machine). */
  readonly accelerator?: { readonly type: string; readonly count: number };
  /**
   * The autoscaling bounds the cloud keeps this component's instance count within (a SageMaker
   * scalable target, a Vertex AI min / max replica count, an Azure ML scale setting), when it
   * autoscales and the scan read them.
   */
  readonly scaling?: ComponentScaling;
}

/** Autoscaling bounds of one component. */
export interface ComponentScaling {
  /** The floor: instances kept running whatever the load. */
  readonly min: number;
  readonly max: number;
  /** Where the bounds come from, e.g. `Application Auto Scaling scalable target`. */
  readonly source: string;
  /** Whether scale-in is suspended (the count never drops toward the floor), when the cloud says. */
  readonly scaleInSuspended?: boolean;
}

/** Cloud-neutral lifecycle of a resource. */
export type Lifecycle = 'running' | 'starting' | 'stopping' | 'stopped' | 'failed' | 'deleting' | 'other';

/** One cloud resource as collected, cloud-neutral. */
export interface Resource {
  readonly cloud: Cloud;
  readonly scope: Scope;
  readonly region: string;
  readonly kind: ResourceKind;
  /** Native id: an ARN, a full Google resource name, an Azure resource id. */
  readonly id: string;
  /** Short name as shown in the console. */
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Provider state in the API's own spelling (e.g. `InService`). */
  readonly state: string;
  /** The state in cloud-neutral terms; only `running` resources cost compute. */
  readonly lifecycle: Lifecycle;
  readonly createdAt?: Date;
  readonly lastModifiedAt?: Date;
  /** What the resource costs per hour while it runs, when its price is known (set by the scan from the price book). */
  readonly hourlyPrice?: Money;
  /** Billable components; empty for kinds that have none. */
  readonly components: readonly ResourceComponent[];
  /** Kind-specific facts the actions need (e.g. the endpoint config name). */
  readonly attributes: Readonly<Record<string, string | number | boolean | null>>;
}

/** Enough to find a resource again. */
export interface ResourceRef {
  readonly cloud: Cloud;
  readonly scopeId: string;
  readonly region: string;
  readonly kind: ResourceKind;
  readonly id: string;
  readonly name: string;
}

/** The reference of a resource. */
export function refOf(r: Resource): ResourceRef {
  return { cloud: r.cloud, scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name };
}
