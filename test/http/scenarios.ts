// The HTTP scenarios every example (and so every adapter) must pass, written once. Each
// example's test file calls registerScenarios with its startExample; every scenario
// starts its own real server on a free loopback port and talks to it with real cookie jars.
import type { ExecutionContext, TestFn } from 'ava';
import { createMemoryStore, type EvictionPolicy, type SessionRegistry, type SessionStore } from '@session-policy/core';
import { Client, openStream, rawGet } from './client.js';
import { FailingStore } from './failing-store.js';

/** The options of the examples' contract that the scenarios use. */
export interface ScenarioOptions {
  maxSessions?: number;
  onLimit?: 'evict' | 'reject';
  policy?: EvictionPolicy;
  idleTimeout?: number;
  clock?: () => number;
  store?: SessionStore;
  onStoreError?: 'fail-closed' | 'fail-open';
}

/** A started example, per the examples' contract. */
export interface RunningExample {
  url: string;
  registry: SessionRegistry;
  close(): Promise<void>;
}

/** An example's `startExample`. */
export type StartExample = (options: ScenarioOptions) => Promise<RunningExample>;

const HANDLE = /^[A-Za-z0-9_-]{22}$/;

/**
 * Registers the scenarios.
 *
 * @param test - ava's `test`.
 * @param start - the example's `startExample`.
 */
export function registerScenarios(test: TestFn, start: StartExample): void {
  async function example(t: ExecutionContext, options: ScenarioOptions = {}): Promise<RunningExample> {
    const running = await start(options);
    t.teardown(() => running.close());
    return running;
  }

  async function activeIds(app: RunningExample, user: string): Promise<string[]> {
    return (await app.registry.list(user)).map((s) => s.sessionId);
  }

  test('login: the session is tracked, the app sees the user, the devices API hides raw ids', async (t) => {
    const app = await example(t);
    const alice = new Client(app.url, 'alice-laptop-agent');
    t.like(await alice.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.like(await alice.api('POST', '/login', { username: 'alice', password: 'wrong' }), { status: 401, json: { error: 'bad_credentials' } });
    t.deepEqual((await alice.login('alice', 'laptop')).json, { ok: true, user: 'alice', signedOut: [] });
    t.like(await alice.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.like(await alice.api('GET', '/api/data'), { status: 200, json: { user: 'alice', data: 'secret data for alice' } });
    const listed = await alice.api('GET', '/api/sessions');
    t.is(listed.status, 200);
    t.is(listed.json.sessions.length, 1);
    const [view] = listed.json.sessions;
    t.like(view, { deviceId: 'laptop', userAgent: 'alice-laptop-agent', current: true });
    t.regex(view.handle, HANDLE);
    t.is(typeof view.createdAt, 'number');
    t.is(typeof view.lastSeenAt, 'number');
    t.truthy(view.ip);
    const [rawId] = await activeIds(app, 'alice');
    t.truthy(rawId);
    t.false(listed.text.includes(rawId!), 'the raw session id never leaves the server');
    const home = await alice.page('GET', '/');
    t.is(home.status, 200);
    t.regex(home.text, /Your devices/);
    t.regex(home.text, /this device/);
    t.false(home.text.includes(rawId!));
  });

  test('login through the HTML form redirects home; the login form shows ?ended=', async (t) => {
    const app = await example(t);
    const browser = new Client(app.url);
    const form = await browser.page('GET', '/?ended=evicted');
    t.is(form.status, 200);
    t.regex(form.text, /You were signed out because your account signed in on another device/);
    t.regex(form.text, /<form[^>]+action="\/login"/);
    const login = await browser.page('POST', '/login', { username: 'bob', password: 'bob-pw', deviceId: 'desk' });
    t.is(login.status, 303);
    t.is(new URL(login.location!, app.url).pathname, '/');
    t.regex((await browser.page('GET', '/')).text, /Signed in as bob/);
    const bad = await new Client(app.url).page('POST', '/login', { username: 'bob', password: 'nope' });
    t.is(bad.status, 401);
  });

  test('login rotates the session id and ends the session the request carried', async (t) => {
    const app = await example(t);
    const client = new Client(app.url);
    await client.login('alice');
    const first = await client.cookies();
    const [firstId] = await activeIds(app, 'alice');
    await client.login('alice');
    const second = await client.cookies();
    t.not(second, first, 'the session cookie changes at login');
    const ids = await activeIds(app, 'alice');
    t.is(ids.length, 1, 'the same browser logging in again does not take a second slot');
    t.not(ids[0], firstId);
    // The cookie from before the login no longer works.
    const replay = new Client(app.url);
    await replay.setCookies(first);
    t.is((await replay.api('GET', '/api/me')).status, 401);
    // Logging in as someone else in the same browser ends the previous principal's session.
    await client.login('bob');
    t.deepEqual(await activeIds(app, 'alice'), []);
    t.like(await client.api('GET', '/api/me'), { status: 200, json: { user: 'bob' } });
  });

  test('evict: with max 1 a second login evicts the least recently seen, which is bounced with reason evicted', async (t) => {
    const app = await example(t, { maxSessions: 1 });
    const first = new Client(app.url);
    const second = new Client(app.url);
    const third = new Client(app.url);
    await first.login('alice', 'one');
    await second.login('alice', 'two');
    const bounced = await first.page('GET', '/');
    t.is(bounced.status, 303);
    const location = new URL(bounced.location!, app.url);
    t.is(location.pathname, '/');
    t.is(location.searchParams.get('ended'), 'evicted');
    t.like(await first.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } }, 'the ended session was destroyed');
    await third.login('alice', 'three');
    t.like(await second.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'evicted' } });
    t.like(await second.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.like(await third.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
  });

  test('evict: the default limit is 2 and other principals are not affected', async (t) => {
    const app = await example(t);
    const [a, b, c] = [new Client(app.url), new Client(app.url), new Client(app.url)];
    const bob = new Client(app.url);
    await bob.login('bob');
    await a.login('alice');
    await b.login('alice');
    t.is((await a.api('GET', '/api/me')).status, 200);
    t.is((await b.api('GET', '/api/me')).status, 200);
    await c.login('alice');
    t.like(await a.api('GET', '/api/me'), { status: 401, json: { reason: 'evicted' } });
    t.is((await b.api('GET', '/api/me')).status, 200);
    t.is((await bob.api('GET', '/api/me')).status, 200);
  });

  test('evict with default options: the device used longest ago is signed out, to the second (issue 13)', async (t) => {
    let now = Date.now();
    const app = await example(t, { maxSessions: 2, clock: () => now });
    const [a, b, c] = [new Client(app.url), new Client(app.url), new Client(app.url)];
    await a.login('alice', 'A');
    now += 1_000;
    await b.login('alice', 'B');
    now += 1_000;
    t.is((await b.api('GET', '/api/me')).status, 200);
    now += 2_000;
    t.is((await a.api('GET', '/api/me')).status, 200, 'A is used after B');
    now += 500;
    await c.login('alice', 'C');
    t.like(await b.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'evicted' } });
    t.is((await a.api('GET', '/api/me')).status, 200);
    t.is((await c.api('GET', '/api/me')).status, 200);
  });

  test('reject: a login over the limit gets 409 with the holders and the first session stays active', async (t) => {
    const app = await example(t, { maxSessions: 1, onLimit: 'reject' });
    const first = new Client(app.url);
    const second = new Client(app.url);
    await first.login('alice', 'laptop');
    const refused = await second.login('alice', 'phone');
    t.is(refused.status, 409);
    t.like(refused.json, { error: 'session_limit', limit: 1 });
    t.is(refused.json.holders.length, 1);
    t.like(refused.json.holders[0], { deviceId: 'laptop', current: false });
    t.regex(refused.json.holders[0].handle, HANDLE);
    const [rawId] = await activeIds(app, 'alice');
    t.false(refused.text.includes(rawId!));
    t.like(await first.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.like(await second.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    const htmlRefusal = await new Client(app.url).page('POST', '/login', { username: 'alice', password: 'alice-pw' });
    t.is(htmlRefusal.status, 409);
    t.regex(htmlRefusal.text, /Sign out another device\?/);
    t.true(htmlRefusal.text.includes(refused.json.holders[0].handle));
    // "Sign out another device?" → yes: the holder is revoked and the login admitted.
    const replaced = await second.login('alice', 'phone', { signOut: refused.json.holders[0].handle });
    t.like(replaced, { status: 200, json: { ok: true } });
    t.like(await first.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'revoked' } });
    t.is((await second.api('GET', '/api/me')).status, 200);
  });

  test('logout ends the session in the registry and in the session library', async (t) => {
    const app = await example(t);
    const client = new Client(app.url);
    await client.login('alice');
    const cookie = await client.cookies();
    t.like(await client.api('POST', '/logout'), { status: 200, json: { ok: true } });
    t.like(await client.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.deepEqual(await activeIds(app, 'alice'), []);
    const replay = new Client(app.url);
    await replay.setCookies(cookie);
    t.is((await replay.api('GET', '/api/me')).status, 401, 'a copy of the old cookie is refused');
    const browser = new Client(app.url);
    await browser.login('alice');
    const html = await browser.page('POST', '/logout', {});
    t.is(html.status, 303);
    t.is((await browser.api('GET', '/api/me')).status, 401);
  });

  test('logout everywhere, keeping the current session', async (t) => {
    const app = await example(t, { maxSessions: 3 });
    const [a, b, c] = [new Client(app.url), new Client(app.url), new Client(app.url)];
    for (const client of [a, b, c]) await client.login('alice');
    t.like(await a.api('POST', '/logout-everywhere', { keepCurrent: true }), { status: 200, json: { ended: 2 } });
    t.like(await a.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.like(await b.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
    t.like(await c.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
    t.is((await app.registry.list('alice')).length, 1);
    // The HTML form's checkbox.
    const d = new Client(app.url);
    await d.login('alice');
    t.is((await a.page('POST', '/logout-everywhere', { keepCurrent: 'true' })).status, 303);
    t.is((await a.api('GET', '/api/me')).status, 200);
    t.like(await d.api('GET', '/api/me'), { status: 401, json: { reason: 'logout' } });
  });

  test('logout everywhere, current session included', async (t) => {
    const app = await example(t);
    const [a, b] = [new Client(app.url), new Client(app.url)];
    const bob = new Client(app.url);
    await a.login('alice');
    await b.login('alice');
    await bob.login('bob');
    t.like(await a.api('POST', '/logout-everywhere', { keepCurrent: false }), { status: 200, json: { ended: 2 } });
    t.like(await a.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.like(await b.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'logout' } });
    t.deepEqual(await activeIds(app, 'alice'), []);
    t.is((await bob.api('GET', '/api/me')).status, 200);
    t.like(await new Client(app.url).api('POST', '/logout-everywhere', {}), { status: 401, json: { error: 'not_logged_in' } });
  });

  test('revoke: one of my own sessions, by its handle', async (t) => {
    const app = await example(t);
    const [laptop, phone] = [new Client(app.url), new Client(app.url)];
    await laptop.login('alice', 'laptop');
    await phone.login('alice', 'phone');
    const sessions = (await laptop.api('GET', '/api/sessions')).json.sessions as Array<{ handle: string; deviceId: string; current: boolean }>;
    t.deepEqual(sessions.map((s) => [s.deviceId, s.current]), [['laptop', true], ['phone', false]]);
    const other = sessions.find((s) => !s.current)!;
    const revoked = await laptop.api('DELETE', `/api/sessions/${other.handle}`);
    t.is(revoked.status, 204);
    t.like(await phone.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'revoked' } });
    t.is((await laptop.api('GET', '/api/me')).status, 200);
    t.like(await laptop.api('DELETE', `/api/sessions/${other.handle}`), { status: 404, json: { error: 'not_found' } }, 'an ended session is not found');
    // The HTML form.
    const tablet = new Client(app.url);
    await tablet.login('alice', 'tablet');
    const tabletHandle = ((await laptop.api('GET', '/api/sessions')).json.sessions as Array<{ handle: string; deviceId: string }>).find(
      (s) => s.deviceId === 'tablet',
    )!.handle;
    const form = await laptop.page('POST', `/sessions/${tabletHandle}/revoke`, {});
    t.is(form.status, 303);
    t.like(await tablet.api('GET', '/api/me'), { status: 401, json: { reason: 'revoked' } });
  });

  test("revoke: someone else's session is 404, exactly like one that does not exist", async (t) => {
    const app = await example(t);
    const [alice, bob] = [new Client(app.url), new Client(app.url)];
    await alice.login('alice');
    await bob.login('bob');
    const aliceHandle = (await alice.api('GET', '/api/sessions')).json.sessions[0].handle as string;
    const foreign = await bob.api('DELETE', `/api/sessions/${aliceHandle}`);
    const missing = await bob.api('DELETE', `/api/sessions/${'A'.repeat(22)}`);
    const garbage = await bob.api('DELETE', `/api/sessions/${encodeURIComponent('../../etc; drop')}`);
    const rawId = (await activeIds(app, 'alice'))[0]!;
    const byRawId = await bob.api('DELETE', `/api/sessions/${encodeURIComponent(rawId)}`);
    for (const answer of [foreign, missing, garbage, byRawId]) {
      t.is(answer.status, 404);
      t.deepEqual(answer.json, { error: 'not_found' });
    }
    t.is(foreign.text, missing.text);
    t.like(await alice.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.is((await new Client(app.url).api('DELETE', `/api/sessions/${aliceHandle}`)).status, 401, 'anonymous callers are not told either');
    t.is((await alice.api('GET', '/api/me')).status, 200);
  });

  test('idle timeout with an injected clock: the idle session is bounced with reason idle', async (t) => {
    let now = Date.now();
    const app = await example(t, { idleTimeout: 60_000, clock: () => now });
    const [idle, busy] = [new Client(app.url), new Client(app.url)];
    await idle.login('alice');
    await busy.login('alice');
    now += 40_000;
    t.is((await busy.api('GET', '/api/me')).status, 200);
    now += 40_000;
    t.is((await busy.api('GET', '/api/me')).status, 200, 'seen 40 s ago: still active');
    t.like(await idle.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'idle' } });
    t.like(await idle.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
  });

  test('garbage, oversized and forged cookies are no session: 401 not_logged_in, never 5xx', async (t) => {
    const app = await example(t);
    const alice = new Client(app.url);
    await alice.login('alice');
    const pairs = (await alice.cookies()).split('; ').map((pair) => pair.split('='));
    t.true(pairs.length > 0);
    const cookie = (value: (name: string, real: string) => string) => pairs.map(([name = '', real = '']) => `${name}=${value(name, real)}`).join('; ');
    const forge = (real: string) => {
      const i = Math.floor(real.length / 2);
      return real.slice(0, i) + (real[i] === 'A' ? 'B' : 'A') + real.slice(i + 1);
    };
    const variants = {
      garbage: cookie(() => 'garbage%ZZ!'),
      empty: cookie(() => ''),
      oversized: cookie(() => 'x'.repeat(3500)),
      forged: cookie((_, real) => forge(real)),
      json: cookie(() => encodeURIComponent(JSON.stringify({ sessionPolicy: { key: 'alice', id: 'x' }, user: 'alice' }))),
      base64: cookie(() => Buffer.from(JSON.stringify({ sessionPolicy: { key: 'alice', id: 'x' }, user: 'alice' })).toString('base64')),
    };
    for (const [name, header] of Object.entries(variants)) {
      const api = await rawGet(app.url, '/api/me', header);
      t.is(api.status, 401, name);
      t.deepEqual(api.json, { error: 'not_logged_in' }, name);
      const page = await rawGet(app.url, '/', header, 'text/html');
      t.is(page.status, 200, name);
    }
    t.is((await alice.api('GET', '/api/me')).status, 200, "the real session is untouched");
  });

  test('a tracked session unknown to the registry (dropped by a bounded store) is ended, not anonymous', async (t) => {
    const app = await example(t, { store: createMemoryStore({ maxPrincipals: 1 }) });
    const [alice, bob] = [new Client(app.url), new Client(app.url)];
    await alice.login('alice');
    await bob.login('bob');
    t.like(await alice.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'unknown' } });
    t.like(await alice.api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.is((await bob.api('GET', '/api/me')).status, 200);
  });

  test('live: a stream bound to the session is told why and closed when another login evicts it', async (t) => {
    const app = await example(t, { maxSessions: 1 });
    t.like(await rawGet(app.url, '/events', '', 'text/event-stream'), { status: 401, json: { error: 'not_logged_in' } });
    const laptop = new Client(app.url);
    await laptop.login('alice', 'laptop');
    const cookie = await laptop.cookies();
    const stream = await openStream(app.url, '/events', cookie);
    t.is(stream.status, 200);
    t.regex(stream.type, /^text\/event-stream/);
    await stream.until(/^retry: \d+$/m);
    await new Client(app.url).login('alice', 'phone');
    t.regex(await stream.until(/event: session_ended/), /data: \{"reason":"evicted"\}/);
    await stream.ended;
    // Reconnecting with the evicted session's cookie: told why at once, in the stream.
    const again = await openStream(app.url, '/events', cookie);
    t.is(again.status, 200);
    t.regex(await again.until(/event: session_ended/), /"reason":"evicted"/);
    await again.ended;
  });

  test('live: logout everywhere from another device ends every stream of the user', async (t) => {
    const app = await example(t, { maxSessions: 3 });
    const [a, b, c] = [new Client(app.url), new Client(app.url), new Client(app.url)];
    for (const [client, device] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) await client.login('alice', device);
    const streams = [await openStream(app.url, '/events', await a.cookies()), await openStream(app.url, '/events', await b.cookies())];
    await Promise.all(streams.map((s) => s.until(/^retry:/m)));
    t.like(await c.api('POST', '/logout-everywhere', { keepCurrent: true }), { status: 200, json: { ended: 2 } });
    for (const s of streams) t.regex(await s.until(/event: session_ended/), /"reason":"logout"/);
    await Promise.all(streams.map((s) => s.ended));
  });

  test('store down, fail closed (default): 503 for tracked sessions, anonymous requests pass', async (t) => {
    const store = new FailingStore();
    const app = await example(t, { store });
    const alice = new Client(app.url);
    await alice.login('alice');
    store.down = true;
    t.like(await alice.api('GET', '/api/me'), { status: 503, json: { error: 'session_store_unavailable' } });
    t.is((await alice.page('GET', '/')).status, 503);
    t.like(await new Client(app.url).api('GET', '/api/me'), { status: 401, json: { error: 'not_logged_in' } });
    t.is((await new Client(app.url).page('GET', '/')).status, 200);
    t.is((await new Client(app.url).login('bob')).status, 503, 'a login needs the store');
    store.down = false;
    t.like(await alice.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } }, 'the session survived the outage');
  });

  test('store down, fail open: tracked sessions pass', async (t) => {
    const store = new FailingStore();
    const app = await example(t, { store, onStoreError: 'fail-open' });
    const alice = new Client(app.url);
    await alice.login('alice');
    store.down = true;
    t.like(await alice.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.like(await alice.api('GET', '/api/data'), { status: 200, json: { data: 'secret data for alice' } });
    store.down = false;
    t.is((await alice.api('GET', '/api/me')).status, 200);
  });

  test('?ended= says why in words from a fixed set of codes, ignores anything else, and is not shown to a signed-in user', async (t) => {
    const app = await example(t);
    const browser = new Client(app.url);
    for (const [code, words] of [
      ['idle', /after a while without activity/],
      ['logout', /chose &#34;Log out everywhere&#34; on another device/],
      ['revoked', /signed this device out from another one/],
    ] as const) {
      t.regex((await browser.page('GET', `/?ended=${code}`)).text, words);
    }
    const spoofed = await browser.page('GET', `/?ended=${encodeURIComponent('Your account is locked, call +1 555 0100')}&who=mallory`);
    t.false(spoofed.text.includes('locked'));
    t.false(spoofed.text.includes('mallory'));
    t.false(/class="notice"/.test(spoofed.text));
    await browser.page('POST', '/login', { username: 'bob', password: 'bob-pw' });
    const signedIn = await browser.page('GET', '/?ended=evicted');
    t.regex(signedIn.text, /Signed in as bob/);
    t.false(/signed in on another device/.test(signedIn.text));
  });

  test('evicted in a browser: the page names who signed in elsewhere; the device that signed in is told which one it signed out', async (t) => {
    const app = await example(t, { maxSessions: 1 });
    const laptop = new Client(app.url);
    const phone = new Client(app.url);
    t.is((await laptop.page('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'laptop' })).status, 303);
    const signIn = await phone.page('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'phone' });
    t.is(signIn.status, 303);
    const home = await phone.page('GET', signIn.location!);
    t.regex(home.text, /Signing in here signed out &#34;laptop&#34;/);
    const bounced = await laptop.page('GET', '/');
    t.is(bounced.status, 303);
    const page = await laptop.page('GET', bounced.location!);
    t.regex(page.text, /You were signed out because alice signed in on another device/);
    // The JSON login says it too.
    const tablet = new Client(app.url);
    t.like(await tablet.login('alice', 'tablet'), { status: 200, json: { ok: true, signedOut: ['phone'] } });
  });

  test('reject mode in a browser: the refusal page carries a signed login ticket, never the password, and the ticket signs the other device out', async (t) => {
    const app = await example(t, { maxSessions: 1, onLimit: 'reject' });
    const laptop = new Client(app.url);
    await laptop.login('alice', 'laptop');
    const phone = new Client(app.url);
    const refusal = await phone.page('POST', '/login', { username: 'alice', password: 'alice-pw', deviceId: 'phone' });
    t.is(refusal.status, 409);
    t.false(refusal.text.includes('alice-pw'));
    t.false(/name="password"/.test(refusal.text));
    const ticket = /name="ticket" value="([^"]+)"/.exec(refusal.text)?.[1];
    const handle = /name="signOut" value="([^"]+)"/.exec(refusal.text)?.[1];
    t.truthy(ticket);
    t.truthy(handle);
    t.is((await phone.page('POST', '/login', { ticket: 'forged.ticket', signOut: handle! })).status, 401, 'a forged ticket is no login');
    const signedIn = await phone.page('POST', '/login', { ticket: ticket!, signOut: handle! });
    t.is(signedIn.status, 303);
    t.like(await phone.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } });
    t.like(await laptop.api('GET', '/api/me'), { status: 401, json: { error: 'session_ended', reason: 'revoked' } });
    const listed = await app.registry.list('alice');
    t.deepEqual(listed.map((s) => s.deviceId), ['phone'], 'the ticket kept the device name');
  });

  test('CSRF: state-changing requests from another site are refused (Sec-Fetch-Site, Origin); same-origin ones pass', async (t) => {
    const app = await example(t);
    const victim = new Client(app.url);
    await victim.login('alice');
    const forged = await victim.page('POST', '/logout-everywhere', { keepCurrent: 'false' }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    t.is(forged.status, 403);
    t.is((await victim.page('POST', '/logout', {}, { origin: 'https://evil.example' })).status, 403);
    t.is((await victim.page('POST', '/login', { username: 'alice', password: 'alice-pw' }, { 'sec-fetch-site': 'same-site' })).status, 403);
    t.like(await victim.api('GET', '/api/me'), { status: 200, json: { user: 'alice' } }, 'nothing happened to the session');
    t.is((await victim.page('POST', '/logout', {}, { 'sec-fetch-site': 'same-origin', origin: app.url })).status, 303);
    t.like(await victim.api('GET', '/api/me'), { status: 401 });
  });
}
