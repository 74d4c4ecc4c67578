/**
 * Revocation propagation delay of the Redis store: process A ends a session, process B
 * (a child process with its own store, bus subscription and near cache) learns it through
 * the revocation bus. Measures, per session, the time from A calling `end()` to B's
 * registry emitting `ended` (origin `remote`), after which B's checks refuse the session.
 *
 *   node --conditions=session-policy-source --import tsx benchmarks/stores/revocation-delay.ts [count]
 *
 * Starts its own redis-server on a free loopback port; prints p50/p90/p99/max in ms.
 */
import { fork } from 'node:child_process';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';
import { runRevocationListener, wallClock } from './revocation-listener.js';

if (process.argv[2] === '--listener') {
  const [, , , url, prefix] = process.argv as [string, string, string, string, string];
  runRevocationListener(url, prefix);
} else {
  const count = Number(process.argv[2] ?? 500);
  const server = await startRedisServer();
  const prefix = 'bench-revocation:';
  const child = fork(new URL(import.meta.url), ['--listener', server.url, prefix], {
    execArgv: ['--conditions=session-policy-source', '--import=tsx'],
  });
  const received = new Map<string, number>();
  let waiting: ((value: void) => void) | undefined;
  let ready: (() => void) | undefined;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  child.on('message', (m: 'ready' | { id: string; at: number }) => {
    if (m === 'ready') return ready?.();
    received.set(m.id, m.at);
    waiting?.();
  });
  await readyPromise;

  const registry = new SessionRegistry({ store: new RedisSessionStore(server.url, { prefix }) });
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = `s${i}`;
    await registry.admit({ principal: `user${i % 50}`, sessionId: id });
    const arrived = new Promise<void>((resolve) => (waiting = resolve));
    const started = wallClock();
    await registry.end(id, `user${i % 50}`, 'revoked');
    while (!received.has(id)) await Promise.race([arrived, new Promise((r) => setTimeout(r, 1000))]);
    delays.push((received.get(id) as number) - started);
  }
  await registry.close();
  child.send('exit');
  await new Promise((resolve) => child.once('exit', resolve));
  await server.stop();

  delays.sort((a, b) => a - b);
  const at = (q: number): string => (delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] as number).toFixed(2);
  console.log(`revocation propagation over ${count} ends (end() called in A → 'ended' remote in B):`);
  console.log(`  p50 ${at(0.5)} ms   p90 ${at(0.9)} ms   p99 ${at(0.99)} ms   max ${at(1)} ms`);
}
