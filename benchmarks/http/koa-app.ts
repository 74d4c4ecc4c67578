import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import { sessionPolicy } from '@session-policy/koa';
import { policyRegistry } from './policy-registry.js';
import { HELLO, USER, hasSession, type ServerConfig } from './variants.js';
import type { BenchServer } from './bench-server.js';

type Session = { user?: string } & Record<string, unknown>;
const sessionOf = (ctx: Context) => (ctx as unknown as { session: Session | null }).session;

/**
 * The Koa app of a variant: `POST /login` (session variants) and `GET /hello` (`401`
 * without a signed-in user in the session variants). Koa has no router; a path test is
 * what a one-route app would write.
 *
 * @param config - the variant.
 */
export async function startKoa(config: ServerConfig): Promise<BenchServer> {
  const registry = policyRegistry(config);
  const withSession = hasSession(config.variant);
  const app = new Koa();
  app.keys = [randomBytes(32).toString('hex')];
  app.silent = true;
  if (withSession) {
    app.use(session({ key: 'sid', httpOnly: true, sameSite: 'lax', signed: true }, app));
    if (registry) app.use(sessionPolicy({ registry }));
  }
  app.use(async (ctx) => {
    if (withSession && ctx.method === 'POST' && ctx.path === '/login') {
      if (registry) {
        const result = await ctx.sessionPolicy.login({ id: USER });
        if (!result.ok) return void (ctx.status = 409);
      }
      sessionOf(ctx)!.user = USER;
      ctx.body = 'ok';
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/hello') {
      if (withSession && !sessionOf(ctx)?.user) return void (ctx.status = 401);
      ctx.body = HELLO;
      return;
    }
    ctx.status = 404;
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await registry?.close();
    },
  };
}
