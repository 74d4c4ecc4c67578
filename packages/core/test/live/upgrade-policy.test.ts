// UpgradePolicy: the session check of upgrade requests, with a real registry (embedded
// store), and a store that fails for the fail-open / fail-closed cases.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import test from 'ava';
import {
  createMemoryStore,
  requestConnectionId,
  SessionRegistry,
  UpgradePolicy,
  type SessionStore,
} from '@session-policy/core';
import { type SessionBinding } from '@session-policy/core/http';

function request(url = '/live', session?: string): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = url;
  if (session) req.headers['x-session'] = session;
  return req;
}

const binding = (req: IncomingMessage): SessionBinding | undefined => {
  const header = req.headers['x-session'];
  if (typeof header !== 'string') return undefined;
  const [principal, id] = header.split('/');
  return { id: () => id, principalKey: () => principal, setPrincipalKey: () => undefined, destroy: () => undefined };
};

// The embedded store whose checks fail (and that has no answer from memory).
function failingStore(): SessionStore {
  const store = createMemoryStore();
  return new Proxy(store, {
    get(target, property) {
      if (property === 'check') return () => Promise.reject(new Error('store down'));
      if (property === 'peek') return undefined;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('active passes with the session keys; none, unknown and ended are refused with 401 and the reason', async (t) => {
  const registry = new SessionRegistry();
  const gate = new UpgradePolicy({ registry, binding });
  await registry.admit({ principal: 'alice', sessionId: 'session-1' });
  t.deepEqual(await gate.authorize(request('/live', 'alice/session-1')), { ok: true, session: { sessionId: 'session-1', principalKey: 'alice' } });
  const none = await gate.authorize(request());
  t.like(none, { ok: false, reason: 'not_logged_in', answer: { status: 401, body: '{"error":"not_logged_in"}' } });
  t.like(await gate.authorize(request('/live', 'alice/other')), { ok: false, reason: 'unknown', answer: { status: 401 } });
  await registry.end('session-1', 'alice', 'evicted');
  t.like(await gate.authorize(request('/live', 'alice/session-1')), {
    ok: false,
    reason: 'evicted',
    answer: { status: 401, body: '{"error":"session_ended","reason":"evicted"}' },
  });
  await registry.close();
  t.like(await gate.authorize(request('/live', 'alice/session-1')), { ok: false, reason: 'unavailable', answer: { status: 503 } }, 'a closed registry is a shutdown');
});

test('a failing store: fail-closed refuses with 503, fail-open binds the keys the session carries', async (t) => {
  const closed = new SessionRegistry({ store: failingStore() });
  closed.on('error', () => undefined);
  t.like(await new UpgradePolicy({ registry: closed, binding }).authorize(request('/live', 'bob/s')), { ok: false, reason: 'unavailable', answer: { status: 503 } });
  const open = new SessionRegistry({ store: failingStore(), onStoreError: 'fail-open' });
  open.on('error', () => undefined);
  t.deepEqual(await new UpgradePolicy({ registry: open, binding }).authorize(request('/live', 'bob/s')), { ok: true, session: { sessionId: 's', principalKey: 'bob' } });
});

test('a binding that throws counts as no session and is reported; options are checked', async (t) => {
  const registry = new SessionRegistry();
  const reported: Error[] = [];
  registry.on('error', (error) => reported.push(error));
  const gate = new UpgradePolicy({
    registry,
    binding: () => {
      throw new Error('cookie parser exploded');
    },
  });
  t.like(await gate.authorize(request()), { ok: false, reason: 'not_logged_in' });
  t.is(reported[0]?.message, 'cookie parser exploded');
  t.throws(() => new UpgradePolicy({ registry: {} as SessionRegistry, binding }), { code: 'ERR_INVALID_OPTION', message: /registry/ });
  t.throws(() => new UpgradePolicy({ registry, binding: 1 as never }), { code: 'ERR_INVALID_OPTION', message: /binding/ });
  t.is(requestConnectionId(request('/live?tab=abc-1')), 'abc-1');
  t.is(requestConnectionId(request('/live?tab=not%20valid')), undefined);
  t.is(requestConnectionId(request('/live')), undefined);
  await registry.close();
});
