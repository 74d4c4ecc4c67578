// The client keeper (@session-policy/client) against the Express example configured like
// the SSO of seed 000: one active session per user, a new login evicts the old one.
import test from 'ava';
import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { SessionKeeper, SessionPool, cookieStrategy, type CookieSession } from '@session-policy/client';
import { startExample, type RunningExample } from '../src/app.js';

interface Counted {
  readonly example: RunningExample;
  readonly counts: { admitted: number; evicted: number; loginRequests: number };
  /** `fetch` that counts the requests to `/login`. */
  readonly fetch: typeof globalThis.fetch;
}

async function start(maxSessions: number): Promise<Counted> {
  const example = await startExample({ maxSessions, onLimit: 'evict' });
  const counts = { admitted: 0, evicted: 0, loginRequests: 0 };
  example.registry.on('admitted', () => counts.admitted++);
  example.registry.on('evicted', () => counts.evicted++);
  const counting: typeof globalThis.fetch = (input, init) => {
    if (new URL(input instanceof Request ? input.url : input).pathname === '/login') counts.loginRequests++;
    return fetch(input, init);
  };
  return { example, counts, fetch: counting };
}

function strategy({ example, fetch }: Counted, password = (user: string) => `${user}-pw`) {
  return cookieStrategy({
    baseUrl: example.url,
    loginUrl: '/login',
    logoutUrl: '/logout',
    headers: { accept: 'application/json' },
    credentials: (user: string) => ({ username: user, password: password(user) }),
    fetch,
  });
}

async function readData(session: CookieSession): Promise<{ user: string; data: string }> {
  const response = await session.fetch('/api/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { user: string; data: string };
}

test('100 concurrent calls for one user through the keeper: exactly 1 login, 0 evictions, all succeed', async (t) => {
  const server = await start(1);
  t.teardown(() => server.example.close());
  const keeper = new SessionKeeper({ strategy: strategy(server) });

  const results = await Promise.all(Array.from({ length: 100 }, () => keeper.run('alice', readData)));

  t.is(results.length, 100);
  t.true(results.every((r) => r.user === 'alice' && r.data === 'secret data for alice'));
  t.is(server.counts.admitted, 1);
  t.is(server.counts.evicted, 0);
  t.is(server.counts.loginRequests, 1);
  t.like(keeper.stats(), { logins: 1, created: 1, failures: 0 });
  t.like(server.example.registry.stats(), { admitted: 1, active: 1 });
  await keeper.close();
  t.is(server.example.registry.stats().ended.logout, 1, 'close() logged the session out');
});

test('the same 100 calls done naively (login per call) evict each other and fail', async (t) => {
  const server = await start(1);
  t.teardown(() => server.example.close());
  const naive = async (): Promise<number> => {
    const http = fetchCookie(fetch, new CookieJar());
    const login = await http(`${server.example.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'alice-pw' }),
    });
    await login.arrayBuffer();
    const data = await http(`${server.example.url}/api/data`, { headers: { accept: 'application/json' } });
    await data.arrayBuffer();
    return data.status;
  };

  const statuses = await Promise.all(Array.from({ length: 100 }, naive));

  const failed = statuses.filter((status) => status === 401).length;
  t.is(server.counts.admitted, 100);
  t.is(server.counts.evicted, 99);
  t.true(failed > 0, `callers killed each other's sessions (${failed} of 100 failed)`);
  t.is(failed + statuses.filter((status) => status === 200).length, 100);
});

test('expiry in the middle of a burst (revoked on the server): exactly one re-login, every caller succeeds', async (t) => {
  const server = await start(1);
  t.teardown(() => server.example.close());
  const keeper = new SessionKeeper({ strategy: strategy(server) });
  let done = 0;
  let retried = 0;
  let revoked: Promise<unknown[]> | undefined;
  let revocationDone!: () => void;
  const revocation = new Promise<void>((resolve) => (revocationDone = resolve));

  const results = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      // The first half starts at once; the second half after the revocation, so the
      // burst surely straddles it.
      await (i < 50 ? new Promise((resolve) => setTimeout(resolve, i)) : revocation);
      const result = await keeper.run('alice', async (session, { attempt }) => {
        if (attempt === 2) retried++;
        return readData(session);
      });
      if (++done === 30) {
        revoked = server.example.registry.endAll({ id: 'alice' }, { reason: 'revoked' });
        void revoked.then(revocationDone);
      }
      return result;
    }),
  );

  t.truthy(revoked, 'the revocation happened mid-burst');
  t.is((await revoked)?.length, 1, 'the server ended the one session');
  t.true(results.every((r) => r.user === 'alice'));
  t.true(retried > 0, 'the revocation hit callers');
  t.is(server.counts.admitted, 2, 'one login, one re-login');
  t.is(server.counts.loginRequests, 2);
  t.is(server.counts.evicted, 0);
  t.like(keeper.stats(), { logins: 2, renewals: 1 });
  await keeper.close();
});

test('wrong password: a typed error, exactly one attempt, no retry loop', async (t) => {
  const server = await start(1);
  t.teardown(() => server.example.close());
  const keeper = new SessionKeeper({ strategy: strategy(server, () => 'wrong'), retry: { attempts: 5, initialDelay: 1 } });

  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => keeper.run('alice', readData)));

  t.true(outcomes.every((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'ERR_UPSTREAM_LOGIN_FAILED'));
  t.is(server.counts.loginRequests, 1);
  t.is(server.counts.admitted, 0);
  t.like(keeper.stats(), { logins: 1, failures: 1, created: 0 });
  await keeper.close();
});

test('pool against a limit of 3: the cap holds under 200 concurrent acquirers, nothing is evicted', async (t) => {
  const server = await start(3);
  t.teardown(() => server.example.close());
  const pool = new SessionPool({ strategy: strategy(server), max: 3 });
  let leased = 0;
  let peak = 0;

  const results = await Promise.all(
    Array.from({ length: 200 }, () =>
      pool.run('bob', async (session) => {
        peak = Math.max(peak, ++leased);
        try {
          return await readData(session);
        } finally {
          leased--;
        }
      }),
    ),
  );

  t.true(results.every((r) => r.user === 'bob'));
  t.true(peak <= 3);
  t.true(server.counts.admitted <= 3);
  t.is(server.counts.evicted, 0);
  await pool.close();
  t.is(server.example.registry.stats().active, 0, 'close() logged every pooled session out');
});
