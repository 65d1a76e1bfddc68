/*
 * Chart rendering: the digest's two charts (spend this month per cloud, savings per week) rendered
 * to PNG in-process (Vega-Lite → Vega SVG → resvg), the first render (cold: compiling, font
 * loading) and then the median and p90 of 20 warm renders each. Prints figures; asserts nothing.
 */
import { renderChart, savingsChartSpec, spendChartSpec, type SpendPoint } from '../shared/report/charts.js';

const points: SpendPoint[] = [];
let aws = 0;
let gcp = 0;
for (let d = 1; d <= 18; d++) {
  const day = `2025-06-${String(d).padStart(2, '0')}`;
  aws += 780 + (d % 5) * 40;
  gcp += 210;
  points.push({ day, cloud: 'AWS', amount: aws, series: 'actual' }, { day, cloud: 'Google Cloud', amount: gcp, series: 'actual' });
}
points.push({ day: '2025-06-18', cloud: 'AWS', amount: aws, series: 'forecast' }, { day: '2025-06-30', cloud: 'AWS', amount: aws * 1.7, series: 'forecast' });
const spend = spendChartSpec({ currency: 'USD', month: '2025-06', points, budgets: [{ label: 'ml-platform $22,000', amount: 22_000 }] });
const savings = savingsChartSpec({
  currency: 'USD',
  bars: Array.from({ length: 8 }, (_, i) => ({ week: `2025-${i < 4 ? '05' : '06'}-${String(((i % 4) * 7) + 2).padStart(2, '0')}`, cloud: i % 3 === 0 ? 'Azure' : 'AWS', amount: 100 + i * 45 })),
});

async function measure(name: string, spec: Parameters<typeof renderChart>[3]): Promise<void> {
  const t0 = performance.now();
  const first = await renderChart(`${name}.png`, name, name, spec);
  const cold = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await renderChart(`${name}.png`, name, name, spec);
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);
  console.log(`${name}: first ${cold.toFixed(0)} ms, warm median ${warm[10]!.toFixed(0)} ms, p90 ${warm[18]!.toFixed(0)} ms; PNG ${first.png.length} bytes, SVG ${first.svg.length} bytes`);
}

await measure('spend chart', spend);
await measure('savings chart', savings);
console.log(`rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
