import { formatValue, METRICS } from './metrics.js';
import type { MatrixRow } from './matrix.js';
import type { Workload } from './workload.js';

/**
 * The result table as Markdown: one table per workload, a row per limit × idle timeout ×
 * policy, a column per metric. Prints readably in a terminal too.
 *
 * @param rows - the scored runs.
 * @param workloads - the workloads, for their descriptions and attacker flag.
 */
export function resultTables(rows: readonly MatrixRow[], workloads: readonly Workload[]): string {
  const out: string[] = [];
  for (const workload of workloads) {
    const mine = rows.filter((r) => r.workload === workload.name);
    if (mine.length === 0) continue;
    const metrics = METRICS.filter((m) => !m.attackerOnly || workload.hasAttacker);
    const days = workload.duration / 86_400_000;
    out.push(`#### ${workload.name}`, '');
    const source = workload.source ? ` Source: ${workload.source}.` : '';
    out.push(`${workload.description}${source} ${workload.principals} accounts, ${days} day${days === 1 ? '' : 's'}, seed ${workload.seed}.`, '');
    out.push(`| limit | idle timeout | policy | ${metrics.map((m) => m.column).join(' | ')} |`);
    out.push(`|---:|---:|:---|${metrics.map(() => '---:').join('|')}|`);
    for (const row of mine) {
      const cells = metrics.map((m) => formatValue(row.metrics[m.key]));
      out.push(`| ${row.limit} | ${row.idleTimeout} | ${row.policy} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The metric definitions as a Markdown list, for the reader of the tables. */
export function metricLegend(): string {
  return METRICS.map((m) => `- **${m.column}**: ${m.definition}.`).join('\n');
}
