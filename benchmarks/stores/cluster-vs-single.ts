// The Redis store on a three-master Redis Cluster beside a single redis-server, both
// started here on loopback ports (persistence off). Rounds are interleaved (single,
// cluster, single, cluster…) so drift on a shared machine hits both alike; each round
// uses a fresh key prefix. Per round and target:
//   - admits/s: 50 concurrent callers logging distinct principals in (limit 2, evicting
//     once warm) for a fixed time;
//   - check latency: one caller checking active sessions one after another, near cache
//     off (every check is one Redis round trip), p50 and p99.
// Prints a Markdown table of medians with the spread (min–max) over the rounds.
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/cluster-vs-single.ts [--rounds 5] [--seconds 2]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '2' } } });
const ROUNDS = Math.max(1, Number(values.rounds));
const SECONDS = Math.max(0.2, Number(values.seconds));
const CALLERS = 50;
const PRINCIPALS = 2000;
const CHECKS = 2000;

interface Sample {
  admitsPerSec: number;
  p50us: number;
  p99us: number;
}

async function measure(makeStore: (prefix: string) => RedisSessionStore): Promise<Sample> {
  const prefix = `bench:${randomUUID()}:`;
  const store = makeStore(prefix);
  const registry = new SessionRegistry({ store, maxSessions: 2, idleTimeout: 3_600_000, touchInterval: 600_000 });
  try {
    // Warm up: every principal gets two sessions, so timed admits evict one.
    for (let i = 0; i < PRINCIPALS; i += CALLERS) {
      await Promise.all(
        Array.from({ length: CALLERS }, (_, j) =>
          Promise.all([0, 1].map((k) => registry.admit({ principal: `p${i + j}`, sessionId: `w${k}-${i + j}` }))),
        ),
      );
    }
    let admits = 0;
    let next = 0;
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < until) {
          const n = next++;
          await registry.admit({ principal: `p${n % PRINCIPALS}`, sessionId: `a${n}` });
          admits++;
        }
      }),
    );
    const admitsPerSec = admits / ((performance.now() - started) / 1000);
    // Checks of the sessions admitted last (two active per principal).
    const latencies: number[] = [];
    for (let i = 0; i < CHECKS; i++) {
      const n = next - 1 - (i % PRINCIPALS);
      const t0 = performance.now();
      const result = await registry.check(`a${n}`, `p${n % PRINCIPALS}`);
      latencies.push((performance.now() - t0) * 1000);
      if (result.status !== 'active') throw new Error(`check of a${n}: ${result.status}`);
    }
    latencies.sort((a, b) => a - b);
    return {
      admitsPerSec,
      p50us: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      p99us: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    };
  } finally {
    await registry.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function cell(xs: number[], digits = 0): string {
  return `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

const server = await startRedisServer();
const cluster = await startRedisCluster();
const clusterClient = createCluster({ rootNodes: [...cluster.rootNodes] });
clusterClient.on('error', () => undefined);
await clusterClient.connect();
const clusterKeyv = new Keyv({ store: new KeyvRedis(clusterClient as never) });
const targets = {
  'single node': (prefix: string) => new RedisSessionStore(server.url, { prefix, nearCache: false, commandTimeout: 5000 }),
  'cluster, 3 masters': (prefix: string) => new RedisSessionStore(clusterKeyv, { prefix, nearCache: false, commandTimeout: 5000 }),
};
const samples = new Map<string, Sample[]>(Object.keys(targets).map((k) => [k, []]));
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, make] of Object.entries(targets)) {
      const s = await measure(make);
      samples.get(name)!.push(s);
      console.error(`round ${r + 1}/${ROUNDS} ${name}: ${s.admitsPerSec.toFixed(0)} admits/s, check p50 ${s.p50us.toFixed(0)} µs, p99 ${s.p99us.toFixed(0)} µs`);
    }
  }
} finally {
  clusterClient.destroy();
  await cluster.stop();
  await server.stop();
}

console.log(`| Redis | admits/s (${CALLERS} callers) | check p50 µs | check p99 µs |`);
console.log('|---|---|---|---|');
for (const [name, list] of samples) {
  console.log(`| ${name} | ${cell(list.map((s) => s.admitsPerSec))} | ${cell(list.map((s) => s.p50us))} | ${cell(list.map((s) => s.p99us))} |`);
}
console.log(`\nMedian (min–max) of ${ROUNDS} interleaved rounds, ${SECONDS} s of admits and ${CHECKS} checks per round and target; near cache off.`);
