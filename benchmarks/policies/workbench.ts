import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricCharts } from './charts.js';
import { CONTENDERS, pickContenders } from './contenders.js';
import { formatDuration } from './duration.js';
import { DEFAULT_IDLE_TIMEOUTS, QUICK_IDLE_TIMEOUTS, quickVariant, runMatrix, type MatrixRow } from './matrix.js';
import { writeResultsBlock } from './results-section.js';
import { metricLegend, resultTables } from './table.js';
import { defaultWorkloadNames, loadWorkload, type Workload } from './workload.js';

/** Options of {@link runWorkbench}; the command-line flags map onto them one to one. */
export interface WorkbenchOptions {
  /** Workload names or files (`--workload`, repeatable). Default: every built-in workload. */
  readonly workloads?: readonly string[];
  /** Policy names (`--policies a,b`). Default: all five. */
  readonly policies?: readonly string[];
  /** Session limits (`--limits 1,2`). Default: each workload's own. */
  readonly limits?: readonly number[];
  /** Idle timeouts in ms (`--timeouts 15m,2h,none`). Default 15 min, 2 h, none. */
  readonly idleTimeouts?: readonly number[];
  /** Small variants of the workloads, to check the harness (`--quick`). */
  readonly quick?: boolean;
  /** Where the table, JSON and charts go (`--out`). Default `benchmarks/.out/policies`. */
  readonly outDir?: string;
  /**
   * Also write the charts to `benchmarks/policies/charts/` and the tables into
   * `benchmarks/RESULTS.md` (`--write-results`): the committed figures.
   */
  readonly writeResults?: boolean;
  /** Progress lines. Default: standard error. */
  readonly log?: (line: string) => void;
}

/** What a workbench run produced. */
export interface WorkbenchResult {
  readonly workloads: readonly Workload[];
  readonly rows: readonly MatrixRow[];
  /** The Markdown tables. */
  readonly table: string;
}

const BENCHMARKS_DIR = fileURLToPath(new URL('../', import.meta.url));
const CHARTS_DIR = fileURLToPath(new URL('./charts/', import.meta.url));

/**
 * Runs the eviction-policy workbench: loads the workloads, scores every policy × limit ×
 * idle timeout, and writes the table (Markdown and JSON) and one SVG chart per metric.
 *
 * @param options - see {@link WorkbenchOptions}.
 */
export async function runWorkbench(options: WorkbenchOptions = {}): Promise<WorkbenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const names = options.workloads?.length ? options.workloads : await defaultWorkloadNames();
  const loaded = await Promise.all(names.map((n) => loadWorkload(n)));
  const workloads = options.quick ? loaded.map(quickVariant) : loaded;
  const contenders = pickContenders(options.policies ?? []);
  const idleTimeouts = options.idleTimeouts ?? (options.quick ? QUICK_IDLE_TIMEOUTS : DEFAULT_IDLE_TIMEOUTS);
  const started = performance.now();
  const rows = await runMatrix({
    workloads,
    contenders,
    idleTimeouts,
    ...(options.limits ? { limits: options.limits } : {}),
    onRow: (r) => log(`  ${r.workload} · limit ${r.limit} · idle ${r.idleTimeout} · ${r.policy}`),
  });
  log(`policies: ${rows.length} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const table = resultTables(rows, workloads);
  const charts = metricCharts(
    rows,
    workloads,
    contenders.map((c) => c.name),
  );
  const outDir = options.outDir ?? join(BENCHMARKS_DIR, '.out', 'policies');
  await mkdir(join(outDir, 'charts'), { recursive: true });
  await writeFile(join(outDir, 'table.md'), table);
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(rows, null, 2)}\n`);
  for (const chart of charts) await writeFile(join(outDir, 'charts', chart.file), chart.svg);
  log(`policies: table, JSON and charts in ${outDir}`);

  if (options.writeResults) {
    await mkdir(CHARTS_DIR, { recursive: true });
    for (const chart of charts) await writeFile(join(CHARTS_DIR, chart.file), chart.svg);
    const command = commandLine(options);
    const links = charts.map((c) => `[${c.title}](policies/charts/${c.file})`).join(' · ');
    const block = [
      `Command: \`${command}\` (deterministic: the same command gives these exact figures on any machine).`,
      '',
      `Matrix: ${workloads.length} workloads × ${contenders.length} policies (${contenders.map((c) => c.name).join(', ')}) × each workload’s limits × idle timeout ${idleTimeouts.map(formatDuration).join(' / ')}; no absolute timeout; idle-first with its default \`idleFor\` of 5 minutes; \`reject\` is \`onLimit: 'reject'\` with least-recently-seen.`,
      '',
      'Metrics (lower is better for all):',
      '',
      metricLegend(),
      '',
      `Charts: ${links}`,
      '',
      table,
    ].join('\n');
    await writeResultsBlock(join(BENCHMARKS_DIR, 'RESULTS.md'), block);
    log(`policies: charts in ${CHARTS_DIR}, tables in benchmarks/RESULTS.md`);
  }
  return { workloads, rows, table };
}

function commandLine(options: WorkbenchOptions): string {
  const args: string[] = [];
  for (const w of options.workloads ?? []) args.push(`--workload ${w}`);
  if (options.policies?.length && options.policies.length !== CONTENDERS.length) args.push(`--policies ${options.policies.join(',')}`);
  if (options.limits) args.push(`--limits ${options.limits.join(',')}`);
  if (options.idleTimeouts) args.push(`--timeouts ${options.idleTimeouts.map(formatDuration).join(',')}`);
  if (options.quick) args.push('--quick');
  return args.length === 0 ? 'npm run bench:policies -- --write-results' : `npm run bench:policies -- ${args.join(' ')} --write-results`;
}
