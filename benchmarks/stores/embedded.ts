// The embedded store at scale, side by side: the request check's rate with 1 000 000 live
// sessions against its rate with 1 000, measured in one process in interleaved rounds (the
// machine is shared: only ratios measured together mean something), under two access
// patterns (uniform over every session; a fixed set of 1 000 sessions at both sizes), plus
// heap per session at 1 000 000 in a fresh process.
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/embedded.ts            # 1k vs 1M, 7 rounds, writes RESULTS.md
//   node --conditions=session-policy-source --import tsx benchmarks/stores/embedded.ts --quick    # 1k vs 20k, 5 short rounds, prints only
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

/**
 * xorshift32: a full-period (2^32 - 1) generator in 32-bit integer arithmetic. (The
 * linear congruential step this benchmark used before, `seed * 1103515245 + 12345` in
 * doubles, lost bits past 2^53 and fell into a cycle of about 10,500 values: at "1M" it
 * only ever asked for some 10,000 sessions.)
 */
let state = 2463534242;
function next(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
}

/**
 * Which sessions the requests ask for.
 *
 * - `uniform`: every session of the population equally likely (at 1M the requests touch
 *   the whole 300 MB heap: the memory-latency worst case).
 * - `hot`: a fixed set of 1,000 sessions chosen at random from the population, the same
 *   number at both sizes (at 1k, all of them): the same access pattern, so the ratio
 *   shows what the size of the population itself costs a check (index size, heap, GC,
 *   the flush), not DRAM latency.
 */
type Pattern = 'uniform' | 'hot';
const HOT = 1_000;

/** A random set of {@link HOT} distinct session numbers of a population. */
function hotSet(sessions: number): Uint32Array {
  const set = new Uint32Array(HOT);
  const taken = new Set<number>();
  for (let i = 0; i < HOT; i++) {
    let s = next() % sessions;
    while (taken.has(s)) s = next() % sessions;
    taken.add(s);
    set[i] = s;
  }
  return set;
}

type Picker = () => number;
function picker(sessions: number, pattern: Pattern, hot: Uint32Array): Picker {
  return pattern === 'uniform' ? () => next() % sessions : () => hot[next() % HOT]!;
}

const idOf = (s: number) => `sess-${s >> 1}-${s & 1 ? 'b' : 'a'}-0123456789abcdef`;

/**
 * The floor: a bare `Map.get` of the same random, freshly built id strings in a map of
 * every session id (values: one small object each, as the store's index holds), with no
 * registry around it. At a million entries a uniformly random lookup misses the CPU
 * caches whatever the code does; the store's ratio is read beside this one.
 */
function bareMap(sessions: number): Map<string, { readonly n: number }> {
  const map = new Map<string, { readonly n: number }>();
  for (let s = 0; s < sessions; s++) map.set(idOf(s), { n: s });
  return map;
}

function mapRate(map: Map<string, { readonly n: number }>, pick: Picker, ms: number): Rate {
  let n = 0;
  let sum = 0;
  const start = performance.now();
  let end = start;
  while (end - start < ms) {
    for (let i = 0; i < 256; i++) {
      const s = pick();
      const v = map.get(`sess-${s >> 1}-${s & 1 ? 'b' : 'a'}-0123456789abcdef`);
      if (v === undefined) throw new Error('bare map: missing id');
      sum += v.n;
    }
    n += 256;
    end = performance.now();
  }
  if (sum < 0) throw new Error('unreachable');
  return { perSecond: (n / (end - start)) * 1000, flushUs: 0 };
}

interface Rate {
  /** Per-request operations per second (the write-behind flush not included). */
  readonly perSecond: number;
  /** Microseconds per distinct session the window saw, for the flush that follows (`sweep`). */
  readonly flushUs: number;
}

/**
 * Sequential checks for `ms` milliseconds on random sessions of the pattern (fresh id
 * strings, as requests bring them): `registry.check` (awaited) or `registry.peek`
 * (synchronous). The loop does not yield to the event loop, so the flush timer does not
 * run inside the window; the touches the window recorded are then written by one `sweep`
 * (which flushes every pending touch first), timed apart: the per-request path and the
 * write-behind cost are reported separately.
 */
async function rate({ registry, sessions }: Population, pick: Picker, path: 'check' | 'peek', ms: number): Promise<Rate> {
  let n = 0;
  const replay = state;
  const start = performance.now();
  let end = start;
  while (end - start < ms) {
    for (let i = 0; i < 256; i++) {
      const s = pick();
      const p = s >> 1;
      const id = `sess-${p}-${s & 1 ? 'b' : 'a'}-0123456789abcdef`;
      const r = path === 'check' ? await registry.check(id, `user-${p}@example.com`) : registry.peek(id, `user-${p}@example.com`);
      if (r?.status !== 'active') throw new Error(`${path} answered ${r?.status}`);
    }
    n += 256;
    end = performance.now();
  }
  const flushStart = performance.now();
  await registry.sweep();
  const flushMs = performance.now() - flushStart;
  // How many distinct sessions the window asked for: the same draws again, outside the timing.
  const after = state;
  state = replay;
  const asked = new Uint8Array(sessions);
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const s = pick();
    if (asked[s] === 0) {
      asked[s] = 1;
      distinct++;
    }
  }
  state = after;
  return { perSecond: (n / (end - start)) * 1000, flushUs: (flushMs * 1000) / distinct };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const formatRate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);

type Path = 'check' | 'peek' | 'map';
type Side = 'small' | 'big';

/** Runs the comparison and returns its Markdown block. */
export async function run({ quick }: { quick: boolean }): Promise<string> {
  const bigSize = quick ? 20_000 : 1_000_000;
  const rounds = quick ? 5 : 7;
  const ms = quick ? 100 : 500;
  const small = await populate(1_000);
  const big = await populate(bigSize);
  const maps = { small: bareMap(1_000), big: bareMap(bigSize) };
  const hot = { small: hotSet(1_000), big: hotSet(bigSize) };
  const pickers = (side: Side) => {
    const sessions = side === 'small' ? 1_000 : bigSize;
    return { uniform: picker(sessions, 'uniform', hot[side]), hot: picker(sessions, 'hot', hot[side]) };
  };
  const picks = { small: pickers('small'), big: pickers('big') };
  const patterns: readonly Pattern[] = ['uniform', 'hot'];
  const results = new Map<string, { small: Rate[]; big: Rate[] }>();
  const slot = (pattern: Pattern, path: Path) => {
    const key = `${pattern} ${path}`;
    let r = results.get(key);
    if (!r) results.set(key, (r = { small: [], big: [] }));
    return r;
  };
  // Warm both (JIT, caches), then interleave: each round measures both sizes, in
  // alternating order, each pattern and path.
  await rate(small, picks.small.uniform, 'check', ms);
  await rate(big, picks.big.uniform, 'check', ms);
  for (let round = 0; round < rounds; round++) {
    const order: Side[] = round % 2 === 0 ? ['small', 'big'] : ['big', 'small'];
    for (const side of order) {
      const population = side === 'small' ? small : big;
      for (const pattern of patterns) {
        const pick = picks[side][pattern];
        slot(pattern, 'check')[side].push(await rate(population, pick, 'check', ms));
        slot(pattern, 'peek')[side].push(await rate(population, pick, 'peek', ms));
        slot(pattern, 'map')[side].push(mapRate(maps[side], pick, ms));
      }
    }
    process.stderr.write(`  round ${round + 1}/${rounds}\n`);
  }
  await small.registry.close();
  await big.registry.close();
  const lines = [
    `| access pattern | path | rate at 1,000 sessions (median) | rate at ${bigSize.toLocaleString('en')} (median) | ratio, median | ratio, min – max over ${rounds} rounds |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const patternLabel: Record<Pattern, string> = {
    uniform: 'uniform over every session',
    hot: `the same ${HOT.toLocaleString('en')} sessions at both sizes`,
  };
  for (const pattern of patterns) {
    for (const [path, label] of [
      ['check', '`registry.check` (awaited; touch recorded in memory)'],
      ['peek', '`registry.peek` (synchronous; touch recorded in memory)'],
      ['map', 'floor: bare `Map.get` of the same random ids (no registry)'],
    ] as const) {
      const r = slot(pattern, path);
      const ratios = r.big.map((b, i) => b.perSecond / r.small[i]!.perSecond);
      lines.push(
        `| ${patternLabel[pattern]} | ${label} | ${formatRate(median(r.small.map((x) => x.perSecond)))} | ${formatRate(median(r.big.map((x) => x.perSecond)))} | **${pct(median(ratios))}** | ${pct(Math.min(...ratios))} – ${pct(Math.max(...ratios))} |`,
      );
    }
  }
  const flush = (pattern: Pattern, side: Side) => median([...slot(pattern, 'check')[side], ...slot(pattern, 'peek')[side]].map((x) => x.flushUs)).toFixed(2);
  lines.push(
    '',
    `Write-behind flush (one \`sweep\` after each window, which first flushes every touch the window recorded), median µs per distinct session the window asked for: uniform ${flush('uniform', 'small')} at 1,000 sessions, ${flush('uniform', 'big')} at ${bigSize.toLocaleString('en')}; same ${HOT.toLocaleString('en')} sessions ${flush('hot', 'small')} and ${flush('hot', 'big')}.`,
  );
  const memory = quick ? '' : `\n${memoryPerSession(1_000_000)}\n`;
  return `${lines.join('\n')}\n${memory}`;
}

/** Heap per live session at `sessions`, in a fresh process with --expose-gc. */
function memoryPerSession(sessions: number): string {
  const script = fileURLToPath(new URL('./memory-per-session.ts', import.meta.url));
  const out = spawnSync(process.execPath, ['--expose-gc', '--conditions=session-policy-source', '--import', 'tsx', script, String(sessions)], { encoding: 'utf8' });
  if (out.status !== 0) return `Memory per session: measurement failed (${out.stderr.trim().split('\n').pop()})`;
  return out.stdout.trim();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const block = await run({ quick });
  console.log(block);
  if (!quick) {
    const path = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    const note = `(generated by \`node --conditions=session-policy-source --import tsx benchmarks/stores/embedded.ts\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}; edit benchmarks/stores/embedded.ts, not this block)`;
    await writeResultsBlock(path, { heading: '## Embedded store at scale', name: 'embedded', note }, block);
  }
}
