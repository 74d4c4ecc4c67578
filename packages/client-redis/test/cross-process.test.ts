// Point 2 of issue 18: keepers and pools in 4 real processes sharing one real Redis, against
// a real upstream that kills a user's previous session on every login.
import test from 'ava';
import { SessionPool, cookieStrategy, type CookieSession } from '@session-policy/client';
import { RedisCoordinator } from '@session-policy/client-redis';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';
import { startUpstream } from '../../client/test/helpers/upstream.js';
import { runWorkers, startWorker, TEST_KEY } from './helpers/workers.js';

const redis = useRedisServer(test);

test.serial('4 processes × 100 concurrent calls with keepers sharing Redis: 1 upstream login, 0 evictions, 0 failures', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 5 });
  t.teardown(() => upstream.close());

  const result = await runWorkers(4, { mode: 'keeper', redis: redis.server.url, upstream: upstream.url, coordinator: true, calls: 100, prefix: 'k4:' });

  t.deepEqual(result.failures, []);
  t.is(result.ok, 400);
  t.is(upstream.user('alice').logins, 1);
  t.is(upstream.user('alice').evictions, 0);
  t.is(upstream.counts.served, 400);
  t.is(result.stats.reduce((sum, stats) => sum + stats.created!, 0), 1, 'one process logged in');
  t.is(result.stats.reduce((sum, stats) => sum + stats.adopted!, 0), 3, 'the three others took its session over');
  t.is(upstream.active('alice'), 0, 'the last process to close logged the session out');
  t.is(upstream.user('alice').logouts, 1);
  const stored = (await redis.admin.sendCommand(['HGET', 'k4:k:alice', 'data'])) as string | null;
  t.is(stored, null, 'the logged-out session material is gone from Redis');
});

test.serial('a revocation with 4 processes working: one re-login cluster-wide', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 20 });
  t.teardown(() => upstream.close());
  // Revoke alice's session while the workers are busy.
  const revoking = (async () => {
    while (upstream.counts.served < 100) await new Promise((resolve) => setTimeout(resolve, 5));
    upstream.revoke('alice');
  })();

  const result = await runWorkers(4, { mode: 'keeper', redis: redis.server.url, upstream: upstream.url, coordinator: true, calls: 100, prefix: 'rev:' });
  await revoking;

  t.deepEqual(result.failures, []);
  t.is(result.ok, 400);
  t.is(upstream.user('alice').logins, 2, 'the first login and one re-login, for all four processes');
  t.is(upstream.user('alice').evictions, 0);
});

test.serial('a pool cap of 3 holds across 4 processes sharing Redis: never more than 3 sessions upstream, no eviction', async (t) => {
  const upstream = await startUpstream({ maxSessions: 3, workDelay: 5 });
  t.teardown(() => upstream.close());

  const result = await runWorkers(4, { mode: 'pool', redis: redis.server.url, upstream: upstream.url, coordinator: true, calls: 40, max: 3, lease: 2000, prefix: 'p4:' });

  t.deepEqual(result.failures, []);
  t.is(result.ok, 160);
  t.true(upstream.peak('alice') <= 3, `peak ${upstream.peak('alice')}`);
  t.is(upstream.user('alice').evictions, 0);
  t.is(upstream.active('alice'), 0, 'every session logged out at close');
  const permits = (await redis.admin.sendCommand(['ZCARD', 'p4:p:alice'])) as number;
  t.is(permits, 0, 'every place in the cap given back');
});

test.serial('a process killed (SIGKILL) while holding the only place of the pool frees it after the lease', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1 });
  t.teardown(() => upstream.close());
  const lease = 1500;
  const holder = startWorker({ mode: 'hold', redis: redis.server.url, upstream: upstream.url, coordinator: true, max: 1, lease, prefix: 'kill:' });
  t.like(await holder.next(), { held: true });

  const coordinator = new RedisCoordinator({ redis: redis.server.url, encryptionKey: TEST_KEY, prefix: 'kill:' });
  t.teardown(() => coordinator.close());
  await coordinator.connect();
  const pool = new SessionPool({
    coordinator,
    lease,
    max: 1,
    strategy: cookieStrategy({ baseUrl: upstream.url, loginUrl: '/login', logoutUrl: '/logout', credentials: (user: string) => ({ username: user, password: `${user}-pw` }) }),
  });
  t.teardown(() => pool.close());

  // The other process holds the place (and renews it): none for us.
  await t.throwsAsync(pool.acquire('alice', { timeout: 2 * lease }), { code: 'ERR_POOL_TIMEOUT' } as never);
  t.is(upstream.user('alice').logins, 1);

  holder.child.kill('SIGKILL');
  await new Promise((resolve) => holder.child.once('exit', resolve));

  // Its lease runs out; the place is ours without anyone giving it back.
  const lease2 = await pool.acquire('alice', { timeout: 20 * lease });
  const response = await (lease2.session as CookieSession).fetch('/data');
  t.is(response.status, 200);
  await response.arrayBuffer();
  t.is(upstream.user('alice').logins, 2);
  lease2.release();
});
