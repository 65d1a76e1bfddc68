import { describe, expect, it } from 'vitest';
import { gcpClientFactory, staticTokenAuth } from '../../shared/providers/gcp/clients.js';

/*
 * Google clients are costly to build (each google-gax client loads its service's protos): they are
 * built once per API host and shared by every project; Cloud Storage (which lists its own project's
 * buckets) once per project.
 */

describe('gcp client factory', () => {
  it('shares google-gax clients across projects, per region for Vertex AI, and keeps Storage per project', () => {
    const factory = gcpClientFactory({ auth: { authClient: staticTokenAuth('t') }, endpoint: { apiEndpoint: '127.0.0.1', port: 1 } });
    const a = factory({ projectId: 'p-1', region: 'us-central1' });
    const b = factory({ projectId: 'p-2', region: 'us-central1' });
    const c = factory({ projectId: 'p-1', region: 'europe-west4' });
    expect(b.endpoints).toBe(a.endpoints);
    expect(b.jobs).toBe(a.jobs);
    expect(c.endpoints).not.toBe(a.endpoints);
    expect(b.monitoring).toBe(a.monitoring);
    expect(c.notebooks).toBe(a.notebooks);
    expect(b.storage).not.toBe(a.storage);
    expect(c.storage).toBe(a.storage);
  });
});
