import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/*
 * Charts as PNG, rendered in-process: a Vega-Lite spec is compiled to Vega, drawn to SVG by Vega's
 * headless view, and rasterized by resvg. No browser, no chart service. Text is set in the
 * bundled DejaVu Sans, loaded by path with system fonts off, so a chart is pixel-identical on a
 * laptop and on Lambda. Only the digest uses this module (and only its bundle carries it).
 */

/** Width and height of the chart area in SVG units; every chart has exactly this size. */
export const CHART_SIZE = { width: 800, height: 400 } as const;
/** PNGs are rendered at this scale, for sharp text on high-density screens. */
export const CHART_SCALE = 2;
/** Pixel size of every PNG. */
export const PNG_SIZE = { width: CHART_SIZE.width * CHART_SCALE, height: CHART_SIZE.height * CHART_SCALE } as const;

/** The bundled font: next to this module in the sources, next to index.mjs in the Lambda bundle. */
export const FONT_FILE = fileURLToPath(new URL('./fonts/DejaVuSans.ttf', import.meta.url));
const FONT_FAMILY = 'DejaVu Sans';

/** A rendered chart. */
export interface Chart {
  /** File name, e.g. `spend-usd.png`. */
  readonly name: string;
  readonly title: string;
  /** Alt text for Slack and screen readers: what the chart shows, in words. */
  readonly altText: string;
  readonly png: Buffer;
  readonly svg: string;
}

const CLOUD_COLORS: Readonly<Record<string, string>> = { AWS: '#ff9900', 'Google Cloud': '#4285f4', Azure: '#0078d4' };

/** One day of cumulative spend of a cloud this month (actual) or projected (forecast). */
export interface SpendPoint {
  readonly day: string;
  readonly cloud: string;
  readonly amount: number;
  readonly series: 'actual' | 'forecast';
}

/** A budget line across the chart. */
export interface BudgetRule {
  readonly label: string;
  readonly amount: number;
}

/**
 * Spend this month per cloud, cumulative by day (solid), the forecast to the end of the month
 * (dashed) and each budget as a horizontal line. One currency per chart.
 */
export function spendChartSpec(input: { currency: string; month: string; points: readonly SpendPoint[]; budgets: readonly BudgetRule[] }): TopLevelSpec {
  const clouds = [...new Set(input.points.map((p) => p.cloud))].sort();
  const color = { field: 'cloud', type: 'nominal' as const, title: 'Cloud', scale: { domain: clouds, range: clouds.map((c) => CLOUD_COLORS[c] ?? '#666666') } };
  const x = { field: 'day', type: 'temporal' as const, title: null, axis: { format: '%d %b', labelAngle: 0 } };
  const y = { field: 'amount', type: 'quantitative' as const, title: `${input.currency}, cumulative`, axis: { format: ',.0f' } };
  return {
    ...base(`Spend this month per cloud (${input.currency}), ${input.month}: actual, forecast (dashed), budgets`),
    layer: [
      { data: { values: input.points.filter((p) => p.series === 'actual') }, mark: { type: 'line', point: true, strokeWidth: 2.5 }, encoding: { x, y, color } },
      { data: { values: input.points.filter((p) => p.series === 'forecast') }, mark: { type: 'line', strokeDash: [6, 4], strokeWidth: 2 }, encoding: { x, y, color } },
      { data: { values: [...input.budgets] }, mark: { type: 'rule', color: '#c62828', strokeWidth: 1.5, strokeDash: [2, 2] }, encoding: { y: { field: 'amount', type: 'quantitative' } } },
      {
        data: { values: [...input.budgets] },
        mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#c62828', fontSize: 11 },
        encoding: { y: { field: 'amount', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
      },
    ],
  } as TopLevelSpec;
}

/** One week's realized savings of a cloud. */
export interface SavingsBar {
  /** Monday of the ISO week, `YYYY-MM-DD`. */
  readonly week: string;
  readonly cloud: string;
  readonly amount: number;
}

/** Realized savings per ISO week, stacked by cloud. One currency per chart. */
export function savingsChartSpec(input: { currency: string; bars: readonly SavingsBar[] }): TopLevelSpec {
  const clouds = [...new Set(input.bars.map((b) => b.cloud))].sort();
  return {
    ...base(`Realized savings per week (${input.currency}): hourly rate × hours off`),
    data: { values: [...input.bars] },
    mark: { type: 'bar', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
    encoding: {
      x: { field: 'week', type: 'ordinal', title: 'week starting', axis: { labelAngle: 0 } },
      y: { field: 'amount', type: 'quantitative', stack: 'zero', title: input.currency, axis: { format: ',.0f' } },
      color: { field: 'cloud', type: 'nominal', title: 'Cloud', scale: { domain: clouds, range: clouds.map((c) => CLOUD_COLORS[c] ?? '#666666') } },
      tooltip: [{ field: 'amount', type: 'quantitative', format: ',.2f' }],
    },
  } as TopLevelSpec;
}

function base(title: string): Partial<TopLevelSpec> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 15 },
    width: CHART_SIZE.width,
    height: CHART_SIZE.height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: '#ffffff',
    config: { font: FONT_FAMILY, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' }, legend: { labelFontSize: 11, titleFontSize: 12, orient: 'top', direction: 'horizontal' } },
  } as Partial<TopLevelSpec>;
}

/** Draws a Vega-Lite spec to SVG with Vega's headless view (no canvas, no DOM). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG at CHART_SCALE with the bundled font only. */
export function svgToPng(svg: string, fontFile = FONT_FILE): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: CHART_SCALE },
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}

/** Renders a spec to a PNG chart. */
export async function renderChart(name: string, title: string, altText: string, spec: TopLevelSpec, fontFile?: string): Promise<Chart> {
  const svg = await toSvg(spec);
  return { name, title, altText, svg, png: svgToPng(svg, fontFile) };
}
