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
  type EvictionPolicy,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';
import { prefersHtml } from '@session-policy/core/http';
import { eventStream, sessionPolicy } from '@session-policy/koa';
import { registryOptions, yes, type ExampleOptions, type RunningExample } from '../../shared/src/example-options.js';
import { endMessage } from '../../shared/src/end-messages.js';
import { readLogin } from '../../shared/src/login-form.js';
import { ExampleNotices } from '../../shared/src/notices.js';
import { devicesPage, limitPage, loginPage, signedOutNotice } from '../../shared/src/pages.js';
import { CROSS_SITE_ANSWER, isCrossSite } from '../../shared/src/same-origin.js';
import { DEFAULT_USERS } from '../../shared/src/users.js';

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

function redirectHome(ctx: Context, to = '/'): void {
  ctx.status = 303;
  ctx.redirect(to);
}

/** Starts the example on a real listening server. */
export async function startExample(options: ExampleOptions = {}): Promise<RunningExample> {
  const registry = options.registry ?? new SessionRegistry(registryOptions(options));
  const users = options.users ?? DEFAULT_USERS;
  const app = new Koa();
  const secret = options.secret ?? randomBytes(32).toString('hex');
  const notices = new ExampleNotices(secret, options.clock);
  app.keys = [secret];
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
  // CSRF, defense in depth beside SameSite=Lax: state-changing requests from another site are refused.
  app.use((ctx, next) => {
    if (!isCrossSite({ method: ctx.method, host: ctx.get('host') || undefined, origin: ctx.get('origin') || undefined, secFetchSite: ctx.get('sec-fetch-site') || undefined })) return next();
    if (html(ctx)) return page(ctx, 403, loginPage({ error: 'This request came from another site and was refused.' }));
    json(ctx, 403, CROSS_SITE_ANSWER);
  });
  // Cookie mode keeps nothing on the server, so an abandoned session costs no memory; the
  // cookie keeps koa-session's one-day default (no `rolling`: it would write the cookie
  // after the event stream's headers).
  app.use(session({ key: 'sid', httpOnly: true, sameSite: 'lax', signed: true }, app));
  app.use(sessionPolicy({ registry, redirectTo: '/', onEnded: notices.onEnded }));
  // Live events: a stream bound to the session, closed with the reason when it ends.
  const live = new LiveConnections(registry);
  const events = eventStream(live);

  app.use(async (ctx) => {
    const { method, path } = ctx;
    const session = (ctx as unknown as { session: Session | null }).session;
    const route = `${method} ${path}`;

    if (route === 'GET /') {
      const user = userOf(ctx);
      // `?ended=` is a fixed set of codes, and only for a signed-out device.
      if (!user) return page(ctx, 200, loginPage({ ended: endMessage(ctx.query.ended, notices.who.verify(ctx.query.who)) }));
      const notice = signedOutNotice(notices.signedOut.verify(ctx.query.signedOut));
      return page(ctx, 200, devicesPage({ user, sessions: await ctx.sessionPolicy.sessions(), notice }));
    }

    if (route === 'POST /login') {
      const login = readLogin(users, notices, await readBody(ctx));
      if (!login) {
        if (html(ctx)) return page(ctx, 401, loginPage({ error: 'Wrong user name or password.' }));
        return json(ctx, 401, { error: 'bad_credentials' });
      }
      const { user, deviceId, signOut } = login;
      const result = await ctx.sessionPolicy.login({ id: user }, { deviceId, signOut });
      if (!result.ok) {
        if (html(ctx)) return page(ctx, 409, limitPage({ username: user, ticket: notices.tickets.sign({ user, deviceId }), ...result }));
        return json(ctx, 409, { error: 'session_limit', limit: result.limit, holders: result.holders });
      }
      ((ctx as unknown as { session: Session }).session).user = user;
      const signedOut = result.ended.map((s) => s.deviceId ?? null);
      return html(ctx) ? redirectHome(ctx, notices.home(result.ended)) : json(ctx, 200, { ok: true, user, signedOut });
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
