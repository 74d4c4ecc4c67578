// The Express example: express-session keeps the session, @session-policy/express
// enforces the policy. Routes and answers follow docs/EXAMPLE-CONTRACT (the same in the
// Koa and hapi examples).
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import {
  LiveConnections,
  SessionRegistry,
  type EvictionPolicy,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import { eventStream, sessionPolicy } from '@session-policy/express';
import { registryOptions, yes, type ExampleOptions as SharedOptions, type RunningExample } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { devicesPage, limitPage, loginPage, signedOutNotice } from '../../shared/src/pages.js';
import { prefersPage, useExpressFront } from '../../shared/src/express-front.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';
import { errorAnswer } from '../../shared/src/error-answer.js';

export type { RunningExample };

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

/** How to start the Express example: the shared options, and Express's own. */
export interface ExampleOptions extends SharedOptions {
  /** The express module to build the app with (the tests run Express 4 through it). Default: Express 5. */
  express?: typeof express;
  /** express-session's store (share one between processes). Default: its memory store. */
  sessionStore?: session.Store;
  /** Sent as the `x-served-by` response header (tells which process answered). */
  servedBy?: string;
}

// Express 4 does not catch rejected promises of async handlers; Express 5 does. This wrapper
// makes both send store failures and bad input to the error handler below.
const asyncRoute = (fn: (req: Request, res: Response) => Promise<void> | void) => (req: Request, res: Response, next: NextFunction) => {
  Promise.resolve()
    .then(() => fn(req, res))
    .catch(next);
};
const html = prefersPage;

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const framework = options.express ?? express;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const notices = new ExampleNotices(secret, options.clock);
  const idleTimeout = options.idleTimeout ?? 30 * 60_000;
  // express-session's own MemoryStore never drops an abandoned session: this one expires
  // them (checked every minute), with the cookie's max age.
  const sessionStore = options.sessionStore ?? new (createMemoryStore(session))({ checkPeriod: Math.min(60_000, idleTimeout) });
  const app = framework();
  app.disable('x-powered-by');
  useExpressFront(app, { framework, secret, idleTimeout, store: sessionStore });
  if (options.servedBy) {
    const servedBy = options.servedBy;
    app.use((_req, res, next) => {
      res.set('x-served-by', servedBy);
      next();
    });
  }
  app.use(sessionPolicy({ registry, redirectTo: '/', onEnded: notices.onEnded }));
  // Live events: a stream bound to the session, closed with the reason when it ends.
  const live = new LiveConnections(registry);
  app.get('/events', eventStream(live));
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });

  app.get('/', asyncRoute(async (req, res) => {
    const user = req.session.user;
    // `?ended=` is a fixed set of codes, and only for a signed-out device.
    if (!user) return void res.type('html').send(loginPage({ ended: endMessage(req.query.ended, notices.who.verify(req.query.who)) }));
    const notice = signedOutNotice(notices.signedOut.verify(req.query.signedOut));
    res.type('html').send(devicesPage({ user, sessions: await req.sessionPolicy.sessions(), notice }));
  }));

  app.post('/login', asyncRoute(async (req, res) => {
    const login = readLogin(users, notices, req.body);
    if (!login) {
      res.status(401);
      return void (html(req) ? res.type('html').send(loginPage({ error: 'Wrong user name or password.' })) : res.json({ error: 'bad_credentials' }));
    }
    const { user, deviceId, signOut } = login;
    const result = await req.sessionPolicy.login({ id: user }, { deviceId, signOut });
    if (!result.ok) {
      res.status(409);
      if (html(req)) return void res.type('html').send(limitPage({ username: user, ticket: notices.tickets.sign({ user, deviceId }), ...result }));
      return void res.json({ error: 'session_limit', limit: result.limit, holders: result.holders });
    }
    req.session.user = user;
    const signedOut = result.ended.map((s) => s.deviceId ?? null);
    html(req) ? res.redirect(303, notices.home(result.ended)) : res.json({ ok: true, user, signedOut });
  }));

  app.post('/logout', asyncRoute(async (req, res) => {
    await req.sessionPolicy.logout();
    html(req) ? res.redirect(303, '/') : res.json({ ok: true });
  }));

  // Anonymous requests stop here; everything below needs a signed-in user.
  app.use((req, res, next) => {
    if (req.session?.user) return next();
    res.status(401);
    html(req) ? res.type('html').send(loginPage({ error: 'Please sign in.' })) : res.json({ error: 'not_logged_in' });
  });

  app.post('/logout-everywhere', asyncRoute(async (req, res) => {
    const ended = await req.sessionPolicy.logoutEverywhere({ keepCurrent: yes(req.body?.keepCurrent) });
    html(req) ? res.redirect(303, '/') : res.json({ ended });
  }));

  app.get('/api/me', asyncRoute((req, res) => {
    res.json({ user: req.session.user });
  }));

  app.get('/api/data', asyncRoute((req, res) => {
    res.json({ user: req.session.user, data: `secret data for ${req.session.user}` });
  }));

  app.get('/api/sessions', asyncRoute(async (req, res) => {
    res.json({ sessions: await req.sessionPolicy.sessions() });
  }));

  app.delete('/api/sessions/:handle', asyncRoute(async (req, res) => {
    if (await req.sessionPolicy.revoke(req.params.handle)) return void res.status(204).end();
    res.status(404).json({ error: 'not_found' });
  }));

  app.post('/sessions/:handle/revoke', asyncRoute(async (req, res) => {
    if (await req.sessionPolicy.revoke(req.params.handle)) return void res.redirect(303, '/');
    res.status(404).type('html').send(loginPage({ error: 'No such session.' }));
  }));

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const answer = errorAnswer(error);
    if (answer) return void res.status(answer.status).json(answer.body);
    console.error(error);
    res.status(500).json({ error: 'internal' });
  });

  const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    registry,
    async close() {
      live.close();
      if (!options.sessionStore) (sessionStore as { stopInterval?: () => void }).stopInterval?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.registry) await registry.close();
    },
  };
}
