// The Passport example: express-session keeps the session, passport (with passport-local)
// logs users in and out as usual — `passport.authenticate('local')`, `req.login()`,
// `req.logout()` — and @session-policy/express enforces the policy underneath
// (`passportPolicy(passport)`). Routes and answers follow the examples' contract (the
// same in the Express, Koa, hapi and Fastify examples).
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { LiveConnections, SessionRegistry } from '@session-policy/core';
import { LoginRefusedError, admittedLogin, eventStream, passportPolicy, sessionPolicy } from '@session-policy/express';
import { registryOptions, yes, type ExampleOptions, type RunningExample } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { devicesPage, limitPage, loginPage, signedOutNotice } from '../../shared/src/pages.js';
import { prefersPage, useExpressFront } from '../../shared/src/express-front.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';
import { errorAnswer } from '../../shared/src/error-answer.js';

export type { ExampleOptions, RunningExample };

/** The example's passport user (`req.user`): the account's name is its id. */
interface AppUser {
  id: string;
}

// Express 5 sends rejected promises of async handlers to the error handler.
type Body = Record<string, unknown> | undefined;
const html = prefersPage;
const userOf = (req: Request) => (req.user as AppUser | undefined)?.id;
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const notices = new ExampleNotices(secret, options.clock);
  const idleTimeout = options.idleTimeout ?? 30 * 60_000;
  // express-session's own MemoryStore never drops an abandoned session: this one expires them.
  const sessionStore = new (createMemoryStore(session))({ checkPeriod: Math.min(60_000, idleTimeout) });

  // Passport as any app sets it up (an instance per app, so that tests can start several).
  const auth = new passport.Passport();
  // passport-local reads the user name and password; the refusal page posts a signed login
  // ticket instead of the password (read by the shared form reader), so the strategy takes the request.
  auth.use(new LocalStrategy({ passReqToCallback: true, usernameField: 'username', passwordField: 'password' }, (req, _username, _password, done) => {
    const login = readLogin(users, notices, req.body);
    done(null, login ? ({ id: login.user } satisfies AppUser) : false);
  }));
  auth.serializeUser((user, done) => done(null, (user as AppUser).id));
  auth.deserializeUser((id: string, done) => done(null, { id } satisfies AppUser));
  // The one line for the policy: logins and logouts through passport go through it.
  passportPolicy(auth, {
    loginOptions: (req) => {
      const login = readLogin(users, notices, req.body);
      const body = req.body as Body;
      return { deviceId: login?.deviceId ?? text(body?.deviceId), signOut: text(body?.signOut) };
    },
  });

  const app = express();
  app.disable('x-powered-by');
  useExpressFront(app, { secret, idleTimeout, store: sessionStore });
  app.use(sessionPolicy({ registry, redirectTo: '/', onEnded: notices.onEnded }));
  app.use(auth.session());
  const live = new LiveConnections(registry);
  app.get('/events', eventStream(live));
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });

  app.get('/', async (req, res) => {
    const user = userOf(req);
    // `?ended=` is a fixed set of codes, and only for a signed-out device.
    if (!user) return void res.type('html').send(loginPage({ ended: endMessage(req.query.ended, notices.who.verify(req.query.who)) }));
    const notice = signedOutNotice(notices.signedOut.verify(req.query.signedOut));
    res.type('html').send(devicesPage({ user, sessions: await req.sessionPolicy.sessions(), notice }));
  });

  // passport-local checks the password; req.login() is where the policy admits (or refuses).
  app.post('/login', (req, res, next) => {
    // The refusal page posts a signed ticket, never the password; passport-local wants both
    // fields present, so the ticket stands in for them (the strategy verifies the ticket).
    const body = req.body as Body;
    if (body && text(body.ticket) && !text(body.password)) Object.assign(body, { username: 'ticket', password: 'ticket' });
    auth.authenticate('local', (error: unknown, user: AppUser | false) => {
      if (error) return next(error);
      if (!user) {
        res.status(401);
        return void (html(req) ? res.type('html').send(loginPage({ error: 'Wrong user name or password.' })) : res.json({ error: 'bad_credentials' }));
      }
      req.login(user, (refused: unknown) => {
        if (refused instanceof LoginRefusedError) {
          res.status(refused.status);
          const deviceId = readLogin(users, notices, req.body)?.deviceId;
          if (html(req)) return void res.type('html').send(limitPage({ username: user.id, ticket: notices.tickets.sign({ user: user.id, deviceId }), ...refused }));
          return void res.json({ error: 'session_limit', limit: refused.limit, holders: refused.holders });
        }
        if (refused) return next(refused);
        // What this sign-in signed out, to tell this device which ones.
        const ended = admittedLogin(req)?.ended ?? [];
        html(req) ? res.redirect(303, notices.home(ended)) : res.json({ ok: true, user: user.id, signedOut: ended.map((s) => s.deviceId ?? null) });
      });
    })(req, res, next);
  });

  app.post('/logout', (req, res, next) => {
    req.logout((error) => {
      if (error) return next(error);
      html(req) ? res.redirect(303, '/') : res.json({ ok: true });
    });
  });

  // Anonymous requests stop here; everything below needs a signed-in user.
  app.use((req, res, next) => {
    if (req.isAuthenticated()) return next();
    res.status(401);
    html(req) ? res.type('html').send(loginPage({ error: 'Please sign in.' })) : res.json({ error: 'not_logged_in' });
  });

  app.post('/logout-everywhere', async (req, res) => {
    const ended = await req.sessionPolicy.logoutEverywhere({ keepCurrent: yes((req.body as Body)?.keepCurrent) });
    html(req) ? res.redirect(303, '/') : res.json({ ended });
  });

  app.get('/api/me', (req, res) => {
    res.json({ user: userOf(req) });
  });

  app.get('/api/data', (req, res) => {
    res.json({ user: userOf(req), data: `secret data for ${userOf(req)}` });
  });

  app.get('/api/sessions', async (req, res) => {
    res.json({ sessions: await req.sessionPolicy.sessions() });
  });

  app.delete('/api/sessions/:handle', async (req, res) => {
    if (await req.sessionPolicy.revoke(req.params.handle)) return void res.status(204).end();
    res.status(404).json({ error: 'not_found' });
  });

  app.post('/sessions/:handle/revoke', async (req, res) => {
    if (await req.sessionPolicy.revoke(req.params.handle)) return void res.redirect(303, '/');
    res.status(404).type('html').send(loginPage({ error: 'No such session.' }));
  });

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
      (sessionStore as { stopInterval?: () => void }).stopInterval?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.registry) await registry.close();
    },
  };
}
