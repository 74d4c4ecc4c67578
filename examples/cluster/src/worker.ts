// One worker: the Express example with express-session's sessions on the shared Redis
// (connect-redis) and the policy on the Redis store — or, with STORE=postgres, on the
// Postgres store at DATABASE_URL.
import cluster from 'node:cluster';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import type { SessionStore } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { RedisSessionStore } from '@session-policy/redis';
// The Express example itself, unchanged: this example only puts it behind the cluster module.
import { startExample } from '../../express/src/app.js';

/** Runs this worker until the primary disconnects it. */
export async function runWorker(): Promise<void> {
  const env = process.env;
  const url = env.REDIS_URL!;
  const sessions = createClient({ url });
  sessions.on('error', (error) => console.error(`worker ${cluster.worker?.id}: session store: ${String(error)}`));
  await sessions.connect();
  const example = await startExample({
    port: Number(env.PORT),
    host: env.HOST ?? '127.0.0.1',
    maxSessions: Number(env.MAX_SESSIONS ?? 2),
    onLimit: env.ON_LIMIT === 'reject' ? 'reject' : 'evict',
    store: policyStore(env, url),
    sessionStore: new RedisStore({ client: sessions, prefix: 'example-sess:' }),
    secret: env.SESSION_SECRET!,
    servedBy: `worker-${cluster.worker?.id ?? process.pid}`,
  });
  // Ctrl-C reaches the whole process group: the primary orchestrates the shutdown.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  // The primary disconnects us on shutdown: close the server, the registry (and its
  // Redis store), then the session client, and let the process end by itself.
  process.on('disconnect', () => {
    void example
      .close()
      .then(() => sessions.close())
      .catch((error: unknown) => console.error(error));
  });
}

/** The policy's store: the Redis store at `url`, or the Postgres store when `STORE=postgres` (the primary checked both). */
function policyStore(env: NodeJS.ProcessEnv, url: string): SessionStore {
  return env.STORE === 'postgres' ? new PostgresSessionStore(env.DATABASE_URL!) : new RedisSessionStore(url);
}
