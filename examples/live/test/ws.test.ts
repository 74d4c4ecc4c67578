// WebSockets (`ws`) bound to their sessions, over two server processes sharing one real
// redis-server: a session ended on the other process closes the socket held here with
// code 4401 and the reason, and a reconnect with the same cookie is refused with 401
// before any upgrade.
import test from 'ava';
import { CLOSE_SESSION_ENDED, CLOSE_STREAM_CLOSED } from '@session-policy/ws';
import { useTwoProcesses } from './helpers/two-processes.js';
import { device } from './helpers/device.js';
import { isRefusal, openWs, type Refusal, type WsClient } from './helpers/ws-client.js';

const twoProcesses = useTwoProcesses(test);

function open(value: WsClient | Refusal): WsClient {
  if (isRefusal(value)) throw new Error(`handshake refused: ${value.status} ${JSON.stringify(value.body)}`);
  return value;
}

test.serial('no session, or a session ended on the other process, is refused with 401 before the upgrade', async (t) => {
  const { here, there } = await twoProcesses();
  t.deepEqual(await openWs(here.url, undefined), { status: 401, body: { error: 'not_logged_in' } });
  const laptop = device(here.url);
  t.is((await laptop.login('carol', 'laptop')).status, 200);
  const socket = open(await openWs(here.url, laptop));
  await socket.waitFor('hello');
  socket.socket.close();
  await socket.closed;
  // Signed in again elsewhere with one session allowed: the laptop's session is evicted.
  t.is((await device(there).login('carol', 'phone')).status, 200);
  const refused = await openWs(here.url, laptop);
  t.deepEqual(refused, { status: 401, body: { error: 'session_ended', reason: 'evicted' } });
  t.is(here.live.size, 0);
});

test.serial('a login on the other process evicts this device: the socket held here closes with 4401 "evicted"; reconnecting is refused', async (t) => {
  const { here, there } = await twoProcesses();
  const laptop = device(here.url);
  t.is((await laptop.login('alice', 'laptop')).status, 200);
  const socket = open(await openWs(here.url, laptop, '/live?tab=t1'));
  t.like((await socket.waitFor('hello')).data, { user: 'alice', tab: 't1' });
  t.is(here.live.size, 1);

  t.is((await device(there).login('alice', 'phone')).status, 200);
  t.deepEqual(await socket.closed, { code: CLOSE_SESSION_ENDED, reason: 'evicted' });
  t.deepEqual(socket.frames.at(-1), { event: 'session_ended', data: { reason: 'evicted' } });
  t.is(here.live.size, 0);
  t.is(here.registry.stats().endedRemotely, 1, 'learned from the other process');
  t.deepEqual(await openWs(here.url, laptop, '/live?tab=t1'), { status: 401, body: { error: 'session_ended', reason: 'evicted' } });
});

test.serial('revoke and log out everywhere on the other process close the sockets held here, each with its reason', async (t) => {
  const { here, there } = await twoProcesses(3);
  const laptop = device(here.url);
  const desktop = device(here.url);
  const tablet = device(there);
  await laptop.login('bob', 'laptop');
  await desktop.login('bob', 'desktop');
  await tablet.login('bob', 'tablet');
  const laptopTabs = [open(await openWs(here.url, laptop, '/live?tab=a')), open(await openWs(here.url, laptop, '/live?tab=b'))];
  const desktopSocket = open(await openWs(here.url, desktop));
  await Promise.all([...laptopTabs, desktopSocket].map((s) => s.waitFor('hello')));
  t.is(here.live.size, 3);

  const { sessions } = (await (await tablet.request('/api/sessions')).json()) as { sessions: Array<{ handle: string; deviceId: string }> };
  const desktopHandle = sessions.find((s) => s.deviceId === 'desktop')?.handle;
  t.is((await tablet.request(`/api/sessions/${desktopHandle}`, { method: 'DELETE' })).status, 204);
  t.deepEqual(await desktopSocket.closed, { code: CLOSE_SESSION_ENDED, reason: 'revoked' });

  t.deepEqual(await (await tablet.request('/logout-everywhere', { method: 'POST', body: { keepCurrent: true } })).json(), { ended: 1 });
  for (const s of laptopTabs) t.deepEqual(await s.closed, { code: CLOSE_SESSION_ENDED, reason: 'logout' });
  t.is(here.live.size, 0);
});

test.serial('sockets and event streams share the caps: over maxPerSession the oldest closes with 4409 "connection_limit"; a same-tab reconnect replaces', async (t) => {
  const { here } = await twoProcesses(1, { live: { maxPerSession: 2 } });
  const laptop = device(here.url);
  await laptop.login('carol', 'laptop');
  const stream = await laptop.stream('s1');
  await stream.waitFor('hello');
  const first = open(await openWs(here.url, laptop, '/live?tab=w1'));
  await first.waitFor('hello');
  t.is(here.live.size, 2);
  const second = open(await openWs(here.url, laptop, '/live?tab=w2'));
  await second.waitFor('hello');
  t.deepEqual((await stream.waitFor('stream_closed')).data, { reason: 'connection_limit' }, 'the oldest, an event stream, gave way');
  const again = open(await openWs(here.url, laptop, '/live?tab=w1'));
  await again.waitFor('hello');
  t.deepEqual(await first.closed, { code: CLOSE_STREAM_CLOSED, reason: 'replaced' });
  t.is(here.live.size, 2);
  t.is(here.live.stats().replaced, 1);
  second.socket.close();
  again.socket.close();
  await Promise.all([second.closed, again.closed]);
});
