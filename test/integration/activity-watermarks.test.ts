import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { priceBook, scanOptionsFor } from '../../shared/app/compose.js';
import { buildProviders } from '../../shared/app/providers.js';
import { parsePolicy } from '../../shared/config/load.js';
import { executeProposal } from '../../shared/pipeline/execute.js';
import { runScan, type ScanReport } from '../../shared/pipeline/scan.js';
import type { AwsProvider } from '../../shared/providers/aws/provider.js';
import { defineWorld, sandboxAwsCredentials, startSandbox, type Sandbox, type WorldInput } from '../../shared/sandbox/index.js';
import { openMemoryStore } from '../../shared/store/embedded-store.js';
import type { StateStore } from '../../shared/store/port.js';

const ACCOUNT = '111111111111';
// A Saturday, 12:00 UTC.
const NOW = '2026-11-28T12:00:00Z';
const HOUR = 3_600_000;
/** The scan cadence of the idle rules' default schedule, rate(6 hours). */
const CADENCE = 6 * HOUR;

const variant = (metrics: Record<string, unknown>) => ({ instanceType: 'ml.m5.xlarge', instanceCount: 1, metrics });
const WORLD: WorldInput = {
  version: 1,
  now: NOW,
  aws: {
    accounts: [
      {
        id: ACCOUNT,
        name: 'prod',
        regions: {
          'us-east-1': {
            sagemaker: {
              endpoints: [
                // Busy all the time.
                { name: 'steady', createdAt: '-30d', variants: [variant({ invocations: { constant: 5 }, cpu: { constant: 40 } })] },
                // Serves a weekly batch on Saturdays 09:00–10:00, zeros otherwise: idle from Sunday ~10:00 on a 24 h window.
                { name: 'weekly', createdAt: '-30d', variants: [variant({ invocations: { weekly: { days: ['sat'], hours: [9], value: 20, otherwise: 0 } }, cpu: { constant: 5 } })] },
                // Idle, and its proposal awaits a decision.
                { name: 'idle', createdAt: '-30d', variants: [variant({ invocations: { constant: 0 }, cpu: { constant: 2 } })] },
                // Publishes nothing: unknown, never idle, read every scan.
                { name: 'no-data', createdAt: '-30d', variants: [variant({})] },
              ],
            },
          },
        },
      },
    ],
  },
};

const POLICY = parsePolicy(
  `version: 1
clouds:
  aws:
    accounts:
      - { id: "${ACCOUNT}", regions: [us-east-1] }
rules:
  idle-endpoint: { mode: approve }
`,
  'test.yml',
).policy;

let sandbox: Sandbox;
let store: StateStore;
let aws: AwsProvider;
let providers: ReturnType<typeof buildProviders>;

beforeEach(async () => {
  sandbox = await startSandbox({ world: defineWorld(WORLD) });
  store = await openMemoryStore();
  providers = buildProviders(POLICY, { aws: { endpoint: sandbox.awsEndpoint, credentials: sandboxAwsCredentials } });
  aws = providers.get('aws') as AwsProvider;
});
afterEach(async () => {
  await store?.close();
  await sandbox?.close();
});

/** One idle-endpoint scan at the world's current time; returns the report and the GetMetricData queries it made. */
async function scan(dryRun = false): Promise<{ report: ScanReport; queries: number }> {
  const before = aws.meter.queries;
  const opts = scanOptionsFor(POLICY, { now: () => sandbox.clock.now(), rules: ['idle-endpoint'], dryRun });
  const report = await runScan(opts, { providers, store, clock: sandbox.clock, prices: priceBook(POLICY) });
  return { report, queries: aws.meter.queries - before };
}

const idleNames = (r: ScanReport) => r.findings.filter((f) => f.state === 'violation').map((f) => f.resource?.name).sort();
const skipped = (r: ScanReport) => r.stats.notJudged.filter((n) => n.reason.includes('activity watermark')).map((n) => n.resource).sort();

describe('activity watermarks', () => {
  it('does not re-read a busy endpoint before its watermark, and finds one whose last request ages past the window within one scan cadence', async () => {
    const first = await scan();
    // 4 endpoints × (Invocations + CPUUtilization), and the history of Invocations for the two
    // without a request in the window (idle, no-data).
    expect(first.queries).toBe(10);
    expect(idleNames(first.report)).toEqual(['idle']);
    const marks = new Map((await store.usageWatermarks(`aws:${ACCOUNT}`)).map((m) => [m.resourceId.split('/').pop(), m.due['idle-endpoint']]));
    // Busy: last request + 24 h. Flagged: re-read in 24 h. No data: no watermark.
    expect(marks.get('steady')?.at.getTime()).toBeGreaterThan(Date.parse(NOW) + 22 * HOUR);
    expect(marks.get('weekly')?.at.getTime()).toBeLessThanOrEqual(Date.parse(NOW) + 22 * HOUR);
    expect(marks.get('idle')?.why).toMatch(/^flagged/);
    expect(marks.has('no-data')).toBe(false);

    // Every 6 hours, as the default schedule: the watermarked endpoints are not read until due; the
    // weekly one is found idle at the first scan a full read would find it.
    let foundAt: number | undefined;
    let oracleAt: number | undefined;
    for (let step = 1; step <= 6 && (foundAt === undefined || oracleAt === undefined); step++) {
      sandbox.clock.advance(CADENCE);
      const now = sandbox.clock.now().getTime();
      // A dry run reads everything and writes nothing: the verdict a full scan would give.
      const oracle = await scan(true);
      if (oracleAt === undefined && idleNames(oracle.report).includes('weekly')) oracleAt = now;
      const { report, queries } = await scan();
      if (foundAt === undefined && idleNames(report).includes('weekly')) foundAt = now;
      if (step === 1) {
        // Only the endpoint without data is read; the busy ones are listed as not judged, never judged on
        // missing series; the flagged one is not re-read but still reported with the verdict of its last read.
        expect(queries).toBe(3);
        expect(skipped(report)).toEqual(['steady', 'weekly']);
        expect(report.findings.find((f) => f.resource?.name === 'no-data')?.state).toBe('unknown');
        expect(idleNames(report)).toEqual(['idle']);
        const carried = report.findings.find((f) => f.resource?.name === 'idle')!;
        expect(carried.detectedAt.toISOString()).toBe(new Date(NOW).toISOString());
        expect(carried.evidence.at(-1)).toMatch(/^verdict of 2026-11-28T12:00:00.000Z, from usage read then; not re-read this scan/);
      }
    }
    expect(oracleAt).toBeDefined();
    expect(foundAt).toBe(oracleAt);
  });

  it('a dry run reads and writes no watermark', async () => {
    await scan(true);
    expect(await store.usageWatermarks(`aws:${ACCOUNT}`)).toEqual([]);
    await scan();
    const written = await store.usageWatermarks(`aws:${ACCOUNT}`);
    expect(written.length).toBe(3);
    sandbox.clock.advance(CADENCE);
    const dry = await scan(true);
    expect(dry.queries).toBe(10);
    expect(skipped(dry.report)).toEqual([]);
    expect(await store.usageWatermarks(`aws:${ACCOUNT}`)).toEqual(written);
  });

  it('re-reads a flagged endpoint after the slower cadence, and right before acting whatever its watermark', async () => {
    const first = await scan();
    sandbox.clock.advance(CADENCE);
    const second = await scan();
    expect(second.queries).toBe(3);
    expect(second.report.findings.find((f) => f.resource?.name === 'idle')?.evidence.at(-1)).toMatch(/not re-read this scan/);

    // Approved while its watermark is hours away: the executor reads its usage anyway before deleting it.
    const proposal = first.report.proposals.find((p) => p.resource.name === 'idle')!;
    await store.decide({ proposalId: proposal.id, verdict: 'approve', by: 'U1', at: sandbox.clock.now(), via: 'slack' });
    await store.transitionProposal(proposal.id, ['proposed'], 'approved');
    const opts = scanOptionsFor(POLICY, { now: () => sandbox.clock.now(), rules: ['idle-endpoint'] });
    const before = aws.meter.queries;
    const outcome = await executeProposal(proposal.id, 'U1', {
      store,
      providers,
      rules: new Map(opts.rules.map((r) => [r.rule.id, r])),
      policy: opts.policy,
      prices: priceBook(POLICY),
      clock: sandbox.clock,
      lookbackHours: opts.lookbackHours,
    });
    expect(outcome.outcome).toBe('executed');
    // Invocations and CPUUtilization over the window, and the Invocations history for the evidence.
    expect(aws.meter.queries - before).toBe(3);
  });

  it('re-reads a flagged endpoint once the slower cadence has passed', async () => {
    await scan();
    sandbox.clock.advance(24 * HOUR);
    const again = await scan();
    expect(idleNames(again.report)).toContain('idle');
    const fresh = again.report.findings.find((f) => f.resource?.name === 'idle')!;
    expect(fresh.detectedAt.getTime()).toBe(sandbox.clock.now().getTime());
    expect(fresh.evidence.join('\n')).not.toMatch(/not re-read this scan/);
  });

  it('a repeated scan reports the same findings in substance as a full read, flagged resources with the time of their evidence', async () => {
    const first = await scan();
    const substance = (r: ScanReport) =>
      r.findings
        .map((f) => `${f.id} ${f.state} ${f.title} ${f.waste?.monthly.amount ?? ''}`)
        .sort();
    for (let step = 1; step <= 4; step++) {
      sandbox.clock.advance(3 * HOUR);
      const oracle = await scan(true);
      const { report, queries } = await scan();
      // The watermarked scan reads less, and reports what a full read reports (the weekly endpoint
      // turns idle on Sunday, after this test's last step).
      expect(queries).toBeLessThan(oracle.queries);
      expect(substance(report)).toEqual(substance(oracle.report));
      expect(substance(report)).toEqual(substance(first.report));
      const idle = report.findings.find((f) => f.resource?.name === 'idle')!;
      expect(idle.detectedAt.getTime()).toBe(Date.parse(NOW));
    }
    // The carried verdict survives the store: it is read back from the watermark, dates and all.
    const mark = (await store.usageWatermarks(`aws:${ACCOUNT}`)).find((m) => m.resourceId.endsWith('/idle'))!;
    expect(mark.due['idle-endpoint']?.finding?.detectedAt).toEqual(new Date(NOW));
    expect(mark.due['idle-endpoint']?.finding?.waste?.monthly.amount).toBeGreaterThan(0);
  });
});
