import type { SageMakerClient, SearchCommandInput, Tag } from '@aws-sdk/client-sagemaker';
import { sagemakerSdk } from './sdk.js';

/** Every tag of a SageMaker resource, all ListTags pages followed. */
export async function readTags(sm: SageMakerClient, arn: string): Promise<Record<string, string>> {
  const { ListTagsCommand } = await sagemakerSdk();
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await sm.send(new ListTagsCommand({ ResourceArn: arn, NextToken: token, MaxResults: 100 }));
    for (const t of page.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    token = page.NextToken;
  } while (token);
  return tags;
}

/** Where a listing reads the tags of the resources it describes, by ARN. */
export type TagReader = (arn: string) => Promise<Record<string, string>>;

/** One ListTags pagination per resource: the reader of single reads (describe before acting, undo). */
export const listTagsReader = (sm: SageMakerClient): TagReader => (arn) => readTags(sm, arn);

/** The resource types SageMaker `Search` returns with their tags, and the filter of those costwatch describes. */
const SEARCHED = {
  endpoint: { resource: 'Endpoint', filter: undefined },
  'training-job': { resource: 'TrainingJob', filter: { Name: 'TrainingJobStatus', Operator: 'Equals', Value: 'InProgress' } },
} as const;

/**
 * Tags of a whole listing in batches: SageMaker `Search` returns up to 100 resources a page, each
 * with its tags, where ListTags takes one call per resource. The search runs once, on the first
 * resource asked for. Search is eventually consistent, so a resource it does not return (created a
 * moment ago) has its tags read with ListTags; if the search itself fails (a role without
 * `sagemaker:Search`), every resource falls back to ListTags. Tags read this way are those of the
 * listing; a single read before acting still reads ListTags (`listTagsReader`).
 */
export function searchedTagsReader(sm: SageMakerClient, type: keyof typeof SEARCHED): TagReader {
  let index: Promise<Map<string, Record<string, string>> | undefined> | undefined;
  return async (arn) => {
    index ??= searchAll(sm, type).catch(() => undefined);
    const found = (await index)?.get(arn.toLowerCase());
    return found ? { ...found } : readTags(sm, arn);
  };
}

async function searchAll(sm: SageMakerClient, type: keyof typeof SEARCHED): Promise<Map<string, Record<string, string>>> {
  const { SearchCommand } = await sagemakerSdk();
  const { resource, filter } = SEARCHED[type];
  const out = new Map<string, Record<string, string>>();
  let token: string | undefined;
  do {
    const input: SearchCommandInput = { Resource: resource, MaxResults: 100, ...(filter ? { SearchExpression: { Filters: [filter] } } : {}), ...(token ? { NextToken: token } : {}) };
    const page = await sm.send(new SearchCommand(input));
    for (const r of page.Results ?? []) {
      const arn = r.Endpoint?.EndpointArn ?? r.TrainingJob?.TrainingJobArn;
      const tags = r.Endpoint?.Tags ?? r.TrainingJob?.Tags;
      if (arn) out.set(arn.toLowerCase(), tagRecord(tags));
    }
    token = page.NextToken;
  } while (token);
  return out;
}

function tagRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** A missing SageMaker resource: `ResourceNotFound`, or `ValidationException` worded as not found (`RecordNotFound`, "Could not find ..."). */
export function isSageMakerNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e?.name === 'ResourceNotFound' ||
    (e?.name === 'ValidationException' && /could not find|does not exist|not found|RecordNotFound/i.test(e.message ?? ''))
  );
}
