/** One panel of a chart: groups of bars on their own y scale. */
export interface ChartPanel {
  /** Panel title, e.g. `attacker · limit 1`. */
  readonly title: string;
  /** Group labels along the x axis, e.g. idle timeouts. */
  readonly groups: readonly string[];
  /** `values[series][group]`; `undefined` draws no bar. */
  readonly values: ReadonlyArray<ReadonlyArray<number | undefined>>;
}

/** A grouped bar chart made of small multiples, one panel per workload. */
export interface BarChart {
  /** Chart title. */
  readonly title: string;
  /** A line under the title (what is counted, what the groups are). */
  readonly subtitle: string;
  /** The bar series (policies), in legend order. */
  readonly series: readonly string[];
  /** The panels. */
  readonly panels: readonly ChartPanel[];
}

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#D55E00', '#56B4E9', '#F0E442', '#000000'];

const PANEL_W = 380;
const PANEL_H = 230;
const COLUMNS = 3;
const HEADER_H = 78;
const PLOT = { left: 48, right: 10, top: 26, bottom: 28 };

/**
 * Renders a {@link BarChart} as a standalone SVG document (no dependency, no script).
 * Each panel has its own y scale, because workloads differ by orders of magnitude;
 * every bar carries its exact value as a tooltip.
 *
 * @param chart - the chart.
 */
export function renderBarChart(chart: BarChart): string {
  const columns = Math.min(COLUMNS, Math.max(1, chart.panels.length));
  const rows = Math.ceil(chart.panels.length / columns);
  const width = columns * PANEL_W;
  const height = HEADER_H + rows * PANEL_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">${escape(chart.title)}</text>`,
    `<text x="12" y="40" fill="#555">${escape(chart.subtitle)}</text>`,
  ];
  let x = 12;
  chart.series.forEach((name, i) => {
    parts.push(`<rect x="${x}" y="52" width="12" height="12" fill="${colour(i)}"/>`);
    parts.push(`<text x="${x + 16}" y="62">${escape(name)}</text>`);
    x += 22 + name.length * 6.2;
  });
  chart.panels.forEach((panel, i) => {
    parts.push(renderPanel(panel, (i % columns) * PANEL_W, HEADER_H + Math.floor(i / columns) * PANEL_H, chart.series));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function renderPanel(panel: ChartPanel, ox: number, oy: number, series: readonly string[]): string {
  const w = PANEL_W - PLOT.left - PLOT.right;
  const h = PANEL_H - PLOT.top - PLOT.bottom;
  const x0 = ox + PLOT.left;
  const y0 = oy + PLOT.top;
  const max = niceMax(Math.max(0, ...panel.values.flat().map((v) => v ?? 0)));
  const out: string[] = [`<g>`, `<text x="${x0}" y="${oy + 16}" font-weight="600">${escape(panel.title)}</text>`];
  for (let t = 0; t <= 4; t++) {
    const value = (max * t) / 4;
    const y = y0 + h - (h * t) / 4;
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${round(y)}" y2="${round(y)}" stroke="${t === 0 ? '#333' : '#e3e3e3'}"/>`);
    out.push(`<text x="${x0 - 4}" y="${round(y + 4)}" text-anchor="end" fill="#555">${tick(value)}</text>`);
  }
  const groupW = w / Math.max(1, panel.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  panel.groups.forEach((label, g) => {
    const gx = x0 + g * groupW + groupW * 0.1;
    out.push(`<text x="${round(x0 + g * groupW + groupW / 2)}" y="${y0 + h + 16}" text-anchor="middle" fill="#333">${escape(label)}</text>`);
    series.forEach((name, s) => {
      const value = panel.values[s]?.[g];
      if (value === undefined) return;
      const bh = max > 0 ? (h * value) / max : 0;
      const bx = round(gx + s * barW);
      // A zero still gets a hairline, so "measured, zero" differs from "not measured".
      out.push(
        `<rect x="${bx}" y="${round(y0 + h - Math.max(bh, 0.8))}" width="${round(barW * 0.92)}" height="${round(Math.max(bh, 0.8))}" fill="${colour(s)}"><title>${escape(`${name}, ${label}: ${exact(value)}`)}</title></rect>`,
      );
    });
  });
  out.push('</g>');
  return out.join('\n');
}

function colour(i: number): string {
  return COLOURS[i % COLOURS.length]!;
}

/** The smallest 1/2/5 × 10ⁿ at or above `value` (1 for an all-zero panel). */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function tick(value: number): string {
  if (value === 0) return '0';
  if (value >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function exact(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
