// The Koa example: koa-session keeps the session (cookie mode: the session lives in a
// signed cookie), @session-policy/koa enforces the policy. Routes and answers follow the
// examples' contract (the same in the Express and hapi examples).
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import {
  LiveConnections,
  SessionPolicyError,
  SessionRegistry,
  prefersHtml,
  type EvictionPolicy,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import { eventStream, sessionPolicy } from '@session-policy/koa';
import { registryOptions, yes, type ExampleOptions, type RunningExample } from '../../shared/src/example-options.js';
import { devicesPage, limitPage, loginPage } from '../../shared/src/pages.js';
import { DEFAULT_USERS, authenticate } from '../../shared/src/users.js';

export type { ExampleOptions, RunningExample };


type Session = { user?: string } & Record<string, unknown>;
const html = (ctx: Context) => prefersHtml(ctx.get('accept'), ctx.get('content-type'));
const userOf = (ctx: Context) => (ctx as unknown as { session: Session | null }).session?.user;

/** Reads a small JSON or form body (Koa has no body parser of its own). */
async function readBody(ctx: Context): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16_384) ctx.throw(413, 'body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  if (ctx.is('application/json')) {
    try {
      const value: unknown = JSON.parse(text);
      return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    } catch {
      ctx.throw(400, 'bad json');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function json(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.body = body;
}

function page(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = body;
}

function redirectHome(ctx: Context): void {
  ctx.status = 303;
  ctx.redirect('/');
}

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const app = new Koa();
  app.keys = [options.secret ?? randomBytes(32).toString('hex')];
  app.silent = true;

  app.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    try {
      await next();
    } catch (error) {
      const code = error instanceof SessionPolicyError ? error.code : undefined;
      const status = (error as { status?: number }).status;
      if (code === 'ERR_STORE' || code === 'ERR_CLOSED') return json(ctx, 503, { error: 'session_store_unavailable' });
      if (code?.startsWith('ERR_INVALID') || (status && status < 500)) return json(ctx, status && status < 500 ? status : 400, { error: 'bad_request' });
      console.error(error);
      json(ctx, 500, { error: 'internal' });
    }
  });
  app.use(session({ key: 'sid', httpOnly: true, sameSite: 'lax', signed: true }, app));
  app.use(sessionPolicy({ registry, redirectTo: '/' }));
  // Live events: a stream bound to the session, closed with the reason when it ends.
  const live = new LiveConnections(registry);
  const events = eventStream(live);

  app.use(async (ctx) => {
    const { method, path } = ctx;
    const session = (ctx as unknown as { session: Session | null }).session;
    const route = `${method} ${path}`;

    if (route === 'GET /') {
      const ended = typeof ctx.query.ended === 'string' ? ctx.query.ended : undefined;
      const user = userOf(ctx);
      if (!user) return page(ctx, 200, loginPage({ ended }));
      return page(ctx, 200, devicesPage({ user, sessions: await ctx.sessionPolicy.sessions(), ended }));
    }

    if (route === 'POST /login') {
      const { username, password, deviceId, signOut } = await readBody(ctx);
      const user = authenticate(users, username, password);
      if (!user) {
        if (html(ctx)) return page(ctx, 401, loginPage({ error: 'Wrong user name or password.' }));
        return json(ctx, 401, { error: 'bad_credentials' });
      }
      const device = typeof deviceId === 'string' && deviceId !== '' ? deviceId : undefined;
      const result = await ctx.sessionPolicy.login({ id: user }, { deviceId: device, signOut: signOut as string | undefined });
      if (!result.ok) {
        if (html(ctx)) return page(ctx, 409, limitPage({ username: user, password: String(password), deviceId: device, ...result }));
        return json(ctx, 409, { error: 'session_limit', limit: result.limit, holders: result.holders });
      }
      ((ctx as unknown as { session: Session }).session).user = user;
      return html(ctx) ? redirectHome(ctx) : json(ctx, 200, { ok: true, user });
    }

    if (route === 'POST /logout') {
      await ctx.sessionPolicy.logout();
      return html(ctx) ? redirectHome(ctx) : json(ctx, 200, { ok: true });
    }

    if (route === 'GET /events') return events(ctx, async () => {});

    // Everything below needs a signed-in user.
    if (!session?.user) {
      if (html(ctx)) return page(ctx, 401, loginPage({ error: 'Please sign in.' }));
      return json(ctx, 401, { error: 'not_logged_in' });
    }
    const user = session.user;
    const revoke = /^\/(?:api\/sessions\/([^/]+)|sessions\/([^/]+)\/revoke)$/.exec(path);

    if (route === 'POST /logout-everywhere') {
      const { keepCurrent } = await readBody(ctx);
      const ended = await ctx.sessionPolicy.logoutEverywhere({ keepCurrent: yes(keepCurrent) });
      return html(ctx) ? redirectHome(ctx) : json(ctx, 200, { ended });
    }
    if (route === 'GET /api/me') return json(ctx, 200, { user });
    if (route === 'GET /api/data') return json(ctx, 200, { user, data: `secret data for ${user}` });
    if (route === 'GET /api/sessions') return json(ctx, 200, { sessions: await ctx.sessionPolicy.sessions() });
    if (revoke && ((method === 'DELETE' && revoke[1]) || (method === 'POST' && revoke[2]))) {
      const handle = decodeURIComponent((revoke[1] ?? revoke[2])!);
      if (await ctx.sessionPolicy.revoke(handle)) {
        if (method === 'POST') return redirectHome(ctx);
        ctx.status = 204;
        return;
      }
      if (method === 'POST') return page(ctx, 404, loginPage({ error: 'No such session.' }));
      return json(ctx, 404, { error: 'not_found' });
    }
    json(ctx, 404, { error: 'not_found' });
  });

  const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    registry,
    async close() {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.registry) await registry.close();
    },
  };
}
