// The browser helper over a WebSocket, in real Chromium, against two processes of the live
// example sharing one real redis-server: a revoke on the other process closes the page's
// socket with 4401 and the reason, the page says "signed out", and it never tries again.
// A handshake refused with 401 (the session ended while the page was not connected) is
// told apart from a network error through the probe URL: no retry either.
import test from 'ava';
import type { Page } from 'playwright-core';
import { useTwoProcesses } from '../../examples/live/test/helpers/two-processes.js';
import { device as httpDevice } from '../../examples/live/test/helpers/device.js';
import { hasChromium, launchDevice, screenshotPath, SKIP_REASON, type Device } from './helpers/chromium.js';

const twoProcesses = useTwoProcesses(test);
const browsers: Device[] = [];
test.after.always(async () => {
  for (const b of browsers) await b.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const liveStatus = (page: Page) => page.evaluate(() => (window as unknown as { live: { status: string } }).live.status);

async function signedInPage(url: string, user: string, stream = 'ws'): Promise<{ page: Page; sockets: string[] }> {
  const browser = await launchDevice();
  browsers.push(browser);
  const page = await browser.context.newPage();
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  // Record every close the page's sockets see (code and reason), next to the helper's own listener.
  await page.addInitScript(() => {
    const Native = window.WebSocket;
    const closes: Array<[number, string]> = [];
    (window as unknown as { closes: typeof closes }).closes = closes;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener('close', (event) => closes.push([event.code, event.reason]));
      }
    };
  });
  await page.goto(url);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', `${user}-pw`);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
  await page.goto(`${url}/?stream=${stream}`);
  await page.waitForFunction(() => document.getElementById('status')?.dataset.status === 'open', null, { timeout: 15_000 });
  return { page, sockets };
}

async function revokeFrom(there: string, user: string, deviceId: string): Promise<void> {
  const other = httpDevice(there);
  await other.login(user, 'tablet');
  const { sessions } = (await (await other.request('/api/sessions')).json()) as { sessions: Array<{ handle: string; deviceId?: string }> };
  const handle = sessions.find((s) => s.deviceId === deviceId)?.handle;
  if (!handle) throw new Error(`no session of ${deviceId}: ${JSON.stringify(sessions)}`);
  const answer = await other.request(`/api/sessions/${handle}`, { method: 'DELETE' });
  if (answer.status !== 204) throw new Error(`revoke answered ${answer.status}`);
}

if (!hasChromium) {
  test.skip(SKIP_REASON, () => undefined);
} else {
  test.serial('revoked on the other process: the page\'s socket closes with 4401 "revoked", the page is signed out and never reconnects', async (t) => {
    t.timeout(90_000);
    const { here, there } = await twoProcesses(3);
    const { page, sockets } = await signedInPage(here.url, 'alice');
    const deviceId = await page.evaluate(() => localStorage.getItem('device-id'));
    t.truthy(deviceId);
    t.true(here.live.count({ principalKey: 'alice' }) >= 1);
    await revokeFrom(there, 'alice', deviceId!);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'signed out: revoked', null, { timeout: 10_000 });
    t.is(await liveStatus(page), 'ended');
    t.is(await page.evaluate(() => document.body.dataset.ended), 'revoked');
    t.deepEqual(await page.evaluate(() => (window as unknown as { closes: unknown }).closes), [[4401, 'revoked']]);
    await page.screenshot({ path: screenshotPath('ws-revoked-on-other-process') });
    t.is(here.live.count({ principalKey: 'alice' }), 0, 'the socket is closed on the server');
    const upgrades = () => here.streamRequests().filter((r) => r.path === '/live').length;
    // Usually one socket; on a loaded machine a handshake that timed out before the
    // revocation is retried (a network error, rightly). What matters: nothing after it.
    const upgradesAtEnd = upgrades();
    const socketsAtEnd = sockets.length;
    t.true(upgradesAtEnd >= 1 && socketsAtEnd >= 1);
    // An absence: ten times the helper's reconnect delay with no new socket.
    await pause(30_000);
    t.is(upgrades(), upgradesAtEnd, 'no handshake reached the server');
    t.is(sockets.length, socketsAtEnd, 'the page opened no socket');
    t.is(await liveStatus(page), 'ended');
  });

  test.serial('a handshake refused with 401 is a sign-out (the probe says why), not a network error: no retry', async (t) => {
    t.timeout(90_000);
    const { here, there } = await twoProcesses(3);
    const { page, sockets } = await signedInPage(here.url, 'bob');
    const deviceId = await page.evaluate(() => localStorage.getItem('device-id'));
    await page.evaluate(() => (window as unknown as { live: { disconnect(): void } }).live.disconnect());
    t.is(await liveStatus(page), 'idle');
    const deadline = Date.now() + 10_000;
    while (here.live.count({ principalKey: 'bob' }) > 0 && Date.now() < deadline) await pause(20);
    t.is(here.live.count({ principalKey: 'bob' }), 0);

    await revokeFrom(there, 'bob', deviceId!);
    await page.evaluate(() => (window as unknown as { live: { connect(): void } }).live.connect());
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'signed out: revoked', null, { timeout: 15_000 });
    t.is(await liveStatus(page), 'ended');
    const upgrades = () => here.streamRequests().filter((r) => r.path === '/live').length;
    t.is(upgrades(), 2, 'the first socket, then the refused handshake');
    await pause(15_000);
    t.is(upgrades(), 2, 'no handshake after the refusal');
    t.is(sockets.length, 2);
  });

  test.serial('socket.io in the page (watchSocketIoSession): revoked on the other process, the page is signed out and socket.io-client never reconnects', async (t) => {
    t.timeout(90_000);
    const { here, there } = await twoProcesses(3);
    const { page } = await signedInPage(here.url, 'carol', 'socket.io');
    const deviceId = await page.evaluate(() => localStorage.getItem('device-id'));
    t.true(here.live.count({ principalKey: 'carol' }) >= 1);
    const handshakes = () => here.streamRequests().filter((r) => r.path === '/socket.io').length;
    t.true(handshakes() >= 1);
    await revokeFrom(there, 'carol', deviceId!);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'signed out: revoked', null, { timeout: 10_000 });
    t.is(await liveStatus(page), 'ended');
    t.is(here.live.count({ principalKey: 'carol' }), 0);
    await page.screenshot({ path: screenshotPath('socket-io-revoked-on-other-process') });
    // Counted from the end on: a handshake retried before it on a loaded machine is fine.
    const handshakesAtEnd = handshakes();
    // An absence: fifteen times socket.io-client's reconnection delay with no new handshake.
    await pause(15_000);
    t.is(handshakes(), handshakesAtEnd, 'no handshake after the end');
    t.false(await page.evaluate(() => (window as unknown as { live: { socket: { active: boolean } } }).live.socket.active));
  });
}
