import { describe, expect, it } from 'vitest';
import type { ProposedAction } from '../../shared/domain/action.js';
import type { Cloud } from '../../shared/domain/resource.js';
import { validateBlocks } from '../../shared/sandbox/slack/index.js';
import { CHART_SIZE, PNG_SIZE, renderChart, savingsChartSpec, spendChartSpec, toSvg } from '../../shared/report/charts.js';
import { digestCharts, spendSeries } from '../../shared/report/digest-charts.js';
import type { CloudDigest, DigestModel } from '../../shared/report/digest.js';
import { BLOCK_KIT_LIMITS } from '../../shared/slack/block-kit.js';
import { digestMessage } from '../../shared/slack/digest-blocks.js';
import { decodePng, differingPixels } from '../support/png.js';

const NOW = new Date('2025-06-21T12:00:00Z');
const usd = (amount: number) => ({ amount, currency: 'USD' });

function cloud(c: Cloud, over: Partial<CloudDigest> = {}): CloudDigest {
  return {
    cloud: c,
    spendWeek: [usd(5474)],
    spendMonth: [usd(14076)],
    budgets: [{ name: `${c}-platform`, cloud: c, limit: usd(22000), actual: usd(14076), forecast: usd(19661.71), periodStart: '2025-06-01T00:00:00.000Z', periodEnd: '2025-07-01T00:00:00.000Z', filtered: false }],
    movers: { services: [{ key: 'Amazon SageMaker', currency: 'USD', thisWeek: 3350, lastWeek: 4690 }], teams: [{ key: 'fraud', currency: 'USD', thisWeek: 1760, lastWeek: 1200 }] },
    findingsOpened: 4,
    findingsResolved: 2,
    actionsTaken: 2,
    actionsUndone: 1,
    realizedWeek: [usd(722.4)],
    realizedMonth: [usd(722.4)],
    pending: 1,
    costsThrough: '2025-06-19',
    ...over,
  };
}

function pending(i: number, name = `endpoint-${i}`): ProposedAction {
  return {
    id: `aws.sagemaker.delete-endpoint:arn:${name}@2025-06-21T12:00:00.000Z`,
    key: `aws.sagemaker.delete-endpoint:arn:${name}`,
    kind: 'aws.sagemaker.delete-endpoint',
    findingId: `idle-endpoint:arn:${name}`,
    ruleId: 'idle-endpoint',
    resource: { cloud: 'aws', scopeId: '111111111111', region: 'us-east-1', kind: 'aws.sagemaker.endpoint', id: `arn:${name}`, name },
    mode: 'approve',
    parameters: {},
    reversible: true,
    monthlySaving: usd(100 + i),
    status: 'proposed',
    createdAt: NOW,
    expiresAt: new Date(NOW.getTime() + 72 * 3_600_000),
  };
}

function model(over: Partial<DigestModel> = {}): DigestModel {
  const daily = Array.from({ length: 18 }, (_, i) => ({ cloud: 'aws' as const, currency: 'USD', day: `2025-06-${String(i + 1).padStart(2, '0')}`, amount: 782 }));
  return {
    week: { start: new Date(NOW.getTime() - 7 * 86_400_000), end: NOW },
    spendWeek: { start: new Date('2025-06-12T00:00:00Z'), end: new Date('2025-06-19T00:00:00Z') },
    month: '2025-06',
    clouds: [cloud('aws')],
    total: { spendWeek: [usd(5474)], spendMonth: [usd(14076)], realizedWeek: [usd(722.4)], realizedMonth: [usd(722.4)], findingsOpened: 4, findingsResolved: 2, actionsTaken: 2, actionsUndone: 1 },
    savings: [],
    daily,
    sharedBudgets: [],
    weeklySavings: [
      { week: '2025-06-09', cloud: 'aws', currency: 'USD', amount: 120 },
      { week: '2025-06-16', cloud: 'aws', currency: 'USD', amount: 722.4 },
    ],
    pending: [pending(1)],
    now: NOW,
    ...over,
  };
}

describe('digest message', () => {
  it('shows spend against budgets and forecasts, movers, findings, actions, realized savings and the waiting proposals with their buttons', () => {
    const m = digestMessage(model(), [{ fileId: 'F1', title: 'Spend this month (USD)', altText: 'spend' }]);
    const json = JSON.stringify(m.blocks);

    expect(m.text).toBe('costwatch weekly digest 2025-06-14 – 2025-06-21: spend $5,474.00 this week; realized savings $722.40 this week, $722.40 this month');
    expect(json).toContain('aws-platform: $14,076.00 of $22,000.00 (64%), forecast $19,661.71 (89%)');
    expect(json).toContain('Amazon SageMaker −$1,340.00 ($3,350.00 vs $4,690.00)');
    expect(json).toContain('fraud +$560.00');
    expect(json).toContain('Findings: 4 opened, 2 resolved · Actions: 2 taken, 1 undone');
    expect(m.blocks.find((b) => b.type === 'image')).toEqual({ type: 'image', slack_file: { id: 'F1' }, alt_text: 'spend', title: { type: 'plain_text', text: 'Spend this month (USD)', emoji: true } });
    const buttons = m.blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as { elements: { action_id: string; value?: string }[] }).elements);
    expect(buttons.map((b) => b.action_id)).toEqual(['costwatch.approve', 'costwatch.snooze', 'costwatch.exempt']);
    expect(new Set(buttons.map((b) => b.value))).toEqual(new Set([pending(1).id]));
    expect(validateBlocks(m.blocks)).toEqual([]);
  });

  it('stays within Block Kit limits with three clouds, two currencies, many charts, long names and 40 proposals waiting', () => {
    const long = 'x'.repeat(400);
    const two = [usd(1e9), { amount: 5, currency: 'EUR' }];
    const clouds = (['aws', 'gcp', 'azure'] as const).map((c) =>
      cloud(c, {
        spendWeek: two,
        budgets: Array.from({ length: 30 }, (_, i) => ({ name: `${long}-${i}`, cloud: c, limit: usd(1), periodStart: '2025-06-01T00:00:00.000Z', periodEnd: '2025-07-01T00:00:00.000Z', filtered: true })),
        movers: { services: Array.from({ length: 3 }, () => ({ key: long, currency: 'USD', thisWeek: 1, lastWeek: 0 })), teams: [] },
      }),
    );
    const charts = Array.from({ length: 8 }, (_, i) => ({ fileId: `F${i}`, title: long.repeat(10), altText: long.repeat(10) }));
    const m = digestMessage(model({ clouds, pending: Array.from({ length: 40 }, (_, i) => pending(i, `${'n'.repeat(200)}-${i}`)) }), charts);

    expect(m.blocks.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.blocksPerMessage);
    expect(validateBlocks(m.blocks)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain('35 more waiting');
    expect(JSON.stringify(m.blocks)).toContain('$1,000,000,000.00 + 5.00 EUR');
  });
});

describe('digest charts', () => {
  it('renders PNGs that decode, at the documented size, with the chart drawn on them', async () => {
    const { charts } = await digestCharts(model());

    expect(charts.map((c) => c.name)).toEqual(['spend-usd.png', 'savings-usd.png']);
    for (const c of charts) {
      const img = decodePng(c.png);
      expect([img.width, img.height]).toEqual([PNG_SIZE.width, PNG_SIZE.height]);
      expect(PNG_SIZE).toEqual({ width: CHART_SIZE.width * 2, height: CHART_SIZE.height * 2 });
      // Not blank: the lines, bars and text cover part of the white background.
      let ink = 0;
      for (let i = 0; i < img.pixels.length; i += img.channels) if (img.pixels[i]! < 200 || img.pixels[i + 1]! < 200 || img.pixels[i + 2]! < 200) ink++;
      expect(ink / (img.width * img.height)).toBeGreaterThan(0.01);
    }
  });

  it('draws the same pixels for the same data, and different pixels when the data changes', async () => {
    const spec = (amount: number) => savingsChartSpec({ currency: 'USD', bars: [{ week: '2025-06-09', cloud: 'AWS', amount: 120 }, { week: '2025-06-16', cloud: 'AWS', amount }] });
    const a = decodePng((await renderChart('a.png', 't', 'a', spec(722.4))).png);
    const again = decodePng((await renderChart('a.png', 't', 'a', spec(722.4))).png);
    const b = decodePng((await renderChart('b.png', 't', 'b', spec(300))).png);

    expect(differingPixels(a, again)).toBe(0);
    expect(differingPixels(a, b)).toBeGreaterThan(0.005);
  });

  it('moves the spend line when a day’s spend changes, and draws each budget', async () => {
    const base = model();
    const changed = model({ daily: base.daily.map((d, i) => (i === 10 ? { ...d, amount: 5000 } : d)) });
    const render = async (m: DigestModel) => {
      const s = spendSeries(m, 'USD');
      return decodePng((await renderChart('s.png', 't', 'a', spendChartSpec({ currency: 'USD', month: m.month, points: s.points, budgets: s.budgets }))).png);
    };

    expect(differingPixels(await render(base), await render(changed))).toBeGreaterThan(0.005);
    expect(spendSeries(base, 'USD').budgets).toEqual([{ label: 'aws-platform $22,000', amount: 22000 }]);
  });

  it('takes the forecast from a whole-cloud budget, else carries the daily average to the month end, and says which', () => {
    const withForecast = spendSeries(model(), 'USD');
    const without = spendSeries(model({ clouds: [cloud('aws', { budgets: [] })] }), 'USD');

    expect(withForecast.points.filter((p) => p.series === 'forecast').map((p) => [p.day, p.amount])).toEqual([
      ['2025-06-18', 782 * 18],
      ['2025-06-30', 19661.71],
    ]);
    expect(withForecast.notes[0]!.source).toBe('AWS forecast of budget aws-platform');
    expect(without.points.at(-1)).toMatchObject({ day: '2025-06-30', amount: 782 * 30 });
    expect(without.notes[0]!.source).toContain("this month's daily average");
  });

  it('sets every text in the bundled font', async () => {
    const svg = await toSvg(savingsChartSpec({ currency: 'USD', bars: [{ week: '2025-06-16', cloud: 'AWS', amount: 1 }] }));
    const families = [...svg.matchAll(/font-family="([^"]+)"/g)].map((m) => m[1]);

    expect(families.length).toBeGreaterThan(0);
    expect(new Set(families)).toEqual(new Set(['DejaVu Sans']));
  });
});
