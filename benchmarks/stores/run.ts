// Store and registry throughput: admit / check / touch / list / end per second and
// latency p50/p99, per store, at several numbers of live sessions, with 1 and 50
// concurrent callers; plus memory per session of the embedded store. The Postgres
// variants stop at 100k sessions (filling a million is a million logins: tens of minutes
// on Postgres here); benchmarks/stores/side-by-side.ts compares the stores in
// interleaved rounds.
//
//   npm run bench:stores            # 1k, 100k and 1M live sessions, then the side-by-side
//                                   # rounds (its block in RESULTS.md is rewritten)
//   npm run bench:stores -- --quick # 1k only, short runs, no side-by-side (checks the harness works)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, type SessionStore } from '@session-policy/core';
import { measureStore, type Row } from './harness.js';
import { postgresVariants, stopPostgres } from './postgres-variants.js';
import { redisVariants, stopRedis } from './redis-variants.js';
import { SECTION, sideBySide } from './side-by-side.js';
import { writeResultsBlock } from '../results-block.js';

/** A store to measure: its name and a factory (with a teardown). */
export interface Variant {
  name: string;
  /** The largest number of live sessions to measure it at (default: every size). */
  maxSessions?: number;
  open(): Promise<{ store: SessionStore; close(): Promise<void> }>;
}

const memory: Variant = {
  name: 'memory (embedded)',
  async open() {
    const store = createMemoryStore({ maxPrincipals: 2_000_000 });
    return { store, close: () => store.close() };
  },
};

/** Runs the store benchmark and returns its Markdown section. */
export async function run({ quick }: { quick: boolean }): Promise<string> {
  const sizes = quick ? [1_000] : [1_000, 100_000, 1_000_000];
  const time = quick ? 150 : 1_000;
  const variants = [memory, ...(await redisVariants()), ...postgresVariants()];
  const rows: Row[] = [];
  for (const variant of variants) {
    for (const size of sizes) {
      if (size > (variant.maxSessions ?? Infinity)) continue;
      const { store, close } = await variant.open();
      try {
        process.stdout.write(`  ${variant.name} at ${size} sessions …\n`);
        rows.push(...(await measureStore(variant.name, store, size, time)));
      } finally {
        await close();
      }
    }
  }
  await stopRedis();
  await stopPostgres();
  const memoryLine = quick ? '' : memoryPerSession(1_000_000);
  const table = render(rows, sizes, memoryLine);
  if (quick) return table;
  // The stores side by side in interleaved rounds (issue #14), written into its own block.
  const block = await sideBySide({ rounds: 5, sessions: 10_000, time: 500, log: (line) => process.stdout.write(`${line}\n`) });
  await writeResultsBlock(fileURLToPath(new URL('../RESULTS.md', import.meta.url)), SECTION, block);
  return `${table}\n${SECTION.heading.replace(/^## /, '### ')}\n\n${block}\n`;
}

function render(rows: Row[], sizes: number[], memoryLine: string): string {
  const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const lines = [
    '| store | live sessions | callers | op | ops/s | p50 µs | p99 µs | ops/s vs 1k |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const base = rows.find((b) => b.store === r.store && b.callers === r.callers && b.op === r.op && b.sessions === sizes[0]);
    const ratio = base ? `${((r.opsPerSec / base.opsPerSec) * 100).toFixed(0)} %` : '';
    lines.push(`| ${r.store} | ${r.sessions.toLocaleString('en')} | ${r.callers} | ${r.op} | ${fmt(r.opsPerSec)} | ${fmt(r.p50us)} | ${fmt(r.p99us)} | ${ratio} |`);
  }
  return `${lines.join('\n')}\n${memoryLine ? `\n${memoryLine}\n` : ''}`;
}

/** Measures heap per live session of the embedded store in a fresh process with --expose-gc. */
function memoryPerSession(sessions: number): string {
  const script = fileURLToPath(new URL('./memory-per-session.ts', import.meta.url));
  const out = spawnSync(process.execPath, ['--expose-gc', '--conditions=session-policy-source', '--import', 'tsx', script, String(sessions)], {
    encoding: 'utf8',
  });
  if (out.status !== 0) return `Memory per session: measurement failed (${out.stderr.trim().split('\n').pop()})`;
  return out.stdout.trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const section = await run({ quick: process.argv.includes('--quick') });
  console.log(section);
}
