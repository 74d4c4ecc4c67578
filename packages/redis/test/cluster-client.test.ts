import { createHash } from 'node:crypto';
import test from 'ava';
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { destroyQuietly } from '@session-policy/test-helpers/destroy-quietly';

// What the store relies on from node-redis 5 and Redis 7 on a real cluster, checked
// without the store: the harness works, Keyv runs over a cluster client, scripts are
// per node (NOSCRIPT then EVAL), redirections are followed, pub/sub reaches subscribers.

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;

test.before(async () => {
  cluster = await startRedisCluster();
  client = createCluster({ rootNodes: [...cluster.rootNodes] });
  client.on('error', () => undefined);
  await client.connect();
});

test.after.always(async () => {
  destroyQuietly(client);
  await cluster?.stop();
});

test.serial('three masters serve all 16384 slots; Keyv works over @keyv/redis on the cluster client', async (t) => {
  t.is((await cluster.masters()).length, 3);
  t.regex(String(await cluster.command(cluster.nodes[0]!.port, 'CLUSTER', 'INFO')), /cluster_slots_assigned:16384/);
  const keyv = new Keyv({ store: new KeyvRedis(client as never), namespace: 'probe' });
  for (let i = 0; i < 20; i++) await keyv.set(`k${i}`, i);
  for (let i = 0; i < 20; i++) t.is(await keyv.get(`k${i}`), i);
});

test.serial('scripts are per node: EVALSHA says NOSCRIPT until EVAL ran on that node', async (t) => {
  const source = `return redis.call('INCR', KEYS[1]) + 0 * ${Date.now()}`;
  const sha = createHash('sha1').update(source).digest('hex');
  const key = '{probe-script}:n';
  await t.throwsAsync(client.sendCommand(key, false, ['EVALSHA', sha, '1', key]), { message: /^NOSCRIPT/ });
  t.is(await client.sendCommand<number>(key, false, ['EVAL', source, '1', key]), 1);
  t.is(await client.sendCommand<number>(key, false, ['EVALSHA', sha, '1', key]), 2);
  const owner = (await cluster.keyOwner(key)).port;
  for (const m of await cluster.masters()) t.deepEqual(await cluster.command(m.port, 'SCRIPT', 'EXISTS', sha), [m.port === owner ? 1 : 0]);
  await t.throwsAsync(client.sendCommand(key, false, ['EVAL', source, '2', key, '{other}:n']), { message: /^CROSSSLOT/ });
});

test.serial('ASK during a slot migration and MOVED after it are followed by the client', async (t) => {
  const key = '{probe-move}:v';
  await client.sendCommand(key, false, ['SET', key, 'before']);
  const slot = await cluster.keySlot(key);
  const source = await cluster.slotOwner(slot);
  const target = (await cluster.masters()).find((m) => m.port !== source.port)!;
  let duringMove: unknown;
  await cluster.migrateSlot(slot, target.port, {
    batch: 1,
    pause: async () => {
      // Once the key has left the source, the source answers ASK.
      if (duringMove === undefined && Number(await cluster.command(source.port, 'CLUSTER', 'COUNTKEYSINSLOT', String(slot))) === 0) {
        duringMove = await client.sendCommand(key, false, ['GET', key]);
      }
    },
  });
  t.is(duringMove, 'before');
  t.is((await cluster.slotOwner(slot)).port, target.port);
  t.is(await client.sendCommand<string>(key, false, ['GET', key]), 'before');
  await client.sendCommand(key, false, ['SET', key, 'after']);
  t.is(await cluster.command(target.port, 'GET', key), 'after');
});

test.serial('classic PUBLISH from a script reaches a subscriber on any node; SPUBLISH reaches SSUBSCRIBE', async (t) => {
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  const got: string[] = [];
  await subscriber.subscribe('probe-classic', (m) => got.push(`classic:${m}`));
  await subscriber.sSubscribe('{probe-shard}:chan', (m) => got.push(`sharded:${m}`));
  for (const key of ['{a}:x', '{b}:x', '{c}:x']) {
    await client.sendCommand(key, false, ['EVAL', "return redis.call('PUBLISH', ARGV[1], ARGV[2])", '1', key, 'probe-classic', key]);
  }
  await client.sendCommand('{probe-shard}:k', false, ['EVAL', "return redis.call('SPUBLISH', ARGV[1], 'from-script')", '1', '{probe-shard}:k', '{probe-shard}:chan']);
  for (let i = 0; i < 50 && got.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.deepEqual(got.sort(), ['classic:{a}:x', 'classic:{b}:x', 'classic:{c}:x', 'sharded:from-script']);
  subscriber.destroy();
});
