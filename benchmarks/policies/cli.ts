/**
 * The eviction-policy workbench from the command line:
 *
 * ```
 * npm run bench:policies -- [--workload <name|file>]... [--policies a,b] [--limits 1,2]
 *                           [--timeouts 15m,2h,none] [--quick] [--out dir] [--write-results]
 * ```
 *
 * Prints the result table (Markdown) and writes it, as JSON too, with one SVG chart per
 * metric, to `benchmarks/.out/policies/` (or `--out`). `--write-results` also updates the
 * committed charts and the tables in `benchmarks/RESULTS.md`.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from './duration.js';
import { runWorkbench, type WorkbenchOptions } from './workbench.js';
import { WorkloadError } from './workload-error.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', multiple: true },
    policies: { type: 'string' },
    limits: { type: 'string' },
    timeouts: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'write-results': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'npm run bench:policies -- [--workload <name|file>]... [--policies a,b] [--limits 1,2] [--timeouts 15m,2h,none] [--quick] [--out dir] [--write-results]\n',
  );
} else {
  const list = (s: string | undefined): string[] | undefined => s?.split(',').map((x) => x.trim()).filter(Boolean);
  const limits = list(values.limits)?.map((l) => {
    const n = Number(l);
    if (!Number.isInteger(n) || n < 1) throw new WorkloadError('--limits', `must be integers ≥ 1, got "${l}"`);
    return n;
  });
  const options: WorkbenchOptions = {
    quick: values.quick,
    writeResults: values['write-results'],
    ...(values.workload ? { workloads: values.workload } : {}),
    ...(values.policies ? { policies: list(values.policies)! } : {}),
    ...(limits ? { limits } : {}),
    ...(values.timeouts ? { idleTimeouts: list(values.timeouts)!.map((t) => parseDuration(t, '--timeouts', true)) } : {}),
    ...(values.out ? { outDir: values.out } : {}),
  };
  const { table } = await runWorkbench(options);
  process.stdout.write(table);
}
