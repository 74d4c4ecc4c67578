import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import { KeyvSessionStore, SessionRegistry } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { assertNoViolations, describeRaceTally, runLoginRace, startRaceWorkers, stopRaceWorkers, type RaceTally } from '@session-policy/test-helpers/login-race';
import { usePostgresServer } from '@session-policy/test-helpers/postgres-server';

// Several processes log the same principal in at once, round after round. The Postgres
// store must never leave more active sessions than the limit, never keep an evicted
// session active, and account for every admitted session (active, or a tombstone with its
// reason). The generic Keyv store over @keyv/postgres on the same database is only atomic
// inside one process: its violations are reported, not asserted.

const PROCESSES = 4;
const PER_PROCESS = 5;
const ROUNDS = 25;

let children: ChildProcess[] = [];
const prefix = `race_${randomUUID().replaceAll('-', '').slice(0, 8)}_`;

const db = usePostgresServer(test, {
  started: async ({ server }) => {
    children = await startRaceWorkers(new URL('./helpers/race-worker.ts', import.meta.url), [server.url, prefix], PROCESSES);
  },
  stopping: () => stopRaceWorkers(children),
});

async function race(store: 'postgres' | 'keyv', limit: number, onLimit: 'evict' | 'reject'): Promise<RaceTally> {
  const observer =
    store === 'postgres'
      ? new PostgresSessionStore(db.server.url, { prefix, bus: false, queryTimeout: 5000 })
      : new KeyvSessionStore(new Keyv({ store: new KeyvPostgres({ uri: db.server.url, table: `${prefix}keyv` }) }), { closeKeyv: true });
  const registry = new SessionRegistry({ store: observer, maxSessions: limit, onLimit, maxTombstones: 10_000 });
  try {
    const principal = `user-${store}-${limit}-${onLimit}`;
    return await runLoginRace(children, registry, { store, principal, count: PER_PROCESS, limit, onLimit }, ROUNDS, { tombstones: true });
  } finally {
    await registry.close();
  }
}

for (const limit of [1, 3]) {
  for (const onLimit of ['evict', 'reject'] as const) {
    test.serial(`postgres store: ${PROCESSES} processes × ${PER_PROCESS} concurrent logins, limit ${limit}, ${onLimit}, ${ROUNDS} rounds`, async (t) => {
      const tally = await race('postgres', limit, onLimit);
      assertNoViolations(t, tally, { limit, onLimit, tombstones: true });
    });

    test.serial(`generic Keyv store on @keyv/postgres (reported, not asserted): limit ${limit}, ${onLimit}`, async (t) => {
      const tally = await race('keyv', limit, onLimit);
      t.log(describeRaceTally(tally, { limit, onLimit }, ROUNDS));
      t.pass();
    });
  }
}
