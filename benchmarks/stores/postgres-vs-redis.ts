// Postgres store beside the Redis store and the embedded one, same run, interleaved:
// sequential admits (each evicting one session: the principal is at its limit) and
// checks of live sessions (near cache off, so every check asks the backend), one caller,
// ROUNDS rounds; prints the median and spread of each store's per-operation latency and
// the ratios to Redis.
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/postgres-vs-redis.ts [rounds] [ops]
import { randomUUID } from 'node:crypto';
import { createMemoryStore, SessionRegistry, type SessionStore } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { RedisSessionStore } from '@session-policy/redis';
import { startPostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

const ROUNDS = Number(process.argv[2] ?? 5);
const OPS = Number(process.argv[3] ?? 300);

const postgres = await startPostgresServer();
const redis = await startRedisServer();
const stores: Record<string, () => SessionStore> = {
  embedded: () => createMemoryStore(),
  redis: () => new RedisSessionStore(redis.url, { prefix: `b:${randomUUID()}:`, nearCache: false, commandTimeout: 5000 }),
  postgres: () => new PostgresSessionStore(postgres.url, { prefix: `b_${randomUUID().replaceAll('-', '').slice(0, 8)}_`, nearCache: false, queryTimeout: 5000 }),
};
const results: Record<string, { admit: number[]; check: number[] }> = {};

async function measure(name: string): Promise<void> {
  const registry = new SessionRegistry({ store: stores[name]!(), maxSessions: 1, idleTimeout: 3_600_000 });
  const run = randomUUID().slice(0, 8);
  for (let i = 0; i < 50; i++) await registry.admit({ principal: `w${i}`, sessionId: `${run}-w${i}` });
  let t0 = performance.now();
  for (let i = 0; i < OPS; i++) await registry.admit({ principal: `p${i % 100}`, sessionId: `${run}-${i}` });
  const admit = ((performance.now() - t0) * 1000) / OPS;
  t0 = performance.now();
  for (let i = 0; i < OPS; i++) await registry.check(`${run}-${OPS - 1 - (i % 100)}`, `p${(OPS - 1 - (i % 100)) % 100}`);
  const check = ((performance.now() - t0) * 1000) / OPS;
  await registry.close();
  (results[name] ??= { admit: [], check: [] }).admit.push(admit);
  results[name].check.push(check);
}

for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(stores)) await measure(name);
await postgres.destroy();
await redis.stop();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(`${ROUNDS} interleaved rounds × ${OPS} sequential operations, one caller; µs per operation, median (min–max); ratio to Redis`);
console.log('| store | admit (evicts one) | check (no near cache) | admit vs Redis | check vs Redis |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, r] of Object.entries(results)) {
  const cell = (xs: number[]): string => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  const ratio = (xs: number[], base: number[]): string => `${(median(xs) / median(base)).toFixed(2)}×`;
  console.log(`| ${name} | ${cell(r.admit)} | ${cell(r.check)} | ${ratio(r.admit, results.redis!.admit)} | ${ratio(r.check, results.redis!.check)} |`);
}
