import { describe, expect, it } from 'vitest';
import type { QuietHours } from '../../shared/config/schema.js';
import type { Resource } from '../../shared/domain/resource.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { idleStudioApp } from '../../shared/rules/idle-studio-app.js';

const now = new Date('2025-06-18T12:00:00Z');
const HOUR = 3_600_000;
const prices = new PriceBook();
const nights: QuietHours = { start: '22:00', end: '07:00', timezone: 'Europe/Berlin' };
const settings = { windowHours: 2 };

function app(attributes: Resource['attributes'] = {}, over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '222222222222' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.studio-app',
    id: 'arn:aws:sagemaker:us-east-1:222222222222:app/d-abc/ana-lab/jupyterlab/default',
    name: 'ana-lab/JupyterLab/default',
    tags: {},
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date(now.getTime() - 72 * HOUR),
    components: [{ name: 'default', instanceType: 'ml.g5.xlarge', instanceCount: 1, capacity: 'provisioned' }],
    attributes: {
      domainId: 'd-abc',
      appType: 'JupyterLab',
      appName: 'default',
      spaceName: 'ana-lab',
      userProfileName: null,
      lastUserActivity: null,
      lastHealthCheck: now.toISOString(),
      idleShutdownMinutes: null,
      ...attributes,
    },
    ...over,
  };
}

describe('idle-studio-app rule', () => {
  it('finds an app idle with high confidence when its last real user activity is older than the window', () => {
    const r = idleStudioApp.evaluate({ resource: app({ lastUserActivity: new Date(now.getTime() - 26 * HOUR).toISOString() }), usage: [], settings, now, prices });

    expect(r.state).toBe('violation');
    if (r.state !== 'violation') return;
    expect(r.confidence).toBe('high');
    expect(r.lastActivity).toEqual(new Date(now.getTime() - 26 * HOUR));
    expect(r.waste?.arithmetic).toBe('ml.g5.xlarge $1.408/h × 1 × 730 h = $1,027.84/month');
    expect(r.waste?.priceSource).toContain('studio price table');
    expect(r.evidence.join('\n')).toContain("keeps the user's files in the space's storage");
  });

  it('lets an app with recent user activity run', () => {
    const r = idleStudioApp.evaluate({ resource: app({ lastUserActivity: new Date(now.getTime() - 20 * 60_000).toISOString() }), usage: [], settings, now, prices });
    expect(r.state).toBe('ok');
  });

  it('with only health checks to go by, judges by the quiet hours with medium confidence', () => {
    const r = idleStudioApp.evaluate({ resource: app(), usage: [], settings: { ...settings, quietHours: nights }, now, prices });
    expect(r.state).toBe('violation');
    expect(r.state === 'violation' && r.confidence).toBe('medium');
  });

  it('reports unknown, never idle, with no activity signal and no quiet hours', () => {
    const r = idleStudioApp.evaluate({ resource: app(), usage: [], settings, now, prices });
    expect(r.state).toBe('unknown');
  });

  it("trusts Studio's idle shutdown when there is no activity to go by", () => {
    const r = idleStudioApp.evaluate({ resource: app({ idleShutdownMinutes: 120 }), usage: [], settings: { ...settings, quietHours: nights }, now, prices });
    expect(r.state).toBe('not-applicable');
  });

  it('does not judge free system apps, young apps or deleted ones', () => {
    const system = app({ appType: 'JupyterServer' }, { components: [] });
    const young = app({}, { createdAt: new Date(now.getTime() - HOUR) });
    const deleted = app({}, { state: 'Deleted', lifecycle: 'stopped' });

    for (const resource of [system, young, deleted]) expect(idleStudioApp.evaluate({ resource, usage: [], settings, now, prices }).state).toBe('not-applicable');
  });
});
