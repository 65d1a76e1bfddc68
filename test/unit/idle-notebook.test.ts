import { describe, expect, it } from 'vitest';
import type { QuietHours } from '../../shared/config/schema.js';
import type { Resource } from '../../shared/domain/resource.js';
import type { UsageSeries } from '../../shared/domain/usage.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { detectAutoStop } from '../../shared/providers/aws/sagemaker-notebooks.js';
import { lastQuietStretch, quietStretches } from '../../shared/rules/helpers.js';
import { idleNotebook } from '../../shared/rules/idle-notebook.js';

const now = new Date('2025-06-18T12:00:00Z'); // a Wednesday
const HOUR = 3_600_000;
const prices = new PriceBook();
const nights: QuietHours = { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' };
const settings = { windowHours: 2, cpuBelowPercent: 5 };

function notebook(runningHours: number, attributes: Resource['attributes'] = {}, over: Partial<Resource> = {}): Resource {
  const since = new Date(now.getTime() - runningHours * HOUR);
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '222222222222' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.notebook-instance',
    id: 'arn:aws:sagemaker:us-east-1:222222222222:notebook-instance/research-nb',
    name: 'research-nb',
    tags: {},
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 60 * 24 * HOUR),
    lastModifiedAt: since,
    components: [{ name: 'notebook', instanceType: 'ml.g4dn.xlarge', instanceCount: 1, capacity: 'provisioned' }],
    attributes: { lifecycleConfigName: null, autoStopIdleMinutes: null, runningSince: since.toISOString(), ...attributes },
    ...over,
  };
}

function cpu(values: number[] | 'absent' | 'error'): UsageSeries {
  const points = Array.isArray(values) ? values.map((v, i) => ({ at: new Date(now.getTime() - (values.length - i) * HOUR), value: v })) : [];
  return {
    resourceId: notebook(0).id,
    signal: 'cpu',
    metric: 'SageMakerNotebookInstances:100-cpu_usage_idle',
    unit: 'Percent',
    window: { start: new Date(now.getTime() - 336 * HOUR), end: now },
    periodSeconds: 3600,
    status: Array.isArray(values) ? 'present' : values,
    points,
    ...(values === 'error' ? { error: 'GetMetricData failed: Throttling' } : {}),
  };
}

describe('idle-notebook rule', () => {
  it('finds a notebook idle with high confidence when its published CPU stayed below the threshold', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [cpu([40, 30, 2, 1, 0.5])], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('high');
    expect(r.waste?.arithmetic).toBe('ml.g4dn.xlarge $0.7364/h × 1 × 730 h = $537.57/month');
    expect(r.waste?.priceSource).toContain('notebook price table');
  });

  it('lowers confidence to medium when its CPU datapoints cover only part of the window at the period asked', () => {
    // Read in 5-minute periods over the 2 h window, as the collector reads it: 3 datapoints of 24 periods.
    const sparse: UsageSeries = { ...cpu([1, 1, 1]), periodSeconds: 300, window: { start: new Date(now.getTime() - 2 * HOUR), end: now } };
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [{ ...sparse, points: sparse.points.map((p, i) => ({ at: new Date(now.getTime() - (i + 1) * 30 * 60_000), value: p.value })) }], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('medium');
    expect(r.evidence.join('\n')).toContain('CPU datapoints cover only 12% of the window (3 of its 24 periods of 5 min): not proven idle');
  });

  it('lets a notebook whose CPU is in use run', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [cpu([1, 1, 1, 40])], settings, now, prices });
    expect(r.state).toBe('ok');
  });

  it('without a CPU metric, finds a notebook that ran through the quiet hours idle with medium confidence', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [], settings: { ...settings, quietHours: nights }, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('medium');
    // 22:00–07:00 in Berlin is 20:00–05:00 UTC in June.
    expect(r.evidence.join('\n')).toContain('2025-06-17 20:00 UTC to 2025-06-18 05:00 UTC');
  });

  it('does not call a notebook started after last night\'s quiet hours began idle by night', () => {
    const r = idleNotebook.evaluate({ resource: notebook(10), usage: [], settings: { ...settings, quietHours: nights }, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('reports usage as unknown, never idle, with no CPU metric, no quiet hours and nothing that stops it', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [cpu('absent')], settings, now, prices });

    expect(r.state).toBe('unknown');
    expect(r.state === 'unknown' && r.evidence.join('\n')).toContain('no lifecycle configuration stops it');
  });

  it('trusts an auto-stop lifecycle configuration when nothing says otherwise', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30, { lifecycleConfigName: 'auto-stop-idle', autoStopIdleMinutes: 60 }), usage: [], settings: { ...settings, quietHours: nights }, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('still flags a notebook with an auto-stop configuration when its CPU shows it idle', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30, { lifecycleConfigName: 'auto-stop-idle', autoStopIdleMinutes: 60 }), usage: [cpu([1, 1, 1])], settings, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.evidence.join('\n')).toContain('should stop it after 60 min idle, yet it is still running');
  });

  it('falls back to the quiet hours when the CPU metric could not be read, and says so', () => {
    const r = idleNotebook.evaluate({ resource: notebook(30), usage: [cpu('error')], settings: { ...settings, quietHours: nights }, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.evidence.join('\n')).toContain('could not be read (GetMetricData failed: Throttling)');
  });

  it('does not judge notebooks that are stopped or started within the window', () => {
    expect(idleNotebook.evaluate({ resource: notebook(30, {}, { lifecycle: 'stopped', state: 'Stopped' }), usage: [], settings, now, prices }).state).toBe('not-applicable');
    expect(idleNotebook.evaluate({ resource: notebook(1), usage: [cpu([0])], settings, now, prices }).state).toBe('not-applicable');
  });
});

describe('quiet hours stretches', () => {
  it('finds last night in the zone\'s wall clock, across a DST change', () => {
    // Europe/Berlin left summer time at 03:00 on 2025-10-26: that night lasted an hour longer in UTC.
    const [sunday] = quietStretches(nights, new Date('2025-10-26T12:00:00Z'));
    const [monday] = quietStretches(nights, new Date('2025-10-27T12:00:00Z'));

    expect([sunday?.start.toISOString(), sunday?.end.toISOString()]).toEqual(['2025-10-25T20:00:00.000Z', '2025-10-26T06:00:00.000Z']);
    expect([monday?.start.toISOString(), monday?.end.toISOString()]).toEqual(['2025-10-26T21:00:00.000Z', '2025-10-27T06:00:00.000Z']);
  });

  it('uses the current stretch once the window has passed in it, the previous one before', () => {
    const early = new Date('2025-06-17T21:00:00Z'); // 23:00 in Berlin: one hour into the night
    const late = new Date('2025-06-18T01:00:00Z'); // 03:00 in Berlin

    expect(lastQuietStretch(nights, early, 2)?.start.toISOString()).toBe('2025-06-16T20:00:00.000Z');
    const current = lastQuietStretch(nights, late, 2);
    expect([current?.start.toISOString(), current?.ongoing]).toEqual(['2025-06-17T20:00:00.000Z', true]);
  });

  it('honours the days quiet hours apply to', () => {
    const weekends: QuietHours = { start: '00:00', end: '23:59', timezone: 'UTC', days: ['sat', 'sun'] };
    expect(lastQuietStretch(weekends, now, 2)?.start.toISOString()).toBe('2025-06-15T00:00:00.000Z');
  });
});

describe('auto-stop detection in lifecycle scripts', () => {
  it('reads IDLE_TIME of the aws-samples auto-stop-idle script, one hour by default', () => {
    expect(detectAutoStop(['#!/bin/bash\nIDLE_TIME=1800\nwget .../autostop.py'])).toEqual({ idleMinutes: 30 });
    expect(detectAutoStop(['python3 autostop.py --time 7200 --ignore-connections'])).toEqual({ idleMinutes: 120 });
    expect(detectAutoStop(['aws sagemaker stop-notebook-instance --notebook-instance-name $NAME'])).toEqual({ idleMinutes: 60 });
  });

  it('finds nothing in scripts that do not stop the notebook', () => {
    expect(detectAutoStop(['#!/bin/bash\npip install pandas'])).toBeUndefined();
    expect(detectAutoStop([])).toBeUndefined();
  });
});
