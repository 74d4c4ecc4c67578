// How to bound the wait for a Redis reply, measured side by side (issue #13, "the Redis
// client path"): `GET` through one node-redis client on a redis-server started here,
// bare (the floor), with node-redis's per-command `timeout` option (an
// AbortSignal.timeout per command) plus a setTimeout race (what the store did), with a
// setTimeout race only, and with the store's Deadlines (one timer per connection).
// 7 interleaved rounds per variant; median and spread of µs per call, at 1 caller
// (latency) and 50 callers (throughput).
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/command-deadline.ts
import { createClient } from '@keyv/redis';
import { Deadlines } from '../../packages/redis/src/deadlines.js';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

const TIMEOUT = 1000;
const ROUNDS = 7;

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('late')), ms).unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const server = await startRedisServer();
const client = createClient({ url: server.url, disableOfflineQueue: true });
await client.connect();
const deadlines = new Deadlines(TIMEOUT);

const variants: Record<string, () => Promise<unknown>> = {
  'bare GET (floor)': () => client.sendCommand(['GET', 'k']),
  'node-redis timeout + race': () => raceTimeout(client.sendCommand(['GET', 'k'], { timeout: TIMEOUT }), TIMEOUT),
  'setTimeout race': () => raceTimeout(client.sendCommand(['GET', 'k']), TIMEOUT),
  'Deadlines (one timer)': () => deadlines.watch(client.sendCommand(['GET', 'k']), 'GET'),
};

async function round(fn: () => Promise<unknown>, callers: number, perCaller: number): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = 0; i < perCaller; i++) await fn();
    }),
  );
  return Number(process.hrtime.bigint() - start) / 1000 / (callers * perCaller);
}

const rows: string[] = ['| variant | callers | µs/call, median | min – max | vs floor |', '|---|---:|---:|---:|---:|'];
for (const [callers, perCaller] of [
  [1, 3000],
  [50, 200],
] as const) {
  const results: Record<string, number[]> = {};
  for (const fn of Object.values(variants)) await round(fn, callers, 200); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(variants)) (results[name] ??= []).push(await round(fn, callers, perCaller));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const floor = median(results['bare GET (floor)']!);
  for (const [name, xs] of Object.entries(results)) {
    const sorted = [...xs].sort((a, b) => a - b);
    rows.push(
      `| ${name} | ${callers} | ${median(xs).toFixed(1)} | ${sorted[0]!.toFixed(1)} – ${sorted.at(-1)!.toFixed(1)} | ${(median(xs) / floor).toFixed(2)}× |`,
    );
  }
}
console.log(rows.join('\n'));
client.destroy();
await server.stop();
