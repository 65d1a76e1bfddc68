import { describe, expect, it } from 'vitest';
import { AWS_DELETE_ENDPOINT, sagemakerEndpoint } from '../../shared/providers/aws/kinds/sagemaker-endpoint.js';
import type { AwsKindContext } from '../../shared/providers/aws/kinds/context.js';

/*
 * Undo of a deleted endpoint may run twice: an undo cut off by a crash is run again by the
 * recovery. It must then find the endpoint already back and change nothing, and it must not try
 * to create an endpoint whose deletion is still under way.
 */

const REF = { cloud: 'aws' as const, scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint' as const, id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3', name: 'fraud-v3' };
const SAVED = { endpointName: 'fraud-v3', endpointConfigName: 'fraud-v3-config', tags: { team: 'fraud' } };

function ctxWith(endpointStatus: string | 'absent'): { ctx: AwsKindContext; sent: string[] } {
  const sent: string[] = [];
  const send = (cmd: { constructor: { name: string } }) => {
    const name = cmd.constructor.name.replace(/Command$/, '');
    sent.push(name);
    if (name === 'DescribeEndpoint') {
      if (endpointStatus === 'absent') return Promise.reject(Object.assign(new Error('Could not find endpoint "fraud-v3".'), { name: 'ValidationException' }));
      return Promise.resolve({ EndpointName: 'fraud-v3', EndpointStatus: endpointStatus });
    }
    return Promise.resolve({});
  };
  return { ctx: { clients: { sagemaker: () => Promise.resolve({ send }) } } as unknown as AwsKindContext, sent };
}

const undo = sagemakerEndpoint.actions!.find((a) => a.id === AWS_DELETE_ENDPOINT)!.undo!;

describe('undo of a deleted SageMaker endpoint', () => {
  it('re-creates the endpoint from its kept config when it is gone', async () => {
    const { ctx, sent } = ctxWith('absent');
    expect((await undo(ctx, REF, SAVED)).summary).toBe('re-created endpoint fraud-v3 from endpoint config fraud-v3-config');
    expect(sent).toEqual(['DescribeEndpoint', 'DescribeEndpointConfig', 'CreateEndpoint']);
  });

  it('changes nothing when an endpoint of that name is back already (the undo ran before)', async () => {
    for (const status of ['Creating', 'InService', 'Failed']) {
      const { ctx, sent } = ctxWith(status);
      expect((await undo(ctx, REF, SAVED)).summary).toBe(`endpoint fraud-v3 exists already (${status}); nothing to undo`);
      expect(sent).toEqual(['DescribeEndpoint']);
    }
  });

  it('refuses, asking to try again, while the deletion is still under way', async () => {
    const { ctx, sent } = ctxWith('Deleting');
    await expect(undo(ctx, REF, SAVED)).rejects.toThrow('cannot re-create fraud-v3 while it is still being deleted; try Undo again in a few minutes');
    expect(sent).toEqual(['DescribeEndpoint']);
  });
});
