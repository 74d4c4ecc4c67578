// The live example: express-session keeps the session, @session-policy/express enforces
// the policy, and every signed-in page holds a Server-Sent Events stream bound to its
// session (core's LiveConnections + openEventStream), or a WebSocket on /live
// (@session-policy/ws), or a socket.io socket (@session-policy/socket.io): the same
// manager and caps for all three. When the session ends — logout in
// another tab, a login elsewhere that evicts it, a revoke, "log out everywhere", a
// timeout — the page's stream gets `session_ended` with the reason and is closed, and the
// page (through @session-policy/browser) says so and never reconnects.
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import {
  LiveConnections,
  sessionMiddlewareBinding,
  SessionPolicyError,
  SessionRegistry,
  toSessionView,
  type LiveConnectionsOptions,
} from '@session-policy/core';
import { prefersHtml } from '@session-policy/core/http';
import { sessionPolicy } from '@session-policy/express';
import { BoundedLog } from './bounded-log.js';
import { LiveSocketIo } from '@session-policy/socket.io';
import { LiveWebSockets } from '@session-policy/ws';
import { Server as SocketIoServer } from 'socket.io';
import { BROWSER_ASSETS, SOCKET_IO_CLIENT, loadBrowserAssets, loadSocketIoClient } from './browser-assets.js';
import { livePage, loginPage } from './pages.js';
import { registryOptions, yes, type ExampleOptions } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { limitPage } from '../../shared/src/pages.js';
import { CROSS_SITE_ANSWER, isCrossSite } from '../../shared/src/same-origin.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

/** How to start the live example (the example contract's options, plus the live ones). */
export interface LiveExampleOptions extends ExampleOptions {
  /** Options of the live connections manager (caps, heartbeat). Default: heartbeat every 10 s, no caps. */
  live?: LiveConnectionsOptions;
  /** The `retry:` hint sent to the browser (milliseconds). Default 3000. */
  retry?: number;
}

/** One request to the stream URL, as the server saw it. */
export interface StreamRequest {
  /** When it came (server clock, milliseconds since the epoch). */
  readonly at: number;
  /** The page's tab id (the `tab` query parameter), if any. */
  readonly tab: string | undefined;
  /** `/events` (an event stream), `/live` (a WebSocket handshake) or `/socket.io` (an Engine.IO handshake). */
  readonly path: '/events' | '/live' | '/socket.io';
}

/** A started live example. */
export interface RunningLiveExample {
  url: string;
  registry: SessionRegistry;
  /** The live connections manager (open streams, caps, counters). */
  live: LiveConnections;
  /** The last 1,000 requests made to the stream URL or the WebSocket URL (bounded: a long-running server keeps no more). */
  streamRequests(): readonly StreamRequest[];
  close(): Promise<void>;
}

/** The user name express-session loaded on a WebSocket's handshake request. */
const userOf = (req: IncomingMessage) => (req as IncomingMessage & { session?: { user?: string } }).session?.user;

const html = (req: Request) => prefersHtml(req.headers.accept, req.headers['content-type']);

/** Starts the live example on a real listening server. */
export async function startLiveExample(options: LiveExampleOptions = {}): Promise<RunningLiveExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const live = new LiveConnections(registry, options.live);
  const users = options.users ?? DEFAULT_USERS;
  const assets = loadBrowserAssets();
  const streamRequests = new BoundedLog<StreamRequest>(1000);
  // Login tickets of the refusal page (reject mode); a random key per start.
  const notices = new ExampleNotices(randomBytes(32), options.clock);

  // "Your devices" changes are pushed to every open page of the principal, each with its
  // own "this device" mark.
  const pushDevices = async (principalKey: string): Promise<void> => {
    if (live.count({ principalKey }) === 0) return;
    const sessions = await registry.list(principalKey);
    for (const s of sessions) {
      live.send({ sessionId: s.sessionId }, 'devices', {
        sessions: sessions.map((other) => ({ ...toSessionView(other, s.sessionId), streams: live.count({ sessionId: other.sessionId }) })),
      });
    }
  };
  const onChange = (s: { principalKey: string }) => {
    pushDevices(s.principalKey).catch(() => undefined);
  };
  registry.on('admitted', onChange);
  registry.on('ended', onChange);

  const app = express();
  app.disable('x-powered-by');
  // CSRF, defense in depth beside SameSite=Lax: state-changing requests from another site are refused.
  app.use((req, res, next) => {
    const site = req.headers['sec-fetch-site'];
    if (!isCrossSite({ method: req.method, host: req.headers.host, origin: req.headers.origin, secFetchSite: typeof site === 'string' ? site : undefined })) return next();
    res.status(403).json(CROSS_SITE_ANSWER);
  });
  app.use(express.urlencoded({ extended: false, limit: '16kb' }));
  app.use(express.json({ limit: '16kb' }));

  const socketIoClient = loadSocketIoClient();
  app.get(SOCKET_IO_CLIENT, (_req, res) => void res.type('text/javascript').set('cache-control', 'no-cache').send(socketIoClient));
  app.get(`${BROWSER_ASSETS}:file`, (req, res) => {
    const body = assets.get(req.params.file);
    if (body === undefined) return void res.status(404).end();
    res.type('text/javascript').set('cache-control', 'no-cache').send(body);
  });

  // One session middleware for HTTP requests and for WebSocket handshakes. express-session's
  // own MemoryStore never drops an abandoned session: this one expires them (checked every
  // minute) with the cookie's max age, the policy's idle timeout, renewed by every response.
  const idleTimeout = options.idleTimeout ?? 30 * 60_000;
  const sessionStore = new (createMemoryStore(session))({ checkPeriod: Math.min(60_000, idleTimeout) });
  const sessionMiddleware = session({
    name: 'sid',
    secret: options.secret ?? randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: idleTimeout },
    store: sessionStore,
  });
  app.use(sessionMiddleware);
  app.use('/events', (req, _res, next) => {
    streamRequests.push({ at: Date.now(), tab: typeof req.query.tab === 'string' ? req.query.tab : undefined, path: '/events' });
    next();
  });
  // A stream request of an ended session is told why on the stream itself (the default).
  app.use(sessionPolicy({ registry, redirectTo: '/' }));
  app.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });

  app.get('/', (req, res) => {
    const user = req.session.user;
    // `?ended=` is a fixed set of codes, and only for a signed-out device.
    res.type('html').send(user ? livePage(user) : loginPage({ ended: endMessage(req.query.ended) }));
  });

  app.post('/login', async (req, res) => {
    const login = readLogin(users, notices, req.body);
    if (!login) {
      res.status(401);
      return void (html(req) ? res.type('html').send(loginPage({ error: 'Wrong user name or password.' })) : res.json({ error: 'bad_credentials' }));
    }
    const { user, deviceId, signOut } = login;
    const result = await req.sessionPolicy.login({ id: user }, { deviceId, signOut });
    if (!result.ok) {
      res.status(409);
      // Reject mode: offer to sign one of the other devices out (a signed ticket, no password on the page).
      if (html(req)) return void res.type('html').send(limitPage({ username: user, ticket: notices.tickets.sign({ user, deviceId }), ...result }));
      return void res.json({ error: 'session_limit', limit: result.limit, holders: result.holders });
    }
    req.session.user = user;
    html(req) ? res.redirect(303, '/') : res.json({ ok: true, user });
  });

  app.post('/logout', async (req, res) => {
    await req.sessionPolicy.logout();
    html(req) ? res.redirect(303, '/') : res.json({ ok: true });
  });

  app.use((req, res, next) => {
    if (req.session?.user) return next();
    res.status(401);
    html(req) ? res.type('html').send(loginPage({ error: 'Please sign in.' })) : res.json({ error: 'not_logged_in' });
  });

  // A stream bound to the session the middleware checked (the adapter's eventStream(live)
  // does the same; this route also greets the tab and pushes the devices list).
  app.get('/events', (req, res) => {
    const current = req.sessionPolicy.session;
    const handle = req.sessionPolicy.openEventStream(live, options.retry === undefined ? {} : { retry: options.retry });
    if (handle === 'no-session') return void res.status(401).json({ error: 'not_logged_in' });
    if (!handle?.attached || !current) return;
    handle.send('hello', { user: req.session.user, tab: handle.connectionId });
    pushDevices(current.principalKey).catch(() => undefined);
  });

  app.post('/logout-everywhere', async (req, res) => {
    const ended = await req.sessionPolicy.logoutEverywhere({ keepCurrent: yes(req.body?.keepCurrent) });
    html(req) ? res.redirect(303, '/') : res.json({ ended });
  });

  app.get('/api/me', (req, res) => {
    res.json({ user: req.session.user });
  });

  app.get('/api/sessions', async (req, res) => {
    res.json({ sessions: await req.sessionPolicy.sessions() });
  });

  app.delete('/api/sessions/:handle', async (req, res) => {
    if (await req.sessionPolicy.revoke(req.params.handle)) return void res.status(204).end();
    res.status(404).json({ error: 'not_found' });
  });

  app.post('/api/notify', (req, res) => {
    const message = String((req.body as { message?: unknown } | undefined)?.message ?? '').slice(0, 200);
    const principalKey = req.sessionPolicy.session?.principalKey;
    const reached = principalKey ? live.send({ principalKey }, 'notice', { message, from: req.session.user }) : 0;
    res.json({ reached });
  });

  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const code = error instanceof SessionPolicyError ? error.code : undefined;
    if (code === 'ERR_STORE' || code === 'ERR_CLOSED') return void res.status(503).json({ error: 'session_store_unavailable' });
    if (code?.startsWith('ERR_INVALID') || (error as { status?: number }).status === 400) {
      return void res.status(400).json({ error: 'bad_request' });
    }
    console.error(error);
    res.status(500).json({ error: 'internal' });
  });

  const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  // WebSockets on /live, bound to the same sessions and counted by the same manager as the
  // streams: refused with 401 before the upgrade without an active session, closed with
  // 4401 and the reason when the session ends.
  const sockets = new LiveWebSockets({
    connections: live,
    binding: sessionMiddlewareBinding(sessionMiddleware),
    path: '/live',
    onConnection: (socket, handle, req) => {
      handle.send('hello', { user: userOf(req), tab: handle.connectionId });
      pushDevices(handle.principalKey).catch(() => undefined);
      socket.on('message', (message) => {
        // A client message is echoed to every connection of the principal (WebSocket or stream).
        const text = String(message).slice(0, 200);
        live.send({ principalKey: handle.principalKey }, 'notice', { message: text, from: userOf(req) });
      });
    },
  });
  server.on('upgrade', (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/live') streamRequests.push({ at: Date.now(), tab: url.searchParams.get('tab') ?? undefined, path: '/live' });
  });
  sockets.listen(server);
  // socket.io on /socket.io/: the Engine.IO handshake checked the same way (401 without an
  // active session), a `session_ended` event with the reason and a server disconnect when
  // the session ends.
  const io = new SocketIoServer(server, { serveClient: false });
  io.engine.use((req: IncomingMessage, _res: unknown, next: () => void) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.searchParams.has('sid')) streamRequests.push({ at: Date.now(), tab: url.searchParams.get('tab') ?? undefined, path: '/socket.io' });
    next();
  });
  new LiveSocketIo(io, {
    connections: live,
    binding: sessionMiddlewareBinding(sessionMiddleware),
    onConnection: (socket, handle) => {
      handle.send('hello', { user: userOf(socket.request), tab: handle.connectionId });
      pushDevices(handle.principalKey).catch(() => undefined);
    },
  });
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    registry,
    live,
    streamRequests: () => streamRequests.items(),
    async close() {
      // Streams first: the HTTP server's close() waits for open responses.
      live.close();
      sockets.close();
      io.engine.close();
      (sessionStore as { stopInterval?: () => void }).stopInterval?.();
      registry.off('admitted', onChange);
      registry.off('ended', onChange);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.registry) await registry.close();
    },
  };
}
