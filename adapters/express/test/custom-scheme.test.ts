// The Express adapter with a session scheme other than express-session: a bearer token
// carrying an id (like a JWT's jti) and a principal (like its sub).
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express, { type Request } from 'express';
import { SessionRegistry } from '@session-policy/core';
import { sessionPolicy } from '@session-policy/express';

type Authed = Request & { auth?: { jti: string; sub: string } };

async function start(t: { teardown(fn: () => unknown): void }) {
  const registry = new SessionRegistry({ maxSessions: 1 });
  const app = express();
  app.use((req: Authed, _res, next) => {
    const token = /^Bearer ([\w-]+)\.(\w+)$/.exec(req.headers.authorization ?? '');
    if (token) req.auth = { jti: token[1]!, sub: token[2]! };
    next();
  });
  app.use(
    sessionPolicy({
      registry,
      getSessionId: (req: Authed) => req.auth?.jti,
      getPrincipalKey: (req: Authed) => req.auth?.sub,
      destroySession: (_req, res) => void res.set('x-token-revoked', 'yes'),
    }),
  );
  app.post('/login/:user', async (req: Authed, res) => {
    req.auth = { jti: randomUUID(), sub: String(req.params.user) };
    const result = await req.sessionPolicy.login(req.auth.sub);
    if (!result.ok) return void res.status(409).json(result);
    res.json({ token: `${req.auth.jti}.${req.auth.sub}` });
  });
  app.get('/me', (req: Authed, res) => void res.json({ sub: req.auth?.sub ?? null, tracked: req.sessionPolicy.session !== undefined }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (token?: string) =>
    fetch(`${url}/me`, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const login = async (user: string) => ((await (await fetch(`${url}/login/${user}`, { method: 'POST' })).json()) as { token: string }).token;
  return { registry, get, login };
}

test('a token scheme: the id and principal come from the options; an evicted token is refused', async (t) => {
  const { get, login, registry } = await start(t);
  t.deepEqual(await (await get()).json(), { sub: null, tracked: false }, 'no token passes');
  const first = await login('alice');
  t.deepEqual(await (await get(first)).json(), { sub: 'alice', tracked: true });
  t.is((await registry.list('alice'))[0]?.sessionId, first.split('.')[0]);
  const second = await login('alice');
  const refused = await get(first);
  t.is(refused.status, 401);
  t.is(refused.headers.get('x-token-revoked'), 'yes', 'destroySession was called');
  t.deepEqual(await refused.json(), { error: 'session_ended', reason: 'evicted' });
  t.is((await get(second)).status, 200);
  const forged = await get(`${randomUUID()}.alice`);
  t.is(forged.status, 401);
  t.deepEqual(await forged.json(), { error: 'session_ended', reason: 'unknown' }, 'a token the registry never admitted');
});

test('options are validated when the middleware is made', (t) => {
  const registry = new SessionRegistry();
  t.teardown(() => registry.close());
  t.throws(() => sessionPolicy({} as never), { code: 'ERR_INVALID_OPTION', message: /registry/ });
  t.throws(() => sessionPolicy({ registry, getSessionId: () => 'x' }), { code: 'ERR_INVALID_OPTION', message: /getPrincipalKey/ });
  t.throws(() => sessionPolicy({ registry, getSessionId: 'x' as never, getPrincipalKey: () => 'a' }), { message: /getSessionId/ });
  t.throws(() => sessionPolicy({ registry, redirectTo: '//evil.example' }), { message: /redirectTo/ });
  t.is(typeof sessionPolicy({ registry }), 'function');
});
