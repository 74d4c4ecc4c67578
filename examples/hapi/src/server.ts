// `npm start -w examples/hapi`: the example on PORT (default 3000).
import { startExample } from './app.js';

const env = process.env;
const example = await startExample({
  port: Number(env.PORT ?? 3000),
  host: env.HOST ?? '127.0.0.1',
  maxSessions: Number(env.MAX_SESSIONS ?? 2),
  onLimit: env.ON_LIMIT === 'reject' ? 'reject' : 'evict',
  ...(env.IDLE_TIMEOUT_MS ? { idleTimeout: Number(env.IDLE_TIMEOUT_MS) } : {}),
  ...(env.SESSION_SECRET ? { secret: env.SESSION_SECRET } : {}),
});
console.log(`hapi example on ${example.url} (max ${env.MAX_SESSIONS ?? 2} sessions per user, ${env.ON_LIMIT ?? 'evict'} mode)`);
const stop = () => void example.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
