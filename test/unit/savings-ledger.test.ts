import { describe, expect, it } from 'vitest';
import type { ProposedAction } from '../../shared/domain/action.js';
import type { Finding } from '../../shared/domain/finding.js';
import type { Resource } from '../../shared/domain/resource.js';
import type { SavingsEntry } from '../../shared/domain/savings.js';
import { PriceBook } from '../../shared/pricing/price-book.js';
import { hoursOff, realized, realizedTotals, savingsEntryFor, savingsRows, teamOf } from '../../shared/savings/ledger.js';
import { savingsToClose } from '../../shared/savings/reconcile.js';

const T0 = new Date('2025-06-28T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (h: number) => new Date(T0.getTime() + h * HOUR);

function endpoint(over: Partial<Resource> = {}): Resource {
  return {
    cloud: 'aws',
    scope: { cloud: 'aws', id: '111111111111' },
    region: 'us-east-1',
    kind: 'aws.sagemaker.endpoint',
    id: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/fraud-v3',
    name: 'fraud-v3',
    tags: { Team: 'fraud' },
    state: 'InService',
    lifecycle: 'running',
    createdAt: new Date('2025-05-01T00:00:00Z'),
    components: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge', instanceCount: 2, capacity: 'provisioned' }],
    attributes: {},
    ...over,
  };
}

function proposalFor(r: Resource, kind = 'aws.sagemaker.delete-endpoint', ruleId = 'idle-endpoint'): ProposedAction {
  return {
    id: `${kind}:${r.id}@${T0.toISOString()}`,
    key: `${kind}:${r.id}`,
    kind,
    findingId: `${ruleId}:${r.id}`,
    ruleId,
    resource: { cloud: r.cloud, scopeId: r.scope.id, region: r.region, kind: r.kind, id: r.id, name: r.name },
    mode: 'approve',
    parameters: {},
    reversible: true,
    status: 'executed',
    createdAt: T0,
    expiresAt: at(72),
  };
}

function entry(id: string, over: Partial<SavingsEntry> = {}): SavingsEntry {
  return {
    id,
    actionKind: 'aws.sagemaker.delete-endpoint',
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: `arn:${id}`, name: id },
    hourly: { amount: 2, currency: 'USD' },
    arithmetic: 'x',
    priceSource: 'test',
    openedAt: T0,
    ...over,
  };
}

describe('savings ledger: opening an entry', () => {
  it('takes the rate from the price book as price × count per hour, with the arithmetic and the price source', () => {
    const r = endpoint();
    const e = savingsEntryFor(proposalFor(r), r, undefined, new PriceBook(), T0)!;

    expect(e.hourly).toEqual({ amount: 1.408 * 2, currency: 'USD' });
    expect(e.arithmetic).toBe('ml.g5.xlarge $1.408/h × 2 = $2.816/h');
    expect(e.priceSource).toMatch(/price table/);
    expect(e.team).toBe('fraud');
    expect(e.openedAt).toEqual(T0);
  });

  it('takes a storage change at its monthly net saving (fees included) over 730 h', () => {
    const r = endpoint({ kind: 'aws.s3.prefix', id: 's3://ckpt/old/', name: 'ckpt/old/', components: [] });
    const waste = { monthly: { amount: 73, currency: 'USD' }, arithmetic: 'GLACIER_IR: storage … − transition …', priceSource: 'S3 table' };
    const e = savingsEntryFor(proposalFor(r, 'aws.s3.put-lifecycle-rule', 'cold-artifacts'), r, waste, new PriceBook(), T0)!;

    expect(e.hourly.amount).toBeCloseTo(0.1, 10);
    expect(e.arithmetic).toContain('$73.00/month net of fees ÷ 730 h');
    expect(e.priceSource).toBe('S3 table');
  });

  it('stops counting a stopped job when it would have ended by itself', () => {
    const r = endpoint({ kind: 'aws.sagemaker.training-job', components: [{ name: 'algo', instanceType: 'ml.p3.2xlarge', instanceCount: 1, capacity: 'provisioned' }] });
    const hourly = savingsEntryFor(proposalFor(r, 'aws.sagemaker.stop-training-job', 'long-training-job'), r, undefined, new PriceBook(), T0)!.hourly.amount;
    const waste = { monthly: { amount: hourly * 10, currency: 'USD' }, arithmetic: 'remaining', priceSource: 't', basis: 'until-stopped' as const };
    const e = savingsEntryFor(proposalFor(r, 'aws.sagemaker.stop-training-job', 'long-training-job'), r, waste, new PriceBook(), T0)!;

    expect(e.endsBy?.getTime()).toBeCloseTo(at(10).getTime(), -1);
    expect(hoursOff(e, at(50))).toBeCloseTo(10, 6);
  });

  it('opens nothing when the rate is not known', () => {
    const r = endpoint({ components: [{ name: 'a', instanceType: 'ml.x99.mega', instanceCount: 1, capacity: 'provisioned' }] });
    expect(savingsEntryFor(proposalFor(r), r, undefined, new PriceBook(), T0)).toBeUndefined();
  });

  it('reads the team tag whatever its case, and ignores an empty one', () => {
    expect(teamOf({ TEAM: 'ml' })).toBe('ml');
    expect(teamOf({ team: ' ' })).toBeUndefined();
    expect(teamOf({ owner: 'x' })).toBeUndefined();
  });
});

describe('savings ledger: realized savings', () => {
  it('counts rate × hours off until now while open, and until the undo once undone', () => {
    const open = entry('a');
    const undone = entry('b', { closedAt: at(5), closeReason: 'undone' });

    expect(realized(open, at(10))).toEqual({ amount: 20, currency: 'USD' });
    expect(realized(undone, at(10))).toEqual({ amount: 10, currency: 'USD' });
    expect(realized(undone, at(100))).toEqual({ amount: 10, currency: 'USD' });
  });

  it('counts only the part of the time off inside a window (partial periods)', () => {
    const e = entry('a', { closedAt: at(30) });

    expect(hoursOff(e, at(100), { start: at(-10), end: at(6) })).toBe(6);
    expect(hoursOff(e, at(100), { start: at(20), end: at(50) })).toBe(10);
    expect(hoursOff(e, at(100), { start: at(40), end: at(50) })).toBe(0);
  });

  it('splits an entry across months by the hours spent in each', () => {
    // Opened 2025-06-28 12:00, closed 2025-07-02 12:00: 60 h in June, 36 h in July.
    const rows = savingsRows([entry('a', { closedAt: at(96), team: 'fraud' })], at(200));

    expect(rows.map((r) => [r.month, r.team, r.hours, r.amount])).toEqual([
      ['2025-06', 'fraud', 60, 120],
      ['2025-07', 'fraud', 36, 72],
    ]);
  });

  it('keeps currencies apart in rows and totals', () => {
    const entries = [entry('usd'), entry('eur', { hourly: { amount: 3, currency: 'EUR' } }), entry('usd2', { openedAt: at(2) })];

    expect(realizedTotals(entries, at(4))).toEqual([
      { amount: 12, currency: 'EUR' },
      { amount: 8 + 4, currency: 'USD' },
    ]);
    expect(savingsRows(entries, at(4)).map((r) => [r.currency, r.amount, r.entries])).toEqual([
      ['EUR', 12, 1],
      ['USD', 12, 2],
    ]);
  });

  it('groups by cloud, scope, rule and team', () => {
    const entries = [entry('a', { team: 'x' }), entry('b', { team: 'y' }), entry('c', { ruleId: 'idle-notebook', team: 'x' }), entry('d', { team: 'x' })];
    const rows = savingsRows(entries, at(1));

    expect(rows.map((r) => `${r.ruleId}/${r.team}:${r.amount}`)).toEqual(['idle-endpoint/x:4', 'idle-endpoint/y:2', 'idle-notebook/x:2']);
  });
});

describe('savings ledger: closing from what a scan sees', () => {
  const stopped = entry('fraud-v3', { resource: { ...entry('x').resource, id: endpoint().id, name: 'fraud-v3' } });

  it('closes at the creation time when someone created the resource again', () => {
    const recreated = endpoint({ createdAt: at(20) });
    const closes = savingsToClose([stopped], new Map([[recreated.id, recreated]]), [], at(30));

    expect(closes).toEqual([{ id: 'fraud-v3', at: at(20), reason: 'recreated', detail: expect.stringContaining('created again') }]);
    expect(realized({ ...stopped, closedAt: closes[0]!.at }, at(30))).toEqual({ amount: 40, currency: 'USD' });
  });

  it('closes at the scan when the resource runs again without a newer creation time', () => {
    const running = endpoint();
    expect(savingsToClose([stopped], new Map([[running.id, running]]), [], at(30))).toMatchObject([{ at: at(30), reason: 'running-again' }]);
  });

  it('leaves entries open while the resource is gone or stopped, and entries opened after the scan started', () => {
    const off = endpoint({ lifecycle: 'stopped', state: 'Stopped' });
    expect(savingsToClose([stopped], new Map(), [], at(30))).toEqual([]);
    expect(savingsToClose([stopped], new Map([[off.id, off]]), [], at(30))).toEqual([]);
    expect(savingsToClose([{ ...stopped, openedAt: at(31) }], new Map([[endpoint().id, endpoint()]]), [], at(30))).toEqual([]);
  });

  it('closes a storage change when the same rule matches the prefix again', () => {
    const prefix = endpoint({ kind: 'aws.s3.prefix', id: 's3://ckpt/old/', name: 'ckpt/old/', components: [] });
    const e = entry('s3', { ruleId: 'cold-artifacts', resource: { ...entry('x').resource, kind: 'aws.s3.prefix', id: prefix.id } });
    const finding = { id: 'f', ruleId: 'cold-artifacts', state: 'violation', cloud: 'aws', scopeId: '1', resource: e.resource, title: 't', evidence: [], detectedAt: at(30) } as Finding;

    expect(savingsToClose([e], new Map([[prefix.id, prefix]]), [], at(30))).toEqual([]);
    expect(savingsToClose([e], new Map([[prefix.id, prefix]]), [finding], at(30))).toMatchObject([{ reason: 'running-again', at: at(30) }]);
  });
});
