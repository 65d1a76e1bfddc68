import type { Money } from '../domain/money.js';
import type { Cloud, Lifecycle, ResourceKind } from '../domain/resource.js';
import { CostwatchError } from '../errors.js';

/** Every source of cloud events costwatch reads, as named by `costwatch event parse --source`. */
export const EVENT_SOURCES = ['aws-budgets', 'aws-anomaly', 'sagemaker', 'gcp-budget', 'azure-budget'] as const;

/** A source of cloud events. */
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Largest body any parser reads: SNS and EventBridge cap messages at 256 KB; budget alerts are far smaller. */
export const MAX_EVENT_BYTES = 256 * 1024;

/** How long the period a budget notification is about lasts, when the cloud says. */
export type PeriodGranularity = 'day' | 'month' | 'quarter' | 'year' | 'unknown';

/** The budget period a notification is about; `key` names it in dedup keys (e.g. `2024-05`). */
export interface EventPeriod {
  readonly key: string;
  readonly granularity: PeriodGranularity;
  readonly start?: Date;
  readonly end?: Date;
}

/** A budget threshold the cloud says was crossed. */
export interface BudgetCrossing {
  readonly kind: 'actual' | 'forecast';
  /** Percent of the budget limit, when it can be known. */
  readonly thresholdPercent?: number;
  /** The threshold as an amount, when the cloud gives one (or it follows from percent × limit). */
  readonly thresholdAmount?: Money;
  /** The spend (actual or forecast) that crossed it, when the cloud gives it. */
  readonly amount?: Money;
}

/** A budget notification from AWS Budgets, Google Cloud Billing or Azure Cost Management. */
export interface BudgetEvent {
  readonly type: 'budget';
  readonly source: 'aws-budgets' | 'gcp-budget' | 'azure-budget';
  readonly cloud: Cloud;
  /** AWS account id, Google billing account id, Azure subscription id (or the budget's scope path). */
  readonly scopeId: string;
  /** Stable id of the budget: `<account>/<name>` on AWS, the budget id on Google, the budget resource id on Azure. */
  readonly budgetId: string;
  readonly budgetName: string;
  readonly limit?: Money;
  /** Actual cost so far in the period. */
  readonly spent?: Money;
  readonly forecast?: Money;
  readonly period: EventPeriod;
  /** Thresholds crossed; empty for a status update (Google sends those several times a day). */
  readonly crossings: readonly BudgetCrossing[];
  readonly occurredAt: Date;
  /** The delivery's own id (SNS MessageId, Pub/Sub messageId, Azure alertId), for logs. */
  readonly messageId?: string;
  /** Facts worth showing that have no field: assumptions made while reading the message. */
  readonly notes: readonly string[];
}

/** A root cause AWS Cost Anomaly Detection names. */
export interface AnomalyRootCause {
  readonly service?: string;
  readonly region?: string;
  readonly linkedAccount?: string;
  readonly linkedAccountName?: string;
  readonly usageType?: string;
  /** Its share of the impact (EventBridge events only). */
  readonly contribution?: Money;
}

/** An anomaly from AWS Cost Anomaly Detection (SNS or EventBridge `Anomaly Detected`). */
export interface AnomalyEvent {
  readonly type: 'anomaly';
  readonly source: 'aws-anomaly';
  readonly cloud: 'aws';
  readonly via: 'sns' | 'eventbridge';
  readonly scopeId: string;
  readonly accountName?: string;
  readonly anomalyId: string;
  readonly monitorName?: string;
  readonly monitorArn?: string;
  /** What the monitor watches along, e.g. the service name for an AWS services monitor. */
  readonly dimension?: string;
  readonly start: Date;
  readonly end?: Date;
  readonly impact: {
    readonly total: Money;
    readonly max?: Money;
    readonly expectedSpend?: Money;
    readonly actualSpend?: Money;
    readonly percent?: number;
  };
  readonly score?: { readonly current: number; readonly max: number };
  readonly rootCauses: readonly AnomalyRootCause[];
  readonly link?: string;
  readonly occurredAt: Date;
}

/** Resource kinds SageMaker state-change events are read for. */
export const SAGEMAKER_EVENT_KINDS = ['aws.sagemaker.endpoint', 'aws.sagemaker.notebook-instance', 'aws.sagemaker.training-job'] as const;

/** Facts of a training job read from its state-change event. */
export interface TrainingFacts {
  /** `StoppingCondition.MaxRuntimeInSeconds`; absent when the job has no stopping condition. */
  readonly maxRuntimeSeconds?: number;
  readonly maxWaitSeconds?: number;
  readonly startedAt?: Date;
  readonly endedAt?: Date;
  readonly instanceType?: string;
  readonly instanceCount?: number;
}

/** A SageMaker endpoint, notebook instance or training job changed state. */
export interface ResourceStateEvent {
  readonly type: 'resource-state';
  readonly source: 'sagemaker';
  readonly cloud: 'aws';
  /** The EventBridge `detail-type`. */
  readonly detailType: string;
  readonly eventId: string;
  readonly scopeId: string;
  readonly region: string;
  readonly kind: ResourceKind & (typeof SAGEMAKER_EVENT_KINDS)[number];
  readonly name: string;
  readonly arn: string;
  /** The status in the API's spelling (`InService`), whatever the event spelled (`IN_SERVICE`). */
  readonly status: string;
  /** The status exactly as the event sent it. */
  readonly statusAsSent: string;
  readonly lifecycle: Lifecycle;
  readonly instanceType?: string;
  readonly createdAt?: Date;
  readonly lastModifiedAt?: Date;
  readonly tags: Readonly<Record<string, string>>;
  readonly training?: TrainingFacts;
  readonly occurredAt: Date;
}

/** What every source becomes. */
export type CloudEvent = BudgetEvent | AnomalyEvent | ResourceStateEvent;

/** Why a body was refused; `source` is set once the source is known. */
export interface EventRefusal {
  readonly source?: EventSource;
  readonly reason: string;
}

/** The outcome of parsing: an event, or a clean refusal. Parsers never throw on bad input. */
export type ParseResult<E> = { readonly ok: true; readonly event: E } | { readonly ok: false; readonly refusal: EventRefusal };

/** A body that is not a valid event of its source; thrown by asynchronous handlers so the message lands in the DLQ. */
export class EventRefusedError extends CostwatchError {
  constructor(
    readonly refusal: EventRefusal,
    options?: ErrorOptions,
  ) {
    super(`event refused${refusal.source ? ` (${refusal.source})` : ''}: ${refusal.reason}`, options);
  }
}

/** The same alert is being sent by another delivery right now: retry later (never read as done). */
export class EventInFlightError extends CostwatchError {
  constructor(readonly keys: readonly string[]) {
    super(`another delivery of the same alert is being processed (${keys.join(', ')}); retry later`);
  }
}

/** Builds a refusal result. */
export function refuse(reason: string, source?: EventSource): { ok: false; refusal: EventRefusal } {
  return { ok: false, refusal: { ...(source ? { source } : {}), reason } };
}

/** Builds a success result. */
export function accept<E>(event: E): { ok: true; event: E } {
  return { ok: true, event };
}
