// The embedded store at scale, side by side: the request check's rate with 1 000 000 live
// sessions against its rate with 1 000, measured in one process in interleaved rounds (the
// machine is shared: only ratios measured together mean something), plus heap per
// session at 1 000 000 in a fresh process.
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
 * The floor: a bare `Map.get` of the same random, freshly built id strings in a map of
 * every session id (values: one small object each, as the store's index holds), with no
 * registry around it. At a million entries a uniformly random lookup misses the CPU
 * caches whatever the code does; the store's ratio is read beside this one.
 */
function bareMap(sessions: number): Map<string, { readonly n: number }> {
  const map = new Map<string, { readonly n: number }>();
  for (let s = 0; s < sessions; s++) map.set(`sess-${s >> 1}-${s & 1 ? 'a' : 'b'}-0123456789abcdef`, { n: s });
  return map;
}

function mapRate(map: Map<string, { readonly n: number }>, ms: number): Rate {
  let n = 0;
  let sum = 0;
  const start = performance.now();
  let end = start;
  while (end - start < ms) {
    for (let i = 0; i < 256; i++) {
      const s = pick(map.size);
      const v = map.get(`sess-${s >> 1}-${s & 1 ? 'a' : 'b'}-0123456789abcdef`);
      if (v === undefined) throw new Error('bare map: missing id');
      sum += v.n;
    }
    n += 256;
    end = performance.now();
  }
  if (sum < 0) throw new Error('unreachable');
  return { perSecond: (n / (end - start)) * 1000, flushUs: 0 };
}

let seed = 12345;
const pick = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;

interface Rate {
  /** Per-request operations per second (the write-behind flush not included). */
  readonly perSecond: number;
  /** Microseconds per session written by the flush that follows (`store.touch`, batched). */
  readonly flushUs: number;
}

/**
 * Sequential checks for `ms` milliseconds on uniformly random sessions (fresh id strings,
 * as requests bring them): `registry.check` (awaited) or `registry.peek` (synchronous).
 * The loop does not yield to the event loop, so the flush timer does not run inside the
 * window; the touches the window recorded are then written by one `sweep` (which flushes
 * every pending touch first), timed apart: the per-request path and the write-behind cost
 * are reported separately.
 */
async function rate({ registry, principals }: Population, path: 'check' | 'peek', ms: number): Promise<Rate> {
  let n = 0;
  const start = performance.now();
  let end = start;
  while (end - start < ms) {
    for (let i = 0; i < 256; i++) {
      const s = pick(2 * principals);
      const p = s >> 1;
      const id = `sess-${p}-${s & 1 ? 'a' : 'b'}-0123456789abcdef`;
      const r = path === 'check' ? await registry.check(id, `user-${p}@example.com`) : registry.peek(id, `user-${p}@example.com`);
      if (r?.status !== 'active') throw new Error(`${path} answered ${r?.status}`);
    }
    n += 256;
    end = performance.now();
  }
  const distinct = Math.min(n, 2 * principals);
  const flushStart = performance.now();
  await registry.sweep();
  const flushUs = ((performance.now() - flushStart) * 1000) / distinct;
  return { perSecond: (n / (end - start)) * 1000, flushUs };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const formatRate = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`);

/** Runs the comparison and returns its Markdown block. */
export async function run({ quick }: { quick: boolean }): Promise<string> {
  const bigSize = quick ? 20_000 : 1_000_000;
  const rounds = quick ? 5 : 7;
  const ms = quick ? 100 : 500;
  const small = await populate(1_000);
  const big = await populate(bigSize);
  const smallMap = bareMap(1_000);
  const bigMap = bareMap(bigSize);
  const results: Record<'check' | 'peek' | 'map', { small: Rate[]; big: Rate[] }> = {
    check: { small: [], big: [] },
    peek: { small: [], big: [] },
    map: { small: [], big: [] },
  };
  // Warm both (JIT, caches), then interleave: each round measures both sizes, in
  // alternating order.
  await rate(small, 'check', ms);
  await rate(big, 'check', ms);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [small, big] : [big, small];
    for (const population of order) {
      const side = population === small ? 'small' : 'big';
      results.check[side].push(await rate(population, 'check', ms));
      results.peek[side].push(await rate(population, 'peek', ms));
      results.map[side].push(mapRate(population === small ? smallMap : bigMap, ms));
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
    ['check', '`registry.check` (awaited; touch recorded in memory)'],
    ['peek', '`registry.peek` (synchronous; touch recorded in memory)'],
    ['map', 'floor: bare `Map.get` of the same random ids (no registry)'],
  ] as const) {
    const r = results[path];
    const ratios = r.big.map((b, i) => b.perSecond / r.small[i]!.perSecond);
    lines.push(
      `| ${label} | ${formatRate(median(r.small.map((x) => x.perSecond)))} | ${formatRate(median(r.big.map((x) => x.perSecond)))} | **${pct(median(ratios))}** | ${pct(Math.min(...ratios))} – ${pct(Math.max(...ratios))} |`,
    );
  }
  const flush = (side: 'small' | 'big') => median([...results.check[side], ...results.peek[side]].map((x) => x.flushUs)).toFixed(1);
  lines.push(
    '',
    `Write-behind flush (one \`store.touch\` batch of every session the window saw, through \`sweep\`): median ${flush('small')} µs per session written at 1,000 sessions, ${flush('big')} µs at ${bigSize.toLocaleString('en')}. Each session is written at most once per flush interval (1 s by default) however often it is checked.`,
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
