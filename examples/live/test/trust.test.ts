// What a person trying the live example sees and what it keeps: reject mode offers to sign
// the other device out (a ticket, no password on the page), ?ended= is a fixed set of
// codes, forged cross-site posts are refused, and the stream-request record is bounded.
import test from 'ava';
import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { startLiveExample } from '../src/app.js';
import { BoundedLog } from '../src/bounded-log.js';
import { device } from './helpers/device.js';

const form = (jar: CookieJar) => {
  const send = fetchCookie(fetch, jar);
  return (url: string, fields: Record<string, string>) =>
    send(url, { method: 'POST', redirect: 'manual', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
};

test('reject mode: the refusal page offers signing the other device out, with a login ticket and no password', async (t) => {
  const ex = await startLiveExample({ maxSessions: 1, onLimit: 'reject' });
  t.teardown(() => ex.close());
  const laptop = device(ex.url);
  t.is((await laptop.login('alice', 'laptop')).status, 200);
  const phoneJar = new CookieJar();
  const post = form(phoneJar);
  const refusal = await post(`${ex.url}/login`, { username: 'alice', password: 'alice-pw', deviceId: 'phone' });
  t.is(refusal.status, 409);
  const page = await refusal.text();
  t.regex(page, /Sign this device out and sign in here/);
  t.false(page.includes('alice-pw'));
  const ticket = /name="ticket" value="([^"]+)"/.exec(page)?.[1];
  const handle = /name="signOut" value="([^"]+)"/.exec(page)?.[1];
  const signedIn = await post(`${ex.url}/login`, { ticket: ticket!, signOut: handle! });
  t.is(signedIn.status, 303);
  t.is((await laptop.request('/api/me')).status, 401);
  t.deepEqual((await ex.registry.list('alice')).map((s) => s.deviceId), ['phone']);
});

test('?ended= prints words for known codes only; cross-site posts are refused', async (t) => {
  const ex = await startLiveExample();
  t.teardown(() => ex.close());
  t.regex(await (await fetch(`${ex.url}/?ended=evicted`)).text(), /signed in on another device/);
  const spoofed = await (await fetch(`${ex.url}/?ended=${encodeURIComponent('Call +1 555 0100 now')}`)).text();
  t.false(spoofed.includes('555'));
  const forged = await fetch(`${ex.url}/logout`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', accept: 'application/json' } });
  t.is(forged.status, 403);
});

test('the record of stream requests keeps only the last entries', (t) => {
  const log = new BoundedLog<number>(3);
  for (let i = 1; i <= 10; i++) log.push(i);
  t.deepEqual(log.items(), [8, 9, 10]);
});
