import test from 'ava';
import { SessionKeeper, cookieStrategy, type CookieSession } from '@session-policy/client';
import { RedisCoordinator } from '@session-policy/client-redis';
import { freePort, useRedisServer } from '@session-policy/test-helpers/redis-server';
import { startUpstream } from '../../client/test/helpers/upstream.js';
import { TEST_KEY } from './helpers/workers.js';

const redis = useRedisServer(test);

const coordinatorFor = (t: { teardown(fn: () => unknown): void }, prefix: string, encryptionKey: string | Uint8Array = TEST_KEY) => {
  const coordinator = new RedisCoordinator({ redis: redis.server.url, encryptionKey, prefix });
  t.teardown(() => coordinator.close());
  return coordinator;
};

test('write is a compare-and-set on the generation; remove keeps the number', async (t) => {
  const coordinator = coordinatorFor(t, 'cas:');
  t.is(await coordinator.read('k:alice'), undefined);
  t.like(await coordinator.write('k:alice', 0, { token: 'one' }), { stored: true, generation: 1 });
  t.deepEqual(await coordinator.write('k:alice', 0, { token: 'rival' }), { stored: false, generation: 1, data: { token: 'one' } });
  t.like(await coordinator.write('k:alice', 1, { token: 'two' }), { stored: true, generation: 2 });
  await coordinator.remove('k:alice', 1);
  t.deepEqual(await coordinator.read('k:alice'), { generation: 2, data: { token: 'two' } }, 'an old generation removes nothing');
  await coordinator.remove('k:alice', 2);
  t.deepEqual(await coordinator.read('k:alice'), { generation: 2, data: undefined });
});

test('session material is sealed: not readable in Redis, not openable with another key or under another name', async (t) => {
  const coordinator = coordinatorFor(t, 'seal:');
  await coordinator.write('k:alice', 0, { cookies: 'sid=very-secret-cookie' });
  const raw = (await redis.admin.sendCommand(['HGET', 'seal:k:alice', 'data'])) as string;
  t.false(raw.includes('very-secret-cookie'));
  t.true(raw.startsWith('v1.'));

  const other = coordinatorFor(t, 'seal:', Buffer.alloc(32, 9));
  await t.throwsAsync(other.read('k:alice'));
  // Moved under bob's name, alice's sealed session does not open.
  await redis.admin.sendCommand(['HSET', 'seal:k:bob', 'generation', '1', 'data', raw]);
  await t.throwsAsync(coordinator.read('k:bob'));
});

test('permits: a cap, leases that run out, release tells watchers and counts what is left', async (t) => {
  const coordinator = coordinatorFor(t, 'permit:');
  await coordinator.connect();
  const a = await coordinator.acquirePermit('p:alice', 2, 60_000);
  const b = await coordinator.acquirePermit('p:alice', 2, 3000);
  t.truthy(a);
  t.truthy(b);
  t.is(await coordinator.acquirePermit('p:alice', 2, 60_000), undefined, 'the cap holds');
  // b is not renewed: its lease runs out and its place is free again.
  let c: string | undefined;
  while (!(c = await coordinator.acquirePermit('p:alice', 2, 60_000))) await new Promise((resolve) => setTimeout(resolve, 50));
  t.false(await coordinator.renewPermit('p:alice', b!, 60_000), 'a permit whose lease ran out is lost');
  t.true(await coordinator.renewPermit('p:alice', a!, 60_000));
  const told = new Promise<void>((resolve) => coordinator.watch('p:alice', resolve));
  t.is(await coordinator.releasePermit('p:alice', a!), 1);
  await told;
  t.is(await coordinator.releasePermit('p:alice', c), 0);
});

test('cooldowns expire on their own', async (t) => {
  const coordinator = coordinatorFor(t, 'cool:');
  await coordinator.connect();
  await coordinator.setCooldown('c:alice', { until: Date.now() + 1000, message: 'refused' });
  t.like(await coordinator.cooldown('c:alice'), { message: 'refused' });
  while (await coordinator.cooldown('c:alice')) await new Promise((resolve) => setTimeout(resolve, 50));
  t.pass();
});

test('options are validated at construction', (t) => {
  t.throws(() => new RedisCoordinator({ redis: 'http://x', encryptionKey: TEST_KEY }), { code: 'ERR_INVALID_OPTION' } as never);
  t.throws(() => new RedisCoordinator({ redis: redis.server.url, encryptionKey: 'short' }), { code: 'ERR_INVALID_OPTION', message: /encryptionKey/ } as never);
  t.throws(() => new RedisCoordinator({ redis: {} as never, encryptionKey: TEST_KEY }), { code: 'ERR_INVALID_OPTION' } as never);
  t.throws(() => new RedisCoordinator({ redis: redis.server.url, encryptionKey: TEST_KEY, commandtimeout: 50 } as never), {
    code: 'ERR_INVALID_OPTION',
    message: /"commandtimeout".*did you mean "commandTimeout"/,
  } as never);
});

test('a wrong password with two keepers sharing Redis: one refused login, a cooldown for both, reset for both', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const strategy = cookieStrategy({ baseUrl: upstream.url, loginUrl: '/login', credentials: (user: string) => ({ username: user, password: 'wrong' }) });
  const read = async (session: CookieSession) => (await session.fetch('/data')).status;
  const a = new SessionKeeper({ strategy, coordinator: coordinatorFor(t, 'refused:') });
  const b = new SessionKeeper({ strategy, coordinator: coordinatorFor(t, 'refused:') });
  await t.throwsAsync(a.run('alice', read), { code: 'ERR_UPSTREAM_LOGIN_FAILED' } as never);
  await t.throwsAsync(b.run('alice', read), { code: 'ERR_UPSTREAM_LOGIN_COOLDOWN' } as never);
  t.is(upstream.user('alice').refusedLogins, 1);
  await a.resetCooldown('alice');
  await t.throwsAsync(b.run('alice', read), { code: 'ERR_UPSTREAM_LOGIN_FAILED' } as never);
  t.is(upstream.user('alice').refusedLogins, 2);
  await Promise.all([a.close(), b.close()]);
});

test('Redis away: calls fail with ERR_COORDINATOR within the command timeout instead of waiting', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const coordinator = new RedisCoordinator({ redis: `redis://127.0.0.1:${await freePort()}`, encryptionKey: TEST_KEY, commandTimeout: 300 });
  t.teardown(() => coordinator.close());
  const keeper = new SessionKeeper({
    strategy: cookieStrategy({ baseUrl: upstream.url, loginUrl: '/login', credentials: (user: string) => ({ username: user, password: `${user}-pw` }) }),
    coordinator,
  });
  const error = await t.throwsAsync(keeper.run('alice', async () => 'never'), { code: 'ERR_COORDINATOR' } as never);
  t.truthy((error as unknown as { cause: unknown }).cause);
  t.is(upstream.counts.loginAttempts, 0, 'no login without the lock');
  await keeper.close();
});
