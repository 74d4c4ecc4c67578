import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SessionPool, cookieStrategy, type CookieSession, type DetachedSession } from '@session-policy/client';
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

test('the cap holds under 200 concurrent acquirers, and no session is evicted upstream', async (t) => {
  const upstream = await startUpstream({ maxSessions: 3, workDelay: 3 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 3 });
  let leased = 0;
  let peak = 0;
  let peakWaiting = 0;

  const results = await Promise.all(
    Array.from({ length: 200 }, () =>
      pool.run('alice', async (session) => {
        peak = Math.max(peak, ++leased);
        peakWaiting = Math.max(peakWaiting, pool.size('alice').waiting);
        try {
          return await readData(session);
        } finally {
          leased--;
        }
      }),
    ),
  );

  t.true(results.every((r) => r.user === 'alice'));
  t.is(peak, 3);
  t.true(peakWaiting > 0, 'callers beyond the cap waited');
  t.is(upstream.counts.logins, 3);
  t.is(upstream.counts.evictions, 0);
  t.is(upstream.counts.served, 200);
  t.deepEqual(pool.size('alice'), { leased: 0, idle: 3, creating: 0, waiting: 0 });
  t.like(pool.stats(), { logins: 3, created: 3, active: 3 });
  await pool.close();
  t.is(upstream.counts.logouts, 3);
  t.like(pool.stats(), { finalized: 3, active: 0 });
});

test('detach / attach round trip through JSON in another process keeps the same upstream session', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 1 });
  const lease = await pool.acquire('alice');
  t.is((await readData(lease.session)).user, 'alice');
  const detached = lease.detach();
  t.deepEqual(pool.size('alice'), { leased: 0, idle: 0, creating: 0, waiting: 0 });
  t.throws(() => lease.release(), { code: 'ERR_LEASE_ENDED' } as never);

  const worker = fileURLToPath(new URL('helpers/attach-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=session-policy-source', '--import=tsx', worker, upstream.url], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(detached));
  let output = '';
  for await (const chunk of child.stdout) output += String(chunk);
  const code = await new Promise((resolve) => child.once('close', resolve));
  t.is(code, 0);
  const { body, stats, back } = JSON.parse(output) as { body: { user: string }; stats: { logins: number; created: number }; back: DetachedSession };
  t.is(body.user, 'alice');
  t.like(stats, { logins: 0, created: 1 });
  t.is(upstream.counts.logins, 1, 'the other process used the session without logging in');

  const again = pool.attach('alice', back);
  t.is((await readData(again.session)).user, 'alice');
  t.is(upstream.counts.logins, 1);
  t.throws(() => pool.attach('alice', back), { code: 'ERR_POOL_FULL' } as never);
  t.throws(() => pool.attach('bob', back), { code: 'ERR_INVALID_DETACHED' } as never);
  t.throws(() => pool.attach('alice', { ...back, type: 'x' } as never), { code: 'ERR_INVALID_DETACHED' } as never);
  again.release();
  await pool.close();
  t.is(upstream.counts.logouts, 1);
});

test('acquire times out with ERR_POOL_TIMEOUT and honours an abort signal', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 1, acquireTimeout: 40 });
  const held = await pool.acquire('alice');
  await t.throwsAsync(pool.acquire('alice'), { code: 'ERR_POOL_TIMEOUT' } as never);
  const controller = new AbortController();
  const waiting = pool.acquire('alice', { signal: controller.signal, timeout: Infinity });
  controller.abort(new Error('stop'));
  await t.throwsAsync(waiting, { message: 'stop' });
  t.is(pool.size('alice').waiting, 0);
  held.release();
  const next = await pool.acquire('alice');
  t.is(next.generation, 1, 'the idle session was reused');
  next.release();
  await pool.close();
});

test('close() fails the waiters, logs out idle sessions now and leased ones when released', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 2 });
  const a = await pool.acquire('alice');
  const b = await pool.acquire('alice');
  b.release();
  const c = await pool.acquire('bob');
  const d = await pool.acquire('bob');
  const bobWaiter = pool.acquire('bob');
  let closed = false;
  const idleLoggedOut = once(pool, 'logout');
  const closing = pool.close().then(() => (closed = true));

  await t.throwsAsync(bobWaiter, { code: 'ERR_POOL_CLOSED' } as never);
  await t.throwsAsync(pool.acquire('alice'), { code: 'ERR_POOL_CLOSED' } as never);
  const [event] = (await idleLoggedOut) as [{ key: string; generation: number }];
  t.like(event, { key: 'alice', generation: 2 });
  t.is(upstream.counts.logouts, 1, 'the idle session is logged out at once');
  t.false(closed, 'close waits for leased sessions');
  a.release();
  c.release();
  d[Symbol.dispose]();
  await closing;
  t.is(upstream.counts.logouts, 4);
  t.like(pool.stats(), { created: 4, finalized: 4, active: 0 });
});

test('run() discards an expired session and retries once with a new one (a renewal)', async (t) => {
  const upstream = await startUpstream({ maxSessions: 2 });
  t.teardown(() => upstream.close());
  const pool = new SessionPool({ strategy: strategyFor(upstream), max: 2 });
  t.is((await pool.run('alice', readData)).user, 'alice');
  upstream.revoke('alice');
  const logins: Array<[number, boolean]> = [];
  pool.on('login', (event) => logins.push([event.generation, event.renewal]));
  const renewals: Array<[number, number]> = [];
  pool.on('renewal', (event) => renewals.push([event.from, event.to]));
  let attempts = 0;
  t.is(
    (
      await pool.run('alice', async (session, context) => {
        attempts = context.attempt;
        return readData(session);
      })
    ).user,
    'alice',
  );
  t.is(attempts, 2);
  t.deepEqual(logins, [[2, true]]);
  t.deepEqual(renewals, [[1, 2]]);
  t.like(pool.stats(), { logins: 2, renewals: 1, created: 2, finalized: 1, active: 1 });
  t.is(upstream.counts.logins, 2);
  await pool.close();
});

test('pool options are validated at construction', (t) => {
  const strategy = { login: async () => 'session' };
  for (const [options, option] of [
    [{ max: 1 }, 'strategy'],
    [{ strategy, max: 0 }, 'max'],
    [{ strategy, max: 1, acquireTimeout: 0 }, 'acquireTimeout'],
    [{ strategy, max: 1, acquiretimeout: 50 }, 'acquiretimeout'],
    [{ strategy, max: 1, idleTimout: 50 }, 'idleTimout'],
  ] as const) {
    const error = t.throws(() => new SessionPool(options as never), { code: 'ERR_INVALID_OPTION' } as never);
    t.is((error as unknown as { option: string }).option, option);
  }
});

test('acquire() refuses an unknown option before taking a session', async (t) => {
  let logins = 0;
  const pool = new SessionPool({ strategy: { login: async () => `s${++logins}` }, max: 1 });
  await t.throwsAsync(pool.acquire('alice', { timeot: 10 } as never), { code: 'ERR_INVALID_OPTION', message: /"timeot"/ } as never);
  t.is(logins, 0);
  t.like(pool.size('alice'), { leased: 0 });
  await pool.close();
});
