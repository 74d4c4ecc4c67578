import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { sessionPolicy } from '@session-policy/fastify';
import { policyRegistry } from './policy-registry.js';
import { HELLO, USER, hasSession, type ServerConfig } from './variants.js';
import type { BenchServer } from './bench-server.js';

/** The @fastify/session parts the benchmark uses (its types are not leaned on, see the example). */
interface BenchSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}
const sessionOf = (request: unknown) => (request as { session?: BenchSession | null }).session;

/**
 * The Fastify app of a variant: `POST /login` (session variants) and `GET /hello` (`401`
 * without a signed-in user in the session variants). The session library is
 * @fastify/session with its memory store (with @fastify/cookie), like express-session's
 * MemoryStore on the Express side; the policy plugin is registered after it.
 *
 * @param config - the variant.
 */
export async function startFastify(config: ServerConfig): Promise<BenchServer> {
  const registry = policyRegistry(config);
  const withSession = hasSession(config.variant);
  const app = Fastify({ logger: false });
  if (withSession) {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      cookieName: 'sid',
      secret: randomBytes(32).toString('hex'),
      saveUninitialized: false,
      // express-session's default: the session is saved when it changes, not on every response.
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: false, path: '/' },
    });
    if (registry) await app.register(sessionPolicy, { registry });
    app.post('/login', async (request, reply) => {
      if (registry) {
        const result = await request.sessionPolicy.login({ id: USER });
        if (!result.ok) return reply.code(409).send();
      }
      sessionOf(request)!.set('user', USER);
      return reply.type('text/plain').send('ok');
    });
  }
  app.get('/hello', async (request, reply) => {
    if (withSession && !sessionOf(request)?.get('user')) return reply.code(401).send();
    return reply.type('text/plain').send(HELLO);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    server: app.server,
    async close() {
      await app.close();
      await registry?.close();
    },
  };
}
