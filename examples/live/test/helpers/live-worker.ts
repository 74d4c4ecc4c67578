/**
 * A second server process: the live example on the shared Redis store. Arguments: the
 * Redis URL and the key prefix. Sends `{ url }` once listening; closes on 'stop'.
 */
import { RedisSessionStore } from '@session-policy/redis';
import { startLiveExample } from '../../src/app.js';

const [redisUrl, prefix, maxSessions] = process.argv.slice(2) as [string, string, string];
const example = await startLiveExample({ store: new RedisSessionStore(redisUrl, { prefix }), maxSessions: Number(maxSessions) });
process.send?.({ url: example.url });
process.on('message', (message) => {
  if (message === 'stop') void example.close().then(() => process.exit(0));
});
