/**
 * A worker of the cluster race test (`serveRaceOrders`): its own cluster client and Redis
 * store, as a separate application server would have.
 */
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { serveRaceOrders } from '@session-policy/test-helpers/login-race';

const [rootNodes, prefix] = process.argv.slice(2) as [string, string];
const client = createCluster({ rootNodes: JSON.parse(rootNodes) as Array<{ url: string }> });
client.on('error', () => undefined);
// Connected before the store gets it: the store connects a client it is handed unopened,
// and a second connect() of a cluster client throws "Cluster already open".
await client.connect();
const store = new RedisSessionStore(new Keyv({ store: new KeyvRedis(client as never) }), { prefix });
serveRaceOrders(
  ({ limit, onLimit }) => {
    const registry = new SessionRegistry({ store, maxSessions: limit, onLimit });
    registry.on('error', () => undefined);
    return registry;
  },
  async () => {
    await store.close();
    client.destroy();
  },
);
