import test from 'ava';
import { createClient } from '@keyv/redis';
import type { EventEmitter } from 'node:events';
import { cycleStores, listenerCounts, runSharedClientChild } from './helpers/shared-client.js';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

// Stores built over a client the application owns leave it exactly as they found it
// (issue #12): an app that builds a store per tenant, or rebuilds one on a config
// reload, must not leak listeners or keep its process from exiting.

const redis = useRedisServer(test);

test.serial('20 stores over one shared client: one set of listeners while open, none left after close()', async (t) => {
  const client = createClient({ url: redis.server.url });
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
    // The stores did listen while open, once for all of them, not once each.
    t.is(report.whileOpen.error, (before.error ?? 0) + 1);
    t.deepEqual(listenerCounts(client as unknown as EventEmitter), before);
    t.deepEqual(warnings.map((w) => w.message), []);
    // And the client still works for its owner.
    t.is(await client.ping(), 'PONG');
    // A second round leaves it the same way.
    await cycleStores(client as never, 20);
    t.deepEqual(listenerCounts(client as unknown as EventEmitter), before);
  } finally {
    client.destroy();
  }
});

test.serial('a process that builds and closes 20 stores over its own client exits by itself', async (t) => {
  const { code, messages } = await runSharedClientChild('single', [redis.server.url]);
  t.deepEqual(messages, ['closed']);
  t.is(code, 0);
});
