// The live example in real Chromium: two devices (two browser contexts, each its own
// profile), and three tabs of one device.
import test from 'ava';
import type { Page, Request } from 'playwright-core';
import { startLiveExample, type RunningLiveExample } from '../../examples/live/src/app.js';
import { hasChromium, launchDevice, screenshotPath, SKIP_REASON, type Device } from './helpers/chromium.js';

const started: Array<{ close(): Promise<void> }> = [];
test.after.always(async () => {
  for (const s of started.reverse()) await s.close();
});

async function example(options: Parameters<typeof startLiveExample>[0]): Promise<RunningLiveExample> {
  const ex = await startLiveExample(options);
  started.push(ex);
  return ex;
}

async function device(): Promise<Device> {
  const d = await launchDevice();
  started.push(d);
  return d;
}

async function signIn(page: Page, url: string, user = 'alice', password = 'alice-pw'): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
  await waitLive(page);
}

async function waitLive(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('status')?.dataset.status === 'open', null, { timeout: 15_000 });
}

const status = (page: Page) => page.textContent('#status');
const tabOf = (page: Page) => page.evaluate(() => (window as unknown as { live: { tabId: string } }).live.tabId);

if (!hasChromium) {
  test.skip(SKIP_REASON, () => undefined);
} else {
  test.serial('device B\'s login evicts device A: A shows "signed out: evicted" and makes no connection attempt for 30 s', async (t) => {
    t.timeout(120_000);
    const ex = await example({ maxSessions: 1, retry: 1000, live: { heartbeatInterval: 2_000 } });
    const [a, b] = await Promise.all([device(), device()]);
    const pageA = await a.context.newPage();
    const attemptsA: Request[] = [];
    pageA.on('request', (request) => {
      if (new URL(request.url()).pathname === '/events') attemptsA.push(request);
    });
    await signIn(pageA, ex.url);
    const tabA = await tabOf(pageA);
    const [sessionA] = await ex.registry.list('alice');
    t.truthy(sessionA);
    t.is(ex.live.count({ sessionId: sessionA!.sessionId }), 1);

    const pageB = await b.context.newPage();
    await signIn(pageB, ex.url);
    await pageA.waitForFunction(() => document.getElementById('status')?.textContent === 'signed out: evicted', null, { timeout: 10_000 });
    t.is(await status(pageA), 'signed out: evicted');
    t.is(ex.live.count({ sessionId: sessionA!.sessionId }), 0, 'A\'s stream is closed on the server');
    await pageA.screenshot({ path: screenshotPath('device-a-evicted') });
    await pageB.screenshot({ path: screenshotPath('device-b-signed-in') });

    const serverCount = () => ex.streamRequests().filter((r) => r.tab === tabA).length;
    const before = { server: serverCount(), browser: attemptsA.length };
    t.is(before.server, 1, 'A connected once');
    // The behaviour under test is an absence: 30 s (thirty times the retry hint) with no
    // attempt from A's page.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    t.is(serverCount(), before.server, 'no stream request from A reached the server');
    t.is(attemptsA.length, before.browser, 'A\'s page made no stream request');
    t.is(await status(pageA), 'signed out: evicted');
    t.is(await pageB.textContent('#status'), 'live', 'B is still live');
    t.is(ex.live.count({ principalKey: 'alice' }), 1);
  });

  test.serial('three tabs, logout in tab 1: tabs 2 and 3 leave within a second and their streams are closed on the server', async (t) => {
    t.timeout(60_000);
    const ex = await example({ maxSessions: 1 });
    const d = await device();
    const tab1 = await d.context.newPage();
    await signIn(tab1, ex.url);
    const tab2 = await d.context.newPage();
    const tab3 = await d.context.newPage();
    for (const tab of [tab2, tab3]) {
      await tab.goto(ex.url);
      await waitLive(tab);
    }
    const tabs = await Promise.all([tab1, tab2, tab3].map(tabOf));
    t.is(new Set(tabs).size, 3, 'each tab has its own connection id');
    t.is(ex.live.count({ principalKey: 'alice' }), 3);

    const clicked = Date.now();
    await tab1.click('#logout');
    const left = await Promise.all(
      [tab2, tab3].map(async (tab) => {
        await tab.waitForFunction(() => document.body.dataset.ended === 'logout', null, { timeout: 1_000 });
        return Date.now() - clicked;
      }),
    );
    t.log(`tabs 2 and 3 left ${left.join(' and ')} ms after the click`);
    await tab1.waitForFunction(() => document.body.dataset.ended === 'logout', null, { timeout: 10_000 });
    for (const tab of [tab1, tab2, tab3]) t.is(await status(tab), 'signed out: logout');
    const deadline = Date.now() + 10_000;
    while (ex.live.count({ principalKey: 'alice' }) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    t.is(ex.live.count({ principalKey: 'alice' }), 0, 'every stream is closed on the server');
    await Promise.all([tab1, tab2, tab3].map((tab, i) => tab.screenshot({ path: screenshotPath(`three-tabs-tab-${i + 1}`) })));
    // And none of them comes back (a few retry hints' worth).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const tab of tabs) t.is(ex.streamRequests().filter((r) => r.tab === tab).length, 1);
    t.is((await ex.registry.list('alice')).length, 0);
  });
}
