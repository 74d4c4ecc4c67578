import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvRedis, { createCluster } from '@keyv/redis';
import { Keyv } from 'keyv';
import { SessionPolicyError, SessionRegistry, type CheckResult } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisCluster, type RedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { destroyQuietly } from '@session-policy/test-helpers/destroy-quietly';

// Three masters with one replica each and a short cluster-node-timeout. The master holding
// a principal is killed (SIGKILL) while logins and checks for it go on. While the slot has
// no master, checks answer `unavailable` with ERR_STORE and `allow` as configured, logins
// fail with ERR_STORE; once the replica has taken over, the same registries (same Node
// process, same cluster client) work again, the principal's sessions are still there,
// and no promise was left rejected unhandled.

let cluster: RedisCluster;
let client: ReturnType<typeof createCluster>;
let other: ReturnType<typeof createCluster>;
const registries: SessionRegistry[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

test.before(async () => {
  process.on('unhandledRejection', onUnhandled);
  cluster = await startRedisCluster({ replicas: 1, nodeTimeout: 1000 });
  client = createCluster({ rootNodes: [...cluster.rootNodes], minimizeConnections: true });
  client.on('error', () => undefined);
  await client.connect();
  // Another application server: its own cluster client and store.
  other = createCluster({ rootNodes: [...cluster.rootNodes], minimizeConnections: true });
  other.on('error', () => undefined);
  await other.connect();
});

test.after.always(async () => {
  await Promise.all(registries.map((r) => r.close()));
  destroyQuietly(client, other);
  await cluster?.stop();
  process.off('unhandledRejection', onUnhandled);
});

// Recovery depends on the store refreshing the cluster client's slot map after a node
// failure (node-redis only does on MOVED/ASK, which a dead master never sends; see
// docs/redis-cluster.md and `rediscover` in packages/redis/src/connection.ts).
test.serial('a master killed under traffic: typed errors, fail-closed and fail-open as configured, then recovery on the promoted replica', async (t) => {
  const prefix = `failover:${randomUUID()}:`;
  const store = new RedisSessionStore(new Keyv({ store: new KeyvRedis(client as never) }), { prefix, commandTimeout: 500 });
  const errors: Error[] = [];
  const closed = new SessionRegistry({ store, maxSessions: 3 });
  const open = new SessionRegistry({ store, maxSessions: 3, onStoreError: 'fail-open' });
  const elsewhere = new SessionRegistry({
    store: new RedisSessionStore(new Keyv({ store: new KeyvRedis(other as never) }), { prefix, commandTimeout: 500 }),
    maxSessions: 3,
  });
  elsewhere.on('error', () => undefined);
  registries.push(closed, open, elsewhere);
  closed.on('error', (e) => errors.push(e));
  open.on('error', (e) => errors.push(e));
  const user = `victim-${randomUUID()}`;
  t.true((await closed.admit({ principal: user, sessionId: 'kept' })).admitted);
  const owner = await cluster.keyOwner(store.keysOf(closed.key(user)).sessions);
  // Let the replica copy it before its master dies (replication is asynchronous: a write
  // acknowledged just before the kill may be lost, which the docs say).
  await cluster.command(owner.port, 'WAIT', '1', '2000');

  const unavailable = { closed: 0, open: 0 };
  const wrongAllow: string[] = [];
  const untyped: string[] = [];
  let loginErrors = 0;
  let ok = 0;
  let running = true;
  let n = 0;
  const note = (which: 'closed' | 'open', r: CheckResult): void => {
    if (r.status === 'unavailable') {
      unavailable[which]++;
      if (r.error.code !== 'ERR_STORE') untyped.push(r.error.code);
      if (r.allow !== (which === 'open')) wrongAllow.push(`${which}: allow ${String(r.allow)}`);
    } else if (r.status === 'active') ok++;
    else untyped.push(`check: ${r.status}`);
  };
  const traffic = (async () => {
    while (running) {
      note('closed', await closed.check('kept', user));
      note('open', await open.check('kept', user));
      try {
        await closed.admit({ principal: user, sessionId: `t${n++}` });
      } catch (e) {
        loginErrors++;
        if (!(e instanceof SessionPolicyError) || e.code !== 'ERR_STORE') untyped.push(String(e));
      }
      await closed.end(`t${n - 1}`, user).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();

  await new Promise((resolve) => setTimeout(resolve, 200));
  cluster.signal(owner.port, 'SIGKILL');
  const killedAt = Date.now();
  const promoted = await cluster.waitForFailover(owner.port);
  const failedOverIn = Date.now() - killedAt;
  // Recovery: a check answered by Redis again within a generous bound.
  const until = Date.now() + 30_000;
  let recovered = -1;
  while (Date.now() < until) {
    const r = await closed.check('kept', user);
    if (r.status === 'active') {
      recovered = Date.now() - killedAt;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  running = false;
  await traffic;

  t.log(`failover took ${failedOverIn} ms, store answered again after ${recovered} ms; unavailable checks ${JSON.stringify(unavailable)}, failed logins ${loginErrors}, ok checks ${ok}`);
  t.is((await cluster.keyOwner(store.keysOf(closed.key(user)).sessions)).port, promoted);
  t.true(recovered > 0, 'the store never answered again after the failover');
  t.true(unavailable.closed > 0 && unavailable.open > 0, 'the outage was not seen');
  t.deepEqual(wrongAllow, []);
  t.deepEqual(untyped, []);
  // After recovery: logins work, the session admitted before the kill is still active.
  t.true((await closed.admit({ principal: user, sessionId: 'after' })).admitted);
  // (A traffic login whose reply timed out during the outage may still have been applied,
  // and its end may have failed: such `t<n>` leftovers are expected, not lost or revived.)
  t.deepEqual((await closed.list(user)).map((s) => s.sessionId).filter((id) => !/^t\d+$/.test(id)).sort(), ['after', 'kept']);
  // The other server works again too, and its revocation is refused here: through the
  // bus when this store's subscription survived the failover (its node may have been the
  // dead one: pub/sub keeps nothing for a subscriber that is away), through Redis at the
  // latest once the near cache entry (1 s) is gone.
  let remote = false;
  closed.on('ended', (s, origin) => {
    if (origin === 'remote' && s.sessionId === 'after') remote = true;
  });
  const revoke = async (): Promise<unknown> => {
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      try {
        return await elsewhere.end('after', user, 'revoked');
      } catch {
        // its client may still be finding the new master
      }
    }
    return undefined;
  };
  t.is((await revoke() as { sessionId?: string } | undefined)?.sessionId, 'after');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.like(await closed.check('after', user), { status: 'ended', reason: 'revoked' });
  t.log(`the revocation reached this process through the bus: ${remote}`);
  // Operation failures reach the callers typed (above); the registries' `error` events
  // report the outage as it happens (connection and bus problems).
  t.true(errors.length > 0);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(unhandled, []);
});
