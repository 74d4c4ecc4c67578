/**
 * `npm run bench [-- --quick]`: runs every benchmark present, in order. Each one is a
 * `<name>/run.ts` exporting `run({ quick })` (which may return its Markdown section, then
 * printed); benchmarks not written yet are skipped.
 * `--quick` is the harness check CI may run (under a minute); without it the full set
 * runs (about ten minutes on a 2-core machine) and updates `RESULTS.md`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCHMARKS = ['policies', 'stores', 'http'] as const;

interface Benchmark {
  /** Runs the benchmark; a returned string is its Markdown section, printed here. */
  run(options: { quick: boolean }): Promise<void | string>;
}

const quick = process.argv.slice(2).includes('--quick');
const unknown = process.argv.slice(2).filter((a) => a !== '--quick');
if (unknown.length > 0) {
  process.stderr.write(`Unknown argument(s): ${unknown.join(' ')}. Usage: npm run bench [-- --quick]\n`);
  process.exit(2);
}

const started = performance.now();
for (const name of BENCHMARKS) {
  const path = fileURLToPath(new URL(`./${name}/run.ts`, import.meta.url));
  if (!existsSync(path)) {
    process.stderr.write(`bench: ${name}: not present, skipped\n`);
    continue;
  }
  process.stderr.write(`bench: ${name}${quick ? ' (quick)' : ''}…\n`);
  const t = performance.now();
  const benchmark = (await import(pathToFileURL(path).href)) as Benchmark;
  if (typeof benchmark.run !== 'function') throw new Error(`benchmarks/${name}/run.ts must export run({ quick })`);
  const section = await benchmark.run({ quick });
  if (typeof section === 'string') process.stdout.write(`\n## ${name}${quick ? ' (quick)' : ''}\n\n${section.trimEnd()}\n`);
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}
process.stderr.write(`bench: all done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
