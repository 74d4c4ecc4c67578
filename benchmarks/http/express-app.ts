import { once } from 'node:events';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import { sessionPolicy } from '@session-policy/express';
import { policyRegistry } from './policy-registry.js';
import { HELLO, USER, hasSession, type ServerConfig } from './variants.js';
import type { BenchServer } from './bench-server.js';

/** What the benchmark keeps in an express-session session. */
interface BenchSession {
  user?: string;
}

/**
 * The Express app of a variant: `POST /login` (session variants) and `GET /hello`
 * (`401` without a signed-in user in the session variants).
 *
 * @param config - the variant.
 */
export async function startExpress(config: ServerConfig): Promise<BenchServer> {
  const registry = policyRegistry(config);
  const app = express();
  app.disable('x-powered-by');
  if (hasSession(config.variant)) {
    app.use(session({ name: 'sid', secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
    if (registry) app.use(sessionPolicy({ registry }));
    app.post('/login', async (req, res, next) => {
      try {
        if (registry) {
          const result = await req.sessionPolicy.login({ id: USER });
          if (!result.ok) return void res.status(409).end();
        }
        (req.session as unknown as BenchSession).user = USER;
        res.type('text').send('ok');
      } catch (error) {
        next(error);
      }
    });
  }
  app.get('/hello', (req, res) => {
    if (hasSession(config.variant) && !(req.session as unknown as BenchSession | undefined)?.user) return void res.status(401).end();
    res.type('text').send(HELLO);
  });
  const server: Server = app.listen(0, '127.0.0.1');
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
