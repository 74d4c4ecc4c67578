/**
 * A worker of the race test (`serveRaceOrders`): its own Redis store and, beside it, the
 * generic Keyv store on the same Redis.
 */
import { createKeyv } from '@keyv/redis';
import { KeyvSessionStore, SessionRegistry, type SessionStore } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { serveRaceOrders } from '@session-policy/test-helpers/login-race';

const [url, prefix] = process.argv.slice(2) as [string, string];
const stores: Record<string, SessionStore> = {
  redis: new RedisSessionStore(url, { prefix }),
  keyv: new KeyvSessionStore(createKeyv(url, { namespace: `${prefix}keyv` }), { closeKeyv: true }),
};
serveRaceOrders(
  ({ store, limit, onLimit }) => {
    const registry = new SessionRegistry({ store: stores[store]!, maxSessions: limit, onLimit });
    registry.on('error', () => undefined);
    return registry;
  },
  () => Promise.all(Object.values(stores).map((s) => s.close())),
);
