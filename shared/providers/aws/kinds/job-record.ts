import type { Resource } from '../../../domain/resource.js';

/** Stopping a job cannot be undone; this records what was stopped and how far it got, for the audit log. */
export function jobRecord(r: Resource): Promise<Record<string, unknown>> {
  return Promise.resolve({
    jobName: r.name,
    status: r.state,
    startedAt: r.attributes['startedAt'] ?? null,
    instances: r.components.map((c) => ({ instanceType: c.instanceType ?? null, instanceCount: c.instanceCount })),
  });
}

