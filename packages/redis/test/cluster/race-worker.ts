/**
 * A child process of the cluster race test: its own cluster client and Redis store (as a
 * separate application server would have); on each message from the parent, logs one
 * principal in `count` times at once and answers with what happened. Same protocol as
 * `../helpers/race-worker.ts`, which only takes a single-node URL.
 */
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

interface Round {
  readonly principal: string;
  readonly count: number;
  readonly limit: number;
  readonly onLimit: 'evict' | 'reject';
  readonly tag: string;
}

const [rootNodes, prefix] = process.argv.slice(2) as [string, string];
const client = createCluster({ rootNodes: JSON.parse(rootNodes) as Array<{ url: string }> });
client.on('error', () => undefined);
// Connected before the store gets it: the store connects a client it is handed unopened,
// and a second connect() of a cluster client throws "Cluster already open".
await client.connect();
const store = new RedisSessionStore(new Keyv({ store: new KeyvRedis(client as never) }), { prefix });
const registries = new Map<string, SessionRegistry>();

function registry(round: Round): SessionRegistry {
  const key = `${round.limit}/${round.onLimit}`;
  let r = registries.get(key);
  if (!r) {
    r = new SessionRegistry({ store, maxSessions: round.limit, onLimit: round.onLimit });
    r.on('error', () => undefined);
    registries.set(key, r);
  }
  return r;
}

process.on('message', (message: Round | 'exit') => {
  if (message === 'exit') {
    void store
      .close()
      .then(() => client.destroy())
      .then(() => process.exit(0));
    return;
  }
  const round = message;
  const reg = registry(round);
  const logins = Array.from({ length: round.count }, (_, i) => {
    const id = `${round.tag}-${process.pid}-${i}`;
    return reg.admit({ principal: round.principal, sessionId: id }).then(
      (result) =>
        result.admitted
          ? { id, admitted: true, evicted: result.evicted.map((s) => s.sessionId) }
          : { id, admitted: false, code: result.code },
      (error: unknown) => ({ id, admitted: false, error: String(error) }),
    );
  });
  void Promise.all(logins).then((results) => process.send?.(results));
});
process.send?.('ready');
