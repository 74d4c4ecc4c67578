// The per-request path of an active session with nothing due (issue 15), on every adapter,
// through a listening server: no store call but the in-memory `peek` (no `check`, no
// write), and no promise beyond what an empty hook at the same place of the framework
// costs (counted with async_hooks while each request is served; serial tests, since the
// hook sees the whole process).
import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import { Agent, request as httpRequest, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import expressSession from 'express-session';
import Koa from 'koa';
import koaSession from 'koa-session';
import Hapi, { type Plugin } from '@hapi/hapi';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { SessionRegistry, createMemoryStore, type SessionStore } from '@session-policy/core';
import { sessionPolicy as expressPolicy } from '@session-policy/express';
import { sessionPolicy as koaPolicy } from '@session-policy/koa';
import { plugin as hapiPolicy } from '@session-policy/hapi';
import { sessionPolicy as fastifyPolicy } from '@session-policy/fastify';

const Cookie = createRequire(import.meta.url)('@hapi/cookie') as { plugin: Plugin<void> };
const SECRET = 'a-secret-of-at-least-thirty-two-characters!';
const REQUESTS = 20;

/** The embedded store, counting the calls it gets. */
class CountingStore implements SessionStore {
  readonly name = 'counting-memory';
  readonly calls: Record<string, number> = {};
  readonly #store = createMemoryStore();
  #count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }
  admit(...args: Parameters<SessionStore['admit']>) {
    this.#count('admit');
    return this.#store.admit(...args);
  }
  check(...args: Parameters<SessionStore['check']>) {
    this.#count('check');
    return this.#store.check(...args);
  }
  peek(...args: Parameters<NonNullable<SessionStore['peek']>>) {
    this.#count('peek');
    return this.#store.peek!(...args);
  }
  touch(...args: Parameters<SessionStore['touch']>) {
    this.#count('touch');
    return this.#store.touch(...args);
  }
  list(...args: Parameters<SessionStore['list']>) {
    this.#count('list');
    return this.#store.list(...args);
  }
  end(...args: Parameters<SessionStore['end']>) {
    this.#count('end');
    return this.#store.end(...args);
  }
  endAll(...args: Parameters<SessionStore['endAll']>) {
    this.#count('endAll');
    return this.#store.endAll(...args);
  }
  sweep(...args: Parameters<SessionStore['sweep']>) {
    this.#count('sweep');
    return this.#store.sweep(...args);
  }
  close() {
    return this.#store.close();
  }
}

interface App {
  readonly url: string;
  close(): Promise<void>;
}
/** Starts a framework's app: with the policy on `registry`, or with an empty hook where the policy would run. */
type Start = (registry: SessionRegistry | undefined) => Promise<App>;

const listening = async (server: Server, close: () => Promise<void>): Promise<App> => {
  if (!server.listening) await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
};

const frameworks: Record<string, Start> = {
  async express(registry) {
    const app = express();
    app.use(expressSession({ name: 'sid', secret: SECRET, resave: false, saveUninitialized: false }));
    app.use(registry ? expressPolicy({ registry }) : (_req, _res, next) => next());
    app.post('/login', async (req, res) => {
      if (registry) await req.sessionPolicy.login({ id: 'alice' });
      (req.session as unknown as { user: string }).user = 'alice';
      res.end('ok');
    });
    app.get('/hello', (req, res) => void res.status((req.session as unknown as { user?: string }).user ? 200 : 401).end('hello'));
    const server = app.listen(0, '127.0.0.1');
    return listening(server, () => new Promise((resolve) => server.close(() => resolve())));
  },
  async koa(registry) {
    const app = new Koa();
    app.keys = [SECRET];
    app.use(koaSession({ key: 'sid', signed: true }, app));
    app.use(registry ? koaPolicy({ registry }) : (_ctx, next) => next());
    app.use(async (ctx) => {
      const session = (ctx as unknown as { session: { user?: string } }).session;
      if (ctx.method === 'POST') {
        if (registry) await ctx.sessionPolicy.login({ id: 'alice' });
        session.user = 'alice';
        ctx.body = 'ok';
      } else ctx.status = session.user ? 200 : 401;
    });
    const server = app.listen(0, '127.0.0.1');
    return listening(server, () => new Promise((resolve) => server.close(() => resolve())));
  },
  async hapi(registry) {
    const server = Hapi.server({ port: 0, host: '127.0.0.1' });
    await server.register(Cookie);
    server.auth.strategy('session', 'cookie', {
      cookie: { name: 'sid', password: SECRET, isSecure: false, path: '/' },
      validate: async (_request: unknown, session: { user?: unknown }) => ({ isValid: typeof session.user === 'string', credentials: {} }),
    });
    if (registry) await server.register({ plugin: hapiPolicy, options: { registry } });
    else server.ext('onCredentials', (_request, h) => h.continue);
    server.route({
      method: 'POST',
      path: '/login',
      options: { auth: { strategy: 'session', mode: 'try' } },
      handler: async (request, h) => {
        if (registry) await request.sessionPolicy.login({ id: 'alice' });
        const cookieAuth = (request as unknown as { cookieAuth: { set(key: string, value: unknown): void; set(session: object): void } }).cookieAuth;
        if (registry) cookieAuth.set('user', 'alice');
        else cookieAuth.set({ user: 'alice' });
        return h.response('ok');
      },
    });
    server.route({ method: 'GET', path: '/hello', options: { auth: { strategy: 'session', mode: 'required' } }, handler: () => 'hello' });
    await server.start();
    return listening(server.listener, () => server.stop());
  },
  async fastify(registry) {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { cookieName: 'sid', secret: SECRET, saveUninitialized: false, cookie: { secure: false, path: '/' } });
    if (registry) await app.register(fastifyPolicy, { registry });
    else app.addHook('onRequest', (_request, _reply, done) => done());
    const sessionOf = (request: unknown) => (request as { session: { get(k: string): unknown; set(k: string, v: unknown): void } }).session;
    app.post('/login', async (request, reply) => {
      if (registry) await request.sessionPolicy.login({ id: 'alice' });
      sessionOf(request).set('user', 'alice');
      return reply.send('ok');
    });
    app.get('/hello', async (request, reply) => reply.code(sessionOf(request).get('user') ? 200 : 401).send('hello'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return listening(app.server, () => app.close());
  },
};

interface Answer {
  readonly status: number;
  readonly cookies: string[];
}
/** One request with node:http's callback API (no promise on the client's side). */
function send(agent: Agent, url: string, method: string, cookie: string, done: (answer: Answer) => void): void {
  const req = httpRequest(`${url}${method === 'POST' ? '/login' : '/hello'}`, { method, agent, headers: cookie ? { cookie } : {} }, (res) => {
    res.resume();
    res.on('end', () => done({ status: res.statusCode ?? 0, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!) }));
  });
  req.end();
}
const call = (agent: Agent, url: string, method: string, cookie = '') => new Promise<Answer>((resolve) => send(agent, url, method, cookie, resolve));

/** Logs in, then serves `REQUESTS` signed-in requests one by one, counting the promises made while each is served. */
async function measure(start: Start, registry: SessionRegistry | undefined, store?: CountingStore) {
  const app = await start(registry);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const login = await call(agent, app.url, 'POST');
    const cookie = login.cookies.join('; ');
    // Warm: the first requests compile code and fill caches.
    for (let i = 0; i < 5; i++) await call(agent, app.url, 'GET', cookie);
    for (const name of Object.keys(store?.calls ?? {})) store!.calls[name] = 0;
    let promises = 0;
    const hook = createHook({ init: (_id, type) => void (type === 'PROMISE' && promises++) });
    const perRequest: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const answer = await new Promise<Answer>((resolve) => {
        promises = 0;
        hook.enable();
        send(agent, app.url, 'GET', cookie, (a) => {
          hook.disable();
          perRequest.push(promises);
          resolve(a);
        });
      });
      statuses.push(answer.status);
    }
    return { statuses, promises: Math.min(...perRequest), calls: { ...store?.calls } };
  } finally {
    agent.destroy();
    await app.close();
  }
}

for (const [framework, start] of Object.entries(frameworks)) {
  test.serial(`${framework}: an active session's request makes no store call but peek, no write and no promise of ours`, async (t) => {
    // The empty hook first, before any registry exists: no registry's timers (flush, sweep)
    // can fall into its windows.
    const emptyHook = await measure(start, undefined);
    let baseline = emptyHook.promises;
    const store = new CountingStore();
    // Touches are written behind, about once per touchInterval: none falls in the window here.
    const registry = new SessionRegistry({ maxSessions: 2, store, touchInterval: 600_000 });
    let withPolicy: Awaited<ReturnType<typeof measure>>;
    let promises: number;
    const reruns: number[][] = [];
    try {
      withPolicy = await measure(start, registry, store);
      promises = withPolicy.promises;
      // The hook sees the whole process: something else running at the time (the test
      // runner, a module still loading on a loaded machine, the registry's timers for a
      // baseline measured again while it is open) only adds promises, to either side. So
      // while the two differ, measure both again and keep each one's least; every rerun's
      // requests must pass too (a refused request would make fewer promises).
      for (let again = 0; again < 3 && promises !== baseline; again++) {
        const rerun = promises > baseline ? await measure(start, registry, store) : await measure(start, undefined);
        reruns.push(rerun.statuses);
        if (promises > baseline) promises = Math.min(promises, rerun.promises);
        else baseline = Math.min(baseline, rerun.promises);
      }
    } finally {
      await registry.close();
    }
    t.deepEqual(withPolicy.statuses, Array<number>(REQUESTS).fill(200), 'every request is signed in and passes');
    t.deepEqual(emptyHook.statuses, Array<number>(REQUESTS).fill(200));
    for (const statuses of reruns) t.deepEqual(statuses, Array<number>(REQUESTS).fill(200), 'every request of a rerun passes');
    t.is(withPolicy.calls.peek, REQUESTS, 'each request was answered by peek, from memory');
    for (const name of ['check', 'admit', 'touch', 'end', 'endAll', 'sweep', 'list']) t.is(withPolicy.calls[name] ?? 0, 0, `no ${name}`);
    t.is(promises, baseline, 'no promise beyond an empty hook at the same place');
  });
}

for (const [framework, start] of Object.entries(frameworks)) {
  test.serial(`${framework}: an ended session's request costs one in-memory check, and is answered from it`, async (t) => {
    const store = new CountingStore();
    const registry = new SessionRegistry({ maxSessions: 2, store, touchInterval: 600_000 });
    const app = await start(registry);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const cookie = (await call(agent, app.url, 'POST')).cookies.join('; ');
      t.is((await call(agent, app.url, 'GET', cookie)).status, 200);
      t.is((await registry.endAll('alice')).length, 1);
      for (const name of Object.keys(store.calls)) store.calls[name] = 0;
      t.is((await call(agent, app.url, 'GET', cookie)).status, 401, 'the ended session is refused');
      t.is(store.calls.peek, 1, 'one in-memory check');
      t.is(store.calls.check ?? 0, 0, 'memory told: no store check');
    } finally {
      agent.destroy();
      await app.close();
      await registry.close();
    }
  });
}
