import { compileSeries, type Interval, type SeriesFn } from '../series.js';
import { resolveTime } from '../time.js';
import { metricKey, SHORTCUT_METRICS, type EndpointSpec, type VariantSpec, type World } from '../world.js';
import { loadSageMakerWorld, SageMakerRegionState } from './state-sagemaker.js';
import type { RoleSpec } from './world-sts.js';

/** SageMaker endpoint status values. */
export type EndpointStatus = EndpointSpec['status'];

/** An endpoint config: what CreateEndpoint re-creates an endpoint from. Survives DeleteEndpoint. */
export interface EndpointConfigRecord {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly variants: readonly VariantSpec[];
  readonly async: boolean;
  readonly endpointName: string;
  readonly tags: Map<string, string>;
}

/** A live endpoint. */
export interface EndpointRecord {
  readonly name: string;
  readonly arn: string;
  status: EndpointStatus;
  readonly createdAt: number;
  lastModifiedAt: number;
  readonly configName: string;
  readonly tags: Map<string, string>;
  /** Set for endpoints created through the API: they report `Creating` until this time. */
  inServiceAt?: number;
  /** Declared in the world (not created through the API): world-only details such as a scaled-in count apply. */
  readonly fromWorld: boolean;
}

/** A CloudWatch metric with its generator and, for endpoint metrics, when the endpoint existed. */
export interface MetricRecord {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit: string;
  readonly series: SeriesFn;
  /** Endpoint lifetimes: the metric publishes only while its endpoint exists. Absent = always. */
  readonly alive?: readonly Interval[];
}

/** An Application Auto Scaling scalable target (SageMaker variant instance count). */
export interface ScalableTargetRecord {
  readonly resourceId: string;
  readonly scalableDimension: string;
  minCapacity: number;
  maxCapacity: number;
  suspendedState: { DynamicScalingInSuspended: boolean; DynamicScalingOutSuspended: boolean; ScheduledScalingSuspended: boolean };
  readonly roleArn: string;
  readonly createdAt: number;
}

/** One account × region of the sandbox AWS. */
export class AwsRegionState {
  readonly endpoints = new Map<string, EndpointRecord>();
  /** Scalable targets by resource id (`endpoint/<name>/variant/<variant>`), in the order registered. */
  readonly scalableTargets = new Map<string, ScalableTargetRecord>();
  readonly configs = new Map<string, EndpointConfigRecord>();
  readonly metrics = new Map<string, MetricRecord>();
  /** Per lowercased endpoint name; shared with that endpoint's metrics, kept across delete/create. */
  readonly lifetimes = new Map<string, Interval[]>();
  /** Endpoints still `Creating`, kept apart so settling them does not scan every endpoint. */
  private readonly pending = new Set<EndpointRecord>();
  /** Bumped on every mutation, so sorted listings can be cached. */
  version = 0;
  /** Notebook instances, Studio and jobs. */
  readonly sm: SageMakerRegionState;

  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {
    this.sm = new SageMakerRegionState(accountId, region);
  }

  /** ARN of a SageMaker resource; SageMaker lowercases names in ARNs. */
  arn(kind: 'endpoint' | 'endpoint-config', name: string): string {
    return `arn:aws:sagemaker:${this.region}:${this.accountId}:${kind}/${name.toLowerCase()}`;
  }

  /** Endpoint by name, case-insensitively as SageMaker does. */
  endpoint(name: string): EndpointRecord | undefined {
    return this.endpoints.get(name.toLowerCase());
  }

  /** Endpoint config by name, case-insensitively. */
  config(name: string): EndpointConfigRecord | undefined {
    return this.configs.get(name.toLowerCase());
  }

  /** Removes an endpoint and ends its metrics' lifetime; its config stays. */
  deleteEndpoint(name: string, now: number): EndpointRecord | undefined {
    const ep = this.endpoint(name);
    if (!ep) return undefined;
    this.endpoints.delete(name.toLowerCase());
    this.pending.delete(ep);
    const lives = this.lifetimes.get(name.toLowerCase());
    const last = lives?.[lives.length - 1];
    if (last && last.end === Infinity) last.end = now;
    this.version++;
    return ep;
  }

  /** Creates an endpoint from a stored config; its metrics resume from now. */
  createEndpoint(name: string, config: EndpointConfigRecord, tags: ReadonlyMap<string, string>, now: number, creationMs: number): EndpointRecord {
    const ep: EndpointRecord = {
      name,
      arn: this.arn('endpoint', name),
      status: creationMs > 0 ? 'Creating' : 'InService',
      createdAt: now,
      lastModifiedAt: now,
      configName: config.name,
      tags: new Map(tags),
      fromWorld: false,
      ...(creationMs > 0 ? { inServiceAt: now + creationMs } : {}),
    };
    this.endpoints.set(name.toLowerCase(), ep);
    if (creationMs > 0) this.pending.add(ep);
    const lower = name.toLowerCase();
    const lives = this.lifetimes.get(lower) ?? [];
    lives.push({ start: now, end: Infinity });
    this.lifetimes.set(lower, lives);
    this.version++;
    return ep;
  }

  /** Moves API-created endpoints out of `Creating` once their time has come. */
  settle(now: number): void {
    for (const ep of this.pending) {
      if (ep.inServiceAt !== undefined && now >= ep.inServiceAt) {
        ep.status = 'InService';
        ep.lastModifiedAt = ep.inServiceAt;
        delete ep.inServiceAt;
        this.pending.delete(ep);
        this.version++;
      }
    }
  }
}

/** The sandbox's AWS: accounts by id, regions by name, built from the world and then mutated by calls. */
export class AwsState {
  private readonly accounts = new Map<string, { name: string; regions: Map<string, AwsRegionState>; roles: readonly RoleSpec[] }>();

  constructor(world: World, worldNowMs: number) {
    for (const account of world.aws.accounts) {
      const regions = new Map<string, AwsRegionState>();
      this.accounts.set(account.id, { name: account.name, regions, roles: account.roles });
      for (const [regionName, spec] of Object.entries(account.regions)) {
        const region = new AwsRegionState(account.id, regionName);
        regions.set(regionName, region);
        for (const ep of spec.sagemaker.endpoints) addDeclaredEndpoint(region, ep, worldNowMs);
        loadSageMakerWorld(region.sm, spec.sagemaker, region.metrics, worldNowMs);
        for (const m of spec.cloudwatch.metrics) {
          region.metrics.set(metricKey(m.namespace, m.name, m.dimensions), {
            namespace: m.namespace,
            name: m.name,
            dimensions: m.dimensions,
            unit: m.unit,
            series: compileSeries(m.series, worldNowMs),
          });
        }
      }
    }
  }

  /** Whether the account exists in the world (unknown accounts are refused like bad credentials). */
  hasAccount(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  /** An IAM role the world declares in an account, for STS AssumeRole. */
  role(accountId: string, name: string): RoleSpec | undefined {
    return this.accounts.get(accountId)?.roles.find((r) => r.name === name);
  }

  /** Account ids in the world. */
  accountIds(): string[] {
    return [...this.accounts.keys()];
  }

  /** Region names the world declares for an account. */
  regionNames(accountId: string): string[] {
    return [...(this.accounts.get(accountId)?.regions.keys() ?? [])];
  }

  /** The state of one account and region; a region the world did not mention is empty, as in AWS. */
  region(accountId: string, region: string): AwsRegionState {
    const account = this.accounts.get(accountId);
    if (!account) throw new RangeError(`account ${accountId} is not in the world`);
    let r = account.regions.get(region);
    if (!r) {
      r = new AwsRegionState(accountId, region);
      account.regions.set(region, r);
    }
    return r;
  }
}

function addDeclaredEndpoint(region: AwsRegionState, ep: EndpointSpec, worldNowMs: number): void {
  const createdAt = resolveTime(ep.createdAt, worldNowMs);
  const configName = ep.configName ?? `${ep.name}-config`;
  const tags = new Map(Object.entries(ep.tags));
  region.configs.set(configName.toLowerCase(), {
    name: configName,
    arn: region.arn('endpoint-config', configName),
    createdAt,
    variants: ep.variants,
    async: ep.async,
    endpointName: ep.name,
    tags: new Map(),
  });
  region.endpoints.set(ep.name.toLowerCase(), {
    name: ep.name,
    arn: region.arn('endpoint', ep.name),
    status: ep.status,
    createdAt,
    lastModifiedAt: ep.lastModifiedAt === undefined ? createdAt : resolveTime(ep.lastModifiedAt, worldNowMs),
    configName,
    tags,
    fromWorld: true,
  });
  const lives: Interval[] = [{ start: createdAt, end: Infinity }];
  region.lifetimes.set(ep.name.toLowerCase(), lives);
  for (const v of ep.variants) {
    if (v.autoscaling) {
      const resourceId = `endpoint/${ep.name}/variant/${v.name}`;
      region.scalableTargets.set(resourceId, {
        resourceId,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: v.autoscaling.min,
        maxCapacity: v.autoscaling.max,
        suspendedState: { DynamicScalingInSuspended: v.autoscaling.scaleInSuspended, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
        roleArn: `arn:aws:iam::${region.accountId}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`,
        createdAt,
      });
    }
    // SageMaker publishes InvocationsPerInstance beside Invocations: unless declared, it is
    // Invocations divided by the variant's (fixed, in the sandbox) instance count.
    const invocations = v.metrics.invocations;
    if (invocations !== undefined && v.metrics.invocationsPerInstance === undefined && v.instanceType !== undefined) {
      const count = Math.max(1, v.currentInstanceCount ?? v.instanceCount ?? 1);
      const base = compileSeries(invocations, worldNowMs);
      const dimensions = { EndpointName: ep.name, VariantName: v.name };
      const s = SHORTCUT_METRICS.invocationsPerInstance;
      region.metrics.set(metricKey(s.namespace, s.name, dimensions), {
        namespace: s.namespace,
        name: s.name,
        dimensions,
        unit: s.unit,
        series: (from, to) => base(from, to).map((r) => ({ ...r, value: r.value / count })),
        alive: lives,
      });
    }
    for (const [which, series] of Object.entries(v.metrics)) {
      if (series === undefined) continue;
      const s = SHORTCUT_METRICS[which as keyof typeof SHORTCUT_METRICS];
      const dimensions = { EndpointName: ep.name, VariantName: v.name };
      region.metrics.set(metricKey(s.namespace, s.name, dimensions), {
        namespace: s.namespace,
        name: s.name,
        dimensions,
        unit: s.unit,
        series: compileSeries(series, worldNowMs),
        alive: lives,
      });
    }
  }
}
