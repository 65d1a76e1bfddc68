import { sagemakerLifecycle } from './lifecycle.js';
import { isSageMakerNotFound, listTagsReader, searchedTagsReader, type TagReader } from './tags.js';
import type { DescribeEndpointConfigCommandOutput, DescribeEndpointCommandOutput, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Resource, ResourceComponent, Scope } from '../../domain/resource.js';
import { clientOf, sagemakerSdk, type ClientRef } from './sdk.js';
import { mapLimit } from '../../util/concurrency.js';

/** Resource kind of SageMaker real-time (and async) endpoints. */
export const SAGEMAKER_ENDPOINT = 'aws.sagemaker.endpoint' as const;


/** Endpoint configs read (or known) by name; a name read once per listing, or once across scans when cached. */
export type EndpointConfigCache = Map<string, Promise<DescribeEndpointConfigCommandOutput | undefined>>;

/** Reads every endpoint of one account/region with variants, config and tags (tags in batches: `searchedTagsReader`). */
export async function listEndpoints(ref: ClientRef<SageMakerClient>, scope: Scope, region: string, concurrency = 8, configs: EndpointConfigCache = new Map()): Promise<Resource[]> {
  const [{ paginateListEndpoints }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const names: string[] = [];
  for await (const page of paginateListEndpoints({ client: sm, pageSize: 100 }, {})) {
    for (const e of page.Endpoints ?? []) if (e.EndpointName) names.push(e.EndpointName);
  }
  const tags = searchedTagsReader(sm, 'endpoint');
  const found = await mapLimit(names, concurrency, (name) => describeEndpoint(sm, scope, region, name, configs, tags));
  return found.filter((r): r is Resource => r !== undefined);
}

/** Reads one endpoint; undefined when it does not exist (any more). */
export async function describeEndpoint(
  ref: ClientRef<SageMakerClient>,
  scope: Scope,
  region: string,
  name: string,
  configCache = new Map<string, Promise<DescribeEndpointConfigCommandOutput | undefined>>(),
  tagReader?: TagReader,
): Promise<Resource | undefined> {
  const [{ DescribeEndpointCommand, DescribeEndpointConfigCommand }, sm] = await Promise.all([sagemakerSdk(), clientOf(ref)]);
  const tagsOf = tagReader ?? listTagsReader(sm);
  let ep: DescribeEndpointCommandOutput;
  try {
    ep = await sm.send(new DescribeEndpointCommand({ EndpointName: name }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const configName = ep.EndpointConfigName;
  let config: DescribeEndpointConfigCommandOutput | undefined;
  if (configName) {
    let p = configCache.get(configName);
    if (!p) {
      p = sm.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName })).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      configCache.set(configName, p);
    }
    config = await p;
  }
  const arn = ep.EndpointArn ?? `arn:aws:sagemaker:${region}:${scope.id}:endpoint/${name.toLowerCase()}`;
  const tags = await tagsOf(arn);

  const configVariants = new Map((config?.ProductionVariants ?? []).map((v) => [v.VariantName, v]));
  const components: ResourceComponent[] = (ep.ProductionVariants ?? []).map((v) => {
    const cv = configVariants.get(v.VariantName);
    const serverless = v.CurrentServerlessConfig ?? cv?.ServerlessConfig;
    if (serverless) return { name: v.VariantName ?? 'AllTraffic', instanceCount: 0, capacity: 'serverless' as const };
    return {
      name: v.VariantName ?? 'AllTraffic',
      instanceCount: v.CurrentInstanceCount ?? cv?.InitialInstanceCount ?? 0,
      capacity: 'provisioned' as const,
      ...(cv?.InstanceType ? { instanceType: cv.InstanceType } : {}),
    };
  });
  const status = ep.EndpointStatus ?? 'Unknown';
  return {
    cloud: 'aws',
    scope,
    region,
    kind: SAGEMAKER_ENDPOINT,
    id: arn,
    name: ep.EndpointName ?? name,
    tags,
    state: status,
    lifecycle: sagemakerLifecycle(SAGEMAKER_ENDPOINT, status),
    ...(ep.CreationTime ? { createdAt: ep.CreationTime } : {}),
    ...(ep.LastModifiedTime ? { lastModifiedAt: ep.LastModifiedTime } : {}),
    components,
    attributes: {
      endpointConfigName: configName ?? null,
      asynchronous: config?.AsyncInferenceConfig !== undefined,
    },
  };
}

/** SageMaker answers a missing endpoint with ValidationException "Could not find endpoint". */
export const isNotFound = isSageMakerNotFound;
