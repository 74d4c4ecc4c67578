// Point 6 of issue 18: cookieStrategy's isRefused reads the body; form-encoded logins.
import test from 'ava';
import { SessionKeeper, bearerStrategy, cookieStrategy, type CookieSession } from '@session-policy/client';
import { startUpstream } from './helpers/upstream.js';

async function readData(session: CookieSession): Promise<{ user: string }> {
  const response = await session.fetch('/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { user: string };
}

/** The SSO answers a wrong password with 200 and `{ ok: false }`: only the body tells. */
const refusedInBody = async (response: Response): Promise<boolean> => {
  const body = (await response.json()) as { ok?: boolean };
  return body.ok === false;
};

test('an async isRefused reads the body: a refusal in a 200 body is one attempt and ERR_UPSTREAM_LOGIN_FAILED', async (t) => {
  const upstream = await startUpstream({ refuseWith: 'body' });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({
    strategy: cookieStrategy({
      baseUrl: upstream.url,
      loginUrl: '/login',
      credentials: (user: string) => ({ username: user, password: 'wrong' }),
      isRefused: refusedInBody,
    }),
    retry: { attempts: 3, initialDelay: 1 },
  });
  await t.throwsAsync(keeper.run('alice', readData), { code: 'ERR_UPSTREAM_LOGIN_FAILED' } as never);
  t.is(upstream.counts.loginAttempts, 1, 'not retried');
  t.is(upstream.counts.refusedLogins, 1);
  await keeper.close();
});

test('the same isRefused lets a good login through (the body was readable, the cookie kept)', async (t) => {
  const upstream = await startUpstream({ refuseWith: 'body' });
  t.teardown(() => upstream.close());
  const keeper = new SessionKeeper({
    strategy: cookieStrategy({
      baseUrl: upstream.url,
      loginUrl: '/login',
      credentials: (user: string) => ({ username: user, password: `${user}-pw` }),
      isRefused: (response) => response.clone().json().then((body) => (body as { ok?: boolean }).ok === false),
    }),
  });
  t.is((await keeper.run('alice', readData)).user, 'alice');
  t.is(upstream.counts.logins, 1);
  await keeper.close();
});

test('loginFormat "form" posts the credentials form-encoded', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const seen: string[] = [];
  const keeper = new SessionKeeper({
    strategy: cookieStrategy({
      baseUrl: upstream.url,
      loginUrl: '/login',
      loginFormat: 'form',
      credentials: (user: string) => ({ username: user, password: `${user}-pw` }),
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers).get('content-type') ?? '');
        return fetch(input, init);
      },
    }),
  });
  t.is((await keeper.run('bob', readData)).user, 'bob');
  t.is(seen[0], 'application/x-www-form-urlencoded');
  t.is(upstream.user('bob').logins, 1);
  await keeper.close();
  t.throws(() => cookieStrategy({ loginUrl: 'http://x/login', credentials: () => ({}), loginFormat: 'xml' as never }), {
    code: 'ERR_INVALID_OPTION',
  } as never);
});

test('the fetch strategies refuse wrong and misspelt options at construction, naming them', (t) => {
  const option = (make: () => unknown) => (t.throws(make, { code: 'ERR_INVALID_OPTION' } as never) as unknown as { option: string }).option;
  const credentials = () => ({});
  t.is(option(() => cookieStrategy({ loginUrl: 'http://x/login', credentials, logouturl: '/out' } as never)), 'logouturl');
  t.is(option(() => cookieStrategy({ loginUrl: '/login', credentials })), 'loginUrl', 'a path without a baseUrl');
  t.is(option(() => cookieStrategy({ loginUrl: 'http://x/login', credentials: 'pw' as never })), 'credentials');
  t.is(option(() => cookieStrategy({ loginUrl: '/login', baseUrl: 'not a url', credentials })), 'baseUrl');
  t.is(option(() => cookieStrategy({ loginUrl: 'http://x/login', credentials, fetch: 'x' as never })), 'fetch');
  t.is(option(() => bearerStrategy({ login: 'token' as never })), 'login');
  t.is(option(() => bearerStrategy({ login: async () => 't', schema: 'Token' } as never)), 'schema');
  t.is(option(() => bearerStrategy({ login: async () => 't', scheme: 'Bad Scheme' })), 'scheme');
  t.is(option(() => bearerStrategy({ login: async () => 't', headers: [['a']] as never })), 'headers');
  t.truthy(cookieStrategy({ loginUrl: '/login', baseUrl: 'http://x', credentials, logoutUrl: '/logout', headers: { 'x-app': '1' } }));
  t.truthy(bearerStrategy({ login: async () => 't', scheme: 'Token' }));
});
