// The live example over real HTTP with real cookie jars: each way a session ends reaches
// the page's stream with its reason, and the stream is closed.
import test from 'ava';
import { startLiveExample, type RunningLiveExample } from '../src/app.js';
import { device } from './helpers/device.js';

const examples: RunningLiveExample[] = [];
test.after.always(async () => {
  await Promise.all(examples.map((e) => e.close()));
});
async function start(options: Parameters<typeof startLiveExample>[0] = {}): Promise<RunningLiveExample> {
  const ex = await startLiveExample(options);
  examples.push(ex);
  return ex;
}

test('the page and the browser helper are served; anonymous streams are refused 401', async (t) => {
  const ex = await start();
  const anonymous = device(ex.url);
  const page = await (await fetch(ex.url + '/')).text();
  t.regex(page, /<form method="post" action="\/login"/);
  const helper = await fetch(ex.url + '/assets/session-policy-browser/index.js');
  t.is(helper.status, 200);
  t.regex(helper.headers.get('content-type') ?? '', /javascript/);
  const js = await helper.text();
  t.regex(js, /export \{ connectLiveSession/);
  t.notRegex(js, /: (string|boolean|void)\b[,)]/, 'no TypeScript left in the served module');
  const stream = await anonymous.stream();
  t.is(stream.status, 401);
});

test('a login elsewhere evicts this device: its stream gets "evicted", and a late stream request is told the same at once', async (t) => {
  const ex = await start({ maxSessions: 1 });
  const a = device(ex.url);
  const b = device(ex.url);
  t.is((await a.login('alice', 'laptop')).status, 200);
  const streamA = await a.stream('tab-a');
  t.deepEqual((await streamA.waitFor('hello')).data, { user: 'alice', tab: 'tab-a' });
  const devices = await streamA.waitFor('devices');
  t.is((devices.data as { sessions: unknown[] }).sessions.length, 1);
  t.is((await b.login('alice', 'phone')).status, 200);
  t.deepEqual((await streamA.waitFor('session_ended')).data, { reason: 'evicted' });
  await streamA.ended;
  const late = await a.stream('tab-a');
  t.is(late.status, 200);
  await late.ended;
  t.deepEqual(late.events, [{ event: 'session_ended', data: { reason: 'evicted' } }]);
  t.true((late.retries.at(-1) ?? 0) >= 3_600_000);
  t.is(ex.live.size, 0);
});

test('logout in another tab of the same browser ends every tab\'s stream with "logout"', async (t) => {
  const ex = await start();
  const browser = device(ex.url);
  await browser.login('bob');
  const tabs = await Promise.all(['t1', 't2', 't3'].map((tab) => browser.stream(tab)));
  await Promise.all(tabs.map((s) => s.waitFor('hello')));
  t.is(ex.live.count({ principalKey: 'bob' }), 3);
  t.is((await browser.request('/logout', { method: 'POST' })).status, 200);
  for (const s of tabs) {
    t.deepEqual((await s.waitFor('session_ended')).data, { reason: 'logout' });
    await s.ended;
  }
  t.is(ex.live.size, 0);
});

test('revoking a device from "your devices" ends its stream with "revoked"; the devices list is pushed live', async (t) => {
  const ex = await start({ maxSessions: 3 });
  const laptop = device(ex.url);
  const phone = device(ex.url);
  await laptop.login('carol', 'laptop');
  const laptopStream = await laptop.stream();
  await laptopStream.waitFor('devices');
  await phone.login('carol', 'phone');
  const phoneStream = await phone.stream();
  // The laptop's page learns about the phone without asking.
  const deadline = Date.now() + 10_000;
  while (laptopStream.events.filter((e) => e.event === 'devices').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const latest = laptopStream.events.filter((e) => e.event === 'devices').at(-1)?.data as { sessions: Array<{ deviceId: string; current: boolean }> };
  t.deepEqual(latest.sessions.map((s) => [s.deviceId, s.current]), [['laptop', true], ['phone', false]]);
  const { sessions } = (await (await phone.request('/api/sessions')).json()) as { sessions: Array<{ handle: string; deviceId: string }> };
  const target = sessions.find((s) => s.deviceId === 'laptop');
  t.is((await phone.request(`/api/sessions/${target?.handle}`, { method: 'DELETE' })).status, 204);
  t.deepEqual((await laptopStream.waitFor('session_ended')).data, { reason: 'revoked' });
  await laptopStream.ended;
  t.false(phoneStream.isEnded());
  phoneStream.destroy();
});

test('log out everywhere ends the streams of every device with "logout" (keep this device keeps its own)', async (t) => {
  const ex = await start({ maxSessions: 3 });
  const [one, two, three] = [device(ex.url), device(ex.url), device(ex.url)];
  for (const d of [one, two, three]) await d.login('alice');
  const [s1, s2, s3] = await Promise.all([one.stream(), two.stream(), three.stream()]);
  await Promise.all([s1, s2, s3].map((s) => s.waitFor('hello')));
  t.deepEqual(await (await one.request('/logout-everywhere', { method: 'POST', body: { keepCurrent: true } })).json(), { ended: 2 });
  for (const s of [s2, s3]) t.deepEqual((await s.waitFor('session_ended')).data, { reason: 'logout' });
  t.false(s1.isEnded());
  await one.request('/logout-everywhere', { method: 'POST', body: {} });
  t.deepEqual((await s1.waitFor('session_ended')).data, { reason: 'logout' });
  t.is(ex.live.size, 0);
});

test('idle timeout (injected clock, sweep): the stream gets "idle"', async (t) => {
  let now = Date.now();
  const ex = await start({ idleTimeout: 60_000, clock: () => now });
  const d = device(ex.url);
  await d.login('bob');
  const s = await d.stream();
  await s.waitFor('hello');
  now += 61_000;
  t.is(await ex.registry.sweep(), 1);
  t.deepEqual((await s.waitFor('session_ended')).data, { reason: 'idle' });
  await s.ended;
});

test('a cap of one stream per session: a second tab evicts the first, a reload of the same tab replaces it', async (t) => {
  const ex = await start({ live: { maxPerSession: 1 } });
  const d = device(ex.url);
  await d.login('carol');
  const first = await d.stream('tab-1');
  await first.waitFor('hello');
  const reload = await d.stream('tab-1');
  t.deepEqual((await first.waitFor('stream_closed')).data, { reason: 'replaced' });
  await reload.waitFor('hello');
  const other = await d.stream('tab-2');
  t.deepEqual((await reload.waitFor('stream_closed')).data, { reason: 'connection_limit' });
  await other.waitFor('hello');
  t.is(ex.live.size, 1);
  other.destroy();
});
