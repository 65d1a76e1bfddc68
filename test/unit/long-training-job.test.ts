import { describe, expect, it } from 'vitest';
import type { Resource } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { longTrainingJob } from '../../shared/rules/long-training-job.js';

const now = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const prices = new PriceBook();
const settings = { maxHours: 72, maxRuntimeShare: 0.9 };

function job(hours: number, over: Partial<Resource> = {}, attributes: Resource['attributes'] = {}): Resource {
  const started = new Date(now.getTime() - hours * HOUR);
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.training-job',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:training-job/llm-ft',
    name: 'llm-ft',
    tags: {},
    state: 'InProgress',
    lifecycle: 'running',
    createdAt: new Date(started.getTime() - HOUR),
    components: [{ name: 'training', instanceType: 'ml.p3.2xlarge', instanceCount: 2, capacity: 'provisioned' }],
    attributes: { startedAt: started.toISOString(), maxRuntimeSeconds: 28 * 86_400, managedSpot: false, ...attributes },
    ...over,
  };
}

describe('long-training-job rule', () => {
  it('flags a job running longer than maxHours and shows the cost so far from the training price list', () => {
    const r = longTrainingJob.evaluate({ resource: job(80), usage: [], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.title).toBe('training job llm-ft has run 3.3 d ($612.00 so far)');
    expect(r.evidence).toContain('cost so far: ml.p3.2xlarge $3.825/h × 2 × 80 h = $612.00');
    expect(r.waste?.priceSource).toContain('training price table');
    // 28 days of MaxRuntimeInSeconds, 80 h of them used: stopping it now saves the 592 h it may still run.
    expect(r.waste?.arithmetic).toBe('ml.p3.2xlarge $3.825/h × 2 × 592 h left before MaxRuntimeInSeconds stops it = $4,528.80');
  });

  it('flags a job past its share of MaxRuntimeInSeconds and counts only the hours it has left', () => {
    const r = longTrainingJob.evaluate({ resource: job(9.5, {}, { maxRuntimeSeconds: 36_000 }), usage: [], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.evidence[0]).toContain('past 90% of its MaxRuntimeInSeconds');
    expect(r.waste?.arithmetic).toBe('ml.p3.2xlarge $3.825/h × 2 × 0.5 h left before MaxRuntimeInSeconds stops it = $3.83');
  });

  it('lets a job within both limits run', () => {
    const r = longTrainingJob.evaluate({ resource: job(10), usage: [], settings, now, prices });
    expect(r.state).toBe('ok');
  });

  it('judges processing jobs by the processing price list and says when nothing stops them', () => {
    const proc: Resource = {
      ...job(100, {}, { maxRuntimeSeconds: null }),
      kind: 'aws.sagemaker.processing-job',
      name: 'features',
      components: [{ name: 'processing', instanceType: 'ml.m5.xlarge', instanceCount: 1, capacity: 'provisioned' }],
    };
    const r = longTrainingJob.evaluate({ resource: proc, usage: [], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.evidence).toContain('no MaxRuntimeInSeconds: nothing stops it');
    expect(r.waste?.priceSource).toContain('processing price table');
    expect(r.waste?.arithmetic).toBe('ml.m5.xlarge $0.23/h × 1 × 730 h (a month of running on) = $167.90');
  });

  it('never prices a training job from the hosting table', () => {
    const onlyHosting = new PriceBook({}, [{ cloud: 'aws', service: 'hosting', currency: 'USD', unit: 'instance-hour', region: 'us-east-1', asOf: 'test', source: 'test', prices: { 'ml.p3.2xlarge': 1 } }]);
    const r = longTrainingJob.evaluate({ resource: job(80), usage: [], settings, now, prices: onlyHosting });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.waste).toBeUndefined();
    expect(r.evidence.join('\n')).toContain('no training price known for ml.p3.2xlarge');
  });

  it('takes a training: price override from costwatch.yml, and a bare override for hosting only', () => {
    const book = new PriceBook({ aws: { 'training:ml.p3.2xlarge': 3, 'ml.p3.2xlarge': 99 } });
    const r = longTrainingJob.evaluate({ resource: job(80), usage: [], settings, now, prices: book });

    expect(r.state === 'violation' && r.evidence).toContain('cost so far: ml.p3.2xlarge $3.00/h × 2 × 80 h = $480.00');
    expect(book.hourly('aws', 'ml.p3.2xlarge', 'us-east-1')?.price.amount).toBe(99);
  });

  it('notes that managed spot training bills below the on-demand price', () => {
    const r = longTrainingJob.evaluate({ resource: job(80, {}, { managedSpot: true }), usage: [], settings, now, prices });
    expect(r.state === 'violation' && r.evidence.join('\n')).toContain('managed spot training');
  });

  it('does not judge stopped jobs or other kinds', () => {
    expect(longTrainingJob.evaluate({ resource: job(80, { lifecycle: 'stopping', state: 'Stopping' }), usage: [], settings, now, prices }).state).toBe('not-applicable');
    expect(longTrainingJob.evaluate({ resource: job(80, { kind: 'aws.sagemaker.endpoint' }), usage: [], settings, now, prices }).state).toBe('not-applicable');
  });
});
