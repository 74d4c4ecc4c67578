import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

const redis = useRedisServer(test);

async function scriptCalls(): Promise<number> {
  const info = await redis.admin.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function endInChild(prefix: string, principal: string, sessionId: string): Promise<unknown> {
  const worker = new URL('./helpers/end-worker.ts', import.meta.url);
  const child = fork(worker, [redis.server.url, prefix, principal, sessionId], { execArgv: ['--conditions=session-policy-source', '--import=tsx'] });
  return new Promise((resolve, reject) => {
    let answer: unknown;
    child.on('message', (m) => (answer = m));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(answer) : reject(new Error(`worker exited with ${code}`))));
  });
}

test.serial('a session ended in another process is refused by this one, near cache on', async (t) => {
  const prefix = `rev:${randomUUID()}:`;
  // A long near-cache TTL: only the bus can make this process refuse the session.
  const store = new RedisSessionStore(redis.server.url, { prefix, nearCache: { ttl: 60_000 } });
  const registry = new SessionRegistry({ store });
  const remote: SessionInfo[] = [];
  registry.on('ended', (s, origin) => origin === 'remote' && remote.push(s));
  try {
    await until(() => store.nearCacheActive);
    await registry.admit({ principal: 'alice', sessionId: 's1' });
    t.is((await registry.check('s1', 'alice')).status, 'active');
    const before = await scriptCalls();
    t.is((await registry.check('s1', 'alice')).status, 'active');
    t.is(await scriptCalls(), before, 'the second check was answered by the near cache');

    t.is(await endInChild(prefix, 'alice', 's1'), 'ended');
    await until(() => remote.length > 0);
    t.is(remote[0]?.sessionId, 's1');
    t.is(remote[0]?.endReason, 'revoked');
    const check = await registry.check('s1', 'alice');
    t.is(check.status, 'ended');
    t.is(check.status === 'ended' ? check.reason : undefined, 'revoked');
  } finally {
    await registry.close();
  }
});

test.serial('while the bus is down the near cache is bypassed, so an end it missed is still refused', async (t) => {
  const prefix = `rev:${randomUUID()}:`;
  const store = new RedisSessionStore(redis.server.url, { prefix, nearCache: { ttl: 60_000 }, busProbeInterval: 100 });
  const registry = new SessionRegistry({ store });
  registry.on('error', () => undefined);
  const other = new SessionRegistry({ store: new RedisSessionStore(redis.server.url, { prefix, bus: false }) });
  try {
    await until(() => store.nearCacheActive);
    await registry.admit({ principal: 'bob', sessionId: 's1' });
    t.is((await registry.check('s1', 'bob')).status, 'active');
    // Drop the subscriber connection and end the session at once: the message may be lost.
    await redis.admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await other.end('s1', 'bob');
    const check = await registry.check('s1', 'bob');
    t.is(check.status, 'ended');
    await until(() => store.nearCacheActive);
    t.pass('the subscription came back and the near cache with it');
  } finally {
    await registry.close();
    await other.close();
  }
});

test.serial('own ends and admissions keep the near cache exact', async (t) => {
  const prefix = `rev:${randomUUID()}:`;
  const store = new RedisSessionStore(redis.server.url, { prefix, nearCache: { ttl: 60_000 } });
  const registry = new SessionRegistry({ store, maxSessions: 1 });
  try {
    await until(() => store.nearCacheActive);
    await registry.admit({ principal: 'carol', sessionId: 's1' });
    t.is((await registry.check('s1', 'carol')).status, 'active');
    await registry.admit({ principal: 'carol', sessionId: 's2' });
    t.is((await registry.check('s1', 'carol')).status, 'ended', 'evicted here: dropped from the cache');
    t.is((await registry.check('s2', 'carol')).status, 'active');
  } finally {
    await registry.close();
  }
});
