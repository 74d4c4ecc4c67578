// passportPolicy against real passport 0.7 + passport-local + express-session: logins
// and logouts made through passport go through the policy, with one session
// regeneration each (counted in the session store), refusals reach the app as a typed
// error, and passport's keepSessionInfo still works.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { SessionPolicyError, SessionRegistry, type SessionRegistryOptions } from '@session-policy/core';
import { LoginRefusedError, passportPolicy, sessionPolicy } from '@session-policy/express';
import { Client } from '../../../test/http/client.js';

/** express-session's memory store, counting the ids it destroys (one per regeneration). */
class CountingStore extends session.MemoryStore {
  destroyed = 0;
  override destroy(sid: string, callback?: (error?: unknown) => void): void {
    this.destroyed++;
    super.destroy(sid, callback);
  }
}

interface User {
  id: string;
}

async function start(t: ExecutionContext, registryOptions: SessionRegistryOptions = {}, withPolicy = true) {
  const registry = new SessionRegistry({ maxSessions: 2, ...registryOptions });
  const store = new CountingStore();
  const auth = new passport.Passport();
  auth.use(new LocalStrategy((username, password, done) => done(null, password === `${username}-pw` ? { id: username } : false)));
  auth.serializeUser((user, done) => done(null, (user as User).id));
  auth.deserializeUser((id: string, done) => done(null, { id }));
  passportPolicy(auth, { loginOptions: (req) => ({ deviceId: (req.body as { deviceId?: string } | undefined)?.deviceId }) });
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, store }));
  if (withPolicy) app.use(sessionPolicy({ registry }));
  app.use(auth.session());
  const done = (res: Response, next: NextFunction) => (error: unknown) => (error ? next(error) : res.json({ ok: true }));
  // passport.authenticate logs in by itself (req.logIn) and calls next() once logged in.
  app.post('/login', auth.authenticate('local', { failWithError: true }), (req, res) => res.json({ user: (req.user as User).id }));
  app.post('/login-keep', (req, res, next) => req.login({ id: 'alice' }, { session: true, keepSessionInfo: true }, done(res, next)));
  app.post('/logout', (req, res, next) => req.logout(done(res, next)));
  app.post('/logout-keep', (req, res, next) => req.logout({ keepSessionInfo: true }, done(res, next)));
  app.post('/note', (req, res) => {
    (req.session as unknown as { note?: string }).note = (req.body as { note: string }).note;
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => {
    res.json({ user: (req.user as User | undefined)?.id ?? null, note: (req.session as unknown as { note?: string }).note ?? null });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof LoginRefusedError) return void res.status(error.status).json({ code: error.code, limit: error.limit, holders: error.holders });
    res.status((error as { status?: number }).status ?? 500).json({ code: (error as SessionPolicyError).code ?? null, message: (error as Error).message });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await registry.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registry, store };
}

test('passport.authenticate logs in through the policy with one regeneration; req.logout ends the session with one more', async (t) => {
  const { url, registry, store } = await start(t);
  const alice = new Client(url);
  t.like(await alice.api('POST', '/note', { note: 'before' }), { status: 200 });
  const anonymous = await alice.cookies();
  const before = store.destroyed;
  t.like(await alice.api('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'laptop' }), { status: 200, json: { user: 'alice' } });
  t.is(store.destroyed - before, 1, 'one regeneration at login, not two');
  t.not(await alice.cookies(), anonymous, 'the session id changed');
  const [admitted] = await registry.list('alice');
  t.like(admitted, { deviceId: 'laptop' });
  t.like(await alice.api('GET', '/me'), { status: 200, json: { user: 'alice', note: null } });
  const signedIn = await alice.cookies();

  const atLogout = store.destroyed;
  t.like(await alice.api('POST', '/logout'), { status: 200, json: { ok: true } });
  t.is(store.destroyed - atLogout, 1, 'one regeneration at logout');
  t.deepEqual(await registry.list('alice'), []);
  t.is(registry.stats().ended.logout, 1);
  t.like(await alice.api('GET', '/me'), { json: { user: null } });
  const replay = new Client(url);
  await replay.setCookies(signedIn);
  t.like(await replay.api('GET', '/me'), { json: { user: null } }, 'a copy of the signed-in cookie is refused');
  t.like(await alice.api('POST', '/login', { username: 'alice', password: 'wrong' }), { status: 401 });
  t.deepEqual(await registry.list('alice'), []);
});

test('reject mode: a refused login reaches the app as LoginRefusedError (409, code, holders) and leaves the request signed out', async (t) => {
  const { url, registry } = await start(t, { maxSessions: 1, onLimit: 'reject' });
  const laptop = new Client(url);
  const phone = new Client(url);
  t.like(await laptop.api('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'laptop' }), { status: 200 });
  const refused = await phone.api('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'phone' });
  t.is(refused.status, 409);
  t.like(refused.json, { code: 'ERR_SESSION_LIMIT', limit: 1 });
  t.is(refused.json.holders.length, 1);
  t.like(refused.json.holders[0], { deviceId: 'laptop', current: false });
  t.regex(refused.json.holders[0].handle, /^[A-Za-z0-9_-]{22}$/);
  t.false(refused.text.includes((await registry.list('alice'))[0]!.sessionId), 'no raw session id in the refusal');
  t.like(await phone.api('GET', '/me'), { json: { user: null } });
  t.like(await laptop.api('GET', '/me'), { json: { user: 'alice' } });
  t.is((await registry.list('alice')).length, 1);
});

test("passport's keepSessionInfo keeps the session's data across login and logout, never the old marker", async (t) => {
  const { url, registry } = await start(t);
  const client = new Client(url);
  await client.api('POST', '/note', { note: 'kept' });
  t.like(await client.api('POST', '/login-keep'), { status: 200 });
  t.like(await client.api('GET', '/me'), { json: { user: 'alice', note: 'kept' } });
  const first = (await registry.list('alice'))[0]!.sessionId;
  // Logging in again from the same browser replaces the session; the old marker is not copied over.
  t.like(await client.api('POST', '/login-keep'), { status: 200 });
  const sessions = await registry.list('alice');
  t.is(sessions.length, 1);
  t.not(sessions[0]!.sessionId, first);
  t.like(await client.api('POST', '/logout-keep'), { status: 200 });
  t.like(await client.api('GET', '/me'), { json: { user: null, note: 'kept' } });
  t.deepEqual(await registry.list('alice'), []);
});

test('misuse fails loudly: not a passport instance, bad options, or no session-policy middleware before passport', async (t) => {
  t.throws(() => passportPolicy({}), { instanceOf: SessionPolicyError, code: 'ERR_INVALID_OPTION', message: /passport/ });
  t.throws(() => passportPolicy(new passport.Passport(), { principal: 'id' as never }), { code: 'ERR_INVALID_OPTION', message: /principal/ });
  t.throws(() => passportPolicy(new passport.Passport(), { loginOptions: 1 as never }), { code: 'ERR_INVALID_OPTION', message: /loginOptions/ });
  t.throws(() => passportPolicy(new passport.Passport(), { loginOption: () => ({}) } as never), { code: 'ERR_INVALID_OPTION', message: /"loginOption".*did you mean "loginOptions"/ });
  const { url } = await start(t, {}, false);
  const login = await new Client(url).api('POST', '/login', { username: 'alice', password: 'alice-pw' });
  t.is(login.status, 500);
  t.like(login.json, { code: 'ERR_INVALID_OPTION' });
  t.regex(login.json.message, /sessionPolicy\(\.\.\.\)\) must run before passport/);
});
