import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createClient } from '@keyv/redis';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';

// Issue #19 (6), the soak: 200 registries over one shared client (a multi-tenant app),
// each sweeping every second, for a full minute; then new logins must succeed at once.
// node-redis's per-command `timeout` option removed timed-out commands from its write
// queue with a list removal that broke the queue (its head lost) when two queued commands
// timed out in a row: the client then never wrote again, even once the load was gone.
// The store no longer uses that option. This file has its own redis-server and is the
// only test in it, so its minute runs beside the other files instead of after them.

const SOAK_MS = 60_000;
let server: RedisServer;

test.before(async () => {
  server = await startRedisServer();
});

test.after.always(async () => {
  await server?.stop();
});

test('200 registries on one shared client for a minute, then new logins succeed, each within the 1 s command timeout', async (t) => {
  t.timeout(SOAK_MS + 90_000);
  const client = createClient({ url: server.url });
  client.on('error', () => undefined);
  await client.connect();
  const failures = { sweep: 0, other: 0 };
  const kinds = new Map<string, number>();
  const registries = Array.from({ length: 200 }, (_, i) => {
    const registry = new SessionRegistry({ store: new RedisSessionStore(client as never, { prefix: `load:${i}:` }), sweepInterval: 1000 });
    registry.on('error', (e) => {
      if (/sweep/.test(e.message)) failures.sweep++;
      else failures.other++;
      const kind = e.message.replace(/\d+/g, 'N').slice(0, 90);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    });
    return registry;
  });
  // Some sessions in each, so the sweeps have principals to look at.
  await Promise.all(
    registries.map(async (registry, i) => {
      for (let j = 0; j < 5; j++) await registry.admit({ principal: `u${j}`, sessionId: `s${i}-${j}` }).catch(() => undefined);
    }),
  );
  try {
    await new Promise((r) => setTimeout(r, SOAK_MS));
  } finally {
    await Promise.all(registries.map((r) => r.close()));
  }
  t.log(`during the minute: ${failures.sweep} failed sweeps, ${failures.other} other errors`);
  for (const [kind, count] of [...kinds].sort((x, y) => y[1] - x[1]).slice(0, 5)) t.log(`  ${count} × ${kind}`);
  const store = new RedisSessionStore(client as never, { prefix: `after-load:${randomUUID()}:` });
  const registry = new SessionRegistry({ store });
  registry.on('error', () => undefined);
  try {
    const started = Date.now();
    // The first command may still wait behind the last sweeps' replies; a client that
    // stays broken never gets past this (its logins fail with ERR_STORE for good).
    for (let attempt = 0; ; attempt++) {
      try {
        if ((await registry.admit({ principal: 'u', sessionId: 'first' })).admitted) break;
      } catch (error) {
        if (attempt >= 10) throw error;
      }
    }
    t.log(`first login after the load: ${Date.now() - started} ms`);
    // Each of these would throw ERR_STORE if Redis did not answer within the store's
    // command timeout (1 s): every one must succeed at its first try.
    for (let i = 0; i < 20; i++) {
      t.true((await registry.admit({ principal: `u${i}`, sessionId: `s${i}` })).admitted);
      t.is((await registry.check(`s${i}`, `u${i}`)).status, 'active');
    }
  } finally {
    await registry.close();
    client.destroy();
  }
});
