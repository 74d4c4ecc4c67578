// Misuse of the Koa middleware fails loudly: mounted before koa-session or without it,
// unknown option names.
import test from 'ava';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import { SessionRegistry } from '@session-policy/core';
import { sessionPolicy } from '@session-policy/koa';

async function listen(app: Koa, t: { teardown(fn: () => void): void }): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function app(setup: 'session-first' | 'policy-first' | 'no-session', errors: unknown[]) {
  const registry = new SessionRegistry({ maxSessions: 1 });
  const a = new Koa();
  a.keys = ['x'.repeat(32)];
  a.silent = true;
  a.on('error', (error) => errors.push(error));
  const policy = sessionPolicy({ registry });
  if (setup === 'session-first') a.use(session({ key: 'sid' }, a)).use(policy);
  else if (setup === 'policy-first') a.use(policy).use(session({ key: 'sid' }, a));
  else a.use(policy);
  a.use((ctx) => {
    ctx.body = { ok: true };
  });
  return a;
}

for (const [setup, message] of [
  ['policy-first', /koa-session has not run.*app\.use\(session\(options, app\)\) must come before app\.use\(sessionPolicy/],
  ['no-session', /ctx\.session is missing: install koa-session/],
] as const) {
  test(`${setup}: the first request fails with ERR_MISCONFIGURED naming the fix`, async (t) => {
    const errors: unknown[] = [];
    const base = await listen(app(setup, errors), t);
    t.is((await fetch(`${base}/`)).status, 500);
    t.is(errors.length, 1);
    t.like(errors[0], { name: 'MisconfiguredError', code: 'ERR_MISCONFIGURED' });
    t.regex((errors[0] as Error).message, message);
  });
}

test('after koa-session, the same app works', async (t) => {
  const errors: unknown[] = [];
  const base = await listen(app('session-first', errors), t);
  t.is((await fetch(`${base}/`)).status, 200);
  t.deepEqual(errors, []);
});

test('unknown option names are refused, naming the closest known one', (t) => {
  const registry = new SessionRegistry();
  t.throws(() => sessionPolicy({ registry, bindng: () => undefined } as never), { code: 'ERR_INVALID_OPTION', message: /"bindng".*did you mean "binding"/ });
});
