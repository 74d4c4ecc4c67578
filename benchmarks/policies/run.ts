import { runWorkbench } from './workbench.js';

/**
 * The eviction-policy workbench as one benchmark of `npm run bench`: the full default
 * set updates the committed charts and `RESULTS.md`; `quick` runs small variants and
 * writes only to `benchmarks/.out/`.
 *
 * @param options - `quick`: check that the harness works, in seconds.
 */
export async function run({ quick }: { quick: boolean }): Promise<void> {
  const { table } = await runWorkbench({ quick, writeResults: !quick });
  process.stdout.write(`\n## Eviction policies${quick ? ' (quick: harness check, not figures)' : ''}\n\n${table}`);
}
