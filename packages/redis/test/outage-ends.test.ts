import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry, type PendingEnd } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { PendingEnds } from '../../core/src/pending-ends.js';
import { freePort, startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { eventually } from '@session-policy/test-helpers/eventually';

// Issue #19 (2): a logout, revoke or "log out everywhere" while Redis is down is kept by
// the registry and written (and published) once Redis answers again. The server runs
// with AOF persistence, as the docs ask when revocations must survive a restart: without
// the queued end, the session would be active again after the restart.

let server: RedisServer;

test.before(async () => {
  server = await startRedisServer({ persistent: 'always' });
});

test.after.always(async () => {
  await server?.dispose();
});

test.serial('ends asked while Redis is down are written once it is back, published, and only to sessions that existed then', async (t) => {
  const prefix = `outage:${randomUUID()}:`;
  const options = { prefix, commandTimeout: 1000, busProbeInterval: 100 };
  const here = new SessionRegistry({ store: new RedisSessionStore(server.url, options) });
  const there = new SessionRegistry({ store: new RedisSessionStore(server.url, options) });
  here.on('error', () => undefined);
  there.on('error', () => undefined);
  const queued: PendingEnd[] = [];
  const delivered: string[] = [];
  here.on('endQueued', (end) => queued.push(end));
  here.on('endDelivered', (_end, ended) => delivered.push(...ended.map((s) => s.sessionId)));
  const heardThere: string[] = [];
  there.on('ended', (s, origin) => origin === 'remote' && heardThere.push(s.sessionId));
  try {
    for (const [principal, sessionId] of [['alice', 'a1'], ['alice', 'a2'], ['bob', 'b1'], ['bob', 'b2']] as const) {
      t.true((await here.admit({ principal, sessionId })).admitted);
    }
    await eventually(() => (there.store as RedisSessionStore).nearCacheActive);

    await server.stop();
    await t.throwsAsync(here.end('a1', 'alice'), { code: 'ERR_STORE' });
    await t.throwsAsync(here.endAll('bob', { reason: 'revoked' }), { code: 'ERR_STORE' });
    t.like(queued, [
      { kind: 'one', sessionId: 'a1', reason: 'logout' },
      { kind: 'all', except: undefined, reason: 'revoked' },
    ]);
    t.is(here.pendingEnds().length, 2);
    // This process refuses what it was asked to end, though the store has not taken it:
    // a copied cookie of a1 (or of bob's sessions) does not pass meanwhile.
    t.like(await here.check('a1', 'alice'), { status: 'ended', reason: 'logout', session: { state: 'ended', sessionId: 'a1' } });
    t.like(await here.check('b1', 'bob'), { status: 'ended', reason: 'revoked' });
    t.is((await here.check('a2', 'alice')).status, 'unavailable', 'what was not ended is up to onStoreError');
    t.is((await there.check('a1', 'alice')).status, 'unavailable', 'another process cannot know before delivery');

    await server.restart();
    // A login of bob after the outage, possibly before the queue is flushed: "log out
    // everywhere" asked before it must not end it.
    await eventually(async () => (await there.admit({ principal: 'bob', sessionId: 'b3' })).admitted);
    await eventually(() => here.pendingEnds().length === 0);
    t.deepEqual(delivered.sort(), ['a1', 'b1', 'b2']);
    // Written: every process sees them ended (and the persistent Redis kept the rest).
    t.like(await there.check('a1', 'alice'), { status: 'ended', reason: 'logout' });
    t.like(await there.check('b1', 'bob'), { status: 'ended', reason: 'revoked' });
    t.like(await there.check('b2', 'bob'), { status: 'ended', reason: 'revoked' });
    t.is((await there.check('a2', 'alice')).status, 'active');
    t.is((await there.check('b3', 'bob')).status, 'active');
    // Published: the other process heard each one.
    await eventually(() => ['a1', 'b1', 'b2'].every((id) => heardThere.includes(id)));
    t.pass();
  } finally {
    await here.close();
    await there.close();
  }
});

test.serial('the queue is bounded: the oldest end gives way; a store still down keeps the rest; closing drops them', async (t) => {
  // A Redis that never answers: nothing here gets written.
  const store = new RedisSessionStore(`redis://127.0.0.1:${await freePort()}`, { commandTimeout: 100, bus: false });
  store.onError(() => undefined);
  const delivered: string[] = [];
  const dropped: Array<[string, string]> = [];
  const id = (end: PendingEnd): string => (end.kind === 'one' ? end.sessionId : '*');
  const timeouts = { idle: Infinity, absolute: Infinity, retention: 60_000, maxTombstones: 10 };
  const pending = new PendingEnds(
    store,
    () => ({ now: Date.now(), timeouts }),
    { delivered: (end) => delivered.push(id(end)), dropped: (end, why) => dropped.push([id(end), why]) },
    3,
    50,
  );
  for (const sessionId of ['s1', 's2', 's3', 's4']) {
    pending.add({ kind: 'one', principalKey: 'u', sessionId, reason: 'logout', queuedAt: Date.now() });
  }
  t.deepEqual(dropped, [['s1', 'overflow']]);
  await pending.flush();
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(pending.list().map(id), ['s2', 's3', 's4'], 'kept, in order, while the store does not answer');
  t.deepEqual(delivered, []);
  await pending.close();
  t.deepEqual(dropped, [['s1', 'overflow'], ['s2', 'closed'], ['s3', 'closed'], ['s4', 'closed']]);
  pending.add({ kind: 'one', principalKey: 'u', sessionId: 's5', reason: 'logout', queuedAt: Date.now() });
  t.deepEqual(dropped.at(-1), ['s5', 'closed']);
  await store.close();
});
