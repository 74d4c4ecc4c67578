import test from 'ava';
import { liveIntervals, settle } from './helpers/timers.js';
import { ConnectionLimitError, LiveConnections, SessionRegistry, type LiveConnection } from '@session-policy/core';

/** A connection that records what the manager does to it (the interface's smallest implementation). */
function recorder(): LiveConnection & { sent: Array<[string, unknown]>; closed: number; alive: boolean } {
  const conn = {
    sent: [] as Array<[string, unknown]>,
    closed: 0,
    alive: true,
    send(event: string, data: unknown) {
      conn.sent.push([event, data]);
    },
    close() {
      conn.closed++;
    },
    ping() {
      return conn.alive;
    },
  };
  return conn;
}

test('options are validated at construction, naming the option', (t) => {
  const registry = new SessionRegistry();
  t.throws(() => new LiveConnections(registry, { maxPerSession: 0 }), { code: 'ERR_INVALID_OPTION', message: /maxPerSession/ });
  t.throws(() => new LiveConnections(registry, { maxPerPrincipal: 1.5 }), { message: /maxPerPrincipal/ });
  t.throws(() => new LiveConnections(registry, { onLimit: 'drop' as 'evict' }), { message: /onLimit/ });
  t.throws(() => new LiveConnections(registry, { heartbeatInterval: 0 }), { message: /heartbeatInterval/ });
  t.throws(() => new LiveConnections(registry, { touchInterval: Infinity }), { message: /touchInterval/ });
  t.throws(() => new LiveConnections(registry, { rememberEnded: -1 }), { message: /rememberEnded/ });
  t.throws(() => new LiveConnections({} as SessionRegistry), { message: /registry/ });
  t.is(registry.listenerCount('ended'), 0, 'a refused manager leaves no listener behind');
});

test('attach validates its input; hostile connection ids are refused', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry);
  t.throws(() => live.attach({ sessionId: '', principalKey: 'a' }, recorder()), { code: 'ERR_INVALID_OPTION' });
  t.throws(() => live.attach({ sessionId: 's', principalKey: 'a' }, {} as LiveConnection), { message: /connection/ });
  t.throws(() => live.attach({ sessionId: 's', principalKey: 'a' }, recorder(), { connectionId: 'a\nb' }), { message: /connectionId/ });
  t.throws(() => live.attach({ sessionId: 's', principalKey: 'a' }, recorder(), { connectionId: 'x'.repeat(129) }), { message: /connectionId/ });
  t.is(live.size, 0);
  live.close();
  t.throws(() => live.attach({ sessionId: 's', principalKey: 'a' }, recorder()), { code: 'ERR_CLOSED' });
  await registry.close();
});

test('a session ending sends the final event to its connections only, then closes each once', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry);
  const a = await registry.admit({ principal: 'alice', sessionId: 's-1' });
  const b = await registry.admit({ principal: 'alice', sessionId: 's-2' });
  if (!a.admitted || !b.admitted) return t.fail();
  const one = recorder();
  const two = recorder();
  const other = recorder();
  live.attach(a.session, one);
  live.attach(a.session, two);
  live.attach(b.session, other);
  await registry.end('s-1', 'alice', 'revoked');
  t.deepEqual(one.sent, [['session_ended', { reason: 'revoked' }]]);
  t.deepEqual(two.sent, [['session_ended', { reason: 'revoked' }]]);
  t.is(one.closed, 1);
  t.is(two.closed, 1);
  t.deepEqual(other.sent, []);
  t.is(other.closed, 0);
  t.is(live.count({ principalKey: 'alice' }), 1);
  live.close();
  t.is(other.closed, 1);
  t.deepEqual(other.sent, [], 'a shutdown is not the end of the session');
  await registry.close();
});

test('an end delivered by another process (origin remote) closes the connections too', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry);
  const conn = recorder();
  live.attach({ sessionId: 'r-1', principalKey: 'bob' }, conn);
  const session = { sessionId: 'r-1', principalKey: 'bob', createdAt: 0, lastSeenAt: 0, state: 'ended' as const, endReason: 'evicted' as const };
  registry.emit('ended', session, 'remote');
  t.deepEqual(conn.sent, [['session_ended', { reason: 'evicted' }]]);
  t.is(conn.closed, 1);
  live.close();
  await registry.close();
});

test('a stream attached after its session ended (a racing request) is closed at once with the reason', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry);
  const admitted = await registry.admit({ principal: 'carl', sessionId: 'race-1' });
  if (!admitted.admitted) return t.fail();
  await registry.end('race-1', 'carl');
  const late = recorder();
  const handle = live.attach(admitted.session, late);
  t.false(handle.attached);
  t.deepEqual(late.sent, [['session_ended', { reason: 'logout' }]]);
  t.is(late.closed, 1);
  t.is(live.size, 0);
  live.close();
  await registry.close();
});

test('send reaches one session or a whole principal; detached handles are silent', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry);
  const x = recorder();
  const y = recorder();
  const z = recorder();
  const hx = live.attach({ sessionId: 's-x', principalKey: 'p' }, x);
  live.attach({ sessionId: 's-y', principalKey: 'p' }, y);
  live.attach({ sessionId: 's-z', principalKey: 'q' }, z);
  t.is(live.send({ principalKey: 'p' }, 'devices', { n: 2 }), 2);
  t.is(live.send({ sessionId: 's-z' }, 'hello', 'z'), 1);
  t.is(live.send({ sessionId: 'nobody' }, 'hello', 1), 0);
  hx.detach();
  hx.detach();
  hx.send('late', 1);
  t.is(live.send({ principalKey: 'p' }, 'devices', { n: 1 }), 1);
  t.deepEqual(x.sent, [['devices', { n: 2 }]]);
  t.deepEqual(y.sent, [['devices', { n: 2 }], ['devices', { n: 1 }]]);
  t.deepEqual(z.sent, [['hello', 'z']]);
  t.is(x.closed, 0, 'detach forgets, it does not close');
  t.is(live.size, 2);
  live.close();
  await registry.close();
});

test('reject mode throws a typed ConnectionLimitError before touching any connection', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry, { maxPerPrincipal: 2, onLimit: 'reject' });
  const first = recorder();
  live.attach({ sessionId: 's-1', principalKey: 'p' }, first);
  live.attach({ sessionId: 's-2', principalKey: 'p' }, recorder());
  const refused = recorder();
  const error = t.throws(() => live.attach({ sessionId: 's-3', principalKey: 'p' }, refused), { instanceOf: ConnectionLimitError });
  t.is(error?.code, 'ERR_CONNECTION_LIMIT');
  t.is(error?.scope, 'principal');
  t.is(error?.limit, 2);
  t.deepEqual(refused.sent, []);
  t.is(refused.closed, 0);
  t.is(first.closed, 0);
  live.close();
  await registry.close();
});

test('a heartbeat that finds the peer gone closes and detaches it; the timer stops with the last connection', async (t) => {
  const registry = new SessionRegistry();
  const live = new LiveConnections(registry, { heartbeatInterval: 23 });
  const dead = recorder();
  live.attach({ sessionId: 's-1', principalKey: 'p' }, dead);
  t.is(liveIntervals(23), 1, 'one timer for the manager');
  live.attach({ sessionId: 's-2', principalKey: 'p' }, recorder());
  t.is(liveIntervals(23), 1, 'still one timer with two connections');
  dead.alive = false;
  const deadline = Date.now() + 10_000;
  while (live.size > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.is(live.size, 1);
  t.is(dead.closed, 1);
  t.deepEqual(dead.sent, []);
  t.is(live.stats().dead, 1);
  live.close();
  await settle();
  t.is(liveIntervals(23), 0);
  await registry.close();
});
