import test from 'ava';
import { createCluster } from '@keyv/redis';
import type { EventEmitter } from 'node:events';
import { cycleStores, listenerCounts, runSharedClientChild } from './helpers/shared-client.js';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';

// The shared-client checks of shared-client.test.ts on a Redis Cluster client: its
// `node-error` listeners too, and the slot-map refreshes a store may start.

let cluster: RedisCluster;

test.before(async () => {
  cluster = await startRedisCluster();
});

test.after.always(async () => {
  await cluster?.stop();
});

test.serial('cluster: 20 stores over one shared cluster client leave no listener behind after close()', async (t) => {
  const client = createCluster({ rootNodes: [...cluster.rootNodes] });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const before = listenerCounts(client as unknown as EventEmitter);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    const report = await cycleStores(client as never, 20);
    process.off('warning', onWarning);
    t.true(report.allLive, 'every bus got live');
    t.is(report.whileOpen.error, (before.error ?? 0) + 1);
    t.is(report.whileOpen['node-error'], (before['node-error'] ?? 0) + 1);
    t.deepEqual(listenerCounts(client as unknown as EventEmitter), before);
    t.deepEqual(warnings.map((w) => w.message), []);
    t.is(String(await client.sendCommand('{k}', false, ['PING'])), 'PONG');
  } finally {
    client.destroy();
  }
});

test.serial('cluster: a process that builds and closes 20 stores over its own cluster client exits by itself', async (t) => {
  const { code, messages } = await runSharedClientChild('cluster', cluster.rootNodes.map((n) => n.url));
  t.deepEqual(messages, ['closed']);
  t.is(code, 0);
});
