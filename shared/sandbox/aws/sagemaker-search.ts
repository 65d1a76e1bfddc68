import type { SearchCommandOutput, SearchRecord } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { maxResults, pageOf, sortBy } from './paging.js';
import { AwsApiError, parseInput } from './protocol.js';
import type { AwsCallContext, AwsHandler } from './sagemaker.js';

/*
 * SageMaker `Search` for the two resource types costwatch batches tags with: `Endpoint` and
 * `TrainingJob`. Each result carries the resource with its tags, up to 100 a page. Filters: the
 * operators `Equals` and `NotEquals` on the name and status fields (what costwatch sends); any other
 * filter, nested filter or resource type is answered with a ValidationException naming it, so a
 * caller relying on more fails loudly here rather than silently matching everything.
 */

type Out<T> = Omit<T, '$metadata'>;

const filter = z.object({
  Name: z.string().min(1).max(1024),
  Operator: z.enum(['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo', 'Contains', 'Exists', 'NotExists', 'In']).default('Equals'),
  Value: z.string().max(1024).optional(),
});

const searchInput = z.object({
  Resource: z.string().min(1),
  SearchExpression: z
    .object({
      Filters: z.array(filter).min(1).max(20).optional(),
      NestedFilters: z.array(z.unknown()).optional(),
      SubExpressions: z.array(z.unknown()).optional(),
      Operator: z.enum(['And', 'Or']).default('And'),
    })
    .optional(),
  SortBy: z.string().optional(),
  SortOrder: z.enum(['Ascending', 'Descending']).default('Descending'),
  NextToken: z.string().max(8192).optional(),
  MaxResults: maxResults(100).default(10),
});

/** The fields a filter may name, per resource type. */
const FIELDS = {
  Endpoint: { EndpointName: 'name', EndpointStatus: 'status' },
  TrainingJob: { TrainingJobName: 'name', TrainingJobStatus: 'status' },
} as const;

interface Row {
  readonly name: string;
  readonly status: string;
  readonly createdAt: number;
  readonly record: SearchRecord;
}

const tagList = (tags: Map<string, string>) => [...tags].map(([Key, Value]) => ({ Key, Value }));

function rows(ctx: AwsCallContext, resource: keyof typeof FIELDS): Row[] {
  if (resource === 'Endpoint') {
    ctx.region.settle(ctx.now);
    return [...ctx.region.endpoints.values()].map((e) => ({
      name: e.name,
      status: e.status,
      createdAt: e.createdAt,
      record: {
        Endpoint: {
          EndpointName: e.name,
          EndpointArn: e.arn,
          EndpointConfigName: e.configName,
          EndpointStatus: e.status,
          CreationTime: new Date(e.createdAt),
          LastModifiedTime: new Date(e.lastModifiedAt),
          Tags: tagList(e.tags),
        },
      },
    }));
  }
  ctx.region.sm.settle(ctx.now);
  return [...ctx.region.sm.trainingJobs.values()].map((j) => ({
    name: j.name,
    status: j.status,
    createdAt: j.createdAt,
    record: {
      TrainingJob: {
        TrainingJobName: j.name,
        TrainingJobArn: j.arn,
        TrainingJobStatus: j.status,
        CreationTime: new Date(j.createdAt),
        LastModifiedTime: new Date(j.lastModifiedAt),
        Tags: tagList(j.tags),
      },
    },
  }));
}

function search(ctx: AwsCallContext, body: unknown): Out<SearchCommandOutput> {
  const input = parseInput(searchInput, body);
  if (!(input.Resource in FIELDS)) {
    throw new AwsApiError('validation', `The sandbox's Search serves the resource types ${Object.keys(FIELDS).join(' and ')}, not ${input.Resource}.`);
  }
  const resource = input.Resource as keyof typeof FIELDS;
  const expr = input.SearchExpression;
  if (expr?.NestedFilters?.length || expr?.SubExpressions?.length) throw new AwsApiError('validation', 'The sandbox\'s Search does not serve NestedFilters or SubExpressions.');
  const fields: Readonly<Record<string, 'name' | 'status'>> = FIELDS[resource];
  const tests = (expr?.Filters ?? []).map((f) => {
    const field = fields[f.Name];
    if (!field || (f.Operator !== 'Equals' && f.Operator !== 'NotEquals') || f.Value === undefined) {
      throw new AwsApiError('validation', `The sandbox's Search serves Equals and NotEquals filters on ${Object.keys(fields).join(', ')}, not ${f.Name} ${f.Operator}.`);
    }
    return (r: Row) => (r[field] === f.Value) === (f.Operator === 'Equals');
  });
  const matches = rows(ctx, resource).filter((r) => (tests.length === 0 ? true : expr?.Operator === 'Or' ? tests.some((t) => t(r)) : tests.every((t) => t(r))));
  const sorted = sortBy(matches, (r) => (input.SortBy?.endsWith('Name') ? r.name : r.createdAt), input.SortOrder);
  const { page, next } = pageOf(sorted, input, input.MaxResults);
  return { Results: page.map((r) => r.record), ...(next ? { NextToken: next } : {}) } satisfies Out<SearchCommandOutput>;
}

/** `Search`, by `X-Amz-Target` operation name. */
export const SEARCH_OPERATIONS = { Search: search } as const satisfies Record<string, AwsHandler>;
