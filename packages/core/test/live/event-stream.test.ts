import test from 'ava';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createMemoryStore, sameDeviceFirst, SessionRegistry, type LiveEndReason } from '@session-policy/core';
import { openSse, type SseClient } from './helpers/sse-client.js';
import { startStreamServer, type StreamServer } from './helpers/stream-server.js';
import { liveIntervals, settle } from './helpers/timers.js';
import { waitUntil } from './helpers/wait.js';

const servers: StreamServer[] = [];
async function start(options: Parameters<typeof startStreamServer>[0] = {}): Promise<StreamServer> {
  const server = await startStreamServer(options);
  servers.push(server);
  return server;
}
test.after.always(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function stream(server: StreamServer, sessionId: string, user: string, query = ''): Promise<SseClient> {
  const client = await openSse(server.url + query, server.cookie(sessionId, user));
  return client;
}

/** The stream's last event is session_ended with this reason, and the server ended it. */
async function assertEnded(t: import('ava').ExecutionContext, client: SseClient, reason: LiveEndReason): Promise<void> {
  const final = await client.waitFor('session_ended');
  t.deepEqual(final.data, { reason });
  await client.ended;
  t.true(client.isEnded());
  t.is(client.events.at(-1)?.event, 'session_ended', 'nothing follows the final event');
  t.regex(client.raw(), /event: session_ended\ndata: \{"reason":"[a-z]+"\}\n\n$/);
}

test('the stream has event-stream headers, a retry hint and heartbeat comments', async (t) => {
  const server = await start({ live: { heartbeatInterval: 50 } });
  await server.registry.admit({ principal: 'alice', sessionId: 'h-1' });
  const client = await stream(server, 'h-1', 'alice');
  t.is(client.status, 200);
  t.is(client.headers['content-type'], 'text/event-stream; charset=utf-8');
  t.is(client.headers['cache-control'], 'no-cache, no-transform');
  t.is(client.headers['connection'], 'keep-alive');
  t.is(client.headers['x-accel-buffering'], 'no');
  await client.waitForComments(2);
  t.true(client.raw().startsWith('retry: 3000\n\n'));
  t.deepEqual(client.comments.slice(0, 2), ['ping', 'ping']);
  t.is(server.live.count({ sessionId: 'h-1' }), 1);
  client.destroy();
});

test('logout: the stream gets session_ended "logout" and is closed', async (t) => {
  const server = await start();
  await server.registry.admit({ principal: 'alice', sessionId: 'l-1' });
  const client = await stream(server, 'l-1', 'alice');
  await server.registry.end('l-1', 'alice');
  await assertEnded(t, client, 'logout');
  t.is(server.live.count({ sessionId: 'l-1' }), 0);
});

test('eviction by another login: the old device\'s stream gets "evicted", the new one lives on', async (t) => {
  const server = await start({ registryOptions: { maxSessions: 1 } });
  await server.registry.admit({ principal: 'alice', sessionId: 'e-1', deviceId: 'laptop' });
  const laptop = await stream(server, 'e-1', 'alice');
  await server.registry.admit({ principal: 'alice', sessionId: 'e-2', deviceId: 'phone' });
  await assertEnded(t, laptop, 'evicted');
  const phone = await stream(server, 'e-2', 'alice');
  t.is(server.live.count({ principalKey: 'alice' }), 1);
  t.false(phone.isEnded());
  phone.destroy();
});

test('same-device login: the old session\'s streams get "replaced"', async (t) => {
  const server = await start({ registryOptions: { maxSessions: 2, policy: sameDeviceFirst() } });
  await server.registry.admit({ principal: 'carol', sessionId: 'r-1', deviceId: 'browser-A' });
  const old = await stream(server, 'r-1', 'carol');
  await server.registry.admit({ principal: 'carol', sessionId: 'r-2', deviceId: 'browser-A' });
  await assertEnded(t, old, 'replaced');
});

test('revoke from another device: the revoked session\'s streams get "revoked"', async (t) => {
  const server = await start();
  await server.registry.admit({ principal: 'bob', sessionId: 'v-1' });
  await server.registry.admit({ principal: 'bob', sessionId: 'v-2' });
  const revoked = await stream(server, 'v-1', 'bob');
  const other = await stream(server, 'v-2', 'bob');
  await server.registry.end('v-1', 'bob', 'revoked');
  await assertEnded(t, revoked, 'revoked');
  t.false(other.isEnded(), 'the revoking device keeps its stream');
  other.destroy();
});

test('idle timeout found by a sweep (injected clock): "idle"', async (t) => {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const server = await start({ registryOptions: { idleTimeout: 60_000, clock: () => now } });
  await server.registry.admit({ principal: 'dave', sessionId: 'i-1' });
  const client = await stream(server, 'i-1', 'dave');
  now += 61_000;
  t.is(await server.registry.sweep(), 1);
  await assertEnded(t, client, 'idle');
});

test('idle timeout found by the heartbeat\'s own check (injected clock): "idle"', async (t) => {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const server = await start({
    registryOptions: { idleTimeout: 60_000, clock: () => now },
    live: { heartbeatInterval: 30, touchInterval: 1000 },
  });
  await server.registry.admit({ principal: 'erin', sessionId: 'i-2' });
  const client = await stream(server, 'i-2', 'erin');
  now += 61_000;
  await assertEnded(t, client, 'idle');
});

test('heartbeats keep an open stream\'s session seen, with one registry check per touch interval', async (t) => {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const store = createMemoryStore();
  let checks = 0;
  const check = store.check.bind(store);
  store.check = (request) => {
    checks++;
    return check(request);
  };
  const registry = new SessionRegistry({ store, idleTimeout: 60_000, touchInterval: 5_000, clock: () => now });
  const server = await start({ registry, live: { heartbeatInterval: 20, touchInterval: 10_000 } });
  await registry.admit({ principal: 'fay', sessionId: 't-1' });
  const client = await stream(server, 't-1', 'fay');
  const afterRequest = checks;
  // Three idle timeouts pass while the page stays open: its heartbeats are activity.
  const steps = 18;
  for (let step = 0; step < steps; step++) {
    now += 10_000;
    const expected = now;
    await waitUntil(async () => (await registry.list('fay'))[0]?.lastSeenAt === expected, 'a heartbeat touches the session');
  }
  // Many heartbeats ran (every 20 ms) but only one check per 10 s of (virtual) time.
  t.is(checks - afterRequest, steps);
  t.is((await registry.check('t-1', 'fay')).status, 'active');
  t.false(client.isEnded());
  client.destroy();
  await waitUntil(() => server.live.size === 0, 'detached');
  await registry.close();
});

test('absolute timeout: "absolute"', async (t) => {
  let now = Date.parse('2026-01-05T09:00:00Z');
  const server = await start({ registryOptions: { idleTimeout: Infinity, absoluteTimeout: 3_600_000, clock: () => now } });
  await server.registry.admit({ principal: 'gus', sessionId: 'a-1' });
  const client = await stream(server, 'a-1', 'gus');
  now += 3_600_000;
  await server.registry.sweep();
  await assertEnded(t, client, 'absolute');
});

test('log out everywhere: every stream of every session gets "logout"; "keep this device" keeps its streams', async (t) => {
  const server = await start();
  for (const id of ['x-1', 'x-2', 'x-3']) await server.registry.admit({ principal: 'hana', sessionId: id });
  const kept = await stream(server, 'x-1', 'hana');
  const a = await stream(server, 'x-2', 'hana', '?tab=one');
  const b = await stream(server, 'x-2', 'hana', '?tab=two');
  const c = await stream(server, 'x-3', 'hana');
  await server.registry.endAll('hana', { except: 'x-1' });
  for (const client of [a, b, c]) await assertEnded(t, client, 'logout');
  t.false(kept.isEnded());
  await server.registry.endAll('hana');
  await assertEnded(t, kept, 'logout');
  t.is(server.live.size, 0);
});

test('a stream request for a session that already ended gets the final event at once, with a long retry', async (t) => {
  const server = await start({ registryOptions: { maxSessions: 1 } });
  await server.registry.admit({ principal: 'ivan', sessionId: 'z-1' });
  await server.registry.admit({ principal: 'ivan', sessionId: 'z-2' });
  const late = await stream(server, 'z-1', 'ivan');
  await assertEnded(t, late, 'evicted');
  t.true((late.retries.at(-1) ?? 0) >= 3_600_000, 'a client ignoring the event would not come back soon');
  t.is(server.live.size, 0);
});

test('connection cap per session, evict: the oldest stream gets stream_closed "connection_limit"', async (t) => {
  const server = await start({ live: { maxPerSession: 2 } });
  await server.registry.admit({ principal: 'jo', sessionId: 'c-1' });
  const first = await stream(server, 'c-1', 'jo');
  const second = await stream(server, 'c-1', 'jo');
  const third = await stream(server, 'c-1', 'jo');
  const closed = await first.waitFor('stream_closed');
  t.deepEqual(closed.data, { reason: 'connection_limit' });
  await first.ended;
  t.is(server.live.count({ sessionId: 'c-1' }), 2);
  t.false(second.isEnded());
  t.false(third.isEnded());
  t.is(server.live.stats().evicted, 1);
  second.destroy();
  third.destroy();
});

test('connection cap per principal counts streams over all its sessions', async (t) => {
  const server = await start({ live: { maxPerPrincipal: 2 } });
  await server.registry.admit({ principal: 'kim', sessionId: 'p-1' });
  await server.registry.admit({ principal: 'kim', sessionId: 'p-2' });
  const first = await stream(server, 'p-1', 'kim');
  const second = await stream(server, 'p-2', 'kim');
  const third = await stream(server, 'p-2', 'kim');
  t.deepEqual((await first.waitFor('stream_closed')).data, { reason: 'connection_limit' });
  t.is(server.live.count({ principalKey: 'kim' }), 2);
  // Other principals are not affected by kim's cap.
  await server.registry.admit({ principal: 'lee', sessionId: 'p-3' });
  const lee = await stream(server, 'p-3', 'lee');
  t.is(server.live.count({ principalKey: 'lee' }), 1);
  for (const c of [second, third, lee]) c.destroy();
});

test('connection cap, reject: the new stream is refused 409 ERR_CONNECTION_LIMIT and the old one kept', async (t) => {
  const server = await start({ live: { maxPerSession: 1, onLimit: 'reject' } });
  await server.registry.admit({ principal: 'max', sessionId: 'j-1' });
  const first = await stream(server, 'j-1', 'max');
  const refused = await stream(server, 'j-1', 'max');
  t.is(refused.status, 409);
  await refused.ended;
  t.deepEqual(JSON.parse(refused.raw()), { error: 'connection_limit', scope: 'session', limit: 1 });
  t.false(first.isEnded());
  t.is(server.live.stats().rejected, 1);
  first.destroy();
});

test('a reconnect from the same tab replaces its old stream instead of counting twice (even in reject mode)', async (t) => {
  const server = await start({ live: { maxPerSession: 1, onLimit: 'reject' } });
  await server.registry.admit({ principal: 'ned', sessionId: 'k-1' });
  const before = await stream(server, 'k-1', 'ned', '?tab=tab-1');
  const after = await stream(server, 'k-1', 'ned', '?tab=tab-1');
  t.is(after.status, 200);
  t.deepEqual((await before.waitFor('stream_closed')).data, { reason: 'replaced' });
  await before.ended;
  t.is(server.live.count({ sessionId: 'k-1' }), 1);
  // Another tab is a second connection: refused by the cap of 1.
  const otherTab = await stream(server, 'k-1', 'ned', '?tab=tab-2');
  t.is(otherTab.status, 409);
  t.false(after.isEnded());
  t.is(server.live.stats().replaced, 1);
  after.destroy();
});

test('a tab id cannot reach another principal\'s stream', async (t) => {
  const server = await start();
  await server.registry.admit({ principal: 'olga', sessionId: 'o-1' });
  await server.registry.admit({ principal: 'mallory', sessionId: 'o-2' });
  const olga = await stream(server, 'o-1', 'olga', '?tab=shared');
  const mallory = await stream(server, 'o-2', 'mallory', '?tab=shared');
  t.is(server.live.size, 2);
  t.false(olga.isEnded());
  olga.destroy();
  mallory.destroy();
});

test('a client that closes its connection is detached at once', async (t) => {
  const server = await start({ live: { heartbeatInterval: 60_000 } });
  await server.registry.admit({ principal: 'pat', sessionId: 'd-1' });
  const client = await stream(server, 'd-1', 'pat');
  t.is(server.live.size, 1);
  client.destroy();
  await waitUntil(() => server.live.size === 0, 'the stream is detached');
  t.pass();
});

test('a client that vanishes without a word (half-open connection) is detached by the next heartbeat', async (t) => {
  const server = await start({ live: { heartbeatInterval: 300 } });
  await server.registry.admit({ principal: 'quinn', sessionId: 'd-2' });
  // A relay standing for the network: when the client vanishes, the server is not told;
  // the server only learns it when it next writes and gets a reset back.
  let vanished = false;
  let sawWriteAfterVanish = false;
  const relays: Socket[] = [];
  const relay = createServer((downstream) => {
    const upstream = connect(Number(new URL(server.url).port), '127.0.0.1');
    relays.push(downstream, upstream);
    downstream.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!vanished) downstream.write(d);
      else {
        sawWriteAfterVanish = true;
        upstream.resetAndDestroy();
      }
    });
    downstream.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as AddressInfo;
  const client = await openSse(`http://127.0.0.1:${port}/stream`, server.cookie('d-2', 'quinn'));
  await client.waitForComments(1);
  vanished = true;
  client.destroy();
  t.is(server.live.size, 1, 'the server cannot know yet');
  await waitUntil(() => server.live.size === 0, 'the heartbeat finds the peer gone', 10_000);
  t.true(sawWriteAfterVanish, 'it was the heartbeat that found it');
  for (const s of relays) s.destroy();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

test('a client that stops reading is cut after a heartbeat interval of backpressure', async (t) => {
  const server = await start({ live: { heartbeatInterval: 200 } });
  await server.registry.admit({ principal: 'rita', sessionId: 'd-3' });
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`GET /stream HTTP/1.1\r\nHost: x\r\nCookie: sid=d-3; user=rita\r\n\r\n`);
  await waitUntil(() => server.live.size === 1, 'the stream is attached');
  socket.pause();
  // Frozen client: far more than the socket buffers can absorb.
  const chunk = 'x'.repeat(256 * 1024);
  for (let i = 0; i < 96 && server.live.size === 1; i++) {
    server.live.send({ sessionId: 'd-3' }, 'bulk', chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await waitUntil(() => server.live.size === 0, 'the stalled stream is cut', 10_000);
  t.is(server.live.stats().dead, 1);
  socket.destroy();
});

test('closing the manager closes streams without session_ended (their sessions go on)', async (t) => {
  const registry = new SessionRegistry();
  const server = await start({ registry });
  await registry.admit({ principal: 'sam', sessionId: 'm-1' });
  const client = await stream(server, 'm-1', 'sam');
  t.is(registry.listenerCount('ended'), 1);
  server.live.close();
  await client.ended;
  t.is(client.events.filter((e) => e.event === 'session_ended').length, 0);
  t.is(registry.listenerCount('ended'), 0);
  t.is((await registry.check('m-1', 'sam')).status, 'active');
  await registry.close();
});

test('no listener or timer leaks after 1,000 open/close cycles', async (t) => {
  const server = await start({ live: { heartbeatInterval: 1_009 } });
  let peak = 0;
  for (let i = 0; i < 1000; i++) {
    const sessionId = `leak-${i}`;
    await server.registry.admit({ principal: `u-${i % 10}`, sessionId });
    const client = await stream(server, sessionId, `u-${i % 10}`, `?tab=t-${i % 3}`);
    t.is(server.registry.listenerCount('ended'), 1);
    peak = Math.max(peak, liveIntervals(1_009));
    if (i % 2 === 0) {
      client.destroy();
      await waitUntil(() => server.live.size === 0, 'the stream is detached', 10_000, 1);
    } else {
      await server.registry.end(sessionId, `u-${i % 10}`);
      await client.ended;
    }
  }
  t.is(server.live.size, 0);
  t.is(server.live.stats().open, 0);
  t.is(server.live.stats().sessions, 0);
  t.is(server.live.stats().attached, 1000);
  t.is(server.live.stats().ended, 500);
  t.is(server.registry.listenerCount('ended'), 1, 'one listener for the manager, not one per connection');
  t.is(peak, 1, 'one heartbeat timer while a stream is open');
  await settle();
  t.is(liveIntervals(1_009), 0, 'the heartbeat timer is cleared with the last stream');
});
