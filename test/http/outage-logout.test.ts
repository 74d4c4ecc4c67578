// Issue #19 (2) through real HTTP: a logout, a "log out everywhere" and a revoke while Redis is
// down, on the cookie-only session schemes (Koa's koa-session in cookie mode, hapi's
// @hapi/cookie), where the cookie alone would keep a copied session valid. The registry
// fails open, so a session nobody ended passes during the outage: a copied cookie of an
// ended one must not. Redis runs with AOF persistence, so the sessions (and, once
// delivered, their ends) survive its restart.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry, type PendingEnd } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { startExample as startKoa } from '../../examples/koa/src/app.js';
import { startExample as startHapi } from '../../examples/hapi/src/app.js';
import { Client, rawGet } from './client.js';
import { eventually } from '@session-policy/test-helpers/eventually';

let server: RedisServer;

test.before(async () => {
  server = await startRedisServer({ persistent: 'always' });
});

test.after.always(async () => {
  await server?.dispose();
});

const examples = [
  ['Koa (koa-session, cookie mode)', startKoa],
  ['hapi (@hapi/cookie)', startHapi],
] as const;

for (const [name, start] of examples) {
  test.serial(`${name}: a logout, a log out everywhere and a revoke during an outage sign the device out, refuse copied cookies before and after the end is delivered`, async (t) => {
    const store = new RedisSessionStore(server.url, { prefix: `outage-http:${randomUUID()}:`, commandTimeout: 1000, busProbeInterval: 100 });
    const registry = new SessionRegistry({ store, maxSessions: 3, onStoreError: 'fail-open' });
    registry.on('error', () => undefined);
    const queued: PendingEnd[] = [];
    const delivered: string[] = [];
    registry.on('endQueued', (end) => queued.push(end));
    registry.on('endDelivered', (_end, ended) => delivered.push(...ended.map((s) => `${s.principalKey}:${s.endReason}`)));
    const app = await start({ registry });
    try {
      // The first connection may take a while on a loaded machine.
      await eventually(async () => (await registry.admit({ principal: 'warm-up', sessionId: 'warm-up' })).admitted);
      const [laptop, phone, tablet, desk] = [new Client(app.url), new Client(app.url), new Client(app.url), new Client(app.url)];
      await laptop.login('alice', 'laptop');
      await phone.login('alice', 'phone');
      await tablet.login('bob', 'tablet');
      await desk.login('bob', 'desk');
      const [c1, c2] = [new Client(app.url), new Client(app.url)];
      await c1.login('carol', 'c1');
      await c2.login('carol', 'c2');
      // The devices page, as carol's first device showed it before the outage.
      const c2Handle = ((await c1.api('GET', '/api/sessions')).json.sessions as Array<{ handle: string; deviceId: string }>).find((s) => s.deviceId === 'c2')!.handle;
      const laptopCopy = await laptop.cookies();
      const deskCopy = await desk.cookies();
      t.like(await rawGet(app.url, '/api/me', laptopCopy), { status: 200, json: { user: 'alice' } });

      await server.stop();
      // Fail open: a session nobody ended passes while Redis is away.
      t.like(await phone.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });

      // The logout: answered as usual, the device signed out here and now.
      t.like(await laptop.api('POST', '/logout'), { status: 200, json: { ok: true } });
      t.like(await laptop.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
      // A copy of its cookie: refused, though Redis never heard of the logout.
      t.like(await rawGet(app.url, '/api/me', laptopCopy), { status: 401, json: { error: 'session_ended', reason: 'logout' } });

      // "Log out everywhere" from the tablet: the tablet signed out, the desk's copy refused.
      t.like(await tablet.api('POST', '/logout-everywhere', {}), { status: 200, json: { ended: 0 } });
      t.like(await tablet.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
      t.like(await rawGet(app.url, '/api/me', deskCopy), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
      // A revoke from carol's devices page: answered as done, c2 refused.
      const c2Copy = await c2.cookies();
      t.is((await c1.api('DELETE', `/api/sessions/${c2Handle}`)).status, 204);
      t.like(await rawGet(app.url, '/api/me', c2Copy), { status: 401, json: { error: 'session_ended', reason: 'revoked' } });
      t.like(queued, [
        { kind: 'one', principalKey: 'alice', reason: 'logout' },
        { kind: 'all', principalKey: 'bob', reason: 'logout' },
        { kind: 'handle', principalKey: 'carol', handle: c2Handle, reason: 'revoked' },
      ]);
      t.is(registry.pendingEnds().length, 3);
      t.deepEqual(delivered, []);

      await server.restart();
      await eventually(() => registry.pendingEnds().length === 0);
      t.deepEqual(delivered.sort(), ['alice:logout', 'bob:logout', 'bob:logout', 'carol:revoked']);
      // Delivered: Redis itself now says ended (for every process), and the copies stay refused.
      t.like(await rawGet(app.url, '/api/me', laptopCopy), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
      t.like(await rawGet(app.url, '/api/me', deskCopy), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
      t.like(await rawGet(app.url, '/api/me', c2Copy), { status: 401, json: { error: 'session_ended', reason: 'revoked' } });
      t.is((await registry.list('bob')).length, 0);
      t.deepEqual((await registry.list('carol')).map((s) => s.deviceId), ['c1']);
      t.deepEqual((await registry.list('alice')).map((s) => s.deviceId), ['phone'], 'the session nobody ended is kept');
      await eventually(async () => (await phone.api('GET', '/api/me')).status === 200);
    } finally {
      await app.close();
      await registry.close();
    }
  });
}
