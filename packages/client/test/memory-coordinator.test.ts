// The in-process coordinator: keepers and pools of one process sharing logins and caps,
// the way processes do through @session-policy/client-redis.
import test from 'ava';
import { MemoryCoordinator, SessionKeeper, SessionPool, cookieStrategy, type CookieSession } from '@session-policy/client';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const strategyFor = (upstream: Upstream) =>
  cookieStrategy({
    baseUrl: upstream.url,
    loginUrl: '/login',
    logoutUrl: '/logout',
    credentials: (user: string) => ({ username: user, password: `${user}-pw` }),
  });

async function readData(session: CookieSession): Promise<{ user: string }> {
  const response = await session.fetch('/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { user: string };
}

test('three keepers sharing a MemoryCoordinator: one login, the others adopt it; the last to close logs out', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 10 });
  t.teardown(() => upstream.close());
  const coordinator = new MemoryCoordinator();
  const keepers = Array.from({ length: 3 }, () => new SessionKeeper({ strategy: strategyFor(upstream), coordinator }));

  const results = await Promise.all(Array.from({ length: 90 }, (_, i) => keepers[i % 3]!.run('alice', readData)));

  t.true(results.every((r) => r.user === 'alice'));
  t.is(upstream.counts.logins, 1);
  t.is(upstream.counts.evictions, 0);
  t.deepEqual(
    keepers.map((k) => k.stats().created + k.stats().adopted),
    [1, 1, 1],
  );

  // An expiry seen by all three: one re-login for all of them.
  upstream.revoke('alice');
  await Promise.all(Array.from({ length: 30 }, (_, i) => keepers[i % 3]!.run('alice', readData)));
  t.is(upstream.counts.logins, 2);

  await keepers[0]!.close();
  await keepers[1]!.close();
  t.is(upstream.active('alice'), 1, 'still held by the third keeper');
  t.is((await keepers[2]!.run('alice', readData)).user, 'alice');
  await keepers[2]!.close();
  t.is(upstream.active('alice'), 0);
  t.is(upstream.counts.logouts, 1);
});

test('two pools sharing a MemoryCoordinator hold one cap of 2 between them', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2, workDelay: 5 });
  t.teardown(() => upstream.close());
  const coordinator = new MemoryCoordinator();
  const pools = [0, 1].map(() => new SessionPool({ strategy: strategyFor(upstream), coordinator, max: 2 }));

  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => pools[i % 2]!.run('alice', readData)));

  t.true(results.every((r) => r.user === 'alice'));
  t.true(upstream.peak('alice') <= 2);
  t.is(upstream.counts.evictions, 0);
  await Promise.all(pools.map((pool) => pool.close()));
  t.is(upstream.active('alice'), 0);
});
