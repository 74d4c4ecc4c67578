/**
 * A child process of the churn test: for `duration` ms, logs random users in (limit 2,
 * evict), checks sessions it was admitted under, logs some out, and records every end it
 * learns of (its own and, through the bus, the other process's). Sends it all back.
 */
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

const [url, prefix, name, duration, users, retention, maxTombstones] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const store = new RedisSessionStore(url, { prefix });
const registry = new SessionRegistry({
  store,
  maxSessions: 2,
  tombstoneRetention: Number(retention),
  maxTombstones: Number(maxTombstones),
});
const ends: Array<[string, number, string]> = [];
registry.on('ended', (s) => ends.push([s.sessionId, s.endedAt ?? 0, s.endReason ?? '']));
registry.on('error', () => undefined);

const admitted: Array<[string, string, number]> = [];
const checks: Array<[string, string, number]> = [];
const until = Date.now() + Number(duration);
let n = 0;

async function loop(): Promise<void> {
  while (Date.now() < until) {
    const user = `u${Math.floor(Math.random() * Number(users))}`;
    const id = `${name}-${n++}`;
    const r = await registry.admit({ principal: user, sessionId: id });
    if (r.admitted) admitted.push([id, user, r.session.createdAt]);
    for (let i = 0; i < 3 && admitted.length > 0; i++) {
      const [sid, u] = admitted[Math.floor(Math.random() * admitted.length)]!;
      const c = await registry.check(sid, u);
      checks.push([sid, c.status, Date.now()]);
    }
    if (Math.random() < 0.05 && admitted.length > 0) {
      const [sid, u] = admitted[Math.floor(Math.random() * admitted.length)]!;
      await registry.end(sid, u);
    }
  }
}

process.on('message', () => {
  void Promise.all([loop(), loop(), loop(), loop()]).then(async () => {
    await new Promise((resolve) => setTimeout(resolve, 300)); // last bus messages
    await registry.close();
    // Exit only once the (large) report is written to the channel.
    process.send?.({ admitted, checks, ends }, undefined, {}, () => process.exit(0));
  });
});
process.send?.('ready');
