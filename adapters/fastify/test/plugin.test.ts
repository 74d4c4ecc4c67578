// The Fastify plugin as a plugin: registered in the wrong order it fails with a typed
// error naming the fix, options are validated at registration, a registry it creates is
// closed with the server, and a custom binding replaces the session plugins.
import test from 'ava';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import { InvalidOptionError, SessionRegistry } from '@session-policy/core';
import { type RequestPolicy, type SessionBinding } from '@session-policy/core/http';
import { sessionPolicy } from '@session-policy/fastify';

const SECRET = 'a-secret-of-at-least-32-characters!!';

for (const plugin of ['session', 'secure-session'] as const) {
  test(`registered before @fastify/${plugin}, it fails loudly with ERR_INVALID_OPTION naming the fix`, async (t) => {
    const app = Fastify();
    t.teardown(() => app.close());
    void app.register(sessionPolicy, { registry: { maxSessions: 2 } });
    void app.register(fastifyCookie);
    if (plugin === 'session') void app.register(fastifySession, { secret: SECRET });
    else void app.register(fastifySecureSession, { key: Buffer.alloc(32, 7) });
    const error = await t.throwsAsync(app.ready(), { instanceOf: InvalidOptionError, code: 'ERR_INVALID_OPTION' });
    t.is(error?.option, 'session');
    t.regex(error?.message ?? '', /register @fastify\/session \(with @fastify\/cookie\) or @fastify\/secure-session before @session-policy\/fastify/);
  });
}

test('@fastify/secure-session under another session name is not guessed: the error says to give a binding', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(fastifySecureSession, { key: Buffer.alloc(32, 7), sessionName: 'auth', cookieName: 'auth' });
  const error = await t.throwsAsync(app.register(sessionPolicy, { registry: { maxSessions: 2 } }), { code: 'ERR_INVALID_OPTION' });
  t.regex(error?.message ?? '', /options\.binding/);
});

test('options are validated when the plugin registers', async (t) => {
  const register = async (options: unknown) => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET });
    try {
      await app.register(sessionPolicy, options as never);
    } finally {
      await app.close().catch(() => {});
    }
  };
  await t.throwsAsync(register({}), { code: 'ERR_INVALID_OPTION', message: /registry/ });
  await t.throwsAsync(register({ registry: { maxSessions: 0 } }), { code: 'ERR_INVALID_OPTION', message: /maxSessions/ });
  await t.throwsAsync(register({ registry: {}, redirectTo: 'nope' }), { code: 'ERR_INVALID_OPTION', message: /redirectTo/ });
  await t.throwsAsync(register({ registry: {}, onEnded: 'x' }), { code: 'ERR_INVALID_OPTION', message: /onEnded/ });
  await t.throwsAsync(register({ registry: {}, binding: 'x' }), { code: 'ERR_INVALID_OPTION', message: /binding/ });
  await t.throwsAsync(register({ registry: {}, redirectto: '/login' }), { code: 'ERR_INVALID_OPTION', message: /"redirectto".*did you mean "redirectTo"/ });
  // Fastify's own register options travel in the same object and are not refused.
  await t.notThrowsAsync(register({ registry: {}, prefix: '/app', logLevel: 'warn' }));
});

test('the plugin declares its name and Fastify 5 to fastify-plugin', (t) => {
  const meta = (sessionPolicy as unknown as Record<symbol, { name?: string; fastify?: string }>)[Symbol.for('plugin-meta')];
  t.like(meta, { name: '@session-policy/fastify', fastify: '5.x' });
});

for (const plugin of ['session', 'secure-session'] as const) {
  test(`over @fastify/${plugin}: a registry created by the plugin is closed with the server; a given one is not`, async (t) => {
    for (const given of [undefined, new SessionRegistry()]) {
      const app = Fastify();
      await app.register(fastifyCookie);
      if (plugin === 'session') await app.register(fastifySession, { secret: SECRET, cookie: { secure: false } });
      else await app.register(fastifySecureSession, { key: Buffer.alloc(32, 7) });
      await app.register(sessionPolicy, { registry: given ?? { maxSessions: 2 } });
      let seen: RequestPolicy | undefined;
      app.get('/', async (request) => ((seen = request.sessionPolicy), 'ok'));
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      t.is((await fetch(url)).status, 200);
      await app.close();
      const registry = seen!.registry;
      if (given) t.is(registry, given);
      const outcome = registry.admit({ principal: 'alice', sessionId: 's1' });
      if (given) {
        t.true((await outcome).admitted, 'a registry you pass stays yours');
        await given.close();
      } else {
        await t.throwsAsync(outcome, { code: 'ERR_CLOSED' });
      }
    }
  });
}

test('a custom binding (a bearer token the app issues) replaces the session plugins', async (t) => {
  const registry = new SessionRegistry({ maxSessions: 1 });
  t.teardown(() => registry.close());
  // No session plugin at all: the token is the session id, its owner the principal key.
  const owners = new Map<string, string>();
  const binding = (request: { headers: Record<string, unknown> }): SessionBinding => {
    const token = typeof request.headers['x-token'] === 'string' ? request.headers['x-token'] : undefined;
    return {
      id: () => token,
      principalKey: () => (token === undefined ? undefined : owners.get(token)),
      setPrincipalKey: (key) => void owners.set(token!, key),
      destroy: () => void owners.delete(token!),
    };
  };
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(sessionPolicy, { registry, binding });
  app.post('/login', async (request) => {
    const result = await request.sessionPolicy.login({ id: 'alice' });
    return { ok: result.ok };
  });
  app.get('/me', async (request) => ({ session: request.sessionPolicy.session?.principalKey ?? null }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = async (method: string, path: string, token: string) => {
    const response = await fetch(url + path, { method, headers: { 'x-token': token, accept: 'application/json' } });
    return { status: response.status, json: await response.json() };
  };
  t.like(await call('POST', '/login', 'token-1'), { status: 200, json: { ok: true } });
  t.like(await call('GET', '/me', 'token-1'), { status: 200, json: { session: 'alice' } });
  t.like(await call('POST', '/login', 'token-2'), { status: 200, json: { ok: true } });
  t.like(await call('GET', '/me', 'token-1'), { status: 401, json: { error: 'session_ended', reason: 'evicted' } });
  t.like(await call('GET', '/me', 'token-2'), { status: 200, json: { session: 'alice' } });
});
