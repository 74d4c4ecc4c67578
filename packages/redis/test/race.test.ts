import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createKeyv } from '@keyv/redis';
import { KeyvSessionStore, SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { assertNoViolations, describeRaceTally, runLoginRace, startRaceWorkers, stopRaceWorkers, type RaceTally } from '@session-policy/test-helpers/login-race';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';

// Several processes log the same principal in at once, round after round. The Redis store
// must never leave more active sessions than the limit, never keep an evicted session
// active, and give every refusal a reason. The generic Keyv store on the same Redis is
// only atomic inside one process: its violations are reported, not asserted.

const PROCESSES = 4;
const PER_PROCESS = 5;
const ROUNDS = 40;

let server: RedisServer;
let children: ChildProcess[] = [];
const prefix = `race:${randomUUID()}:`;

test.before(async () => {
  server = await startRedisServer();
  children = await startRaceWorkers(new URL('./helpers/race-worker.ts', import.meta.url), [server.url, prefix], PROCESSES);
});

test.after.always(async () => {
  await stopRaceWorkers(children);
  await server?.stop();
});

async function race(store: 'redis' | 'keyv', limit: number, onLimit: 'evict' | 'reject'): Promise<RaceTally> {
  const observer =
    store === 'redis'
      ? new RedisSessionStore(server.url, { prefix, bus: false })
      : new KeyvSessionStore(createKeyv(server.url, { namespace: `${prefix}keyv` }), { closeKeyv: true });
  const registry = new SessionRegistry({ store: observer, maxSessions: limit, onLimit });
  try {
    return await runLoginRace(children, registry, { store, principal: `user-${store}-${limit}-${onLimit}`, count: PER_PROCESS, limit, onLimit }, ROUNDS);
  } finally {
    await registry.close();
  }
}

for (const limit of [1, 3]) {
  for (const onLimit of ['evict', 'reject'] as const) {
    test.serial(`redis store: ${PROCESSES} processes × ${PER_PROCESS} concurrent logins, limit ${limit}, ${onLimit}, ${ROUNDS} rounds`, async (t) => {
      const tally = await race('redis', limit, onLimit);
      assertNoViolations(t, tally, { limit, onLimit });
    });

    test.serial(`generic Keyv store on Redis (reported, not asserted): limit ${limit}, ${onLimit}`, async (t) => {
      const tally = await race('keyv', limit, onLimit);
      t.log(describeRaceTally(tally, { limit, onLimit }, ROUNDS));
      t.pass();
    });
  }
}
