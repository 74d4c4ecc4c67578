// socket.io sockets bound to their sessions, with socket.io-client, over two server
// processes sharing one real redis-server: a session ended on the other process sends the
// socket held here `session_ended` with the reason and disconnects it, and the client does
// not reconnect; a handshake without an active session is answered 401.
import test from 'ava';
import { io as connectIo, type Socket } from 'socket.io-client';
import type { SocketIoLike } from '@session-policy/browser';
import { useTwoProcesses } from './helpers/two-processes.js';
import { device, type Device } from './helpers/device.js';
import { isRefusal, openWs } from './helpers/ws-client.js';

const twoProcesses = useTwoProcesses(test);
const clients: Socket[] = [];
test.after.always(() => {
  for (const c of clients) c.close();
});

interface Client {
  readonly socket: Socket;
  readonly events: Array<[string, unknown]>;
  /** The first event of that name (already received or to come). */
  waitFor(event: string): Promise<unknown>;
  /** The reason socket.io gives for the first disconnect. */
  readonly disconnected: Promise<string>;
}

async function connect(base: string, who: Device, tab: string, transports?: string[]): Promise<Client> {
  const socket = connectIo(base, {
    extraHeaders: { Cookie: await who.jar.getCookieString(`${base}/socket.io/`) },
    query: { tab },
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    ...(transports ? { transports } : {}),
  });
  clients.push(socket);
  // The browser helper's watchSocketIoSession takes a socket.io-client socket as it is (a compile-time check).
  const fits: SocketIoLike = socket;
  void fits;
  const events: Array<[string, unknown]> = [];
  const waiters = new Map<string, Array<(data: unknown) => void>>();
  socket.onAny((event: string, data: unknown) => {
    events.push([event, data]);
    for (const resolve of waiters.get(event)?.splice(0) ?? []) resolve(data);
  });
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    events,
    disconnected,
    waitFor: (event) => {
      const seen = events.find(([name]) => name === event);
      if (seen) return Promise.resolve(seen[1]);
      return new Promise((resolve) => waiters.set(event, [...(waiters.get(event) ?? []), resolve]));
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const handshakes = (here: { streamRequests(): readonly { path: string; tab?: string | undefined }[] }, tab: string) =>
  here.streamRequests().filter((r) => r.path === '/socket.io' && r.tab === tab).length;

test.serial('a handshake without an active session is answered 401, over long-polling and before a WebSocket upgrade', async (t) => {
  const { here, there } = await twoProcesses();
  const polling = await fetch(`${here.url}/socket.io/?EIO=4&transport=polling`);
  t.is(polling.status, 401);
  t.deepEqual(await polling.json(), { error: 'not_logged_in' });
  t.deepEqual(await openWs(here.url, undefined, '/socket.io/?EIO=4&transport=websocket'), { status: 401, body: { error: 'not_logged_in' } });

  const laptop = device(here.url);
  await laptop.login('carol', 'laptop');
  const client = await connect(here.url, laptop, 'c1', ['websocket']);
  await client.waitFor('hello');
  client.socket.close();
  await device(there).login('carol', 'phone');
  const refused = await openWs(here.url, laptop, '/socket.io/?EIO=4&transport=websocket');
  t.true(isRefusal(refused));
  t.deepEqual(refused, { status: 401, body: { error: 'session_ended', reason: 'evicted' } });
});

for (const transports of [undefined, ['websocket']]) {
  const over = transports ? 'a WebSocket transport' : 'long-polling upgraded to WebSocket';
  test.serial(`over ${over}: a login on the other process evicts this device; the client gets session_ended "evicted", a server disconnect, and does not reconnect`, async (t) => {
    const { here, there } = await twoProcesses();
    const laptop = device(here.url);
    t.is((await laptop.login('alice', 'laptop')).status, 200);
    const client = await connect(here.url, laptop, 'tab-1', transports);
    t.like(await client.waitFor('hello'), { user: 'alice', tab: 'tab-1' });
    t.is(here.live.size, 1);

    t.is((await device(there).login('alice', 'phone')).status, 200);
    t.deepEqual(await client.waitFor('session_ended'), { reason: 'evicted' });
    t.is(await client.disconnected, 'io server disconnect');
    t.is(here.live.size, 0);
    t.is(here.registry.stats().endedRemotely, 1, 'learned from the other process');
    const before = handshakes(here, 'tab-1');
    t.is(before, 1);
    // An absence: thirty times the client's reconnection delay with no new handshake.
    await pause(3_000);
    t.is(handshakes(here, 'tab-1'), before, 'no new handshake reached the server');
    t.false(client.socket.connected);
    t.false(client.socket.active, 'socket.io-client gave up on its own');
  });
}

test.serial('revoke and log out everywhere on the other process: session_ended with each reason, and sockets and streams share the caps', async (t) => {
  const { here, there } = await twoProcesses(3, { live: { maxPerSession: 2 } });
  const laptop = device(here.url);
  const desktop = device(here.url);
  const tablet = device(there);
  await laptop.login('bob', 'laptop');
  await desktop.login('bob', 'desktop');
  await tablet.login('bob', 'tablet');
  const stream = await laptop.stream('s1');
  await stream.waitFor('hello');
  const laptopA = await connect(here.url, laptop, 'a');
  const laptopB = await connect(here.url, laptop, 'b');
  await Promise.all([laptopA.waitFor('hello'), laptopB.waitFor('hello')]);
  t.deepEqual((await stream.waitFor('stream_closed')).data, { reason: 'connection_limit' }, 'the oldest connection, an event stream, gave way');
  const desktopSocket = await connect(here.url, desktop, 'd');
  await desktopSocket.waitFor('hello');
  t.is(here.live.size, 3);

  const { sessions } = (await (await tablet.request('/api/sessions')).json()) as { sessions: Array<{ handle: string; deviceId: string }> };
  const desktopHandle = sessions.find((s) => s.deviceId === 'desktop')?.handle;
  t.is((await tablet.request(`/api/sessions/${desktopHandle}`, { method: 'DELETE' })).status, 204);
  t.deepEqual(await desktopSocket.waitFor('session_ended'), { reason: 'revoked' });
  t.is(await desktopSocket.disconnected, 'io server disconnect');

  await tablet.request('/logout-everywhere', { method: 'POST', body: { keepCurrent: true } });
  for (const s of [laptopA, laptopB]) {
    t.deepEqual(await s.waitFor('session_ended'), { reason: 'logout' });
    t.is(await s.disconnected, 'io server disconnect');
  }
  t.is(here.live.size, 0);
});
