// The embedded store at scale, side by side: the request check's rate with 1 000 000 live
// sessions against its rate with 1 000, measured in one process in interleaved rounds (the
// machine is shared: only ratios measured together mean something), plus heap per
// session at 1 000 000 in a fresh process.
//
//   node --conditions=development --import tsx benchmarks/stores/embedded.ts            # 1k vs 1M, 7 rounds, writes RESULTS.md
//   node --conditions=development --import tsx benchmarks/stores/embedded.ts --quick    # 1k vs 20k, 5 short rounds, prints only
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMemoryStore, SessionRegistry } from '@session-policy/core';
import { writeResultsBlock } from '../results-block.js';

interface Population {
  readonly sessions: number;
  readonly registry: SessionRegistry;
  readonly principals: number;
}

async function populate(sessions: number): Promise<Population> {
  // Default options but the limit (2) and an idle timeout longer than the run.
  const registry = new SessionRegistry({ store: createMemoryStore({ maxPrincipals: sessions }), maxSessions: 2, idleTimeout: 3_600_000 });
  const principals = sessions / 2;
  for (let p = 0; p < principals; p++) {
    await registry.admit({ principal: `user-${p}@example.com`, sessionId: `sess-${p}-a-0123456789abcdef`, deviceId: 'laptop' });
    await registry.admit({ principal: `user-${p}@example.com`, sessionId: `sess-${p}-b-0123456789abcdef`, deviceId: 'phone' });
  }
  return { sessions, registry, principals };
}

let seed = 12345;
const pick = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;

/**
 * Sequential `registry.check` calls for `ms` milliseconds on uniformly random sessions
 * (fresh id strings, as requests bring them), yielding to the event loop every 256 checks
 * so the write-behind flush runs inside the measured time. Returns checks per second.
 */
async function checkRate({ registry, principals }: Population, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let end = start + ms;
  for (;;) {
    for (let i = 0; i < 256; i++) {
      const s = pick(2 * principals);
      const p = s >> 1;
      const r = await registry.check(`sess-${p}-${s & 1 ? 'a' : 'b'}-0123456789abcdef`, `user-${p}@example.com`);
      if (r.status !== 'active') throw new Error(`check answered ${r.status}`);
    }
    n += 256;
    await new Promise((resolve) => setImmediate(resolve));
    const now = performance.now();
    if (now >= end) {
      end = now;
      break;
    }
  }
  return (n / (end - start)) * 1000;
}

/** `registry.peek` (the synchronous path adapters use) for `ms` milliseconds; same picks. */
async function peekRate({ registry, principals }: Population, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 256; i++) {
      const s = pick(2 * principals);
      const p = s >> 1;
      const r = registry.peek(`sess-${p}-${s & 1 ? 'a' : 'b'}-0123456789abcdef`, `user-${p}@example.com`);
      if (r?.status !== 'active') throw new Error(`peek answered ${r?.status}`);
    }
    n += 256;
    await new Promise((resolve) => setImmediate(resolve));
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const rate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);

/** Runs the comparison and returns its Markdown block. */
export async function run({ quick }: { quick: boolean }): Promise<string> {
  const bigSize = quick ? 20_000 : 1_000_000;
  const rounds = quick ? 5 : 7;
  const ms = quick ? 100 : 500;
  const small = await populate(1_000);
  const big = await populate(bigSize);
  const results: Record<'check' | 'peek', { small: number[]; big: number[] }> = {
    check: { small: [], big: [] },
    peek: { small: [], big: [] },
  };
  // Warm both (JIT, caches), then interleave: each round measures both sizes, in
  // alternating order.
  await checkRate(small, ms);
  await checkRate(big, ms);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [small, big] : [big, small];
    for (const population of order) {
      const side = population === small ? 'small' : 'big';
      results.check[side].push(await checkRate(population, ms));
      results.peek[side].push(await peekRate(population, ms));
    }
    process.stderr.write(`  round ${round + 1}/${rounds}\n`);
  }
  await small.registry.close();
  await big.registry.close();
  const lines = [
    `| path | rate at 1,000 sessions (median) | rate at ${bigSize.toLocaleString('en')} (median) | ratio, median | ratio, min – max over ${rounds} rounds |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [path, label] of [
    ['check', '`registry.check` (await; touch recorded, write-behind flush included)'],
    ['peek', '`registry.peek` (synchronous; touch recorded)'],
  ] as const) {
    const r = results[path];
    const ratios = r.big.map((b, i) => b / r.small[i]!);
    lines.push(
      `| ${label} | ${rate(median(r.small))} | ${rate(median(r.big))} | **${pct(median(ratios))}** | ${pct(Math.min(...ratios))} – ${pct(Math.max(...ratios))} |`,
    );
  }
  const memory = quick ? '' : `\n${memoryPerSession(1_000_000)}\n`;
  return `${lines.join('\n')}\n${memory}`;
}

/** Heap per live session at `sessions`, in a fresh process with --expose-gc. */
function memoryPerSession(sessions: number): string {
  const script = fileURLToPath(new URL('./memory-per-session.ts', import.meta.url));
  const out = spawnSync(process.execPath, ['--expose-gc', '--conditions=development', '--import', 'tsx', script, String(sessions)], { encoding: 'utf8' });
  if (out.status !== 0) return `Memory per session: measurement failed (${out.stderr.trim().split('\n').pop()})`;
  return out.stdout.trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const block = await run({ quick });
  console.log(block);
  if (!quick) {
    const path = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    const note = `(generated by \`node --conditions=development --import tsx benchmarks/stores/embedded.ts\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}; edit benchmarks/stores/embedded.ts, not this block)`;
    await writeResultsBlock(path, { heading: '## Embedded store at scale', name: 'embedded', note }, block);
  }
}
