import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

const redis = useRedisServer(test);

// The data-loss marker (one key per prefix, deliberately without a TTL: see
// docs/many-processes.md, "Data loss") is not per-session data.
const isMarker = (key: string, prefix: string): boolean => key === `${prefix}data-marker`;

async function countKeys(prefix: string): Promise<number> {
  let n = 0;
  for await (const keys of redis.admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) n += keys.filter((k) => !isMarker(k, prefix)).length;
  return n;
}

test('many short-lived sessions leave no keys behind, without any sweep', async (t) => {
  const prefix = `mem:${randomUUID()}:`;
  const store = new RedisSessionStore(redis.server.url, { prefix });
  // Short timeouts: every key must expire by its own TTL (session + retention).
  const registry = new SessionRegistry({ store, maxSessions: 3, idleTimeout: 300, touchInterval: 50, tombstoneRetention: 300 });
  try {
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => registry.admit({ principal: `p${(batch * 100 + i) % 300}`, sessionId: `s${batch}-${i}` })),
      );
    }
    await Promise.all(Array.from({ length: 50 }, (_, i) => registry.endAll(`p${i}`)));
    const during = await countKeys(prefix);
    t.true(during > 300, `${during} keys while sessions live`);
    const deadline = Date.now() + 10_000;
    let left = during;
    while (left > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      left = await countKeys(prefix);
    }
    t.is(left, 0, 'every key expired by itself');
    t.log(`${during} keys for 1000 logins of 300 principals → ${left} after the TTLs`);
  } finally {
    await registry.close();
  }
});

test('every key the store writes has a TTL when sessions can expire', async (t) => {
  const prefix = `ttl:${randomUUID()}:`;
  const store = new RedisSessionStore(redis.server.url, { prefix });
  const registry = new SessionRegistry({ store, maxSessions: 2 });
  try {
    for (let i = 0; i < 20; i++) await registry.admit({ principal: `p${i % 5}`, sessionId: `s${i}` });
    await registry.endAll('p0');
    await registry.check('s1', 'p1');
    let keys = 0;
    for await (const batch of redis.admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      for (const key of batch) {
        if (isMarker(key, prefix)) continue;
        keys++;
        const ttl = await redis.admin.pTTL(key);
        t.true(ttl > 0, `${key} has TTL ${ttl}`);
      }
    }
    t.true(keys > 0);
  } finally {
    await registry.close();
  }
});

test.serial('logins and checks of sessions with large attributes keep memory bounded: decoded records by bytes, settled commands released at once', async (t) => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const prefix = `big:${randomUUID()}:`;
  // No near cache: every check reads the record from Redis and decodes it (or finds it decoded).
  const store = new RedisSessionStore(redis.server.url, { prefix, nearCache: false });
  const registry = new SessionRegistry({ store, maxAttributesBytes: 64 * 1024 });
  const blob = 'x'.repeat(60 * 1024);
  const count = 400;
  try {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) {
      t.true((await registry.admit({ principal: `p${i}`, sessionId: `s${i}`, attributes: { blob: `${i}:${blob}` } })).admitted);
    }
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < count; i++) t.is((await registry.check(`s${i}`, `p${i}`)).status, 'active');
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // 24 MB of records went through the store (and twice that decoded). Kept decoded
    // without a bound in bytes, or kept by the command deadlines until they pass: ~48 MB.
    t.true(grown < 16 * 1024 * 1024, `the heap grew by ${(grown / 1048576).toFixed(1)} MB`);
    t.log(`heap after ${count} logins and ${2 * count} checks of ${count} sessions with 60 kB attributes: +${(grown / 1048576).toFixed(1)} MB`);
  } finally {
    await registry.close();
  }
});
