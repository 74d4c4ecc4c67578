// Points 3, 4 and 5 of issue 18: failing logins single-flight in the pool, cooldown after
// refused credentials, login and logout timeouts, close() during a login.
import test from 'ava';
import { SessionKeeper, SessionPool, cookieStrategy, type CookieSession, type LogoutEvent } from '@session-policy/client';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const strategyFor = (upstream: Upstream, password = (user: string) => `${user}-pw`) =>
  cookieStrategy({
    baseUrl: upstream.url,
    loginUrl: '/login',
    logoutUrl: '/logout',
    credentials: (user: string) => ({ username: user, password: password(user) }),
  });

async function readData(session: CookieSession): Promise<{ user: string }> {
  const response = await session.fetch('/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { user: string };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const codeOf = (outcome: PromiseSettledResult<unknown>): string | undefined =>
  outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : 'fulfilled';

test('pool, wrong password, 50 callers: one refused login upstream, a typed error for all, then a cooldown until reset', async (t) => {
  const upstream = await startUpstream({ maxSessions: 3 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream, () => 'wrong'), max: 3, retry: { attempts: 5, initialDelay: 1 } });

  const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => pool.run('alice', readData)));

  t.is(upstream.user('alice').refusedLogins, 1);
  t.is(upstream.counts.loginAttempts, 1);
  for (const outcome of outcomes) t.true(['ERR_UPSTREAM_LOGIN_FAILED', 'ERR_UPSTREAM_LOGIN_COOLDOWN'].includes(codeOf(outcome)!), codeOf(outcome));
  await t.throwsAsync(pool.acquire('alice'), { code: 'ERR_UPSTREAM_LOGIN_COOLDOWN' } as never);
  t.is(upstream.counts.loginAttempts, 1, 'the cooldown asks nothing upstream');
  await pool.resetCooldown('alice');
  await t.throwsAsync(pool.acquire('alice'), { code: 'ERR_UPSTREAM_LOGIN_FAILED' } as never);
  t.is(upstream.counts.loginAttempts, 2);
  t.like(pool.stats(), { created: 0, active: 0 });
  await pool.close();
});

test('pool, upstream down, 20 callers: one login with its retries (3 attempts), ERR_UPSTREAM_UNAVAILABLE for all', async (t) => {
  const upstream = await startUpstream({ maxSessions: 3 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 3, retry: { attempts: 3, initialDelay: 5 } });
  upstream.failNextLogins(1000);

  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => pool.run('alice', readData)));

  t.true(outcomes.every((outcome) => codeOf(outcome) === 'ERR_UPSTREAM_UNAVAILABLE'));
  t.is(upstream.counts.loginAttempts, 3);

  // Back up: logins run side by side again, one per session.
  upstream.failNextLogins(0);
  const results = await Promise.all(Array.from({ length: 20 }, () => pool.run('alice', readData)));
  t.true(results.every((r) => r.user === 'alice'));
  t.true(upstream.counts.logins <= 3);
  t.is(upstream.counts.evictions, 0);
  await pool.close();
});

test('pool, a failure among healthy logins: the rest of the failing logins go one at a time', async (t) => {
  const upstream = await startUpstream({ maxSessions: 5 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 5, retry: { attempts: 3, initialDelay: 5 } });
  t.is((await pool.run('alice', readData)).user, 'alice');
  const lease = await pool.acquire('alice');
  upstream.failNextLogins(1000);
  const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => pool.acquire('alice')));
  t.true(outcomes.every((outcome) => codeOf(outcome) === 'ERR_UPSTREAM_UNAVAILABLE'));
  // 4 places were free: at most 4 first attempts side by side, then one probe's 2 retries.
  t.true(upstream.counts.loginAttempts - 1 <= 4 + 2, `${upstream.counts.loginAttempts} attempts`);
  lease.release();
  await pool.close();
});

test('keeper: a login that never answers is given up after loginTimeout, retried, and ends with ERR_UPSTREAM_UNAVAILABLE', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), loginTimeout: 600, retry: { attempts: 2, initialDelay: 5 } });
  const failures: string[] = [];
  keeper.on('loginfailed', (event) => failures.push((event.error as { code: string }).code));
  upstream.setDelay('login', Infinity);

  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => keeper.run('alice', readData)));

  for (const outcome of outcomes) {
    t.is(codeOf(outcome), 'ERR_UPSTREAM_UNAVAILABLE');
    t.is(((outcome as PromiseRejectedResult).reason.cause as { code: string }).code, 'ERR_UPSTREAM_TIMEOUT');
  }
  t.deepEqual(failures, ['ERR_UPSTREAM_TIMEOUT', 'ERR_UPSTREAM_TIMEOUT']);
  // Two attempts were made; on a loaded machine an aborted one may not have reached the upstream.
  t.true(upstream.counts.loginAttempts <= 2);
  t.is(keeper.state('alice'), 'disconnected');

  upstream.setDelay('login', 0);
  t.is((await keeper.run('alice', readData)).user, 'alice');
  await keeper.close();
});

test('keeper: a login that answers after its timeout (the strategy ignores its signal) is logged out when it arrives', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const base = strategyFor(upstream);
  // A strategy that does not pass the signal on: the keeper cannot stop its request.
  const deaf = { ...base, login: (user: string, context: Parameters<typeof base.login>[1]) => base.login(user, { ...context, signal: new AbortController().signal }) };
  const keeper = new SessionKeeper({ strategy: deaf, loginTimeout: 100, retry: { attempts: 1 } });
  const logouts: LogoutEvent[] = [];
  keeper.on('logout', (event) => logouts.push(event));
  upstream.setDelay('login', 400);

  await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_UPSTREAM_UNAVAILABLE' } as never);
  await until(() => logouts.length === 1, 'the late session to be logged out');
  t.is(logouts[0]!.reason, 'orphan');
  t.is(upstream.counts.logins, 1);
  t.is(upstream.active('alice'), 0, 'no session left alive upstream');
  t.like(keeper.stats(), { active: 0, created: 1, finalized: 1 });
  await keeper.close();
});

test('keeper: close() is bounded when the logout never answers', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), logoutTimeout: 100 });
  const logouts: LogoutEvent[] = [];
  keeper.on('logout', (event) => logouts.push(event));
  await keeper.run('alice', readData);
  upstream.setDelay('logout', Infinity);

  await keeper.close();

  t.is(logouts.length, 1);
  t.is((logouts[0]!.error as { code: string }).code, 'ERR_UPSTREAM_TIMEOUT');
  t.like(keeper.stats(), { active: 0, finalized: 1 });
});

test('keeper: close() during a login that never answers resolves after logoutTimeout', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), logoutTimeout: 100 });
  upstream.setDelay('login', Infinity);
  const call = keeper.run('alice', readData);
  await until(() => upstream.hanging === 1, 'the login to reach the upstream');
  await keeper.close();
  await t.throwsAsync(call, { code: 'ERR_KEEPER_CLOSED' } as never);
  t.is(keeper.stats().active, 0);
});

test('pool: close() during a login lets it finish and logs its session out', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 2 });
  upstream.setDelay('login', 200);
  const acquiring = pool.acquire('alice');
  await until(() => upstream.hanging === 1, 'the login to reach the upstream');
  await pool.close();
  await t.throwsAsync(acquiring, { code: 'ERR_POOL_CLOSED' } as never);
  t.is(upstream.counts.logins, 1);
  t.is(upstream.counts.logouts, 1);
  t.is(upstream.active('alice'), 0, 'no session left alive upstream');
  t.like(pool.stats(), { created: 1, finalized: 1, active: 0 });
});

test('pool: login timeout, then close() bounded when the logout never answers', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 2, loginTimeout: 600, logoutTimeout: 100, retry: { attempts: 2, initialDelay: 5 } });
  upstream.setDelay('login', Infinity);
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => pool.acquire('alice')));
  t.true(outcomes.every((outcome) => codeOf(outcome) === 'ERR_UPSTREAM_UNAVAILABLE'));
  t.is(pool.stats().logins, 2, 'one login, two attempts, for the five callers');
  t.true(upstream.counts.loginAttempts <= 2);

  upstream.setDelay('login', 0);
  (await pool.acquire('alice')).release();
  upstream.setDelay('logout', Infinity);
  const logouts: LogoutEvent[] = [];
  pool.on('logout', (event) => logouts.push(event));
  await pool.close();
  t.is((logouts[0]!.error as { code: string }).code, 'ERR_UPSTREAM_TIMEOUT');
});
