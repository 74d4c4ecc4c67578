import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createClient } from '@keyv/redis';
import { SessionRegistry, StoreError } from '@session-policy/core';
import { DataLostError, RedisSessionStore } from '@session-policy/redis';
import { freePort, startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { startTcpProxy } from '@session-policy/test-helpers/tcp-proxy';
import { eventually as waitFor } from '@session-policy/test-helpers/eventually';
import { runWorker } from '@session-policy/test-helpers/run-worker';

let server: RedisServer;

test.before(async () => {
  server = await startRedisServer();
});

test.after.always(async () => {
  await server?.stop();
});

const closeWorker = new URL('./helpers/close-worker.ts', import.meta.url);
const eventually = (attempt: () => Promise<boolean> | boolean, ms = 15_000) => waitFor(attempt, ms, 100, 'did not recover in time');

test.serial('Redis stopped mid-traffic: typed ERR_STORE errors, quickly; restarted: recovery without restarting Node', async (t) => {
  const store = new RedisSessionStore(server.url, { prefix: `fault:${randomUUID()}:`, commandTimeout: 300, busProbeInterval: 100 });
  const registry = new SessionRegistry({ store, maxSessions: 2 });
  const problems: Error[] = [];
  registry.on('error', (e) => problems.push(e));
  try {
    // The first connection may take longer than the 300 ms timeout on a loaded machine.
    await eventually(async () => (await registry.admit({ principal: 'u', sessionId: 'before' })).admitted);
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const started = Date.now();
        try {
          await registry.admit({ principal: `u${i % 10}`, sessionId: `t${i}` });
          ok++;
        } catch (error) {
          failures.push({ error, ms: Date.now() - started });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await server.stop();
    await new Promise((r) => setTimeout(r, 1000));
    const down = await registry.check('before', 'u');
    t.is(down.status, 'unavailable');
    t.false(store.nearCacheActive, 'the near cache is off while the bus is down');
    await server.restart();
    await eventually(async () => (await registry.admit({ principal: 'after', sessionId: 'a1' })).admitted);
    stop = true;
    await traffic;
    t.true(ok > 0);
    t.true(failures.length > 0, 'some operations failed while Redis was down');
    for (const f of failures as { error: unknown; ms: number }[]) {
      t.true(f.error instanceof StoreError, String(f.error));
      t.is((f.error as StoreError).code, 'ERR_STORE');
      t.true(f.ms < 3000, `failed after ${f.ms} ms`);
    }
    t.true(problems.some((p) => p instanceof StoreError), 'the lost connection was reported through error events');
    await eventually(async () => store.nearCacheActive);
    t.is((await registry.check('a1', 'after')).status, 'active');
  } finally {
    await registry.close();
  }
});

test.serial('a slow Redis (CLIENT PAUSE) fails within the command timeout, then serves again', async (t) => {
  const store = new RedisSessionStore(server.url, { prefix: `slow:${randomUUID()}:`, commandTimeout: 300, bus: false });
  const registry = new SessionRegistry({ store });
  const admin = createClient({ url: server.url });
  await admin.connect();
  try {
    await registry.admit({ principal: 'u', sessionId: 's1' });
    await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL']);
    const started = Date.now();
    const error = await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's2' }));
    t.is((error as StoreError | undefined)?.code, 'ERR_STORE');
    t.true(Date.now() - started < 1400, `took ${Date.now() - started} ms`);
    await eventually(async () => (await registry.check('s1', 'u')).status === 'active');
    t.pass();
  } finally {
    admin.destroy();
    await registry.close();
  }
});

test.serial('a process whose Redis is down gets typed errors and still exits by itself after close()', async (t) => {
  const dead = `redis://127.0.0.1:${await freePort()}`;
  const { code, message } = await runWorker(closeWorker, [dead]);
  t.is(code, 0);
  t.deepEqual(message, ['ERR_STORE', 'ERR_STORE', 'unavailable']);
  const live = await runWorker(closeWorker, [server.url]);
  t.is(live.code, 0);
  t.deepEqual(live.message, ['ok', 'ok', 'active']);
});

test.serial('a bus subscription that stays open but delivers nothing is noticed by its heartbeat, bypasses the near cache, and heals', async (t) => {
  const proxy = await startTcpProxy(server.port);
  const prefix = `silent:${randomUUID()}:`;
  const interval = 200;
  // This process reaches Redis through the proxy; "another process" directly.
  const store = new RedisSessionStore(proxy.url, { prefix, busProbeInterval: interval, commandTimeout: 5000 });
  const registry = new SessionRegistry({ store });
  const other = new SessionRegistry({ store: new RedisSessionStore(server.url, { prefix, commandTimeout: 5000 }) });
  const problems: Error[] = [];
  registry.on('error', (e) => problems.push(e));
  const remote: string[] = [];
  registry.on('ended', (s, origin) => origin === 'remote' && remote.push(s.sessionId));
  try {
    await eventually(async () => store.nearCacheActive);
    t.true(proxy.subscribers() > 0, 'the bus subscribed through the proxy');
    t.true((await registry.admit({ principal: 'u', sessionId: 's1' })).admitted);
    t.is((await registry.check('s1', 'u')).status, 'active');

    const cutAt = performance.now();
    proxy.muteSubscribers();
    await eventually(async () => !store.nearCacheActive, 20_000);
    const detectedAfter = performance.now() - cutAt;
    t.log(`silent subscription noticed ${detectedAfter.toFixed(0)} ms after the cut (heartbeat every ${interval} ms)`);
    t.true(
      problems.some((p) => p instanceof StoreError && /heartbeat/.test(p.message)),
      problems.map((p) => p.message).join('; '),
    );
    // An end elsewhere never reaches this process now, yet is refused here: the near
    // cache is bypassed.
    t.truthy(await other.end('s1', 'u', 'revoked'));
    t.is((await registry.check('s1', 'u')).status, 'ended');
    t.deepEqual(remote, []);

    proxy.unmute();
    await eventually(async () => store.nearCacheActive, 30_000);
    // Live again means heard again.
    t.true((await registry.admit({ principal: 'u', sessionId: 's2' })).admitted);
    t.truthy(await other.end('s2', 'u', 'revoked'));
    await eventually(async () => remote.includes('s2'));
    t.deepEqual(remote, ['s2']);
  } finally {
    await registry.close();
    await other.close();
    await proxy.close();
  }
});

test.serial('Redis restarted empty: every store reports ERR_STORE_DATA_LOST once; a reconnect that kept the data reports nothing', async (t) => {
  const prefix = `lost:${randomUUID()}:`;
  const options = { prefix, commandTimeout: 1000, busProbeInterval: 100 };
  const a = new SessionRegistry({ store: new RedisSessionStore(server.url, options) });
  const b = new SessionRegistry({ store: new RedisSessionStore(server.url, options) });
  const lost = { a: [] as Error[], b: [] as Error[] };
  a.on('error', (e) => e instanceof DataLostError && lost.a.push(e));
  b.on('error', (e) => e instanceof DataLostError && lost.b.push(e));
  const admin = createClient({ url: server.url });
  admin.on('error', () => undefined);
  try {
    t.true((await a.admit({ principal: 'u', sessionId: 's1' })).admitted);
    t.true((await b.admit({ principal: 'v', sessionId: 's2' })).admitted);
    await admin.connect();
    await eventually(async () => (await admin.exists(`${prefix}data-marker`)) === 1);
    // Connections dropped, data kept: a reconnect, no loss.
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await eventually(async () => (await a.check('s1', 'u')).status === 'active' && (await b.check('s2', 'v')).status === 'active');
    await new Promise((r) => setTimeout(r, 500));
    t.deepEqual([lost.a.length, lost.b.length], [0, 0]);
    // Restarted without persistence: the data is gone, and both stores say so.
    admin.destroy();
    await server.stop();
    await server.restart();
    await eventually(async () => lost.a.length > 0 && lost.b.length > 0, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    t.deepEqual([lost.a.length, lost.b.length], [1, 1]);
    t.is((lost.a[0] as DataLostError).code, 'ERR_STORE_DATA_LOST');
    t.is((lost.a[0] as DataLostError).key, `${prefix}data-marker`);
    t.is((await a.check('s1', 'u')).status, 'unknown');
  } finally {
    if (admin.isOpen) admin.destroy();
    await a.close();
    await b.close();
  }
});
