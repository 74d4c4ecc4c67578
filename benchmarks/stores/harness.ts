// Measures registry operations over one store: fills it with live sessions, then runs
// each operation with tinybench, with 1 caller and with 50 concurrent callers.
import { Bench } from 'tinybench';
import { SessionRegistry, type SessionStore } from '@session-policy/core';

/** One row of the results table. */
export interface Row {
  store: string;
  sessions: number;
  callers: number;
  op: string;
  opsPerSec: number;
  p50us: number;
  p99us: number;
}

const OPS = ['admit', 'check', 'touch', 'list', 'end'] as const;

/**
 * Fills `store` with `sessions` live sessions (two per principal) and measures each
 * operation. `time` is the measuring time per task in milliseconds.
 */
export async function measureStore(name: string, store: SessionStore, sessions: number, time: number): Promise<Row[]> {
  const registry = new SessionRegistry({ store, maxSessions: 2, idleTimeout: 3_600_000, touchInterval: 600_000 });
  const toucher = new SessionRegistry({ store, maxSessions: 2, idleTimeout: 3_600_000, touchInterval: 0 });
  const principals = Math.max(1, Math.floor(sessions / 2));
  await fill(registry, 'p', principals);
  // Logins and ends churn a separate set of principals, so the probed sessions stay live
  // and the population stays the same size.
  const churn = 1000;
  await fill(registry, 'c', churn);
  await assertProbedActive(registry, principals);
  const rows: Row[] = [];
  let fresh = 0;
  let i = 0;
  const pick = () => (i = (i * 1103515245 + 12345) % 2147483648) % principals;
  const tasks: Array<[string, () => Promise<unknown>, number]> = [
    ['check', () => { const p = `p${pick()}`; return registry.check(sessionOf(p), p); }, 1],
    ['touch', () => { const p = `p${pick()}`; return toucher.check(sessionOf(p), p); }, 1],
    ['list', () => registry.list(`p${pick()}`), 1],
    // A login for a principal at its limit: admission with one eviction.
    // Fresh ids (`n<k>`, `e<k>`) are never reused, so each is admitted for one principal only.
    ['admit', () => registry.admit({ principal: `c${pick() % churn}`, sessionId: `n${fresh++}` }), 1],
    // Admits a session and ends it: two operations.
    ['end (+admit)', async () => {
      const p = `c${pick() % churn}`;
      const id = `e${fresh++}`;
      await registry.admit({ principal: p, sessionId: id });
      await registry.end(id, p);
    }, 2],
  ];
  // One caller: tinybench.
  const bench = new Bench({ time, warmupTime: Math.min(200, time / 4) });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result;
    if (!r || !('latency' in r)) continue;
    const perOp = tasks.find(([n]) => n === task.name)?.[2] ?? 1;
    rows.push({ store: name, sessions, callers: 1, op: task.name, opsPerSec: r.throughput.mean * perOp, p50us: r.latency.p50 * 1000, p99us: r.latency.p99 * 1000 });
  }
  // Fifty callers: aggregate throughput over wall time (tinybench's throughput is per
  // caller when tasks overlap), latency per operation as each caller sees it.
  for (const [op, fn, perOp] of tasks) {
    const { opsPerSec, p50, p99 } = await concurrent(fn, 50, time);
    rows.push({ store: name, sessions, callers: 50, op, opsPerSec: opsPerSec * perOp, p50us: p50, p99us: p99 });
  }
  // The probes must have measured live sessions, not ended ones.
  await assertProbedActive(registry, principals);
  await toucher.close();
  return rows;
}

/** Throws unless the probed sessions of a spread of principals are active. */
async function assertProbedActive(registry: SessionRegistry, principals: number): Promise<void> {
  const step = Math.max(1, Math.floor(principals / 64));
  for (let n = 0; n < principals; n += step) {
    const result = await registry.check(sessionOf(`p${n}`), `p${n}`);
    if (result.status !== 'active') throw new Error(`store benchmark: the probed session of p${n} is ${result.status}, not active`);
  }
}

/**
 * The probed session of `principal`. Session ids are unique per principal (derived from
 * it): an id belongs to one principal, and admitting it for another ends it for the first
 * (rule R4), so ids shared between the `p` and `c` principals would leave the probed
 * sessions ended.
 */
const sessionOf = (principal: string): string => `${principal}:s`;

/** Admits two sessions (`<principal>:t`, then `<principal>:s`) for each of `count` principals named `<prefix><n>`. */
async function fill(registry: SessionRegistry, prefix: string, count: number): Promise<void> {
  const batch = 256;
  for (let start = 0; start < count; start += batch) {
    const work: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(count, start + batch); n++) {
      const principal = `${prefix}${n}`;
      work.push(registry.admit({ principal, sessionId: `${principal}:t` }).then(() => registry.admit({ principal, sessionId: sessionOf(principal) })));
    }
    await Promise.all(work);
  }
}

/** The operations measured, in table order. */
export const OPERATIONS = OPS;

/** Runs `fn` from `callers` concurrent loops for `time` ms; returns ops/s and latency percentiles in µs. */
async function concurrent(fn: () => Promise<unknown>, callers: number, time: number): Promise<{ opsPerSec: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + time;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await fn();
        latencies.push((performance.now() - t0) * 1000);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { opsPerSec: latencies.length / wall, p50: at(0.5), p99: at(0.99) };
}
