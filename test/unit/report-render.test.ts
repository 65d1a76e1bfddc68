import { describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/domain/finding.js';
import type { ScanReport } from '../../shared/pipeline/scan.js';
import { renderText, reportJson } from '../../shared/report/render.js';

const at = new Date('2026-11-28T12:00:00Z');
const resource = (name: string) => ({ cloud: 'aws' as const, scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint' as const, id: `arn:${name}`, name });

function finding(name: string, amount: number, basis?: 'until-stopped'): Finding {
  return {
    id: `r:${name}`,
    ruleId: 'r',
    state: 'violation',
    cloud: 'aws',
    scopeId: '111111111111',
    region: 'us-east-1',
    resource: resource(name),
    title: `${name} wastes`,
    evidence: [],
    confidence: 'high',
    waste: { monthly: { amount, currency: 'USD' }, arithmetic: 'a', priceSource: 'p', ...(basis ? { basis } : {}) },
    detectedAt: at,
  };
}

function report(findings: Finding[]): ScanReport {
  return {
    startedAt: at,
    durationMs: 1200,
    dryRun: false,
    scopes: [{ target: { scope: { cloud: 'aws', id: '111111111111', name: 'prod' }, regions: ['us-east-1'] }, resources: 2, failures: 0 }],
    findings,
    proposals: [],
    skipped: [],
    executions: [],
    wastePerMonth: [],
    stats: { evaluated: 2, ok: 0, notApplicable: 0, notJudged: [] },
  };
}

describe('text report', () => {
  it('labels a one-off estimate "until it stops" and keeps it out of the monthly total', () => {
    const text = renderText(report([finding('endpoint', 100), finding('training', 40, 'until-stopped')]));
    expect(text).toContain('endpoint wastes [us-east-1] — ~$100.00/month');
    expect(text).toContain('training wastes [us-east-1] — ~$40.00 until it stops');
    expect(text).toMatch(/Total: 2 wasteful resources, ~\$100\.00\/month/);
  });

  it('shows advice findings (spot, tags, commitments) as ADVICE and counts them apart from the wasteful resources', () => {
    const advice: Finding = { ...finding('bert', 0), id: 'spot-training:bert', ruleId: 'spot-training', title: 'training job bert ran on demand' };
    const { waste: _waste, ...noWaste } = advice;

    const text = renderText(report([finding('fraud-v3', 100), noWaste]));

    expect(text).toContain('  ADVICE training job bert ran on demand [us-east-1]');
    expect(text).toContain('Total: 1 wasteful resource, ~$100.00/month; 1 advice finding (spot, tags, commitments);');
  });

  it('groups findings under their cloud and scope and serialises dates as ISO strings in JSON', () => {
    const r = report([finding('endpoint', 100)]);
    expect(renderText(r)).toContain('AWS prod (111111111111)');
    const json = reportJson(r) as { schema: string; startedAt: string };
    expect(json.schema).toBe('costwatch.scan/v1');
    expect(json.startedAt).toBe('2026-11-28T12:00:00.000Z');
  });
});
