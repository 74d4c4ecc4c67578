// The Koa adapter with koa-session in external-store mode (the cookie holds a store key):
// the same own-id tracking as cookie mode, and the store key rotated at login.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import session from 'koa-session';
import { SessionRegistry } from '@session-policy/core';
import { sessionPolicy } from '@session-policy/koa';
import { markerKey } from '@session-policy/core/http';
import { Client } from '../../../test/http/client.js';

test('external-store mode: login rotates the store key, an evicted session is destroyed in the store', async (t) => {
  const stored = new Map<string, unknown>();
  const store = {
    get: (key: string) => stored.get(key),
    set: (key: string, value: unknown) => void stored.set(key, value),
    destroy: (key: string) => void stored.delete(key),
  };
  const registry = new SessionRegistry({ maxSessions: 1 });
  const app = new Koa();
  app.keys = ['test-secret'];
  app.use(session({ key: 'sid', store: store as never }, app));
  app.use(sessionPolicy({ registry }));
  app.use(async (ctx) => {
    const data = (ctx as unknown as { session: Record<string, unknown> }).session;
    if (ctx.path === '/visit') data.visits = 1;
    if (ctx.path === '/login') {
      const result = await ctx.sessionPolicy.login('alice');
      if (result.ok) data.user = 'alice';
    }
    ctx.body = { user: data.user ?? null };
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const [a, b] = [new Client(url), new Client(url)];
  await a.api('GET', '/visit');
  const anonymousKeys = [...stored.keys()];
  t.is(anonymousKeys.length, 1);
  await a.api('GET', '/login');
  t.false(stored.has(anonymousKeys[0]!), 'the pre-login store key is destroyed');
  t.is(stored.size, 1);
  const [key] = stored.keys();
  t.like(stored.get(key!), { user: 'alice' });
  t.is(markerKey(stored.get(key!)), 'alice', 'the marker is stored with the session');
  t.is((stored.get(key!) as { visits?: number }).visits, undefined, 'pre-login data is dropped');
  t.deepEqual((await a.api('GET', '/')).json, { user: 'alice' });
  await b.api('GET', '/login');
  t.like(await a.api('GET', '/'), { status: 401, json: { error: 'session_ended', reason: 'evicted' } });
  t.false(stored.has(key!), 'destroyed in the store');
  t.deepEqual((await a.api('GET', '/')).json, { user: null });
  t.deepEqual((await b.api('GET', '/')).json, { user: 'alice' });
});

test('options are validated when the middleware is made', (t) => {
  const registry = new SessionRegistry();
  t.teardown(() => registry.close());
  t.throws(() => sessionPolicy({} as never), { code: 'ERR_INVALID_OPTION', message: /registry/ });
  t.throws(() => sessionPolicy({ registry, binding: 42 as never }), { code: 'ERR_INVALID_OPTION', message: /binding/ });
  t.is(typeof sessionPolicy({ registry }), 'function');
});
