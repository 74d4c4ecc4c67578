// Two server processes sharing the Redis store: a session ended on one (a login there
// evicting it, "log out everywhere" there) closes the streams the other holds, through
// the store's revocation bus.
import test from 'ava';
import { useTwoProcesses } from './helpers/two-processes.js';
import { device } from './helpers/device.js';

const twoProcesses = useTwoProcesses(test);

test.serial('a login on the other process evicts this device: the stream held here gets "evicted" and closes', async (t) => {
  const { here, there } = await twoProcesses();
  const laptop = device(here.url);
  const phone = device(there);
  t.is((await laptop.login('alice', 'laptop')).status, 200);
  const stream = await laptop.stream();
  await stream.waitFor('hello');
  t.is((await phone.login('alice', 'phone')).status, 200);
  t.deepEqual((await stream.waitFor('session_ended')).data, { reason: 'evicted' });
  await stream.ended;
  t.is(here.live.size, 0);
  t.is(here.registry.stats().endedRemotely, 1, 'learned from the other process');
});

test.serial('log out everywhere and revoke on the other process close the streams held here', async (t) => {
  const { here, there } = await twoProcesses(3);
  const laptop = device(here.url);
  const desktop = device(here.url);
  const tablet = device(there);
  await laptop.login('bob', 'laptop');
  await desktop.login('bob', 'desktop');
  await tablet.login('bob', 'tablet');
  const laptopTabs = await Promise.all([laptop.stream('t1'), laptop.stream('t2')]);
  const desktopStream = await desktop.stream();
  await Promise.all([...laptopTabs, desktopStream].map((s) => s.waitFor('hello')));

  const { sessions } = (await (await tablet.request('/api/sessions')).json()) as { sessions: Array<{ handle: string; deviceId: string }> };
  const desktopHandle = sessions.find((s) => s.deviceId === 'desktop')?.handle;
  t.is((await tablet.request(`/api/sessions/${desktopHandle}`, { method: 'DELETE' })).status, 204);
  t.deepEqual((await desktopStream.waitFor('session_ended')).data, { reason: 'revoked' });
  await desktopStream.ended;

  t.deepEqual(await (await tablet.request('/logout-everywhere', { method: 'POST', body: { keepCurrent: true } })).json(), { ended: 1 });
  for (const s of laptopTabs) {
    t.deepEqual((await s.waitFor('session_ended')).data, { reason: 'logout' });
    await s.ended;
  }
  t.is(here.live.size, 0);
  t.is(here.registry.stats().endedRemotely, 2);
});
