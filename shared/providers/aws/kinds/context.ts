import type { Resource, Scope } from '../../../domain/resource.js';
import type { ResourceFact, UsageSignal } from '../../../domain/usage.js';
import { ProviderError } from '../../../errors.js';
import type { KindModule } from '../../kind.js';
import type { CollectionFailure, CollectOptions } from '../../port.js';
import type { AwsClientFactory, AwsClients } from '../clients.js';
import type { MetricRequest } from '../metrics.js';
import type { ColdArtifacts } from '../s3-artifacts.js';

/** What the AWS provider hands its kind modules for one account and region. */
export interface AwsKindContext {
  readonly scope: Scope;
  readonly region: string;
  /** The clients of this account and region. */
  readonly clients: AwsClients;
  /** Clients of other regions of the account (S3 buckets live in their own regions). */
  readonly clientsFor: AwsClientFactory;
  /** Describe calls in flight per inventory. */
  readonly concurrency: number;
  /** The scan's (or the re-read's) clock. */
  readonly now: Date;
  /** The watched S3 buckets and the lifecycle action; absent when no bucket is watched. */
  readonly coldArtifacts?: ColdArtifacts;
  /** The scan's cache of immutable or paid reads (the state store); absent = none. */
  readonly cache?: CollectOptions['cache'];
  /** Whether the rules need a fact (e.g. `autoscaling`) about resources of a kind: read it only then. */
  readonly wants: (kind: string, fact: ResourceFact) => boolean;
  /** Records a part of a listing that could not be read, next to what could (a partial listing). */
  readonly reportFailure: (failure: CollectionFailure) => void;
}

/** An AWS kind module: its usage queries are CloudWatch metric requests. */
export type AwsKindModule = KindModule<AwsKindContext, MetricRequest>;

/** Whether a metric request answers one of the signals asked (all, when none are named). */
export function asked(r: MetricRequest, signals: readonly UsageSignal[] | undefined): boolean {
  return !signals || signals.includes(r.signal) || (r.alsoAs !== undefined && signals.includes(r.alsoAs));
}

/** A ProviderError about one resource, with its place in AWS. */
export function resourceError(r: Resource, message: string, operation?: string): ProviderError {
  return new ProviderError(message, { cloud: 'aws', scopeId: r.scope.id, region: r.region, resourceId: r.id, ...(operation ? { operation } : {}) });
}
