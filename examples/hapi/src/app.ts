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
  type EvictionPolicy,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import { prefersHtml } from '@session-policy/core/http';
import { eventStreamHandler, plugin as sessionPolicy } from '@session-policy/hapi';
import { registryOptions, yes, type ExampleOptions, type RunningExample } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { devicesPage, limitPage, loginPage, signedOutNotice } from '../../shared/src/pages.js';
import { CROSS_SITE_ANSWER, isCrossSite } from '../../shared/src/same-origin.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';

export type { ExampleOptions, RunningExample };


type Body = Record<string, unknown> | null | undefined;
const html = (request: Request) => prefersHtml(request.headers.accept as string | undefined, request.headers['content-type'] as string | undefined);
const userOf = (request: Request) => (request.auth.isAuthenticated ? (request.auth.credentials as { user?: string }).user : undefined);
const json = (h: ResponseToolkit, status: number, body: unknown) => h.response(body as object).code(status);
const page = (h: ResponseToolkit, status: number, body: string) => h.response(body).type('text/html; charset=utf-8').code(status);
const home = (h: ResponseToolkit, to = '/') => h.redirect(to).code(303);
const header = (request: Request, name: string): string | undefined => {
  const value: unknown = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

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
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const notices = new ExampleNotices(secret, options.clock);
  // CSRF, defense in depth beside SameSite=Lax: state-changing requests from another site are refused.
  server.ext('onRequest', (request, h) => {
    const crossSite = isCrossSite({ method: request.method.toUpperCase(), host: header(request, 'host'), origin: header(request, 'origin'), secFetchSite: header(request, 'sec-fetch-site') });
    if (!crossSite) return h.continue;
    const answer = html(request) ? page(h, 403, loginPage({ error: 'This request came from another site and was refused.' })) : json(h, 403, CROSS_SITE_ANSWER);
    return answer.takeover();
  });
  await server.register(Cookie);
  server.auth.strategy('session', 'cookie', {
    // The cookie lives as long as the policy's idle timeout (renewed by every response: keepAlive).
    cookie: { name: 'sid', password: secret, isSecure: false, isSameSite: 'Lax', path: '/', ttl: options.idleTimeout ?? 30 * 60_000 },
    keepAlive: true,
    validate: async (_request: Request, session: { user?: unknown }) =>
      typeof session.user === 'string' ? { isValid: true, credentials: { user: session.user } } : { isValid: false },
  });
  server.auth.default({ strategy: 'session', mode: 'try' });
  await server.register({ plugin: sessionPolicy, options: { registry, redirectTo: '/', onEnded: notices.onEnded } });

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
        const user = userOf(request);
        // `?ended=` is a fixed set of codes, and only for a signed-out device.
        if (!user) return page(h, 200, loginPage({ ended: endMessage(request.query.ended, notices.who.verify(request.query.who)) }));
        const notice = signedOutNotice(notices.signedOut.verify(request.query.signedOut));
        return page(h, 200, devicesPage({ user, sessions: await request.sessionPolicy.sessions(), notice }));
      },
    },
    {
      method: 'POST',
      path: '/login',
      handler: async (request, h) => {
        const login = readLogin(users, notices, request.payload as Body);
        if (!login) {
          return html(request) ? page(h, 401, loginPage({ error: 'Wrong user name or password.' })) : json(h, 401, { error: 'bad_credentials' });
        }
        const { user, deviceId, signOut } = login;
        const result = await request.sessionPolicy.login({ id: user }, { deviceId, signOut });
        if (!result.ok) {
          if (html(request)) return page(h, 409, limitPage({ username: user, ticket: notices.tickets.sign({ user, deviceId }), ...result }));
          return json(h, 409, { error: 'session_limit', limit: result.limit, holders: result.holders });
        }
        request.cookieAuth.set('user', user);
        const signedOut = result.ended.map((s) => s.deviceId ?? null);
        return html(request) ? home(h, notices.home(result.ended)) : json(h, 200, { ok: true, user, signedOut });
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
