// useLiveSession (@session-policy/browser/react) in real Chromium with React's real
// runtime, against a real server (express-session, the Express adapter, LiveConnections):
// no connection without a session, the stream closed on sign-out in any tab, the end
// reason in state for the UI, and no reconnect after it.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import session from 'express-session';
import type { Page } from 'playwright-core';
import { LiveConnections, SessionRegistry } from '@session-policy/core';
import { eventStream, sessionPolicy } from '@session-policy/express';
import { BROWSER_ASSETS, loadBrowserAssets } from '../../examples/live/src/browser-assets.js';
import { hasChromium, launchDevice, screenshotPath, SKIP_REASON, type Device } from './helpers/chromium.js';
import { REACT_ASSETS, REACT_HEAD } from './helpers/react-assets.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

const PAGE = (user: string | undefined) => `<!doctype html><html><head><meta charset="utf-8">${REACT_HEAD}</head><body>
<div id="root"></div>
<script type="module">
import { createElement as h, useState, StrictMode } from 'react';
import { useLiveSession } from '${BROWSER_ASSETS}react.js';
const post = (url) => fetch(url, { method: 'POST', headers: { Accept: 'application/json' } });
function App() {
  const [user, setUser] = useState(${JSON.stringify(user ?? null)});
  const live = useLiveSession({
    url: '/events',
    signedIn: user !== null,
    events: ['hello'],
    onEnded: () => setUser(null),
  });
  return h('main', null,
    h('p', { id: 'user' }, user ?? 'signed out'),
    h('p', { id: 'status', 'data-status': live.status }, live.status),
    h('p', { id: 'reason' }, live.endReason ? 'signed out: ' + live.endReason + ' (' + live.endSource + ')' : ''),
    h('p', { id: 'event' }, live.lastEvent ? live.lastEvent.name : ''),
    h('button', { id: 'signin', onClick: async () => { await post('/login'); setUser('alice'); } }, 'Sign in'),
    h('button', { id: 'signout', onClick: async () => { await post('/logout'); live.signOut(); } }, 'Sign out'),
    // A sign-out the server is not part of (a token app dropping its token): only the tabs can tell each other.
    h('button', { id: 'forget', onClick: () => live.signOut('logout') }, 'Forget'),
  );
}
ReactDOM.createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
</script></body></html>`;

const registry = new SessionRegistry({ maxSessions: 3 });
const live = new LiveConnections(registry, { heartbeatInterval: 1_000 });
const streamRequests: number[] = [];
const assets = loadBrowserAssets();
const app = express();
app.get(`${BROWSER_ASSETS}:file`, (req, res) => {
  const body = assets.get(req.params.file);
  if (body === undefined) return void res.status(404).end();
  res.type('text/javascript').send(body);
});
app.get('/vendor/:file', (req, res) => {
  const body = REACT_ASSETS.get(`/vendor/${req.params.file}`);
  if (body === undefined) return void res.status(404).end();
  res.type('text/javascript').send(body);
});
app.use(session({ secret: 'react-hook-test', resave: false, saveUninitialized: false }));
app.use('/events', (_req, _res, next) => {
  streamRequests.push(Date.now());
  next();
});
app.use(sessionPolicy({ registry }));
app.get('/', (req, res) => void res.type('html').send(PAGE(req.session.user)));
app.post('/login', async (req, res) => {
  const result = await req.sessionPolicy.login({ id: 'alice' });
  if (!result.ok) return void res.status(409).json({ error: 'session_limit' });
  req.session.user = 'alice';
  res.json({ ok: true });
});
app.post('/logout', async (req, res) => {
  await req.sessionPolicy.logout();
  res.json({ ok: true });
});
app.get('/events', eventStream(live));

const server = app.listen(0, '127.0.0.1');
let base = '';
let browser: Device | undefined;
test.before(async () => {
  if (!hasChromium) return;
  if (!server.listening) await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchDevice();
});
test.after.always(async () => {
  await browser?.close();
  live.close();
  server.closeAllConnections();
  server.close();
  await registry.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (page: Page, id: string) => page.textContent(`#${id}`);
async function waitStatus(page: Page, status: string): Promise<void> {
  await page.waitForFunction((s) => document.getElementById('status')?.dataset.status === s, status, { timeout: 15_000 });
}

// Each test starts signed out: no session in the registry, no cookie in the browser.
test.beforeEach(async () => {
  await registry.endAll('alice');
  await browser?.context.clearCookies();
});

if (!hasChromium) {
  test.skip(SKIP_REASON, () => undefined);
} else {
  test.serial('no connection without a session; signing in connects; sign-out in one tab ends the others with the reason, and nothing reconnects', async (t) => {
    t.timeout(90_000);
    const tab1 = await browser!.context.newPage();
    const errors: string[] = [];
    tab1.on('pageerror', (error) => errors.push(error.message));
    await tab1.goto(base);
    await tab1.waitForSelector('#status');
    t.is(await text(tab1, 'user'), 'signed out');
    // An absence: signed out, the hook opens nothing.
    await pause(2_000);
    t.is(await text(tab1, 'status'), 'idle');
    t.is(streamRequests.length, 0, 'no stream request without a session');

    await tab1.click('#signin');
    await waitStatus(tab1, 'open');
    t.is(await text(tab1, 'user'), 'alice');
    const tab2 = await browser!.context.newPage();
    await tab2.goto(base);
    await waitStatus(tab2, 'open');
    t.is(live.count({ principalKey: 'alice' }), 2);
    const before = streamRequests.length;

    // The server is not told: what closes tab 2's stream is tab 1's message alone.
    await tab1.click('#forget');
    await tab2.waitForFunction(() => document.getElementById('reason')?.textContent === 'signed out: logout (tab)', null, { timeout: 10_000 });
    t.is(await text(tab2, 'status'), 'ended');
    t.is(await text(tab2, 'user'), 'signed out', 'onEnded reached the component');
    t.is(await text(tab1, 'reason'), 'signed out: logout (local)');
    await tab2.screenshot({ path: screenshotPath('react-hook-signed-out-in-other-tab') });
    t.is((await registry.list('alice')).length, 1, 'the session itself goes on');
    const deadline = Date.now() + 10_000;
    while (live.count({ principalKey: 'alice' }) > 0 && Date.now() < deadline) await pause(20);
    t.is(live.count({ principalKey: 'alice' }), 0, 'both streams are closed on the server');
    await pause(5_000);
    t.is(streamRequests.length, before, 'no stream request after the sign-out');
    t.deepEqual(errors, []);
    await Promise.all([tab1.close(), tab2.close()]);
  });

  test.serial('a logout ends the session on the server: every tab ends, and a page loaded signed out stays without a connection', async (t) => {
    t.timeout(60_000);
    const tab1 = await browser!.context.newPage();
    await tab1.goto(base);
    await tab1.click('#signin');
    await waitStatus(tab1, 'open');
    const tab2 = await browser!.context.newPage();
    await tab2.goto(base);
    await waitStatus(tab2, 'open');
    await tab1.click('#signout');
    for (const tab of [tab1, tab2]) {
      // From the server's session_ended, the other tab or its own signOut(): whichever comes first.
      await tab.waitForFunction(() => /^signed out: logout/.test(document.getElementById('reason')?.textContent ?? ''), null, { timeout: 10_000 });
      t.is(await text(tab, 'user'), 'signed out');
    }
    t.is((await registry.list('alice')).length, 0);
    const before = streamRequests.length;
    const tab3 = await browser!.context.newPage();
    await tab3.goto(base);
    await tab3.waitForSelector('#status');
    await pause(3_000);
    t.is(await text(tab3, 'status'), 'idle');
    t.is(streamRequests.length, before, 'no stream request from any tab');
    await Promise.all([tab1.close(), tab2.close(), tab3.close()]);
  });

  test.serial('a session ended on the server (revoked): the hook shows the reason from the server, and the component signs out', async (t) => {
    t.timeout(60_000);
    const tab = await browser!.context.newPage();
    await tab.goto(base);
    await tab.click('#signin');
    await waitStatus(tab, 'open');
    const before = streamRequests.length;
    await registry.endAll('alice', { reason: 'revoked' });
    await tab.waitForFunction(() => document.getElementById('reason')?.textContent === 'signed out: revoked (server)', null, { timeout: 10_000 });
    t.is(await text(tab, 'status'), 'ended');
    t.is(await text(tab, 'user'), 'signed out');
    await pause(5_000);
    t.is(streamRequests.length, before, 'no reconnect');
    t.is(live.size, 0);
    await tab.close();
  });
}
