import { METRICS } from './metrics.js';
import type { MatrixRow } from './matrix.js';
import { renderBarChart, type ChartPanel } from './svg-chart.js';
import type { Workload } from './workload.js';

/** A rendered chart and the file name it goes to. */
export interface ChartFile {
  /** File name, e.g. `kickedPerDay.svg`. */
  readonly file: string;
  /** The metric's title (for links). */
  readonly title: string;
  /** The SVG document. */
  readonly svg: string;
}

/**
 * One SVG per metric: a panel per workload and limit, bars grouped by idle timeout, one
 * bar per policy.
 *
 * @param rows - the scored runs.
 * @param workloads - the workloads, in panel order.
 * @param policies - the policy names, in legend order.
 */
export function metricCharts(rows: readonly MatrixRow[], workloads: readonly Workload[], policies: readonly string[]): ChartFile[] {
  return METRICS.map((metric) => {
    const panels: ChartPanel[] = [];
    for (const workload of workloads) {
      if (metric.attackerOnly && !workload.hasAttacker) continue;
      const mine = rows.filter((r) => r.workload === workload.name);
      const limits = [...new Set(mine.map((r) => r.limit))];
      for (const limit of limits) {
        const cells = mine.filter((r) => r.limit === limit);
        const groups = [...new Set(cells.map((r) => r.idleTimeout))];
        panels.push({
          title: `${workload.name} · limit ${limit}`,
          groups: groups.map((g) => `idle ${g}`),
          values: policies.map((p) => groups.map((g) => cells.find((r) => r.policy === p && r.idleTimeout === g)?.metrics[metric.key])),
        });
      }
    }
    const svg = renderBarChart({
      title: metric.title,
      subtitle: 'Lower is better. Bars: policies; groups: idle timeout; each panel on its own scale. Hover a bar for its value.',
      series: policies,
      panels,
    });
    return { file: `${metric.key}.svg`, title: metric.title, svg };
  });
}
