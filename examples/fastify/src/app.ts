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
import { LiveConnections, SessionPolicyError, SessionRegistry, prefersHtml } from '@session-policy/core';
import { eventStream, sessionPolicy } from '@session-policy/fastify';
import { registryOptions, yes, type ExampleOptions as SharedOptions, type RunningExample } from '../../shared/src/example-options.js';
import { devicesPage, limitPage, loginPage } from '../../shared/src/pages.js';
import { DEFAULT_USERS, authenticate } from '../../shared/src/users.js';

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
  // forceCloseConnections: close() ends open event streams instead of waiting for them.
  const app = Fastify({ bodyLimit: 16 * 1024, forceCloseConnections: true });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: false };
  if (options.sessionPlugin === 'secure-session') {
    await app.register(fastifySecureSession, { cookieName: 'sid', key: createHash('sha256').update(secret).digest(), cookie });
  } else {
    await app.register(fastifySession, { cookieName: 'sid', secret, saveUninitialized: false, cookie });
  }
  await app.register(sessionPolicy, { registry, redirectTo: '/' });

  app.setErrorHandler((error, _request, reply) => {
    const code = error instanceof SessionPolicyError ? error.code : undefined;
    if (code === 'ERR_STORE' || code === 'ERR_CLOSED') return reply.code(503).send({ error: 'session_store_unavailable' });
    if (code?.startsWith('ERR_INVALID') || (error as { statusCode?: number }).statusCode === 400) return reply.code(400).send({ error: 'bad_request' });
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
    const { ended } = request.query as { ended?: unknown };
    const user = userOf(request);
    const shown = typeof ended === 'string' ? ended : undefined;
    if (!user) return page(reply, 200, loginPage({ ended: shown }));
    return page(reply, 200, devicesPage({ user, sessions: await request.sessionPolicy.sessions(), ended: shown }));
  });

  app.post('/login', async (request, reply) => {
    const { username, password, deviceId, signOut } = (request.body as Body) ?? {};
    const user = authenticate(users, username, password);
    if (!user) {
      return html(request) ? page(reply, 401, loginPage({ error: 'Wrong user name or password.' })) : reply.code(401).send({ error: 'bad_credentials' });
    }
    const device = typeof deviceId === 'string' && deviceId !== '' ? deviceId : undefined;
    const result = await request.sessionPolicy.login({ id: user }, { deviceId: device, signOut: signOut as string | undefined });
    if (!result.ok) {
      if (html(request)) return page(reply, 409, limitPage({ username: user, password: String(password), deviceId: device, ...result }));
      return reply.code(409).send({ error: 'session_limit', limit: result.limit, holders: result.holders });
    }
    sessionOf(request)!.set('user', user);
    return html(request) ? home(reply) : reply.send({ ok: true, user });
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
