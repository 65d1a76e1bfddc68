import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { withHourlyPrice } from '../../shared/pipeline/price-resources.js';
import { PriceBook } from '../../shared/pricing/price-book.js';

function resource(kind: Resource['kind'], components: Resource['components']): Resource {
  return { cloud: 'aws', scope: { cloud: 'aws', id: '111111111111' }, region: 'us-east-1', kind, id: `arn:${kind}`, name: 'r', tags: {}, state: 'InService', lifecycle: 'running', components, attributes: {} };
}

describe('resource hourly prices', () => {
  it('prices an endpoint from the hosting list: price × running instances, summed over variants', () => {
    const r = withHourlyPrice(
      resource('aws.sagemaker.endpoint', [
        { name: 'a', instanceType: 'ml.g5.xlarge', instanceCount: 2, capacity: 'provisioned' },
        { name: 'b', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' },
        { name: 's', instanceCount: 0, capacity: 'serverless' },
      ]),
      new PriceBook(),
    );
    expect(r.hourlyPrice).toEqual({ amount: 1.408 * 2 + 0.23, currency: 'USD' });
  });

  it('uses the price list of the kind, so a training job is not priced as hosting', () => {
    const book = new PriceBook({ aws: { 'ml.p3.2xlarge': 99 } });
    const hosting = withHourlyPrice(resource('aws.sagemaker.endpoint', [{ name: 'a', instanceType: 'ml.p3.2xlarge', instanceCount: 1, capacity: 'provisioned' }]), book);
    const training = withHourlyPrice(resource('aws.sagemaker.training-job', [{ name: 'a', instanceType: 'ml.p3.2xlarge', instanceCount: 1, capacity: 'provisioned' }]), book);
    expect(hosting.hourlyPrice?.amount).toBe(99);
    expect(training.hourlyPrice?.amount).not.toBe(99);
  });

  it('leaves the price unset when it is not known, rather than guessing', () => {
    const r = withHourlyPrice(resource('aws.sagemaker.endpoint', [{ name: 'a', instanceType: 'ml.x99.mega', instanceCount: 1, capacity: 'provisioned' }]), new PriceBook());
    expect(r.hourlyPrice).toBeUndefined();
  });
});
