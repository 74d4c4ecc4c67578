// `npm start -w examples/live`: the live example on PORT (default 3000).
import { startLiveExample } from './app.js';

const env = process.env;
const example = await startLiveExample({
  port: Number(env.PORT ?? 3000),
  host: env.HOST ?? '127.0.0.1',
  maxSessions: Number(env.MAX_SESSIONS ?? 1),
  onLimit: env.ON_LIMIT === 'reject' ? 'reject' : 'evict',
  ...(env.IDLE_TIMEOUT_MS ? { idleTimeout: Number(env.IDLE_TIMEOUT_MS) } : {}),
  ...(env.SESSION_SECRET ? { secret: env.SESSION_SECRET } : {}),
  live: { heartbeatInterval: Number(env.HEARTBEAT_MS ?? 10_000), ...(env.MAX_STREAMS ? { maxPerSession: Number(env.MAX_STREAMS) } : {}) },
});
console.log(`Live example on ${example.url} (max ${env.MAX_SESSIONS ?? 1} session per user): sign in as alice / alice-pw in two browsers`);
const stop = () => void example.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
