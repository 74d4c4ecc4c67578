import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';

// The cross-process race on a Redis Cluster: several processes, each with its own cluster
// client, log the same principal in at once, round after round. Never more active
// sessions than the limit, never an evicted session still active, never a login told
// admitted that vanished, every refusal with a reason; in reject mode exactly the limit
// is admitted per round.

const PROCESSES = 3;
const PER_PROCESS = 5;
const ROUNDS = 25;

interface Result {
  readonly id: string;
  readonly admitted: boolean;
  readonly evicted?: readonly string[];
  readonly code?: string;
  readonly error?: string;
}

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;
const children: ChildProcess[] = [];
const prefix = `crace:${randomUUID()}:`;

test.before(async () => {
  cluster = await startRedisCluster();
  client = createCluster({ rootNodes: [...cluster.rootNodes] });
  client.on('error', () => undefined);
  await client.connect();
  const worker = new URL('./cluster/race-worker.ts', import.meta.url);
  for (let i = 0; i < PROCESSES; i++) {
    children.push(
      fork(worker, [JSON.stringify(cluster.rootNodes), prefix], { execArgv: ['--conditions=session-policy-source', '--import=tsx'], stdio: 'inherit' }),
    );
  }
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
});

test.after.always(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.send('exit');
        }),
    ),
  );
  client?.destroy();
  await cluster?.stop();
});

function round(child: ChildProcess, message: object): Promise<Result[]> {
  return new Promise((resolve) => {
    child.once('message', (results: Result[]) => resolve(results));
    child.send(message);
  });
}

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
      const evicted = new Set<string>();
      let overLimit = 0;
      let evictedActive = 0;
      let unexplained = 0;
      let lost = 0;
      let maxActive = 0;
      const perRejectRound: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const results = (
          await Promise.all(children.map((c) => round(c, { principal, count: PER_PROCESS, limit, onLimit, tag: `r${r}` })))
        ).flat();
        for (const res of results) {
          for (const id of res.evicted ?? []) evicted.add(id);
          if (!res.admitted && res.code !== 'ERR_SESSION_LIMIT' && res.code !== 'ERR_SESSION_ENDED') unexplained++;
        }
        const active = await registry.list(principal);
        maxActive = Math.max(maxActive, active.length);
        if (active.length > limit) overLimit++;
        evictedActive += active.filter((s) => evicted.has(s.sessionId)).length;
        const ids = new Set(active.map((s) => s.sessionId));
        lost += results.filter((x) => x.admitted && !ids.has(x.id) && !evicted.has(x.id)).length;
        if (onLimit === 'reject') {
          perRejectRound.push(results.filter((x) => x.admitted).length);
          await registry.endAll(principal);
        }
      }
      await registry.close();
      t.is(overLimit, 0, 'more active sessions than the limit after a round');
      t.is(maxActive, limit);
      t.is(evictedActive, 0, 'a session both evicted and active');
      t.is(unexplained, 0, 'a refusal without a reason (or an error)');
      t.is(lost, 0, 'a login told admitted whose session vanished');
      if (onLimit === 'reject') t.true(perRejectRound.every((n) => n === limit), String(perRejectRound));
    });
  }
}

test.serial('redis-cluster: the racing principals were not all on one master', (t) => {
  t.true(masterPorts.size > 1, `all on ${[...masterPorts].join(', ')}`);
});
