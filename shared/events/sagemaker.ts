import * as z from '../util/check.js';
import { accept, refuse, type ParseResult, type ResourceStateEvent, type TrainingFacts } from './event.js';
import { eventBridgeEnvelope } from './eventbridge.js';
import { apiStatus, eventTime, isObject, lifecycleOf, parseJson, text, validate } from './input.js';

const SOURCE = 'sagemaker' as const;

/** `detail-type`s read, and the resource kind each is about. */
export const SAGEMAKER_DETAIL_TYPES = {
  'SageMaker Endpoint State Change': 'aws.sagemaker.endpoint',
  'SageMaker Endpoint Deployment State Change': 'aws.sagemaker.endpoint',
  'SageMaker Notebook Instance State Change': 'aws.sagemaker.notebook-instance',
  'SageMaker Training Job State Change': 'aws.sagemaker.training-job',
} as const satisfies Record<string, ResourceStateEvent['kind']>;

const status = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][A-Za-z_ ]*$/, 'must be a status word like InService or IN_SERVICE');

const tags = z
  .record(z.string().max(256), z.union([z.string().max(1024), z.number(), z.boolean()]).transform(String))
  .nullish()
  .transform((t) => t ?? {});

const optionalTime = eventTime.nullish();

const positiveSeconds = z.union([z.number(), z.string().max(32)]).transform((v, ctx): number => {
  const n = typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a positive number of seconds' });
    return z.NEVER;
  }
  return n;
});

const endpointDetail = z.object({
  EndpointName: text(128),
  EndpointArn: z.string().max(2048).nullish(),
  EndpointStatus: status,
  CreationTime: optionalTime,
  LastModifiedTime: optionalTime,
  Tags: tags,
});

const notebookDetail = z.object({
  NotebookInstanceName: text(128),
  NotebookInstanceArn: z.string().max(2048).nullish(),
  NotebookInstanceStatus: status,
  InstanceType: z.string().max(64).nullish(),
  CreationTime: optionalTime,
  LastModifiedTime: optionalTime,
  Tags: tags,
});

const trainingDetail = z.object({
  TrainingJobName: text(128),
  TrainingJobArn: z.string().max(2048).nullish(),
  TrainingJobStatus: status,
  StoppingCondition: z
    .object({ MaxRuntimeInSeconds: positiveSeconds.nullish(), MaxWaitTimeInSeconds: positiveSeconds.nullish() })
    .nullish(),
  ResourceConfig: z
    .object({ InstanceType: z.string().max(64).nullish(), InstanceCount: z.number().int().min(0).max(100_000).nullish() })
    .nullish(),
  CreationTime: optionalTime,
  TrainingStartTime: optionalTime,
  TrainingEndTime: optionalTime,
  LastModifiedTime: optionalTime,
  Tags: tags,
});

/**
 * Parses a SageMaker state-change event from EventBridge (endpoint, endpoint deployment,
 * notebook instance, training job). Statuses are returned in the API's spelling (`IN_SERVICE`
 * becomes `InService`); times may be epoch milliseconds as numbers or strings, or ISO.
 */
export function parseSageMakerEvent(input: unknown): ParseResult<ResourceStateEvent> {
  let v: unknown = input;
  if (typeof input === 'string') {
    const json = parseJson(input, SOURCE);
    if (!json.ok) return json;
    v = json.event;
  }
  if (!isObject(v)) return refuse('not an EventBridge event: expected a JSON object', SOURCE);
  const env = validate(eventBridgeEnvelope, v, SOURCE);
  if (!env.ok) return env;
  const e = env.event;
  if (e.source !== 'aws.sagemaker') return refuse(`EventBridge source ${JSON.stringify(e.source.slice(0, 60))} is not aws.sagemaker`, SOURCE);
  const detailType = e['detail-type'];
  const kind = Object.hasOwn(SAGEMAKER_DETAIL_TYPES, detailType) ? SAGEMAKER_DETAIL_TYPES[detailType as keyof typeof SAGEMAKER_DETAIL_TYPES] : undefined;
  if (!kind) {
    return refuse(`detail-type ${JSON.stringify(detailType.slice(0, 80))} is not read by costwatch (it reads ${Object.keys(SAGEMAKER_DETAIL_TYPES).join(', ')})`, SOURCE);
  }
  const base = { type: 'resource-state' as const, source: SOURCE, cloud: 'aws' as const, detailType, eventId: e.id, scopeId: e.account, region: e.region, occurredAt: e.time };
  const arnOf = (given: string | null | undefined, type: string, name: string) =>
    given ?? e.resources?.find((r) => r.includes(`:${type}/`)) ?? `arn:aws:sagemaker:${e.region}:${e.account}:${type}/${name.toLowerCase()}`;
  const times = (d: { CreationTime?: Date | null; LastModifiedTime?: Date | null }) => ({
    ...(d.CreationTime ? { createdAt: d.CreationTime } : {}),
    ...(d.LastModifiedTime ? { lastModifiedAt: d.LastModifiedTime } : {}),
  });

  switch (kind) {
    case 'aws.sagemaker.endpoint': {
      const d = validate(endpointDetail, e.detail, SOURCE, 'detail');
      if (!d.ok) return d;
      const s = apiStatus(d.event.EndpointStatus);
      return accept({
        ...base,
        kind,
        name: d.event.EndpointName,
        arn: arnOf(d.event.EndpointArn, 'endpoint', d.event.EndpointName),
        status: s,
        statusAsSent: d.event.EndpointStatus,
        lifecycle: lifecycleOf(kind, s),
        ...times(d.event),
        tags: d.event.Tags,
      });
    }
    case 'aws.sagemaker.notebook-instance': {
      const d = validate(notebookDetail, e.detail, SOURCE, 'detail');
      if (!d.ok) return d;
      const s = apiStatus(d.event.NotebookInstanceStatus);
      return accept({
        ...base,
        kind,
        name: d.event.NotebookInstanceName,
        arn: arnOf(d.event.NotebookInstanceArn, 'notebook-instance', d.event.NotebookInstanceName),
        status: s,
        statusAsSent: d.event.NotebookInstanceStatus,
        lifecycle: lifecycleOf(kind, s),
        ...(d.event.InstanceType ? { instanceType: d.event.InstanceType } : {}),
        ...times(d.event),
        tags: d.event.Tags,
      });
    }
    case 'aws.sagemaker.training-job': {
      const d = validate(trainingDetail, e.detail, SOURCE, 'detail');
      if (!d.ok) return d;
      const t = d.event;
      const s = apiStatus(t.TrainingJobStatus);
      const training: TrainingFacts = {
        ...(t.StoppingCondition?.MaxRuntimeInSeconds ? { maxRuntimeSeconds: t.StoppingCondition.MaxRuntimeInSeconds } : {}),
        ...(t.StoppingCondition?.MaxWaitTimeInSeconds ? { maxWaitSeconds: t.StoppingCondition.MaxWaitTimeInSeconds } : {}),
        ...(t.TrainingStartTime ? { startedAt: t.TrainingStartTime } : {}),
        ...(t.TrainingEndTime ? { endedAt: t.TrainingEndTime } : {}),
        ...(t.ResourceConfig?.InstanceType ? { instanceType: t.ResourceConfig.InstanceType } : {}),
        ...(typeof t.ResourceConfig?.InstanceCount === 'number' ? { instanceCount: t.ResourceConfig.InstanceCount } : {}),
      };
      return accept({
        ...base,
        kind,
        name: t.TrainingJobName,
        arn: arnOf(t.TrainingJobArn, 'training-job', t.TrainingJobName),
        status: s,
        statusAsSent: t.TrainingJobStatus,
        lifecycle: lifecycleOf(kind, s),
        ...(training.instanceType ? { instanceType: training.instanceType } : {}),
        ...times(t),
        tags: t.Tags,
        training,
      });
    }
  }
}
