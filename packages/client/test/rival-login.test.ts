// Point 1 of issue 18: someone else logs in as the user while the keeper's callers work.
// No state-transition error may reach a caller, and the keeper must recover.
import test from 'ava';
import { CookieJar } from 'tough-cookie';
import fetchCookie from 'fetch-cookie';
import { SessionKeeper, cookieStrategy, type CookieSession, type StateChange } from '@session-policy/client';
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

/** Logs in as the user from outside the keeper, killing the keeper's session upstream. */
async function rivalLogin(upstream: Upstream, user: string): Promise<void> {
  const response = await fetchCookie(fetch, new CookieJar())(`${upstream.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: `${user}-pw` }),
  });
  await response.arrayBuffer();
}

test('a rival logging in again and again during 150 concurrent calls: every failure is typed, the keeper recovers', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 15 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream), retry: { initialDelay: 1 } });
  const changes: StateChange[] = [];
  keeper.on('statechange', (change) => changes.push(change));

  for (let round = 0; round < 3; round++) {
    let rivalry = true;
    const rival = (async () => {
      while (rivalry) {
        await rivalLogin(upstream, 'alice');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 150 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i % 50));
        return keeper.run('alice', readData);
      }),
    );
    rivalry = false;
    await rival;

    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as { code?: string; message: string });
    for (const failure of failures) t.is(failure.code, 'ERR_UPSTREAM_SESSION_EXPIRED', failure.message);
    t.true(failures.length > 0, 'the rival did end sessions in flight');

    // Recovery: once the rival stops, every call works again, with one more login at most.
    const before = upstream.counts.logins;
    const after = await Promise.all(Array.from({ length: 50 }, () => keeper.run('alice', readData)));
    t.true(after.every((r) => r.user === 'alice'));
    t.true(upstream.counts.logins - before <= 1);
    t.is(keeper.state('alice'), 'connected');
  }
  t.true(changes.length > 0);
  await keeper.close();
  t.is(keeper.state('alice'), 'disconnected');
});

test('a new login while older work still runs after the previous session expired twice (the reported sequence)', async (t) => {
  const upstream = await startUpstream({ maxSessions: 1, workDelay: 5 });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({ strategy: strategyFor(upstream) });
  const changes: string[] = [];
  keeper.on('statechange', (change) => changes.push(`${change.from}>${change.to}`));

  // X holds generation 1 and is still working when everything below happens.
  let finishX!: () => void;
  const xMayGoOn = new Promise<void>((resolve) => (finishX = resolve));
  let xStarted!: () => void;
  const xRunning = new Promise<void>((resolve) => (xStarted = resolve));
  const x = keeper.run('alice', async (session, { attempt }) => {
    if (attempt === 1) {
      xStarted();
      await xMayGoOn;
    }
    return readData(session);
  });
  await xRunning;

  // Y: a rival login before each of its attempts, so it sees expiry twice and gives up.
  const y = keeper.run('alice', async (session) => {
    await rivalLogin(upstream, 'alice');
    return readData(session);
  });
  const yError = await t.throwsAsync(y);
  t.is((yError as unknown as { code: string }).code, 'ERR_UPSTREAM_SESSION_EXPIRED');
  t.is(keeper.state('alice'), 'disconnected', 'it let the session go while X still runs');

  // Z logs in while X still runs: the login ends with work running (→ executing), which the old table forbade.
  t.is((await keeper.run('alice', readData)).user, 'alice');
  t.is(keeper.state('alice'), 'executing', 'X still runs with the new current session around');

  finishX();
  t.is((await x).user, 'alice', 'X saw its old session expire and retried with the new one');
  t.is(keeper.state('alice'), 'connected');
  t.true(changes.includes('disconnected>reconnecting') && changes.includes('reconnecting>executing'), changes.join(' '));
  await keeper.close();
});
