import { formatMoney } from '../domain/money.js';
import type { Cloud } from '../domain/resource.js';
import { renderChart, savingsChartSpec, spendChartSpec, type BudgetRule, type Chart, type SpendPoint } from './charts.js';
import type { DigestModel } from './digest.js';

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: 'AWS', gcp: 'Google Cloud', azure: 'Azure' };
const DAY_MS = 86_400_000;

/** How a cloud's forecast line was drawn. */
export interface ForecastNote {
  readonly cloud: Cloud;
  readonly currency: string;
  readonly source: string;
}

/**
 * The spend series of the chart: cumulative month-to-date per cloud, and a forecast to the month's
 * end — the cloud's own forecast when a whole-cloud monthly budget carries one, otherwise the
 * month's daily average carried forward (and the note says so).
 */
export function spendSeries(model: DigestModel, currency: string): { points: SpendPoint[]; budgets: BudgetRule[]; notes: ForecastNote[] } {
  const points: SpendPoint[] = [];
  const notes: ForecastNote[] = [];
  const monthStart = new Date(`${model.month}-01T00:00:00Z`);
  const monthEnd = new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1));
  const lastDay = new Date(monthEnd.getTime() - DAY_MS).toISOString().slice(0, 10);
  for (const c of model.clouds) {
    const days = model.daily.filter((d) => d.cloud === c.cloud && d.currency === currency);
    if (days.length === 0) continue;
    let sum = 0;
    for (const d of days) {
      sum += d.amount;
      points.push({ day: d.day, cloud: CLOUD_NAMES[c.cloud], amount: round2(sum), series: 'actual' });
    }
    const last = days.at(-1)!;
    const elapsed = (new Date(`${last.day}T00:00:00Z`).getTime() - monthStart.getTime()) / DAY_MS + 1;
    const budget = c.budgets.find((b) => !b.filtered && b.forecast && b.forecast.currency === currency && b.periodStart.slice(0, 7) === model.month && b.periodEnd === monthEnd.toISOString());
    let end: number;
    let source: string;
    if (budget?.forecast) {
      end = budget.forecast.amount;
      source = `${CLOUD_NAMES[c.cloud]} forecast of budget ${budget.name}`;
    } else {
      const daysInMonth = (monthEnd.getTime() - monthStart.getTime()) / DAY_MS;
      end = (sum / elapsed) * daysInMonth;
      source = `${CLOUD_NAMES[c.cloud]}: this month's daily average (${formatMoney({ amount: sum / elapsed, currency })}) carried to the month's end; no whole-cloud budget forecast`;
    }
    if (last.day < lastDay) {
      points.push({ day: last.day, cloud: CLOUD_NAMES[c.cloud], amount: round2(sum), series: 'forecast' });
      points.push({ day: lastDay, cloud: CLOUD_NAMES[c.cloud], amount: round2(end), series: 'forecast' });
    }
    notes.push({ cloud: c.cloud, currency, source });
  }
  const budgets = [...model.clouds.flatMap((c) => c.budgets), ...model.sharedBudgets]
    .filter((b) => b.limit.currency === currency && b.periodStart.slice(0, 7) === model.month && b.periodEnd === monthEnd.toISOString())
    .map((b) => ({ label: `${b.name} ${formatMoney(b.limit, 0)}${b.filtered ? ' (part of the spend)' : ''}`, amount: b.limit.amount }));
  return { points, budgets, notes };
}

/** The digest's charts: spend this month per currency, and realized savings per week per currency. */
export async function digestCharts(model: DigestModel, fontFile?: string): Promise<{ charts: Chart[]; notes: ForecastNote[] }> {
  const charts: Chart[] = [];
  const notes: ForecastNote[] = [];
  for (const currency of [...new Set(model.daily.map((d) => d.currency))].sort()) {
    const s = spendSeries(model, currency);
    notes.push(...s.notes);
    const clouds = [...new Set(s.points.map((p) => p.cloud))].join(', ');
    const alt = `Cumulative spend this month in ${currency} for ${clouds}, with ${s.budgets.length} budget line${s.budgets.length === 1 ? '' : 's'} and a dashed forecast to the month's end.`;
    charts.push(await renderChart(`spend-${currency.toLowerCase()}.png`, `Spend this month (${currency})`, alt, spendChartSpec({ currency, month: model.month, points: s.points, budgets: s.budgets }), fontFile));
  }
  const currencies = [...new Set(model.weeklySavings.map((b) => b.currency))].sort();
  for (const currency of currencies.length > 0 ? currencies : ['USD']) {
    const bars = model.weeklySavings.filter((b) => b.currency === currency).map((b) => ({ week: b.week, cloud: CLOUD_NAMES[b.cloud], amount: round2(b.amount) }));
    const total = bars.reduce((a, b) => a + b.amount, 0);
    const alt = `Realized savings per week in ${currency} over the last ${new Set(bars.map((b) => b.week)).size} weeks: ${formatMoney({ amount: total, currency })} in all.`;
    charts.push(await renderChart(`savings-${currency.toLowerCase()}.png`, `Realized savings per week (${currency})`, alt, savingsChartSpec({ currency, bars }), fontFile));
  }
  return { charts, notes };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
