import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { assertNoViolations, runLoginRace, startRaceWorkers, stopRaceWorkers } from '@session-policy/test-helpers/login-race';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { destroyQuietly } from '@session-policy/test-helpers/destroy-quietly';

// The cross-process race on a Redis Cluster: several processes, each with its own cluster
// client, log the same principal in at once, round after round. Never more active
// sessions than the limit, never an evicted session still active, never a login told
// admitted that vanished, every refusal with a reason; in reject mode exactly the limit
// is admitted per round.

const PROCESSES = 3;
const PER_PROCESS = 5;
const ROUNDS = 25;

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;
let children: ChildProcess[] = [];
const prefix = `crace:${randomUUID()}:`;

test.before(async () => {
  cluster = await startRedisCluster();
  client = createCluster({ rootNodes: [...cluster.rootNodes] });
  client.on('error', () => undefined);
  await client.connect();
  children = await startRaceWorkers(new URL('./cluster/race-worker.ts', import.meta.url), [JSON.stringify(cluster.rootNodes), prefix], PROCESSES);
});

test.after.always(async () => {
  await stopRaceWorkers(children);
  destroyQuietly(client);
  await cluster?.stop();
});

const masterPorts = new Set<number>();

for (const limit of [1, 3]) {
  for (const onLimit of ['evict', 'reject'] as const) {
    test.serial(`redis-cluster: ${PROCESSES} processes × ${PER_PROCESS} concurrent logins, limit ${limit}, ${onLimit}, ${ROUNDS} rounds: 0 violations`, async (t) => {
      const store = new RedisSessionStore(new Keyv({ store: new KeyvRedis(client as never) }), { prefix, bus: false });
      const registry = new SessionRegistry({ store, maxSessions: limit, onLimit });
      // Each race on a master not used yet (while there is one), so the races cover several.
      let principal = '';
      for (let attempt = 0; attempt < 50; attempt++) {
        principal = `racer-${limit}-${onLimit}-${randomUUID()}`;
        const port = (await cluster.keyOwner(store.keysOf(registry.key(principal)).sessions)).port;
        if (!masterPorts.has(port) || masterPorts.size >= 3) {
          masterPorts.add(port);
          break;
        }
      }
      const tally = await runLoginRace(children, registry, { store: 'redis', principal, count: PER_PROCESS, limit, onLimit }, ROUNDS);
      await registry.close();
      assertNoViolations(t, tally, { limit, onLimit });
    });
  }
}

test.serial('redis-cluster: the racing principals were not all on one master', (t) => {
  t.true(masterPorts.size > 1, `all on ${[...masterPorts].join(', ')}`);
});
