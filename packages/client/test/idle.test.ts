// Point 7 of issue 18: sessions unused for idleTimeout are logged out upstream; acquire
// and release events for logging.
import test from 'ava';
import { SessionKeeper, SessionPool, cookieStrategy, type AcquireEvent, type CookieSession, type LogoutEvent, type ReleaseEvent } from '@session-policy/client';
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

const nextEvent = <T>(emitter: { once(name: string, listener: (event: T) => void): unknown }, name: string): Promise<T> =>
  new Promise((resolve) => emitter.once(name, resolve));

test('keeper: an idle session is logged out upstream after idleTimeout; the next call logs in again', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), idleTimeout: 150 });
  const acquired: AcquireEvent[] = [];
  const released: ReleaseEvent[] = [];
  keeper.on('acquire', (event) => acquired.push(event));
  keeper.on('release', (event) => released.push(event));

  const loggedOut = nextEvent<LogoutEvent>(keeper, 'logout');
  await Promise.all([keeper.run('alice', readData), keeper.run('alice', readData)]);
  t.is(upstream.active('alice'), 1);
  const event = await loggedOut;
  t.like(event, { key: 'alice', generation: 1, reason: 'idle' });
  t.is(upstream.active('alice'), 0, 'logged out upstream');
  t.is(keeper.state('alice'), 'disconnected');
  t.like(keeper.stats(), { active: 0, finalized: 1 });

  t.is((await keeper.run('alice', readData)).user, 'alice');
  t.is(upstream.counts.logins, 2);
  t.deepEqual(
    acquired.map((e) => e.generation),
    [1, 1, 2],
  );
  t.deepEqual(
    released.map((e) => [e.generation, e.outcome]),
    [
      [1, 'release'],
      [1, 'release'],
      [2, 'release'],
    ],
  );
  t.true(acquired.every((e) => e.waited >= 0) && released.every((e) => e.held >= 0));
  await keeper.close();
});

test('keeper: a session in use is not idle', async (t) => {
  const upstream = await startUpstream({ workDelay: 5 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), idleTimeout: 100 });
  let idle = 0;
  keeper.on('logout', (event) => event.reason === 'idle' && idle++);
  // Calls back to back for longer than the idle timeout: never idle in between.
  const until = Date.now() + 400;
  while (Date.now() < until) await keeper.run('alice', readData);
  t.is(idle, 0);
  t.is(upstream.counts.logins, 1);
  await keeper.close();
});

test('pool: idle sessions are logged out after idleTimeout; acquire/release events tell each lease', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 2, idleTimeout: 150 });
  const released: ReleaseEvent[] = [];
  pool.on('release', (event) => released.push(event));
  const acquired: AcquireEvent[] = [];
  pool.on('acquire', (event) => acquired.push(event));
  const idleLogouts: LogoutEvent[] = [];
  pool.on('logout', (event) => event.reason === 'idle' && idleLogouts.push(event));

  const a = await pool.acquire('alice');
  const b = await pool.acquire('alice');
  a.release();
  b.discard();
  t.is(upstream.active('alice'), 2, 'discard lets go without a logout');
  while (idleLogouts.length < 1) await new Promise((resolve) => setTimeout(resolve, 20));
  t.like(idleLogouts[0], { key: 'alice', generation: 1 });
  t.deepEqual(pool.size('alice'), { leased: 0, idle: 0, creating: 0, waiting: 0 });
  t.is(upstream.active('alice'), 1, 'the idle one was logged out upstream');
  t.deepEqual(
    released.map((e) => [e.generation, e.outcome]),
    [
      [1, 'release'],
      [2, 'discard'],
    ],
  );
  t.deepEqual(
    acquired.map((e) => e.generation),
    [1, 2],
  );
  await pool.close();
});
