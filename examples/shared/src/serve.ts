// `npm start -w examples/<framework>`: runs an example on PORT (default 3000), configured
// from the environment, until Ctrl-C.
import type { ExampleOptions, RunningExample } from './example-options.js';

/**
 * Starts an example from the environment (PORT, HOST, MAX_SESSIONS, ON_LIMIT,
 * IDLE_TIMEOUT_MS, SESSION_SECRET) and closes it on SIGINT/SIGTERM.
 *
 * @param name - the framework's name, for the start line.
 * @param start - the example's `startExample`.
 */
export async function serve(name: string, start: (options: ExampleOptions) => Promise<RunningExample>): Promise<void> {
  const env = process.env;
  const example = await start({
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '127.0.0.1',
    maxSessions: Number(env.MAX_SESSIONS ?? 2),
    onLimit: env.ON_LIMIT === 'reject' ? 'reject' : 'evict',
    ...(env.IDLE_TIMEOUT_MS ? { idleTimeout: Number(env.IDLE_TIMEOUT_MS) } : {}),
    ...(env.SESSION_SECRET ? { secret: env.SESSION_SECRET } : {}),
  });
  console.log(`${name} example on ${example.url} (max ${env.MAX_SESSIONS ?? 2} sessions per user, ${env.ON_LIMIT ?? 'evict'} mode)`);
  const stop = () => void example.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
