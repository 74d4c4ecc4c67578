// The hapi plugin as a plugin: its identity, options validated at registration, and the
// registry it creates closed when the server stops.
import test from 'ava';
import Hapi from '@hapi/hapi';
import Cookie from '@hapi/cookie';
import { SessionRegistry } from '@session-policy/core';
import { type RequestPolicy } from '@session-policy/core/http';
import { plugin } from '@session-policy/hapi';

test('name, version and requirements come from the package', (t) => {
  t.is((plugin as { name?: string }).name, '@session-policy/hapi');
  t.regex((plugin as { version?: string }).version ?? '', /^\d+\.\d+\.\d+/);
  t.like(plugin.requirements, { hapi: '>=21.0.0' });
});

test('options are validated when the plugin registers', async (t) => {
  // A fresh server each time: hapi counts a plugin as registered even when register throws.
  const register = (options: unknown) => Hapi.server().register({ plugin, options: options as never });
  await t.throwsAsync(register({}), { code: 'ERR_INVALID_OPTION', message: /registry/ });
  await t.throwsAsync(register({ registry: { maxSessions: 0 } }), { code: 'ERR_INVALID_OPTION', message: /maxSessions/ });
  await t.throwsAsync(register({ registry: {}, redirectTo: 'nope' }), { code: 'ERR_INVALID_OPTION', message: /redirectTo/ });
  await t.throwsAsync(register({ registry: {}, cookieDecoration: '' }), { code: 'ERR_INVALID_OPTION', message: /cookieDecoration/ });
  await t.throwsAsync(register({ registry: {}, binding: 'x' }), { code: 'ERR_INVALID_OPTION', message: /binding/ });
});

test('a registry created by the plugin is closed when the server stops; a given one is not', async (t) => {
  for (const given of [undefined, new SessionRegistry()]) {
    const server = Hapi.server({ host: '127.0.0.1', port: 0 });
    await server.register(Cookie);
    server.auth.strategy('session', 'cookie', { cookie: { password: 'x'.repeat(32), isSecure: false } });
    server.auth.default({ strategy: 'session', mode: 'try' });
    await server.register({ plugin, options: { registry: given ?? { maxSessions: 2 } } });
    let seen: RequestPolicy | undefined;
    server.route({ method: 'GET', path: '/', handler: (request) => ((seen = request.sessionPolicy), 'ok') });
    await server.start();
    t.is((await fetch(`${server.info.uri}/`)).status, 200);
    await server.stop();
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
