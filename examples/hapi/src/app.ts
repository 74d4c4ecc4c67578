// The hapi example: @hapi/cookie keeps the session (an encrypted cookie),
// @session-policy/hapi enforces the policy. Routes and answers follow the examples'
// contract (the same in the Express and Koa examples).
import { randomBytes } from 'node:crypto';
import Hapi, { type Request, type ResponseToolkit } from '@hapi/hapi';
import Cookie from '@hapi/cookie';
import {
  SessionPolicyError,
  LiveConnections,
  SessionRegistry,
  prefersHtml,
  type EvictionPolicy,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import { eventStreamHandler, plugin as sessionPolicy } from '@session-policy/hapi';
import { registryOptions, yes, type ExampleOptions, type RunningExample } from '../../shared/src/example-options.js';
import { devicesPage, limitPage, loginPage } from '../../shared/src/pages.js';
import { DEFAULT_USERS, authenticate } from '../../shared/src/users.js';

export type { ExampleOptions, RunningExample };


/** @hapi/cookie's request decoration (the package ships no types). */
interface CookieAuth {
  set(key: string, value: unknown): void;
}

type Body = Record<string, unknown> | null | undefined;
const html = (request: Request) => prefersHtml(request.headers.accept as string | undefined, request.headers['content-type'] as string | undefined);
const userOf = (request: Request) => (request.auth.isAuthenticated ? (request.auth.credentials as { user?: string }).user : undefined);
const json = (h: ResponseToolkit, status: number, body: unknown) => h.response(body as object).code(status);
const page = (h: ResponseToolkit, status: number, body: string) => h.response(body).type('text/html; charset=utf-8').code(status);
const home = (h: ResponseToolkit) => h.redirect('/').code(303);

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const server = Hapi.server({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    // A malformed Cookie header is no session, not a 400.
    routes: { state: { parse: true, failAction: 'ignore' } },
  });
  await server.register(Cookie);
  server.auth.strategy('session', 'cookie', {
    cookie: { name: 'sid', password: options.secret ?? randomBytes(32).toString('hex'), isSecure: false, isSameSite: 'Lax', path: '/' },
    validate: async (_request: Request, session: { user?: unknown }) =>
      typeof session.user === 'string' ? { isValid: true, credentials: { user: session.user } } : { isValid: false },
  });
  server.auth.default({ strategy: 'session', mode: 'try' });
  await server.register({ plugin: sessionPolicy, options: { registry, redirectTo: '/' } });

  server.ext('onPreResponse', (request, h) => {
    const response = request.response;
    if (response instanceof SessionPolicyError) {
      if (response.code === 'ERR_STORE' || response.code === 'ERR_CLOSED') return json(h, 503, { error: 'session_store_unavailable' });
      if (response.code.startsWith('ERR_INVALID')) return json(h, 400, { error: 'bad_request' });
    }
    if (!(response instanceof Error)) response.header('cache-control', 'no-store');
    return h.continue;
  });

  const signedIn = (request: Request, h: ResponseToolkit) => {
    if (userOf(request)) return undefined;
    return html(request) ? page(h, 401, loginPage({ error: 'Please sign in.' })) : json(h, 401, { error: 'not_logged_in' });
  };

  // Live events: a stream bound to the session, closed with the reason when it ends.
  const live = new LiveConnections(registry);
  server.ext('onPreStop', () => live.close());
  server.route([
    { method: 'GET', path: '/events', handler: eventStreamHandler(live) },
    {
      method: 'GET',
      path: '/',
      handler: async (request, h) => {
        const ended = typeof request.query.ended === 'string' ? request.query.ended : undefined;
        const user = userOf(request);
        if (!user) return page(h, 200, loginPage({ ended }));
        return page(h, 200, devicesPage({ user, sessions: await request.sessionPolicy.sessions(), ended }));
      },
    },
    {
      method: 'POST',
      path: '/login',
      handler: async (request, h) => {
        const { username, password, deviceId, signOut } = (request.payload as Body) ?? {};
        const user = authenticate(users, username, password);
        if (!user) {
          return html(request) ? page(h, 401, loginPage({ error: 'Wrong user name or password.' })) : json(h, 401, { error: 'bad_credentials' });
        }
        const device = typeof deviceId === 'string' && deviceId !== '' ? deviceId : undefined;
        const result = await request.sessionPolicy.login({ id: user }, { deviceId: device, signOut: signOut as string | undefined });
        if (!result.ok) {
          if (html(request)) return page(h, 409, limitPage({ username: user, password: String(password), deviceId: device, ...result }));
          return json(h, 409, { error: 'session_limit', limit: result.limit, holders: result.holders });
        }
        (request as unknown as { cookieAuth: CookieAuth }).cookieAuth.set('user', user);
        return html(request) ? home(h) : json(h, 200, { ok: true, user });
      },
    },
    {
      method: 'POST',
      path: '/logout',
      handler: async (request, h) => {
        await request.sessionPolicy.logout();
        return html(request) ? home(h) : json(h, 200, { ok: true });
      },
    },
    {
      method: 'POST',
      path: '/logout-everywhere',
      handler: async (request, h) => {
        const refused = signedIn(request, h);
        if (refused) return refused;
        const keepCurrent = yes(((request.payload as Body) ?? {}).keepCurrent);
        const ended = await request.sessionPolicy.logoutEverywhere({ keepCurrent });
        return html(request) ? home(h) : json(h, 200, { ended });
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      handler: (request, h) => signedIn(request, h) ?? json(h, 200, { user: userOf(request) }),
    },
    {
      method: 'GET',
      path: '/api/data',
      handler: (request, h) => signedIn(request, h) ?? json(h, 200, { user: userOf(request), data: `secret data for ${userOf(request)}` }),
    },
    {
      method: 'GET',
      path: '/api/sessions',
      handler: async (request, h) => signedIn(request, h) ?? json(h, 200, { sessions: await request.sessionPolicy.sessions() }),
    },
    {
      method: 'DELETE',
      path: '/api/sessions/{handle}',
      handler: async (request, h) => {
        const refused = signedIn(request, h);
        if (refused) return refused;
        return (await request.sessionPolicy.revoke(request.params.handle)) ? h.response().code(204) : json(h, 404, { error: 'not_found' });
      },
    },
    {
      method: 'POST',
      path: '/sessions/{handle}/revoke',
      handler: async (request, h) => {
        const refused = signedIn(request, h);
        if (refused) return refused;
        return (await request.sessionPolicy.revoke(request.params.handle)) ? home(h) : page(h, 404, loginPage({ error: 'No such session.' }));
      },
    },
  ]);

  await server.start();
  return {
    url: server.info.uri,
    registry,
    async close() {
      await server.stop({ timeout: 1000 });
      if (!options.registry) await registry.close();
    },
  };
}
