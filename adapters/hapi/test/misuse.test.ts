// Misuse of the hapi plugin fails loudly: routes that never authenticate (so the plugin
// would never check them), @hapi/cookie missing, unknown option names.
import test from 'ava';
import Hapi from '@hapi/hapi';
import Cookie from '@hapi/cookie';
import { plugin } from '@session-policy/hapi';

async function start(t: { teardown(fn: () => Promise<unknown>): void }, setup: { cookie: boolean; defaultAuth: boolean }) {
  const server = Hapi.server({ host: '127.0.0.1', port: 0 });
  const errors: Error[] = [];
  server.events.on({ name: 'request', channels: 'error' }, (_request, event) => {
    if (event.error instanceof Error) errors.push(event.error);
  });
  if (setup.cookie) {
    await server.register(Cookie);
    server.auth.strategy('session', 'cookie', { cookie: { password: 'x'.repeat(32), isSecure: false } });
    if (setup.defaultAuth) server.auth.default({ strategy: 'session', mode: 'try' });
  }
  await server.register({ plugin, options: { registry: { maxSessions: 1 } } });
  server.route({ method: 'GET', path: '/', handler: () => 'ok' });
  server.route({ method: 'GET', path: '/public', options: { auth: false }, handler: () => 'public' });
  t.teardown(() => server.stop());
  return { server, errors };
}

test('no default auth strategy: a route that never authenticates fails the start with ERR_MISCONFIGURED naming the fix', async (t) => {
  const { server } = await start(t, { cookie: true, defaultAuth: false });
  const error = await t.throwsAsync(server.start());
  t.like(error, { name: 'MisconfiguredError', code: 'ERR_MISCONFIGURED' });
  t.regex(error!.message, /GET \/ does not authenticate.*server\.auth\.default\(\{ strategy: 'session', mode: 'try' \}\).*auth: false/);
  t.notRegex(error!.message, /public/, 'a route that says auth: false is left alone');
});

test('with a default strategy in try mode, anonymous requests and auth: false routes pass', async (t) => {
  const { server, errors } = await start(t, { cookie: true, defaultAuth: true });
  await server.start();
  const base = server.info.uri;
  t.is((await fetch(`${base}/`)).status, 200);
  t.is((await fetch(`${base}/public`)).status, 200);
  t.deepEqual(errors, []);
});

test('without @hapi/cookie: fails with ERR_MISCONFIGURED', async (t) => {
  const { server } = await start(t, { cookie: false, defaultAuth: false });
  const error = await t.throwsAsync(server.start());
  t.like(error, { code: 'ERR_MISCONFIGURED' });
});

test('unknown option names are refused at registration, naming the closest known one', async (t) => {
  await t.throwsAsync(Hapi.server().register({ plugin, options: { registry: {}, redirectto: '/' } as never }), {
    code: 'ERR_INVALID_OPTION',
    message: /"redirectto".*did you mean "redirectTo"/,
  });
  await t.throwsAsync(Hapi.server().register({ plugin, options: { registry: { maxSesions: 1 } } as never }), { message: /did you mean "maxSessions"/ });
});
