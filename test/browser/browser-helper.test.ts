// @session-policy/browser on its own, in real Chromium, against a bare stream server that
// does NOT send the long final `retry:` the core helpers send: what keeps the page from
// reconnecting here is the browser helper alone. Bare EventSource pages are the control:
// they do reconnect, so the counts below can tell.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { Page } from 'playwright-core';
import { BROWSER_ASSETS, loadBrowserAssets } from '../../examples/live/src/browser-assets.js';
import { hasChromium, launchDevice, screenshotPath, SKIP_REASON, type Device } from './helpers/chromium.js';

const RETRY = 200;
const requests = new Map<string, number>();
const holding = new Set<ServerResponse>();
// 'drops' streams, by page: the test cuts them (a network error) when it chooses.
const droppable = new Map<string, ServerResponse>();
const assets = loadBrowserAssets();

const PAGE = `<!doctype html><html><body><p id="out"></p><script type="module">
import { connectLiveSession } from '${BROWSER_ASSETS}index.js';
const q = new URLSearchParams(location.search);
const url = '/stream/' + q.get('kind') + '/' + q.get('id');
window.log = [];
window.token = true;
if (q.get('bare')) window.bare = new EventSource(url);
else window.live = connectLiveSession({
  url,
  transport: q.get('transport') || undefined,
  hasSession: () => window.token,
  onEnded: (reason, source) => { log.push(['ended', reason, source]); document.getElementById('out').textContent = 'signed out: ' + reason; },
  onStreamClosed: (reason) => log.push(['closed', reason]),
});
</script></body></html>`;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname.startsWith(BROWSER_ASSETS)) {
    const body = assets.get(url.pathname.slice(BROWSER_ASSETS.length));
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/javascript' }).end(body);
    return;
  }
  if (url.pathname === '/page') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    return;
  }
  if (!url.pathname.startsWith('/stream/')) {
    res.writeHead(404).end();
    return;
  }
  const [, , kind, id] = url.pathname.split('/');
  const key = `${kind}/${id}`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(`retry: ${RETRY}\n\n`);
  if (kind === 'ends') res.end('event: session_ended\ndata: {"reason":"revoked"}\n\n');
  else if (kind === 'replaced') res.end('event: stream_closed\ndata: {"reason":"replaced"}\n\n');
  else if (kind === 'drops') droppable.set(key, res);
  else {
    holding.add(res);
    res.on('close', () => holding.delete(res));
  }
});

let base = '';
let browser: Device | undefined;
test.before(async () => {
  if (!hasChromium) return;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchDevice();
});
test.after.always(async () => {
  await browser?.close();
  server.closeAllConnections();
  server.close();
});

// Serial tests, pages closed after each: Chromium allows six connections per origin, and
// every open stream holds one.
let ids = 0;
const pages: Page[] = [];
test.afterEach.always(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
});
async function open(kind: string, extra = ''): Promise<{ page: Page; count: () => number; drop: () => void }> {
  const id = `p${++ids}`;
  const page = await browser!.context.newPage();
  pages.push(page);
  await page.goto(`${base}/page?kind=${kind}&id=${id}${extra}`);
  return { page, count: () => requests.get(`${kind}/${id}`) ?? 0, drop: () => droppable.get(`${kind}/${id}`)?.destroy() };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (page: Page) => page.evaluate(() => (window as unknown as { log: unknown[] }).log);

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await pause(20);
  }
}

if (!hasChromium) {
  test.skip(SKIP_REASON, () => undefined);
} else {
  test.serial('after session_ended the helper never reconnects, where a bare EventSource does', async (t) => {
    const helper = await open('ends');
    const bare = await open('ends', '&bare=1');
    await until(() => helper.count() === 1 && bare.count() >= 1, 'both pages connected');
    await pause(RETRY * 15);
    t.is(helper.count(), 1);
    t.true(bare.count() >= 3, `the control reconnected (${bare.count()} requests)`);
    t.deepEqual(await log(helper.page), [['ended', 'revoked', 'server']]);
    t.is(await helper.page.evaluate(() => (window as unknown as { live: { status: string } }).live.status), 'ended');
    await helper.page.screenshot({ path: screenshotPath('helper-session-ended') });
  });

  test.serial('a stream error while signed out (token gone) closes the stream for good; while signed in the browser retries', async (t) => {
    const signedOut = await open('drops');
    const signedIn = await open('drops');
    await until(() => signedOut.count() === 1 && signedIn.count() === 1, 'both pages connected');
    await signedOut.page.evaluate(() => {
      (window as unknown as { token: boolean }).token = false;
    });
    signedOut.drop();
    signedIn.drop();
    await until(() => signedIn.count() >= 2, 'the signed-in page reconnects');
    await pause(RETRY * 15);
    t.is(signedOut.count(), 1, 'no reconnect once the token is gone');
    t.true(signedIn.count() >= 2, `the signed-in page reconnected after the network error (${signedIn.count()} requests)`);
    t.is(await signedOut.page.evaluate(() => (window as unknown as { live: { status: string } }).live.status), 'idle');
  });

  test.serial('a misspelt option is refused with a TypeError naming it, and opens no stream', async (t) => {
    const page = await open('holds');
    await until(() => page.count() === 1, 'the page connected');
    // A string, so that the page runs it as written (no helpers of the test's transpiler).
    const message = await page.page.evaluate(`import('${BROWSER_ASSETS}index.js').then(({ connectLiveSession }) => {
      try {
        connectLiveSession({ url: '/stream/holds/never', onended() {} });
        return 'accepted';
      } catch (error) {
        return error.name + ': ' + error.message;
      }
    })`);
    t.is(message, 'TypeError: connectLiveSession: unknown option "onended" (did you mean "onEnded"?)');
    t.is(requests.get('holds/never'), undefined);
  });

  test.serial('a stream replaced by another of the same tab (stream_closed) is not reconnected', async (t) => {
    const page = await open('replaced');
    await until(() => page.count() === 1, 'connected');
    await pause(RETRY * 10);
    t.is(page.count(), 1);
    t.deepEqual(await log(page.page), [['closed', 'replaced']]);
  });

  for (const transport of ['broadcast-channel', 'storage'] as const) {
    test.serial(`sign-out in one tab reaches the other tabs through ${transport}, and their streams close`, async (t) => {
      const one = await open('hold', `&transport=${transport}`);
      const two = await open('hold', `&transport=${transport}`);
      const three = await open('hold', `&transport=${transport}`);
      await until(() => holding.size === 3, 'three streams held');
      t.is(await two.page.evaluate(() => (window as unknown as { live: { transport: string } }).live.transport), transport);
      await one.page.evaluate(() => (window as unknown as { live: { signOut(reason: string): void } }).live.signOut('revoked'));
      for (const other of [two, three]) {
        await other.page.waitForFunction(() => document.getElementById('out')?.textContent === 'signed out: revoked', null, { timeout: 5_000 });
        t.deepEqual(await log(other.page), [['ended', 'revoked', 'tab']]);
      }
      t.deepEqual(await log(one.page), [['ended', 'revoked', 'local']]);
      await until(() => holding.size === 0, 'every stream closed on the server');
      await pause(RETRY * 5);
      for (const p of [one, two, three]) t.is(p.count(), 1);
    });
  }
}
