// The Fastify example: @fastify/session (server-side sessions, with @fastify/cookie) or
// @fastify/secure-session (the session in an encrypted cookie) keeps the session,
// @session-policy/fastify enforces the policy. Routes and answers follow the examples'
// contract (the same in the Express, Passport, Koa and hapi examples).
import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import { LiveConnections, SessionPolicyError, SessionRegistry } from '@session-policy/core';
import { prefersHtml } from '@session-policy/core/http';
import { eventStream, sessionPolicy } from '@session-policy/fastify';
import { registryOptions, yes, type ExampleOptions as SharedOptions, type RunningExample } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { devicesPage, limitPage, loginPage, signedOutNotice } from '../../shared/src/pages.js';
import { CROSS_SITE_ANSWER, isCrossSite } from '../../shared/src/same-origin.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';

export type { RunningExample };

/** How to start the Fastify example: the shared options, and the session plugin to use. */
export interface ExampleOptions extends SharedOptions {
  /**
   * `session`: @fastify/session with its memory store (the secret must have 32+
   * characters). `secure-session`: @fastify/secure-session, keyed with the SHA-256 of the
   * secret. Default `session`.
   */
  sessionPlugin?: 'session' | 'secure-session';
}

/**
 * The session as the routes use it: `get`/`set` are common to both session plugins (their
 * own types both claim `request.session`, so the example does not lean on either).
 */
interface AnySession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

type Body = Record<string, unknown> | null | undefined;
const html = (request: FastifyRequest) => prefersHtml(request.headers.accept, request.headers['content-type']);
const sessionOf = (request: FastifyRequest) => (request as unknown as { session?: AnySession | null }).session;
const userOf = (request: FastifyRequest): string | undefined => {
  const user = sessionOf(request)?.get('user');
  return typeof user === 'string' ? user : undefined;
};
const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).type('text/html; charset=utf-8').send(body);
const home = (reply: FastifyReply) => reply.redirect('/', 303);

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const notices = new ExampleNotices(secret, options.clock);
  const idleTimeout = options.idleTimeout ?? 30 * 60_000;
  // forceCloseConnections: close() ends open event streams instead of waiting for them.
  const app = Fastify({ bodyLimit: 16 * 1024, forceCloseConnections: true });
  // CSRF, defense in depth beside SameSite=Lax: state-changing requests from another site are refused.
  app.addHook('onRequest', async (request, reply) => {
    const secFetchSite = request.headers['sec-fetch-site'];
    const crossSite = isCrossSite({ method: request.method, host: request.headers.host, origin: request.headers.origin, secFetchSite: typeof secFetchSite === 'string' ? secFetchSite : undefined });
    if (!crossSite) return;
    if (html(request)) return page(reply, 403, loginPage({ error: 'This request came from another site and was refused.' }));
    return reply.code(403).send(CROSS_SITE_ANSWER);
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  // The cookie lives as long as the policy's idle timeout (@fastify/session's memory store
  // drops a session when its cookie expires; rolling renews it on every response).
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: false, maxAge: idleTimeout };
  if (options.sessionPlugin === 'secure-session') {
    await app.register(fastifySecureSession, { cookieName: 'sid', key: createHash('sha256').update(secret).digest(), cookie: { ...cookie, maxAge: Math.ceil(idleTimeout / 1000) } });
  } else {
    await app.register(fastifySession, { cookieName: 'sid', secret, saveUninitialized: false, rolling: true, cookie });
  }
  await app.register(sessionPolicy, { registry, redirectTo: '/', onEnded: notices.onEnded });

  app.setErrorHandler((error, _request, reply) => {
    const code = error instanceof SessionPolicyError ? error.code : undefined;
    if (code === 'ERR_STORE' || code === 'ERR_CLOSED') return reply.code(503).send({ error: 'session_store_unavailable' });
    if (code?.startsWith('ERR_INVALID')) return reply.code(400).send({ error: 'bad_request' });
    // Fastify's own refusals of a body (413 too large, 415 unsupported media type, 400
    // malformed) carry their status: answer it, nothing crashed.
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (error as { code?: unknown }).code;
      return reply.code(status).send({ error: typeof type === 'string' ? type : 'bad_request' });
    }
    console.error(error);
    return reply.code(500).send({ error: 'internal' });
  });

  // Live events: a stream bound to the session, closed with the reason when it ends.
  const live = new LiveConnections(registry);
  app.addHook('onClose', () => live.close());
  app.get('/events', eventStream(live));
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', 'no-store');
    done();
  });

  app.get('/', async (request, reply) => {
    const query = request.query as { ended?: unknown; who?: unknown; signedOut?: unknown };
    const user = userOf(request);
    // `?ended=` is a fixed set of codes, and only for a signed-out device.
    if (!user) return page(reply, 200, loginPage({ ended: endMessage(query.ended, notices.who.verify(query.who)) }));
    const notice = signedOutNotice(notices.signedOut.verify(query.signedOut));
    return page(reply, 200, devicesPage({ user, sessions: await request.sessionPolicy.sessions(), notice }));
  });

  app.post('/login', async (request, reply) => {
    const login = readLogin(users, notices, request.body);
    if (!login) {
      return html(request) ? page(reply, 401, loginPage({ error: 'Wrong user name or password.' })) : reply.code(401).send({ error: 'bad_credentials' });
    }
    const { user, deviceId, signOut } = login;
    const result = await request.sessionPolicy.login({ id: user }, { deviceId, signOut });
    if (!result.ok) {
      if (html(request)) return page(reply, 409, limitPage({ username: user, ticket: notices.tickets.sign({ user, deviceId }), ...result }));
      return reply.code(409).send({ error: 'session_limit', limit: result.limit, holders: result.holders });
    }
    sessionOf(request)!.set('user', user);
    const signedOut = result.ended.map((s) => s.deviceId ?? null);
    return html(request) ? reply.redirect(notices.home(result.ended), 303) : reply.send({ ok: true, user, signedOut });
  });

  app.post('/logout', async (request, reply) => {
    await request.sessionPolicy.logout();
    return html(request) ? home(reply) : reply.send({ ok: true });
  });

  // Everything in here needs a signed-in user (an encapsulated context with its own hook).
  await app.register(async (signedIn) => {
    signedIn.addHook('preHandler', async (request, reply) => {
      if (userOf(request)) return;
      if (html(request)) return page(reply, 401, loginPage({ error: 'Please sign in.' }));
      return reply.code(401).send({ error: 'not_logged_in' });
    });

    signedIn.post('/logout-everywhere', async (request, reply) => {
      const ended = await request.sessionPolicy.logoutEverywhere({ keepCurrent: yes(((request.body as Body) ?? {}).keepCurrent) });
      return html(request) ? home(reply) : reply.send({ ended });
    });

    signedIn.get('/api/me', async (request) => ({ user: userOf(request) }));

    signedIn.get('/api/data', async (request) => ({ user: userOf(request), data: `secret data for ${userOf(request)}` }));

    signedIn.get('/api/sessions', async (request) => ({ sessions: await request.sessionPolicy.sessions() }));

    signedIn.delete<{ Params: { handle: string } }>('/api/sessions/:handle', async (request, reply) => {
      if (await request.sessionPolicy.revoke(request.params.handle)) return reply.code(204).send();
      return reply.code(404).send({ error: 'not_found' });
    });

    signedIn.post<{ Params: { handle: string } }>('/sessions/:handle/revoke', async (request, reply) => {
      if (await request.sessionPolicy.revoke(request.params.handle)) return home(reply);
      return page(reply, 404, loginPage({ error: 'No such session.' }));
    });
  });

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: address,
    registry,
    async close() {
      await app.close();
      if (!options.registry) await registry.close();
    },
  };
}
