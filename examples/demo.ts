// The README's demo: a policy at work on the embedded store, told as a story.
// Run with `npm start`. A virtual clock lets minutes pass instantly.
import { SessionRegistry, sameDeviceFirst, type SessionInfo } from '@session-policy/core';

let now = Date.parse('2026-01-05T09:00:00Z');
const clock = () => now;
const pass = (minutes: number) => {
  now += minutes * 60_000;
  say(`   … ${minutes} minutes pass`);
};
const time = () => new Date(now).toISOString().slice(11, 16);
const say = (line: string) => console.log(line);
const device = (s: SessionInfo) => s.deviceId ?? s.sessionId;
// Each registry's counters, printed at the end of its own story.
const stats = (story: string, r: SessionRegistry) => say(`   stats of ${story}: ${JSON.stringify(r.stats())}`);

const registry = new SessionRegistry({ maxSessions: 2, idleTimeout: 30 * 60_000, clock });
registry.on('evicted', (s) => say(`   ⚠ ${device(s)} (${s.sessionId}) ${s.endReason}: a newer login took its slot`));
registry.on('expired', (s) => say(`   ⌛ ${device(s)} (${s.sessionId}) expired: ${s.endReason}`));

say('Policy: at most 2 sessions per user, evict the least recently seen, 30 min idle timeout.\n');
say(`${time()} alice logs in on her laptop and her phone`);
await registry.admit({ principal: { id: 'alice', name: 'Alice' }, sessionId: 's-laptop', deviceId: 'laptop' });
await registry.admit({ principal: { id: 'alice', name: 'Alice (phone app)' }, sessionId: 's-phone', deviceId: 'phone' });
say('   two different user objects, one principal key: "alice"');
pass(5);
say(`${time()} the phone makes a request`);
say(`   check → ${(await registry.check('s-phone', 'alice')).status}`);
pass(5);
say(`${time()} alice logs in on a tablet: the laptop was seen least recently`);
const tablet = await registry.admit({ principal: 'alice', sessionId: 's-tablet', deviceId: 'tablet' });
say(`   admitted: ${tablet.admitted}`);
say(`${time()} the laptop's next request`);
const bounced = await registry.check('s-laptop', 'alice');
say(`   check → ${bounced.status}${bounced.status === 'ended' ? `, reason: ${bounced.reason} (the laptop is told why)` : ''}`);
say(`   alice's devices: ${(await registry.list('alice')).map(device).join(', ')}`);
say(`${time()} alice logs out everywhere but the tablet`);
const ended = await registry.endAll('alice', { except: 's-tablet' });
say(`   ended: ${ended.map((s) => `${device(s)} (${s.endReason})`).join(', ')}`);
stats('alice\'s registry (evict mode)', registry);

say('\nNow with reject mode: a full account refuses new logins instead.');
const strict = new SessionRegistry({ maxSessions: 1, onLimit: 'reject', idleTimeout: 30 * 60_000, clock });
strict.on('expired', (s) => say(`   ⌛ ${device(s)} (${s.sessionId}) expired: ${s.endReason}`));
await strict.admit({ principal: 'bob', sessionId: 'b-1', deviceId: 'desktop' });
say(`${time()} bob logs in on his desktop, then tries his phone`);
const refused = await strict.admit({ principal: 'bob', sessionId: 'b-2', deviceId: 'phone' });
if (!refused.admitted) {
  say(`   refused: ${refused.code}; held by ${refused.holders.map(device).join(', ')} → "sign out another device?"`);
}
say(`${time()} bob closes the desktop tab without logging out (a zombie)`);
pass(31);
say(`${time()} bob tries his phone again`);
const retry = await strict.admit({ principal: 'bob', sessionId: 'b-3', deviceId: 'phone' });
say(`   admitted: ${retry.admitted} — an idle session never holds a slot`);
stats('bob\'s registry (reject mode)', strict);

say('\nSame-device-first: a reconnect from the same browser replaces its old session.');
const sameDevice = new SessionRegistry({ maxSessions: 2, policy: sameDeviceFirst(), clock });
await sameDevice.admit({ principal: 'carol', sessionId: 'c-1', deviceId: 'browser-A' });
await sameDevice.admit({ principal: 'carol', sessionId: 'c-2', deviceId: 'browser-B' });
const again = await sameDevice.admit({ principal: 'carol', sessionId: 'c-3', deviceId: 'browser-A' });
if (again.admitted) say(`   replaced: ${again.replaced.map((s) => `${s.sessionId} (${s.endReason})`).join(', ')}; evicted: ${again.evicted.length}`);
stats('carol\'s registry (same device first)', sameDevice);
await Promise.all([registry.close(), strict.close(), sameDevice.close()]);
