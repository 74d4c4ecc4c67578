import test from 'ava';
import { CookieJar } from 'tough-cookie';
import {
  SessionExpiredError,
  SessionKeeper,
  bearerStrategy,
  cookieStrategy,
  UpstreamLoginError,
  type CookieSession,
  type SessionStrategy,
  type StateChange,
} from '@session-policy/client';
import fetchCookie from 'fetch-cookie';
import { startUpstream, type Upstream } from './helpers/upstream.js';

const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw' };

function strategyFor(upstream: Upstream, passwords: Record<string, string> = PASSWORDS): SessionStrategy<string, CookieSession> {
  return cookieStrategy({
    baseUrl: upstream.url,
    loginUrl: '/login',
    logoutUrl: '/logout',
    credentials: (user: string) => ({ username: user, password: passwords[user] }),
  });
}

async function readData(session: CookieSession): Promise<{ user: string }> {
  const response = await session.fetch('/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { user: string };
}

test('100 concurrent callers for one user share exactly one login, and all succeed', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const logins: number[] = [];
  keeper.on('login', (event) => logins.push(event.generation));

  const results = await Promise.all(Array.from({ length: 100 }, () => keeper.run('alice', readData)));

  t.true(results.every((r) => r.user === 'alice'));
  t.is(upstream.counts.logins, 1);
  t.is(upstream.counts.evictions, 0);
  t.is(upstream.counts.served, 100);
  t.deepEqual(logins, [1]);
  t.like(keeper.stats(), { logins: 1, created: 1, active: 1, failures: 0, renewals: 0 });
  await keeper.close();
  t.is(upstream.counts.logouts, 1);
});

test('the same 100 calls logging in per call kill each other (what the keeper prevents)', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1 });
  t.teardown(() => upstream.close());
  const naive = async (): Promise<number> => {
    const http = fetchCookie(fetch, new CookieJar());
    const login = await http(`${upstream.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-pw' }),
    });
    await login.arrayBuffer();
    const data = await http(`${upstream.url}/data`);
    await data.arrayBuffer();
    return data.status;
  };

  const statuses = await Promise.all(Array.from({ length: 100 }, naive));

  t.is(upstream.counts.logins, 100);
  t.is(upstream.counts.evictions, 99);
  const failed = statuses.filter((s) => s === 401).length;
  t.true(failed > 0, 'some calls lost their session to a sibling login');
  t.is(failed + statuses.filter((s) => s === 200).length, 100);
});

test('expiry in the middle of a burst: exactly one re-login, every caller succeeds', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 10 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const renewals: Array<[number, number]> = [];
  keeper.on('renewal', (event) => renewals.push([event.from, event.to]));
  let done = 0;
  let retried = 0;
  let revoked!: () => void;
  const revocation = new Promise<void>((resolve) => (revoked = resolve));

  const calls = Array.from({ length: 100 }, async (_, i) => {
    // The first half starts at once; the second half after the revocation, so the burst
    // surely straddles it.
    await (i < 50 ? new Promise((resolve) => setTimeout(resolve, i)) : revocation);
    const result = await keeper.run('alice', async (session, { attempt }) => {
      if (attempt === 2) retried++;
      return readData(session);
    });
    if (++done === 30) {
      t.is(upstream.revoke('alice'), 1);
      revoked();
    }
    return result;
  });
  const results = await Promise.all(calls);

  t.is(results.length, 100);
  t.true(results.every((r) => r.user === 'alice'));
  t.true(retried > 0, 'the revocation hit calls in flight or about to start');
  t.is(upstream.counts.logins, 2);
  t.is(upstream.counts.evictions, 0);
  t.deepEqual(renewals, [[1, 2]]);
  t.like(keeper.stats(), { logins: 2, created: 2, renewals: 1, finalized: 1, active: 1 });
  await keeper.close();
});

test('wrong password: a typed error for every waiting caller, exactly one attempt, no retry loop', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({
    strategy: strategyFor(upstream, { alice: 'wrong' }),
    retry: { attempts: 5, initialDelay: 1 },
  });
  const failures: boolean[] = [];
  keeper.on('loginfailed', (event) => failures.push(event.willRetry));

  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => keeper.run('alice', readData)));

  for (const outcome of outcomes) {
    t.is(outcome.status, 'rejected');
    const reason = (outcome as PromiseRejectedResult).reason as UpstreamLoginError;
    t.true(reason instanceof UpstreamLoginError);
    t.is(reason.code, 'ERR_UPSTREAM_LOGIN_FAILED');
  }
  t.is(upstream.counts.loginAttempts, 1);
  t.deepEqual(failures, [false]);
  t.like(keeper.stats(), { logins: 1, failures: 1, created: 0, active: 0 });
  t.is(keeper.state('alice'), 'disconnected');

  const cooling = await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_UPSTREAM_LOGIN_COOLDOWN' } as never);
  t.true((cooling as unknown as { cause: unknown }).cause instanceof UpstreamLoginError, 'the refusal is the cause');
  t.is(upstream.counts.loginAttempts, 1, 'a later call in the cooldown does not ask the upstream');
  await keeper.resetCooldown('alice');
  await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_UPSTREAM_LOGIN_FAILED' } as never);
  t.is(upstream.counts.loginAttempts, 2, 'after a reset, a later call tries once more, once');
  await keeper.close();
});

test('passing login failures are retried with backoff; the cap ends them with ERR_UPSTREAM_UNAVAILABLE', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({
    strategy: strategyFor(upstream),
    retry: { attempts: 3, initialDelay: 20, factor: 2, jitter: false },
  });
  const events: Array<[number, boolean]> = [];
  keeper.on('loginfailed', (event) => events.push([event.attempt, event.willRetry]));

  upstream.failNextLogins(2);
  const started = performance.now();
  t.is((await keeper.run('alice', readData)).user, 'alice');
  t.true(performance.now() - started >= 55, 'waited 20 + 40 ms between attempts');
  t.deepEqual(events, [
    [1, true],
    [2, true],
  ]);
  t.like(keeper.stats(), { logins: 3, failures: 2, created: 1 });

  await keeper.logout('alice');
  upstream.failNextLogins(10);
  const error = await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_UPSTREAM_UNAVAILABLE' } as never);
  t.is((error as unknown as { attempts: number }).attempts, 3);
  t.is(upstream.counts.loginAttempts, 6);
  await keeper.close();
});

test('work that keeps reporting expiry fails after one re-login: no ping-pong', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const alwaysExpired = async (): Promise<never> => {
    throw new SessionExpiredError('the upstream keeps saying so');
  };

  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => keeper.run('alice', alwaysExpired)));

  t.true(outcomes.every((o) => o.status === 'rejected' && (o.reason as SessionExpiredError).code === 'ERR_UPSTREAM_SESSION_EXPIRED'));
  t.is(upstream.counts.logins, 2, 'one login, one re-login, then the callers give up');
  t.is(keeper.state('alice'), 'disconnected');
  t.like(keeper.stats(), { logins: 2, renewals: 1, active: 0 });
  await keeper.close();
});

test('two keepers (two processes) for a one-session user: each call still ends, with bounded logins', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 15 });
  t.teardown(() => upstream.close());
  const a = new SessionKeeper({ strategy: strategyFor(upstream) });
  const b = new SessionKeeper({ strategy: strategyFor(upstream) });

  const outcomes = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).run('alice', readData)),
  );

  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') t.is((outcome.reason as SessionExpiredError).code, 'ERR_UPSTREAM_SESSION_EXPIRED');
  }
  // Each call logs in at most twice (first session + one renewal), whatever the other does.
  t.true(a.stats().logins <= 2 * 10 && b.stats().logins <= 2 * 10);
  t.true(upstream.counts.logins <= a.stats().logins + b.stats().logins);
  await Promise.all([a.close(), b.close()]);
});

test('lifecycle: the state machine walks the seed-003 diagram and reports each change', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const changes: string[] = [];
  keeper.on('statechange', (change: StateChange) => changes.push(`${change.from}>${change.to}`));

  t.is(keeper.state('alice'), 'disconnected');
  await keeper.run('alice', async (session) => {
    t.is(keeper.state('alice'), 'executing');
    return readData(session);
  });
  t.is(keeper.state('alice'), 'connected');
  upstream.revoke('alice');
  await keeper.run('alice', readData);
  await keeper.close();

  t.deepEqual(changes, [
    'disconnected>authenticating',
    'authenticating>connected',
    'connected>executing',
    'executing>connected',
    'connected>executing',
    'executing>connected',
    'connected>reconnecting',
    'reconnecting>connected',
    'connected>executing',
    'executing>connected',
    'connected>disconnected',
  ]);
  t.is(keeper.state('alice'), 'disconnected');
});

test('close() waits for running work, then logs out every session; later calls fail with ERR_KEEPER_CLOSED', async (t) => {
  const upstream = await startUpstream({ workDelay: 30 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const logouts: string[] = [];
  keeper.on('logout', (event) => logouts.push(`${event.key}:${event.generation}:${event.error === undefined}`));
  await keeper.run('alice', readData);
  await keeper.run('bob', readData);

  const running = keeper.run('alice', readData);
  await new Promise((resolve) => setImmediate(resolve));
  await keeper.close();

  t.is((await running).user, 'alice', 'running work finished before the logout');
  t.deepEqual(logouts.sort(), ['alice:1:true', 'bob:1:true']);
  t.is(upstream.counts.logouts, 2);
  t.is(upstream.active('alice') + upstream.active('bob'), 0);
  t.like(keeper.stats(), { created: 2, finalized: 2, active: 0 });
  t.true(keeper.closed);
  await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_KEEPER_CLOSED' } as never);
  await keeper.close();
});

test('await using logs out on scope exit', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  {
    await using keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
    await keeper.run('alice', readData);
    t.is(upstream.active('alice'), 1);
  }
  t.is(upstream.active('alice'), 0);
  t.is(upstream.counts.logouts, 1);
});

test('an aborted caller stops waiting; the shared login goes on for the others', async (t) => {
  const upstream = await startUpstream({ loginDelay: 300 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const controller = new AbortController();

  const aborted = keeper.run('alice', readData, { signal: controller.signal });
  const patient = keeper.run('alice', readData);
  setImmediate(() => controller.abort(new Error('caller gave up')));

  await t.throwsAsync(aborted, { message: 'caller gave up' });
  t.is((await patient).user, 'alice');
  t.is(upstream.counts.logins, 1);
  await t.throwsAsync(keeper.run('alice', readData, { signal: AbortSignal.abort(new Error('already')) }), { message: 'already' });
  await keeper.close();
});

test('concurrency caps the work running at once per principal', async (t) => {
  const upstream = await startUpstream({ workDelay: 10 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), concurrency: 3 });
  let running = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 20 }, () =>
      keeper.run('alice', async (session) => {
        peak = Math.max(peak, ++running);
        try {
          return await readData(session);
        } finally {
          running--;
        }
      }),
    ),
  );
  t.is(peak, 3);
  t.is(upstream.counts.served, 20);
  await keeper.close();
});

test('bearer tokens: one login for a burst, one renewal after a server-side revocation', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({
    strategy: bearerStrategy({
      baseUrl: upstream.url,
      login: async (user: string, { signal }) => {
        const response = await fetch(`${upstream.url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user, password: PASSWORDS[user] }),
          signal,
        });
        if (response.status === 401) throw new UpstreamLoginError();
        return ((await response.json()) as { token: string }).token;
      },
    }),
  });
  const read = async (session: { fetch: CookieSession['fetch'] }): Promise<string> =>
    ((await (await session.fetch('/data')).json()) as { user: string }).user;

  const first = await Promise.all(Array.from({ length: 50 }, () => keeper.run('bob', read)));
  upstream.revoke('bob');
  const second = await Promise.all(Array.from({ length: 50 }, () => keeper.run('bob', read)));

  t.true([...first, ...second].every((user) => user === 'bob'));
  t.is(upstream.counts.logins, 2);
  t.like(keeper.stats(), { logins: 2, renewals: 1 });
  await keeper.close();
});

test('options are validated at construction, naming the option', (t) => {
  const strategy = { login: async () => 'session' };
  for (const [options, option] of [
    [{}, 'strategy'],
    [{ strategy, concurrency: 0 }, 'concurrency'],
    [{ strategy, retry: { attempts: 0 } }, 'retry.attempts'],
    [{ strategy, retry: { initialDelay: 10, maxDelay: 5 } }, 'retry.maxDelay'],
    [{ strategy, retry: { factor: 0.5 } }, 'retry.factor'],
    // Misspelt names: refused, not ignored with the default left in force.
    [{ strategy, logintimeout: 1000 }, 'logintimeout'],
    [{ strategy, concurency: 2 }, 'concurency'],
    [{ strategy, retry: { attemps: 5 } }, 'retry.attemps'],
    // Not an object at all.
    [{ strategy, retry: 3 }, 'retry'],
    [7, 'options'],
  ] as const) {
    const error = t.throws(() => new SessionKeeper(options as never), { code: 'ERR_INVALID_OPTION' } as never);
    t.is((error as unknown as { option: string }).option, option);
  }
  t.regex(t.throws(() => new SessionKeeper({ strategy, logintimeout: 1 } as never))!.message, /did you mean "loginTimeout"/);
  t.regex(t.throws(() => new SessionKeeper({ strategy, concurency: 2 } as never))!.message, /it takes strategy, retry, concurrency, coordinator, loginTimeout/);
});

test('run() refuses an unknown option before logging in', async (t) => {
  let logins = 0;
  const keeper = new SessionKeeper({ strategy: { login: async () => `s${++logins}` } });
  await t.throwsAsync(keeper.run('alice', (s) => s, { singal: AbortSignal.timeout(1000) } as never), { code: 'ERR_INVALID_OPTION', message: /"singal"/ } as never);
  await t.throwsAsync(keeper.run('alice', (s) => s, 'fast' as never), { code: 'ERR_INVALID_OPTION', message: /run\(\) takes an object \(of signal\)/ } as never);
  t.is(logins, 0);
  t.is(await keeper.run('alice', (s) => s, { signal: AbortSignal.timeout(1000) }), 's1');
  await keeper.close();
});

test('principals are keyed by string, number or id; others need a key() function', async (t) => {
  const keeper = new SessionKeeper<unknown, string>({ strategy: { login: async (p) => JSON.stringify(p) } });
  t.is(await keeper.run({ id: 7, name: 'x' }, (s) => s), '{"id":7,"name":"x"}');
  t.is(await keeper.run(7, (s) => s), '{"id":7,"name":"x"}', 'same key, same session');
  await t.throwsAsync(keeper.run({ name: 'no id' }, (s) => s), { code: 'ERR_INVALID_PRINCIPAL' } as never);
  await keeper.close();
});

test('close() during a login: waiting callers fail with ERR_KEEPER_CLOSED, the login finishes and is logged out', async (t) => {
  const upstream = await startUpstream({ loginDelay: 200 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const waiting = Promise.allSettled([keeper.run('alice', readData), keeper.run('alice', readData)]);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(keeper.state('alice'), 'authenticating');
  await keeper.close();
  for (const outcome of await waiting) {
    t.is(outcome.status, 'rejected');
    t.is(((outcome as PromiseRejectedResult).reason as { code?: string }).code, 'ERR_KEEPER_CLOSED');
  }
  t.is(keeper.state('alice'), 'disconnected');
  t.like(keeper.stats(), { logins: 1, created: 1, finalized: 1, active: 0 });
  t.is(upstream.counts.logins, 1);
  t.is(upstream.counts.logouts, 1);
  t.is(upstream.active('alice'), 0, 'no session is left alive upstream');
});
