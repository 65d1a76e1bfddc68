import { ListTagsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';

/** Every tag of a SageMaker resource, all ListTags pages followed. */
export async function readTags(sm: SageMakerClient, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await sm.send(new ListTagsCommand({ ResourceArn: arn, NextToken: token, MaxResults: 100 }));
    for (const t of page.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
    token = page.NextToken;
  } while (token);
  return tags;
}

/** A missing SageMaker resource: `ResourceNotFound`, or `ValidationException` worded as not found (`RecordNotFound`, "Could not find ..."). */
export function isSageMakerNotFound(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e?.name === 'ResourceNotFound' ||
    (e?.name === 'ValidationException' && /could not find|does not exist|not found|RecordNotFound/i.test(e.message ?? ''))
  );
}
