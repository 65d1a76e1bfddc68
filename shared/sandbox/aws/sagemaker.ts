import type {
  AddTagsCommandOutput,
  CreateEndpointCommandOutput,
  DeleteEndpointCommandOutput,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandOutput,
  EndpointSummary,
  ListEndpointConfigsCommandOutput,
  ListEndpointsCommandOutput,
  ListTagsCommandOutput,
  ProductionVariant,
  ProductionVariantSummary,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import type { VariantSpec } from '../world.js';
import { AwsApiError, decodeToken, encodeToken, fromWireTime, parseInput } from './protocol.js';
import type { AwsRegionState, EndpointConfigRecord, EndpointRecord } from './state.js';
import { JOB_OPERATIONS } from './sagemaker-jobs.js';
import { NOTEBOOK_OPERATIONS } from './sagemaker-notebooks.js';
import { STUDIO_OPERATIONS } from './sagemaker-studio.js';
import { SEARCH_OPERATIONS } from './sagemaker-search.js';

/** What a handler sees: the caller's account × region state and the world clock. */
export interface AwsCallContext {
  readonly region: AwsRegionState;
  readonly now: number;
  /** World-clock ms an API-created endpoint stays `Creating`; 0 = InService at once. */
  readonly endpointCreationMs: number;
  /** World-clock ms a stop, start or delete stays in its transitional state (Stopping, Pending, Deleting); 0 = done at once. */
  readonly transitionMs?: number;
}

/** One operation: validated input in, an SDK-typed output (minus $metadata) out. */
export type AwsHandler = (ctx: AwsCallContext, body: unknown) => object;

type Out<T> = Omit<T, '$metadata'>;

const STATUSES = ['OutOfService', 'Creating', 'Updating', 'SystemUpdating', 'RollingBack', 'InService', 'Deleting', 'Failed', 'UpdateRollbackFailed'] as const;
const name = z.string().min(1).max(63);
const maxResults = (max: number) => z.number().int().min(1, 'Member must have value greater than or equal to 1').max(max, `Member must have value less than or equal to ${max}`);
const tagList = z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256).default('') })).max(50);

const listEndpointsInput = z.object({
  SortBy: z.enum(['Name', 'CreationTime', 'Status']).default('CreationTime'),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  NameContains: z.string().optional(),
  CreationTimeBefore: z.number().optional(),
  CreationTimeAfter: z.number().optional(),
  LastModifiedTimeBefore: z.number().optional(),
  LastModifiedTimeAfter: z.number().optional(),
  StatusEquals: z.enum(STATUSES).optional(),
});

const listEndpointConfigsInput = z.object({
  SortBy: z.enum(['Name', 'CreationTime']).default('CreationTime'),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
  NameContains: z.string().optional(),
  CreationTimeBefore: z.number().optional(),
  CreationTimeAfter: z.number().optional(),
});

function listEndpoints(ctx: AwsCallContext, body: unknown): Out<ListEndpointsCommandOutput> {
  const input = parseInput(listEndpointsInput, body);
  ctx.region.settle(ctx.now);
  const contains = input.NameContains?.toLowerCase();
  const matches = sortedEndpoints(ctx.region, input.SortBy, input.SortOrder).filter(
    (e) =>
      (contains === undefined || e.name.toLowerCase().includes(contains)) &&
      (input.StatusEquals === undefined || e.status === input.StatusEquals) &&
      (input.CreationTimeBefore === undefined || e.createdAt < fromWireTime(input.CreationTimeBefore)) &&
      (input.CreationTimeAfter === undefined || e.createdAt > fromWireTime(input.CreationTimeAfter)) &&
      (input.LastModifiedTimeBefore === undefined || e.lastModifiedAt < fromWireTime(input.LastModifiedTimeBefore)) &&
      (input.LastModifiedTimeAfter === undefined || e.lastModifiedAt > fromWireTime(input.LastModifiedTimeAfter)),
  );
  const { page, next } = paginate(matches, input, input.MaxResults);
  return {
    Endpoints: page.map(
      (e): EndpointSummary => ({
        EndpointName: e.name,
        EndpointArn: e.arn,
        CreationTime: new Date(e.createdAt),
        LastModifiedTime: new Date(e.lastModifiedAt),
        EndpointStatus: e.status,
      }),
    ),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListEndpointsCommandOutput>;
}

const sortCache = new WeakMap<AwsRegionState, Map<string, EndpointRecord[]>>();

/** Sorted once per state version: listing 10,000 endpoints page by page must not sort per page. */
function sortedEndpoints(region: AwsRegionState, by: 'Name' | 'CreationTime' | 'Status', order: 'Ascending' | 'Descending'): EndpointRecord[] {
  const key = `${region.version}|${by}|${order}`;
  let perRegion = sortCache.get(region);
  const hit = perRegion?.get(key);
  if (hit) return hit;
  const sign = order === 'Ascending' ? 1 : -1;
  const sorted = [...region.endpoints.values()].sort((a, b) => {
    const primary =
      by === 'Name' ? cmp(a.name, b.name) : by === 'Status' ? cmp(a.status, b.status) || cmp(a.name, b.name) : a.createdAt - b.createdAt || cmp(a.name, b.name);
    return sign * primary;
  });
  perRegion = new Map([[key, sorted]]);
  sortCache.set(region, perRegion);
  return sorted;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Offset pagination with a token bound to the request's filters, so a token cannot be replayed elsewhere. */
function paginate<T>(items: readonly T[], input: { NextToken?: string | undefined }, pageSize: number): { page: T[]; next?: string } {
  const { NextToken, ...rest } = input;
  const fingerprint = JSON.stringify(Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'MaxResults')));
  let offset = 0;
  if (NextToken !== undefined) {
    const decoded = decodeToken(NextToken, fingerprint);
    if (decoded === undefined) throw new AwsApiError('invalid-next-token', 'Invalid pagination token.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + pageSize);
  const end = offset + page.length;
  return end < items.length ? { page, next: encodeToken(end, fingerprint) } : { page };
}

function describeEndpoint(ctx: AwsCallContext, body: unknown): Out<DescribeEndpointCommandOutput> {
  const input = parseInput(z.object({ EndpointName: name }), body);
  ctx.region.settle(ctx.now);
  const ep = mustFindEndpoint(ctx, input.EndpointName);
  const config = ctx.region.config(ep.configName);
  // A Creating endpoint has no variants yet, as the real DescribeEndpoint shows.
  const variants = ep.status === 'Creating' || !config ? undefined : config.variants.map((v) => variantSummary(v, ep));
  return {
    EndpointName: ep.name,
    EndpointArn: ep.arn,
    EndpointConfigName: ep.configName,
    ...(variants ? { ProductionVariants: variants } : {}),
    EndpointStatus: ep.status,
    CreationTime: new Date(ep.createdAt),
    LastModifiedTime: new Date(ep.lastModifiedAt),
    ...(config?.async ? { AsyncInferenceConfig: asyncConfig(ctx, config) } : {}),
  } satisfies Out<DescribeEndpointCommandOutput>;
}

function variantSummary(v: VariantSpec, ep: EndpointRecord): ProductionVariantSummary {
  if (v.serverless) {
    const serverless = {
      MemorySizeInMB: v.serverless.memorySizeInMB,
      MaxConcurrency: v.serverless.maxConcurrency,
      ...(v.serverless.provisionedConcurrency ? { ProvisionedConcurrency: v.serverless.provisionedConcurrency } : {}),
    };
    return { VariantName: v.name, CurrentWeight: v.weight, DesiredWeight: v.weight, CurrentServerlessConfig: serverless, DesiredServerlessConfig: serverless };
  }
  const desired = v.instanceCount ?? 1;
  return {
    VariantName: v.name,
    CurrentWeight: v.weight,
    DesiredWeight: v.weight,
    CurrentInstanceCount: ep.fromWorld ? (v.currentInstanceCount ?? desired) : desired,
    DesiredInstanceCount: desired,
  };
}

function asyncConfig(ctx: AwsCallContext, config: EndpointConfigRecord) {
  return {
    OutputConfig: { S3OutputPath: `s3://sagemaker-${ctx.region.region}-${ctx.region.accountId}/async-inference/${config.endpointName}/output` },
  };
}

function mustFindEndpoint(ctx: AwsCallContext, endpointName: string): EndpointRecord {
  const ep = ctx.region.endpoint(endpointName);
  if (!ep) throw new AwsApiError('validation', `Could not find endpoint "${ctx.region.arn('endpoint', endpointName)}".`);
  return ep;
}

function describeEndpointConfig(ctx: AwsCallContext, body: unknown): Out<DescribeEndpointConfigCommandOutput> {
  const input = parseInput(z.object({ EndpointConfigName: name }), body);
  const config = ctx.region.config(input.EndpointConfigName);
  if (!config) {
    throw new AwsApiError('validation', `Could not find endpoint configuration "${ctx.region.arn('endpoint-config', input.EndpointConfigName)}".`);
  }
  return {
    EndpointConfigName: config.name,
    EndpointConfigArn: config.arn,
    ProductionVariants: config.variants.map((v) => productionVariant(v, config)),
    CreationTime: new Date(config.createdAt),
    ...(config.async ? { AsyncInferenceConfig: asyncConfig(ctx, config) } : {}),
  } satisfies Out<DescribeEndpointConfigCommandOutput>;
}

function productionVariant(v: VariantSpec, config: EndpointConfigRecord): ProductionVariant {
  const modelName = v.modelName ?? (config.variants.length === 1 ? `${config.endpointName}-model` : `${config.endpointName}-${v.name}-model`);
  if (v.serverless) {
    return {
      VariantName: v.name,
      ModelName: modelName,
      InitialVariantWeight: v.weight,
      ServerlessConfig: {
        MemorySizeInMB: v.serverless.memorySizeInMB,
        MaxConcurrency: v.serverless.maxConcurrency,
        ...(v.serverless.provisionedConcurrency ? { ProvisionedConcurrency: v.serverless.provisionedConcurrency } : {}),
      },
    };
  }
  return {
    VariantName: v.name,
    ModelName: modelName,
    InitialInstanceCount: v.instanceCount ?? 1,
    InstanceType: v.instanceType as ProductionVariant['InstanceType'],
    InitialVariantWeight: v.weight,
  };
}

function listEndpointConfigs(ctx: AwsCallContext, body: unknown): Out<ListEndpointConfigsCommandOutput> {
  const input = parseInput(listEndpointConfigsInput, body);
  const contains = input.NameContains?.toLowerCase();
  const sign = input.SortOrder === 'Ascending' ? 1 : -1;
  const matches = [...ctx.region.configs.values()]
    .filter(
      (c) =>
        (contains === undefined || c.name.toLowerCase().includes(contains)) &&
        (input.CreationTimeBefore === undefined || c.createdAt < fromWireTime(input.CreationTimeBefore)) &&
        (input.CreationTimeAfter === undefined || c.createdAt > fromWireTime(input.CreationTimeAfter)),
    )
    .sort((a, b) => sign * (input.SortBy === 'Name' ? cmp(a.name, b.name) : a.createdAt - b.createdAt || cmp(a.name, b.name)));
  const { page, next } = paginate(matches, input, input.MaxResults);
  return {
    EndpointConfigs: page.map((c) => ({ EndpointConfigName: c.name, EndpointConfigArn: c.arn, CreationTime: new Date(c.createdAt) })),
    ...(next ? { NextToken: next } : {}),
  } satisfies Out<ListEndpointConfigsCommandOutput>;
}

/** Tags of the resource an ARN names, which must live in the caller's account and region. */
function tagsOf(ctx: AwsCallContext, arn: string): Map<string, string> {
  const m = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) throw new AwsApiError('validation', `1 validation error detected: Value '${arn}' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:.+`);
  const [, region, account, kind, resource = ''] = m;
  const found =
    region === ctx.region.region && account === ctx.region.accountId
      ? kind === 'endpoint'
        ? ctx.region.endpoint(resource)?.tags
        : kind === 'endpoint-config'
          ? ctx.region.config(resource)?.tags
          : ctx.region.sm.tagsOf(`${kind}/${resource}`)
      : undefined;
  if (!found) throw new AwsApiError('validation', `Could not find resource "${arn}".`);
  return found;
}

function listTags(ctx: AwsCallContext, body: unknown): Out<ListTagsCommandOutput> {
  const input = parseInput(z.object({ ResourceArn: z.string().min(1).max(256), NextToken: z.string().optional(), MaxResults: maxResults(100).default(50) }), body);
  const tags = [...tagsOf(ctx, input.ResourceArn)].map(([Key, Value]) => ({ Key, Value }));
  const { page, next } = paginate(tags, input, input.MaxResults);
  return { Tags: page, ...(next ? { NextToken: next } : {}) } satisfies Out<ListTagsCommandOutput>;
}

function addTags(ctx: AwsCallContext, body: unknown): Out<AddTagsCommandOutput> {
  const input = parseInput(z.object({ ResourceArn: z.string().min(1).max(256), Tags: tagList }), body);
  const tags = tagsOf(ctx, input.ResourceArn);
  const after = new Set([...tags.keys(), ...input.Tags.map((t) => t.Key)]);
  if (after.size > 50) throw new AwsApiError('validation', `Tag limit exceeded: a resource can have at most 50 tags, this request would leave ${after.size}.`);
  for (const t of input.Tags) tags.set(t.Key, t.Value);
  ctx.region.version++;
  return { Tags: input.Tags } satisfies Out<AddTagsCommandOutput>;
}

function deleteEndpoint(ctx: AwsCallContext, body: unknown): Out<DeleteEndpointCommandOutput> {
  const input = parseInput(z.object({ EndpointName: name }), body);
  mustFindEndpoint(ctx, input.EndpointName);
  ctx.region.deleteEndpoint(input.EndpointName, ctx.now);
  return {} satisfies Out<DeleteEndpointCommandOutput>;
}

function createEndpoint(ctx: AwsCallContext, body: unknown): Out<CreateEndpointCommandOutput> {
  const input = parseInput(
    z.object({ EndpointName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}'), EndpointConfigName: name, Tags: tagList.optional() }),
    body,
  );
  if (ctx.region.endpoint(input.EndpointName)) {
    throw new AwsApiError('validation', `Cannot create already existing endpoint "${ctx.region.arn('endpoint', input.EndpointName)}".`);
  }
  const config = ctx.region.config(input.EndpointConfigName);
  if (!config) {
    throw new AwsApiError('validation', `Could not find endpoint configuration "${ctx.region.arn('endpoint-config', input.EndpointConfigName)}".`);
  }
  const tags = new Map((input.Tags ?? []).map((t) => [t.Key, t.Value]));
  const ep = ctx.region.createEndpoint(input.EndpointName, config, tags, ctx.now, ctx.endpointCreationMs);
  return { EndpointArn: ep.arn } satisfies Out<CreateEndpointCommandOutput>;
}

/** The SageMaker operations the sandbox implements, by `X-Amz-Target` operation name. */
export const SAGEMAKER_OPERATIONS = {
  ListEndpoints: listEndpoints,
  DescribeEndpoint: describeEndpoint,
  DescribeEndpointConfig: describeEndpointConfig,
  ListEndpointConfigs: listEndpointConfigs,
  ListTags: listTags,
  AddTags: addTags,
  DeleteEndpoint: deleteEndpoint,
  CreateEndpoint: createEndpoint,
  ...NOTEBOOK_OPERATIONS,
  ...STUDIO_OPERATIONS,
  ...JOB_OPERATIONS,
  ...SEARCH_OPERATIONS,
} as const satisfies Record<string, AwsHandler>;
