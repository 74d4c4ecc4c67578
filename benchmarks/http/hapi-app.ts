import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import Hapi, { type Plugin, type Request } from '@hapi/hapi';
import { plugin as sessionPolicy } from '@session-policy/hapi';
import { policyRegistry } from './policy-registry.js';
import { HELLO, USER, hasSession, type ServerConfig } from './variants.js';
import type { BenchServer } from './bench-server.js';

// @hapi/cookie ships no types; required so that this file does not depend on an ambient
// declaration living in another workspace.
const Cookie = createRequire(import.meta.url)('@hapi/cookie') as { plugin: Plugin<void> };

/** @hapi/cookie's request decoration. */
interface CookieAuth {
  set(key: string, value: unknown): void;
  set(session: object): void;
}

/**
 * The hapi server of a variant: `POST /login` (session variants, auth mode `try`) and
 * `GET /hello` (auth `required` in the session variants, so hapi answers 401 without a
 * valid cookie and session-policy checks the session at `onCredentials`).
 *
 * @param config - the variant.
 */
export async function startHapi(config: ServerConfig): Promise<BenchServer> {
  const registry = policyRegistry(config);
  const withSession = hasSession(config.variant);
  const server = Hapi.server({ port: 0, host: '127.0.0.1' });
  if (withSession) {
    await server.register(Cookie);
    server.auth.strategy('session', 'cookie', {
      cookie: { name: 'sid', password: randomBytes(32).toString('hex'), isSecure: false, isSameSite: 'Lax', path: '/' },
      validate: async (_request: Request, session: { user?: unknown }) =>
        typeof session.user === 'string' ? { isValid: true, credentials: { user: session.user } } : { isValid: false },
    });
    if (registry) await server.register({ plugin: sessionPolicy, options: { registry } });
    server.route({
      method: 'POST',
      path: '/login',
      options: { auth: { strategy: 'session', mode: 'try' } },
      handler: async (request, h) => {
        if (registry) {
          const result = await request.sessionPolicy.login({ id: USER });
          if (!result.ok) return h.response().code(409);
        }
        const cookieAuth = (request as unknown as { cookieAuth: CookieAuth }).cookieAuth;
        // With the policy, login() has already set the cookie's session (with its marker): add to it.
        if (registry) cookieAuth.set('user', USER);
        else cookieAuth.set({ user: USER });
        return 'ok';
      },
    });
  }
  server.route({
    method: 'GET',
    path: '/hello',
    options: { auth: withSession ? { strategy: 'session', mode: 'required' } : false },
    handler: () => HELLO,
  });
  await server.start();
  return {
    server: server.listener,
    async close() {
      await server.stop({ timeout: 1000 });
      await registry?.close();
    },
  };
}
