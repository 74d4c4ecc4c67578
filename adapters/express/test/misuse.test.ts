// Misuse of the Express middleware fails loudly: mounted before express-session, unknown
// option names, a wrong-typed signOut at login.
import test from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { SessionRegistry, type SessionPolicyError } from '@session-policy/core';
import { sessionPolicy } from '@session-policy/express';

async function listen(app: express.Express, t: { teardown(fn: () => void): void }): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function app(order: 'session-first' | 'policy-first', errors: unknown[]) {
  const registry = new SessionRegistry({ maxSessions: 1 });
  const a = express();
  a.use(express.json());
  const sessionMiddleware = session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: false });
  if (order === 'session-first') a.use(sessionMiddleware, sessionPolicy({ registry }));
  else a.use(sessionPolicy({ registry }), sessionMiddleware);
  a.post('/login', async (req, res) => {
    const result = await req.sessionPolicy.login('alice', req.body as never);
    res.json({ ok: result.ok });
  });
  a.get('/', (_req, res) => res.json({ ok: true }));
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    errors.push(error);
    res.status(500).json({ code: (error as SessionPolicyError).code });
  };
  a.use(onError);
  return a;
}

test('mounted before express-session: the first request fails with ERR_MISCONFIGURED naming the fix', async (t) => {
  const errors: unknown[] = [];
  const base = await listen(app('policy-first', errors), t);
  const response = await fetch(`${base}/`);
  t.is(response.status, 500);
  t.deepEqual(await response.json(), { code: 'ERR_MISCONFIGURED' });
  t.is(errors.length, 1);
  t.like(errors[0], { name: 'MisconfiguredError', code: 'ERR_MISCONFIGURED' });
  t.regex((errors[0] as Error).message, /express-session must run before.*app\.use\(session\(…\)\) first/);
  // A login cannot slip through either.
  t.is((await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 500);
});

test('mounted after express-session, the same app works', async (t) => {
  const errors: unknown[] = [];
  const base = await listen(app('session-first', errors), t);
  t.is((await fetch(`${base}/`)).status, 200);
  t.deepEqual(errors, []);
});

test('unknown option names are refused, naming the closest known one', (t) => {
  const registry = new SessionRegistry();
  t.throws(() => sessionPolicy({ registry, redirectTO: '/' } as never), { code: 'ERR_INVALID_OPTION', message: /"redirectTO".*did you mean "redirectTo"/ });
  t.throws(() => sessionPolicy({ registry, getSessionID: () => 'x' } as never), { code: 'ERR_INVALID_OPTION', message: /did you mean "getSessionId"/ });
});

test('a wrong-typed signOut at login is refused with ERR_INVALID_OPTION, not ignored', async (t) => {
  const errors: unknown[] = [];
  const base = await listen(app('session-first', errors), t);
  const login = (body: object) => fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.is((await login({ signOut: 42 })).status, 500);
  t.is((await login({ signOut: 'not a handle' })).status, 500);
  t.is((await login({ deviceId: ['a'] })).status, 500);
  t.deepEqual(
    errors.map((e) => [(e as SessionPolicyError).code, (e as { option?: string }).option]),
    [['ERR_INVALID_OPTION', 'signOut'], ['ERR_INVALID_OPTION', 'signOut'], ['ERR_INVALID_OPTION', 'deviceId']],
  );
  t.is((await login({ deviceId: 'laptop' })).status, 200, 'a well-formed login still works');
});
