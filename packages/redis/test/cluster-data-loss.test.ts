import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createCluster } from '@keyv/redis';
import { SessionRegistry } from '@session-policy/core';
import { DataLostError, RedisSessionStore } from '@session-policy/redis';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { eventually as waitFor } from '@session-policy/test-helpers/eventually';
import { destroyQuietly } from '@session-policy/test-helpers/destroy-quietly';

// Issue #19 (3) on a cluster: one master alone can lose its data (restarted without
// persistence, flushed, failed over to a replica that missed writes). The store keeps one
// marker key per master, so a loss on any master is reported, not only on the one that
// would hold a single marker key.

let cluster: RedisCluster;
const clients: Array<{ destroy(): void }> = [];

test.before(async () => {
  cluster = await startRedisCluster({ replicas: 0 });
});

test.after.always(async () => {
  destroyQuietly(...clients);
  await cluster?.stop();
});

const eventually = (attempt: () => Promise<boolean> | boolean, ms = 30_000) => waitFor(attempt, ms, 100);

function clusterClient() {
  const client = createCluster({ rootNodes: [...cluster.rootNodes] });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Two stores (two processes' worth: own clients) on one prefix, and the data losses each reported. */
function twoStores(prefix: string) {
  const a = new SessionRegistry({ store: new RedisSessionStore(clusterClient() as never, { prefix, commandTimeout: 2000 }) });
  const b = new SessionRegistry({ store: new RedisSessionStore(clusterClient() as never, { prefix, commandTimeout: 2000 }) });
  const lost = { a: [] as DataLostError[], b: [] as DataLostError[] };
  a.on('error', (e) => e instanceof DataLostError && lost.a.push(e));
  b.on('error', (e) => e instanceof DataLostError && lost.b.push(e));
  return { a, b, lost };
}

/** Waits until every master holds a data-loss marker of the prefix. */
async function markersOnEvery(masters: ReadonlyArray<{ port: number }>, prefix: string): Promise<void> {
  await eventually(async () => {
    const counts = await Promise.all(masters.map(async (m) => ((await cluster.command(m.port, 'KEYS', `${prefix}*data-marker`)) as string[]).length));
    return counts.every((n) => n >= 1);
  });
}

test.serial('one master flushed: every store reports ERR_STORE_DATA_LOST once, naming a marker on that master', async (t) => {
  const prefix = `cluster-lost:${randomUUID()}:`;
  const { a, b, lost } = twoStores(prefix);
  try {
    for (let i = 0; i < 20; i++) t.true((await a.admit({ principal: `u${i}`, sessionId: `s${i}` })).admitted);
    t.is((await b.check('s0', 'u0')).status, 'active');
    // A marker on every master.
    const masters = await cluster.masters();
    t.is(masters.length, 3);
    await markersOnEvery(masters, prefix);
    t.deepEqual([lost.a.length, lost.b.length], [0, 0]);
    // Not the master a single `<prefix>data-marker` key would live on.
    const single = await cluster.keyOwner(`${prefix}data-marker`);
    const target = masters.find((m) => m.port !== single.port)!;
    await cluster.command(target.port, 'FLUSHALL');
    await eventually(() => lost.a.length > 0 && lost.b.length > 0);
    await new Promise((r) => setTimeout(r, 1000));
    t.deepEqual([lost.a.length, lost.b.length], [1, 1], 'reported once per store');
    t.is(lost.a[0]!.code, 'ERR_STORE_DATA_LOST');
    t.is((await cluster.keyOwner(lost.a[0]!.key)).port, target.port);
    t.is((await cluster.keyOwner(lost.b[0]!.key)).port, target.port);
  } finally {
    await a.close();
    await b.close();
  }
});

test.serial('one master restarted without persistence: reported once per store, and the store serves again', async (t) => {
  const prefix = `cluster-restart:${randomUUID()}:`;
  const { a, b, lost } = twoStores(prefix);
  try {
    for (let i = 0; i < 20; i++) t.true((await a.admit({ principal: `u${i}`, sessionId: `s${i}` })).admitted);
    const masters = await cluster.masters();
    await markersOnEvery(masters, prefix);
    await eventually(async () => (await b.check('s0', 'u0')).status === 'active');
    const single = await cluster.keyOwner(`${prefix}data-marker`);
    const target = masters.find((m) => m.port !== single.port)!;
    await cluster.restartNode(target.port);
    await cluster.waitForOk();
    await eventually(() => lost.a.length > 0 && lost.b.length > 0);
    await new Promise((r) => setTimeout(r, 1000));
    t.deepEqual([lost.a.length, lost.b.length], [1, 1], 'reported once per store');
    t.is((await cluster.keyOwner(lost.a[0]!.key)).port, target.port);
    // The same registries work again, on every master.
    await eventually(async () => {
      for (let i = 0; i < 20; i++) if (!(await a.admit({ principal: `v${i}`, sessionId: `r${i}` })).admitted) return false;
      return true;
    });
    t.is((await b.check('r0', 'v0')).status, 'active');
  } finally {
    await a.close();
    await b.close();
  }
});
