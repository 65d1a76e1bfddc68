import { describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../shared/domain/resource.js';
import { consoleUrl, scopeConsoleUrl } from '../../shared/slack/console-url.js';

const ref = (over: Partial<ResourceRef>): ResourceRef => ({ cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: 'x', name: 'fraud-v3', ...over });

describe('consoleUrl', () => {
  it.each([
    [ref({}), 'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/fraud-v3'],
    [ref({ region: 'eu-west-1', name: 'translate-eu' }), 'https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/endpoints/translate-eu'],
    [ref({ kind: 'aws.sagemaker.notebook-instance', name: 'research-nb' }), 'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/notebook-instances/research-nb'],
    [ref({ kind: 'aws.sagemaker.training-job', name: 'train-42' }), 'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/train-42'],
    [ref({ kind: 'aws.sagemaker.studio-app', name: 'default' }), 'https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/dashboard'],
    [ref({ region: 'cn-north-1' }), 'https://cn-north-1.console.amazonaws.cn/sagemaker/home?region=cn-north-1#/endpoints/fraud-v3'],
    [ref({ region: 'us-gov-west-1' }), 'https://console.amazonaws-us-gov.com/sagemaker/home?region=us-gov-west-1#/endpoints/fraud-v3'],
    [ref({ cloud: 'gcp', scopeId: 'ml-research-42', region: 'us-central1', kind: 'gcp.storage.bucket', id: 'gs://ckpt/', name: 'ckpt' }), 'https://console.cloud.google.com/storage/browser/ckpt?project=ml-research-42'],
    [ref({ cloud: 'gcp', scopeId: 'ml-research-42', region: 'us-central1', kind: 'gcp.storage.bucket', id: 'gs://ckpt/runs/a b/', name: 'ckpt/runs/a b/' }), 'https://console.cloud.google.com/storage/browser/ckpt/runs/a%20b/?project=ml-research-42'],
    [ref({ kind: 'aws.s3.bucket', name: 'ml-artifacts', region: 'eu-central-1' }), 'https://s3.console.aws.amazon.com/s3/buckets/ml-artifacts?region=eu-central-1'],
  ])('opens the AWS console page of %j', (r, url) => {
    expect(consoleUrl(r)).toBe(url);
  });

  it('opens a Vertex AI endpoint by its numeric id in its region and project', () => {
    const vertex = ref({ cloud: 'gcp', scopeId: 'ml-prod-1234', region: 'us-central1', kind: 'gcp.vertex.endpoint', id: 'projects/ml-prod-1234/locations/us-central1/endpoints/5031620295400620032', name: 'fraud' });

    expect(consoleUrl(vertex)).toBe('https://console.cloud.google.com/vertex-ai/online-prediction/locations/us-central1/endpoints/5031620295400620032?project=ml-prod-1234');
    expect(consoleUrl({ ...vertex, kind: 'gcp.vertex.workbench-instance' })).toBe('https://console.cloud.google.com/vertex-ai/workbench/instances?project=ml-prod-1234');
    expect(consoleUrl({ ...vertex, kind: 'gcp.compute.instance' })).toBe('https://console.cloud.google.com/home/dashboard?project=ml-prod-1234');
    expect(consoleUrl({ ...vertex, kind: 'gcp.workbench.instance', id: 'projects/ml-prod-1234/locations/us-central1-a/instances/nb' })).toBe('https://console.cloud.google.com/vertex-ai/workbench/instances?project=ml-prod-1234');
    expect(consoleUrl({ ...vertex, kind: 'gcp.vertex.custom-job', id: 'projects/123/locations/us-central1/customJobs/3001' })).toBe(
      'https://console.cloud.google.com/ai/platform/locations/us-central1/training/3001?project=ml-prod-1234',
    );
  });

  it('opens an Azure resource by its resource id in the portal', () => {
    const id = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws/onlineEndpoints/fraud';
    const azure = ref({ cloud: 'azure', scopeId: '00000000-0000-0000-0000-000000000001', region: 'westeurope', kind: 'azure.ml.online-endpoint', id, name: 'fraud' });

    expect(consoleUrl(azure)).toBe(`https://portal.azure.com/#resource${id}/overview`);
    expect(consoleUrl({ ...azure, id: 'fraud' })).toBe('https://portal.azure.com/#resource/subscriptions/00000000-0000-0000-0000-000000000001/overview');
  });

  it('escapes names so they stay one path segment', () => {
    expect(consoleUrl(ref({ name: 'a b/c' }))).toBe('https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/endpoints/a%20b%2Fc');
  });
});

describe('scopeConsoleUrl', () => {
  it('opens where each cloud shows a scope’s cost and budgets', () => {
    expect(scopeConsoleUrl('aws', '111111111111')).toBe('https://us-east-1.console.aws.amazon.com/billing/home#/budgets');
    expect(scopeConsoleUrl('gcp', 'ml-prod-1234')).toBe('https://console.cloud.google.com/billing/linkedaccount?project=ml-prod-1234');
    expect(scopeConsoleUrl('azure', 'sub-1')).toBe('https://portal.azure.com/#resource/subscriptions/sub-1/costanalysis');
  });
});
