// `npm start -w examples/cluster`: the Express example behind Node's cluster module,
// WORKERS (default 4) processes on one port sharing one Redis. Without REDIS_URL it
// starts a private redis-server and stops it on exit (Ctrl-C). STORE=postgres
// DATABASE_URL=postgres://… puts the policy on the Postgres store (tables `sp_*`, created
// on first use); express-session's sessions stay in Redis.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { startRedisProcess, type RedisProcess } from './redis-process.js';
import { runWorker } from './worker.js';

if (cluster.isPrimary) {
  const env = process.env;
  const workers = Number(env.WORKERS ?? 4);
  const port = Number(env.PORT ?? 3000);
  const kind = env.STORE ?? 'redis';
  if (kind !== 'redis' && kind !== 'postgres') throw new Error(`STORE must be "redis" or "postgres", got "${kind}"`);
  if (kind === 'postgres' && !env.DATABASE_URL) throw new Error('STORE=postgres needs DATABASE_URL (postgres://user@host:port/database)');
  let redis: RedisProcess | undefined;
  const url = env.REDIS_URL ?? (redis = await startRedisProcess()).url;
  const workerEnv = { REDIS_URL: url, PORT: String(port), STORE: kind, SESSION_SECRET: env.SESSION_SECRET ?? randomBytes(32).toString('hex') };
  let stopping = false;
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) {
      const policy = kind === 'postgres' ? 'the Postgres store (DATABASE_URL)' : 'the Redis store';
      console.log(`Cluster example on http://127.0.0.1:${port}: ${workers} workers, Redis at ${url}${redis ? ` (pid ${redis.pid}, started here)` : ''}; policy on ${policy}`);
    }
  });
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    console.error(`worker ${worker.id} exited (${code}); starting another`);
    cluster.fork(workerEnv);
  });
  for (let i = 0; i < workers; i++) cluster.fork(workerEnv);
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (!worker) return resolve();
            const force = setTimeout(() => worker.kill('SIGKILL'), 5000);
            worker.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            worker.disconnect();
          }),
      ),
    );
    await redis?.stop();
    console.log('Cluster example stopped: workers and Redis are gone.');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} else {
  await runWorker();
}
