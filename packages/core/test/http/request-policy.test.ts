import test from 'ava';
import {
  SessionRegistry,
  createMemoryStore,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import {
  HttpPolicy,
  SESSION_MARKER,
  readMarker,
  type HttpPolicyOptions,
  type SessionBinding,
} from '@session-policy/core/http';
import { sessionHandle } from '../../src/http/session-handle.js';
import { switchable } from '../helpers/switchable-store.js';

/**
 * A small server-side session library (id → data), the shape of express-session, for
 * driving the request policy without a framework.
 */
class SessionLibrary {
  readonly data = new Map<string, Record<string, unknown>>();
  #next = 0;

  create(): string {
    const id = `sid-${++this.#next}`;
    this.data.set(id, {});
    return id;
  }

  bind(cookie: string | undefined): LibraryBinding {
    return new LibraryBinding(this, cookie);
  }
}

class LibraryBinding implements SessionBinding {
  constructor(
    readonly library: SessionLibrary,
    public cookie: string | undefined,
  ) {}

  id(): string | undefined {
    return this.cookie !== undefined && this.library.data.has(this.cookie) ? this.cookie : undefined;
  }

  principalKey(): string | undefined {
    return readMarker(this.cookie === undefined ? undefined : this.library.data.get(this.cookie))?.key;
  }

  setPrincipalKey(key: string): void {
    if (this.id() === undefined) this.cookie = this.library.create();
    this.library.data.get(this.cookie!)![SESSION_MARKER] = { key };
  }

  async regenerate(): Promise<void> {
    if (this.cookie !== undefined) this.library.data.delete(this.cookie);
    this.cookie = this.library.create();
  }

  destroy(): void {
    if (this.cookie !== undefined) this.library.data.delete(this.cookie);
    this.cookie = undefined;
  }
}

const API = { accept: 'application/json', userAgent: 'test-agent', ip: '10.0.0.1' };
const HTML = { accept: 'text/html', userAgent: 'test-agent', ip: '10.0.0.1' };

function setup(t: { teardown(fn: () => unknown): void }, options: SessionRegistryOptions = {}, http: Partial<HttpPolicyOptions> = {}) {
  const registry = new SessionRegistry({ maxSessions: 2, ...options });
  t.teardown(() => registry.close());
  const policy = new HttpPolicy({ registry, ...http });
  const library = new SessionLibrary();
  /** Logs a principal in on a fresh request and returns the session cookie. */
  const login = async (principal: unknown, deviceId?: string) => {
    const binding = library.bind(undefined);
    const result = await policy.request(binding, API).login(principal, { deviceId });
    return { cookie: binding.cookie!, result };
  };
  const request = (cookie: string | undefined, info = API) => {
    const binding = library.bind(cookie);
    return { binding, helpers: policy.request(binding, info) };
  };
  return { registry, policy, library, login, request };
}

test('requests without a tracked session pass untouched', async (t) => {
  const { library, request } = setup(t);
  t.is(await request(undefined).helpers.check(), undefined);
  const anonymous = library.create();
  const { helpers } = request(anonymous);
  t.is(await helpers.check(), undefined);
  t.is(helpers.session, undefined);
  t.is(helpers.handle, undefined);
  t.deepEqual(await helpers.sessions(), []);
  t.is(await helpers.logoutEverywhere(), 0);
  t.false(await helpers.revoke(sessionHandle(anonymous)));
  t.true(library.data.has(anonymous), 'nothing destroyed');
});

test('login rotates the id, admits with the client details, marks the session', async (t) => {
  const { library, policy, registry, request } = setup(t);
  const before = library.create();
  const binding = library.bind(before);
  const result = await policy.request(binding, API).login({ id: 'alice' }, { deviceId: 'laptop' });
  t.true(result.ok);
  t.not(binding.cookie, before, 'a new session id');
  t.false(library.data.has(before), 'the old session is gone');
  const [session] = await registry.list('alice');
  t.like(session, { sessionId: binding.cookie, deviceId: 'laptop', userAgent: 'test-agent', ip: '10.0.0.1' });
  if (result.ok) t.like(result.session, { handle: sessionHandle(binding.cookie!), deviceId: 'laptop', current: true });
  const { helpers } = request(binding.cookie);
  t.is(await helpers.check(), undefined);
  t.is(helpers.session?.sessionId, binding.cookie);
  t.is(helpers.handle, sessionHandle(binding.cookie!));
});

test('login on a tracked session ends it: replaced for the same principal, logout for another', async (t) => {
  const { login, registry, request } = setup(t);
  const { cookie } = await login('alice');
  const first = request(cookie);
  await first.helpers.login('alice');
  t.deepEqual((await registry.list('alice', { includeEnded: true })).map((s) => [s.sessionId === cookie, s.state, s.endReason]), [
    [true, 'ended', 'replaced'],
    [false, 'active', undefined],
  ]);
  const second = request(first.binding.cookie);
  await second.helpers.login('bob');
  t.deepEqual(await registry.list('alice'), []);
  t.like((await registry.list('alice', { includeEnded: true })).at(-1), { endReason: 'logout' });
  t.is((await registry.list('bob')).length, 1);
});

test('an evicted session is destroyed and answered per content negotiation', async (t) => {
  const { login, library, request } = setup(t, { maxSessions: 1 });
  const a = await login('alice');
  const b = await login('alice');
  t.true(b.result.ok);
  if (b.result.ok) t.is(b.result.ended.length, 1);
  const answer = await request(a.cookie, HTML).helpers.check();
  t.like(answer, { status: 303, headers: { location: '/?ended=evicted' } });
  t.false(library.data.has(a.cookie), 'destroyed in the session library');
  const c = await login('alice');
  const api = await request(b.cookie).helpers.check();
  t.is(api?.status, 401);
  t.deepEqual(JSON.parse(api!.body), { error: 'session_ended', reason: 'evicted' });
  t.is(await request(c.cookie).helpers.check(), undefined);
});

test('reject mode: a refused login is a typed result with the holders as views', async (t) => {
  const { login, registry, request } = setup(t, { maxSessions: 1, onLimit: 'reject' });
  const a = await login('alice', 'laptop');
  const b = request(undefined);
  const refused = await b.helpers.login('alice', { deviceId: 'phone' });
  t.false(refused.ok);
  if (refused.ok) return;
  t.is(refused.code, 'ERR_SESSION_LIMIT');
  t.is(refused.limit, 1);
  t.deepEqual(Object.keys(refused.holders[0]!).sort(), ['createdAt', 'current', 'deviceId', 'handle', 'ip', 'lastSeenAt', 'userAgent']);
  t.is(refused.holders[0]!.handle, sessionHandle(a.cookie));
  t.is(b.binding.principalKey(), undefined, 'the refused request is not marked');
  t.is(b.helpers.session, undefined);
  const retry = await request(undefined).helpers.login('alice', { signOut: refused.holders[0]!.handle });
  t.true(retry.ok);
  t.like(await registry.list('alice', { includeEnded: true }), [{ sessionId: a.cookie, endReason: 'revoked' }, { state: 'active' }]);
});

test('a marked session the registry does not know is ended as unknown; a malformed marker too', async (t) => {
  const { library, request } = setup(t);
  const forged = library.create();
  library.data.get(forged)![SESSION_MARKER] = { key: 'alice' };
  const answer = await request(forged).helpers.check();
  t.deepEqual(JSON.parse(answer!.body), { error: 'session_ended', reason: 'unknown' });
  t.false(library.data.has(forged));
  const malformed = library.create();
  library.data.get(malformed)![SESSION_MARKER] = 42;
  t.deepEqual(JSON.parse((await request(malformed).helpers.check())!.body), { error: 'session_ended', reason: 'unknown' });
});

test('store failure: 503 under fail-closed, pass under fail-open; a closed registry is 503', async (t) => {
  for (const onStoreError of ['fail-closed', 'fail-open'] as const) {
    const { store, fail } = switchable();
    const { login, request, registry } = setup(t, { store, onStoreError });
    const { cookie } = await login('alice');
    fail(true);
    const answer = await request(cookie).helpers.check();
    if (onStoreError === 'fail-closed') {
      t.is(answer?.status, 503);
      t.deepEqual(JSON.parse(answer!.body), { error: 'session_store_unavailable' });
    } else {
      t.is(answer, undefined);
    }
    fail(false);
    t.is(await request(cookie).helpers.check(), undefined);
    await registry.close();
    t.is((await request(cookie).helpers.check())?.status, 503, 'shutting down is not a logout');
    t.is((await request(undefined).helpers.check()), undefined);
  }
});

test('logout ends the session and destroys it, even when the store fails', async (t) => {
  const { store, fail } = switchable();
  const { login, library, registry, request } = setup(t, { store });
  const a = await login('alice');
  t.true(await request(a.cookie).helpers.logout());
  t.false(library.data.has(a.cookie));
  t.deepEqual(await registry.list('alice'), []);
  t.false(await request(undefined).helpers.logout());
  const b = await login('alice');
  const queued: unknown[] = [];
  const delivered: string[] = [];
  registry.on('endQueued', (end) => queued.push(end));
  registry.on('endDelivered', (end, ended) => delivered.push(...ended.map((s) => s.sessionId)));
  fail(true);
  // The store does not answer: signed out here all the same, the end kept for later.
  t.true(await request(b.cookie).helpers.logout());
  t.false(library.data.has(b.cookie), 'destroyed locally all the same');
  t.like(queued, [{ kind: 'one', principalKey: registry.key('alice'), sessionId: b.cookie, reason: 'logout' }]);
  t.is(registry.pendingEnds().length, 1);
  fail(false);
  for (let i = 0; i < 100 && delivered.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(delivered, [b.cookie]);
  t.is(registry.pendingEnds().length, 0);
  t.deepEqual(await registry.list('alice'), []);
});

test('logoutEverywhere, with and without the current session', async (t) => {
  const { login, library, registry, request } = setup(t, { maxSessions: 5 });
  const [a, b, c] = [await login('alice'), await login('alice'), await login('alice')];
  await login('bob');
  t.is(await request(a.cookie).helpers.logoutEverywhere({ keepCurrent: true }), 2);
  t.deepEqual((await registry.list('alice')).map((s) => s.sessionId), [a.cookie]);
  t.true(library.data.has(a.cookie));
  t.is((await request(b.cookie).helpers.check())?.status, 401);
  const d = await login('alice');
  t.is(await request(d.cookie).helpers.logoutEverywhere(), 2);
  t.deepEqual(await registry.list('alice'), []);
  t.false(library.data.has(d.cookie));
  t.is((await registry.list('bob')).length, 1);
  t.truthy(c);
});

test('sessions() lists views with the current one flagged; revoke only reaches my own active sessions', async (t) => {
  const { login, library, request } = setup(t, { maxSessions: 3 });
  const [a, b] = [await login('alice', 'laptop'), await login('alice', 'phone')];
  const bob = await login('bob');
  const views = await request(a.cookie).helpers.sessions();
  t.deepEqual(views.map((v) => [v.deviceId, v.current]), [['laptop', true], ['phone', false]]);
  t.false(JSON.stringify(views).includes(a.cookie));
  t.false(await request(bob.cookie).helpers.revoke(views[1]!.handle), "someone else's session");
  t.false(await request(a.cookie).helpers.revoke('A'.repeat(22)), 'nothing');
  t.false(await request(a.cookie).helpers.revoke(b.cookie), 'a raw id is not a handle');
  t.false(await request(a.cookie).helpers.revoke({ handle: views[1]!.handle }));
  t.is(await request(b.cookie).helpers.check(), undefined, 'still active');
  t.true(await request(a.cookie).helpers.revoke(views[1]!.handle));
  t.deepEqual(JSON.parse((await request(b.cookie).helpers.check())!.body), { error: 'session_ended', reason: 'revoked' });
  t.false(await request(a.cookie).helpers.revoke(views[1]!.handle), 'already ended');
  t.true(await request(a.cookie).helpers.revoke(views[0]!.handle), 'my current session');
  t.false(library.data.has(a.cookie));
});

test('a session library that cannot destroy does not turn an ended session into a 500', async (t) => {
  const { login, registry, request } = setup(t, { maxSessions: 1 });
  const a = await login('alice');
  await login('alice');
  const errors: Error[] = [];
  registry.on('error', (error) => errors.push(error));
  const { binding, helpers } = request(a.cookie);
  binding.destroy = () => {
    throw new Error('session store down');
  };
  t.is((await helpers.check())?.status, 401);
  t.is(errors[0]?.message, 'session store down');
});

test('a custom ended handler answers, or defers to the default', async (t) => {
  const { login, request } = setup(t, { maxSessions: 1 }, {
    redirectTo: '/signin',
    onEnded: (ended) => (ended.reason === 'evicted' && !ended.html ? { status: 419, headers: {}, body: ended.session?.principalKey ?? '' } : undefined),
  });
  const a = await login('alice');
  const b = await login('alice');
  await login('alice');
  t.like(await request(a.cookie).helpers.check(), { status: 419, body: 'alice' });
  t.like(await request(b.cookie, HTML).helpers.check(), { status: 303, headers: { location: '/signin?ended=evicted' } });
});

test('a scheme without rotation admits the id the request carries', async (t) => {
  const { registry, policy, library } = setup(t);
  const id = library.create();
  const binding = library.bind(id);
  const fixed: SessionBinding = {
    id: () => binding.id(),
    principalKey: () => binding.principalKey(),
    setPrincipalKey: (key) => binding.setPrincipalKey(key),
    destroy: () => binding.destroy(),
  };
  const result = await policy.request(fixed, API).login('alice');
  t.true(result.ok);
  t.is((await registry.list('alice'))[0]?.sessionId, id);
  t.true((await policy.request(fixed, API).login('alice')).ok, 'logging in again is idempotent');
});
